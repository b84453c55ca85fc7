// A sealed DuckDB for SQL that someone else wrote (an assistant through `zepp-lake mcp`): the lake's views are set
// up first, then the database is closed to the world and its configuration locked, so the query can read the
// lake's tables and nothing else.
//
// Sealing (after the views exist): no temp directory (nothing spills outside), `allowed_directories` = the lake's
// tables/ folder only, `enable_external_access = false` (no other file, URL, ATTACH, INSTALL or LOAD), no
// extension auto-loading, then `lock_configuration = true` so no later SET can undo any of it. On top of that,
// the text is one statement of DuckDB's SELECT type (COPY ... TO inside the lake would pass the file check).
//
// Each query gets its own in-memory database: views see the objects written since the last query, and a query
// stopped at its time cap cannot leave anything behind for the next one.

import { join } from 'node:path';
import { type DuckDBConnection, StatementType } from '@duckdb/node-api';
import {
  type SqlCaps,
  type SqlColumn,
  SqlQueryError,
  SqlRefusedError,
  type SqlResult,
  SqlTimeoutError,
  sqlText,
  withArticle,
} from '../core/read-only-sql.ts';
import { createLakeViews, type MemoryDb, openMemoryDb, plainRows } from './duckdb-query.ts';

const SEAL = (lakeDir: string | null): string[] => [
  `SET temp_directory = ''`,
  `SET allowed_directories = [${lakeDir === null ? '' : sqlText(`${join(lakeDir, 'tables')}/`)}]`,
  'SET enable_external_access = false',
  'SET autoinstall_known_extensions = false',
  'SET autoload_known_extensions = false',
  'SET lock_configuration = true',
];

/** The lake's views, then external access off and the configuration locked (SEAL). */
function openSealed(lakeDir: string | null): Promise<MemoryDb> {
  return openMemoryDb(async (connection) => {
    await createLakeViews(connection, lakeDir);
    for (const statement of SEAL(lakeDir)) await connection.run(statement);
  });
}

/** DuckDB's error -> refused (a file outside the lake, a locked setting) or failed, with what to do. */
function classify(error: unknown, timeout: { ms: number; fired: boolean }): Error {
  const message = (error as Error).message ?? String(error);
  if (timeout.fired || /^INTERRUPT Error/m.test(message)) {
    return new SqlTimeoutError(
      `stopped: the query ran longer than ${timeout.ms / 1000} s; narrow it (a WHERE on month or ` +
        'local_date, one user_id) or aggregate',
      { cause: error },
    );
  }
  const file = /Permission Error: Cannot access (?:file|directory) "([^"]*)"/.exec(message);
  if (file) {
    return new SqlRefusedError(
      `refused: the query reads "${file[1]}", which is outside the lake; this tool reads only the lake's tables ` +
        '(zepp_lake.<table>)',
      { cause: error },
    );
  }
  if (/Permission Error|configuration has been locked/.test(message)) {
    return new SqlRefusedError(`refused: ${firstLine(message)}; this tool only reads the lake's tables`, {
      cause: error,
    });
  }
  return new SqlQueryError(`the query failed: ${firstLine(message)}`, { cause: error });
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? text;
}

/** Parses and binds `sql` on the sealed connection: exactly one statement, of the SELECT type. */
async function prepareSelect(connection: DuckDBConnection, sql: string) {
  const extracted = await connection.extractStatements(sql);
  if (extracted.count !== 1) {
    throw new SqlRefusedError(
      `refused: the SQL holds ${extracted.count} statements; give exactly one SELECT or WITH statement`,
    );
  }
  // Parsed, not bound: `WITH x AS (...) INSERT ...` is refused here, before a binder error about its table could
  // hide what it is.
  const parsed = await connection.runAndReadAll(`SELECT json_serialize_sql(${sqlText(sql)})`);
  const tree = JSON.parse(String(parsed.getRowsJS()[0]?.[0] ?? '{}')) as { error?: boolean; error_type?: string };
  if (tree.error && tree.error_type === 'not implemented') {
    throw new SqlRefusedError(
      'refused: the statement is not a query (a WITH can only lead to a SELECT); this tool only reads the lake, ' +
        'with one SELECT or WITH statement',
    );
  }
  const prepared = await extracted.prepare(0);
  if (prepared.statementType !== StatementType.SELECT) {
    const kind = StatementType[prepared.statementType] ?? String(prepared.statementType);
    throw new SqlRefusedError(
      `refused: ${withArticle(kind)} statement is not allowed; this tool only reads the lake, with one SELECT or WITH statement`,
    );
  }
  return prepared;
}

async function withSealed<T>(
  lakeDir: string | null,
  timeoutMs: number,
  fn: (connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const sealed = await openSealed(lakeDir);
  const timeout = { ms: timeoutMs, fired: false };
  const timer = setTimeout(() => {
    timeout.fired = true;
    sealed.connection.interrupt();
  }, timeoutMs);
  try {
    return await fn(sealed.connection);
  } catch (error) {
    if (error instanceof SqlRefusedError) throw error;
    throw classify(error, timeout);
  } finally {
    clearTimeout(timer);
    sealed.close();
  }
}

/**
 * Runs one read-only query (DuckDB SQL: pass Athena SQL through rewriteAthenaSql first) over `<lakeDir>/tables/`
 * on a sealed database, keeping at most `maxRows` rows and stopping it after `timeoutMs`.
 */
export function runSealedQuery(lakeDir: string, sql: string, caps: SqlCaps): Promise<SqlResult> {
  return withSealed(lakeDir, caps.timeoutMs, async (connection) => {
    const prepared = await prepareSelect(connection, sql);
    const result = await prepared.stream();
    const kept: unknown[][] = [];
    let truncated = false;
    for await (const rows of result.yieldRowsJs()) {
      for (const row of rows) {
        if (kept.length === caps.maxRows) truncated = true;
        else kept.push(row);
      }
      if (truncated) break;
    }
    const types = result.columnTypes();
    return {
      columns: result.columnNames().map((name, i) => ({ name, type: String(types[i]).toLowerCase() })),
      rows: plainRows(types, kept),
      truncated,
    };
  });
}

/**
 * The checks of runSealedQuery without reading any data: on a sealed database whose views are empty, `sql` must
 * parse and bind as one SELECT over the lake's tables. Returns its result columns.
 */
export function checkSealedQuery(sql: string, timeoutMs: number): Promise<SqlColumn[]> {
  return withSealed(null, timeoutMs, async (connection) => {
    const prepared = await prepareSelect(connection, sql);
    const columns: SqlColumn[] = [];
    for (let i = 0; i < prepared.columnCount; i++) {
      columns.push({ name: prepared.columnName(i), type: String(prepared.columnType(i)).toLowerCase() });
    }
    return columns;
  });
}
