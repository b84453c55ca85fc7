// `zepp-lake query` and the demo report: the project's Athena SQL on DuckDB over the lake folder.

import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLakeDb } from '../adapters/duckdb-query.ts';
import { rewriteAthenaSql } from '../core/athena-to-duckdb.ts';

export const QUERIES_DIR = fileURLToPath(new URL('../../athena/queries/', import.meta.url));

export async function listNamedQueries(): Promise<string[]> {
  return (await readdir(QUERIES_DIR))
    .filter((f) => f.endsWith('.sql'))
    .map((f) => basename(f, '.sql'))
    .sort();
}

export async function readNamedQuery(name: string): Promise<string> {
  const names = await listNamedQueries();
  if (!names.includes(name)) throw new Error(`no named query ${name}; known: ${names.join(', ')}`);
  return readFile(join(QUERIES_DIR, `${name}.sql`), 'utf8');
}

export async function runAthenaSql(lakeDir: string, athenaSql: string): Promise<Record<string, unknown>[]> {
  const db = await openLakeDb(lakeDir);
  try {
    return await db.query(rewriteAthenaSql(athenaSql));
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
