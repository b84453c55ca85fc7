// The README's commands as a newcomer mistypes them: in the wrong folder (no lake), with a query name or table
// that does not exist, SQL that does not parse, SQL not in quotes, no users yet. Each one ends with exit 2 and a
// message that names what was wrong and what to do, and touches nothing. Also: the query in the README's words,
// with an unqualified table name, answers the count the simulator's ground truth has.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { TABLE_NAMES } from '../../lambdas/core/schema-registry.ts';
import { demoUsers, type Simulator, startSimulator } from '../../sim/index.ts';
import { runCli } from '../support/cli.ts';
import { FAST_HTTP, loginAll, tempRuntime } from '../support/local-lake.ts';

const TODAY = '2026-11-20';
const clock = () => Date.parse(`${TODAY}T18:00:00Z`);
const BOB = '1000000002';
/** The first of a month: the engine fetches whole months, so the lake then holds exactly FROM..TODAY. */
const FROM = '2026-11-01';

describe('a newcomer in a folder without a lake', () => {
  let dir: string;
  let rt: { lakeDir: string; homeDir: string };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zepp-lake-newcomer-'));
    rt = { lakeDir: join(dir, 'lake'), homeDir: join(dir, '.zepp-lake') };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [['query', '--name', 'daily_overview']],
    [['query', 'SELECT local_date, steps FROM zepp_lake.daily_summary ORDER BY local_date DESC LIMIT 7']],
    [['report', '--out', 'report.html']],
    [['export', 'csv', '--table', 'daily_summary', '--out', 'daily.csv']],
    [['export', 'gpx', '--from', '2026-10-01', '--to', '2026-10-31', '--out-dir', 'gpx']],
  ])('zepp-lake %j says there is no lake there and how to point at one, exit 2, writing nothing', async (args) => {
    const run = await runCli(
      rt,
      args.map((a, i) => (/^--out/.test(args[i - 1] ?? '') ? join(dir, a) : a)),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`no lake at ${rt.lakeDir}`);
    expect(run.stderr).toContain('--lake (or ZEPP_LAKE_DIR)');
    expect(run.stderr).toContain('zepp-lake sync');
    expect(await readdir(dir)).toEqual([]);
  });

  it('zepp-lake sync with no users names the login command, exit 2', async () => {
    const run = await runCli(rt, ['sync']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no users yet: run `zepp-lake login`');
  });

  it('zepp-lake status --user for an unknown user says how to list the users, exit 2', async () => {
    const run = await runCli(rt, ['status', '--user', '123']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no user 123; `zepp-lake users list` shows the users');
  });

  it('zepp-lake login without an e-mail says where it comes from, exit 2', async () => {
    const saved = process.env.ZEPP_LAKE_EMAIL;
    delete process.env.ZEPP_LAKE_EMAIL;
    try {
      const run = await runCli(rt, ['login']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('pass --email or set ZEPP_LAKE_EMAIL');
    } finally {
      if (saved !== undefined) process.env.ZEPP_LAKE_EMAIL = saved;
    }
  });
});

describe('a newcomer querying a lake', () => {
  let sim: Simulator;
  let rt: Awaited<ReturnType<typeof tempRuntime>>;

  beforeAll(async () => {
    const bob = demoUsers(TODAY).find((u) => u.userId === BOB)!;
    sim = await startSimulator({ today: TODAY, users: [bob], loginThrottle: false });
    rt = await tempRuntime();
    await loginAll(rt, sim);
    const [report] = await syncUsers(rt, {
      quiet: true,
      clock,
      http: FAST_HTTP,
      from: FROM,
      streams: 'band,workouts',
    });
    expect(report?.errors).toEqual([]);
  }, 180_000);
  afterAll(async () => {
    await sim?.close();
    await rt?.cleanup();
  });

  it('answers a count for an unqualified table name, as the Athena console with zepp_lake selected does', async () => {
    const truth = sim.groundTruth(BOB, { from: FROM, to: TODAY });
    for (const [table, expected] of [
      ['activity_minute', truth.activity_minute?.length],
      ['daily_summary', truth.daily_summary?.length],
    ] as const) {
      expect(expected).toBeGreaterThan(0);
      const unqualified = await runCli(rt, ['query', '--json', `SELECT count(*) AS n FROM ${table}`]);
      expect(unqualified.code, unqualified.stderr).toBe(0);
      expect(JSON.parse(unqualified.stdout)).toEqual({ n: expected });
      const qualified = await runCli(rt, ['query', '--json', `SELECT count(*) AS n FROM zepp_lake.${table}`]);
      expect(qualified.stdout).toBe(unqualified.stdout);
    }
  }, 60_000);

  it('an unknown named query lists the names to run instead, exit 2', async () => {
    const run = await runCli(rt, ['query', '--name', 'daily_overveiw']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no named query daily_overveiw; run one of: --name coverage_calendar');
    expect(run.stderr).toContain('--name daily_overview');
  });

  it('an unknown table lists the tables, exit 2', async () => {
    const run = await runCli(rt, ['query', 'SELECT count(*) FROM zepp_lake.activity_minutes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Table with name activity_minutes does not exist');
    expect(run.stderr).toContain(
      `the tables of the database zepp_lake (write them with or without zepp_lake.): ${TABLE_NAMES.join(', ')}`,
    );
  });

  it('an unknown column says how to list the columns, exit 2', async () => {
    const run = await runCli(rt, ['query', 'SELECT heartrate FROM activity_minute']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"heartrate" not found');
    expect(run.stderr).toContain('zepp-lake query "DESCRIBE <table>"');
    const describe = await runCli(rt, ['query', '--json', 'DESCRIBE activity_minute']);
    expect(describe.code).toBe(0);
    expect(describe.stdout).toContain('"column_name":"heart_rate"');
  });

  it('SQL that does not parse points at the example queries, exit 2', async () => {
    const run = await runCli(rt, ['query', 'SELEC local_date FROM daily_summary']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('syntax error at or near "SELEC"');
    expect(run.stderr).toContain('the files in athena/queries/ are examples (zepp-lake query --name daily_overview)');
  });

  it('SQL given as several words (not in quotes) says to quote it, exit 2', async () => {
    const run = await runCli(rt, ['query', 'SELECT', '1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("too many arguments for 'query'");
    expect(run.stderr).toContain('put it in quotes');
  });

  it('an empty but existing lake folder is no error: the query answers no rows', async () => {
    const empty = join(rt.lakeDir, '..', 'empty-lake');
    await mkdir(empty);
    const run = await runCli({ lakeDir: empty, homeDir: rt.homeDir }, ['query', 'SELECT * FROM workout']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('(no rows)');
    expect(existsSync(join(empty, 'tables'))).toBe(false);
  });
});
