// Sections 1 and 2: decode throughput on the simulator year, the decode + Parquet write path per month
// object, and our writer (parquet-wasm) against the old baseline (parquetjs-lite) on the same year of rows.

import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as zlib from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import { groupByMonth, mergeRows } from '../lambdas/core/merge.ts';
import type { DecodeContext } from '../lambdas/core/ports.ts';
import {
  type ColumnType,
  type Row,
  TABLE_NAMES,
  type TableName,
  type TableRows,
  tableDef,
} from '../lambdas/core/schema-registry.ts';
import { appendRows } from '../lambdas/engine/decode-raw.ts';
import { TzTimeline } from '../lambdas/engine/tz-timeline.ts';
import { decodeBandDay } from '../lambdas/sources/zepp/decode-band-data.ts';
import { decodeEvents } from '../lambdas/sources/zepp/decode-events.ts';
import { decodeWorkoutDetail } from '../lambdas/sources/zepp/decode-workouts.ts';
import { writeParquet } from '../lambdas/stores/parquet.ts';
import { fmtBytes, fmtInt, fmtMs, fmtRatio, line, perSecond, type Timing, timeRepeated } from './measure.ts';
import type { YearCorpus } from './sim-corpus.ts';

/** The parsed corpus: what the decoders take (JSON.parse is timed on its own). */
interface Parsed {
  ctx: DecodeContext;
  /** band_data `data[]` elements, per month window. */
  bandDays: unknown[][];
  eventBodies: unknown[];
  eventItems: number;
  detailBodies: unknown[];
}

function parse(corpus: YearCorpus): Parsed {
  const bandDays = corpus.band.map((r) => {
    const data = (JSON.parse(r.text) as { data?: unknown }).data;
    if (!Array.isArray(data)) throw new Error(`band_data ${r.key} has no data array`);
    return data as unknown[];
  });
  const timeline = new TzTimeline(null);
  const ctx: DecodeContext = { userId: corpus.userId, source: 'zepp', tzOffsetAt: timeline.offsetAt };
  // Events and workouts are placed in the person's zone, which the band summaries tell (as in the engine).
  for (const days of bandDays) {
    for (const day of days) {
      for (const s of decodeBandDay(day, ctx).daily_summary ?? []) {
        if (typeof s.tz_offset_s === 'number') timeline.add(s.local_date as string, s.tz_offset_s);
      }
    }
  }
  const eventBodies = Object.values(corpus.events)
    .flat()
    .map((r) => JSON.parse(r.text) as unknown);
  const eventItems = eventBodies.reduce<number>((n, b) => n + ((b as { items?: unknown[] }).items?.length ?? 0), 0);
  return {
    ctx,
    bandDays,
    eventBodies,
    eventItems,
    detailBodies: corpus.details.map((r) => JSON.parse(r.text) as unknown),
  };
}

function rowCount(rows: TableRows, table: TableName): number {
  return rows[table]?.length ?? 0;
}

export interface DecodeFigures {
  lines: string[];
  /** Every activity_minute row of the year, sorted by natural key (input of the writer comparison). */
  minuteRows: Row[];
  parsed: Parsed;
}

/** Section 1. */
export async function benchDecode(corpus: YearCorpus): Promise<DecodeFigures> {
  const lines: string[] = [];
  const responses = [...corpus.band, ...Object.values(corpus.events).flat(), ...corpus.history, ...corpus.details];
  lines.push(
    line(
      'corpus (fetched once over HTTP)',
      `${responses.length} responses, ${fmtBytes(corpus.bytes)} in ${fmtMs(corpus.fetchMs)}: ` +
        `${corpus.band.length} band_data months, ${corpus.details.length} workout details`,
    ),
  );
  const parseTiming = await timeRepeated(() => parse(corpus), { minRuns: 3, maxRuns: 5, minTotalMs: 500 });
  lines.push(
    line(
      'JSON.parse of every response',
      `${fmtMs(parseTiming.median)} median  (${fmtBytes(perSecond(corpus.bytes, parseTiming.median))}/s)`,
    ),
  );
  const parsed = parse(corpus);
  const { ctx } = parsed;

  // Band days.
  const days = parsed.bandDays.flat();
  let bandRows: TableRows = {};
  const band = await timeRepeated(
    () => {
      const out: TableRows = {};
      for (const day of days) appendRows(out, decodeBandDay(day, ctx));
      bandRows = out;
    },
    { minRuns: 3, maxRuns: 10, minTotalMs: 2_000 },
  );
  const minutes = rowCount(bandRows, 'activity_minute');
  lines.push(
    line(
      'decodeBandDay: band days / s',
      `${fmtInt(perSecond(days.length, band.median))}  (${days.length} days in ${fmtMs(band.median)} median, ${band.runs.length} runs)`,
    ),
  );
  lines.push(
    line('decodeBandDay: minute rows / s', `${fmtInt(perSecond(minutes, band.median))}  (${fmtInt(minutes)} rows)`),
  );
  const bandAll = TABLE_NAMES.reduce((n, t) => n + rowCount(bandRows, t), 0);
  lines.push(line('decodeBandDay: rows of all 4 band tables / s', fmtInt(perSecond(bandAll, band.median))));

  // Workout details.
  let samples = 0;
  const workouts = await timeRepeated(
    () => {
      let n = 0;
      for (const body of parsed.detailBodies)
        n += rowCount(decodeWorkoutDetail(body, undefined, ctx), 'workout_sample');
      samples = n;
    },
    { minRuns: 3, maxRuns: 10, minTotalMs: 1_500 },
  );
  lines.push(
    line(
      'decodeWorkoutDetail: samples / s',
      `${fmtInt(perSecond(samples, workouts.median))}  (${fmtInt(samples)} samples of ${parsed.detailBodies.length} workouts in ${fmtMs(workouts.median)})`,
    ),
  );
  lines.push(line('decodeWorkoutDetail: workouts / s', fmtInt(perSecond(parsed.detailBodies.length, workouts.median))));

  // Events.
  let eventRows = 0;
  const events = await timeRepeated(
    () => {
      let n = 0;
      for (const body of parsed.eventBodies) {
        const rows = decodeEvents(body, ctx);
        for (const t of TABLE_NAMES) n += rowCount(rows, t);
      }
      eventRows = n;
    },
    { minRuns: 3, maxRuns: 10, minTotalMs: 1_500 },
  );
  lines.push(
    line(
      'decodeEvents: items / s',
      `${fmtInt(perSecond(parsed.eventItems, events.median))}  (${fmtInt(parsed.eventItems)} items -> ${fmtInt(eventRows)} rows in ${fmtMs(events.median)})`,
    ),
  );
  lines.push(line('decodeEvents: rows / s', fmtInt(perSecond(eventRows, events.median))));

  const minuteRows = mergeRows(tableDef('activity_minute'), [], bandRows.activity_minute ?? []);
  return { lines, minuteRows, parsed };
}

/** Decode one month window and write every band table's month objects, as the engine does for a back-fill. */
function decodeAndWriteMonth(
  monthDays: unknown[],
  ctx: DecodeContext,
): { minutes: number; rows: number; bytes: number; objects: number } {
  const rows: TableRows = {};
  for (const day of monthDays) appendRows(rows, decodeBandDay(day, ctx));
  let bytes = 0;
  let objects = 0;
  let all = 0;
  for (const t of TABLE_NAMES) {
    const list = rows[t];
    if (!list || list.length === 0) continue;
    const def = tableDef(t);
    for (const monthRows of groupByMonth(def, list).values()) {
      const sorted = mergeRows(def, [], monthRows);
      bytes += writeParquet(t, sorted).length;
      objects++;
      all += sorted.length;
    }
  }
  return { minutes: rowCount(rows, 'activity_minute'), rows: all, bytes, objects };
}

// parquetjs-lite is CommonJS only (its generated Thrift code relies on sloppy-mode globals): load it with require.
interface ParquetjsWriter {
  appendRow(row: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}
interface Parquetjs {
  ParquetSchema: new (fields: Record<string, unknown>) => unknown;
  ParquetWriter: {
    openStream(schema: unknown, out: Writable, opts?: Record<string, unknown>): Promise<ParquetjsWriter>;
  };
}
const requireCjs = createRequire(import.meta.url);

const PARQUETJS_TYPES: Record<ColumnType, string> = {
  string: 'UTF8',
  int: 'INT32',
  bigint: 'INT64',
  double: 'DOUBLE',
  timestamp: 'TIMESTAMP_MILLIS',
  date: 'DATE',
  boolean: 'BOOLEAN',
};

const DAY_MS = 86_400_000;

/**
 * The same table written with parquetjs-lite 0.8.7 as the reference baseline ran it: GZIP (its best codec that
 * Athena reads), its default pages and row groups. Converting dates to day numbers is inside the timed region,
 * as parquet-wasm's column building is.
 */
async function writeWithParquetjs(table: TableName, rows: readonly Row[]): Promise<number> {
  const parquetjs = requireCjs('parquetjs-lite') as Parquetjs;
  const def = tableDef(table);
  const fields: Record<string, unknown> = {};
  for (const c of def.columns) {
    fields[c.name] = { type: PARQUETJS_TYPES[c.type], optional: c.nullable, compression: 'GZIP' };
  }
  const schema = new parquetjs.ParquetSchema(fields);
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  const writer = await parquetjs.ParquetWriter.openStream(schema, sink);
  const dates = def.columns.filter((c) => c.type === 'date').map((c) => c.name);
  for (const r of rows) {
    if (dates.length === 0) {
      await writer.appendRow(r);
      continue;
    }
    const copy: Record<string, unknown> = { ...r };
    for (const d of dates) {
      const v = r[d];
      copy[d] = typeof v === 'string' ? Math.round(Date.parse(`${v}T00:00:00Z`) / DAY_MS) : v;
    }
    await writer.appendRow(copy);
  }
  await writer.close();
  return chunks.reduce((n, c) => n + c.length, 0);
}

// hyparquet-writer (pure JS, ~100 KiB) on the same rows: the candidate for a writer without WebAssembly. Its
// compressors are injected: ZSTD from node:zlib where this Node has it (22.15+, the Lambda runtime), else GZIP.
type HyparquetCodec = 'ZSTD' | 'GZIP';
const zstdSync = (zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Buffer }).zstdCompressSync;
export const HYPARQUET_CODEC: HyparquetCodec = zstdSync ? 'ZSTD' : 'GZIP';
const hyparquetCompressors = {
  ZSTD: (b: Uint8Array) => new Uint8Array((zstdSync as (x: Uint8Array) => Buffer)(b)),
  GZIP: (b: Uint8Array) => new Uint8Array(zlib.gzipSync(b)),
};

const HYPARQUET_TYPES: Record<ColumnType, { type: string; converted_type?: string }> = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  int: { type: 'INT32' },
  bigint: { type: 'INT64' },
  double: { type: 'DOUBLE' },
  timestamp: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' },
  date: { type: 'INT32', converted_type: 'DATE' },
  boolean: { type: 'BOOLEAN' },
};

function writeWithHyparquet(table: TableName, rows: readonly Row[]): Uint8Array {
  const def = tableDef(table);
  const columnData = def.columns.map((c) => {
    const data = rows.map((r) => {
      const v = r[c.name] ?? null;
      if (v === null) return null;
      if (c.type === 'timestamp' || c.type === 'bigint') return BigInt(v as number);
      if (c.type === 'date') return Math.round(Date.parse(`${v as string}T00:00:00Z`) / DAY_MS);
      return v;
    });
    return { name: c.name, data, nullable: c.nullable };
  });
  const schema = [
    { name: 'root', num_children: def.columns.length },
    ...def.columns.map((c) => ({
      name: c.name,
      ...HYPARQUET_TYPES[c.type],
      repetition_type: c.nullable ? 'OPTIONAL' : 'REQUIRED',
    })),
  ];
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData,
    schema,
    codec: HYPARQUET_CODEC,
    compressors: hyparquetCompressors,
    rowGroupSize: 131_072,
  } as unknown as Parameters<typeof parquetWrite>[0]);
  return new Uint8Array(writer.getBuffer());
}

/**
 * DuckDB's native Parquet writer on the same rows: loaded into a DuckDB table from our file first (untimed), then
 * `COPY ... (FORMAT parquet, COMPRESSION zstd)` timed alone, so the figure is its writer and nothing else.
 */
async function writeWithDuckdb(ourFile: Uint8Array): Promise<{ timing: Timing; bytes: number; threads: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'zepp-lake-bench-duckdb-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const input = join(dir, 'in.parquet');
    const output = join(dir, 'out.parquet');
    await writeFile(input, ourFile);
    await connection.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${input}')`);
    const threads = String((await connection.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0]?.[0]);
    const timing = await timeRepeated(
      () => connection.run(`COPY t TO '${output}' (FORMAT parquet, COMPRESSION zstd)`),
      { minRuns: 3, maxRuns: 5, minTotalMs: 500 },
    );
    return { timing, bytes: (await stat(output)).size, threads };
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Our file read back by DuckDB: the comparison only counts if our writer's output is a valid file of the rows. */
async function duckdbRowCount(bytes: Uint8Array): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'zepp-lake-bench-check-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const file = join(dir, 'f.parquet');
    await writeFile(file, bytes);
    const rows = (await connection.runAndReadAll(`SELECT count(*) FROM read_parquet('${file}')`)).getRows();
    return Number(rows[0]?.[0]);
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

function verdict(met: boolean): string {
  return met ? 'met' : 'MISSED';
}

/** Section 2. */
export async function benchWrite(decoded: DecodeFigures): Promise<string[]> {
  const lines: string[] = [];
  const { parsed, minuteRows } = decoded;

  // Decode + write per month object, the whole year.
  let total = { minutes: 0, rows: 0, bytes: 0, objects: 0 };
  const path = await timeRepeated(
    () => {
      const sum = { minutes: 0, rows: 0, bytes: 0, objects: 0 };
      for (const month of parsed.bandDays) {
        const r = decodeAndWriteMonth(month, parsed.ctx);
        sum.minutes += r.minutes;
        sum.rows += r.rows;
        sum.bytes += r.bytes;
        sum.objects += r.objects;
      }
      total = sum;
    },
    { minRuns: 3, maxRuns: 5, minTotalMs: 2_000 },
  );
  lines.push(
    line(
      'decode + write, minute rows / s',
      `${fmtInt(perSecond(total.minutes, path.median))}  (a year: ${fmtInt(total.minutes)} minute rows, ${fmtMs(path.median)} median of ${path.runs.length})`,
    ),
  );
  lines.push(
    line('decode + write of a user-year', `${fmtMs(path.median)}  [target <= 1.0 s: ${verdict(path.median <= 1_000)}]`),
  );
  lines.push(
    line(
      'decode + write, all band rows / s',
      `${fmtInt(perSecond(total.rows, path.median))}  (${fmtInt(total.rows)} rows -> ${total.objects} month objects, ${fmtBytes(total.bytes)})`,
    ),
  );

  // The writers alone, on the same year of activity_minute rows, one file each.
  let wasmBytes = 0;
  const wasm: Timing = await timeRepeated(
    () => {
      wasmBytes = writeParquet('activity_minute', minuteRows).length;
    },
    { minRuns: 3, maxRuns: 5, minTotalMs: 1_500 },
  );
  // parquetjs-lite takes seconds for a year: one warm-up month, then one timed year.
  await writeWithParquetjs('activity_minute', minuteRows.slice(0, 44_640));
  const t0 = performance.now();
  const liteBytes = await writeWithParquetjs('activity_minute', minuteRows);
  const liteMs = performance.now() - t0;

  lines.push(`  same ${fmtInt(minuteRows.length)} activity_minute rows (a user-year, one file):`);
  lines.push(
    line(
      '  parquet-wasm (writeParquet, ZSTD)',
      `${fmtMs(wasm.median)} median (min ${fmtMs(wasm.min)}, ${wasm.runs.length} runs), ${fmtBytes(wasmBytes)}, ${fmtInt(perSecond(minuteRows.length, wasm.median))} rows/s`,
    ),
  );
  lines.push(
    line(
      '  parquetjs-lite 0.8.7 (GZIP, defaults)',
      `${fmtMs(liteMs)} (1 run), ${fmtBytes(liteBytes)}, ${fmtInt(perSecond(minuteRows.length, liteMs))} rows/s`,
    ),
  );
  const liteRatio = liteMs / wasm.median;
  lines.push(
    line(
      '  ratio',
      `parquet-wasm ${fmtRatio(liteRatio)} faster, ${fmtRatio(liteBytes / wasmBytes)} smaller  [target >= 40x faster: ${verdict(liteRatio >= 40)}]`,
    ),
  );

  let hyBytes = 0;
  const hy = await timeRepeated(
    () => {
      hyBytes = writeWithHyparquet('activity_minute', minuteRows).length;
    },
    { minRuns: 3, maxRuns: 5, minTotalMs: 1_500 },
  );
  const hyFile = writeWithHyparquet('activity_minute', minuteRows);
  const hyRows = await duckdbRowCount(hyFile);
  lines.push(
    line(
      `  hyparquet-writer 0.17.0 (${HYPARQUET_CODEC}, node:zlib)`,
      `${fmtMs(hy.median)} median, ${fmtBytes(hyBytes)}: ${fmtRatio(hy.median / wasm.median)} parquet-wasm's time, ${fmtRatio(hyBytes / wasmBytes)} its size (DuckDB reads ${fmtInt(hyRows)} rows)`,
    ),
  );

  const ourFile = writeParquet('activity_minute', minuteRows);
  const ourRows = await duckdbRowCount(ourFile);
  const duck = await writeWithDuckdb(ourFile);
  const timeRatio = wasm.median / duck.timing.median;
  const sizeRatio = wasmBytes / duck.bytes;
  lines.push(
    line(
      `  DuckDB COPY (FORMAT parquet, zstd; ${duck.threads} threads)`,
      `${fmtMs(duck.timing.median)} median, ${fmtBytes(duck.bytes)} (our file: DuckDB reads ${fmtInt(ourRows)} rows)`,
    ),
  );
  lines.push(
    line(
      '  parquet-wasm against DuckDB',
      `${fmtRatio(timeRatio)} its time [target <= 3x: ${verdict(timeRatio <= 3)}], ${fmtRatio(sizeRatio)} its size [target <= 1.2x: ${verdict(sizeRatio <= 1.2)}]`,
    ),
  );
  lines.push(
    line(
      '  parquetjs-lite against DuckDB',
      `${fmtRatio(liteMs / duck.timing.median)} its time, ${fmtRatio(liteBytes / duck.bytes)} its size`,
    ),
  );
  return lines;
}
