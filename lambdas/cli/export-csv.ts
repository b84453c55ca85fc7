// `zepp-lake export csv`: one lake table as RFC 4180 CSV, read through DuckDB one (user, month) partition at a time.

import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { csvWriter } from '../core/csv.ts';
import { TABLE_NAMES, TABLES, type TableName } from '../core/schema-registry.ts';
import type { LakeDb } from '../stores/duckdb-query.ts';
import {
  checkRange,
  ExportError,
  type ExportIo,
  exportProgress,
  filters,
  sqlString,
  whereClause,
} from './export-common.ts';

export interface CsvExportOptions {
  table: string;
  user?: string;
  from?: string;
  to?: string;
  /** A file, or `-` (the default) for stdout. */
  out?: string;
  /** Cells exactly as stored, formula-like text included (default: such text gets a leading `'`). */
  rawCells?: boolean;
  quiet?: boolean;
  json?: boolean;
}

export interface CsvExportSummary {
  format: 'csv';
  table: TableName;
  out: string;
  rows: number;
}

/** A text sink with backpressure: a file, or stdout. */
interface Sink {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

async function fileSink(path: string): Promise<Sink> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (err) {
    throw new ExportError(`cannot write ${path} (${(err as NodeJS.ErrnoException).code}): choose another --out`, {
      cause: err,
    });
  }
  const stream: WriteStream = createWriteStream(path);
  let failure: Error | undefined;
  const failed = new Promise<never>((_, reject) => {
    stream.once('error', (err: NodeJS.ErrnoException) => {
      failure = new ExportError(`cannot write ${path} (${err.code ?? err.message}): choose another --out`, {
        cause: err,
      });
      reject(failure);
    });
  });
  failed.catch(() => {});
  return {
    async write(text) {
      if (failure) throw failure;
      if (!stream.write(text)) await Promise.race([new Promise<void>((r) => stream.once('drain', () => r())), failed]);
    },
    async close() {
      if (failure) throw failure;
      await Promise.race([new Promise<void>((r) => stream.end(() => r())), failed]);
    },
  };
}

function stdoutSink(io: ExportIo): Sink {
  return {
    async write(text) {
      if (!io.writeStdout(text)) await io.drainStdout();
    },
    async close() {},
  };
}

/** Rows of a table through DuckDB as CSV, one (user, month) partition at a time. */
export async function exportCsv(db: LakeDb, opts: CsvExportOptions, io: ExportIo): Promise<CsvExportSummary> {
  if (!(TABLE_NAMES as readonly string[]).includes(opts.table)) {
    throw new ExportError(`unknown table "${opts.table}"; the tables are: ${TABLE_NAMES.join(', ')}`);
  }
  const table = opts.table as TableName;
  const { from, to } = opts;
  checkRange(from, to);
  const out = opts.out ?? '-';
  if (out === '-' && opts.json)
    throw new ExportError('--out - writes the CSV to stdout: drop --json or pass --out FILE');
  const def = TABLES[table];
  const select = def.columns
    .map((c) => (c.type === 'timestamp' ? `epoch_ms(${c.name}) AS ${c.name}` : c.name))
    .join(', ');
  const where = filters({ user: opts.user, from, to });
  const total = Number(
    (await db.query(`SELECT count(*) AS n FROM zepp_lake.${table}${whereClause(where)}`))[0]?.n ?? 0,
  );
  const parts = await db.query(
    `SELECT DISTINCT user_id, month FROM zepp_lake.${table}${whereClause(where)} ORDER BY user_id, month`,
  );

  const sink = out === '-' ? stdoutSink(io) : await fileSink(resolve(out));
  const writer = csvWriter(def.columns, { rawCells: opts.rawCells });
  const progress = exportProgress({ ...opts, quiet: opts.quiet || (out === '-' && io.stdoutIsTTY) }, io);
  progress.update({ stream: `csv ${table}`, done: 0, total, label: 'rows' });
  let rows = 0;
  try {
    await sink.write(writer.header());
    for (const part of parts) {
      const batch = await db.query(
        `SELECT ${select} FROM zepp_lake.${table}` +
          whereClause([
            `user_id = ${sqlString(String(part.user_id))}`,
            `month = ${sqlString(String(part.month))}`,
            ...where,
          ]) +
          ` ORDER BY ${def.naturalKey.join(', ')}`,
      );
      // Written in slices so a month of minute rows is a few large writes, not 40 000 small ones.
      for (let i = 0; i < batch.length; i += 2000) {
        await sink.write(
          batch
            .slice(i, i + 2000)
            .map((r) => writer.record(r))
            .join(''),
        );
      }
      rows += batch.length;
      progress.update({ stream: `csv ${table}`, done: rows, total, label: 'rows' });
    }
    await sink.close();
  } finally {
    progress.stop();
  }
  const summary: CsvExportSummary = { format: 'csv', table, out: out === '-' ? '-' : resolve(out), rows };
  if (opts.json) io.say(JSON.stringify(summary));
  else if (!opts.quiet && out !== '-') io.say(`wrote ${rows} rows of ${table} to ${summary.out}`);
  return summary;
}
