// Helpers for end-to-end tests of the local mode: a temp lake + home, the simulator's users logged in, and
// readers that turn the lake back into comparable rows.

import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { loginZepp } from '../../lambdas/cli/sync-command.ts';
import { compareByKey } from '../../lambdas/core/merge.ts';
import { type Row, TABLE_NAMES, type TableName, type TableRows, tableDef } from '../../lambdas/core/schema-registry.ts';
import { openLocalRuntime, type Runtime } from '../../lambdas/runtime/local.ts';
import type { HttpOptions } from '../../lambdas/sources/http.ts';
import { readParquet } from '../../lambdas/stores/parquet.ts';
import type { Simulator } from '../../sim/index.ts';

export const FAST_HTTP: HttpOptions = {
  maxRetries: 3,
  baseDelayMs: 1,
  maxDelayMs: 5,
  timeoutMs: 5_000,
  sleep: async () => {},
};

export async function tempRuntime(): Promise<Runtime & { cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'zepp-lake-'));
  const rt = openLocalRuntime({ lake: join(dir, 'lake'), home: join(dir, 'home') });
  return { ...rt, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function loginAll(rt: Runtime, sim: Simulator, userIds?: string[]): Promise<void> {
  for (const u of sim.users) {
    if (userIds && !userIds.includes(u.userId)) continue;
    await loginZepp(rt, { email: u.email, password: u.password, host: sim.url, http: FAST_HTTP });
  }
}

/** Every file below `dir` (none when it does not exist). */
export async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(full)));
    else out.push(full);
  }
  return out;
}

/** key -> sha256 of every object in the lake folder (tables/ and raw/). */
export async function lakeHashes(lakeDir: string, prefix = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of (await walk(lakeDir)).sort()) {
    const key = relative(lakeDir, f).split(sep).join('/');
    if (!key.startsWith(prefix)) continue;
    out.set(
      key,
      createHash('sha256')
        .update(await readFile(f))
        .digest('hex'),
    );
  }
  return out;
}

/** Every row of a table for one user, read back from the month objects, sorted by natural key. */
export async function lakeRows(lakeDir: string, table: TableName, userId: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const f of await walk(join(lakeDir, 'tables', table))) {
    if (f.endsWith(`user-${userId}.parquet`)) rows.push(...readParquet(table, new Uint8Array(await readFile(f))));
  }
  return rows.sort(compareByKey(tableDef(table)));
}

export async function lakeObjectCount(lakeDir: string, table: TableName, userId: string): Promise<number> {
  return (await walk(join(lakeDir, 'tables', table))).filter((f) => f.endsWith(`user-${userId}.parquet`)).length;
}

/** One row with every registry column present, in registry order (absent -> null). */
function normaliseRow(table: TableName, row: Row): Row {
  return Object.fromEntries(tableDef(table).columns.map((c) => [c.name, row[c.name] ?? null])) as Row;
}

/** Ground truth rows in the same order and with every registry column present (absent -> null). */
export function normalise(table: TableName, rows: readonly Row[]): Row[] {
  return rows.map((r) => normaliseRow(table, r)).sort(compareByKey(tableDef(table)));
}

/**
 * Whether two rows differ as their normalised JSON would: column by column, absent read as null, a value
 * compared by its JSON only when it is not the very same value (a Date, NaN against null).
 */
function rowsDiffer(columns: readonly string[], a: Row, b: Row): boolean {
  for (const c of columns) {
    const x = a[c] ?? null;
    const y = b[c] ?? null;
    if (x !== y && JSON.stringify(x) !== JSON.stringify(y)) return true;
  }
  return false;
}

export const DATA_TABLES = TABLE_NAMES.filter((t) => t !== 'ingest_ledger');

/** Compares the lake with the simulator's ground truth, table by table; returns the differences found. */
export async function diffAgainstTruth(lakeDir: string, userId: string, truth: TableRows): Promise<string[]> {
  const problems: string[] = [];
  for (const t of DATA_TABLES) {
    // Sorted, not normalised: compareByKey reads an absent key as null, so the order is normalise's, without a
    // copy of each of a multi-year account's million rows (most of this function's time and garbage).
    const def = tableDef(t);
    const columns = def.columns.map((c) => c.name);
    const expected = [...(truth[t] ?? [])].sort(compareByKey(def));
    const actual = await lakeRows(lakeDir, t, userId);
    if (expected.length !== actual.length)
      problems.push(`${t}: ${actual.length} rows in the lake, ${expected.length} expected`);
    const n = Math.min(expected.length, actual.length);
    for (let i = 0; i < n; i++) {
      if (rowsDiffer(columns, actual[i]!, expected[i]!)) {
        const shown = (row: Row) => JSON.stringify(normaliseRow(t, row));
        problems.push(`${t} row ${i}: lake ${shown(actual[i]!)} != truth ${shown(expected[i]!)}`);
        break;
      }
    }
  }
  return problems;
}
