// Ground truth of the huami-open simulator: the exact rows the lake must hold after a complete sync, computed
// from the model and the documented meaning of each field (reference §2.4; sleep `mode` as §3.3 documents it),
// never from the decoders, so a decoder that misreads a field shows up as a difference.

import {
  naturalKeyOf,
  type Row,
  type TableName,
  type TableRows,
  tableDef,
} from '../../lambdas/core/schema-registry.ts';
import { localDateOf } from '../../lambdas/core/time.ts';
import { type DayModel, MINUTE_MS, type WorkoutModel } from './model.ts';
import { openSegmentRows } from './segments.ts';
import type { HuamiOpenSimUser } from './types.ts';

const SOURCE = 'huami-open';
/** The device every run and stress reading of this API names (the `device` of the doc's sports example, §2.4). */
const SPORTS_WATCH = 'AMAZFIT_SPORTS_WATCH';
/** Sleep stage `mode` (reference §2.4 sleep, §3.3): 4 light, 5 deep, 7 awake, 8 REM. */
const STAGE_NAMES: Readonly<Record<number, string>> = { 4: 'light', 5: 'deep', 7: 'awake', 8: 'rem' };

/** Collects rows per table, each with the person and the source. */
type Push = (table: TableName, row: Row) => void;

const minuteAt = (day: DayModel, m: number) => day.midnightMs + m * MINUTE_MS;

function minuteRows(day: DayModel, base: Row, push: Push): void {
  for (const m of day.minutes) {
    push('activity_minute', {
      ...base,
      ts: minuteAt(day, m.minute),
      activity_kind: null,
      kind_raw: null,
      intensity: m.activeness,
      steps: m.steps,
      heart_rate: m.hr,
      device_id: null,
    });
  }
}

function summaryRow(day: DayModel, base: Row, push: Push): void {
  push('daily_summary', {
    ...base,
    steps: day.steps,
    distance_m: day.distance,
    calories: day.calories,
    run_distance_m: day.runDistance,
    run_calories: day.runCalories,
    walk_min: day.walkTime,
    run_min: day.runTime,
    goal_steps: null,
    max_hr: null,
    device_id: null,
    synced_ts: day.syncS * 1000,
  });
}

function sleepRows(day: DayModel, base: Row, push: Push): void {
  const n = day.night;
  if (!n) return;
  push('sleep_session', {
    ...base,
    night_of: day.date,
    start_ts: minuteAt(day, n.start),
    end_ts: minuteAt(day, n.stop),
    deep_min: n.deep,
    light_min: n.shallow,
    rem_min: null,
    awake_min: n.wake,
    wake_count: null,
    sleep_score: n.score,
    resting_hr: null,
  });
  for (const s of n.stages) {
    push('sleep_stage', {
      ...base,
      night_of: day.date,
      start_ts: minuteAt(day, s.start),
      end_ts: minuteAt(day, s.stop + 1),
      stage: STAGE_NAMES[s.mode] ?? 'unknown',
      mode: s.mode,
    });
  }
}

function workoutRow(w: WorkoutModel, base: Row, push: Push): void {
  push('workout', {
    ...base,
    trackid: w.trackId,
    workout_type: null,
    // the doc's sports `type` (§2.4), kept as sent
    workout_type_name: 'OUTDOOR_RUN',
    start_ts: w.trackId * 1000,
    end_ts: (w.trackId + w.sportTime) * 1000,
    duration_s: w.sportTime,
    distance_m: w.distance,
    calories: w.calories,
    total_steps: null,
    avg_hr: w.averageHeartRate,
    max_hr: null,
    min_hr: null,
    // averagePace is m/s per the doc; the lake's pace is s/m
    avg_pace_s_per_m: w.averagePace > 0 ? 1 / w.averagePace : null,
    avg_cadence: w.averageStepFrequency,
    ascent_m: w.altitudeAscend,
    descent_m: w.altitudeDescend,
    device_id: SPORTS_WATCH,
    track_source: SPORTS_WATCH,
  });
}

/** One row per second any series touches; the series set disjoint columns. */
function sampleRows(w: WorkoutModel, base: Row, push: Push): void {
  const samples = new Map<number, Row>();
  const at = (t: number): Row => {
    let row = samples.get(t);
    if (!row) {
      row = {
        ...base,
        trackid: w.trackId,
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
      };
      samples.set(t, row);
    }
    return row;
  };
  for (const p of w.gps)
    Object.assign(at(p.t), {
      lat: p.latE8 / 1e8,
      lon: p.lonE8 / 1e8,
      altitude_m: p.altCm === null ? null : p.altCm / 100,
    });
  for (const s of w.hr) at(s.t).heart_rate = s.hr;
  for (const s of w.distanceSeries) at(s.t).distance_m = s.m;
  for (const g of w.gait) Object.assign(at(g.t), { steps: g.steps, stride_cm: g.stride, cadence: g.cadence });
  for (const s of w.speed) at(s.t).speed = s.centi / 100;
  for (const row of samples.values()) push('workout_sample', row);
}

/** A run and its samples, pauses and laps, on the local date of its start. */
function workoutRows(w: WorkoutModel, tz: number, push: Push): void {
  const base = { local_date: localDateOf(w.trackId * 1000, tz), tz_offset_s: tz };
  workoutRow(w, base, push);
  sampleRows(w, base, push);
  const segments = openSegmentRows(w.trackId, w.segments);
  for (const row of segments.workout_pause) push('workout_pause', { ...base, ...row });
  for (const row of segments.workout_lap) push('workout_lap', { ...base, ...row });
}

function paiRow(day: DayModel, base: Row, push: Push): void {
  const p = day.pai;
  push('pai', {
    ...base,
    ts: day.midnightMs,
    daily_pai: p.dailyPai,
    total_pai: p.totalPai,
    rest_hr: p.restHr,
    max_hr: p.maxHr,
    low_zone_pai: p.lowZonePai,
    medium_zone_pai: p.mediumZonePai,
    high_zone_pai: p.highZonePai,
    low_zone_min: p.lowZoneMinutes,
    medium_zone_min: p.mediumZoneMinutes,
    high_zone_min: p.highZoneMinutes,
    total_steps: p.totalStep,
    total_calories: p.totalCal,
  });
}

/** The day's stress summary (at midnight + 1 ms, as the event is sent) and each reading. */
function stressRows(day: DayModel, base: Row, push: Push): void {
  const s = day.stress;
  push('stress', {
    ...base,
    ts: day.midnightMs + 1,
    kind: 'day',
    value: s.avg,
    min_stress: s.min,
    max_stress: s.max,
    relax_pct: s.relax,
    normal_pct: s.normal,
    medium_pct: s.medium,
    high_pct: s.high,
    device_id: SPORTS_WATCH,
  });
  const noPct = {
    min_stress: null,
    max_stress: null,
    relax_pct: null,
    normal_pct: null,
    medium_pct: null,
    high_pct: null,
  };
  for (const reading of s.readings) {
    push('stress', {
      ...base,
      ts: reading.time,
      kind: 'reading',
      value: reading.value,
      ...noPct,
      device_id: SPORTS_WATCH,
    });
  }
}

/** The rows of every table for the given days of a person, sorted by natural key. */
export function groundTruthOf(user: HuamiOpenSimUser, days: DayModel[]): TableRows {
  const tz = user.tzOffsetS;
  const out: Record<string, Row[]> = {};
  const push: Push = (table, row) => {
    out[table] ??= [];
    out[table].push({ user_id: user.userId, ...row, source: SOURCE });
  };
  for (const day of days) {
    const base = { local_date: day.date, tz_offset_s: tz };
    minuteRows(day, base, push);
    summaryRow(day, base, push);
    sleepRows(day, base, push);
    if (day.workout) workoutRows(day.workout, tz, push);
    paiRow(day, base, push);
    stressRows(day, base, push);
  }
  const result: TableRows = {};
  for (const [table, rows] of Object.entries(out)) {
    const def = tableDef(table);
    result[table as TableName] = rows.sort((a, b) => (naturalKeyOf(def, a) < naturalKeyOf(def, b) ? -1 : 1));
  }
  return result;
}
