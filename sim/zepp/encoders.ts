// Encoders for the Zepp app API payloads: the exact inverses of lambdas/sources/zepp/decode-*.ts, following
// docs/decoding-rules.md. The simulator builds its responses with them and the property tests check
// decode(encode(x)) = x, so every quirk the decoders accept (empty 1-second deltas, trailing `;`,
// missing GPS points, "%d, %0.2f" speeds) is produced here on purpose.

/** Kind byte of a minute without activity data (also used for future, not yet synced minutes). */
export const NO_DATA_KIND = 0x7e;
/** Heart-rate byte: no measurement in that minute. */
export const HR_NOT_MEASURED = 255;
/** Heart-rate byte: no data (future or not yet synced minute). */
export const HR_NO_DATA = 254;
/** Altitude placeholder (centimetres) of a GPS point without altitude. */
export const NO_ALTITUDE_CM = -2_000_000;

/**
 * One minute as the person's band saw it. `kind` null -> 0x7E no-data minute; `hr` null -> 255 (no
 * measurement). For future minutes pass `hrByte: 254` to encodeMinuteBlobs directly.
 */
export interface MinuteSample {
  kind: number | null;
  intensity: number;
  steps: number;
  hr: number | null;
}

export interface MinuteBytes {
  kindByte: number;
  intensity: number;
  steps: number;
  hrByte: number;
}

/** The bytes encodeMinuteBlobs wants for a MinuteSample. */
export function minuteBytes(sample: MinuteSample): MinuteBytes {
  return {
    kindByte: sample.kind ?? NO_DATA_KIND,
    intensity: sample.kind === null ? 0 : sample.intensity,
    steps: sample.kind === null ? 0 : sample.steps,
    hrByte: sample.hr ?? HR_NOT_MEASURED,
  };
}

function checkByte(value: number, what: string, minute: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new RangeError(`minute ${minute}: ${what} ${value} is not a byte`);
  }
  return value;
}

/** `data` (3 B/min: kind, intensity, steps) and `data_hr` (1 B/min), both base64. */
export function encodeMinuteBlobs(minutes: readonly MinuteBytes[]): { data: string; data_hr: string } {
  const activity = Buffer.alloc(minutes.length * 3);
  const heartRate = Buffer.alloc(minutes.length);
  for (let i = 0; i < minutes.length; i++) {
    const m = minutes[i]!;
    activity[i * 3] = checkByte(m.kindByte, 'kind', i);
    activity[i * 3 + 1] = checkByte(m.intensity, 'intensity', i);
    activity[i * 3 + 2] = checkByte(m.steps, 'steps', i);
    heartRate[i] = checkByte(m.hrByte, 'heart rate', i);
  }
  return { data: activity.toString('base64'), data_hr: heartRate.toString('base64') };
}

/** The band_data `summary` field: base64 of the JSON text. */
export function encodeSummary(summary: unknown): string {
  return Buffer.from(JSON.stringify(summary), 'utf8').toString('base64');
}

// ---------------------------------------------------------------- workout detail

export interface GpsPoint {
  /** epoch seconds */
  t: number;
  /** degrees; null = missing point */
  lat: number | null;
  lon: number | null;
  /** centimetres; null -> -2000000 */
  altitudeCm: number | null;
  accuracy?: number;
}

export interface DetailInput {
  /** epoch s */
  trackid: number;
  gps: GpsPoint[];
  heartRate: { t: number; hr: number }[];
  /** cumulative metres (integers) */
  distance: { t: number; meters: number }[];
  /** steps cumulative */
  gait: { t: number; steps: number; strideCm: number; cadence: number }[];
  speed: { t: number; mps: number }[];
  pressure: { t: number; pa: number }[];
  pauses?: { start: number; duration: number; startIndex: number; endIndex: number; type: number }[];
  /** pre-formatted lap string, passed through */
  laps?: string;
  /** the vendor track source (default `run.mifit.huami.com`) */
  source?: string;
}

/** `a;b;c;`: every entry followed by `;` (the vendor's trailing separator), '' when there are none. */
function joinEntries(entries: readonly string[]): string {
  return entries.length === 0 ? '' : `${entries.join(';')};`;
}

/** Time delta as the pair series write it: an empty field means exactly one second. */
function pairDelta(dt: number): string {
  return dt === 1 ? '' : String(dt);
}

/** Sample times as deltas: the first relative to the track start, the rest to the previous sample. */
function timeDeltas(times: readonly number[], start: number): number[] {
  const out = new Array<number>(times.length);
  let previous = start;
  for (let i = 0; i < times.length; i++) {
    out[i] = times[i]! - previous;
    previous = times[i]!;
  }
  return out;
}

/** x1e8 integer of a coordinate in degrees. */
function toE8(degrees: number): number {
  return Math.round(degrees * 1e8);
}

export function encodeGps(
  points: readonly GpsPoint[],
  trackid: number,
): { time: string; longitude_latitude: string; altitude: string; accuracy: string } {
  const deltas = timeDeltas(
    points.map((p) => p.t),
    trackid,
  );
  const coords: string[] = [];
  let lat = 0;
  let lon = 0;
  for (const p of points) {
    if (p.lat === null || p.lon === null) {
      coords.push(''); // missing point: keeps alignment, position unchanged
      continue;
    }
    const a = toE8(p.lat);
    const b = toE8(p.lon);
    coords.push(`${a - lat},${b - lon}`); // the first present pair is absolute (delta from 0)
    lat = a;
    lon = b;
  }
  return {
    time: joinEntries(deltas.map(String)),
    longitude_latitude: joinEntries(coords),
    altitude: joinEntries(points.map((p) => String(p.altitudeCm ?? NO_ALTITUDE_CM))),
    accuracy: joinEntries(points.map((p) => String(p.accuracy ?? 0))),
  };
}

/** `dt,dv` with both time and value as deltas (heart_rate, distance, air_pressure_altitude). */
export function encodeCumulativePairs(samples: readonly { t: number; v: number }[], trackid: number): string {
  const entries: string[] = [];
  let t = trackid;
  let v = 0;
  for (const s of samples) {
    entries.push(`${pairDelta(s.t - t)},${s.v - v}`);
    t = s.t;
    v = s.v;
  }
  return joinEntries(entries);
}

/** Whether `value` survives "%0.2f" unchanged. */
function hasTwoDecimals(value: number): boolean {
  return Number(value.toFixed(2)) === value;
}

/**
 * `dt,value` with an absolute value. Values that fit "%0.2f" are written the way the iOS encoder does
 * ("%d, %0.2f", with a space) on every other entry; anything else is written exactly.
 */
export function encodeSpeed(samples: readonly { t: number; mps: number }[], trackid: number): string {
  const entries: string[] = [];
  let t = trackid;
  samples.forEach((s, i) => {
    const dt = pairDelta(s.t - t);
    t = s.t;
    if (i % 2 === 1 && hasTwoDecimals(s.mps)) entries.push(`${dt}, ${s.mps.toFixed(2)}`);
    else entries.push(`${dt},${String(s.mps)}`);
  });
  return joinEntries(entries);
}

/** `dt,dsteps,stride_cm,cadence`: time and steps as deltas, stride and cadence absolute. */
export function encodeGait(
  samples: readonly { t: number; steps: number; strideCm: number; cadence: number }[],
  trackid: number,
): string {
  const entries: string[] = [];
  let t = trackid;
  let steps = 0;
  for (const s of samples) {
    entries.push(`${pairDelta(s.t - t)},${s.steps - steps},${s.strideCm},${s.cadence}`);
    t = s.t;
    steps = s.steps;
  }
  return joinEntries(entries);
}

/** Per-GPS-point pace (not decoded into rows): the latest speed at or before the point, "%0.2f". */
function paceAtPoints(points: readonly GpsPoint[], speed: readonly { t: number; mps: number }[]): string {
  const out: string[] = [];
  let j = 0;
  let current = 0;
  for (const p of points) {
    while (j < speed.length && speed[j]!.t <= p.t) current = speed[j++]!.mps;
    out.push(current.toFixed(2));
  }
  return joinEntries(out);
}

/** The detail.json `data` object for a workout. */
export function encodeWorkoutDetail(input: DetailInput): Record<string, string | number> {
  const { trackid } = input;
  const gps = encodeGps(input.gps, trackid);
  const pauses = (input.pauses ?? []).map((p) => `${p.start},${p.duration},${p.startIndex},${p.endIndex},${p.type}`);
  return {
    trackid,
    source: input.source ?? 'run.mifit.huami.com',
    time: gps.time,
    longitude_latitude: gps.longitude_latitude,
    altitude: gps.altitude,
    accuracy: gps.accuracy,
    flag: joinEntries(input.gps.map(() => '1')),
    pace: paceAtPoints(input.gps, input.speed),
    heart_rate: encodeCumulativePairs(
      input.heartRate.map((s) => ({ t: s.t, v: s.hr })),
      trackid,
    ),
    distance: encodeCumulativePairs(
      input.distance.map((s) => ({ t: s.t, v: s.meters })),
      trackid,
    ),
    gait: encodeGait(input.gait, trackid),
    speed: encodeSpeed(input.speed, trackid),
    air_pressure_altitude: encodeCumulativePairs(
      input.pressure.map((s) => ({ t: s.t, v: s.pa })),
      trackid,
    ),
    pause: joinEntries(pauses),
    lap: input.laps ?? '',
    kilo_pace: '',
    mile_pace: '',
    version: 15,
    provider: 'gaode',
  };
}

// ---------------------------------------------------------------- workout history

/** What the simulator knows about a workout; null = not available (sent as -1, like the vendor). */
export interface WorkoutSummaryInput {
  /** epoch s */
  trackid: number;
  type: number;
  source?: string;
  /** epoch s */
  endTime: number;
  runTimeS: number;
  distanceM: number;
  calories: number;
  totalSteps: number | null;
  avgHr: number | null;
  maxHr: number | null;
  minHr: number | null;
  /** s/m */
  avgPace: number | null;
  avgCadence: number | null;
  ascentM: number | null;
  descentM: number | null;
  bindDevice?: string;
}

/** Vendor decimals are strings like "722.0": a float-looking string for whole numbers. */
function decimalString(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/**
 * One history.json `summary[]` item, typed like the real ones: string-typed numerics (`dis`,
 * `calorie`, `run_time`...), number-typed counters, -1 for "not available", plus a few unused keys.
 */
export function encodeHistoryItem(w: WorkoutSummaryInput): Record<string, unknown> {
  return {
    trackid: String(w.trackid),
    source: w.source ?? 'run.mifit.huami.com',
    dis: decimalString(w.distanceM),
    calorie: decimalString(w.calories),
    end_time: String(w.endTime),
    run_time: String(w.runTimeS),
    avg_pace: w.avgPace === null ? '-1' : String(w.avgPace),
    avg_frequency: w.avgCadence === null ? '-1' : decimalString(w.avgCadence),
    avg_heart_rate: w.avgHr === null ? '0.0' : decimalString(w.avgHr),
    type: w.type,
    location: '',
    city: '',
    forefoot_ratio: '-1',
    bind_device: w.bindDevice ?? '',
    max_pace: -1,
    min_pace: -1,
    version: 15,
    altitude_ascend: w.ascentM ?? -1,
    altitude_descend: w.descentM ?? -1,
    total_step: w.totalSteps ?? -1,
    avg_stride_length: -1,
    max_heart_rate: w.maxHr ?? -1,
    min_heart_rate: w.minHr ?? -1,
    child_list: '[]',
    parent_trackid: 0,
    te: -1,
    pb: null,
    auto_recognition: false,
    app_name: 'com.xiaomi.hm.health',
    pause_time: '-1',
  };
}

/** The history.json response around a page of items. */
export function encodeHistoryResponse(
  items: readonly Record<string, unknown>[],
  next: number,
): Record<string, unknown> {
  return { code: 1, message: 'success', data: { next, summary: items } };
}
