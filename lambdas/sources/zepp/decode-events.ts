// /users/{uid}/events (v1) and /v2/users/me/events items -> stress, spo2, pai, readiness rows.
// Values mostly arrive as strings; `data` and `extra` are JSON inside a string. See docs/decoding-rules.md.

import { MalformedPayloadError } from '../../core/errors.ts';
import type { DecodeContext } from '../../core/ports.ts';
import { assertRowsFit, isSaneMs, saneMs } from '../../core/row-guard.ts';
import type { Row, TableName, TableRows } from '../../core/schema-registry.ts';
import { localDateOf, MAX_UTC_OFFSET_S } from '../../core/time.ts';
import { isObject, type JsonObject, jsonField, num, numOrNull, requiredNum, str } from '../../core/vendor-values.ts';

const READINESS_SENTINELS = [255, 32767];

/** Sub-types that identify an item's event type when `eventType` is absent (as in trimmed samples). */
const EVENT_TYPE_OF_SUBTYPE: Readonly<Record<string, string>> = {
  click: 'blood_oxygen',
  osa_event: 'blood_oxygen',
  odi: 'blood_oxygen',
  all_day_stress: 'all_day_stress',
  watch_score: 'readiness',
  watch_score_data: 'readiness',
};

interface Placed {
  user_id: string;
  local_date: string;
  tz_offset_s: number | null;
  ts: number;
}

function place(ctx: DecodeContext, ts: number, field: string, tzOverride?: number | null): Placed {
  saneMs(ts, field);
  const tz = tzOverride ?? ctx.tzOffsetAt?.(ts) ?? null;
  return { user_id: ctx.userId, local_date: localDateOf(ts, tz ?? 0), tz_offset_s: tz, ts };
}

function push(rows: TableRows, table: TableName, row: Row): void {
  const list = rows[table];
  if (list) list.push(row);
  else rows[table] = [row];
}

function decodeStress(item: JsonObject, f: string, ctx: DecodeContext, rows: TableRows): void {
  const ts = requiredNum(item.timestamp, `${f}timestamp`);
  const deviceId = str(item.deviceId, `${f}deviceId`);
  push(rows, 'stress', {
    ...place(ctx, ts, `${f}timestamp`),
    kind: 'day',
    value: num(item.avgStress, `${f}avgStress`),
    min_stress: num(item.minStress, `${f}minStress`),
    max_stress: num(item.maxStress, `${f}maxStress`),
    relax_pct: num(item.relaxProportion, `${f}relaxProportion`),
    normal_pct: num(item.normalProportion, `${f}normalProportion`),
    medium_pct: num(item.mediumProportion, `${f}mediumProportion`),
    high_pct: num(item.highProportion, `${f}highProportion`),
    device_id: deviceId,
    source: ctx.source,
  });
  const readings = jsonField(item.data, `${f}data`) ?? [];
  if (!Array.isArray(readings)) throw new MalformedPayloadError(`${f}data`, 'expected a JSON array');
  // A day holds ~288 readings and a year ~100k: field names for errors are only built when one is bad.
  for (let i = 0; i < readings.length; i++) {
    const reading: unknown = readings[i];
    if (!isObject(reading)) throw new MalformedPayloadError(`${f}data[${i}]`, 'expected an object');
    const time = reading.time;
    const t = typeof time === 'number' && Number.isFinite(time) ? time : requiredNum(time, `${f}data[${i}].time`);
    // The field name is only built for a bad reading: an all-day item holds hundreds of readings.
    if (!isSaneMs(t)) saneMs(t, `${f}data[${i}].time`);
    const value = reading.value;
    const v = typeof value === 'number' && Number.isFinite(value) ? value : num(value, `${f}data[${i}].value`);
    const tz = ctx.tzOffsetAt?.(t) ?? null;
    push(rows, 'stress', {
      user_id: ctx.userId,
      local_date: localDateOf(t, tz ?? 0),
      tz_offset_s: tz,
      ts: t,
      kind: 'reading',
      value: v,
      min_stress: null,
      max_stress: null,
      relax_pct: null,
      normal_pct: null,
      medium_pct: null,
      high_pct: null,
      device_id: deviceId,
      source: ctx.source,
    });
  }
}

function decodeBloodOxygen(item: JsonObject, f: string, ctx: DecodeContext, rows: TableRows): void {
  const kind = str(item.subType, `${f}subType`);
  if (kind === null) throw new MalformedPayloadError(`${f}subType`, 'missing');
  const ts = requiredNum(item.timestamp, `${f}timestamp`);
  const extraValue = kind === 'click' || kind === 'osa_event' ? jsonField(item.extra, `${f}extra`) : undefined;
  if (extraValue !== undefined && !isObject(extraValue)) {
    throw new MalformedPayloadError(`${f}extra`, 'expected a JSON object');
  }
  const extra = extraValue ?? {};
  push(rows, 'spo2', {
    ...place(ctx, ts, `${f}timestamp`),
    kind,
    spo2: kind === 'click' ? num(extra.spo2, `${f}extra.spo2`) : null,
    spo2_decrease: kind === 'osa_event' ? num(extra.spo2_decrease, `${f}extra.spo2_decrease`) : null,
    odi: kind === 'odi' ? num(item.odi, `${f}odi`) : null,
    odi_num: kind === 'odi' ? num(item.odiNum, `${f}odiNum`) : null,
    score: kind === 'odi' ? num(item.score, `${f}score`) : null,
    device_id: str(item.deviceId, `${f}deviceId`),
    source: ctx.source,
  });
}

function decodePai(item: JsonObject, f: string, ctx: DecodeContext, rows: TableRows): void {
  const ts = requiredNum(item.timestamp, `${f}timestamp`);
  const quarterHours = num(item.timeZone, `${f}timeZone`);
  if (quarterHours !== null && !(Number.isInteger(quarterHours) && Math.abs(quarterHours * 900) <= MAX_UTC_OFFSET_S)) {
    throw new MalformedPayloadError(`${f}timeZone`, `not a UTC offset in quarter hours: ${quarterHours}`);
  }
  const n = (key: string) => num(item[key], `${f}${key}`);
  push(rows, 'pai', {
    ...place(ctx, ts, `${f}timestamp`, quarterHours === null ? undefined : quarterHours * 900),
    daily_pai: n('dailyPai'),
    total_pai: n('totalPai'),
    rest_hr: n('restHr'),
    max_hr: n('maxHr'),
    low_zone_pai: n('lowZonePai'),
    medium_zone_pai: n('mediumZonePai'),
    high_zone_pai: n('highZonePai'),
    low_zone_min: n('lowZoneMinutes'),
    medium_zone_min: n('mediumZoneMinutes'),
    high_zone_min: n('highZoneMinutes'),
    total_steps: n('totalStep'),
    total_calories: n('totalCal'),
    source: ctx.source,
  });
}

function decodeReadiness(item: JsonObject, f: string, ctx: DecodeContext, rows: TableRows): void {
  const kind = str(item.subType, `${f}subType`);
  if (kind === null) throw new MalformedPayloadError(`${f}subType`, 'missing');
  // v2 items carry the scores under `value`, whose own timestamp is the day described.
  const nested = isObject(item.value);
  const values = nested ? (item.value as JsonObject) : item;
  const vf = nested ? `${f}value.` : f;
  const nestedTs = nested ? num(values.timestamp, `${vf}timestamp`) : null;
  const ts = nestedTs ?? requiredNum(item.timestamp, `${f}timestamp`);
  const tsField = nestedTs === null ? `${f}timestamp` : `${vf}timestamp`;
  const n = (key: string) => numOrNull(values[key], `${vf}${key}`, READINESS_SENTINELS);
  push(rows, 'readiness', {
    ...place(ctx, ts, tsField),
    kind,
    readiness_score: n('rdnsScore'),
    hrv_ms: n('sleepHRV'),
    resting_hr: n('sleepRHR'),
    hrv_score: n('hrvScore'),
    rhr_score: n('rhrScore'),
    skin_temp_score: n('skinTempScore'),
    physical_score: n('phyScore'),
    mental_score: n('mentScore'),
    status: n('status'),
    source: ctx.source,
  });
}

const DECODERS: Readonly<Record<string, (item: JsonObject, f: string, ctx: DecodeContext, rows: TableRows) => void>> = {
  all_day_stress: decodeStress,
  blood_oxygen: decodeBloodOxygen,
  PaiHealthInfo: decodePai,
  readiness: decodeReadiness,
};

function eventTypeOf(item: JsonObject, f: string): string | null {
  const eventType = str(item.eventType, `${f}eventType`);
  if (eventType !== null) return eventType;
  const subType = typeof item.subType === 'string' ? item.subType : '';
  return Object.hasOwn(EVENT_TYPE_OF_SUBTYPE, subType) ? EVENT_TYPE_OF_SUBTYPE[subType]! : null;
}

/** An events response `{items:[...]}` or one item -> rows; items of other event types give none. */
export function decodeEvents(body: unknown, ctx: DecodeContext): TableRows {
  if (!isObject(body)) throw new MalformedPayloadError('body', 'expected a JSON object');
  const rows: TableRows = {};
  const decodeItem = (item: unknown, f: string) => {
    if (!isObject(item)) throw new MalformedPayloadError(f.replace(/\.$/, '') || 'item', 'expected an object');
    const type = eventTypeOf(item, f);
    const decoder = type !== null && Object.hasOwn(DECODERS, type) ? DECODERS[type] : undefined;
    decoder?.(item, f, ctx, rows);
  };
  if ('items' in body) {
    if (!Array.isArray(body.items)) throw new MalformedPayloadError('items', 'expected an array');
    body.items.forEach((item: unknown, i) => {
      decodeItem(item, `items[${i}].`);
    });
  } else {
    decodeItem(body, '');
  }
  return assertRowsFit(rows);
}
