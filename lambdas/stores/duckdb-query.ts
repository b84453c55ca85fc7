// Athena stand-in: an in-memory DuckDB with a `zepp_lake` schema holding one view per registry table over the
// lake folder's Parquet objects (tables/<table>/month=YYYY-MM/*.parquet), so the named Athena queries run locally.
//
// Each view lists every registry column with an explicit cast, and unions the files BY NAME with an empty row
// set that has every column: a column missing from old objects (or from all of them) reads as NULL, and a
// table with no objects yet still has its view, with the right columns and no rows.
//
// Timestamps: the files hold TIMESTAMP(MILLIS, UTC), which DuckDB reads as TIMESTAMPTZ. Athena's `timestamp` is
// a zone-less timestamp holding UTC wall time, so the views cast to TIMESTAMP with the session TimeZone pinned
// to UTC (the cast uses the session zone).
//
// Views are bound when the database is opened: open a LakeDb per query session, after the objects are written.
//
// The session's default schema is `zepp_lake`, as in the Athena console with that database selected: `workout`
// and `zepp_lake.workout` name the same table.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import { ATHENA_DATABASE, PARTITION_COLUMN } from '../core/athena-ddl.ts';
import type { ColumnType, TableDef } from '../core/schema-registry.ts';
import { TABLE_NAMES, TABLES } from '../core/schema-registry.ts';

export interface LakeDb {
  /** Runs DuckDB SQL (pass Athena SQL through rewriteAthenaSql first); rows as plain JS values. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): void;
}

const DUCKDB_TYPES: Readonly<Record<ColumnType, string>> = {
  string: 'VARCHAR',
  int: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  timestamp: 'TIMESTAMP',
  date: 'DATE',
  boolean: 'BOOLEAN',
};

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** True when tables/<table>/month=*\/ holds at least one .parquet object. */
async function hasObjects(tableDir: string): Promise<boolean> {
  let months: string[];
  try {
    months = await readdir(tableDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  for (const month of months) {
    if (!month.startsWith(`${PARTITION_COLUMN.name}=`)) continue;
    try {
      if ((await readdir(join(tableDir, month))).some((f) => f.endsWith('.parquet'))) return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
    }
  }
  return false;
}

/** The `CREATE VIEW` of one table; `glob` is null when the table has no objects yet. */
export function lakeViewSql(def: TableDef, glob: string | null): string {
  const names = [...def.columns.map((c) => c.name), PARTITION_COLUMN.name];
  const empty = `SELECT ${names.map((n) => `NULL AS ${sqlIdentifier(n)}`).join(', ')} WHERE false`;
  const source = glob
    ? `${empty} UNION ALL BY NAME SELECT * FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, ` +
      `hive_types = {'${PARTITION_COLUMN.name}': VARCHAR}, union_by_name = true)`
    : empty;
  const casts = [
    ...def.columns.map((c) => `CAST(${sqlIdentifier(c.name)} AS ${DUCKDB_TYPES[c.type]}) AS ${sqlIdentifier(c.name)}`),
    `CAST(${sqlIdentifier(PARTITION_COLUMN.name)} AS VARCHAR) AS ${sqlIdentifier(PARTITION_COLUMN.name)}`,
  ];
  return `CREATE OR REPLACE VIEW ${ATHENA_DATABASE}.${def.name} AS SELECT ${casts.join(', ')} FROM (${source}) AS files`;
}

/**
 * The UTC session and the `zepp_lake` schema (the default one) with one view per registry table over `<lakeDir>/tables/`; with
 * `lakeDir` null every view is empty (the columns without rows: enough to check a query's names and types).
 */
export async function createLakeViews(connection: DuckDBConnection, lakeDir: string | null): Promise<void> {
  await connection.run(`SET TimeZone = 'UTC'`);
  await connection.run(`CREATE SCHEMA ${ATHENA_DATABASE}`);
  for (const name of TABLE_NAMES) {
    const tableDir = lakeDir === null ? null : join(lakeDir, 'tables', name);
    const glob =
      tableDir !== null && (await hasObjects(tableDir))
        ? join(tableDir, `${PARTITION_COLUMN.name}=*`, '*.parquet')
        : null;
    await connection.run(lakeViewSql(TABLES[name], glob));
  }
  // Unqualified table names resolve to zepp_lake, as in the Athena console with that database selected.
  await connection.run(`USE ${ATHENA_DATABASE}`);
}

/** DuckDB JS rows -> plain JSON-able values (DATE columns as YYYY-MM-DD), by the result's column types. */
export function plainRows(types: readonly DuckDBType[], rows: readonly (readonly unknown[])[]): unknown[][] {
  const dateColumns = new Set(types.map((t, i) => (t.typeId === DuckDBTypeId.DATE ? i : -1)).filter((i) => i >= 0));
  return rows.map((row) => row.map((value, i) => (dateColumns.has(i) ? dateOf(value) : plainValue(value))));
}

/** An open in-memory DuckDB connection, and how to close it with its instance. */
export interface MemoryDb {
  connection: DuckDBConnection;
  close(): void;
}

/** An in-memory DuckDB once `setup` has run on its connection; when setup fails, everything is closed again. */
export async function openMemoryDb(setup: (connection: DuckDBConnection) => Promise<void>): Promise<MemoryDb> {
  const instance = await DuckDBInstance.create(':memory:');
  let connection: DuckDBConnection | undefined;
  try {
    connection = await instance.connect();
    await setup(connection);
  } catch (error) {
    connection?.closeSync();
    instance.closeSync();
    throw error;
  }
  const open = connection;
  return {
    connection: open,
    close() {
      open.closeSync();
      instance.closeSync();
    },
  };
}

/** Opens an in-memory DuckDB with the `zepp_lake` views over `<lakeDir>/tables/`. */
export async function openLakeDb(lakeDir: string): Promise<LakeDb> {
  await requireLakeFolder(lakeDir);
  const db = await openMemoryDb((connection) => createLakeViews(connection, lakeDir));
  return {
    async query(sql: string) {
      const reader = await db.connection.runAndReadAll(sql);
      const names = reader.columnNames();
      return plainRows(reader.columnTypes(), reader.getRowsJS()).map((row) =>
        Object.fromEntries(row.map((value, i) => [names[i] as string, value])),
      );
    },
    close: () => db.close(),
  };
}

function dateOf(value: unknown): unknown {
  return value instanceof Date ? value.toISOString().slice(0, 10) : plainValue(value);
}

/** DuckDB JS values -> plain JSON-able values: BigInt to number when safe (else a decimal string), Date to ISO. */
function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plainValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]));
  }
  return value;
}

/** The lake folder does not exist: most likely the command ran in another folder than the one synced into. */
export class LakeNotFoundError extends Error {
  constructor(
    readonly lakeDir: string,
    options?: { cause?: unknown },
  ) {
    super(
      `no lake at ${lakeDir}: run the command in the folder you ran \`npm start\` or \`zepp-lake sync\` in, ` +
        'or point --lake (or ZEPP_LAKE_DIR) at your lake folder; a new lake is filled by `zepp-lake sync`',
      options,
    );
    this.name = 'LakeNotFoundError';
  }
}

async function requireLakeFolder(lakeDir: string): Promise<void> {
  try {
    if ((await stat(lakeDir)).isDirectory()) return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new LakeNotFoundError(lakeDir, { cause: error });
  }
  throw new LakeNotFoundError(lakeDir);
}
