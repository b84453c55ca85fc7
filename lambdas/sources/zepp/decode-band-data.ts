// band_data.json (query_type=detail) -> activity_minute, daily_summary, sleep_session, sleep_stage.
// The rules are docs/decoding-rules.md; one element of `data` is one local day D with its own `tz`.

import { MalformedPayloadError } from '../../core/errors.ts';
import type { DecodeContext } from '../../core/ports.ts';
import { assertRowsFit, saneMs } from '../../core/row-guard.ts';
import type { Row, TableRows } from '../../core/schema-registry.ts';
import { MAX_UTC_OFFSET_S, parseDate } from '../../core/time.ts';
import {
  base64Bytes,
  checkLegacyEnvelope,
  isObject,
  type JsonObject,
  num,
  requiredNum,
  str,
} from '../../core/vendor-values.ts';

const NO_ACTIVITY_KIND = 0x7e;
const MINUTE_MS = 60_000;
const MINUTES_PER_DAY = 1440;
const SLEEP_STAGE_NAMES: Readonly<Record<number, string>> = { 4: 'light', 5: 'deep', 7: 'awake', 8: 'rem' };

/**
 * The `summary` field: base64 of JSON, falling back to plain JSON (upload-style records and the
 * manual-data endpoint send it plain), like the Huami SDK's own reader.
 */
export function parseBandSummary(summary: string, field = 'summary'): JsonObject {
  const text = summary.trim();
  const candidates: string[] = [];
  if (!text.startsWith('{')) candidates.push(Buffer.from(text, 'base64').toString('utf8'));
  candidates.push(text);
  for (const candidate of candidates) {
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (isObject(parsed)) return parsed;
    } catch {
      // not this encoding; try the next one
    }
  }
  throw new MalformedPayloadError(field, 'neither base64 JSON nor JSON of an object');
}

function summaryObject(value: unknown, field: string): JsonObject {
  if (typeof value === 'string') return parseBandSummary(value, field);
  if (isObject(value)) return value;
  if (value === undefined || value === null) throw new MalformedPayloadError(field, 'missing');
  throw new MalformedPayloadError(field, `expected a string, got ${typeof value}`);
}

/** Epoch seconds, or already milliseconds when > 1e12 (the SDK's defensive rule). */
function epochToMs(value: number): number {
  return value > 1e12 ? value : value * 1000;
}

function optionalObject(value: unknown, field: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (isObject(value)) return value;
  throw new MalformedPayloadError(field, 'expected an object');
}

/** Decodes one element of band_data `data` (path: prefix of field names in errors, e.g. `data[0].`). */
function decodeDay(record: unknown, ctx: DecodeContext, path: string): { date: string; rows: TableRows } {
  if (!isObject(record)) throw new MalformedPayloadError(path.replace(/\.$/, '') || 'record', 'expected an object');
  const dateValue = record.date_time ?? record.date;
  if (typeof dateValue !== 'string') throw new MalformedPayloadError(`${path}date_time`, 'missing');
  let midnightUtc: number;
  try {
    midnightUtc = parseDate(dateValue);
  } catch (cause) {
    throw new MalformedPayloadError(`${path}date_time`, `not a YYYY-MM-DD date: ${dateValue.slice(0, 20)}`, { cause });
  }
  const date = dateValue;
  const summary = summaryObject(record.summary, `${path}summary`);
  const tz = requiredNum(summary.tz, `${path}summary.tz`);
  if (!Number.isInteger(tz) || Math.abs(tz) > MAX_UTC_OFFSET_S) {
    throw new MalformedPayloadError(`${path}summary.tz`, `not a UTC offset in seconds: ${tz}`);
  }
  const midnight = midnightUtc - tz * 1000;
  const deviceId = str(record.device_id, `${path}device_id`) ?? str(record.source, `${path}source`);
  const { userId, source } = ctx;

  const rows: TableRows = {
    activity_minute: decodeMinutes(record, path, { userId, source, date, tz, midnight, deviceId }),
    daily_summary: [decodeDailySummary(summary, path, { userId, source, date, tz, deviceId })],
  };
  const slp = optionalObject(summary.slp, `${path}summary.slp`);
  const sleep = slp ? decodeSleep(slp, `${path}summary.slp`, { userId, source, date, tz, midnight }) : undefined;
  rows.sleep_session = sleep?.session ? [sleep.session] : [];
  rows.sleep_stage = sleep?.stages ?? [];
  // Minute rows are built from bytes, the checked tz and the day's midnight: only their time range can be
  // wrong, so they skip the per-cell guard (a year is ~500k of them) and their first and last minute are checked.
  const { activity_minute: minuteRows = [], ...otherRows } = rows;
  const first = minuteRows[0];
  const last = minuteRows[minuteRows.length - 1];
  if (first && last) {
    saneMs(first.ts as number, `${path}date_time`);
    saneMs(last.ts as number, `${path}data`);
  }
  assertRowsFit(otherRows);
  return { date, rows };
}

interface DayContext {
  userId: string;
  source: string;
  date: string;
  tz: number;
  midnight: number;
  deviceId: string | null;
}

/**
 * The 3 B/min activity blob. The download format sends one base64 string; the upload format (and the
 * step-changer captures of it) sends `[{start, stop, value}]` segments of minutes, laid out here on one
 * timeline with 0x7E (no data) between segments.
 */
function activityBytes(value: unknown, field: string): Buffer {
  if (!Array.isArray(value)) return base64Bytes(value, field);
  const segments = value.map((segment: unknown, i) => {
    const sf = `${field}[${i}]`;
    if (!isObject(segment)) throw new MalformedPayloadError(sf, 'expected an object');
    const start = requiredNum(segment.start, `${sf}.start`);
    // A segment starts within its day; a huge start would allocate a timeline of millions of minutes.
    if (!Number.isInteger(start) || start < 0 || start >= MINUTES_PER_DAY) {
      throw new MalformedPayloadError(`${sf}.start`, `bad minute ${start}`);
    }
    const bytes = base64Bytes(segment.value, `${sf}.value`);
    if (bytes.length % 3 !== 0) {
      throw new MalformedPayloadError(`${sf}.value`, `length ${bytes.length} bytes is not a multiple of 3`);
    }
    return { start, bytes };
  });
  const length = Math.max(0, ...segments.map((s) => s.start * 3 + s.bytes.length));
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += 3) out[i] = NO_ACTIVITY_KIND;
  for (const s of segments) s.bytes.copy(out, s.start * 3);
  return out;
}

function decodeMinutes(record: JsonObject, path: string, day: DayContext): Row[] {
  const activity = activityBytes(record.data, `${path}data`);
  if (activity.length % 3 !== 0) {
    throw new MalformedPayloadError(`${path}data`, `length ${activity.length} bytes is not a multiple of 3`);
  }
  const heartRate = base64Bytes(record.data_hr, `${path}data_hr`);
  const activityMinutes = activity.length / 3;
  const minutes = Math.max(activityMinutes, heartRate.length);
  const rows: Row[] = [];
  for (let i = 0; i < minutes; i++) {
    const kind = i < activityMinutes ? activity[i * 3]! : NO_ACTIVITY_KIND;
    const hrByte = i < heartRate.length ? heartRate[i]! : 0;
    const hr = hrByte === 0 || hrByte >= 254 ? null : hrByte;
    const hasActivity = kind !== NO_ACTIVITY_KIND;
    if (!hasActivity && hr === null) continue;
    rows.push({
      user_id: day.userId,
      ts: day.midnight + i * MINUTE_MS,
      local_date: day.date,
      tz_offset_s: day.tz,
      activity_kind: hasActivity ? kind & 0x0f : null,
      kind_raw: hasActivity ? kind : null,
      intensity: hasActivity ? activity[i * 3 + 1]! : null,
      steps: hasActivity ? activity[i * 3 + 2]! : null,
      heart_rate: hr,
      device_id: day.deviceId,
      source: day.source,
    });
  }
  return rows;
}

function decodeDailySummary(summary: JsonObject, path: string, day: Omit<DayContext, 'midnight'>): Row {
  const f = `${path}summary`;
  const stp = optionalObject(summary.stp, `${f}.stp`) ?? {};
  const hr = optionalObject(summary.hr, `${f}.hr`);
  const maxHr = hr ? optionalObject(hr.maxHr, `${f}.hr.maxHr`) : undefined;
  const sync = num(summary.sync, `${f}.sync`);
  return {
    user_id: day.userId,
    local_date: day.date,
    tz_offset_s: day.tz,
    steps: num(stp.ttl, `${f}.stp.ttl`),
    distance_m: num(stp.dis, `${f}.stp.dis`),
    calories: num(stp.cal, `${f}.stp.cal`),
    run_distance_m: num(stp.runDist, `${f}.stp.runDist`),
    run_calories: num(stp.runCal, `${f}.stp.runCal`),
    walk_min: num(stp.wk, `${f}.stp.wk`),
    run_min: num(stp.rn, `${f}.stp.rn`),
    goal_steps: num(summary.goal, `${f}.goal`),
    max_hr: maxHr ? num(maxHr.hr, `${f}.hr.maxHr.hr`) : null,
    device_id: day.deviceId,
    synced_ts: sync === null ? null : sync * 1000,
    source: day.source,
  };
}

function decodeSleep(
  slp: JsonObject,
  f: string,
  day: Omit<DayContext, 'deviceId'>,
): { session: Row | undefined; stages: Row[] } {
  const rawStages = slp.stage ?? [];
  if (!Array.isArray(rawStages)) throw new MalformedPayloadError(`${f}.stage`, 'expected an array');
  const stages: Row[] = [];
  let remMin = 0;
  rawStages.forEach((stage: unknown, i) => {
    const sf = `${f}.stage[${i}]`;
    if (!isObject(stage)) throw new MalformedPayloadError(sf, 'expected an object');
    const start = requiredNum(stage.start, `${sf}.start`);
    const stop = requiredNum(stage.stop, `${sf}.stop`);
    const mode = num(stage.mode, `${sf}.mode`);
    if (mode === 8) remMin += stop - start + 1;
    stages.push({
      user_id: day.userId,
      local_date: day.date,
      tz_offset_s: day.tz,
      night_of: day.date,
      start_ts: day.midnight + start * MINUTE_MS,
      end_ts: day.midnight + (stop + 1) * MINUTE_MS,
      stage: (mode !== null && SLEEP_STAGE_NAMES[mode]) || 'unknown',
      mode,
      source: day.source,
    });
  });
  const st = num(slp.st, `${f}.st`);
  const ed = num(slp.ed, `${f}.ed`);
  const hasSpan = !!st && !!ed && st !== ed;
  if (!hasSpan && stages.length === 0) return { session: undefined, stages };
  const session: Row = {
    user_id: day.userId,
    local_date: day.date,
    tz_offset_s: day.tz,
    night_of: day.date,
    start_ts: st ? epochToMs(st) : null,
    end_ts: ed ? epochToMs(ed) : null,
    deep_min: num(slp.dp, `${f}.dp`),
    light_min: num(slp.lt, `${f}.lt`),
    rem_min: stages.length > 0 ? remMin : null,
    awake_min: num(slp.wk, `${f}.wk`),
    wake_count: num(slp.wc, `${f}.wc`),
    sleep_score: num(slp.ss, `${f}.ss`),
    resting_hr: num(slp.rhr, `${f}.rhr`),
    source: day.source,
  };
  return { session, stages };
}

/** One element of band_data `data` (one local day) -> the rows of the four band tables. */
export function decodeBandDay(record: unknown, ctx: DecodeContext): TableRows {
  return decodeDay(record, ctx, '').rows;
}

/** One day of a band_data response that did not decode; the response's other days still land. */
export interface BandDayReject {
  /** The day's date_time, when it has a readable one. */
  period?: string;
  error: MalformedPayloadError;
}

/**
 * The whole band_data.json response, one day at a time: the envelope is read once (`code` must be 1; 0 and 100302
 * mean the app token expired: AuthExpiredError), then each element of `data` decodes on its own, so a malformed
 * day is a reject and the other days land. An absent or null `data` is a day range without data. Sync, replay
 * and `zepp-lake decode band-data` all decode band data through this.
 */
export function decodeBandDataDays(
  body: unknown,
  ctx: DecodeContext,
): { days: { date: string; rows: TableRows }[]; rejects: BandDayReject[] } {
  if (!isObject(body)) throw new MalformedPayloadError('body', 'expected a JSON object');
  checkLegacyEnvelope(body);
  const data = body.data ?? [];
  if (!Array.isArray(data)) throw new MalformedPayloadError('data', 'expected an array');
  const out: ReturnType<typeof decodeBandDataDays> = { days: [], rejects: [] };
  data.forEach((record: unknown, i) => {
    try {
      out.days.push(decodeDay(record, ctx, `data[${i}].`));
    } catch (err) {
      if (!(err instanceof MalformedPayloadError)) throw err;
      const date = isObject(record) ? record.date_time : undefined;
      out.rejects.push({ period: typeof date === 'string' ? date : undefined, error: err });
    }
  });
  return out;
}

/** The whole band_data.json response, all or nothing: the first day that does not decode is thrown. */
export function decodeBandDataResponse(
  body: unknown,
  ctx: DecodeContext,
): { days: { date: string; rows: TableRows }[] } {
  const { days, rejects } = decodeBandDataDays(body, ctx);
  if (rejects[0]) throw rejects[0].error;
  return { days };
}
