// The full model of one simulated workout: its detail series (GPS, heart rate, distance, gait, speed, pressure,
// pauses, laps) and the summary numbers derived from them, drawn from the workout's own seeded stream.
//
// Draw order is part of the data: the base speed, then the GPS track (or the indoor distance), the heart rate, the
// gait; pauses and laps come from a stream of their own.

import type { WorkoutPlan } from './day-plan.ts';
import type { Rng } from './rng.ts';
import type { DeviceSpec } from './spec.ts';
import type { SimUser } from './users.ts';
import { autoPauses, lapsOf, type SimLap, type SimPause } from './workout-laps.ts';

export interface DetailSeries {
  trackid: number;
  gps: { t: number; lat: number | null; lon: number | null; altitudeCm: number | null; accuracy?: number }[];
  heartRate: { t: number; hr: number }[];
  distance: { t: number; meters: number }[];
  gait: { t: number; steps: number; strideCm: number; cadence: number }[];
  speed: { t: number; mps: number }[];
  pressure: { t: number; pa: number }[];
  /** in time order */
  pauses: SimPause[];
  laps: SimLap[];
}

export interface WorkoutModel {
  plan: WorkoutPlan;
  date: string;
  device: DeviceSpec;
  detail: DetailSeries;
  endTime: number;
  runTimeS: number;
  distanceM: number;
  calories: number;
  totalSteps: number;
  /** null when the workout has no heart rate (a swim sends 0) */
  avgHr: number | null;
  maxHr: number | null;
  minHr: number | null;
  /** s/m, as the string the vendor sends it (Number() of it is the decoded value) */
  avgPace: string;
  avgCadence: number;
  ascentM: number;
  descentM: number;
}

const GPS_TYPES = new Set([1, 6, 9]);
const STEP_TYPES = new Set([1, 6, 8]);

/** What every series of one workout is drawn from. */
interface SeriesContext {
  rng: Rng;
  detail: DetailSeries;
  t0: number;
  end: number;
  type: number;
}

/** Outdoor: a GPS fix (with distance and speed) every few seconds, pressure every 10 s. Returns the metres. */
function outdoorSeries(ctx: SeriesContext, home: { lat: number; lon: number }, baseSpeed: number): number {
  const { rng, detail, t0, end, type } = ctx;
  const gpsStep = type === 9 ? 3 : type === 1 ? 4 : 5;
  let meters = 0;
  let lat = Math.round(home.lat * 1e8) + rng.int(-2_000_000, 2_000_000);
  let lon = Math.round(home.lon * 1e8) + rng.int(-2_000_000, 2_000_000);
  let alt = rng.int(3000, 12000);
  let heading = rng.next() * 2 * Math.PI;
  let prevT = t0;
  for (let t = t0 + 1; t <= end; t += gpsStep) {
    const mpsCenti = Math.max(50, baseSpeed + rng.int(-40, 40));
    const dt = t - prevT;
    prevT = t;
    const stepM = (mpsCenti / 100) * dt;
    heading += (rng.next() - 0.5) * 0.4;
    lat += Math.round(Math.cos(heading) * stepM * 900);
    lon += Math.round(Math.sin(heading) * stepM * 900);
    alt = Math.max(0, alt + rng.int(-30, 30));
    meters += Math.round(stepM);
    const missing = rng.chance(0.01);
    const noAltitude = !missing && rng.chance(0.02);
    detail.gps.push({
      t,
      lat: missing ? null : lat / 1e8,
      lon: missing ? null : lon / 1e8,
      altitudeCm: missing || noAltitude ? null : alt,
      accuracy: rng.int(3, 12),
    });
    detail.distance.push({ t, meters });
    detail.speed.push({ t, mps: mpsCenti / 100 });
  }
  for (let t = t0 + 2, pa = rng.int(99_000, 101_500); t <= end; t += 10) {
    pa += rng.int(-6, 6);
    detail.pressure.push({ t, pa });
  }
  return meters;
}

/** Indoor: distance (and treadmill speed) every 10 s; a swim has distance only. Returns the metres. */
function indoorSeries(ctx: SeriesContext, baseSpeed: number): number {
  const { rng, detail, t0, end, type } = ctx;
  let meters = 0;
  for (let t = t0 + 5; t <= end; t += 10) {
    meters += Math.round((Math.max(30, baseSpeed + rng.int(-20, 20)) / 100) * 10);
    detail.distance.push({ t, meters });
    if (type === 8) detail.speed.push({ t, mps: Math.max(50, baseSpeed + rng.int(-20, 20)) / 100 });
  }
  return meters;
}

function heartRateSeries(ctx: SeriesContext): void {
  const { rng, detail, t0, end, type } = ctx;
  if (type === 14) {
    // Pool swims: the watch records no heart rate; the vendor sends 0 at the distance samples.
    for (const d of detail.distance) detail.heartRate.push({ t: d.t, hr: 0 });
    return;
  }
  let hr = rng.int(95, 115);
  const peak = type === 1 ? 175 : type === 9 ? 160 : 135;
  for (let t = t0 + rng.int(0, 3); t <= end; t += rng.pick([1, 1, 5, 5, 5, 7])) {
    hr = Math.max(70, Math.min(peak, hr + rng.int(-3, 4)));
    detail.heartRate.push({ t, hr });
  }
}

/** Gait every 5 s for step-counting types. Returns the total steps. */
function gaitSeries(ctx: SeriesContext): number {
  const { rng, detail, t0, end, type } = ctx;
  let steps = 0;
  if (!STEP_TYPES.has(type)) return steps;
  for (let t = t0 + 3; t <= end; t += 5) {
    const cadence = type === 1 ? rng.int(160, 182) : rng.int(100, 125);
    steps += Math.round((cadence * 5) / 60);
    detail.gait.push({ t, steps, strideCm: type === 1 ? rng.int(95, 125) : rng.int(65, 80), cadence });
  }
  return steps;
}

/** The planned manual pause (mid-workout, at the GPS fix it starts on), then auto pauses and laps. */
function segments(user: SimUser, plan: WorkoutPlan, detail: DetailSeries, end: number): void {
  const t0 = plan.trackid;
  if (plan.pauseS > 0) {
    const start = t0 + Math.floor(plan.durationS / 2);
    const index = Math.max(
      0,
      detail.gps.findIndex((p) => p.t >= start),
    );
    detail.pauses.push({ start, duration: plan.pauseS, startIndex: index, endIndex: index, type: 2 });
  }
  // Auto pauses and laps come from their own stream: the values drawn above stay what they were.
  const stream = user.rng('workout-segments', plan.trackid);
  detail.pauses.push(...autoPauses(detail, plan.type, plan.durationS, stream));
  detail.pauses.sort((a, b) => a.start - b.start);
  detail.laps = lapsOf(detail, plan.type, end, stream);
}

/** Ascent and descent in cm over the fixes that have an altitude. */
function climb(detail: DetailSeries): { ascent: number; descent: number } {
  let ascent = 0;
  let descent = 0;
  let prevAlt: number | null = null;
  for (const p of detail.gps) {
    if (p.altitudeCm === null) continue;
    if (prevAlt !== null) {
      if (p.altitudeCm > prevAlt) ascent += p.altitudeCm - prevAlt;
      else descent += prevAlt - p.altitudeCm;
    }
    prevAlt = p.altitudeCm;
  }
  return { ascent, descent };
}

/** The full model of one workout: its detail series and the summary numbers derived from them. */
export function workoutModel(user: SimUser, found: { plan: WorkoutPlan; date: string }): WorkoutModel {
  const { plan, date } = found;
  const rng = user.rng('workout', plan.trackid);
  const t0 = plan.trackid;
  const end = t0 + plan.durationS;
  const type = plan.type;
  const baseSpeed = type === 9 ? rng.int(500, 800) : type === 1 ? rng.int(260, 360) : type === 14 ? 60 : 130;
  const detail: DetailSeries = {
    trackid: t0,
    gps: [],
    heartRate: [],
    distance: [],
    gait: [],
    speed: [],
    pressure: [],
    pauses: [],
    laps: [],
  };
  const ctx: SeriesContext = { rng, detail, t0, end, type };
  const meters = GPS_TYPES.has(type) ? outdoorSeries(ctx, user.spec.home, baseSpeed) : indoorSeries(ctx, baseSpeed);
  heartRateSeries(ctx);
  const steps = gaitSeries(ctx);
  segments(user, plan, detail, end);
  const hrs = detail.heartRate.map((h) => h.hr).filter((h) => h > 0);
  const runTimeS = plan.durationS - detail.pauses.reduce((sum, p) => sum + p.duration, 0);
  const { ascent, descent } = climb(detail);
  const pace = meters > 0 ? runTimeS / meters : 0;
  return {
    plan,
    date,
    device: user.plan(date).device,
    detail,
    endTime: end,
    runTimeS,
    distanceM: meters,
    calories: Math.round((plan.durationS / 60) * (type === 1 ? 11 : type === 9 ? 8 : 6)),
    totalSteps: steps,
    avgHr: hrs.length ? Math.round(hrs.reduce((a, b) => a + b, 0) / hrs.length) : null,
    maxHr: hrs.length ? Math.max(...hrs) : null,
    minHr: hrs.length ? Math.min(...hrs) : null,
    avgPace: String(Number(pace.toPrecision(7))),
    avgCadence: steps > 0 ? Math.round((steps / runTimeS) * 60) : 0,
    ascentM: Math.round(ascent / 100),
    descentM: Math.round(descent / 100),
  };
}
