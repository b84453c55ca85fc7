// Ground truth: the exact rows the lake must hold after a complete sync of a person over a date range,
// computed from the generator's model (never from the decoders), following docs/decoding-rules.md.
//
// Placement: everything the model puts on day D lies inside D's own interval (see sim/people/users.ts), so the
// UTC offset of any workout or event instant is D's offset, which is what a tzOffsetAt built from the
// band_data summaries answers ("the record with the latest midnight at or before the instant").

import { type Row, TABLES, type TableName, type TableRows } from '../../lambdas/core/schema-registry.ts';
import { eachDay } from '../../lambdas/core/time.ts';
import { MINUTES_PER_DAY } from './day-plan.ts';
import { dayEvents, type EventItem } from './events.ts';
import type { SimUser } from './users.ts';
import { type DetailSeries, type WorkoutModel, workoutModel } from './workouts.ts';

const SOURCE = 'zepp';
const MINUTE_MS = 60_000;
/** Sleep stage `mode` as reference/huami-api.md §3.3 documents it: 4 light, 5 deep, 7 awake, 8 REM. */
const STAGE_NAMES: Readonly<Record<number, string>> = { 4: 'light', 5: 'deep', 7: 'awake', 8: 'rem' };

/**
 * The vendor's workout `type` codes as reference/huami-api.md §4.1 documents them (consistent across
 * rolandsz's gpx_exporter.py, H3llK33p3r's IO.kt and the real fixtures), spelled as the lake's `workout_type_name`
 * (lower case, `_` for spaces; "other / free" is `other`). Written here from the reference, not imported from the
 * decoder, so a wrong name in the decoder shows up as a difference instead of agreeing with itself.
 */
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

/** A row with exactly the registry's columns, in order; columns not given are null. */
function shape(table: TableName, values: Row): Row {
  const row: Row = {};
  for (const c of TABLES[table].columns) row[c.name] = values[c.name] ?? null;
  return row;
}

function add(rows: TableRows, table: TableName, values: Row): void {
  const row = shape(table, values);
  const list = rows[table];
  if (list) list.push(row);
  else rows[table] = [row];
}

const numOrNull = (s: unknown, sentinels: readonly number[] = []): number | null => {
  const n = Number(s);
  return sentinels.includes(n) ? null : n;
};

/** A day's band record as the registry's rows: what every row of it shares. */
interface BandDay {
  user: SimUser;
  date: string;
  plan: ReturnType<SimUser['plan']>;
  deviceId: string;
}

function minuteRows(day: BandDay, rows: TableRows): void {
  const { user, date, plan, deviceId } = day;
  const m = user.dayMinutes(date);
  // Hot path (a year is half a million minutes): literal rows in registry column order.
  const minutes = rows.activity_minute ?? [];
  rows.activity_minute = minutes;
  for (let i = 0; i < MINUTES_PER_DAY; i++) {
    const kind = m.kind[i]!;
    const hrByte = m.hr[i]!;
    // data_hr (§3.5): 0 and 254/255 are no reading
    const hr = hrByte === 0 || hrByte >= 254 ? null : hrByte;
    // data (§3.4): kind 0x7e is a minute with no data
    const has = kind !== 0x7e;
    if (!has && hr === null) continue;
    minutes.push({
      user_id: user.userId,
      ts: plan.midnight + i * MINUTE_MS,
      local_date: date,
      tz_offset_s: plan.offsetS,
      activity_kind: has ? kind & 0x0f : null,
      kind_raw: has ? kind : null,
      intensity: has ? m.intensity[i]! : null,
      steps: has ? m.steps[i]! : null,
      heart_rate: hr,
      device_id: deviceId,
      source: SOURCE,
    });
  }
}

function summaryRow(day: BandDay, base: Row, rows: TableRows): void {
  const summary = day.user.summary(day.date);
  const stp = summary.stp as Record<string, number>;
  const maxHr = (summary.hr as { maxHr?: { hr: number } } | undefined)?.maxHr?.hr ?? null;
  add(rows, 'daily_summary', {
    ...base,
    steps: stp.ttl ?? null,
    distance_m: stp.dis ?? null,
    calories: stp.cal ?? null,
    run_distance_m: stp.runDist ?? null,
    run_calories: stp.runCal ?? null,
    walk_min: stp.wk ?? null,
    run_min: stp.rn ?? null,
    goal_steps: day.plan.goal,
    max_hr: maxHr,
    device_id: day.deviceId,
    synced_ts: day.plan.sync * 1000,
  });
}

function sleepRows(day: BandDay, base: Row, rows: TableRows): void {
  const { date, plan } = day;
  const sleep = plan.sleep;
  if (!sleep) return; // absent, or the empty st == ed night without stages: no rows
  let rem = 0;
  for (const s of sleep.stages) {
    if (s.mode === 8) rem += s.stop - s.start + 1;
    add(rows, 'sleep_stage', {
      ...base,
      night_of: date,
      start_ts: plan.midnight + s.start * MINUTE_MS,
      end_ts: plan.midnight + (s.stop + 1) * MINUTE_MS,
      stage: STAGE_NAMES[s.mode] ?? 'unknown',
      mode: s.mode,
    });
  }
  add(rows, 'sleep_session', {
    ...base,
    night_of: date,
    start_ts: sleep.st * 1000,
    end_ts: sleep.ed * 1000,
    deep_min: sleep.dp,
    light_min: sleep.lt,
    rem_min: sleep.stages.length > 0 ? rem : null,
    awake_min: sleep.wk,
    wake_count: sleep.wc,
    sleep_score: sleep.ss,
    resting_hr: sleep.rhr,
  });
}

/** The band record's rows: minutes, the daily summary, the night (device: `device_id`, else the `source`). */
function bandRows(user: SimUser, date: string, rows: TableRows): void {
  const plan = user.plan(date);
  const base = { user_id: user.userId, local_date: date, tz_offset_s: plan.offsetS, source: SOURCE };
  const deviceId = plan.device.sendsDeviceId ? plan.device.deviceId : String(plan.device.source);
  const day: BandDay = { user, date, plan, deviceId };
  minuteRows(day, rows);
  summaryRow(day, base, rows);
  sleepRows(day, base, rows);
}

/** What every row of one workout shares, in registry column order. */
type WorkoutBase = {
  user_id: string;
  local_date: string;
  tz_offset_s: number;
  source: string;
};

function workoutRow(model: WorkoutModel, base: WorkoutBase, rows: TableRows): void {
  add(rows, 'workout', {
    ...base,
    trackid: model.plan.trackid,
    workout_type: model.plan.type,
    workout_type_name: WORKOUT_TYPE_NAMES[model.plan.type] ?? `type_${model.plan.type}`,
    start_ts: model.plan.trackid * 1000,
    end_ts: model.endTime * 1000,
    duration_s: model.runTimeS,
    distance_m: model.distanceM,
    calories: model.calories,
    total_steps: model.totalSteps,
    avg_hr: model.avgHr,
    max_hr: model.maxHr,
    min_hr: model.minHr,
    avg_pace_s_per_m: Number(model.avgPace),
    avg_cadence: model.avgCadence,
    ascent_m: model.ascentM,
    descent_m: model.descentM,
    device_id: model.device.bindDevice,
    track_source: model.device.trackSource,
  });
}

/** One row per second any series touches; the series set disjoint columns. */
function sampleRows(d: DetailSeries, base: WorkoutBase, rows: TableRows): void {
  const bySecond = new Map<number, Row>();
  const at = (t: number): Row => {
    let row = bySecond.get(t);
    if (!row) {
      row = {
        user_id: base.user_id,
        local_date: base.local_date,
        tz_offset_s: base.tz_offset_s,
        trackid: d.trackid,
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
        pressure_pa: null,
        source: SOURCE,
      };
      bySecond.set(t, row);
    }
    return row;
  };
  for (const p of d.gps) {
    const row = at(p.t);
    row.lat = p.lat;
    row.lon = p.lon;
    row.altitude_m = p.altitudeCm === null ? null : p.altitudeCm / 100;
  }
  for (const s of d.heartRate) at(s.t).heart_rate = s.hr === 0 || s.hr >= 254 ? null : s.hr;
  for (const s of d.distance) at(s.t).distance_m = s.meters;
  for (const s of d.gait) {
    const row = at(s.t);
    row.steps = s.steps;
    row.stride_cm = s.strideCm;
    row.cadence = s.cadence;
  }
  for (const s of d.speed) at(s.t).speed = s.mps;
  for (const s of d.pressure) at(s.t).pressure_pa = s.pa;
  const samples = rows.workout_sample ?? [];
  rows.workout_sample = samples;
  for (const t of [...bySecond.keys()].sort((a, b) => a - b)) samples.push(bySecond.get(t)!);
}

/** Workouts (and their samples, pauses and laps) on the local date of their start. */
function workoutRows(user: SimUser, date: string, rows: TableRows): void {
  const plan = user.plan(date);
  for (const w of plan.workouts) {
    const model = workoutModel(user, { plan: w, date });
    const base = { user_id: user.userId, local_date: date, tz_offset_s: plan.offsetS, source: SOURCE };
    workoutRow(model, base, rows);
    sampleRows(model.detail, base, rows);
    segmentRows(model.detail, base, rows);
  }
}

/** workout_pause and workout_lap: the documented meaning of each field (-1 index, -1 HR, -2000000 altitude: null). */
function segmentRows(d: DetailSeries, base: Row, rows: TableRows): void {
  d.pauses.forEach((p, i) => {
    add(rows, 'workout_pause', {
      ...base,
      trackid: d.trackid,
      pause_index: i,
      start_ts: p.start * 1000,
      end_ts: (p.start + p.duration) * 1000,
      duration_s: p.duration,
      start_gps_index: p.startIndex === -1 ? null : p.startIndex,
      end_gps_index: p.endIndex === -1 ? null : p.endIndex,
      pause_type: p.type,
    });
  });
  const extendedColumns = [
    'avg_pace_s_per_m',
    'max_pace_s_per_m',
    'ascent_distance_m',
    'avg_stroke_speed',
    'stroke_time',
    'stroke_efficiency',
    'calories',
    'avg_frequency',
    'avg_cadence',
    'lap_type',
  ];
  d.laps.forEach((l, i) => {
    const extended = Object.fromEntries(extendedColumns.map((c, k) => [c, l.extended?.[k] ?? null]));
    add(rows, 'workout_lap', {
      ...base,
      trackid: d.trackid,
      lap_index: i,
      vendor_index: l.index,
      duration_s: l.runTimeS,
      distance_m: l.distanceM,
      geohash: l.geohash,
      avg_hr: l.avgHr === -1 ? null : l.avgHr,
      end_ts: (d.trackid + l.offsetS) * 1000,
      altitude_m: l.altitudeM === -2_000_000 ? null : l.altitudeM,
      ascent_m: l.ascendM,
      descent_m: l.descendM,
      ...extended,
    });
  });
}

/** What every event row of one day shares. */
type EventBase = { user_id: string; local_date: string; tz_offset_s: number; source: string };

const numberOf = (item: EventItem) => (key: string) => numOrNull(item[key]);

/** all_day_stress (§5.1): the day's summary row, then one row per reading of its `data`. */
function stressRows(item: EventItem, base: EventBase, rows: TableRows): void {
  const v = numberOf(item);
  const deviceId = (item.deviceId as string | undefined) ?? null;
  add(rows, 'stress', {
    ...base,
    ts: item.timestamp,
    kind: 'day',
    value: v('avgStress'),
    min_stress: v('minStress'),
    max_stress: v('maxStress'),
    relax_pct: v('relaxProportion'),
    normal_pct: v('normalProportion'),
    medium_pct: v('mediumProportion'),
    high_pct: v('highProportion'),
    device_id: deviceId,
  });
  const readings = JSON.parse(item.data as string) as { time: number; value: number }[];
  const stress = rows.stress ?? [];
  rows.stress = stress;
  for (const r of readings) {
    stress.push({
      user_id: base.user_id,
      local_date: base.local_date,
      tz_offset_s: base.tz_offset_s,
      ts: r.time,
      kind: 'reading',
      value: r.value,
      min_stress: null,
      max_stress: null,
      relax_pct: null,
      normal_pct: null,
      medium_pct: null,
      high_pct: null,
      device_id: deviceId,
      source: SOURCE,
    });
  }
}

/** blood_oxygen (§5.1): `subType` odi, osa_event or click, each with its own fields. */
function spo2Row(item: EventItem, base: EventBase, rows: TableRows): void {
  const v = numberOf(item);
  const kind = item.subType as string;
  const extra = typeof item.extra === 'string' ? (JSON.parse(item.extra) as Record<string, number>) : {};
  add(rows, 'spo2', {
    ...base,
    ts: item.timestamp,
    kind,
    spo2: kind === 'click' ? (extra.spo2 ?? null) : null,
    spo2_decrease: kind === 'osa_event' ? (extra.spo2_decrease ?? null) : null,
    odi: kind === 'odi' ? v('odi') : null,
    odi_num: kind === 'odi' ? v('odiNum') : null,
    score: kind === 'odi' ? v('score') : null,
    device_id: (item.deviceId as string | undefined) ?? null,
  });
}

/** PaiHealthInfo (§5.1): its own `timeZone` in quarter-hours. */
function paiRow(item: EventItem, base: EventBase, rows: TableRows): void {
  const v = numberOf(item);
  add(rows, 'pai', {
    ...base,
    tz_offset_s: Number(item.timeZone) * 900,
    ts: item.timestamp,
    daily_pai: v('dailyPai'),
    total_pai: v('totalPai'),
    rest_hr: v('restHr'),
    max_hr: v('maxHr'),
    low_zone_pai: v('lowZonePai'),
    medium_zone_pai: v('mediumZonePai'),
    high_zone_pai: v('highZonePai'),
    low_zone_min: v('lowZoneMinutes'),
    medium_zone_min: v('mediumZoneMinutes'),
    high_zone_min: v('highZoneMinutes'),
    total_steps: v('totalStep'),
    total_calories: v('totalCal'),
  });
}

/** readiness (§5.1): 255 and 32767 are the vendor's "no value". */
function readinessRow(item: EventItem, base: EventBase, rows: TableRows): void {
  const r = (key: string) => numOrNull(item[key], [255, 32767]);
  add(rows, 'readiness', {
    ...base,
    ts: item.timestamp,
    kind: item.subType as string,
    readiness_score: r('rdnsScore'),
    hrv_ms: r('sleepHRV'),
    resting_hr: r('sleepRHR'),
    hrv_score: r('hrvScore'),
    rhr_score: r('rhrScore'),
    skin_temp_score: r('skinTempScore'),
    physical_score: r('phyScore'),
    mental_score: r('mentScore'),
    status: r('status'),
  });
}

function eventRows(user: SimUser, date: string, rows: TableRows): void {
  const plan = user.plan(date);
  const base = { user_id: user.userId, local_date: date, tz_offset_s: plan.offsetS, source: SOURCE };
  for (const item of dayEvents(user, date)) {
    if (item.eventType === 'all_day_stress') stressRows(item, base, rows);
    else if (item.eventType === 'blood_oxygen') spo2Row(item, base, rows);
    else if (item.eventType === 'PaiHealthInfo') paiRow(item, base, rows);
    else if (item.eventType === 'readiness') readinessRow(item, base, rows);
  }
}

/**
 * The rows of every data table for the person's days in [from, to] (default: first date .. today):
 * band tables by record date, workouts (and their samples) by the start's local date, events by the
 * local date of their instant. Rows have exactly the registry's columns; tables without rows are [].
 */
export function groundTruthRows(user: SimUser, range?: { from: string; to: string }): TableRows {
  const rows: TableRows = {
    activity_minute: [],
    daily_summary: [],
    sleep_session: [],
    sleep_stage: [],
    workout: [],
    workout_sample: [],
    workout_pause: [],
    workout_lap: [],
    stress: [],
    spo2: [],
    pai: [],
    readiness: [],
  };
  const from = range?.from ?? user.spec.firstDate;
  const to = range?.to ?? user.today;
  const lo = from < user.spec.firstDate ? user.spec.firstDate : from;
  const hi = to > user.today ? user.today : to;
  if (lo > hi) return rows;
  for (const date of eachDay(lo, hi)) {
    if (!user.plan(date).hasData) continue;
    bandRows(user, date, rows);
    workoutRows(user, date, rows);
    eventRows(user, date, rows);
  }
  return rows;
}
