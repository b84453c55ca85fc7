// Sections 1 and 2: decode throughput on the simulator year, the decode + Parquet write path per month
// object, and our writer (parquet-wasm) against the old baseline (parquetjs-lite) on the same year of rows.

import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
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
  lines.push(
    line(
      '  ratio',
      `parquet-wasm ${fmtRatio(liteMs / wasm.median)} faster, ${fmtRatio(liteBytes / wasmBytes)} smaller`,
    ),
  );
  return lines;
}
