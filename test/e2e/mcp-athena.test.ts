// `zepp-lake mcp --backend aws`, offline: the real command, driven by the MCP SDK's client over stdio, sends its
// queries to a recording server on 127.0.0.1 that speaks Athena's JSON protocol (test/support/athena-recorder.ts).
// What this proves: the requests (workgroup, database, the Athena SQL untouched, nothing else), how answers are
// read (types, NULL, paging, the row cap), that a slow query is stopped on Athena, that a failure such as the
// workgroup's scan limit is reported, that refused SQL never reaches Athena, and that status reads the DynamoDB
// state table. What it cannot prove: that real Athena runs each query the same as DuckDB (the named queries are
// checked against a Trino parser elsewhere), nor the real wording of Athena's errors.

import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { TrinoSQL } from 'dt-sql-parser/dist/parser/trino/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAwsRuntime } from '../../lambdas/runtime/local.ts';
import { type AthenaRecorder, startAthenaRecorder } from '../support/athena-recorder.ts';
import { createAwsClients, createTestStateTable } from '../support/aws-clients.ts';
import { standInEndpoints, useAwsStandIns } from '../support/aws-env.ts';
import { answerSql, type McpSession, parseMarkdownTable, startMcp } from '../support/mcp-client.ts';
import { awsEnvironmentFor } from '../support/stand-ins.ts';

const QUERIES_DIR = fileURLToPath(new URL('../../athena/queries/', import.meta.url));
const WORKGROUP = 'zepp-lake-test';

const WORKOUT_COLUMNS = [
  { name: 'trackid', type: 'bigint' },
  { name: 'workout_type_name', type: 'varchar' },
  { name: 'avg_hr', type: 'double' },
  { name: 'max_hr', type: 'integer' },
  { name: 'local_date', type: 'date' },
];

describe('zepp-lake mcp --backend aws (Athena through a recording server)', () => {
  let athena: AthenaRecorder;
  let mcp: McpSession;
  let table: string;
  let env: Record<string, string>;
  const aws = createAwsClients();
  const userId = '7100000001';

  const started = () => athena.requests.filter((r) => r.operation === 'StartQueryExecution');

  beforeAll(async () => {
    useAwsStandIns();
    athena = await startAthenaRecorder();
    table = await createTestStateTable(aws.dynamodb, 'mcp-state');
    const rt = openAwsRuntime({ bucket: 'mcp-unused-bucket', table });
    await rt.state.putUser({ userId, source: 'zepp', enabled: true, createdAt: Date.now() });
    env = { ...awsEnvironmentFor(standInEndpoints()), AWS_ENDPOINT_URL_ATHENA: athena.url };
    const args = ['mcp', '--backend', 'aws', '--bucket', 'mcp-unused-bucket', '--table', table];
    mcp = await startMcp([...args, '--workgroup', WORKGROUP, '--max-rows', '1500'], env);
  }, 120_000);

  afterAll(async () => {
    await mcp?.close();
    await athena?.close();
    aws.destroy();
  });

  it('lists the same tools as locally', async () => {
    const { tools } = await mcp.client.listTools();
    const named = (await readdir(QUERIES_DIR)).filter((f) => f.endsWith('.sql')).map((f) => `query_${f.slice(0, -4)}`);
    expect(tools.map((t) => t.name).sort()).toEqual(['lake_tables', 'sql', 'sync_status', 'workouts', ...named].sort());
    expect(mcp.stderr()).toContain(`serving Athena workgroup ${WORKGROUP} over stdio`);
  });

  it('sends the Athena SQL as written to the workgroup and database, and reads typed cells back', async () => {
    athena.script({
      columns: WORKOUT_COLUMNS,
      rows: [
        ['1791109648', 'running', '155.5', '175', '2026-10-04'],
        ['1791206527', 'cycling', null, null, '2026-10-05'],
      ],
      states: ['QUEUED', 'RUNNING', 'SUCCEEDED'],
      scannedBytes: 2 * 1024 * 1024,
    });
    const before = athena.requests.length;
    // approx_percentile and day_of_week are Athena's spellings: DuckDB's renames must not reach Athena.
    const sql =
      'SELECT trackid, workout_type_name, avg_hr, max_hr, local_date FROM zepp_lake.workout ' +
      "WHERE month = '2026-10' AND day_of_week(local_date) < 6 AND avg_hr >= (SELECT approx_percentile(avg_hr, 0.1) FROM zepp_lake.workout);";
    const answer = await mcp.call('sql', { sql });
    expect(answer.isError, answer.text).toBe(false);
    const sent = athena.requests.slice(before);
    expect(sent.map((r) => r.operation)).toEqual([
      'StartQueryExecution',
      'GetQueryExecution',
      'GetQueryExecution',
      'GetQueryExecution',
      'GetQueryResults',
    ]);
    const start = sent[0]!.body;
    expect(start.QueryString).toBe(sql.slice(0, -1));
    expect(start.WorkGroup).toBe(WORKGROUP);
    expect(start.QueryExecutionContext).toEqual({ Database: 'zepp_lake' });
    // The workgroup enforces where results go and how they are encrypted: the request sets neither.
    expect(Object.keys(start).sort()).toEqual([
      'ClientRequestToken',
      'QueryExecutionContext',
      'QueryString',
      'WorkGroup',
    ]);
    expect(sent[4]!.body).toMatchObject({ QueryExecutionId: 'query-1', MaxResults: 1000 });
    expect(parseMarkdownTable(answer.text)).toEqual([
      { trackid: '1791109648', workout_type_name: 'running', avg_hr: '155.5', max_hr: '175', local_date: '2026-10-04' },
      { trackid: '1791206527', workout_type_name: 'cycling', avg_hr: null, max_hr: null, local_date: '2026-10-05' },
    ]);
    expect(answer.text).toContain('2 rows · Athena workgroup zepp-lake-test, 2.0 MiB scanned');
    expect(answerSql(answer.text)).toBe(sql);
  });

  it('reads pages until the row cap, and says the result was cut', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => [
      String(1_790_000_000 + i),
      'walking',
      '120',
      '130',
      '2026-10-01',
    ]);
    athena.script({ columns: WORKOUT_COLUMNS, rows });
    const before = athena.requests.length;
    const answer = await mcp.call('sql', { sql: 'SELECT * FROM zepp_lake.workout', max_rows: 1200 });
    expect(answer.isError, answer.text).toBe(false);
    const shown = parseMarkdownTable(answer.text);
    expect(shown).toHaveLength(1200);
    expect(shown.at(-1)?.trackid).toBe(String(1_790_000_000 + 1199));
    expect(answer.text).toContain('first 1200 rows only');
    const pages = athena.requests.slice(before).filter((r) => r.operation === 'GetQueryResults');
    // The header and 999 rows, then the 202 rows that reach one past the cap; the remaining pages are not read.
    expect(pages.map((p) => [p.body.MaxResults, p.body.NextToken])).toEqual([
      [1000, undefined],
      [202, '999'],
    ]);
  });

  it("reports a query Athena stopped, naming the workgroup's scan limit", async () => {
    athena.script({
      columns: WORKOUT_COLUMNS,
      rows: [],
      states: ['RUNNING', 'CANCELLED'],
      reason: 'Query cancelled! : Bytes scanned limit was exceeded',
    });
    const answer = await mcp.call('sql', { sql: 'SELECT * FROM zepp_lake.workout_sample' });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(
      /^Athena cancelled the query: Query cancelled! : Bytes scanned limit was exceeded \(the workgroup's per-query scan limit: filter on month/,
    );
  });

  it('narrows a named query and the workouts range in the SQL it sends', async () => {
    athena.script({ columns: WORKOUT_COLUMNS, rows: [] });
    const before = started().length;
    const night = await mcp.call('query_sleep_by_night', { user_id: userId, from: '2026-10-01', to: '2026-10-31' });
    expect(night.isError, night.text).toBe(false);
    expect(night.text).toContain('(no rows)');
    const file = await readFile(`${QUERIES_DIR}sleep_by_night.sql`, 'utf8');
    // The file without its header block of `--` lines: the SQL that runs.
    const lines = file.trim().split('\n');
    const body = lines.slice(lines.findIndex((line) => !line.startsWith('--'))).join('\n');
    const sent = String(started()[before]?.body.QueryString);
    expect(sent).toBe(
      `SELECT *\nFROM (\n${body}\n) AS q\nWHERE q.user_id = '${userId}'\n  AND q.night_of >= DATE '2026-10-01'\n` +
        "  AND q.night_of <= DATE '2026-10-31'\nORDER BY q.user_id, q.night_of",
    );
    await mcp.call('workouts', { from: '2026-09-28', to: '2026-10-03' });
    const workouts = String(started()[before + 1]?.body.QueryString);
    expect(workouts).toContain("WHERE month BETWEEN '2026-09' AND '2026-10'");
    expect(workouts).toContain("AND local_date BETWEEN DATE '2026-09-28' AND DATE '2026-10-03'");
  });

  it('sends Athena SQL that the Trino grammar accepts, for every named query narrowed and for workouts', async () => {
    athena.script({ columns: WORKOUT_COLUMNS, rows: [] });
    const before = started().length;
    const { tools } = await mcp.client.listTools();
    const named = tools.filter((t) => t.name.startsWith('query_'));
    for (const tool of named) {
      const accepts = Object.keys(tool.inputSchema.properties ?? {});
      const args = Object.fromEntries(
        [
          ['user_id', userId],
          ['from', '2026-10-01'],
          ['to', '2026-10-31'],
        ].filter(([name]) => accepts.includes(name as string)),
      );
      expect((await mcp.call(tool.name, args)).isError, tool.name).toBe(false);
    }
    await mcp.call('workouts', { from: '2026-10-01', to: '2026-10-31', user_id: userId });
    const sent = started()
      .slice(before)
      .map((r) => String(r.body.QueryString));
    expect(sent).toHaveLength(named.length + 1);
    const trino = new TrinoSQL();
    for (const sql of sent) expect(trino.validate(sql), sql).toEqual([]);
    expect(sent.every((sql) => sql.includes(`user_id = '${userId}'`))).toBe(true);
  }, 120_000);

  it('refuses every escape before Athena hears of it', async () => {
    const before = athena.requests.length;
    const escapes: [string, RegExp][] = [
      [
        "SELECT * FROM read_text('/etc/passwd')",
        /^refused: the query reads "\/etc\/passwd", which is outside the lake/,
      ],
      ["SELECT * FROM read_csv('s3://someone-else/data.csv')", /^refused: the query reads "s3:\/\/someone-else/],
      [
        "UNLOAD (SELECT * FROM zepp_lake.workout) TO 's3://elsewhere/' WITH (format = 'PARQUET')",
        /^refused: an UNLOAD/,
      ],
      ['CREATE TABLE zepp_lake.copy AS SELECT * FROM zepp_lake.workout', /^refused: a CREATE statement/],
      ['INSERT INTO zepp_lake.workout SELECT * FROM zepp_lake.workout', /^refused: an INSERT statement/],
      ['DROP TABLE zepp_lake.workout', /^refused: a DROP statement/],
      ['SELECT 1; SELECT 2', /^refused: the SQL holds 2 statements/],
      [
        'WITH x AS (SELECT 1 AS a) INSERT INTO zepp_lake.workout SELECT * FROM x',
        /^refused: the statement is not a query/,
      ],
      ['SELECT * FROM other_database.secrets', /^the query failed: Catalog Error: .*other_database/],
    ];
    for (const [sql, message] of escapes) {
      const answer = await mcp.call('sql', { sql });
      expect(answer.isError, sql).toBe(true);
      expect(answer.text, sql).toMatch(message);
    }
    expect(athena.requests.slice(before)).toEqual([]);
  });

  it('reads status from the DynamoDB state table', async () => {
    const status = await mcp.call('sync_status', {});
    expect(status.isError).toBe(false);
    expect(status.text).toContain(`user ${userId} (zepp)`);
    expect(status.text).toContain('nothing synced yet');
  });

  it('stops a query still running at the time cap, on Athena too', async () => {
    const slow = await startMcp(
      [
        'mcp',
        '--backend',
        'aws',
        '--bucket',
        'zepp-lake-test-bucket',
        '--table',
        table,
        '--workgroup',
        WORKGROUP,
        '--timeout',
        '2',
      ],
      env,
    );
    try {
      athena.script({ columns: WORKOUT_COLUMNS, rows: [], states: ['RUNNING'] });
      const before = athena.requests.length;
      const answer = await slow.call('sql', { sql: 'SELECT count(*) AS n FROM zepp_lake.activity_minute' });
      expect(answer.isError).toBe(true);
      expect(answer.text).toMatch(/^stopped: the query ran longer than 2 s and was cancelled on Athena/);
      const sent = athena.requests.slice(before);
      expect(sent.filter((r) => r.operation === 'StartQueryExecution')).toHaveLength(1);
      const stop = sent.at(-1);
      expect(stop?.operation).toBe('StopQueryExecution');
      const polled = new Set(
        sent.filter((r) => r.operation === 'GetQueryExecution').map((r) => r.body.QueryExecutionId),
      );
      expect([...polled]).toEqual([stop?.body.QueryExecutionId]);
    } finally {
      await slow.close();
    }
  }, 120_000);

  it('needs the workgroup, and says where to find it', async () => {
    await expect(
      startMcp(['mcp', '--backend', 'aws', '--bucket', 'zepp-lake-test-bucket', '--table', table], env),
    ).rejects.toThrow(
      /mcp --backend aws needs the Athena workgroup: --workgroup or ZEPP_LAKE_WORKGROUP \(zepp-lake-<stage>\)/,
    );
  }, 120_000);
});
