// The simulator's synthetic people: who they are (SimUserSpec, spec.ts; the default ones in demo-users.ts), and
// what their wearable recorded on any day (SimUser), generated lazily from a seeded PRNG. Every day draws from its
// own generator seeded by (seed, user, date, purpose), so any day can be generated alone and always comes out
// identically. The day's summary is summary.ts, its events events.ts, its workouts in detail workouts.ts.
//
// Invariants that keep the ground truth unambiguous (see sim/README.md):
// - a day's own interval is [midnight(D), min(midnight(D) + 24 h, midnight(D+1))): minutes, workouts and
//   events of D all fall inside it, so no two days produce the same minute or reading when the UTC
//   offset grows (DST spring-forward, eastward travel);
// - every day with a workout or an event also has a band_data record (no-data days have nothing at all);
// - "today" is partial: nothing after the cut-off minute (0x7E / 254 minutes at the tail).

import { addDays, eachDay, localDateOf, localMidnightMs, parseDate } from '../../lambdas/core/time.ts';
import {
  type DayMinutes,
  type DayPlan,
  MINUTE_MS,
  MINUTES_PER_DAY,
  type SleepModel,
  type SleepStage,
  type WorkoutPlan,
} from './day-plan.ts';
import { Rng } from './rng.ts';
import type { DeviceSpec, SimUserInfo, SimUserSpec } from './spec.ts';
import { bandSummary } from './summary.ts';

// What the rest of the simulator, the chaos suite and the tests import from here.
export type { DayMinutes, DayPlan, SleepModel, SleepStage, WorkoutPlan } from './day-plan.ts';
export { MINUTES_PER_DAY } from './day-plan.ts';
export { demoUsers } from './demo-users.ts';
export { dayEvents, EVENT_TYPES, type EventItem, eventsBetween } from './events.ts';
export { Rng, seedOf } from './rng.ts';
export type { DeviceSpec, SimUserInfo, SimUserSpec, TzChange } from './spec.ts';
export { type DetailSeries, type WorkoutModel, workoutModel } from './workouts.ts';

/** The minutes of a day inside a workout as drawn (its start minute through its last, inclusive). */
function workoutMinutesOf(plan: DayPlan): Set<number> {
  const workoutMinutes = new Set<number>();
  for (const w of plan.workoutsDrawn) {
    const startMin = Math.floor((w.trackid * 1000 - plan.midnight) / MINUTE_MS);
    for (let i = startMin; i <= startMin + Math.ceil(w.durationS / 60); i++) workoutMinutes.add(i);
  }
  return workoutMinutes;
}

/** Everything the generator knows about one person, with caches (a person's model never changes). */
export class SimUser {
  readonly spec: SimUserSpec;
  readonly seed: number;
  readonly today: string;
  /** The instant the world is cut at (SimOptions.now); undefined: `today` is cut at a drawn minute. */
  readonly cutAtMs: number | undefined;
  private readonly plans = new Map<string, DayPlan>();
  private readonly minutes = new Map<string, DayMinutes>();
  private readonly minutesDrawn = new Map<string, DayMinutes>();
  private workoutList: { plan: WorkoutPlan; date: string }[] | undefined;

  /**
   * `today` is every person's last, partial day, cut at a drawn minute; with `nowMs` it is ignored and the
   * last day is this person's own local date at that instant, cut there: a person in Tokyo starts a new day
   * nine hours before UTC does, and one at UTC-6 six hours after.
   */
  constructor(spec: SimUserSpec, seed: number, today: string, nowMs?: number) {
    this.spec = spec;
    this.seed = seed;
    this.cutAtMs = nowMs;
    this.today = nowMs === undefined ? today : this.localDateAt(nowMs);
  }

  /** The local date at an instant: the latest day whose own local midnight has passed. */
  private localDateAt(ms: number): string {
    const utcDate = new Date(ms).toISOString().slice(0, 10);
    for (const date of [addDays(utcDate, 1), utcDate]) {
      if (localMidnightMs(date, this.offsetOn(date)) <= ms) return date;
    }
    return addDays(utcDate, -1);
  }

  get userId(): string {
    return this.spec.userId;
  }

  info(): SimUserInfo {
    return {
      name: this.spec.name,
      email: this.spec.email,
      password: this.spec.password,
      userId: this.spec.userId,
      region: this.spec.region,
      countryCode: this.spec.countryCode,
      tzOffsetS: this.offsetOn(this.today),
      firstDate: this.spec.firstDate,
      lastDate: this.today,
      devices: this.spec.devices.map((d) => d.name),
    };
  }

  rng(...parts: readonly (string | number)[]): Rng {
    return Rng.of(this.seed, this.spec.dataKey ?? this.spec.userId, ...parts);
  }

  offsetOn(date: string): number {
    let offset = this.spec.tz[0]?.offsetS ?? 0;
    for (const change of this.spec.tz) if (change.from <= date) offset = change.offsetS;
    return offset;
  }

  deviceOn(date: string): DeviceSpec {
    const first = this.spec.devices[0];
    if (!first) throw new Error(`user ${this.spec.name} has no device`);
    let device = first;
    for (const d of this.spec.devices) if (d.from <= date) device = d;
    return device;
  }

  /** The instant "now" of the simulation: today's cut-off. */
  nowMs(): number {
    return this.plan(this.today).midnight + this.plan(this.today).usableMinutes * MINUTE_MS;
  }

  inRange(date: string): boolean {
    return date >= this.spec.firstDate && date <= this.today;
  }

  plan(date: string): DayPlan {
    const cached = this.plans.get(date);
    if (cached) return cached;
    const made = this.makePlan(date);
    this.plans.set(date, made);
    return made;
  }

  private makePlan(date: string): DayPlan {
    const rng = this.rng('plan', date);
    const offsetS = this.offsetOn(date);
    const nextOffset = this.offsetOn(addDays(date, 1));
    const midnight = localMidnightMs(date, offsetS);
    const isToday = date === this.today;
    // Cut at an instant, today is drawn exactly as the whole day will be, and only then cut (see minutesDrawn).
    const cutAtInstant = isToday && this.cutAtMs !== undefined;
    const drawnWhole = !isToday || cutAtInstant;
    const forcedGap = this.spec.gapDates?.includes(date) ?? false;
    const gapDraw = rng.chance(this.spec.gapRate);
    const hasData =
      this.inRange(date) && !forcedGap && ((isToday && !cutAtInstant) || date === this.spec.firstDate || !gapDraw);
    // When the next day starts earlier than 24 h after this midnight, the overlap belongs to the next day.
    let minutesDrawn = Math.min(MINUTES_PER_DAY, MINUTES_PER_DAY - (nextOffset - offsetS) / 60);
    if (isToday && !cutAtInstant) minutesDrawn = Math.min(minutesDrawn, rng.int(600, 960));
    const usableMinutes = cutAtInstant
      ? Math.max(0, Math.min(minutesDrawn, Math.floor(((this.cutAtMs as number) - midnight) / MINUTE_MS)))
      : minutesDrawn;
    const device = this.deviceOn(date);
    const goal = rng.pick([6000, 8000, 8000, 10000]);

    const travelNight = Math.abs(nextOffset - offsetS) > 3 * 3600;
    const night = hasData && drawnWhole && !travelNight ? this.makeSleep(rng, midnight) : null;
    const sleep = isToday ? null : night;

    const workoutsDrawn = hasData ? this.drawWorkouts(rng, { date, midnight, minutesDrawn }) : [];
    const cutS = Math.floor(midnight / 1000) + usableMinutes * 60;
    const workouts = workoutsDrawn.filter((w) => w.trackid + w.durationS < cutS);
    // The device syncs the next morning; today's record was synced at the cut-off.
    const dayEndS = Math.floor(midnight / 1000) + usableMinutes * 60;
    const sync = isToday ? dayEndS : dayEndS + rng.int(6, 10) * 3600 + rng.int(0, 3599);
    return {
      date,
      hasData,
      offsetS,
      midnight,
      usableMinutes,
      minutesDrawn,
      isToday,
      device,
      goal,
      sync,
      sleep,
      night,
      workouts,
      workoutsDrawn,
    };
  }

  /** At most one workout of a day with data, ending before the day's last drawn minute. */
  private drawWorkouts(rng: Rng, day: { date: string; midnight: number; minutesDrawn: number }): WorkoutPlan[] {
    const forcedSwim = this.spec.swimDates?.includes(day.date) ?? false;
    if (!forcedSwim && !rng.chance(this.spec.workoutRate)) return [];
    const type = forcedSwim
      ? 14
      : rng.weighted<number>([
          [1, 35],
          [6, 28],
          [9, 14],
          [8, 8],
          [14, 8],
          [16, 7],
        ]);
    const startMin = rng.int(420, 1140);
    const durationS = type === 14 ? rng.int(1200, 2400) : rng.int(600, 2700);
    const pauseS = type === 1 && rng.chance(0.25) ? rng.int(20, 120) : 0;
    const endMin = startMin + Math.ceil(durationS / 60) + 1;
    if (endMin >= day.minutesDrawn) return [];
    const trackid = Math.floor(day.midnight / 1000) + startMin * 60 + rng.int(0, 59);
    return [{ trackid, type, durationS, pauseS }];
  }

  private makeSleep(rng: Rng, midnight: number): SleepModel {
    const startMin = rng.int(1320, 1530); // 22:00 .. 01:30
    const endMin = rng.int(1800, 1940); // 06:00 .. 08:20 next morning
    const stages: SleepStage[] = [];
    let m = startMin;
    let mode = 4;
    while (m <= endMin) {
      const len = mode === 7 ? rng.int(2, 8) : rng.int(10, 45);
      const stop = Math.min(endMin, m + len - 1);
      stages.push({ start: m, stop, mode });
      m = stop + 1;
      mode = rng.weighted<number>([
        [4, mode === 4 ? 1 : 5],
        [5, mode === 5 ? 1 : 4],
        [8, mode === 8 ? 1 : 3],
        [7, 1],
      ]);
    }
    const sum = (want: number) => stages.filter((s) => s.mode === want).reduce((a, s) => a + s.stop - s.start + 1, 0);
    const base = Math.floor(midnight / 1000);
    return {
      st: base + startMin * 60,
      ed: base + (endMin + 1) * 60,
      dp: sum(5),
      lt: sum(4),
      wk: sum(7),
      wc: stages.filter((s) => s.mode === 7).length,
      ss: rng.int(55, 95),
      rhr: rng.int(48, 68),
      stages,
    };
  }

  /** The minute bytes of a day with data (1440 minutes; 0x7E / 254 beyond the usable minutes). */
  dayMinutes(date: string): DayMinutes {
    const cached = this.minutes.get(date);
    if (cached) return cached;
    const plan = this.plan(date);
    const drawn = this.drawnMinutes(date);
    if (plan.usableMinutes === plan.minutesDrawn) return drawn;
    const cut = plan.usableMinutes;
    const made = {
      kind: drawn.kind.slice().fill(0x7e, cut),
      intensity: drawn.intensity.slice().fill(0, cut),
      steps: drawn.steps.slice().fill(0, cut),
      hr: drawn.hr.slice().fill(254, cut),
    };
    this.minutes.set(date, made);
    return made;
  }

  /** The sleep stage mode of each minute of a day (0 awake): the tail of last night (record D-1), then tonight. */
  private sleepModeAt(date: string): (i: number) => number {
    const plan = this.plan(date);
    const prev = this.plan(addDays(date, -1)).night;
    const prevOffsetShift = (this.plan(addDays(date, -1)).midnight - plan.midnight) / MINUTE_MS;
    return (i: number): number => {
      for (const [sleep, shift] of [
        [prev, prevOffsetShift],
        [plan.night, 0],
      ] as const) {
        if (!sleep) continue;
        for (const s of sleep.stages) if (i >= s.start + shift && i <= s.stop + shift) return s.mode;
      }
      return 0;
    };
  }

  /** The minutes as drawn (DayPlan.minutesDrawn of them), before today's cut-off masks its tail. */
  drawnMinutes(date: string): DayMinutes {
    const cached = this.minutesDrawn.get(date);
    if (cached) return cached;
    const plan = this.plan(date);
    const rng = this.rng('minutes', date);
    const kind = new Uint8Array(MINUTES_PER_DAY).fill(0x7e);
    const intensity = new Uint8Array(MINUTES_PER_DAY);
    const steps = new Uint8Array(MINUTES_PER_DAY);
    const hr = new Uint8Array(MINUTES_PER_DAY).fill(254);
    const asleep = this.sleepModeAt(date);
    const workoutMinutes = workoutMinutesOf(plan);
    const notWornFrom = rng.chance(0.1) ? rng.int(600, 1200) : -1;
    const notWornLen = rng.int(20, 120);
    const everyOther = rng.chance(0.5);
    let baseHr = rng.int(58, 72);
    for (let i = 0; i < plan.minutesDrawn; i++) {
      const sleepMode = asleep(i);
      let k: number;
      let inten = 0;
      let st = 0;
      let h: number;
      if (notWornFrom >= 0 && i >= notWornFrom && i < notWornFrom + notWornLen) {
        k = 0x53; // not worn
        h = rng.chance(0.3) ? 0 : 255;
      } else if (sleepMode !== 0) {
        k = sleepMode === 5 ? 0x7b : sleepMode === 7 ? 0x7c : 0x79;
        inten = rng.int(0, 8);
        h = baseHr - 8 + rng.int(-3, 3);
      } else if (workoutMinutes.has(i)) {
        k = rng.chance(0.7) ? 0x52 : 0x51;
        inten = rng.int(60, 200);
        st = rng.int(90, 180);
        h = rng.int(120, 175);
      } else {
        const walking = rng.chance(0.12);
        k = walking ? rng.pick([0x51, 0x61]) : rng.pick([0x50, 0x60, 0x5a, 0x70]);
        inten = walking ? rng.int(20, 90) : rng.int(0, 30);
        st = walking ? rng.int(10, 110) : rng.chance(0.2) ? rng.int(1, 9) : 0;
        h = baseHr + (walking ? rng.int(15, 35) : rng.int(-4, 10));
      }
      if (h !== 0 && h !== 255 && everyOther && i % 2 === 1) h = 255;
      baseHr = Math.max(50, Math.min(80, baseHr + rng.int(-1, 1)));
      kind[i] = k;
      intensity[i] = inten;
      steps[i] = st;
      hr[i] = Math.max(0, Math.min(255, h));
    }
    const made = { kind, intensity, steps, hr };
    this.minutesDrawn.set(date, made);
    return made;
  }

  /** The decoded `summary` object of a day's band_data record (what gets base64-encoded). */
  summary(date: string): Record<string, unknown> {
    return bandSummary(this.plan(date), this.dayMinutes(date), Boolean(this.spec.tzAsNumber));
  }

  /** The day's total steps (summary stp.ttl). */
  summaryStepsOf(date: string): number {
    return (this.summary(date).stp as { ttl: number }).ttl;
  }

  /** Every workout from the first date through today, newest first. */
  workouts(): { plan: WorkoutPlan; date: string }[] {
    if (!this.workoutList) {
      const list: { plan: WorkoutPlan; date: string }[] = [];
      for (const date of eachDay(this.spec.firstDate, this.today)) {
        for (const w of this.plan(date).workouts) list.push({ plan: w, date });
      }
      list.sort((a, b) => b.plan.trackid - a.plan.trackid);
      this.workoutList = list;
    }
    return this.workoutList;
  }

  findWorkout(trackid: number): { plan: WorkoutPlan; date: string } | undefined {
    const seen = new Set<string>();
    for (const change of this.spec.tz) {
      const date = localDateOf(trackid * 1000, change.offsetS);
      if (seen.has(date)) continue;
      seen.add(date);
      const w = this.plan(date).workouts.find((x) => x.trackid === trackid);
      if (w) return { plan: w, date };
    }
    return undefined;
  }

  /** Days of this person with a band record in [from, to] (clamped to first date .. today). */
  dataDays(from: string, to: string): string[] {
    const lo = from < this.spec.firstDate ? this.spec.firstDate : from;
    const hi = to > this.today ? this.today : to;
    if (lo > hi) return [];
    return eachDay(lo, hi).filter((d) => this.plan(d).hasData);
  }
}

export function isDate(value: string): boolean {
  try {
    parseDate(value);
    return true;
  } catch {
    return false;
  }
}
