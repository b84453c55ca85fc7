// The `summary` object of a simulated band_data record (reference §3.3: what the vendor base64-encodes): step
// totals and activity stages from the day's minutes, the night after the day, the goal, zone and sync time.

import { type DayMinutes, type DayPlan, MINUTES_PER_DAY } from './day-plan.ts';

interface MinuteTotals {
  ttl: number;
  wk: number;
  rn: number;
  runSteps: number;
  maxHr: number;
  maxHrMin: number;
  /** activity stages (§3.3 `stp.stage`): runs of >= 5 minutes with >= 10 steps each */
  stages: Record<string, number>[];
}

/** Step totals, walking and running minutes, the day's highest heart rate and its activity stages. */
function minuteTotals(m: DayMinutes): MinuteTotals {
  const t: MinuteTotals = { ttl: 0, wk: 0, rn: 0, runSteps: 0, maxHr: 0, maxHrMin: 0, stages: [] };
  let runStart = -1;
  const closeRun = (end: number) => {
    if (runStart >= 0 && end - runStart >= 5) {
      let step = 0;
      for (let i = runStart; i < end; i++) step += m.steps[i]!;
      const mode = step / (end - runStart) > 120 ? 4 : step / (end - runStart) > 60 ? 3 : 1;
      t.stages.push({
        start: runStart,
        stop: end - 1,
        mode,
        dis: Math.round(step * (mode === 4 ? 0.96 : 0.8)),
        cal: Math.round(step * 0.045),
        step,
      });
    }
    runStart = -1;
  };
  for (let i = 0; i < MINUTES_PER_DAY; i++) {
    const k = m.kind[i]!;
    if (k === 0x7e) {
      closeRun(i);
      continue;
    }
    const s = m.steps[i]!;
    t.ttl += s;
    const low = k & 0x0f;
    if (low === 1 && s > 0) t.wk++;
    if (low === 2) {
      t.rn++;
      t.runSteps += s;
    }
    if (s >= 10) {
      if (runStart < 0) runStart = i;
    } else closeRun(i);
    const h = m.hr[i]!;
    if (h > 0 && h < 254 && h > t.maxHr) {
      t.maxHr = h;
      t.maxHrMin = i;
    }
  }
  closeRun(MINUTES_PER_DAY);
  return t;
}

/** `slp`: the night after the day; on a past day without one, the empty night (st == ed, no stages). */
function sleepSummary(plan: DayPlan, base: number): Record<string, unknown> | undefined {
  if (plan.sleep) {
    const s = plan.sleep;
    return {
      st: s.st,
      ed: s.ed,
      dp: s.dp,
      lt: s.lt,
      wk: s.wk,
      usrSt: -1440,
      usrEd: -1440,
      wc: s.wc,
      is: 0,
      lb: 0,
      to: 0,
      dt: 0,
      rhr: s.rhr,
      ss: s.ss,
      stage: s.stages,
    };
  }
  if (plan.isToday) return undefined;
  // The vendor sends an empty night as st == ed without stages (the 2021 capture does this).
  return {
    st: base,
    ed: base,
    dp: 0,
    lt: 0,
    wk: 0,
    usrSt: -1440,
    usrEd: -1440,
    wc: 0,
    is: 0,
    lb: 0,
    to: 0,
    dt: 0,
    rhr: 0,
    ss: 0,
  };
}

/** The decoded `summary` object of a day's band_data record (what gets base64-encoded). */
export function bandSummary(plan: DayPlan, m: DayMinutes, tzAsNumber: boolean): Record<string, unknown> {
  const t = minuteTotals(m);
  const base = Math.floor(plan.midnight / 1000);
  const summary: Record<string, unknown> = { v: 6 };
  const slp = sleepSummary(plan, base);
  if (slp) summary.slp = slp;
  summary.stp = {
    ttl: t.ttl,
    dis: Math.round(t.ttl * 0.78),
    cal: Math.round(t.ttl * 0.04),
    wk: t.wk,
    rn: t.rn,
    runDist: Math.round(t.runSteps * 0.96),
    runCal: Math.round(t.runSteps * 0.06),
    stage: t.stages,
  };
  summary.goal = plan.goal;
  summary.tz = tzAsNumber ? plan.offsetS : String(plan.offsetS);
  summary.sync = plan.sync;
  if (plan.device.reportsMaxHr && t.maxHr > 0) {
    summary.hr = { maxHr: { hr: t.maxHr, ts: base + t.maxHrMin * 60 } };
  }
  if (plan.device.sendsDeviceId) summary.sn = plan.device.sn;
  return summary;
}
