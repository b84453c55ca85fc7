// `zepp-lake mcp` over a lake synced from the simulator, driven by the MCP SDK's own client over stdio (the real
// command in a child process): the tools it lists, answers to a person's questions checked against the
// simulator's ground truth (computed from its model, never by the code under test), the caps, and a clear
// refusal of every way out of the lake (other files, COPY, ATTACH, INSTALL/LOAD, SET, a second statement).

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import type { Row } from '../../lambdas/core/schema-registry.ts';
import { TABLE_NAMES, TABLES } from '../../lambdas/core/schema-registry.ts';
import { addDays } from '../../lambdas/core/time.ts';
import { demoUsers, type Simulator, startSimulator } from '../../sim/index.ts';
import { FAST_HTTP, lakeHashes, loginAll, tempRuntime } from '../support/local-lake.ts';
import { answerSql, type McpSession, parseMarkdownTable, startMcp, startMcpCommand } from '../support/mcp-client.ts';

const TODAY = '2026-11-20';
const clock = () => Date.parse(`${TODAY}T18:00:00Z`);
const FIRST = '2026-10-01';
const QUERIES_DIR = fileURLToPath(new URL('../../athena/queries/', import.meta.url));

type Rt = Awaited<ReturnType<typeof tempRuntime>>;

/** Monday of the week of `date` (YYYY-MM-DD), the slow and obvious way. */
function mondayOf(date: string): string {
  let d = date;
  while (new Date(`${d}T00:00:00Z`).getUTCDay() !== 1) d = addDays(d, -1);
  return d;
}

describe('zepp-lake mcp (local lake)', () => {
  let sim: Simulator;
  let rt: Rt;
  let mcp: McpSession;
  let truth: Partial<Record<string, Row[]>>;
  const bob = { ...demoUsers(TODAY).find((u) => u.name === 'bob')!, firstDate: FIRST };
  bob.devices = bob.devices.map((d) => ({ ...d, from: FIRST }));

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [bob], loginThrottle: false });
    rt = await tempRuntime();
    await loginAll(rt, sim);
    const [report] = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP });
    expect(report?.errors).toEqual([]);
    truth = sim.groundTruth(bob.userId);
    mcp = await startMcp(['mcp', '--lake', rt.lakeDir, '--home', rt.homeDir, '--max-rows', '100']);
  }, 300_000);

  afterAll(async () => {
    await mcp?.close();
    await rt?.cleanup();
    await sim?.close();
  });

  it('lists its tools: the tables, status, workouts, SQL and one per named query, all read-only', async () => {
    const { tools } = await mcp.client.listTools();
    const named = (await readdir(QUERIES_DIR)).filter((f) => f.endsWith('.sql')).map((f) => `query_${f.slice(0, -4)}`);
    expect(tools.map((t) => t.name).sort()).toEqual(['lake_tables', 'sync_status', 'workouts', 'sql', ...named].sort());
    for (const t of tools) {
      expect(t.annotations?.readOnlyHint, t.name).toBe(true);
      expect(t.description?.length, t.name).toBeGreaterThan(40);
    }
    // A named query whose result has a date column can be narrowed by it; workout_track has none.
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(Object.keys(byName.get('query_sleep_by_night')?.inputSchema.properties ?? {}).sort()).toEqual([
      'from',
      'max_rows',
      'to',
      'user_id',
    ]);
    expect(Object.keys(byName.get('query_workout_track')?.inputSchema.properties ?? {}).sort()).toEqual([
      'max_rows',
      'user_id',
    ]);
    expect(mcp.stderr()).toContain(`serving DuckDB over ${rt.lakeDir}`);
  });

  it('describes every table and its columns with type and unit', async () => {
    const all = await mcp.call('lake_tables');
    expect(parseMarkdownTable(all.text).map((r) => r.table)).toEqual(TABLE_NAMES.map((t) => `zepp_lake.${t}`));
    for (const table of TABLE_NAMES) {
      const one = await mcp.call('lake_tables', { table });
      expect(one.isError).toBe(false);
      const columns = parseMarkdownTable(one.text);
      expect(columns.map((c) => c.column)).toEqual([...TABLES[table].columns.map((c) => c.name), 'month']);
      expect(columns.map((c) => c.type)).toEqual([...TABLES[table].columns.map((c) => c.type), 'string']);
    }
    const workout = parseMarkdownTable((await mcp.call('lake_tables', { table: 'workout' })).text);
    expect(workout.find((c) => c.column === 'distance_m')?.unit).toBe('m');
    expect(workout.find((c) => c.column === 'avg_hr')?.unit).toBe('bpm');
  });

  it('answers "how many steps did I take on a day?" with the ground truth and the SQL', async () => {
    const days = (truth.daily_summary ?? []).filter((r) => r.steps !== null);
    expect(days.length).toBeGreaterThan(30);
    for (const day of [days[0]!, days[17]!, days.at(-2)!]) {
      const sql = `SELECT steps FROM zepp_lake.daily_summary WHERE user_id = '${bob.userId}' AND local_date = DATE '${day.local_date}'`;
      const answer = await mcp.call('sql', { sql });
      expect(answer.isError, answer.text).toBe(false);
      expect(parseMarkdownTable(answer.text)).toEqual([{ steps: String(day.steps) }]);
      expect(answerSql(answer.text)).toBe(sql);
      expect(answer.text).toContain('1 row · DuckDB over');
    }
  });

  it('answers "how many workouts did I do in October?" with the ground truth', async () => {
    const october = (truth.workout ?? []).filter((w) => String(w.local_date).startsWith('2026-10'));
    expect(october.length).toBeGreaterThanOrEqual(5);
    const listed = await mcp.call('workouts', { from: '2026-10-01', to: '2026-10-31', user_id: bob.userId });
    expect(listed.isError, listed.text).toBe(false);
    const rows = parseMarkdownTable(listed.text);
    expect(rows.map((r) => r.trackid)).toEqual(october.map((w) => String(w.trackid)).sort());
    expect(rows.map((r) => r.avg_hr)).toEqual(
      [...october]
        .sort((a, b) => Number(a.trackid) - Number(b.trackid))
        .map((w) => (w.avg_hr === null ? null : String(w.avg_hr))),
    );
    const counted = await mcp.call('sql', {
      sql: `SELECT count(*) AS workouts FROM zepp_lake.workout WHERE month = '2026-10' AND user_id = '${bob.userId}'`,
    });
    expect(parseMarkdownTable(counted.text)).toEqual([{ workouts: String(october.length) }]);
    // As in the Athena console with the database selected, an unqualified name is a zepp_lake table.
    const unqualified = await mcp.call('sql', {
      sql: `SELECT count(*) AS workouts FROM workout WHERE month = '2026-10' AND user_id = '${bob.userId}'`,
    });
    expect(parseMarkdownTable(unqualified.text)).toEqual([{ workouts: String(october.length) }]);
  });

  it('answers "what was my resting heart rate, week by week?" through the named query, narrowed', async () => {
    const from = '2026-10-05';
    const to = '2026-11-01';
    const nights = (truth.sleep_session ?? []).filter(
      (s) => s.resting_hr !== null && String(s.night_of) >= from && String(s.night_of) <= to,
    );
    const weeks = new Map<string, number[]>();
    for (const n of nights) {
      const week = mondayOf(String(n.night_of));
      weeks.set(week, [...(weeks.get(week) ?? []), Number(n.resting_hr)]);
    }
    const expected = [...weeks.entries()].sort().map(([week, hrs]) => ({
      week_start: week,
      sleep_resting_hr: String(Math.round((hrs.reduce((a, b) => a + b, 0) / hrs.length) * 10) / 10),
      nights_with_resting_hr: String(hrs.length),
    }));
    expect(expected.length).toBe(4);
    const answer = await mcp.call('query_resting_hr_by_week', { user_id: bob.userId, from, to });
    expect(answer.isError, answer.text).toBe(false);
    const rows = parseMarkdownTable(answer.text).map((r) => ({
      week_start: r.week_start,
      sleep_resting_hr: r.sleep_resting_hr,
      nights_with_resting_hr: r.nights_with_resting_hr,
    }));
    expect(rows).toEqual(expected);
    expect(answerSql(answer.text)).toContain(`WHERE q.user_id = '${bob.userId}'`);
    expect(answerSql(answer.text)).not.toContain('-- name:');
  });

  it('reports coverage and status per person', async () => {
    const status = await mcp.call('sync_status', { user_id: bob.userId });
    expect(status.isError).toBe(false);
    expect(status.text).toContain(`user ${bob.userId} (zepp`);
    // Band data is asked for through the latest date begun anywhere (UTC+14): its cursor stands on tomorrow.
    expect(status.text).toMatch(new RegExp(`\\n  band +${addDays(TODAY, 1)}`));
    for (const stream of ['workouts', 'stress', 'spo2', 'pai', 'readiness']) {
      expect(status.text).toMatch(new RegExp(`\\n  ${stream} +${TODAY}`));
    }
    // The lake was synced on a simulated 2026-11-20; status runs on today's clock, so it says the data is old.
    expect(status.text).toContain(
      `no successful sync since ${TODAY}T18:00:00.000Z: run \`zepp-lake sync --user ${bob.userId}\``,
    );
    expect((await mcp.call('sync_status', { user_id: 'nobody' })).text).toContain('no user nobody');
  });

  it('caps the rows and says so', async () => {
    const answer = await mcp.call('sql', { sql: 'SELECT ts, heart_rate FROM zepp_lake.activity_minute', max_rows: 7 });
    expect(answer.isError).toBe(false);
    expect(parseMarkdownTable(answer.text)).toHaveLength(7);
    expect(answer.text).toContain('first 7 rows only: the query returns more');
    const capped = await mcp.call('sql', { sql: 'SELECT 1 AS x', max_rows: 101 });
    expect(capped.isError).toBe(true);
    expect(capped.text).toMatch(/max_rows/);
  });

  it('says what went wrong with a query that cannot run, and with bad arguments', async () => {
    const typo = await mcp.call('sql', { sql: 'SELECT stepz FROM zepp_lake.daily_summary' });
    expect(typo.isError).toBe(true);
    expect(typo.text).toMatch(/^the query failed: Binder Error: .*stepz/);
    const backwards = await mcp.call('workouts', { from: '2026-10-31', to: '2026-10-01' });
    expect(backwards).toEqual({ isError: true, text: 'from (2026-10-31) is after to (2026-10-01); give from <= to' });
    const notADay = await mcp.call('workouts', { from: '2026-02-30', to: '2026-03-01' });
    expect(notADay.isError).toBe(true);
    expect(notADay.text).toContain('not a day of the calendar');
  });

  describe('refuses every way out of the lake', () => {
    let outside: string;
    const canary = `canary-${randomUUID()}`;
    let before: Map<string, string>;

    beforeAll(async () => {
      outside = join(dirname(rt.lakeDir), 'outside.csv');
      await writeFile(outside, `secret\n${canary}\n`);
      before = await lakeHashes(rt.lakeDir);
    });

    const escapes = (lake: string, home: string, file: string): [string, RegExp][] => [
      [
        "SELECT * FROM read_text('/etc/passwd')",
        /^refused: the query reads "\/etc\/passwd", which is outside the lake/,
      ],
      [`SELECT * FROM read_csv('${file}')`, /^refused: the query reads ".*outside\.csv", which is outside the lake/],
      [`SELECT * FROM read_text('${join(lake, 'tables')}/../../outside.csv')`, /^refused: the query reads .*outside/],
      [`SELECT * FROM read_text('${join(home, 'tokens.json')}')`, /^refused: the query reads .*tokens\.json/],
      [`SELECT content FROM read_blob('${join(lake, 'raw')}/**')`, /^refused: the query reads .*raw/],
      ["SELECT * FROM glob('/etc/*')", /^refused: the query reads "\/etc\/\*"/],
      [`COPY (SELECT 1) TO '${join(lake, 'tables', 'x.csv')}'`, /^refused: a COPY statement is not allowed/],
      [`COPY zepp_lake.workout TO '${file}.parquet'`, /^refused: a COPY statement is not allowed/],
      [`ATTACH '${file}.db' AS other`, /^refused: an ATTACH statement is not allowed/],
      ['INSTALL httpfs', /^refused: an INSTALL statement is not allowed/],
      ['LOAD httpfs', /^refused: a LOAD statement is not allowed/],
      ['SET enable_external_access = true', /^refused: a SET statement is not allowed/],
      ['PRAGMA version', /^refused: a PRAGMA statement is not allowed/],
      ['SELECT 1; SELECT 2', /^refused: the SQL holds 2 statements; give exactly one SELECT or WITH statement/],
      [`SELECT 1; COPY (SELECT 1) TO '${file}.csv'`, /^refused: the SQL holds 2 statements/],
      [
        `WITH x AS (SELECT 1 AS a) INSERT INTO zepp_lake.workout SELECT * FROM x`,
        /^refused: the statement is not a query \(a WITH can only lead to a SELECT\)/,
      ],
      [
        "SELECT * FROM query('COPY (SELECT 1) TO ''/tmp/x.csv''')",
        /^the query failed: Parser Error: Expected a single SELECT statement/,
      ],
      ["SELECT * FROM 'http://127.0.0.1:9/x.csv'", /^refused: the query reads "http:\/\/127\.0\.0\.1:9\/x\.csv"/],
    ];

    it('answers each escape with a tool error saying why, and nothing from outside', async () => {
      for (const [sql, message] of escapes(rt.lakeDir, rt.homeDir, outside)) {
        const answer = await mcp.call('sql', { sql });
        expect(answer.isError, sql).toBe(true);
        expect(answer.text, sql).toMatch(message);
        expect(answerSql(answer.text), sql).toBe(sql);
        expect(answer.text).not.toContain(canary);
        expect(answer.text).not.toContain('root:');
        for (const secret of sim.mintedSecrets()) expect(answer.text).not.toContain(secret);
      }
      // Nothing was written into the lake or beside the outside file.
      expect(await lakeHashes(rt.lakeDir)).toEqual(before);
      for (const ext of ['.parquet', '.db', '.csv']) expect(existsSync(`${outside}${ext}`)).toBe(false);
      // The server is still answering after all that.
      const after = await mcp.call('sql', { sql: 'SELECT count(*) AS n FROM zepp_lake.workout' });
      expect(parseMarkdownTable(after.text)).toEqual([{ n: String(truth.workout?.length) }]);
    }, 120_000);
  });

  it('stops a query at its time cap', async () => {
    const slow = await startMcp(['mcp', '--lake', rt.lakeDir, '--home', rt.homeDir, '--timeout', '1']);
    try {
      const answer = await slow.call('sql', {
        sql: 'SELECT count(*) AS n FROM range(100000000000) AS a (i) WHERE i % 7 = 3',
      });
      expect(answer.isError).toBe(true);
      expect(answer.text).toMatch(/^stopped: the query ran longer than 1 s; narrow it/);
      const next = await slow.call('sql', { sql: 'SELECT 1 AS one' });
      expect(parseMarkdownTable(next.text)).toEqual([{ one: '1' }]);
    } finally {
      await slow.close();
    }
  }, 120_000);

  it('answers every request it has read when the client closes stdin right after writing them', async () => {
    // `printf '<requests>' | zepp-lake mcp`: stdin ends while the server is still starting; answers must not be lost.
    const bin = fileURLToPath(new URL('../../bin/zepp-lake.mjs', import.meta.url));
    const child = spawn(process.execPath, [bin, 'mcp', '--lake', rt.lakeDir, '--home', rt.homeDir], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const requests = [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipe', version: '1' } },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'workouts', arguments: { from: '2026-10-01', to: '2026-10-31' } },
      },
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'sql', arguments: { sql: 'SELECT count(*) AS n FROM zepp_lake.workout' } },
      },
    ];
    child.stdin.end(requests.map((r) => `${JSON.stringify(r)}\n`).join(''));
    expect(await exited).toBe(0);
    const answers = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: number; result?: { content: { text: string }[] } });
    // Answers may come in any order (JSON-RPC pairs them by id); every request has one.
    answers.sort((a, b) => a.id - b.id);
    expect(answers.map((a) => a.id)).toEqual([1, 2, 3]);
    expect(parseMarkdownTable(answers[2]?.result?.content[0]?.text ?? '')).toEqual([
      { n: String(truth.workout?.length) },
    ]);
  }, 120_000);

  it("starts from the README's client configuration, and answers its worked question as the README shows", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('## Ask your lake from an assistant (MCP)');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const blocks = [...section.matchAll(/^```json\n([\s\S]*?)^```/gm)].map((m) => JSON.parse(m[1] ?? '') as unknown);
    const config = blocks[0] as { mcpServers: Record<string, { command: string; args: string[] }> };
    const call = blocks[1] as { name: string; arguments: Record<string, unknown> };
    const shown = [...section.matchAll(/^> ?(.*)$/gm)].map((m) => m[1]).join('\n');
    // The README's example paths stand for a checkout in /home/you/zepp-lake: here, this one and the test's lake.
    const server = config.mcpServers['zepp-lake']!;
    const repo = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
    const place = (arg: string) =>
      arg
        .replace('/home/you/zepp-lake/lake', rt.lakeDir)
        .replace('/home/you/zepp-lake/.zepp-lake', rt.homeDir)
        .replace('/home/you/zepp-lake', repo);
    expect(server.command).toBe('node');
    const session = await startMcpCommand(process.execPath, server.args.map(place));
    try {
      const answer = await session.call(call.name, call.arguments);
      expect(answer.isError).toBe(false);
      expect(answer.text.replace(rt.lakeDir, '/home/you/zepp-lake/lake')).toBe(shown);
    } finally {
      await session.close();
    }
  }, 120_000);

  it('refuses to start on a folder that is not a lake, saying which option to give', async () => {
    await expect(startMcp(['mcp', '--lake', join(rt.homeDir, 'no-lake-here')])).rejects.toThrow(
      /no lake at .*no-lake-here \(it has no tables\/ folder\): give --lake DIR/,
    );
  }, 120_000);
});
