// The schema registry: every lake table declared once. The Parquet schema, the DuckDB views, the Glue
// columns and athena/tables/*.sql are all generated from this file, so they cannot drift apart.

export type ColumnType = 'string' | 'int' | 'bigint' | 'double' | 'timestamp' | 'date' | 'boolean';

export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  readonly comment: string;
}

/** How new rows meet the rows already in a month object. */
export type WriteMode = 'merge';

export interface TableDef {
  readonly name: TableName;
  readonly description: string;
  readonly columns: readonly ColumnDef[];
  /** Columns that identify a row; rows are sorted by them and a newer row with the same key replaces the older. */
  readonly naturalKey: readonly string[];
  /** The `month` partition is the month (YYYY-MM) of this `date` column. */
  readonly partitionFrom: 'local_date';
  readonly writeMode: WriteMode;
}

export const TABLE_NAMES = [
  'activity_minute',
  'daily_summary',
  'sleep_session',
  'sleep_stage',
  'workout',
  'workout_sample',
  'workout_pause',
  'workout_lap',
  'stress',
  'spo2',
  'pai',
  'readiness',
  'ingest_ledger',
] as const;
export type TableName = (typeof TABLE_NAMES)[number];

const col = (name: string, type: ColumnType, comment: string, nullable = true): ColumnDef => ({
  name,
  type,
  nullable,
  comment,
});

const userId = col('user_id', 'string', 'vendor user id of the person', false);
const localDate = col('local_date', 'date', "the person's local calendar date the row belongs to", false);
const tzOffset = col(
  'tz_offset_s',
  'int',
  'UTC offset in seconds in force for local_date (null when the vendor gave none)',
);
const source = col('source', 'string', 'zepp-lake source id: zepp (app API) or huami-open (official Web API)', false);

export const TABLES: Readonly<Record<TableName, TableDef>> = {
  activity_minute: {
    name: 'activity_minute',
    description: 'One row per minute with data: activity kind, intensity, steps and heart rate (band_data detail).',
    columns: [
      userId,
      col('ts', 'timestamp', 'start of the minute, UTC', false),
      localDate,
      tzOffset,
      col(
        'activity_kind',
        'int',
        'low nibble of the kind byte (Huami raw activity type; 1 activity, 2 run, 3 not worn, 9 light sleep, 11 deep sleep...)',
      ),
      col('kind_raw', 'int', 'the whole kind byte as sent, flags included'),
      col('intensity', 'int', 'activity intensity byte'),
      col('steps', 'int', 'steps in the minute'),
      col('heart_rate', 'int', 'bpm; null when the byte is 0, 254 or 255'),
      col('device_id', 'string', 'device or device source that recorded the day'),
      source,
    ],
    naturalKey: ['user_id', 'ts'],
    partitionFrom: 'local_date',
    writeMode: 'merge',
  },
  daily_summary: {
    name: 'daily_summary',
    description: 'One row per local day with the daily totals (band_data summary.stp).',
    columns: [
      userId,
      localDate,
      tzOffset,
      col('steps', 'int', 'total steps'),
      col('distance_m', 'int', 'distance, metres'),
      col('calories', 'int', 'kcal'),
      col('run_distance_m', 'int', 'running distance, metres'),
      col('run_calories', 'int', 'running kcal'),
      col('walk_min', 'int', 'walking minutes'),
      col('run_min', 'int', 'running minutes'),
      col('goal_steps', 'int', 'daily step goal'),
      col('max_hr', 'int', 'daily maximum heart rate, when the vendor reports it'),
      col('device_id', 'string', 'device or device source id'),
      col('synced_ts', 'timestamp', 'when the device last synced this day'),
      source,
    ],
    naturalKey: ['user_id', 'local_date'],
    partitionFrom: 'local_date',
    writeMode: 'merge',
  },
  sleep_session: {
    name: 'sleep_session',
    description: 'One row per night: the night following local_date (band_data summary.slp of day D).',
    columns: [
      userId,
      localDate,
      tzOffset,
      col('night_of', 'date', 'the evening date D of the night D -> D+1', false),
      col('start_ts', 'timestamp', 'fell asleep, UTC'),
      col('end_ts', 'timestamp', 'woke up, UTC'),
      col('deep_min', 'int', 'deep sleep minutes'),
      col('light_min', 'int', 'light sleep minutes'),
      col('rem_min', 'int', 'REM minutes (sum of REM stages; null when the source has no stages)'),
      col('awake_min', 'int', 'awake minutes'),
      col('wake_count', 'int', 'times woken'),
      col('sleep_score', 'int', 'vendor sleep score'),
      col('resting_hr', 'int', 'resting heart rate'),
      source,
    ],
    naturalKey: ['user_id', 'night_of'],
    partitionFrom: 'local_date',
    writeMode: 'merge',
  },
  sleep_stage: {
    name: 'sleep_stage',
    description: 'One row per sleep stage segment (slp.stage[]; minutes may run past 1440 into the next day).',
    columns: [
      userId,
      localDate,
      tzOffset,
      col('night_of', 'date', 'the evening date D of the night D -> D+1', false),
      col('start_ts', 'timestamp', 'segment start, UTC', false),
      col('end_ts', 'timestamp', 'segment end (exclusive), UTC', false),
      col('stage', 'string', 'light, deep, rem, awake or unknown', false),
      col('mode', 'int', 'the raw stage mode (4 light, 5 deep, 7 awake, 8 REM)'),
      source,
    ],
    naturalKey: ['user_id', 'start_ts'],
    partitionFrom: 'local_date',
    writeMode: 'merge',
  },
  workout: {
    name: 'workout',
    description: 'One row per workout (sport/run/history.json summary items).',
    columns: [
      userId,
      localDate,
      tzOffset,
      col('trackid', 'bigint', 'workout id = start, epoch seconds', false),
      col('workout_type', 'int', 'vendor type code (1 run, 6 walk, 8 treadmill, 9 cycle, 14 pool swim...)'),
      col('workout_type_name', 'string', 'readable type'),
      col('start_ts', 'timestamp', 'start, UTC', false),
      col('end_ts', 'timestamp', 'end, UTC'),
      col('duration_s', 'int', 'moving time, seconds (excludes pauses)'),
      col('distance_m', 'double', 'distance, metres'),
      col('calories', 'double', 'kcal'),
      col('total_steps', 'int', 'steps'),
      col('avg_hr', 'double', 'average heart rate'),
      col('max_hr', 'int', 'maximum heart rate'),
      col('min_hr', 'int', 'minimum heart rate'),
      col('avg_pace_s_per_m', 'double', 'average pace, seconds per metre'),
      col('avg_cadence', 'double', 'steps per minute'),
      col('ascent_m', 'double', 'altitude ascended'),
      col('descent_m', 'double', 'altitude descended'),
      col('device_id', 'string', 'bound device'),
      col('track_source', 'string', 'the vendor source string, needed to fetch the detail'),
      source,
    ],
    naturalKey: ['user_id', 'trackid'],
    partitionFrom: 'local_date',
    writeMode: 'merge',
  },
  workout_sample: {
    name: 'workout_sample',
    description:
      "One row per (workout, second) joining every series of detail.json; stored in the workout's start month.",
    columns: [
      userId,
      col('local_date', 'date', 'local date the workout started (samples live with their workout)', false),
      tzOffset,
      col('trackid', 'bigint', 'workout id', false),
      col('ts', 'timestamp', 'the second, UTC', false),
      col('lat', 'double', 'latitude, degrees'),
      col('lon', 'double', 'longitude, degrees'),
      col('altitude_m', 'double', 'GPS altitude, metres'),
      col('heart_rate', 'int', 'bpm'),
      col('distance_m', 'double', 'cumulative distance, metres'),
      col('steps', 'int', 'cumulative steps'),
      col('stride_cm', 'int', 'stride length'),
      col('cadence', 'int', 'steps per minute'),
      col('speed', 'double', 'speed, m/s'),
      col('pressure_pa', 'double', 'air pressure'),
      source,
    ],
    naturalKey: ['user_id', 'trackid', 'ts'],
    partitionFrom: 'local_date',
    writeMode: 'merge',
  },
  workout_pause: {
    name: 'workout_pause',
    description:
      "One row per pause of a workout (detail.json `pause`, sportDetail `pause`); stored in the workout's start month.",
    columns: [
      userId,
      col('local_date', 'date', 'local date the workout started (pauses live with their workout)', false),
      tzOffset,
      col('trackid', 'bigint', 'workout id', false),
      col('pause_index', 'int', "position in the vendor's pause series, from 0", false),
      col('start_ts', 'timestamp', 'the pause began, UTC', false),
      col('end_ts', 'timestamp', 'the pause ended (start + duration), UTC; null when no duration was sent'),
      col('duration_s', 'double', 'length of the pause, seconds'),
      col('start_gps_index', 'int', 'index of the GPS point where it began (null for the vendor -1)'),
      col('end_gps_index', 'int', 'index of the GPS point where it ended (null for the vendor -1)'),
      col('pause_type', 'int', 'vendor pause type: 2 manual, 3 auto (documented); 1 and 0 seen, meaning unknown'),
      source,
    ],
    naturalKey: ['user_id', 'trackid', 'pause_index'],
    partitionFrom: 'local_date',
    writeMode: 'merge',
  },
  workout_lap: {
    name: 'workout_lap',
    description:
      "One row per lap of a workout (detail.json `lap`, sportDetail `lapPace`); stored in the workout's start month.",
    columns: [
      userId,
      col('local_date', 'date', 'local date the workout started (laps live with their workout)', false),
      tzOffset,
      col('trackid', 'bigint', 'workout id', false),
      col('lap_index', 'int', "position in the vendor's lap series, from 0", false),
      col('vendor_index', 'int', 'the lap index as the vendor sent it'),
      col('duration_s', 'double', 'lap time, seconds (run_time: without pauses)'),
      col('distance_m', 'double', 'lap distance, metres'),
      col('geohash', 'string', 'geohash the vendor gives the lap'),
      col('avg_hr', 'double', 'average heart rate of the lap (null for the vendor -1)'),
      col('end_ts', 'timestamp', 'the lap ended: workout start + the offset the vendor sends, UTC'),
      col('altitude_m', 'double', 'absolute altitude, metres (null for the vendor -2000000)'),
      col('ascent_m', 'double', 'altitude gained in the lap, metres'),
      col('descent_m', 'double', 'altitude lost in the lap, metres'),
      col('avg_pace_s_per_m', 'double', 'average pace, s/m (the 19-field form only; Huami SDK name avgPace)'),
      col('max_pace_s_per_m', 'double', 'best pace, s/m (19-field form; maxPace)'),
      col('ascent_distance_m', 'double', 'distance climbing, metres (19-field form; ascendDistance)'),
      col('avg_stroke_speed', 'double', 'swim stroke rate (19-field form; avgStrokeSpeed, unit unverified)'),
      col('stroke_time', 'double', 'swim strokes (19-field form; strokeTime, meaning unverified)'),
      col('stroke_efficiency', 'double', 'swim stroke efficiency (19-field form; strokeEfficiency)'),
      col('calories', 'double', 'kcal (19-field form; calorie)'),
      col('avg_frequency', 'double', 'average step frequency (19-field form; avgFrequency)'),
      col('avg_cadence', 'double', 'average cadence (19-field form; avgCadence)'),
      col('lap_type', 'int', 'vendor lap type (19-field form; type, meaning unverified)'),
      source,
    ],
    naturalKey: ['user_id', 'trackid', 'lap_index'],
    partitionFrom: 'local_date',
    writeMode: 'merge',
  },
  stress: {
    name: 'stress',
    description: "Stress: every 5-minute reading (kind 'reading') and the day's aggregates (kind 'day').",
    columns: [
      userId,
      localDate,
      tzOffset,
      col('ts', 'timestamp', 'reading time, or the day start for kind=day', false),
      col('kind', 'string', 'reading or day', false),
      col('value', 'int', 'stress 1-100 (reading); average (day)'),
      col('min_stress', 'int', 'day minimum'),
      col('max_stress', 'int', 'day maximum'),
      col('relax_pct', 'int', 'share of the day relaxed, %'),
      col('normal_pct', 'int', 'share normal, %'),
      col('medium_pct', 'int', 'share medium, %'),
      col('high_pct', 'int', 'share high, %'),
      col('device_id', 'string', 'device'),
      source,
    ],
    naturalKey: ['user_id', 'ts', 'kind'],
    partitionFrom: 'local_date',
    writeMode: 'merge',
  },
  spo2: {
    name: 'spo2',
    description: 'Blood oxygen events: spot checks, OSA events and nightly ODI.',
    columns: [
      userId,
      localDate,
      tzOffset,
      col('ts', 'timestamp', 'event time, UTC', false),
      col('kind', 'string', 'subType: click, osa_event, odi, ...', false),
      col('spo2', 'int', 'SpO2 %'),
      col('spo2_decrease', 'int', 'OSA event desaturation'),
      col('odi', 'double', 'oxygen desaturation index, events/hour'),
      col('odi_num', 'int', 'desaturation events'),
      col('score', 'int', 'vendor score'),
      col('device_id', 'string', 'device'),
      source,
    ],
    naturalKey: ['user_id', 'ts', 'kind'],
    partitionFrom: 'local_date',
    writeMode: 'merge',
  },
  pai: {
    name: 'pai',
    description: 'Daily PAI (PaiHealthInfo events).',
    columns: [
      userId,
      localDate,
      tzOffset,
      col('ts', 'timestamp', 'event time, UTC', false),
      col('daily_pai', 'double', 'PAI earned that day'),
      col('total_pai', 'double', 'rolling 7-day PAI'),
      col('rest_hr', 'int', 'resting heart rate'),
      col('max_hr', 'int', 'maximum heart rate'),
      col('low_zone_pai', 'double', 'PAI in the low zone'),
      col('medium_zone_pai', 'double', 'PAI in the medium zone'),
      col('high_zone_pai', 'double', 'PAI in the high zone'),
      col('low_zone_min', 'int', 'minutes in the low zone'),
      col('medium_zone_min', 'int', 'minutes in the medium zone'),
      col('high_zone_min', 'int', 'minutes in the high zone'),
      col('total_steps', 'int', 'steps'),
      col('total_calories', 'int', 'kcal'),
      source,
    ],
    naturalKey: ['user_id', 'ts'],
    partitionFrom: 'local_date',
    writeMode: 'merge',
  },
  readiness: {
    name: 'readiness',
    description: 'Readiness scores (readiness events; 255 and 32767 mean no data and become null).',
    columns: [
      userId,
      localDate,
      tzOffset,
      col('ts', 'timestamp', 'the day the score describes (or the event time), UTC', false),
      col('kind', 'string', 'subType, e.g. watch_score', false),
      col('readiness_score', 'int', 'rdnsScore'),
      col('hrv_ms', 'int', 'sleep HRV'),
      col('resting_hr', 'int', 'sleep resting heart rate'),
      col('hrv_score', 'int', 'HRV score'),
      col('rhr_score', 'int', 'resting HR score'),
      col('skin_temp_score', 'int', 'skin temperature score'),
      col('physical_score', 'int', 'phyScore'),
      col('mental_score', 'int', 'mentScore'),
      col('status', 'int', 'vendor status code'),
      source,
    ],
    naturalKey: ['user_id', 'ts', 'kind'],
    partitionFrom: 'local_date',
    writeMode: 'merge',
  },
  ingest_ledger: {
    name: 'ingest_ledger',
    description: 'What the engine was asked for and how each (user, stream, period) ended.',
    columns: [
      userId,
      col('local_date', 'date', 'first day of the period', false),
      col('stream', 'string', 'band, workouts, stress, spo2, pai, readiness', false),
      col('period', 'string', 'YYYY-MM-DD (a day), YYYY-MM (a month) or track:<trackid>', false),
      col('status', 'string', 'written, empty, failed or auth_failed', false),
      col('rows', 'int', 'rows written for the period', false),
      col('raw_key', 'string', 'the raw response the rows came from'),
      col('fetched_at', 'timestamp', 'when the API answered', false),
      col('error', 'string', 'what went wrong (never a token)'),
      source,
    ],
    naturalKey: ['user_id', 'stream', 'period'],
    partitionFrom: 'local_date',
    writeMode: 'merge',
  },
};

/** A cell as it travels through the engine: timestamps are epoch milliseconds, dates 'YYYY-MM-DD'. */
export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

/** Rows produced by a decoder, grouped by the table they belong to. */
export type TableRows = Partial<Record<TableName, Row[]>>;

export function tableDef(name: string): TableDef {
  const def = (TABLES as Record<string, TableDef | undefined>)[name];
  if (!def) throw new Error(`unknown table ${name}; known: ${TABLE_NAMES.join(', ')}`);
  return def;
}

/** The key a row is stored under inside its table: user, month and natural key. */
export function naturalKeyOf(def: TableDef, row: Row): string {
  return def.naturalKey.map((k) => String(row[k])).join('\u0001');
}

/** YYYY-MM of the row's partition date. */
export function monthOf(def: TableDef, row: Row): string {
  const d = row[def.partitionFrom];
  if (typeof d !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(d)) {
    throw new Error(`row of ${def.name} has no valid ${def.partitionFrom}: ${String(d)}`);
  }
  return d.slice(0, 7);
}

/** `tables/<table>/month=YYYY-MM/user-<id>.parquet`: one object per (table, month, user). */
export function monthObjectKey(table: TableName, month: string, userId: string): string {
  return `tables/${table}/month=${month}/user-${userId}.parquet`;
}
