// The one way the MCP tools run SQL on the lake, locally (sealed DuckDB over the lake folder) or on AWS (Athena in
// the stack's workgroup). Both take Athena SQL and apply the same checks before anything runs: the text starts
// with SELECT or WITH, and on a sealed DuckDB whose views are empty it parses and binds as exactly one SELECT
// over the lake's tables (so on AWS a refused query never reaches Athena, nor costs a scan).

import { rewriteAthenaSql } from '../../core/athena-to-duckdb.ts';
import { requireSelectOrWith, type SqlCaps, type SqlColumn, type SqlResult } from '../../core/read-only-sql.ts';
import type { AthenaSqlRunner } from '../../stores/athena-query.ts';
import { checkSealedQuery, runSealedQuery } from '../../stores/duckdb-sandbox.ts';

export interface LakeSql {
  /** Where queries run, for the line under each table (`DuckDB over /path/lake`, `Athena workgroup w`). */
  readonly engine: string;
  /** Runs one read-only Athena SQL statement within the caps; refuses anything else (SqlRefusedError). */
  run(athenaSql: string, caps: SqlCaps): Promise<SqlResult>;
}

/** Time allowed for checking a query on the empty sealed database (parsing and binding only). */
const CHECK_TIMEOUT_MS = 10_000;

/** The result columns of an Athena SQL query, from the checks alone (no data read, no AWS call). */
export function describeQuery(athenaSql: string): Promise<SqlColumn[]> {
  return checkSealedQuery(rewriteAthenaSql(requireSelectOrWith(athenaSql)), CHECK_TIMEOUT_MS);
}

export function localLakeSql(lakeDir: string): LakeSql {
  return {
    engine: `DuckDB over ${lakeDir}`,
    run: (athenaSql, caps) => runSealedQuery(lakeDir, rewriteAthenaSql(requireSelectOrWith(athenaSql)), caps),
  };
}

export function athenaLakeSql(runner: AthenaSqlRunner, workGroup: string): LakeSql {
  return {
    engine: `Athena workgroup ${workGroup}`,
    async run(athenaSql, caps) {
      const statement = requireSelectOrWith(athenaSql);
      await checkSealedQuery(rewriteAthenaSql(statement), Math.min(caps.timeoutMs, CHECK_TIMEOUT_MS));
      return runner.run(statement, caps);
    },
  };
}
