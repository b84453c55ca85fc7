// `zepp-lake query` and the demo report: the project's Athena SQL on DuckDB over the lake folder.

import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { rewriteAthenaSql } from '../core/athena-to-duckdb.ts';
import { TABLE_NAMES } from '../core/schema-registry.ts';
import { queryableLakeDir } from '../runtime/local.ts';
import { openLakeDb } from '../stores/duckdb-query.ts';
import { CliError, type CliWiring, type Opts } from './wiring.ts';

export const QUERIES_DIR = fileURLToPath(new URL('../../athena/queries/', import.meta.url));

export async function listNamedQueries(): Promise<string[]> {
  return (await readdir(QUERIES_DIR))
    .filter((f) => f.endsWith('.sql'))
    .map((f) => basename(f, '.sql'))
    .sort();
}

export async function readNamedQuery(name: string): Promise<string> {
  const names = await listNamedQueries();
  if (!names.includes(name)) {
    throw new Error(`no named query ${name}; run one of: ${names.map((n) => `--name ${n}`).join(', ')}`);
  }
  return readFile(join(QUERIES_DIR, `${name}.sql`), 'utf8');
}

/** DuckDB refused a query: its own words, then what to do about them. */
export class QueryFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueryFailedError';
  }
}

/** The next step for a DuckDB error message about Athena SQL a person typed. */
export function queryFailureAdvice(duckdbMessage: string): string {
  if (/Table with name .* does not exist/.test(duckdbMessage)) {
    return `the tables of the database zepp_lake (write them with or without zepp_lake.): ${TABLE_NAMES.join(', ')}`;
  }
  if (/column .* not found/i.test(duckdbMessage)) {
    return 'list the columns of a table with: zepp-lake query "DESCRIBE <table>"';
  }
  if (/Parser Error/.test(duckdbMessage)) {
    return 'fix the SQL where the error points; the files in athena/queries/ are examples (zepp-lake query --name daily_overview)';
  }
  return (
    'the query runs on DuckDB, so it has to stay in the SQL that Athena and DuckDB share ' +
    '(lambdas/core/athena-to-duckdb.ts lists what is translated)'
  );
}

export async function runAthenaSql(lakeDir: string, athenaSql: string): Promise<Record<string, unknown>[]> {
  const db = await openLakeDb(lakeDir);
  try {
    return await db.query(rewriteAthenaSql(athenaSql));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new QueryFailedError(`${message}\n  ${queryFailureAdvice(message)}`, { cause: error });
  } finally {
    db.close();
  }
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  return String(v);
}

/** A plain text table, widths fitted to the content. */
export function formatTable(rows: Record<string, unknown>[], maxRows = 50): string {
  if (rows.length === 0) return '(no rows)';
  const cols = Object.keys(rows[0] ?? {});
  const shown = rows.slice(0, maxRows);
  const widths = cols.map((c) => Math.min(40, Math.max(c.length, ...shown.map((r) => cellText(r[c]).length))));
  const line = (cells: string[]) => cells.map((c, i) => c.slice(0, widths[i]).padEnd(widths[i] ?? 0)).join('  ');
  const out = [
    line(cols),
    line(widths.map((w) => '-'.repeat(w))),
    ...shown.map((r) => line(cols.map((c) => cellText(r[c])))),
  ];
  if (rows.length > maxRows) out.push(`... ${rows.length - maxRows} more rows`);
  return out.join('\n');
}

export function registerQueryCommand(program: Command, wiring: CliWiring): Command {
  return program
    .command('query')
    .description('run Athena SQL on DuckDB over the lake')
    .argument('[sql]', 'the SQL text')
    .option('--name <name>', 'a named query from athena/queries/')
    .option('--json', 'one JSON object per row')
    .showHelpAfterError(
      `(the SQL is one argument: put it in quotes, e.g. zepp-lake query "SELECT count(*) FROM workout")`,
    )
    .action(async (sql: string | undefined, o: Opts, cmd: Command) => {
      const rt = wiring.runtimeOf(cmd);
      const text = o.name ? await readNamedQuery(o.name as string) : sql;
      if (!text) throw new CliError('give SQL text or --name NAME');
      let rows: Record<string, unknown>[];
      try {
        rows = await runAthenaSql(await queryableLakeDir(rt), text);
      } catch (err) {
        throw new CliError(`query failed: ${(err as Error).message}`, { cause: err });
      }
      if (o.json) for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
      else console.log(formatTable(rows, 200));
    });
}
