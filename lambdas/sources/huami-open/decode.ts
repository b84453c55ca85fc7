// Decoders for the official partner "Huami Web API" (source `huami-open`, seed 003, reference §2.4) onto
// the same lake tables as the app API. Pure: no I/O, no clock.
//
// Public API
//   type HuamiOpenResource = 'profile' | 'devices' | 'activities' | 'sleep' | 'heartrates' | 'motionInMinute'
//                          | 'minutes' | 'sports' | 'sportDetail' | 'PaiSummary' | 'events'
//   interface HuamiOpenDecodeContext extends DecodeContext { tzOffsetS?: number; eventType?: string }
//   decodeHuamiOpen(resource, body, ctx): TableRows
//   decodeHuamiOpenMinutes(heartrates, motionInMinute, ctx): TableRows   (same as resource 'minutes')
//
// Time zone. The official API gives local dates and minute indexes, never the person's UTC offset. The
// offset comes from configuration (`ctx.tzOffsetS`, the user's `tzOffsetS`), and every row says so in
// `tz_offset_s`. Without it, local times are read as UTC and `tz_offset_s` is null. Instant-based resources
// (sports, events) fall back to `ctx.tzOffsetAt(ts)` when `tzOffsetS` is absent.
//
// Mapping (where the official API gives less than the app API, the column stays null; nothing is invented):
// - activities -> daily_summary: one row per `date`; hourly items (interval=hourly) of one date are summed.
//   steps, distance_m=distance, calories, run_distance_m=runDistance, run_calories=runCalories,
//   walk_min=walkTime, run_min=runTime, synced_ts=max(lastSyncTime)*1000; goal_steps, max_hr, device_id null.
// - sleep -> an item with any of deepSleepTime/shallowSleepTime/wakeTime/sleepScore (interval=daily) is a
//   sleep_session of the night following `date` (night_of = local_date = date); an item with only
//   start/stop/mode (interval=hourly) is a sleep_stage. `start`/`stop`: |v| < 1e8 is a minute index from
//   midnight(date) (0-2879 for amazfit devices; the doc's own example has -9, read the same way), otherwise a
//   timestamp (mifit devices; seconds, or ms when > 1e12). Session: start_ts = at(start), end_ts = at(stop)
//   (the wake-up minute). Stage minutes are inclusive, as in the app API: end_ts = at(stop) + 1 minute for a
//   minute index. deep_min=deepSleepTime, light_min=shallowSleepTime, awake_min=wakeTime,
//   sleep_score=sleepScore; rem_min, wake_count, resting_hr null (the official daily sleep has no REM total).
//   stage: 4 light, 5 deep, 7 awake, 8 rem, else unknown; mode = raw.
// - heartrates + motionInMinute -> activity_minute, merged by (date, minute): ts = midnight(date) + minute.
//   heart_rate = heartRateData (0, 254, 255 -> null); intensity = activeness, steps = steps.
//   activity_kind and kind_raw stay null: the official motion `mode` (0 silent, 1 walk, 2 run, 3 not worn,
//   4 deep sleep...) is a different code space from the app's kind byte, and the table has no column for it,
//   so it is not stored. A minute is emitted when it has a motion item or a heart rate. Decode the two
//   responses together (resource 'minutes', body {heartrates, motionInMinute}); decoding one alone gives rows
//   whose other columns are null, which would overwrite a merged row with the same key.
// - sports -> workout: trackid=trackId, start_ts/end_ts = startTime/endTime s, duration_s=sportTime,
//   distance_m, calories, avg_hr=averageHeartRate, avg_pace_s_per_m = 1/averagePace (the doc's averagePace
//   is m/s: distance/sportTime), avg_cadence=averageStepFrequency, ascent_m/descent_m=altitudeAscend/Descend,
//   device_id = track_source = device (sportDetail needs it back); workout_type null (the official `type` is a
//   name, e.g. OUTDOOR_RUN, kept in workout_type_name); total_steps, max_hr, min_hr null.
// - sportDetail -> workout_sample: the camelCase names of detail.json's delta series (docs/decoding-rules.md):
//   samplingTime (GPS time deltas), latitudeLongitude,
//   altitude, heartRate, distance, gait, speed, decoded by the shared series decoders of decode-workouts.ts
//   (errors name the official field). pressure_pa null (no air pressure series in the official API).
//   `pause` -> workout_pause and `lapPace` -> workout_lap, the app API's `pause` and `lap` formats
//   (decode-workout-segments.ts); kilometerPace / milePace stay in raw/ like the app API's kilo_pace.
// - PaiSummary -> pai: ts = timestamp, local_date = the date part of calendarDay. The doc's example says
//   "2019-12-27 +0000" with a timestamp of 2019-12-27 00:00 +08:00, so the " +0000" suffix is not trusted:
//   tz_offset_s is ctx.tzOffsetS.
// - events/{eventType} -> by eventType (the request's `ctx.eventType` first, since the doc's items carry a
//   placeholder eventType, else the item's): PaiHealthInfo -> pai, all_day_stress -> stress,
//   blood_oxygen -> spo2, readiness -> readiness, decoded by decode-events.ts (the app events rules) with
//   tz = ctx.tzOffsetS; others give no rows; a PaiHealthInfo item without any PAI value gives no row.
// - profile, devices -> no rows (validated only).

import { decodeLapRows, decodePauseRows } from '../../core/decode-workout-segments.ts';
import { MalformedPayloadError } from '../../core/errors.ts';
import type { DecodeContext } from '../../core/ports.ts';
import { assertRowsFit, saneMs } from '../../core/row-guard.ts';
import type { Row, TableRows } from '../../core/schema-registry.ts';
import { localDateOf, parseDate } from '../../core/time.ts';
import { isObject, type JsonObject, num, numOrNull, str } from '../../core/vendor-values.ts';
import { decodeEvents } from '../zepp/decode-events.ts';
import {
  decodeDistanceSeries,
  decodeGaitSeries,
  decodeGpsSeries,
  decodeHeartRateSeries,
  decodeSpeedSeries,
} from '../zepp/decode-workouts.ts';

export type HuamiOpenResource =
  | 'profile'
  | 'devices'
  | 'activities'
  | 'sleep'
  | 'heartrates'
  | 'motionInMinute'
  | 'minutes'
  | 'sports'
  | 'sportDetail'
  | 'PaiSummary'
  | 'events';

export const HUAMI_OPEN_RESOURCES: readonly HuamiOpenResource[] = [
  'profile',
  'devices',
  'activities',
  'sleep',
  'heartrates',
  'motionInMinute',
  'minutes',
  'sports',
  'sportDetail',
  'PaiSummary',
  'events',
];

export interface HuamiOpenDecodeContext extends DecodeContext {
  /** The user's UTC offset in seconds, from configuration (the official API never says it). */
  tzOffsetS?: number;
  /** For resource 'events': the eventType of the request path (`/users/-/events/{eventType}`). */
  eventType?: string;
}

const SOURCE = 'huami-open';
const MINUTE_MS = 60_000;
const HR_SENTINELS = [0, 254, 255] as const;

export function decodeHuamiOpen(resource: HuamiOpenResource, body: unknown, ctx: HuamiOpenDecodeContext): TableRows {
  return assertRowsFit(decodeResource(resource, body, ctx));
}

function decodeResource(resource: HuamiOpenResource, body: unknown, ctx: HuamiOpenDecodeContext): TableRows {
  switch (resource) {
    case 'profile':
      if (!isObject(body)) throw new MalformedPayloadError('body', 'expected the profile object');
      return {};
    case 'devices':
      itemsOf(body);
      return {};
    case 'activities':
      return { daily_summary: decodeActivities(body, ctx) };
    case 'sleep':
      return decodeSleep(body, ctx);
    case 'heartrates':
      return decodeHuamiOpenMinutes(body, undefined, ctx);
    case 'motionInMinute':
      return decodeHuamiOpenMinutes(undefined, body, ctx);
    case 'minutes': {
      if (!isObject(body)) throw new MalformedPayloadError('body', 'expected {heartrates, motionInMinute}');
      return decodeHuamiOpenMinutes(body.heartrates, body.motionInMinute, ctx);
    }
    case 'sports':
      return { workout: decodeSports(body, ctx) };
    case 'sportDetail':
      return decodeSportDetail(body, ctx);
    case 'PaiSummary':
      return { pai: decodePaiSummary(body, ctx) };
    case 'events':
      return decodeOpenEvents(body, ctx);
    default:
      throw new MalformedPayloadError('resource', `unknown huami-open resource ${String(resource)}`);
  }
}

// ------------------------------------------------------------------------------------------ shared

function itemsOf(body: unknown): JsonObject[] {
  const list = Array.isArray(body) ? body : isObject(body) ? body.items : undefined;
  if (!Array.isArray(list)) throw new MalformedPayloadError('items', 'expected {items:[...]}');
  return list.map((item, i) => {
    if (!isObject(item)) throw new MalformedPayloadError(`items[${i}]`, 'expected an object');
    return item;
  });
}

/** Configured offset: `tz` for the column (null when unknown), `off` to compute with (0 when unknown). */
function zoneOf(ctx: HuamiOpenDecodeContext, atMs?: number): { tz: number | null; off: number } {
  const tz = ctx.tzOffsetS ?? (atMs !== undefined ? (ctx.tzOffsetAt?.(atMs) ?? null) : null);
  return { tz, off: tz ?? 0 };
}

function dateOf(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new MalformedPayloadError(field, 'expected a YYYY-MM-DD date');
  try {
    parseDate(value);
  } catch (cause) {
    throw new MalformedPayloadError(field, `not a date: ${JSON.stringify(value.slice(0, 20))}`, { cause });
  }
  return value;
}

function int(value: unknown, field: string): number | null {
  const n = num(value, field);
  return n === null ? null : Math.round(n);
}

function required(value: number | null, field: string): number {
  if (value === null) throw new MalformedPayloadError(field, 'missing');
  return value;
}

/** Epoch seconds (or ms when > 1e12) -> ms. */
function secondsToMs(value: number): number {
  return Math.abs(value) > 1e12 ? value : value * 1000;
}

function base(ctx: HuamiOpenDecodeContext, localDate: string, tz: number | null): Row {
  return { user_id: ctx.userId, local_date: localDate, tz_offset_s: tz };
}

// ------------------------------------------------------------------------------------------ activities

const ACTIVITY_SUMS = [
  ['steps', 'steps'],
  ['distance_m', 'distance'],
  ['calories', 'calories'],
  ['run_distance_m', 'runDistance'],
  ['run_calories', 'runCalories'],
  ['walk_min', 'walkTime'],
  ['run_min', 'runTime'],
] as const;

function decodeActivities(body: unknown, ctx: HuamiOpenDecodeContext): Row[] {
  const { tz } = zoneOf(ctx);
  const byDate = new Map<string, Row>();
  itemsOf(body).forEach((item, i) => {
    const f = (k: string) => `items[${i}].${k}`;
    const date = dateOf(item.date, f('date'));
    let row = byDate.get(date);
    if (!row) {
      row = { ...base(ctx, date, tz), goal_steps: null, max_hr: null, device_id: null, synced_ts: null };
      for (const [column] of ACTIVITY_SUMS) row[column] = null;
      row.source = SOURCE;
      byDate.set(date, row);
    }
    for (const [column, key] of ACTIVITY_SUMS) {
      const v = int(item[key], f(key));
      if (v !== null) row[column] = ((row[column] as number | null) ?? 0) + v;
    }
    const sync = num(item.lastSyncTime, f('lastSyncTime'));
    if (sync !== null) row.synced_ts = Math.max((row.synced_ts as number | null) ?? 0, secondsToMs(sync));
  });
  return [...byDate.values()].sort((a, b) => String(a.local_date).localeCompare(String(b.local_date)));
}

// ------------------------------------------------------------------------------------------ sleep

const STAGE_NAMES: Readonly<Record<number, string>> = { 4: 'light', 5: 'deep', 7: 'awake', 8: 'rem' };

/** A `start`/`stop` value: minute index from midnight(date) or a timestamp. */
function sleepInstant(value: number, midnightMs: number): { ms: number; isMinute: boolean } {
  if (Math.abs(value) < 1e8) return { ms: midnightMs + value * MINUTE_MS, isMinute: true };
  return { ms: secondsToMs(value), isMinute: false };
}

function decodeSleep(body: unknown, ctx: HuamiOpenDecodeContext): TableRows {
  const { tz, off } = zoneOf(ctx);
  const sessions: Row[] = [];
  const stages: Row[] = [];
  itemsOf(body).forEach((item, i) => {
    const f = (k: string) => `items[${i}].${k}`;
    const date = dateOf(item.date, f('date'));
    const midnight = parseDate(date) - off * 1000;
    const start = num(item.start, f('start'));
    const stop = num(item.stop, f('stop'));
    const deep = int(item.deepSleepTime, f('deepSleepTime'));
    const light = int(item.shallowSleepTime, f('shallowSleepTime'));
    const awake = int(item.wakeTime, f('wakeTime'));
    const score = int(item.sleepScore, f('sleepScore'));
    const isSession = deep !== null || light !== null || awake !== null || score !== null;
    if (isSession) {
      const slept = (deep ?? 0) + (light ?? 0) > 0 || (start !== null && stop !== null && start !== stop);
      if (!slept) return; // an empty night: the API answers zeros for nights without sleep
      sessions.push({
        ...base(ctx, date, tz),
        night_of: date,
        start_ts: start === null ? null : sleepInstant(start, midnight).ms,
        end_ts: stop === null ? null : sleepInstant(stop, midnight).ms,
        deep_min: deep,
        light_min: light,
        rem_min: null,
        awake_min: awake,
        wake_count: null,
        sleep_score: score,
        resting_hr: null,
        source: SOURCE,
      });
      return;
    }
    const mode = int(item.mode, f('mode'));
    if (mode === null) throw new MalformedPayloadError(f('mode'), 'an item needs sleep totals or a stage mode');
    const from = sleepInstant(required(start, f('start')), midnight);
    const to = sleepInstant(required(stop, f('stop')), midnight);
    stages.push({
      ...base(ctx, date, tz),
      night_of: date,
      start_ts: from.ms,
      end_ts: to.isMinute ? to.ms + MINUTE_MS : to.ms,
      stage: STAGE_NAMES[mode] ?? 'unknown',
      mode,
      source: SOURCE,
    });
  });
  const out: TableRows = {};
  if (sessions.length > 0) out.sleep_session = sessions;
  if (stages.length > 0) out.sleep_stage = stages;
  return out;
}

// ------------------------------------------------------------------------------------------ minutes

/** heartrates + motionInMinute merged by minute onto activity_minute. Either body may be undefined. */
export function decodeHuamiOpenMinutes(
  heartrates: unknown,
  motionInMinute: unknown,
  ctx: HuamiOpenDecodeContext,
): TableRows {
  const { tz, off } = zoneOf(ctx);
  const rows = new Map<number, Row>();
  const rowAt = (date: string, minute: number): Row => {
    const ts = parseDate(date) - off * 1000 + minute * MINUTE_MS;
    let row = rows.get(ts);
    if (!row) {
      row = {
        user_id: ctx.userId,
        ts,
        local_date: date,
        tz_offset_s: tz,
        activity_kind: null,
        kind_raw: null,
        intensity: null,
        steps: null,
        heart_rate: null,
        device_id: null,
        source: SOURCE,
      };
      rows.set(ts, row);
    }
    return row;
  };
  const minuteOf = (item: JsonObject, f: (k: string) => string): number => {
    const m = required(num(item.minute, f('minute')), f('minute'));
    if (!Number.isInteger(m) || m < 0 || m > 1439) throw new MalformedPayloadError(f('minute'), `not 0-1439: ${m}`);
    return m;
  };
  if (motionInMinute !== undefined) {
    itemsOf(motionInMinute).forEach((item, i) => {
      const f = (k: string) => `motionInMinute.items[${i}].${k}`;
      const row = rowAt(dateOf(item.date, f('date')), minuteOf(item, f));
      row.intensity = int(item.activeness, f('activeness'));
      row.steps = int(item.steps, f('steps'));
    });
  }
  if (heartrates !== undefined) {
    itemsOf(heartrates).forEach((item, i) => {
      const f = (k: string) => `heartrates.items[${i}].${k}`;
      const date = dateOf(item.date, f('date'));
      const minute = minuteOf(item, f);
      const hr = numOrNull(item.heartRateData, f('heartRateData'), HR_SENTINELS);
      if (hr === null) return; // "if didn't wear ... heart rate would be 0": no row of its own
      rowAt(date, minute).heart_rate = Math.round(hr);
    });
  }
  const list = [...rows.values()].sort((a, b) => (a.ts as number) - (b.ts as number));
  return assertRowsFit(list.length > 0 ? { activity_minute: list } : {});
}

// ------------------------------------------------------------------------------------------ sports

function decodeSports(body: unknown, ctx: HuamiOpenDecodeContext): Row[] {
  return itemsOf(body).map((item, i) => {
    const f = (k: string) => `items[${i}].${k}`;
    const trackid = required(num(item.trackId, f('trackId')), f('trackId'));
    const startTime = num(item.startTime, f('startTime'));
    const startMs = saneMs(secondsToMs(startTime ?? trackid), f(startTime === null ? 'trackId' : 'startTime'));
    const end = num(item.endTime, f('endTime'));
    const pace = num(item.averagePace, f('averagePace'));
    const device = str(item.device, f('device'));
    const { tz, off } = zoneOf(ctx, startMs);
    return {
      ...base(ctx, localDateOf(startMs, off), tz),
      trackid,
      workout_type: null,
      workout_type_name: str(item.type, f('type')),
      start_ts: startMs,
      end_ts: end === null ? null : secondsToMs(end),
      duration_s: int(item.sportTime, f('sportTime')),
      distance_m: num(item.distance, f('distance')),
      calories: num(item.calories, f('calories')),
      total_steps: null,
      avg_hr: numOrNull(item.averageHeartRate, f('averageHeartRate'), [0, -1]),
      max_hr: null,
      min_hr: null,
      avg_pace_s_per_m: pace === null || pace <= 0 ? null : 1 / pace,
      avg_cadence: numOrNull(item.averageStepFrequency, f('averageStepFrequency'), [-1]),
      ascent_m: numOrNull(item.altitudeAscend, f('altitudeAscend'), [-1]),
      descent_m: numOrNull(item.altitudeDescend, f('altitudeDescend'), [-1]),
      device_id: device,
      track_source: device,
      source: SOURCE,
    };
  });
}

// ------------------------------------------------------------------------------------------ sportDetail

/** The app API's series names, as the shared series decoders report them, -> the official names. */
const OFFICIAL_SERIES_NAMES: Readonly<Record<string, string>> = {
  time: 'samplingTime',
  longitude_latitude: 'latitudeLongitude',
  heart_rate: 'heartRate',
};

/** Runs a shared series decoder and reports a bad field under its official (camelCase) name. */
function withOfficialNames<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (!(err instanceof MalformedPayloadError)) throw err;
    const field = err.field.replace(/^[a-z_]+/, (name) => OFFICIAL_SERIES_NAMES[name] ?? name);
    throw new MalformedPayloadError(field, err.message.slice(err.field.length + 2), { cause: err });
  }
}

function decodeSportDetail(body: unknown, ctx: HuamiOpenDecodeContext): TableRows {
  if (!isObject(body)) throw new MalformedPayloadError('body', 'expected the sportDetail object');
  const trackid = required(num(body.trackId, 'trackId'), 'trackId');
  const { tz, off } = zoneOf(ctx, saneMs(trackid * 1000, 'trackId'));
  const localDate = localDateOf(trackid * 1000, off);
  const bySecond = new Map<number, Row>();
  const at = (t: number): Row => {
    let row = bySecond.get(t);
    if (!row) {
      row = {
        ...base(ctx, localDate, tz),
        trackid,
        ts: t * 1000,
        lat: null,
        lon: null,
        altitude_m: null,
        heart_rate: null,
        distance_m: null,
        steps: null,
        stride_cm: null,
        cadence: null,
        speed: null,
        pressure_pa: null, // the official API has no air pressure series
        source: SOURCE,
      };
      bySecond.set(t, row);
    }
    return row;
  };
  // The same delta encodings as detail.json under camelCase names; `samplingTime` is the GPS `time`.
  const gpsFields = { time: body.samplingTime, longitude_latitude: body.latitudeLongitude, altitude: body.altitude };
  for (const p of withOfficialNames(() => decodeGpsSeries(gpsFields, trackid))) {
    const row = at(p.t);
    row.lat = p.lat;
    row.lon = p.lon;
    row.altitude_m = p.altitudeM;
  }
  for (const s of withOfficialNames(() => decodeHeartRateSeries(body.heartRate, trackid))) at(s.t).heart_rate = s.hr;
  for (const s of withOfficialNames(() => decodeDistanceSeries(body.distance, trackid))) at(s.t).distance_m = s.meters;
  for (const s of withOfficialNames(() => decodeGaitSeries(body.gait, trackid))) {
    const row = at(s.t);
    row.steps = s.steps;
    row.stride_cm = s.strideCm;
    row.cadence = s.cadence;
  }
  for (const s of withOfficialNames(() => decodeSpeedSeries(body.speed, trackid))) at(s.t).speed = s.mps;
  const rows: TableRows = {
    workout_sample: [...bySecond.values()].sort((a, b) => (a.ts as number) - (b.ts as number)),
  };
  const segment = { user_id: ctx.userId, local_date: localDate, tz_offset_s: tz, trackid, source: SOURCE };
  const pauses = decodePauseRows(body.pause, 'pause', segment);
  if (pauses.length > 0) rows.workout_pause = pauses;
  const laps = decodeLapRows(body.lapPace, 'lapPace', segment);
  if (laps.length > 0) rows.workout_lap = laps;
  return rows;
}

// ------------------------------------------------------------------------------------------ PAI

const PAI_FIELDS = [
  ['daily_pai', 'dailyPai', false],
  ['total_pai', 'totalPai', false],
  ['rest_hr', 'restHr', true],
  ['max_hr', 'maxHr', true],
  ['low_zone_pai', 'lowZonePai', false],
  ['medium_zone_pai', 'mediumZonePai', false],
  ['high_zone_pai', 'highZonePai', false],
  ['low_zone_min', 'lowZoneMinutes', true],
  ['medium_zone_min', 'mediumZoneMinutes', true],
  ['high_zone_min', 'highZoneMinutes', true],
  ['total_steps', 'totalStep', true],
  ['total_calories', 'totalCal', true],
] as const;

function paiValues(item: JsonObject, f: (k: string) => string): Row {
  const row: Row = {};
  for (const [column, key, isInt] of PAI_FIELDS) row[column] = isInt ? int(item[key], f(key)) : num(item[key], f(key));
  return row;
}

function decodePaiSummary(body: unknown, ctx: HuamiOpenDecodeContext): Row[] {
  const { tz } = zoneOf(ctx);
  return itemsOf(body).map((item, i) => {
    const f = (k: string) => `items[${i}].${k}`;
    const day = typeof item.calendarDay === 'string' ? item.calendarDay.slice(0, 10) : undefined;
    const localDate = dateOf(day, f('calendarDay'));
    const ts = required(num(item.timestamp, f('timestamp')), f('timestamp'));
    return { ...base(ctx, localDate, tz), ts: secondsToMs(ts), ...paiValues(item, f), source: SOURCE };
  });
}

// ------------------------------------------------------------------------------------------ events

const PAI_VALUE_COLUMNS = PAI_FIELDS.map(([column]) => column);

/**
 * events/{eventType}: the app API's event rules (decode-events.ts) with the request's eventType (the doc's
 * items carry a placeholder) and the configured offset. A PAI item without any PAI value gives no row.
 */
function decodeOpenEvents(body: unknown, ctx: HuamiOpenDecodeContext): TableRows {
  const items = itemsOf(body).map((item) => (ctx.eventType ? { ...item, eventType: ctx.eventType } : item));
  const tzOffsetS = ctx.tzOffsetS;
  const rows = decodeEvents(
    { items },
    {
      userId: ctx.userId,
      source: SOURCE,
      tzOffsetAt: tzOffsetS !== undefined ? () => tzOffsetS : ctx.tzOffsetAt,
    },
  );
  if (rows.pai) {
    rows.pai = rows.pai.filter((row) => PAI_VALUE_COLUMNS.some((column) => row[column] !== null));
    if (rows.pai.length === 0) delete rows.pai;
  }
  return rows;
}
