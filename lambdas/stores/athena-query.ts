// Runs one query on Athena in the stack's workgroup and reads back at most a capped number of rows. The workgroup
// enforces its result location, encryption and per-query scan limit (BytesScannedCutoffPerQuery), so the request
// names only the workgroup and the database; a query still running at the time cap is stopped
// (StopQueryExecution) so it is not billed further.

import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecution,
  type ResultSet,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { ATHENA_DATABASE } from '../core/athena-ddl.ts';
import { type SqlCaps, type SqlColumn, SqlQueryError, type SqlResult, SqlTimeoutError } from '../core/read-only-sql.ts';

export interface AthenaSqlRunnerOptions {
  client: AthenaClient;
  workGroup: string;
  /** Default `zepp_lake`. */
  database?: string;
  /** First wait between two GetQueryExecution calls; it doubles up to 1 s. Default 200 ms. */
  pollMs?: number;
}

/** Athena answers at most 1,000 rows per GetQueryResults page. */
const MAX_PAGE_ROWS = 1000;

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'integer', 'int', 'bigint']);
const DECIMAL_TYPES = new Set(['double', 'float', 'real', 'decimal']);

/** One cell as Athena sends it (always a string, absent for NULL) -> the JSON value of its column type. */
function cellValue(text: string | undefined, type: string): unknown {
  if (text === undefined) return null;
  if (INTEGER_TYPES.has(type)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  }
  if (DECIMAL_TYPES.has(type)) return Number(text);
  if (type === 'boolean') return text === 'true';
  return text;
}

export class AthenaSqlRunner {
  private readonly database: string;
  private readonly pollMs: number;

  constructor(private readonly opts: AthenaSqlRunnerOptions) {
    this.database = opts.database ?? ATHENA_DATABASE;
    this.pollMs = opts.pollMs ?? 200;
  }

  /** Runs `sql` (Athena SQL, one statement) and returns at most `caps.maxRows` rows. */
  async run(sql: string, caps: SqlCaps): Promise<SqlResult> {
    const { client, workGroup } = this.opts;
    const started = await client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: workGroup,
        QueryExecutionContext: { Database: this.database },
      }),
    );
    const id = started.QueryExecutionId;
    if (!id) throw new SqlQueryError('Athena did not return a query execution id');
    const execution = await this.waitFor(id, caps.timeoutMs);
    const result = await this.readRows(id, caps.maxRows);
    const scanned = execution.Statistics?.DataScannedInBytes;
    return { ...result, ...(scanned !== undefined ? { scannedBytes: scanned } : {}) };
  }

  private async waitFor(id: string, timeoutMs: number): Promise<QueryExecution> {
    const { client } = this.opts;
    const deadline = Date.now() + timeoutMs;
    let wait = this.pollMs;
    for (;;) {
      const { QueryExecution: execution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = execution?.Status?.State;
      if (state === 'SUCCEEDED' && execution) return execution;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = execution?.Status?.AthenaError?.ErrorMessage ?? execution?.Status?.StateChangeReason ?? state;
        const scanLimit = /bytes scanned|scan(ned)? limit|BytesScannedCutoff/i.test(reason)
          ? " (the workgroup's per-query scan limit: filter on month, or select fewer columns)"
          : '';
        throw new SqlQueryError(`Athena ${state.toLowerCase()} the query: ${reason}${scanLimit}`);
      }
      if (Date.now() + wait > deadline) {
        await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
        throw new SqlTimeoutError(
          `stopped: the query ran longer than ${timeoutMs / 1000} s and was cancelled on Athena; narrow it (a WHERE ` +
            'on month or local_date, one user_id) or aggregate',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 1000);
    }
  }

  private async readRows(id: string, maxRows: number): Promise<Omit<SqlResult, 'scannedBytes'>> {
    const { client } = this.opts;
    let columns: SqlColumn[] | undefined;
    const rows: unknown[][] = [];
    let nextToken: string | undefined;
    let first = true;
    do {
      // One row more than asked for tells whether the result was cut; the header row comes on the first page.
      const want = Math.min(MAX_PAGE_ROWS, maxRows + 1 - rows.length + (first ? 1 : 0));
      const page = await client.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: want, NextToken: nextToken }),
      );
      const set: ResultSet = page.ResultSet ?? {};
      columns ??= (set.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({
        name: c.Name ?? c.Label ?? '',
        type: (c.Type ?? 'varchar').toLowerCase(),
      }));
      const data = (set.Rows ?? []).slice(first ? 1 : 0);
      const types = columns.map((c) => c.type);
      for (const row of data) rows.push((row.Data ?? []).map((d, i) => cellValue(d.VarCharValue, types[i] ?? '')));
      nextToken = page.NextToken;
      first = false;
    } while (nextToken && rows.length <= maxRows);
    return { columns: columns ?? [], rows: rows.slice(0, maxRows), truncated: rows.length > maxRows };
  }
}
