// The events API items (reference §5.1) of a simulated person's day: all_day_stress, blood_oxygen (odi, osa_event,
// click), PaiHealthInfo and readiness, every timestamp inside the day's own interval and before the cut-off.
//
// Draw order is part of the data: one stream per day, drawn stress, SpO2, PAI, readiness in this order.

import { daysBetween, eachDay, localDateOf } from '../../lambdas/core/time.ts';
import { type DayMinutes, type DayPlan, MINUTE_MS } from './day-plan.ts';
import type { Rng } from './rng.ts';
import type { DeviceSpec } from './spec.ts';
import type { SimUser } from './users.ts';

export type EventItem = Record<string, unknown> & { eventType: string; timestamp: number };

export const EVENT_TYPES = ['all_day_stress', 'blood_oxygen', 'PaiHealthInfo', 'readiness'] as const;

/** What every event of one day is drawn from, and the list they go to. */
interface DayContext {
  rng: Rng;
  userId: string;
  device: DeviceSpec;
  plan: DayPlan;
  at: (minute: number) => number;
  /** minutes drawn (today in a world cut at an instant: the whole day, cut afterwards) */
  usable: number;
  cutMs: number;
  m: DayMinutes;
  items: EventItem[];
}

/** all_day_stress: readings every 5 minutes while worn and awake-ish. */
function stressEvent(ctx: DayContext): void {
  const { rng, userId, device, plan, at, usable, cutMs, m, items } = ctx;
  if (rng.chance(0.92)) {
    const readings: { time: number; value: number }[] = [];
    let level = rng.int(15, 45);
    for (let minute = 0; minute < usable; minute += 5) {
      level = Math.max(1, Math.min(100, level + rng.int(-8, 8)));
      if (m.kind[minute] === 0x53 || rng.chance(0.25)) continue;
      if (at(minute) < cutMs) readings.push({ time: at(minute), value: level });
    }
    if (readings.length > 0) {
      const values = readings.map((r) => r.value);
      const share = (lo: number, hi: number) =>
        Math.round((values.filter((v) => v >= lo && v <= hi).length / values.length) * 100);
      items.push({
        userId,
        eventType: 'all_day_stress',
        subType: 'all_day_stress',
        timestamp: plan.midnight + 1,
        deviceType: '0',
        deviceSn: device.sn,
        deviceId: device.deviceId,
        avgStress: String(Math.round(values.reduce((a, b) => a + b, 0) / values.length)),
        maxStress: String(Math.max(...values)),
        minStress: String(Math.min(...values)),
        relaxProportion: String(share(1, 39)),
        normalProportion: String(share(40, 59)),
        mediumProportion: String(share(60, 79)),
        highProportion: String(share(80, 100)),
        data: JSON.stringify(readings),
      });
    }
  }
}

/** blood_oxygen: a nightly ODI in the morning, rare OSA events before dawn, spot checks in the day. */
function spo2Events(ctx: DayContext): void {
  const { rng, userId, device, plan, at, usable, items } = ctx;
  if (usable > 480 && rng.chance(0.7)) {
    const odi = rng.int(0, 25000) / 10000;
    items.push({
      userId,
      eventType: 'blood_oxygen',
      subType: 'odi',
      timestamp: at(rng.int(420, 479)) + rng.int(0, 59_999),
      odi: String(odi),
      odiNum: String(rng.int(0, 12)),
      score: String(rng.int(60, 100)),
      cost: String(rng.int(18_000, 30_000)),
      valid: '1',
      dispCode: '0',
      timezone: String(plan.offsetS / 900),
      deviceId: device.deviceId,
    });
  }
  if (usable > 300 && rng.chance(0.12)) {
    items.push({
      userId,
      eventType: 'blood_oxygen',
      subType: 'osa_event',
      timestamp: at(rng.int(60, 299)) + rng.int(0, 59_999),
      extra: JSON.stringify({
        spo2_decrease: rng.int(3, 9),
        spo2: [96, 94, 91, 90, 93, 95],
        hr: [58, 60, 63, 66, 61, 59],
      }),
      deviceId: device.deviceId,
    });
  }
  const clicks = rng.int(0, 2);
  for (let i = 0; i < clicks; i++) {
    const minute = rng.int(480, 1380);
    if (minute >= usable) continue;
    items.push({
      userId,
      eventType: 'blood_oxygen',
      subType: 'click',
      timestamp: at(minute) + rng.int(0, 59_999),
      extra: JSON.stringify({ spo2: rng.int(93, 99) }),
      deviceId: device.deviceId,
    });
  }
}

/** PaiHealthInfo: one per day at local midnight, with the day's zone in quarter-hours. */
function paiEvent(ctx: DayContext, totalStep: number): void {
  const { rng, userId, plan, items } = ctx;
  const daily = rng.int(0, 250) / 10;
  const low = rng.int(0, 50) / 10;
  const medium = rng.int(0, 80) / 10;
  items.push({
    userId,
    eventType: 'PaiHealthInfo',
    subType: 'PaiHealthInfo',
    timestamp: plan.midnight,
    dailyPai: String(daily),
    totalPai: String(rng.int(200, 1300) / 10),
    restHr: String(rng.int(50, 68)),
    maxHr: String(rng.int(150, 190)),
    lowZonePai: String(low),
    mediumZonePai: String(medium),
    highZonePai: String(Math.round((daily - low - medium > 0 ? daily - low - medium : 0) * 10) / 10),
    lowZoneMinutes: String(rng.int(0, 90)),
    mediumZoneMinutes: String(rng.int(0, 40)),
    highZoneMinutes: String(rng.int(0, 20)),
    lowZoneLowerLimit: '98',
    mediumZoneLowerLimit: '124',
    highZoneLowerLimit: '149',
    activityScores: Array.from({ length: 7 }, () => rng.int(0, 30)),
    nextActivityScores: [],
    averageHeartRate: String(rng.int(62, 80)),
    totalStep: String(totalStep),
    totalCal: String(rng.int(1600, 2800)),
    exerciseTimes: String(rng.int(0, 3)),
    gender: '0',
    age: '35',
    index: '0',
    version: '1',
    timeZone: String(plan.offsetS / 900),
  });
}

/** readiness (newer devices): the morning score. */
function readinessEvent(ctx: DayContext): void {
  const { rng, userId, device, at, usable, items } = ctx;
  if (device.readiness && usable > 540 && rng.chance(0.85)) {
    const sentinel = (value: number, p: number, s: number) => String(rng.chance(p) ? s : value);
    items.push({
      userId,
      eventType: 'readiness',
      subType: 'watch_score',
      timestamp: at(rng.int(480, 539)) + rng.int(0, 59_999),
      sleepHRV: sentinel(rng.int(25, 90), 0.05, 32767),
      sleepRHR: String(rng.int(48, 66)),
      hrvScore: String(rng.int(30, 100)),
      rhrScore: String(rng.int(30, 100)),
      skinTempScore: sentinel(rng.int(30, 100), 0.2, 255),
      rdnsScore: String(rng.int(20, 100)),
      phyScore: String(rng.int(20, 100)),
      mentScore: sentinel(rng.int(20, 100), 0.1, 255),
      ahiScore: '255',
      afibScore: '255',
      hrvBaseline: String(rng.int(30, 70)),
      rhrBaseline: String(rng.int(50, 62)),
      status: String(rng.int(0, 3)),
      algVer: '2',
      algSubVer: '5',
      deviceId: device.deviceId,
    });
  }
}

/** The events of one day with data, every timestamp inside the day's own interval (and before now). */
export function dayEvents(user: SimUser, date: string): EventItem[] {
  const plan = user.plan(date);
  if (!plan.hasData) return [];
  const rng = user.rng('events', date);
  const at = (minute: number) => plan.midnight + minute * MINUTE_MS;
  // Drawn as the whole day is (minutesDrawn), then cut: today's events are a prefix of the day's.
  const cutMs = at(plan.usableMinutes);
  const items: EventItem[] = [];
  const ctx: DayContext = {
    rng,
    userId: user.userId,
    device: plan.device,
    plan,
    at,
    usable: plan.minutesDrawn,
    cutMs,
    m: user.drawnMinutes(date),
    items,
  };
  stressEvent(ctx);
  spo2Events(ctx);
  paiEvent(ctx, user.summaryStepsOf(date));
  readinessEvent(ctx);
  items.sort((a, b) => a.timestamp - b.timestamp);
  return items.filter((item) => item.timestamp < cutMs);
}

/** Events of every type for the days whose interval can meet [fromMs, toMs] (a day either side). */
export function eventsBetween(user: SimUser, eventType: string, fromMs: number, toMs: number): EventItem[] {
  const offsets = user.spec.tz.map((c) => c.offsetS);
  const lo = localDateOf(fromMs, Math.min(...offsets, 0) - 86_400);
  const hi = localDateOf(toMs, Math.max(...offsets, 0) + 86_400);
  const out: EventItem[] = [];
  const first = lo < user.spec.firstDate ? user.spec.firstDate : lo;
  const last = hi > user.today ? user.today : hi;
  if (first > last) return out;
  if (daysBetween(first, last) > 20_000) throw new RangeError('event range too large');
  for (const date of eachDay(first, last)) {
    for (const item of dayEvents(user, date)) {
      if (item.eventType === eventType && item.timestamp >= fromMs && item.timestamp <= toMs) out.push(item);
    }
  }
  return out;
}
