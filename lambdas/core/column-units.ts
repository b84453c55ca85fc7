// The unit of each lake column, for people and assistants reading the schema. The registry's names follow a
// convention (`_m` metres, `_s` seconds, `_min` minutes, `_pct` percent, `*_hr` beats per minute...), so the
// unit is read off the name; a numeric column that fits no rule has no unit here, and a test lists every
// registry column so that a new one without a unit is noticed.

import type { ColumnDef } from './schema-registry.ts';

/** What a number without a physical unit is: a code, a score, a count. */
const UNITLESS: Readonly<Record<string, string>> = {
  activity_kind: 'code',
  kind_raw: 'code (bit field)',
  intensity: 'vendor scale',
  mode: 'code',
  workout_type: 'code',
  status: 'code',
  wake_count: 'count',
  odi_num: 'count',
  rows: 'count',
  value: 'stress 1-100',
  min_stress: 'stress 1-100',
  max_stress: 'stress 1-100',
  trackid: 'id (start, epoch seconds)',
  pause_index: 'position',
  lap_index: 'position',
  vendor_index: 'index',
  start_gps_index: 'index',
  end_gps_index: 'index',
  pause_type: 'code',
  lap_type: 'code',
  avg_stroke_speed: 'vendor value (unit undocumented)',
  stroke_time: 'vendor value (unit undocumented)',
  stroke_efficiency: 'vendor value (unit undocumented)',
  avg_frequency: 'vendor value (unit undocumented)',
};

const BY_NAME: readonly [RegExp, string][] = [
  [/^(lat|lon)$/, 'degrees'],
  [/^tz_offset_s$/, 's (UTC offset)'],
  [/_pace_s_per_m$/, 's/m'],
  [/(^|_)heart_rate$|(^|_)hr$/, 'bpm'],
  [/_ms$/, 'ms'],
  [/_cm$/, 'cm'],
  [/_pa$/, 'Pa'],
  [/_pct$/, '%'],
  [/_min$/, 'min'],
  [/_s$/, 's'],
  [/_m$/, 'm'],
  [/(^|_)calories$/, 'kcal'],
  [/(^|_)steps$/, 'steps'],
  [/(^|_)cadence$/, 'steps/min'],
  [/^speed$/, 'm/s'],
  [/^spo2$/, '%'],
  [/^spo2_decrease$/, 'percentage points'],
  [/^odi$/, 'events/h'],
  [/(^|_)pai$/, 'PAI'],
  [/(^|_)score$/, 'score'],
];

/** The column's unit, or '' for text and for numbers that have none. */
export function unitOf(column: Pick<ColumnDef, 'name' | 'type'>): string {
  if (column.type === 'timestamp') return 'UTC';
  if (column.type === 'date') return 'local date';
  if (column.type === 'string' || column.type === 'boolean') return '';
  const unitless = UNITLESS[column.name];
  if (unitless !== undefined) return unitless;
  return BY_NAME.find(([pattern]) => pattern.test(column.name))?.[1] ?? '';
}
