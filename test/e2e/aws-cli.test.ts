// `zepp-lake sync --backend aws` as a person runs it: a child process of bin/zepp-lake.mjs whose only link to the
// stand-ins is the AWS_ENDPOINT_URL_* environment, syncing a user whose secret and state item already exist
// (created here through the adapters, as `login --backend aws` would). Then `query --backend aws` and
// `status --backend aws`, and the bucket itself mirrored and read with DuckDB against the simulator's truth.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginZepp } from '../../lambdas/cli/sync-command.ts';
import type { Runtime } from '../../lambdas/runtime/local.ts';
import { mirrorTables, openAwsRuntime } from '../../lambdas/runtime/local.ts';
import { openLakeDb } from '../../lambdas/stores/duckdb-query.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { shortSimUser } from '../handlers/lambda-harness.ts';
import { createAwsClients, createTestBucket, createTestStateTable } from '../support/aws-clients.ts';
import { diffAgainstTruth, FAST_HTTP } from '../support/local-lake.ts';

const run = promisify(execFile);
const TODAY = '2026-11-20';
const FROM = '2026-11-01';

describe('zepp-lake sync --backend aws', () => {
  let sim: Simulator;
  let rt: Runtime;
  let home: string;
  let bucket: string;
  let table: string;
  const aws = createAwsClients();
  const spec = shortSimUser(TODAY, 'cli', 19);

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [spec], loginThrottle: false });
    bucket = await createTestBucket(aws.s3);
    table = await createTestStateTable(aws.dynamodb);
    home = await mkdtemp(join(tmpdir(), 'zepp-lake-aws-cli-'));
    rt = openAwsRuntime({ bucket, table, home });
    const u = sim.users[0]!;
    await loginZepp(rt, { email: u.email, password: u.password, host: sim.url, http: FAST_HTTP });
  });
  afterAll(async () => {
    await sim?.close();
    aws.destroy();
    await rt?.tokens.delete(spec.userId);
    if (home) await rm(home, { recursive: true, force: true });
  });

  /** The command with only the environment a person would set (endpoints come from AWS_ENDPOINT_URL_*). */
  function zeppLake(...args: string[]) {
    return run(process.execPath, ['bin/zepp-lake.mjs', ...args], {
      env: { ...process.env, ZEPP_LAKE_BACKEND: 'aws', ZEPP_LAKE_HOME: home },
      timeout: 50_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  }

  it('runs the same engine against S3, DynamoDB and Secrets Manager and lands every row of the window', async () => {
    // Act
    const sync = await zeppLake('sync', '--bucket', bucket, '--table', table, '--from', FROM, '--to', TODAY);

    // Assess: the report, then the lake in the S3 stand-in read with DuckDB.
    expect(sync.stdout).toContain(`user ${spec.userId}`);
    expect(sync.stdout).not.toContain('AUTH FAILED');
    const tokens = (await rt.tokens.get(spec.userId))!;
    for (const secret of [tokens.appToken!, tokens.loginToken!]) {
      expect(sync.stdout).not.toContain(secret);
      expect(sync.stderr).not.toContain(secret);
    }
    const mirror = join(home, 'test-mirror');
    expect(await mirrorTables(rt.store, mirror)).toBeGreaterThan(0);
    const db = await openLakeDb(mirror);
    try {
      const [days] = await db.query(
        `SELECT count(*) AS n, min(local_date) AS first, max(local_date) AS last FROM zepp_lake.daily_summary WHERE user_id = '${spec.userId}'`,
      );
      const truthDays = sim.groundTruth(spec.userId, { from: FROM, to: TODAY }).daily_summary ?? [];
      expect(truthDays.length).toBeGreaterThan(10);
      expect(days).toEqual({
        n: truthDays.length,
        first: truthDays[0]?.local_date,
        last: truthDays.at(-1)?.local_date,
      });
    } finally {
      db.close();
    }
    expect(
      await diffAgainstTruth(mirror, spec.userId, sim.groundTruth(spec.userId, { from: FROM, to: TODAY })),
    ).toEqual([]);
  });

  it('answers status and query from the same backend', async () => {
    // Env only this time: ZEPP_LAKE_BUCKET / ZEPP_LAKE_STATE_TABLE stand for --bucket / --table.
    const env = { ZEPP_LAKE_BUCKET: bucket, ZEPP_LAKE_STATE_TABLE: table };
    Object.assign(process.env, env);
    try {
      const status = await zeppLake('status', '--json');
      expect(status.stdout).toContain(spec.userId);
      const query = await zeppLake(
        'query',
        '--json',
        `SELECT count(*) AS days FROM zepp_lake.daily_summary WHERE user_id = '${spec.userId}'`,
      );
      const truthDays = sim.groundTruth(spec.userId, { from: FROM, to: TODAY }).daily_summary ?? [];
      expect(JSON.parse(query.stdout.trim())).toEqual({ days: truthDays.length });
    } finally {
      delete process.env.ZEPP_LAKE_BUCKET;
      delete process.env.ZEPP_LAKE_STATE_TABLE;
    }
  });
});
