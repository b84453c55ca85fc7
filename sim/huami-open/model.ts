// The huami-open simulator's model: a seeded generator of one person's day (minutes, the night after it, at
// most one run, PAI and stress), built lazily and always the same for the same (seed, user, date).
//
// Draw order is part of the data: every value comes from one stream per day, drawn in a fixed order (the day's
// gap, its workout, each minute, PAI, the stress readings, the sync time, the night, the PAI numbers); moving a
// draw changes every value after it and with it the ground truth of every test.

import { parseDate } from '../../lambdas/core/time.ts';
import { type OpenSegments, openSegments } from './segments.ts';
import type { HuamiOpenSimUser } from './types.ts';

export const MINUTE_MS = 60_000;

// ------------------------------------------------------------------------------------------ PRNG

export function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** mulberry32 */
export function prng(seed: number): { next(): number; int(lo: number, hi: number): number } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

export type Prng = ReturnType<typeof prng>;

// ------------------------------------------------------------------------------------------ model

export interface MinuteModel {
  minute: number;
  hr: number | null;
  steps: number;
  activeness: number;
  mode: number;
}

export interface StageModel {
  start: number;
  stop: number;
  mode: number;
}

export interface NightModel {
  start: number;
  stop: number;
  stages: StageModel[];
  deep: number;
  shallow: number;
  wake: number;
  score: number;
}

export interface WorkoutModel {
  trackId: number;
  sportTime: number;
  distance: number;
  calories: number;
  averageHeartRate: number;
  averagePace: number;
  averageStepFrequency: number;
  averageStrideLength: number;
  altitudeAscend: number;
  altitudeDescend: number;
  gps: { t: number; latE8: number; lonE8: number; altCm: number | null }[];
  hr: { t: number; hr: number }[];
  distanceSeries: { t: number; m: number }[];
  gait: { t: number; steps: number; stride: number; cadence: number }[];
  speed: { t: number; centi: number }[];
  /** pauses and laps (segments.ts), drawn from their own stream */
  segments: OpenSegments;
}

export interface PaiModel {
  dailyPai: number;
  totalPai: number;
  restHr: number;
  maxHr: number;
  lowZonePai: number;
  mediumZonePai: number;
  highZonePai: number;
  lowZoneMinutes: number;
  mediumZoneMinutes: number;
  highZoneMinutes: number;
  totalStep: number;
  totalCal: number;
}

export interface StressModel {
  avg: number;
  min: number;
  max: number;
  relax: number;
  normal: number;
  medium: number;
  high: number;
  readings: { time: number; value: number }[];
}

export interface DayModel {
  date: string;
  midnightMs: number;
  syncS: number;
  minutes: MinuteModel[];
  steps: number;
  distance: number;
  calories: number;
  walkTime: number;
  runDistance: number;
  runTime: number;
  runCalories: number;
  night: NightModel | null;
  workout: WorkoutModel | null;
  pai: PaiModel;
  stress: StressModel;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function buildNight(r: Prng): NightModel {
  const start = r.int(1320, 1410); // 22:00-23:30 of D
  const stop = r.int(1850, 1950); // ~06:50-08:30 of D+1
  const stages: StageModel[] = [];
  const modes = [4, 5, 4, 8, 4, 7];
  let s = start;
  let k = 0;
  while (s <= stop) {
    const len = r.int(15, 60);
    const e = Math.min(stop, s + len - 1);
    stages.push({ start: s, stop: e, mode: modes[k % modes.length]! });
    s = e + 1;
    k += r.int(1, 2);
  }
  const sum = (mode: number) => stages.filter((x) => x.mode === mode).reduce((a, x) => a + x.stop - x.start + 1, 0);
  return { start, stop, stages, deep: sum(5), shallow: sum(4), wake: sum(7), score: r.int(60, 95) };
}

function buildWorkout(r: Prng, midnightMs: number): WorkoutModel {
  const trackId = Math.floor(midnightMs / 1000) + r.int(1080, 1170) * 60 + r.int(0, 59);
  const sportTime = r.int(900, 1500);
  const end = trackId + sportTime;
  const gps: WorkoutModel['gps'] = [];
  let lat = 4_004_540_672 + r.int(-1_000_000, 1_000_000);
  let lon = 11_628_061_696 + r.int(-1_000_000, 1_000_000);
  let alt = 6000 + r.int(-500, 500);
  let up = 0;
  let down = 0;
  for (let t = trackId + r.int(2, 4); t <= end; t += r.int(1, 4)) {
    lat += r.int(-8000, 8000);
    lon += r.int(-8000, 8000);
    const dAlt = r.int(-30, 30);
    alt += dAlt;
    if (dAlt > 0) up += dAlt;
    else down -= dAlt;
    gps.push({ t, latE8: lat, lonE8: lon, altCm: gps.length === 5 ? null : alt });
  }
  const hr: WorkoutModel['hr'] = [];
  let h = r.int(95, 110);
  for (let t = trackId + r.int(1, 3); t <= end; t += r.int(1, 5)) {
    h = Math.max(90, Math.min(185, h + r.int(-3, 4)));
    hr.push({ t, hr: h });
  }
  const distanceSeries: WorkoutModel['distanceSeries'] = [];
  let m = 0;
  for (let t = trackId + r.int(2, 5); t <= end; t += r.int(2, 5)) {
    m += r.int(3, 14);
    distanceSeries.push({ t, m });
  }
  const gait: WorkoutModel['gait'] = [];
  let steps = 0;
  for (let t = trackId + 10; t <= end; t += 10) {
    steps += r.int(24, 32);
    gait.push({ t, steps, stride: r.int(70, 120), cadence: r.int(145, 185) });
  }
  const speed: WorkoutModel['speed'] = [];
  for (let t = trackId + 6; t <= end; t += 6) speed.push({ t, centi: r.int(150, 450) });
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    trackId,
    sportTime,
    distance: m,
    calories: Math.round(m * 0.65) / 10,
    averageHeartRate: Math.round(mean(hr.map((x) => x.hr))),
    averagePace: round2(m / sportTime),
    averageStepFrequency: Math.round(mean(gait.map((x) => x.cadence))),
    averageStrideLength: Math.round(mean(gait.map((x) => x.stride))),
    altitudeAscend: Math.round(up / 100),
    altitudeDescend: Math.round(down / 100),
    gps,
    hr,
    distanceSeries,
    gait,
    speed,
    segments: { pauses: [], laps: [] },
  };
}

/** The not-worn stretch of a day, if any: minutes [from, from + len). */
interface WearGap {
  from: number;
  len: number;
}

interface MinuteInputs {
  lastMinute: number;
  gap: WearGap | null;
  /** the run's minutes [start, end); -1 when there is none */
  wStart: number;
  wEnd: number;
}

function buildMinutes(r: Prng, day: MinuteInputs): { minutes: MinuteModel[]; walkTime: number } {
  const { lastMinute, gap, wStart, wEnd } = day;
  const minutes: MinuteModel[] = [];
  let walkTime = 0;
  for (let minute = 0; minute <= lastMinute; minute++) {
    const asleep = minute < 420 || minute >= 1380;
    const notWorn = gap !== null && minute >= gap.from && minute < gap.from + gap.len;
    const running = minute >= wStart && minute < wEnd;
    let mode = 0;
    let steps = 0;
    let hr: number | null = r.int(62, 95);
    let activeness = r.int(0, 40);
    if (notWorn) {
      mode = 3;
      hr = null;
      activeness = 0;
    } else if (running) {
      mode = 2;
      steps = r.int(140, 180);
      hr = r.int(120, 170);
      activeness = r.int(100, 126);
    } else if (asleep) {
      mode = r.next() < 0.4 ? 4 : 5;
      hr = r.int(48, 62);
      activeness = r.int(0, 5);
    } else if (r.next() < 0.25) {
      mode = 1;
      steps = r.int(10, 110);
      activeness = r.int(40, 100);
      walkTime++;
    }
    minutes.push({ minute, hr, steps, activeness, mode });
  }
  return { minutes, walkTime };
}

function buildStress(r: Prng, midnightMs: number, lastMinute: number): StressModel {
  const stressReadings: StressModel['readings'] = [];
  for (let m = 480; m <= Math.min(lastMinute, 1320); m += 30) {
    stressReadings.push({ time: midnightMs + m * MINUTE_MS, value: r.int(5, 90) });
  }
  const values = stressReadings.map((x) => x.value);
  const relax = r.int(10, 40);
  const normal = r.int(20, 50);
  const medium = r.int(0, 100 - relax - normal);
  return {
    avg: values.length ? Math.round(values.reduce((a, b) => a + b, 0) / values.length) : 0,
    min: values.length ? Math.min(...values) : 0,
    max: values.length ? Math.max(...values) : 0,
    relax,
    normal,
    medium,
    high: 100 - relax - normal - medium,
    readings: stressReadings,
  };
}

function buildPai(r: Prng, dayPai: number, steps: number): PaiModel {
  return {
    dailyPai: dayPai,
    totalPai: round2(dayPai + r.next() * 80),
    restHr: r.int(50, 65),
    maxHr: r.int(150, 190),
    lowZonePai: round2(dayPai * 0.2),
    mediumZonePai: round2(dayPai * 0.5),
    highZonePai: round2(dayPai * 0.3),
    lowZoneMinutes: r.int(20, 120),
    mediumZoneMinutes: r.int(0, 40),
    highZoneMinutes: r.int(0, 20),
    totalStep: steps,
    totalCal: Math.round(steps * 0.04),
  };
}

/** A person's day, or null when there is none (out of range, or a day the band was not worn or never synced). */
export function buildDay(seed: number, user: HuamiOpenSimUser, date: string, today: string): DayModel | null {
  if (date < user.firstDate || date > today) return null;
  const r = prng(hashString(`${seed}|${user.userId}|${date}`));
  if (date !== today && r.next() < 0.1) return null; // a day the band was not worn or never synced
  const midnightMs = parseDate(date) - user.tzOffsetS * 1000;
  const lastMinute = date === today ? 719 : 1439;
  const gap = r.next() < 0.5 ? { from: r.int(600, 1200), len: r.int(20, 90) } : null;
  const workout = date !== today && r.next() < 0.35 ? buildWorkout(r, midnightMs) : null;
  // Their own stream, so the day's other values stay what they were before pauses and laps existed.
  if (workout)
    workout.segments = openSegments(workout, prng(hashString(`${seed}|${user.userId}|${workout.trackId}|segments`)));
  const wStart = workout ? Math.floor((workout.trackId * 1000 - midnightMs) / MINUTE_MS) : -1;
  const wEnd = workout ? wStart + Math.ceil(workout.sportTime / 60) : -1;
  const { minutes, walkTime } = buildMinutes(r, { lastMinute, gap, wStart, wEnd });
  const steps = minutes.reduce((a, x) => a + x.steps, 0);
  const runDistance = workout?.distance ?? 0;
  const dayPai = round2(r.next() * 30);
  const stress = buildStress(r, midnightMs, lastMinute);
  // Literal order is draw order: the sync time, then the night, then the PAI numbers.
  return {
    date,
    midnightMs,
    syncS: Math.floor((midnightMs + (lastMinute + 1) * MINUTE_MS) / 1000) + r.int(0, 3600),
    minutes,
    steps,
    distance: Math.round(steps * 0.72),
    calories: Math.round(steps * 0.04) + (workout ? Math.round(workout.calories) : 0),
    walkTime,
    runDistance,
    runTime: workout ? Math.round(workout.sportTime / 60) : 0,
    runCalories: workout ? Math.round(workout.calories) : 0,
    night: date === today ? null : buildNight(r),
    workout,
    pai: buildPai(r, dayPai, steps),
    stress,
  };
}
