import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as arrow from 'apache-arrow';
// The Trino parser alone: the package root loads all eight ANTLR grammars, which makes the import ~5x slower.
import { TrinoSQL } from 'dt-sql-parser/dist/parser/trino/index.js';
import * as pw from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewriteAthenaSql } from '../../lambdas/core/athena-to-duckdb.ts';
import {
  monthObjectKey,
  monthOf,
  naturalKeyOf,
  type Row,
  TABLE_NAMES,
  TABLES,
  type TableName,
  type TableRows,
} from '../../lambdas/core/schema-registry.ts';
import { type LakeDb, openLakeDb } from '../../lambdas/stores/duckdb-query.ts';
import { writeParquet } from '../../lambdas/stores/parquet.ts';

const QUERIES_DIR = new URL('../../athena/queries/', import.meta.url);
const QUERY_FILES = readdirSync(QUERIES_DIR)
  .filter((f) => f.endsWith('.sql'))
  .sort();
const querySql = (name: string) => readFileSync(new URL(`${name}.sql`, QUERIES_DIR), 'utf8');

const U = 'u1';
const TZ = 3600;
const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);

/** Fills the columns a fixture row does not name with null. */
function full(table: TableName, partial: Row): Row {
  return Object.fromEntries(TABLES[table].columns.map((c) => [c.name, partial[c.name] ?? null]));
}

/** Writes rows the way the engine does: one object per (table, month, user), rows sorted by natural key. */
function writeLake(lakeDir: string, tables: TableRows): void {
  for (const [table, rows] of Object.entries(tables) as [TableName, Row[]][]) {
    const def = TABLES[table];
    const groups = new Map<string, Row[]>();
    for (const row of rows) {
      const key = `${monthOf(def, row)}\u0000${row.user_id}`;
      groups.set(key, [...(groups.get(key) ?? []), full(table, row)]);
    }
    for (const [key, group] of groups) {
      const [month, user] = key.split('\u0000') as [string, string];
      group.sort((a, b) => (naturalKeyOf(def, a) < naturalKeyOf(def, b) ? -1 : 1));
      const path = join(lakeDir, monthObjectKey(table, month, user));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, writeParquet(table, group));
    }
  }
}

// --- the fixture: one person, 2024-01-29 .. 2024-02-03, objects in two months ---------------------------------
const DAYS = ['2024-01-30', '2024-01-31', '2024-02-01'];

const minuteRows: Row[] = DAYS.flatMap((day, d) =>
  Array.from({ length: 90 }, (_, i) => ({
    user_id: U,
    ts: at(`${day}T07:00:00Z`) + i * MIN,
    local_date: day,
    tz_offset_s: TZ,
    activity_kind: 1,
    steps: 10 + ((i + d) % 7),
    heart_rate: i % 4 === 0 ? null : 55 + ((i * 3 + d) % 40),
    device_id: 'band-1',
    source: 'zepp',
  })),
);

const summaryRows: Row[] = DAYS.map((day, d) => ({
  user_id: U,
  local_date: day,
  tz_offset_s: TZ,
  steps: 8000 + d * 1111,
  distance_m: 6000 + d,
  calories: 300 + d,
  source: 'zepp',
}));

const sessionRows: Row[] = [
  { night_of: '2024-01-29', resting_hr: 50, deep_min: 60, light_min: 200, rem_min: 90, sleep_score: 80 },
  { night_of: '2024-01-30', resting_hr: 52, deep_min: 70, light_min: 210, rem_min: null, sleep_score: 82 },
  { night_of: '2024-01-31', resting_hr: 54, deep_min: 50, light_min: 190, rem_min: 100, sleep_score: 78 },
].map((s) => ({
  ...s,
  user_id: U,
  local_date: s.night_of,
  tz_offset_s: TZ,
  start_ts: at(`${s.night_of}T22:00:00Z`),
  end_ts: at(`${s.night_of}T22:00:00Z`) + 8 * 60 * MIN,
  source: 'zepp',
}));

const stageSegments: [stage: string, start: string, minutes: number][] = [
  ['light', '2024-01-30T22:00:00Z', 90],
  ['deep', '2024-01-30T23:30:00Z', 60],
  ['rem', '2024-01-31T00:30:00Z', 30],
  ['awake', '2024-01-31T01:00:00Z', 5],
  ['light', '2024-01-31T01:05:00Z', 25],
];
const stageRows: Row[] = stageSegments.map(([stage, start, minutes]) => ({
  user_id: U,
  local_date: '2024-01-30',
  tz_offset_s: TZ,
  night_of: '2024-01-30',
  start_ts: at(start),
  end_ts: at(start) + minutes * MIN,
  stage,
  source: 'zepp',
}));

const WORKOUT_START = at('2024-01-30T08:00:00Z');
const TRACK = WORKOUT_START / 1000;
const workoutRows: Row[] = [
  {
    user_id: U,
    local_date: '2024-01-30',
    tz_offset_s: TZ,
    trackid: TRACK,
    workout_type: 1,
    workout_type_name: 'run',
    start_ts: WORKOUT_START,
    end_ts: WORKOUT_START + 200_000,
    duration_s: 151,
    distance_m: 420.5,
    calories: 31,
    avg_hr: 131.5,
    max_hr: 180,
    source: 'zepp',
  },
];
// Seconds 0-29 at 100 bpm (zone 1 of 180), 30-59 at 120 (zone 2), 60-79 at 150 (zone 4), 80-99 at 170 (zone 5),
// one second without HR, then after a 50 s pause one sample at 100: the 99th second counts 10 s (the cap).
const sampleHr = (s: number) => (s < 30 ? 100 : s < 60 ? 120 : s < 80 ? 150 : 170);
const sampleRows: Row[] = [
  ...Array.from({ length: 100 }, (_, s) => ({ ts: WORKOUT_START + s * 1000, heart_rate: sampleHr(s) })),
  { ts: WORKOUT_START + 100_000, heart_rate: null },
  { ts: WORKOUT_START + 150_000, heart_rate: 100 },
].map((s) => ({
  ...s,
  user_id: U,
  local_date: '2024-01-30',
  tz_offset_s: TZ,
  trackid: TRACK,
  distance_m: (s.ts - WORKOUT_START) / 360,
  source: 'zepp',
}));

const ledger = (day: string, stream: string, period: string, status: string, rows = 0): Row => ({
  user_id: U,
  local_date: day,
  stream,
  period,
  status,
  rows,
  fetched_at: at('2024-02-04T00:00:00Z'),
  error: status.endsWith('failed') ? 'HTTP 500' : null,
  source: 'zepp',
});
const ledgerRows: Row[] = [
  ledger('2024-01-28', 'band', '2024-01-28', 'written', 1440),
  ledger('2024-01-29', 'band', '2024-01-29', 'empty'),
  ledger('2024-01-30', 'band', '2024-01-30', 'failed'),
  ledger('2024-01-31', 'band', '2024-01-31', 'written', 1440),
  ledger('2024-02-02', 'band', '2024-02-02', 'written', 1440),
  ledger('2024-02-03', 'band', '2024-02-03', 'auth_failed'),
  ledger('2024-01-30', 'workouts', `track:${TRACK}`, 'written', 102),
];

/** An activity_minute object from before kind_raw and device_id existed (schema evolution). */
function writeOldMinuteObject(lakeDir: string): void {
  const table = new arrow.Table({
    user_id: arrow.vectorFromArray(['u2', 'u2'], new arrow.Utf8()),
    ts: arrow.vectorFromArray(
      [at('2024-02-01T10:00:00Z'), at('2024-02-01T10:01:00Z')],
      new arrow.TimestampMillisecond('UTC'),
    ),
    local_date: arrow.vectorFromArray(
      [new Date('2024-02-01T00:00:00Z'), new Date('2024-02-01T00:00:00Z')],
      new arrow.DateDay(),
    ),
    tz_offset_s: arrow.vectorFromArray([0, 0], new arrow.Int32()),
    activity_kind: arrow.vectorFromArray([1, 1], new arrow.Int32()),
    intensity: arrow.vectorFromArray([5, 5], new arrow.Int32()),
    steps: arrow.vectorFromArray([7, 8], new arrow.Int32()),
    heart_rate: arrow.vectorFromArray([70, 72], new arrow.Int32()),
    source: arrow.vectorFromArray(['zepp', 'zepp'], new arrow.Utf8()),
  });
  const path = join(lakeDir, monthObjectKey('activity_minute', '2024-02', 'u2'));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'))));
}

describe('athena/queries/*.sql', () => {
  it('has the eight named queries, each starting with -- name: and -- description:', () => {
    expect(QUERY_FILES).toEqual([
      'coverage_calendar.sql',
      'coverage_report.sql',
      'daily_overview.sql',
      'resting_hr_by_week.sql',
      'sleep_by_night.sql',
      'sleep_stages.sql',
      'workout_track.sql',
      'workouts_with_hr_zones.sql',
    ]);
    for (const file of QUERY_FILES) {
      const lines = readFileSync(new URL(file, QUERIES_DIR), 'utf8').split('\n');
      expect(lines[0], file).toBe(`-- name: ${file.replace(/\.sql$/, '')}`);
      expect(lines[1], file).toMatch(/^-- description: \S/);
    }
  });

  it('is accepted by the Trino grammar (dt-sql-parser TrinoSQL) as written, before any rewrite', () => {
    const trino = new TrinoSQL();
    for (const file of QUERY_FILES) {
      expect(trino.validate(readFileSync(new URL(file, QUERIES_DIR), 'utf8')), file).toEqual([]);
    }
    expect(trino.validate('SELECT a, FROM zepp_lake.pai WHERE').length).toBeGreaterThan(0);
  });
});

describe('openLakeDb over an empty lake', () => {
  let dir: string;
  let db: LakeDb;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zepp-lake-empty-'));
    db = await openLakeDb(dir);
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has a view per registry table with every column plus month, and no rows', async () => {
    for (const table of TABLE_NAMES) {
      const columns = await db.query(`DESCRIBE zepp_lake.${table}`);
      expect(columns.map((c) => c.column_name)).toEqual([...TABLES[table].columns.map((c) => c.name), 'month']);
      expect(await db.query(`SELECT count(*) AS n FROM zepp_lake.${table}`)).toEqual([{ n: 0 }]);
    }
  });

  it.each(QUERY_FILES)('runs %s and returns zero rows', async (file) => {
    expect(await db.query(rewriteAthenaSql(querySql(file.replace(/\.sql$/, ''))))).toEqual([]);
  });
});

describe('the named queries on DuckDB over a lake written with writeParquet', () => {
  let dir: string;
  let db: LakeDb;
  const run = (name: string) => db.query(rewriteAthenaSql(querySql(name)));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zepp-lake-query-'));
    writeLake(dir, {
      activity_minute: minuteRows,
      daily_summary: summaryRows,
      sleep_session: sessionRows,
      sleep_stage: stageRows,
      workout: workoutRows,
      workout_sample: sampleRows,
      ingest_ledger: ledgerRows,
    });
    writeOldMinuteObject(dir);
    db = await openLakeDb(dir);
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('types timestamps as TIMESTAMP holding UTC wall time, returned as ISO strings; dates as YYYY-MM-DD', async () => {
    const [row] = await db.query(
      'SELECT ts, typeof(ts) AS ts_type, local_date, month, trackid FROM zepp_lake.workout_sample ORDER BY ts LIMIT 1',
    );
    expect(row).toEqual({
      ts: '2024-01-30T08:00:00.000Z',
      ts_type: 'TIMESTAMP',
      local_date: '2024-01-30',
      month: '2024-01',
      trackid: TRACK,
    });
    const [hour] = await db.query(
      "SELECT count(*) AS n FROM zepp_lake.activity_minute WHERE ts >= TIMESTAMP '2024-01-30 07:00:00' AND ts < TIMESTAMP '2024-01-30 08:00:00'",
    );
    expect(hour).toEqual({ n: 60 });
  });

  it('resolves unqualified table names to zepp_lake, as Athena does with that database selected', async () => {
    const unqualified = await db.query(rewriteAthenaSql('SELECT count(*) AS n FROM activity_minute'));
    const qualified = await db.query(rewriteAthenaSql('SELECT count(*) AS n FROM zepp_lake.activity_minute'));
    // The fixture's own count: u1's minutes plus the two of u2's object from before device_id existed.
    expect(unqualified).toEqual([{ n: minuteRows.length + 2 }]);
    expect(qualified).toEqual(unqualified);
    const joined = await db.query(
      'SELECT count(*) AS n FROM workout AS w JOIN zepp_lake.workout_sample AS s ON s.trackid = w.trackid',
    );
    expect(joined).toEqual([{ n: sampleRows.length }]);
  });

  it('reads objects from before a column existed: the column is null there', async () => {
    const rows = await db.query(
      'SELECT user_id, count(*) AS n, count(device_id) AS devices, count(kind_raw) AS kinds, sum(steps) AS steps FROM zepp_lake.activity_minute GROUP BY user_id ORDER BY user_id',
    );
    expect(rows).toEqual([
      { user_id: 'u1', n: 270, devices: 270, kinds: 0, steps: minuteRows.reduce((s, r) => s + (r.steps as number), 0) },
      { user_id: 'u2', n: 2, devices: 0, kinds: 0, steps: 15 },
    ]);
  });

  it('daily_overview: per day the steps written, HR minutes and stats, and the sleep of the night before', async () => {
    const rows = (await run('daily_overview')).filter((r) => r.user_id === U);
    expect(rows.map((r) => r.local_date)).toEqual(DAYS);
    DAYS.forEach((day, d) => {
      const minutes = minuteRows.filter((r) => r.local_date === day);
      const hrs = minutes.map((r) => r.heart_rate).filter((h): h is number => typeof h === 'number');
      const night = sessionRows.find(
        (s) => s.night_of === new Date(Date.parse(day) - 86_400_000).toISOString().slice(0, 10),
      );
      expect(rows[d]).toEqual({
        user_id: U,
        local_date: day,
        steps: summaryRows[d]?.steps,
        distance_m: 6000 + d,
        calories: 300 + d,
        minutes_recorded: 90,
        minutes_with_hr: hrs.length,
        avg_hr: Math.round((hrs.reduce((s, h) => s + h, 0) / hrs.length) * 10) / 10,
        min_hr: Math.min(...hrs),
        max_hr: Math.max(...hrs),
        sleep_min_night_before:
          (night?.deep_min as number) + (night?.light_min as number) + ((night?.rem_min as number | null) ?? 0),
      });
    });
    const old = (await run('daily_overview')).filter((r) => r.user_id === 'u2');
    expect(old).toMatchObject([{ local_date: '2024-02-01', steps: null, minutes_with_hr: 2, min_hr: 70, max_hr: 72 }]);
  });

  it('resting_hr_by_week: the weekly average of nightly resting HR and the 5th percentile of minute HR', async () => {
    const rows = (await run('resting_hr_by_week')).filter((r) => r.user_id === U);
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    expect(row).toMatchObject({ week_start: '2024-01-29', sleep_resting_hr: 52, nights_with_resting_hr: 3 });
    const hrs = minuteRows
      .map((r) => r.heart_rate)
      .filter((h): h is number => typeof h === 'number')
      .sort((a, b) => a - b);
    expect(row.minutes_with_hr).toBe(hrs.length);
    const exact = hrs[Math.floor(0.05 * (hrs.length - 1))] as number;
    expect(Math.abs((row.minute_hr_p05 as number) - exact)).toBeLessThanOrEqual(2);
  });

  it('sleep_by_night: the session next to the stage minutes summed from sleep_stage', async () => {
    const rows = await run('sleep_by_night');
    expect(rows.map((r) => r.night_of)).toEqual(['2024-01-29', '2024-01-30', '2024-01-31']);
    expect(rows[1]).toEqual({
      user_id: U,
      night_of: '2024-01-30',
      start_ts: '2024-01-30T22:00:00.000Z',
      end_ts: '2024-01-31T06:00:00.000Z',
      in_bed_min: 480,
      deep_min: 70,
      light_min: 210,
      rem_min: null,
      awake_min: null,
      wake_count: null,
      sleep_score: 82,
      resting_hr: 52,
      stage_segments: 5,
      stage_deep_min: 60,
      stage_light_min: 115,
      stage_rem_min: 30,
      stage_awake_min: 5,
      stage_unknown_min: 0,
    });
    expect(rows[0]).toMatchObject({ night_of: '2024-01-29', stage_segments: 0, stage_deep_min: null });
  });

  it('workouts_with_hr_zones: seconds per zone of the highest HR seen, each sample held until the next (max 10 s)', async () => {
    const rows = await run('workouts_with_hr_zones');
    expect(rows).toEqual([
      {
        user_id: U,
        trackid: TRACK,
        local_date: '2024-01-30',
        start_ts: '2024-01-30T08:00:00.000Z',
        end_ts: '2024-01-30T08:03:20.000Z',
        workout_type: 1,
        workout_type_name: 'run',
        duration_s: 151,
        distance_m: 420.5,
        calories: 31,
        avg_hr: 131.5,
        max_hr: 180,
        zone_max_hr: 180,
        hr_samples: 101,
        below_zone1_s: 0,
        zone1_s: 31,
        zone2_s: 30,
        zone3_s: 0,
        zone4_s: 20,
        zone5_s: 29,
      },
    ]);
  });

  it('coverage_report: status counts per user/stream/month and the days with no written or empty row', async () => {
    expect(await run('coverage_report')).toEqual([
      {
        user_id: U,
        stream: 'band',
        month: '2024-01',
        written: 2,
        empty: 1,
        failed: 1,
        auth_failed: 0,
        days_missing: 1,
        missing_days: '2024-01-30',
      },
      {
        user_id: U,
        stream: 'band',
        month: '2024-02',
        written: 1,
        empty: 0,
        failed: 0,
        auth_failed: 1,
        days_missing: 2,
        missing_days: '2024-02-01,2024-02-03',
      },
      {
        user_id: U,
        stream: 'workouts',
        month: '2024-01',
        written: 1,
        empty: 0,
        failed: 0,
        auth_failed: 0,
        days_missing: 0,
        missing_days: '',
      },
    ]);
  });
});
