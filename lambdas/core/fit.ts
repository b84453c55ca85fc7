// One workout of the lake as a FIT activity file, written with Garmin's FIT SDK (`@garmin/fitsdk` Encoder). Pure:
// the lake's rows in, the file's bytes out (no I/O, no clock: the file is the same every time it is written).
//
// Messages, in Garmin's recommended order for an activity: file_id, device_info, then the timer events and the
// records in time order, then the laps, the session and the activity.
// - event: timer start at the start, timer stop_all / start around every pause (workout_pause; overlapping pauses
//   are merged, parts outside the workout are cut off), stop_all at the end.
// - record: one per workout_sample row (the lake has a row per second any series touched): timestamp, position
//   (semicircles), enhanced altitude, heart rate, cumulative distance, enhanced speed and cadence. The lake's cadence
//   is steps per minute; FIT counts cycles (strides) for foot sports, so cadence = spm / 2 with the half step in
//   fractional_cadence. A column the row does not have is left out (never zero).
// - lap: one per workout_lap row: it starts where the previous lap ended (the first at the workout start) and ends at
//   the lap's end_ts (else start + its time); timer time, distance, average HR, calories and ascent as the vendor
//   gave them, max HR from the records inside it. Without vendor laps, one lap spans the whole workout with the
//   session's totals (`lapsFromVendor` says which).
// - session: sport and sub-sport from the workout type; the totals are the workout row's (timer time = duration_s,
//   elapsed = end - start, distance, calories, HR avg/max/min, ascent, descent, steps as strides, average cadence),
//   average speed = distance / timer time.
// - activity: local_timestamp = end + tz_offset_s, so platforms show the local time the workout happened.

import { Encoder, Profile } from '@garmin/fitsdk';

/** The `workout` row (registry names; timestamps in epoch ms). */
export interface FitWorkout {
  user_id: string;
  trackid: number;
  local_date: string;
  tz_offset_s: number | null;
  workout_type: number | null;
  workout_type_name: string | null;
  start_ts: number;
  end_ts: number | null;
  duration_s: number | null;
  distance_m: number | null;
  calories: number | null;
  total_steps: number | null;
  avg_hr: number | null;
  max_hr: number | null;
  min_hr: number | null;
  avg_cadence: number | null;
  ascent_m: number | null;
  descent_m: number | null;
  device_id: string | null;
}

/** The `workout_sample` columns a record carries. */
export interface FitSample {
  ts: number;
  lat: number | null;
  lon: number | null;
  altitude_m: number | null;
  heart_rate: number | null;
  distance_m: number | null;
  cadence: number | null;
  speed: number | null;
}

export interface FitPause {
  start_ts: number;
  end_ts: number | null;
}

export interface FitLap {
  lap_index: number;
  duration_s: number | null;
  distance_m: number | null;
  avg_hr: number | null;
  end_ts: number | null;
  ascent_m: number | null;
  descent_m: number | null;
  calories: number | null;
}

export interface FitActivity {
  workout: FitWorkout;
  samples: readonly FitSample[];
  pauses: readonly FitPause[];
  laps: readonly FitLap[];
}

export interface FitFile {
  bytes: Uint8Array;
  records: number;
  laps: number;
  lapsFromVendor: boolean;
  sport: string;
  subSport: string;
}

type SportPair = readonly [sport: string, subSport: string];

/** The app API's type names (decode-workouts.ts) and the official API's (api-doc sports `type`). */
const SPORTS: Readonly<Record<string, SportPair>> = {
  running: ['running', 'generic'],
  walking: ['walking', 'generic'],
  treadmill: ['running', 'treadmill'],
  cycling: ['cycling', 'generic'],
  indoor_cycling: ['cycling', 'indoorCycling'],
  indoor_swimming: ['swimming', 'lapSwimming'],
  indoor_rowing: ['rowing', 'indoorRowing'],
  badminton: ['racket', 'badminton'],
  other: ['generic', 'generic'],
  OUTDOOR_RUN: ['running', 'generic'],
  WALKING: ['walking', 'generic'],
  TRAILRUN: ['running', 'trail'],
  TREADMILL: ['running', 'treadmill'],
  OUTDOOR_CYCLING: ['cycling', 'generic'],
  INDOOR_CYCLING: ['cycling', 'indoorCycling'],
  ELLIPTICL: ['fitnessEquipment', 'elliptical'],
};

/** FIT sport and sub-sport of a workout type; an unknown type is `generic` (FIT's "other"). */
export function fitSport(typeName: string | null): SportPair {
  return (typeName !== null && SPORTS[typeName]) || ['generic', 'generic'];
}

/** `<user>_<local date>_<trackid>.fit`, like the GPX export's names. */
export function fitFileName(userId: string, localDate: string, trackid: number): string {
  return `${userId}_${localDate}_${trackid}.fit`;
}

const SEMICIRCLES_PER_DEGREE = 2 ** 31 / 180;
const FIT_EPOCH_S = 631_065_600;
const MESG = Profile.MesgNum;

const fitSeconds = (ms: number) => Math.round(ms / 1000) - FIT_EPOCH_S;
const when = (ms: number) => new Date(Math.round(ms / 1000) * 1000);
const inRange = (v: number | null, lo: number, hi: number): v is number => v !== null && v >= lo && v <= hi;

/** Where the workout ends: the row's end, else the last thing recorded, else start + its time. */
function workoutEnd(a: FitActivity): number {
  const w = a.workout;
  const lastSample = a.samples.reduce((m, s) => Math.max(m, s.ts), w.start_ts);
  if (w.end_ts !== null && w.end_ts >= lastSample) return w.end_ts;
  return Math.max(lastSample, w.start_ts + (w.duration_s ?? 0) * 1000);
}

/** Pauses as sorted, merged [start, end) ms intervals inside the workout. */
function pauseIntervals(pauses: readonly FitPause[], start: number, end: number): [number, number][] {
  const cut = pauses
    .filter((p): p is { start_ts: number; end_ts: number } => p.end_ts !== null)
    .map((p) => [Math.max(start, p.start_ts), Math.min(end, p.end_ts)] as [number, number])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of cut) {
    const last = merged.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged;
}

function pausedMs(intervals: readonly [number, number][], from: number, to: number): number {
  let ms = 0;
  for (const [a, b] of intervals) ms += Math.max(0, Math.min(to, b) - Math.max(from, a));
  return ms;
}

function recordMesg(s: FitSample): Record<string, unknown> {
  const m: Record<string, unknown> = { mesgNum: MESG.RECORD, timestamp: when(s.ts) };
  if (s.lat !== null && s.lon !== null) {
    m.positionLat = Math.round(s.lat * SEMICIRCLES_PER_DEGREE);
    m.positionLong = Math.round(s.lon * SEMICIRCLES_PER_DEGREE);
  }
  if (inRange(s.altitude_m, -500, 850_000)) m.enhancedAltitude = s.altitude_m;
  if (inRange(s.heart_rate, 1, 254)) m.heartRate = Math.round(s.heart_rate);
  if (inRange(s.distance_m, 0, 42_949_672)) m.distance = s.distance_m;
  if (inRange(s.speed, 0, 4_294_967)) m.enhancedSpeed = s.speed;
  if (inRange(s.cadence, 0, 509)) {
    m.cadence = Math.floor(s.cadence / 2);
    m.fractionalCadence = (s.cadence % 2) / 2;
  }
  return m;
}

const timerEvent = (ms: number, type: 'start' | 'stopAll') => ({
  mesgNum: MESG.EVENT,
  timestamp: when(ms),
  event: 'timer',
  eventType: type,
  eventGroup: 0,
});

/** Timer events and records, in time order (an event before a record of the same second). */
function timeline(a: FitActivity, start: number, end: number, pauses: readonly [number, number][]) {
  const events = [timerEvent(start, 'start')];
  for (const [from, to] of pauses) events.push(timerEvent(from, 'stopAll'), timerEvent(to, 'start'));
  events.push(timerEvent(end, 'stopAll'));
  const records = [...a.samples].sort((x, y) => x.ts - y.ts).map(recordMesg);
  const out: Record<string, unknown>[] = [];
  let i = 0;
  for (const r of records) {
    while (i < events.length && (events[i]?.timestamp as Date) <= (r.timestamp as Date)) out.push(events[i++]!);
    out.push(r);
  }
  while (i < events.length) out.push(events[i++]!);
  return { messages: out, records: records.length };
}

const maxHrBetween = (samples: readonly FitSample[], from: number, to: number) => {
  let max: number | null = null;
  for (const s of samples)
    if (s.ts > from && s.ts <= to && inRange(s.heart_rate, 1, 254)) max = Math.max(max ?? 0, s.heart_rate);
  return max;
};

function sessionTotals(w: FitWorkout, sport: SportPair): Record<string, unknown> {
  const t: Record<string, unknown> = {};
  if (w.distance_m !== null) t.totalDistance = w.distance_m;
  if (inRange(w.calories, 0, 65_534)) t.totalCalories = Math.round(w.calories);
  if (inRange(w.avg_hr, 1, 254)) t.avgHeartRate = Math.round(w.avg_hr);
  if (inRange(w.max_hr, 1, 254)) t.maxHeartRate = w.max_hr;
  if (inRange(w.min_hr, 1, 254)) t.minHeartRate = w.min_hr;
  if (inRange(w.ascent_m, 0, 65_534)) t.totalAscent = Math.round(w.ascent_m);
  if (inRange(w.descent_m, 0, 65_534)) t.totalDescent = Math.round(w.descent_m);
  const foot = sport[0] === 'running' || sport[0] === 'walking';
  if (foot && inRange(w.total_steps, 1, 2 ** 32 - 2)) {
    t.totalCycles = Math.floor(w.total_steps / 2);
    t.totalFractionalCycles = (w.total_steps % 2) / 2;
  }
  if (foot && inRange(w.avg_cadence, 1, 509)) {
    t.avgCadence = Math.floor(w.avg_cadence / 2);
    t.avgFractionalCadence = (w.avg_cadence / 2) % 1;
  }
  return t;
}

function vendorLaps(a: FitActivity, start: number, end: number, pauses: readonly [number, number][]) {
  let from = start;
  return [...a.laps]
    .sort((x, y) => x.lap_index - y.lap_index)
    .map((l, i) => {
      const planned = l.end_ts ?? from + (l.duration_s ?? 0) * 1000;
      const to = Math.min(end, Math.max(from, planned));
      const m: Record<string, unknown> = {
        mesgNum: MESG.LAP,
        messageIndex: i,
        event: 'lap',
        eventType: 'stop',
        startTime: when(from),
        timestamp: when(to),
        totalElapsedTime: (to - from) / 1000,
        totalTimerTime: l.duration_s ?? (to - from - pausedMs(pauses, from, to)) / 1000,
      };
      if (l.distance_m !== null) m.totalDistance = l.distance_m;
      if (inRange(l.avg_hr, 1, 254)) m.avgHeartRate = Math.round(l.avg_hr);
      const max = maxHrBetween(a.samples, from, to);
      if (max !== null) m.maxHeartRate = max;
      if (inRange(l.calories, 0, 65_534)) m.totalCalories = Math.round(l.calories);
      if (inRange(l.ascent_m, 0, 65_534)) m.totalAscent = Math.round(l.ascent_m);
      if (inRange(l.descent_m, 0, 65_534)) m.totalDescent = Math.round(l.descent_m);
      from = to;
      return m;
    });
}

type Mesg = Record<string, unknown>;

/** The one lap of a workout without vendor laps: the whole workout, with the session's totals. */
function wholeWorkoutLap(start: number, end: number, timerS: number, totals: Mesg): Mesg {
  return {
    mesgNum: MESG.LAP,
    messageIndex: 0,
    event: 'lap',
    eventType: 'stop',
    lapTrigger: 'sessionEnd',
    startTime: when(start),
    timestamp: when(end),
    totalElapsedTime: (end - start) / 1000,
    totalTimerTime: timerS,
    ...totals,
  };
}

/** The laps, the session and the activity: the summary messages that close the file. */
function summaryMessages(a: FitActivity, start: number, end: number, pauses: readonly [number, number][]) {
  const w = a.workout;
  const timerS = w.duration_s ?? (end - start - pausedMs(pauses, start, end)) / 1000;
  const sport = fitSport(w.workout_type_name);
  const common = { sport: sport[0], subSport: sport[1] };
  const totals = sessionTotals(w, sport);
  const laps = (
    a.laps.length > 0 ? vendorLaps(a, start, end, pauses) : [wholeWorkoutLap(start, end, timerS, totals)]
  ).map((lap) => ({ ...lap, ...common }));
  const session: Mesg = {
    mesgNum: MESG.SESSION,
    messageIndex: 0,
    event: 'session',
    eventType: 'stop',
    trigger: 'activityEnd',
    startTime: when(start),
    timestamp: when(end),
    totalElapsedTime: (end - start) / 1000,
    totalTimerTime: timerS,
    firstLapIndex: 0,
    numLaps: laps.length,
    ...common,
    ...totals,
  };
  const first = a.samples.find((s) => s.lat !== null && s.lon !== null);
  if (first) {
    session.startPositionLat = Math.round((first.lat as number) * SEMICIRCLES_PER_DEGREE);
    session.startPositionLong = Math.round((first.lon as number) * SEMICIRCLES_PER_DEGREE);
  }
  if (w.distance_m !== null && timerS > 0) session.enhancedAvgSpeed = w.distance_m / timerS;
  const activity: Mesg = {
    mesgNum: MESG.ACTIVITY,
    timestamp: when(end),
    totalTimerTime: timerS,
    numSessions: 1,
    type: 'manual',
    event: 'activity',
    eventType: 'stop',
  };
  if (w.tz_offset_s !== null) activity.localTimestamp = fitSeconds(end) + w.tz_offset_s;
  return { laps, session, activity, sport };
}

/** The FIT activity file of one workout. */
export function workoutToFit(a: FitActivity): FitFile {
  const w = a.workout;
  const start = w.start_ts;
  const end = workoutEnd(a);
  const pauses = pauseIntervals(a.pauses, start, end);
  const { laps, session, activity, sport } = summaryMessages(a, start, end, pauses);
  const { messages, records } = timeline(a, start, end, pauses);
  const encoder = new Encoder();
  const write = (m: Mesg) => encoder.writeMesg(m as unknown as Parameters<Encoder['writeMesg']>[0]);
  write({
    mesgNum: MESG.FILE_ID,
    type: 'activity',
    manufacturer: 'development',
    product: 0,
    productName: 'zepp-lake',
    timeCreated: when(start),
  });
  write({
    mesgNum: MESG.DEVICE_INFO,
    timestamp: when(start),
    deviceIndex: 'creator',
    manufacturer: 'zepp',
    productName: (w.device_id ?? 'Zepp / Amazfit device').slice(0, 40),
  });
  for (const m of [...messages, ...laps, session, activity]) write(m);
  return {
    bytes: encoder.close(),
    records,
    laps: laps.length,
    lapsFromVendor: a.laps.length > 0,
    sport: sport[0],
    subSport: sport[1],
  };
}
