import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ColumnDef, type Row, TABLE_NAMES, TABLES, type TableName } from '../../lambdas/core/schema-registry.ts';
import {
  MAX_ROW_GROUP_ROWS,
  ParquetRowError,
  parquetRowCount,
  readParquet,
  writeParquet,
} from '../../lambdas/stores/parquet.ts';

/** A value of the column's type for row i; nullable columns are null on every third row. */
function cell(column: ColumnDef, i: number): Row[string] {
  if (column.nullable && i % 3 === 1) return null;
  switch (column.type) {
    case 'string':
      return i % 2 === 0 ? `${column.name}-${i}` : `Zepp ✓ ü ${i % 4}`;
    case 'int':
      return i % 5 === 0 ? -2_147_483_648 + i : i * 7 - 3;
    case 'bigint':
      return 1_700_000_000 + i * 9_007_199;
    case 'double':
      return i * 1.25 - 0.1;
    case 'timestamp':
      return Date.UTC(2024, 0, 31, 23, 59, 0, 0) + i * 60_001;
    case 'date':
      return new Date(Date.UTC(2024, 1, 27) + i * 86_400_000).toISOString().slice(0, 10);
    case 'boolean':
      return i % 2 === 0;
  }
}

function rowsOf(table: TableName, n: number): Row[] {
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(TABLES[table].columns.map((c) => [c.name, cell(c, i)])),
  );
}

describe('writeParquet / readParquet', () => {
  it.each(TABLE_NAMES)('round-trips %s with nulls, dates across a leap day and negative numbers', (table) => {
    const rows = rowsOf(table, 50);
    expect(readParquet(table, writeParquet(table, rows))).toEqual(rows);
  });

  it('round-trips an empty table', () => {
    expect(readParquet('workout', writeParquet('workout', []))).toEqual([]);
  });

  it('writes byte-identical output for the same rows', () => {
    for (const table of TABLE_NAMES) {
      const rows = rowsOf(table, 100);
      const first = writeParquet(table, rows);
      const second = writeParquet(
        table,
        rows.map((r) => ({ ...r })),
      );
      expect(Buffer.from(first).equals(Buffer.from(second)), table).toBe(true);
    }
  });

  it('ignores row fields that are not registry columns', () => {
    const rows = rowsOf('pai', 3);
    const withExtra = rows.map((r) => ({ ...r, not_a_column: 'x' }));
    expect(Buffer.from(writeParquet('pai', withExtra)).equals(Buffer.from(writeParquet('pai', rows)))).toBe(true);
  });

  it('rejects a null in a non-nullable column, naming table, column and row index', () => {
    const rows = rowsOf('activity_minute', 5);
    (rows[3] as Row).ts = null;
    expect(() => writeParquet('activity_minute', rows)).toThrow(ParquetRowError);
    expect(() => writeParquet('activity_minute', rows)).toThrow(/activity_minute\.ts row 3: null in a non-nullable/);
    const missing = rowsOf('sleep_stage', 2);
    delete (missing[1] as Row).stage;
    expect(() => writeParquet('sleep_stage', missing)).toThrow(/sleep_stage\.stage row 1/);
  });

  it('rejects values of the wrong type instead of writing garbage', () => {
    const bad = (column: string, value: Row[string]) => {
      const rows = rowsOf('workout', 2);
      (rows[1] as Row)[column] = value;
      return () => writeParquet('workout', rows);
    };
    expect(bad('duration_s', '12')).toThrow(/workout\.duration_s row 1: not a 32-bit integer/);
    expect(bad('duration_s', 2 ** 31)).toThrow(/not a 32-bit integer/);
    expect(bad('duration_s', 1.5)).toThrow(/not a 32-bit integer/);
    expect(bad('trackid', 2 ** 60)).toThrow(/workout\.trackid row 1: not a safe integer/);
    expect(bad('local_date', '2024-02-30')).toThrow(/workout\.local_date row 1: not a YYYY-MM-DD date/);
    expect(bad('distance_m', '3.5')).toThrow(/not a number/);
    expect(bad('device_id', 7)).toThrow(/workout\.device_id row 1: not a string/);
  });

  it('reads an object written before a column existed: the new column is null, dropped columns are ignored', () => {
    // An "old" activity_minute object: no kind_raw and no device_id yet, plus a column the registry no longer has.
    const old = new arrow.Table({
      user_id: arrow.vectorFromArray(['u1', 'u1'], new arrow.Utf8()),
      ts: arrow.vectorFromArray(
        [Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1, 0, 1)],
        new arrow.TimestampMillisecond('UTC'),
      ),
      local_date: arrow.vectorFromArray(
        ['2024-01-01', '2024-01-01'].map((d) => new Date(`${d}T00:00:00Z`)),
        new arrow.DateDay(),
      ),
      tz_offset_s: arrow.vectorFromArray([3600, null], new arrow.Int32()),
      activity_kind: arrow.vectorFromArray([1, 2], new arrow.Int32()),
      intensity: arrow.vectorFromArray([10, 20], new arrow.Int32()),
      steps: arrow.vectorFromArray([5n, 6n], new arrow.Int64()),
      heart_rate: arrow.vectorFromArray([null, 61], new arrow.Int32()),
      source: arrow.vectorFromArray(['zepp', 'zepp'], new arrow.Utf8()),
      retired_column: arrow.vectorFromArray(['a', 'b'], new arrow.Utf8()),
    });
    const bytes = pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(old, 'stream')));
    expect(readParquet('activity_minute', bytes)).toEqual([
      {
        user_id: 'u1',
        ts: Date.UTC(2024, 0, 1),
        local_date: '2024-01-01',
        tz_offset_s: 3600,
        activity_kind: 1,
        kind_raw: null,
        intensity: 10,
        steps: 5,
        heart_rate: null,
        device_id: null,
        source: 'zepp',
      },
      {
        user_id: 'u1',
        ts: Date.UTC(2024, 0, 1, 0, 1),
        local_date: '2024-01-01',
        tz_offset_s: null,
        activity_kind: 2,
        kind_raw: null,
        intensity: 20,
        steps: 6,
        heart_rate: 61,
        device_id: null,
        source: 'zepp',
      },
    ]);
  });
});

describe('parquetRowCount', () => {
  it('reads the row count from the footer', () => {
    expect(parquetRowCount(writeParquet('stress', rowsOf('stress', 1234)))).toBe(1234);
    expect(parquetRowCount(writeParquet('stress', []))).toBe(0);
  });

  it('rejects bytes that are not Parquet', () => {
    expect(() => parquetRowCount(new TextEncoder().encode('{"not":"parquet"}'))).toThrow(/not a Parquet file/);
  });
});

describe('Parquet metadata as a reader sees it (DuckDB parquet_schema / parquet_metadata)', () => {
  let dir: string;
  let file: string;
  let bigFile: string;
  let query: (sql: string) => Promise<Record<string, unknown>[]>;
  let close: () => void;
  const bigRows = MAX_ROW_GROUP_ROWS + 5;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zepp-lake-parquet-'));
    file = join(dir, 'workout.parquet');
    writeFileSync(file, writeParquet('workout', rowsOf('workout', 300)));
    bigFile = join(dir, 'activity_minute.parquet');
    writeFileSync(bigFile, writeParquet('activity_minute', rowsOf('activity_minute', bigRows)));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    query = async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    close = () => {
      connection.closeSync();
      instance.closeSync();
    };
  });

  afterAll(() => {
    close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores timestamps as INT64 TIMESTAMP(MILLIS, isAdjustedToUTC) and dates as DATE, never INT96', async () => {
    const schema = await query(
      `SELECT name, type, repetition_type, converted_type, logical_type FROM parquet_schema('${file}') WHERE type IS NOT NULL`,
    );
    const byName = new Map(schema.map((r) => [r.name, r]));
    expect(schema.map((r) => r.name)).toEqual(TABLES.workout.columns.map((c) => c.name));
    expect(schema.some((r) => r.type === 'INT96')).toBe(false);
    for (const column of ['start_ts', 'end_ts']) {
      const ts = byName.get(column);
      expect(ts?.type).toBe('INT64');
      expect(ts?.converted_type).toBe('TIMESTAMP_MILLIS');
      expect(String(ts?.logical_type)).toMatch(/TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS=/);
    }
    expect(byName.get('local_date')).toMatchObject({ type: 'INT32', converted_type: 'DATE' });
    expect(byName.get('trackid')).toMatchObject({ type: 'INT64', repetition_type: 'REQUIRED' });
    expect(byName.get('duration_s')).toMatchObject({ type: 'INT32', repetition_type: 'OPTIONAL' });
    expect(byName.get('distance_m')).toMatchObject({ type: 'DOUBLE' });
    expect(byName.get('device_id')).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
  });

  it('compresses every column chunk with ZSTD and keeps min/max (min_value/max_value) and null-count statistics', async () => {
    const chunks = await query(
      `SELECT path_in_schema, compression, stats_min_value, stats_max_value, stats_null_count, encodings FROM parquet_metadata('${file}')`,
    );
    expect(chunks).toHaveLength(TABLES.workout.columns.length);
    for (const chunk of chunks) {
      expect(chunk.compression, String(chunk.path_in_schema)).toBe('ZSTD');
      expect(chunk.stats_min_value, String(chunk.path_in_schema)).not.toBeNull();
      expect(chunk.stats_max_value, String(chunk.path_in_schema)).not.toBeNull();
      expect(chunk.stats_null_count, String(chunk.path_in_schema)).not.toBeNull();
    }
    const encodings = new Map(chunks.map((c) => [c.path_in_schema, String(c.encodings)]));
    expect(encodings.get('start_ts')).not.toMatch(/DICTIONARY/);
    expect(encodings.get('device_id')).toMatch(/RLE_DICTIONARY/);
    const durations = chunks.find((c) => c.path_in_schema === 'duration_s');
    expect(durations?.stats_null_count).toBe('100');
  });

  it('caps row groups at 131072 rows and writes format version 1', async () => {
    const groups = await query(
      `SELECT row_group_id, row_group_num_rows FROM parquet_metadata('${bigFile}') WHERE path_in_schema = 'ts' ORDER BY row_group_id`,
    );
    expect(groups.map((g) => Number(g.row_group_num_rows))).toEqual([MAX_ROW_GROUP_ROWS, 5]);
    const [meta] = await query(`SELECT created_by, num_rows, format_version FROM parquet_file_metadata('${bigFile}')`);
    expect(meta).toMatchObject({ num_rows: String(bigRows), format_version: '1' });
    expect(String(meta?.created_by)).toMatch(/^parquet-rs version \d+\.\d+\.\d+$/);
  });

  it('reads back through DuckDB with the values written', async () => {
    const rows = rowsOf('workout', 300);
    const [stats] = await query(
      `SELECT count(*) AS n, count(duration_s) AS durations, sum(trackid) AS trackids, min(start_ts) AS first_start FROM '${file}'`,
    );
    expect(stats).toMatchObject({
      n: '300',
      durations: String(rows.filter((r) => r.duration_s !== null).length),
      trackids: String(rows.reduce((s, r) => s + (r.trackid as number), 0)),
      first_start: '2024-01-31 23:59:00+00',
    });
  });
});
