// sport/run/history.json -> workout rows; sport/run/detail.json -> workout_sample rows (one per second
// that any series touches), plus workout_pause and workout_lap rows (decode-workout-segments.ts). The series
// formats and rules are docs/decoding-rules.md and reference §4.2.

import {
  decodeLapRows,
  decodePauseRows,
  samplesBySecond,
  type WorkoutSegmentBase,
} from '../../core/decode-workout-segments.ts';
import { MalformedPayloadError } from '../../core/errors.ts';
import type { DecodeContext } from '../../core/ports.ts';
import { assertRowsFit, saneMs } from '../../core/row-guard.ts';
import type { Row, TableRows } from '../../core/schema-registry.ts';
import { localDateOf } from '../../core/time.ts';
import { checkLegacyEnvelope, isObject, type JsonObject, num, numOrNull, str } from '../../core/vendor-values.ts';

/** Vendor workout `type` codes seen in real data (reference §4.1). Unknown codes read `type_<n>`. */
export const WORKOUT_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'running',
  6: 'walking',
  8: 'treadmill',
  9: 'cycling',
  10: 'indoor_cycling',
  14: 'indoor_swimming',
  16: 'other',
  23: 'indoor_rowing',
  92: 'badminton',
};

export function workoutTypeName(type: number | null): string | null {
  if (type === null) return null;
  return WORKOUT_TYPE_NAMES[type] ?? `type_${type}`;
}

/** What the engine needs from a history item to fetch and decode its detail. */
export interface WorkoutHistoryItem {
  trackid: number;
  /** The vendor track source (`run.mifit.huami.com`...), a detail.json parameter. */
  source: string | null;
  /** The item as received, for decodeWorkoutDetail's summary argument. */
  raw: JsonObject;
}

const NA = [-1];
const NA_HR = [-1, 0];

function parseTrackid(value: unknown, field: string): number {
  const n = num(value, field);
  if (n === null || !Number.isSafeInteger(n) || n <= 0) {
    throw new MalformedPayloadError(field, `not a track id: ${String(value).slice(0, 20)}`);
  }
  return n;
}

function workoutTz(ctx: DecodeContext, startMs: number, field: string): { tz: number | null; localDate: string } {
  saneMs(startMs, field);
  const tz = ctx.tzOffsetAt?.(startMs) ?? null;
  return { tz, localDate: localDateOf(startMs, tz ?? 0) };
}

/** One history.json `summary[]` item -> its workout row (path: prefix of field names in errors). */
export function decodeWorkoutItem(item: unknown, ctx: DecodeContext, path = ''): Row {
  if (!isObject(item)) throw new MalformedPayloadError(path.replace(/\.$/, '') || 'item', 'expected an object');
  const f = (key: string) => `${path}${key}`;
  const trackid = parseTrackid(item.trackid, f('trackid'));
  const startMs = trackid * 1000;
  const { tz, localDate } = workoutTz(ctx, startMs, f('trackid'));
  const end = numOrNull(item.end_time, f('end_time'), NA);
  const type = num(item.type, f('type'));
  const row: Row = {
    user_id: ctx.userId,
    local_date: localDate,
    tz_offset_s: tz,
    trackid,
    workout_type: type,
    workout_type_name: workoutTypeName(type),
    start_ts: startMs,
    end_ts: end === null ? null : saneMs(end * 1000, f('end_time')),
    duration_s: numOrNull(item.run_time, f('run_time'), NA),
    distance_m: numOrNull(item.dis, f('dis'), NA),
    calories: numOrNull(item.calorie, f('calorie'), NA),
    total_steps: numOrNull(item.total_step, f('total_step'), NA),
    avg_hr: numOrNull(item.avg_heart_rate, f('avg_heart_rate'), NA_HR),
    max_hr: numOrNull(item.max_heart_rate, f('max_heart_rate'), NA_HR),
    min_hr: numOrNull(item.min_heart_rate, f('min_heart_rate'), NA_HR),
    avg_pace_s_per_m: numOrNull(item.avg_pace, f('avg_pace'), NA),
    avg_cadence: numOrNull(item.avg_frequency, f('avg_frequency'), NA),
    ascent_m: numOrNull(item.altitude_ascend, f('altitude_ascend'), NA),
    descent_m: numOrNull(item.altitude_descend, f('altitude_descend'), NA),
    device_id: str(item.bind_device, f('bind_device')),
    track_source: str(item.source, f('source')),
    source: ctx.source,
  };
  assertRowsFit({ workout: [row] });
  return row;
}

/**
 * The history.json response (`{code, data:{next, summary:[...]}}`) or one `summary[]` item.
 * `next` is the cursor to pass back as `trackid`, -1 on the last page (and for a single item).
 */
export function decodeWorkoutHistory(
  body: unknown,
  ctx: DecodeContext,
): { rows: Row[]; next: number; items: WorkoutHistoryItem[] } {
  if (!isObject(body)) throw new MalformedPayloadError('body', 'expected a JSON object');
  if (!('code' in body) && !('data' in body)) {
    const row = decodeWorkoutItem(body, ctx);
    return { rows: [row], next: -1, items: [historyItem(body, row)] };
  }
  checkLegacyEnvelope(body);
  const data = body.data;
  if (!isObject(data)) throw new MalformedPayloadError('data', 'expected an object');
  const next = num(data.next, 'data.next') ?? -1;
  const summary = data.summary ?? [];
  if (!Array.isArray(summary)) throw new MalformedPayloadError('data.summary', 'expected an array');
  const rows: Row[] = [];
  const items: WorkoutHistoryItem[] = [];
  summary.forEach((item: unknown, i) => {
    const row = decodeWorkoutItem(item, ctx, `data.summary[${i}].`);
    rows.push(row);
    items.push(historyItem(item as JsonObject, row));
  });
  return { rows, next, items };
}

function historyItem(raw: JsonObject, row: Row): WorkoutHistoryItem {
  return { trackid: row.trackid as number, source: row.track_source as string | null, raw };
}

// ---------------------------------------------------------------- detail series

/** `a;b;c;` -> entries; the trailing separator does not make an entry, '' (or absent) has none. */
export function splitEntries(series: unknown, field: string): string[] {
  if (series === undefined || series === null || series === '') return [];
  if (typeof series !== 'string') throw new MalformedPayloadError(field, `expected a string, got ${typeof series}`);
  const entries = series.split(';');
  if (entries[entries.length - 1] === '') entries.pop();
  return entries;
}

/** An entry as an error message shows it: quoted, and short (one bad entry may hold a megabyte). */
function quoted(text: string | undefined): string {
  return text === undefined ? 'null' : JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

function parseNumber(text: string | undefined, field: string): number {
  const t = text?.trim();
  if (t) {
    const n = Number(t);
    if (Number.isFinite(n)) return n;
  }
  throw new MalformedPayloadError(field, `bad value ${quoted(text)}`);
}

/** A pair-series time delta: empty means one second. */
function parseDelta(text: string | undefined, field: string): number {
  return text === undefined || text.trim() === '' ? 1 : parseNumber(text, field);
}

export interface GpsSample {
  /** epoch s */
  t: number;
  lat: number | null;
  lon: number | null;
  altitudeM: number | null;
}

/**
 * GPS: `time` deltas (empty = 0), `longitude_latitude` as `lat,lon` x1e8 with the first pair absolute and
 * the rest deltas (an empty entry is a missing point that keeps the position), `altitude` absolute cm
 * (-2000000 = none). One sample per `longitude_latitude` entry; altitude is read for missing points too.
 */
export function decodeGpsSeries(detail: JsonObject, trackid: number): GpsSample[] {
  const times = splitEntries(detail.time, 'time');
  const coords = splitEntries(detail.longitude_latitude, 'longitude_latitude');
  const altitudes = splitEntries(detail.altitude, 'altitude');
  const out: GpsSample[] = [];
  let t = trackid;
  let lat = 0; // integer 1e-8 degrees; sums stay exact in a double
  let lon = 0;
  for (let i = 0; i < coords.length; i++) {
    const dt = times[i];
    if (dt !== undefined && dt.trim() !== '') t += parseNumber(dt, `time[${i}]`);
    const alt = altitudes[i];
    const cm = alt === undefined || alt.trim() === '' ? null : parseNumber(alt, `altitude[${i}]`);
    const altitudeM = cm === null || cm === -2_000_000 ? null : cm / 100;
    const pair = coords[i]!;
    if (pair.trim() === '') {
      out.push({ t, lat: null, lon: null, altitudeM });
      continue;
    }
    const comma = pair.indexOf(',');
    if (comma < 0) throw new MalformedPayloadError(`longitude_latitude[${i}]`, `bad pair ${quoted(pair)}`);
    lat += parseNumber(pair.slice(0, comma), `longitude_latitude[${i}]`);
    lon += parseNumber(pair.slice(comma + 1), `longitude_latitude[${i}]`);
    out.push({ t, lat: lat / 1e8, lon: lon / 1e8, altitudeM });
  }
  return out;
}

/**
 * A `dt,value[,...]` series: time always cumulative (empty dt = 1 s), value cumulative or absolute.
 * Returns [t, value, ...rest fields] per entry; empty entries are skipped.
 */
function decodeTimedSeries(
  series: unknown,
  field: string,
  trackid: number,
  { fields, cumulative }: { fields: number; cumulative: boolean },
): { t: number; v: number; extra: number[] }[] {
  const entries = splitEntries(series, field);
  const out: { t: number; v: number; extra: number[] }[] = [];
  let t = trackid;
  let v = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry === '') continue;
    const parts = entry.split(',');
    const ef = `${field}[${i}]`;
    if (parts.length < fields) throw new MalformedPayloadError(ef, `expected ${fields} fields in ${quoted(entry)}`);
    t += parseDelta(parts[0], ef);
    const value = parseNumber(parts[1], ef);
    v = cumulative ? v + value : value;
    const extra: number[] = [];
    for (let k = 2; k < fields; k++) extra.push(parseNumber(parts[k], ef));
    out.push({ t, v, extra });
  }
  return out;
}

/** `heart_rate`: `dt,dhr`, both cumulative; HR 0/254/255 -> null. */
export function decodeHeartRateSeries(series: unknown, trackid: number): { t: number; hr: number | null }[] {
  return decodeTimedSeries(series, 'heart_rate', trackid, { fields: 2, cumulative: true }).map(({ t, v }) => ({
    t,
    hr: v === 0 || v === 254 || v === 255 ? null : v,
  }));
}

/** `distance`: `dt,dm`, both cumulative (metres). */
export function decodeDistanceSeries(series: unknown, trackid: number): { t: number; meters: number }[] {
  return decodeTimedSeries(series, 'distance', trackid, { fields: 2, cumulative: true }).map(({ t, v }) => ({
    t,
    meters: v,
  }));
}

/** `gait`: `dt,dsteps,stride_cm,cadence`: time and steps cumulative, stride and cadence absolute. */
export function decodeGaitSeries(
  series: unknown,
  trackid: number,
): { t: number; steps: number; strideCm: number; cadence: number }[] {
  return decodeTimedSeries(series, 'gait', trackid, { fields: 4, cumulative: true }).map(({ t, v, extra }) => ({
    t,
    steps: v,
    strideCm: extra[0]!,
    cadence: extra[1]!,
  }));
}

/** `speed`: `dt,m/s`, time cumulative, value absolute ("%d, %0.2f" with a space is fine). */
export function decodeSpeedSeries(series: unknown, trackid: number): { t: number; mps: number }[] {
  return decodeTimedSeries(series, 'speed', trackid, { fields: 2, cumulative: false }).map(({ t, v }) => ({
    t,
    mps: v,
  }));
}

/** `air_pressure_altitude`: `dt,dPa`, both cumulative. */
export function decodePressureSeries(series: unknown, trackid: number): { t: number; pa: number }[] {
  return decodeTimedSeries(series, 'air_pressure_altitude', trackid, { fields: 2, cumulative: true }).map(
    ({ t, v }) => ({ t, pa: v }),
  );
}

function detailData(detail: unknown): JsonObject {
  if (!isObject(detail)) throw new MalformedPayloadError('body', 'expected a JSON object');
  if ('code' in detail && !('trackid' in detail)) {
    checkLegacyEnvelope(detail);
    if (!isObject(detail.data)) throw new MalformedPayloadError('data', 'expected an object');
    return detail.data;
  }
  return detail;
}

/**
 * detail.json (the response or its bare `data` object) -> workout_sample rows, one per second any series
 * touches (within a second the last sample of a series wins), plus the workout row when the history item
 * is given. The track start comes from the detail's `trackid`, else from the item's.
 */
export function decodeWorkoutDetail(detail: unknown, summaryItem: unknown | undefined, ctx: DecodeContext): TableRows {
  const data = detailData(detail);
  const trackid = detailTrackid(data, summaryItem);
  const workout = summaryItem === undefined ? undefined : decodeWorkoutItem(summaryItem, ctx, 'summary.');
  if (workout && workout.trackid !== trackid) {
    throw new MalformedPayloadError('summary.trackid', `is ${workout.trackid}, the detail is ${trackid}`);
  }
  const { tz, localDate } = workoutTz(ctx, trackid * 1000, 'trackid');
  const segment: WorkoutSegmentBase = {
    user_id: ctx.userId,
    local_date: localDate,
    tz_offset_s: tz,
    trackid,
    source: ctx.source,
  };
  const rows: TableRows = { workout_sample: sampleRows(data, segment) };
  if (workout) rows.workout = [workout];
  const pauses = decodePauseRows(data.pause, 'pause', segment);
  if (pauses.length > 0) rows.workout_pause = pauses;
  const laps = decodeLapRows(data.lap, 'lap', segment);
  if (laps.length > 0) rows.workout_lap = laps;
  return assertRowsFit(rows);
}

function detailTrackid(data: JsonObject, summaryItem: unknown | undefined): number {
  if (data.trackid !== undefined && data.trackid !== null && data.trackid !== '') {
    return parseTrackid(data.trackid, 'trackid');
  }
  return isObject(summaryItem)
    ? parseTrackid(summaryItem.trackid, 'summary.trackid')
    : parseTrackid(undefined, 'trackid');
}

/** Every series merged by second, in time order; a column no series fills in that second stays null. */
function sampleRows(data: JsonObject, segment: WorkoutSegmentBase): Row[] {
  const trackid = segment.trackid;
  const { at, rows } = samplesBySecond(segment);
  for (const p of decodeGpsSeries(data, trackid)) {
    const row = at(p.t);
    row.lat = p.lat;
    row.lon = p.lon;
    row.altitude_m = p.altitudeM;
  }
  for (const s of decodeHeartRateSeries(data.heart_rate, trackid)) at(s.t).heart_rate = s.hr;
  for (const s of decodeDistanceSeries(data.distance, trackid)) at(s.t).distance_m = s.meters;
  for (const s of decodeGaitSeries(data.gait, trackid)) {
    const row = at(s.t);
    row.steps = s.steps;
    row.stride_cm = s.strideCm;
    row.cadence = s.cadence;
  }
  for (const s of decodeSpeedSeries(data.speed, trackid)) at(s.t).speed = s.mps;
  for (const s of decodePressureSeries(data.air_pressure_altitude, trackid)) at(s.t).pressure_pa = s.pa;
  return rows();
}
