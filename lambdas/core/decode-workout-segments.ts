// A workout's pauses and laps: detail.json `pause` and `lap` (the app API), sportDetail `pause` and `lapPace` (the
// official Web API, same formats under its own names) -> workout_pause and workout_lap rows. Pure.
//
// pause: `start_epoch_s,duration_s,start_gps_index,end_gps_index,type;` (api-doc: "pause start time, pause end time
//   interpolation, pause start index, pause stop index, pause type", 2 manual, 3 auto; the official example has
//   spaces after the commas). Every field is required; -1 gps indexes are null. start_ts = start, end_ts = start +
//   duration. A negative duration is malformed (a pause cannot end before it began).
// lap: `index,run_time,distance,geohash,avg_hr,offset_s,altitude,ascend,descend` (9 fields, reference §4.2 and the
//   api-doc's lapPace), plus 10 more when there are at least 19 (`avgPace,maxPace,ascendDistance,avgStrokeSpeed,
//   strokeTime,strokeEfficiency,calorie,avgFrequency,avgCadence,type`, the Huami SDK decoder's names). The first
//   five are required; an entry with 5-8 fields (the api-doc's own lapPace example has 8, and which field it lacks
//   cannot be told) keeps those five and leaves the rest null rather than guess. end_ts = workout start + offset_s
//   (the offset is elapsed time to the lap's end: the real capture's per-kilometre offsets add up that way, pauses
//   included). avg_hr -1/0 and altitude -2000000 are null. An empty field is null; a negative run_time or distance
//   is malformed. Empty entries (`;;`) make no row; lap_index / pause_index are the entry's position in the series.

import { MalformedPayloadError } from './errors.ts';
import { saneMs } from './row-guard.ts';
import type { Row } from './schema-registry.ts';

/** The columns every pause and lap row shares with its workout. */
export interface WorkoutSegmentBase {
  user_id: string;
  local_date: string;
  tz_offset_s: number | null;
  /** epoch s of the workout start */
  trackid: number;
  source: string;
}

/**
 * An empty workout_sample row of second `t` (epoch s), every sample column null, for the decoders to fill by
 * series. One literal on purpose: a spread copy of the segment with the sample columns added (one by one, or after
 * the spread in a literal) cost 20-40 us and most of the GC per row, because V8 gave each such row a dictionary of
 * its own; a user-year of workouts is ~160 000 rows.
 */
function emptyWorkoutSample(segment: WorkoutSegmentBase, t: number): Row {
  return {
    user_id: segment.user_id,
    local_date: segment.local_date,
    tz_offset_s: segment.tz_offset_s,
    trackid: segment.trackid,
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
    source: segment.source,
  };
}

/** A workout's samples by second: `at(t)` gives the row of second `t` (made on first use), `rows()` all, by time. */
export function samplesBySecond(segment: WorkoutSegmentBase): { at: (t: number) => Row; rows: () => Row[] } {
  const bySecond = new Map<number, Row>();
  return {
    at(t) {
      let row = bySecond.get(t);
      if (!row) {
        row = emptyWorkoutSample(segment, t);
        bySecond.set(t, row);
      }
      return row;
    },
    rows: () => [...bySecond.values()].sort((a, b) => (a.ts as number) - (b.ts as number)),
  };
}

const PAUSE_FIELDS = 5;
const LAP_REQUIRED_FIELDS = 5;
const LAP_FIELDS = 9;
const LAP_EXTENDED_FIELDS = 19;
const NO_ALTITUDE = -2_000_000;

/** `a;b;` -> entries with their positions; '' (or absent) has none, an empty entry is skipped. */
function entriesOf(series: unknown, field: string): { i: number; parts: string[] }[] {
  if (series === undefined || series === null || series === '') return [];
  if (typeof series !== 'string') throw new MalformedPayloadError(field, `expected a string, got ${typeof series}`);
  const out: { i: number; parts: string[] }[] = [];
  series.split(';').forEach((entry, i) => {
    if (entry.trim() !== '') out.push({ i, parts: entry.split(',').map((p) => p.trim()) });
  });
  return out;
}

/** An entry as an error message shows it: short (one bad entry may hold a megabyte). */
function shown(parts: readonly string[]): string {
  const text = parts.join(',');
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

/** A number field: '' -> null, anything else must be a finite number. */
function numberAt(parts: readonly string[], k: number, field: string): number | null {
  const text = parts[k];
  if (text === undefined || text === '') return null;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new MalformedPayloadError(field, `field ${k + 1} is not a number in ${shown(parts)}`);
  return n;
}

function requiredAt(parts: readonly string[], k: number, field: string): number {
  const n = numberAt(parts, k, field);
  if (n === null) throw new MalformedPayloadError(field, `field ${k + 1} is missing in ${shown(parts)}`);
  return n;
}

function notNegative(n: number | null, what: string, parts: readonly string[], field: string): number | null {
  if (n !== null && n < 0) throw new MalformedPayloadError(field, `negative ${what} in ${shown(parts)}`);
  return n;
}

const unless = (n: number | null, sentinels: readonly number[]) => (n === null || sentinels.includes(n) ? null : n);

/** The pause series (`pause`) -> workout_pause rows, in series order. */
export function decodePauseRows(series: unknown, field: string, base: WorkoutSegmentBase): Row[] {
  return entriesOf(series, field).map(({ i, parts }) => {
    const f = `${field}[${i}]`;
    if (parts.length < PAUSE_FIELDS) {
      throw new MalformedPayloadError(f, `expected ${PAUSE_FIELDS} fields in ${shown(parts)}`);
    }
    const startMs = saneMs(Math.round(requiredAt(parts, 0, f) * 1000), f);
    const duration = notNegative(requiredAt(parts, 1, f), 'duration', parts, f) as number;
    return {
      user_id: base.user_id,
      local_date: base.local_date,
      tz_offset_s: base.tz_offset_s,
      trackid: base.trackid,
      pause_index: i,
      start_ts: startMs,
      end_ts: saneMs(startMs + Math.round(duration * 1000), f),
      duration_s: duration,
      start_gps_index: unless(requiredAt(parts, 2, f), [-1]),
      end_gps_index: unless(requiredAt(parts, 3, f), [-1]),
      pause_type: requiredAt(parts, 4, f),
      source: base.source,
    };
  });
}

/** The 19-field form's extra columns, in the vendor's order (fields 10-19). */
const LAP_EXTENDED_COLUMNS = [
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
] as const;

/** The lap series (`lap` / `lapPace`) -> workout_lap rows, in series order. */
export function decodeLapRows(series: unknown, field: string, base: WorkoutSegmentBase): Row[] {
  return entriesOf(series, field).map(({ i, parts }) => {
    const f = `${field}[${i}]`;
    if (parts.length < LAP_REQUIRED_FIELDS) {
      throw new MalformedPayloadError(f, `expected at least ${LAP_REQUIRED_FIELDS} fields in ${shown(parts)}`);
    }
    const full = parts.length >= LAP_FIELDS;
    const at = (k: number) => (full ? numberAt(parts, k, f) : null);
    const offset = at(5);
    const row: Row = {
      user_id: base.user_id,
      local_date: base.local_date,
      tz_offset_s: base.tz_offset_s,
      trackid: base.trackid,
      lap_index: i,
      vendor_index: numberAt(parts, 0, f),
      duration_s: notNegative(numberAt(parts, 1, f), 'lap time', parts, f),
      distance_m: notNegative(numberAt(parts, 2, f), 'distance', parts, f),
      geohash: parts[3] === '' ? null : (parts[3] as string),
      avg_hr: unless(numberAt(parts, 4, f), [-1, 0]),
      end_ts: offset === null ? null : saneMs(Math.round((base.trackid + offset) * 1000), f),
      altitude_m: unless(at(6), [NO_ALTITUDE]),
      ascent_m: at(7),
      descent_m: at(8),
    };
    const extended = parts.length >= LAP_EXTENDED_FIELDS;
    LAP_EXTENDED_COLUMNS.forEach((column, k) => {
      row[column] = extended ? numberAt(parts, LAP_FIELDS + k, f) : null;
    });
    row.source = base.source;
    return row;
  });
}
