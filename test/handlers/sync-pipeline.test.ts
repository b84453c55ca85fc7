// The deployed flow, handler by handler, against the stand-ins and the simulator: the Scheduler event reaches
// the dispatcher, its messages reach the sync worker in SQS batches with several pollers at once, and the lake
// in the S3 stand-in, queried with DuckDB, holds the same rows as a local-mode sync of the same people.
// Then the replay handler rebuilds deleted tables from raw/.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginZepp, syncUsers } from '../../lambdas/cli/sync-command.ts';
import { METRIC } from '../../lambdas/core/metric-names.ts';
import type { LambdaRuntime } from '../../lambdas/runtime/aws-parquet.ts';
import { mirrorTables } from '../../lambdas/runtime/local.ts';
import { openLakeDb } from '../../lambdas/stores/duckdb-query.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { DATA_TABLES, diffAgainstTruth, FAST_HTTP, tempRuntime } from '../support/local-lake.ts';
import {
  captureMetrics,
  cliRuntimeOver,
  drainQueue,
  type HandlerEnv,
  lambdaContext,
  metricTotal,
  schedulerEvent,
  setUpHandlerEnv,
  shortSimUser,
  testRuntime,
} from './lambda-harness.ts';

const TODAY = '2026-11-20';
const clock = () => Date.parse(`${TODAY}T18:00:00Z`);

/**
 * Per data table, as DuckDB reads the users' rows: the count and an order-free fingerprint of every row (xor of
 * the row hashes; equal rows in any order give equal fingerprints, one changed value changes it).
 */
async function lakeFingerprint(dir: string, userIds: readonly string[]): Promise<Record<string, unknown>> {
  const db = await openLakeDb(dir);
  try {
    const ids = userIds.map((u) => `'${u}'`).join(', ');
    const parts = DATA_TABLES.map(
      (t) =>
        `SELECT '${t}' AS t, count(*) AS n, CAST(bit_xor(hash(r)) AS VARCHAR) AS h FROM zepp_lake.${t} r WHERE user_id IN (${ids})`,
    );
    const rows = await db.query(parts.join(' UNION ALL '));
    return Object.fromEntries(rows.map((r) => [r.t as string, { rows: r.n, fingerprint: r.h }]));
  } finally {
    db.close();
  }
}

describe('dispatcher -> queue -> sync worker, against the stand-ins', () => {
  let h: HandlerEnv;
  let sim: Simulator;
  let rt: LambdaRuntime;
  let handlers: typeof import('./handler-modules.ts');
  let mirrorDir: string;
  const specs = [shortSimUser(TODAY, 'ana', 20), shortSimUser(TODAY, 'ben', 30), shortSimUser(TODAY, 'cai', 15)];
  const userIds = specs.map((s) => s.userId);

  beforeAll(async () => {
    h = await setUpHandlerEnv();
    sim = await startSimulator({ today: TODAY, users: specs, loginThrottle: false });
    handlers = await import('./handler-modules.ts');
    rt = testRuntime(clock);
    for (const u of sim.users)
      await loginZepp(cliRuntimeOver(rt), { email: u.email, password: u.password, host: sim.url, http: FAST_HTTP });
    mirrorDir = await mkdtemp(join(tmpdir(), 'zepp-lake-mirror-'));
  });
  afterAll(async () => {
    await sim?.close();
    h?.aws.destroy();
    h?.sqs.destroy();
    if (mirrorDir) await rm(mirrorDir, { recursive: true, force: true });
  });

  it('syncs several users in parallel to the same rows as local mode, every one exactly once', async () => {
    // Prepare
    const dispatcher = handlers.dispatcher(rt);
    const worker = handlers.syncWorker(rt, { http: FAST_HTTP });

    // Act
    const dispatched = await captureMetrics(() =>
      dispatcher(schedulerEvent('sync', `${TODAY}T18:00:00Z`), lambdaContext('dispatcher')),
    );
    const drained = await captureMetrics(() => drainQueue(h, worker, { concurrency: 3, batchSize: 2 }));

    // Assess: one message per user and stream group, all of them done.
    expect(dispatched.result).toEqual({ users: 3, messages: 9, slot: `${TODAY}T18:00:00.000Z`, stale: [] });
    expect(metricTotal(dispatched.metrics, METRIC.syncMessagesSent)).toBe(9);
    expect(metricTotal(dispatched.metrics, METRIC.usersStale)).toBe(0);
    expect(metricTotal(drained.metrics, METRIC.authFailed)).toBe(0);
    expect(metricTotal(drained.metrics, METRIC.rowsWritten)).toBeGreaterThan(0);
    for (const u of userIds) {
      const ledger = await rt.state.listLedger(u);
      expect(ledger.filter((e) => e.status !== 'written' && e.status !== 'empty')).toEqual([]);
    }

    // The same people synced in local mode give the same rows, table by table, as DuckDB reads them.
    const local = await tempRuntime();
    try {
      for (const u of sim.users)
        await loginZepp(local, { email: u.email, password: u.password, host: sim.url, http: FAST_HTTP });
      await syncUsers(local, { quiet: true, clock, http: FAST_HTTP });
      expect(await mirrorTables(rt.store, mirrorDir)).toBeGreaterThan(0);
      const awsLake = await lakeFingerprint(mirrorDir, userIds);
      expect(awsLake).toEqual(await lakeFingerprint(local.lakeDir, userIds));
      expect((awsLake.activity_minute as { rows: number }).rows).toBeGreaterThan(10_000);
      expect((awsLake.workout_sample as { rows: number }).rows).toBeGreaterThan(0);
      // And row by row for one of them, against the simulator's ground truth.
      expect(await diffAgainstTruth(mirrorDir, userIds[0]!, sim.groundTruth(userIds[0]!))).toEqual([]);
    } finally {
      await local.cleanup();
    }
  });

  it('rebuilds a deleted table from raw/ with the replay handler, without an API call', async () => {
    // Prepare
    const [userId] = userIds as [string];
    const replay = handlers.replay(rt);
    const keys = (await rt.store.list('tables/activity_minute/')).filter((k) => k.endsWith(`user-${userId}.parquet`));
    expect(keys.length).toBeGreaterThan(0);
    const before = new Map<string, Uint8Array>();
    for (const k of keys) before.set(k, (await rt.store.get(k))!.body);
    await rt.store.delete(keys);
    const calls = sim.stats().requests.band_data ?? 0;

    // Act
    const out = await replay({ userId }, lambdaContext('replay'));

    // Assess
    expect(out.reports).toHaveLength(1);
    expect(out.reports[0]?.rejects).toEqual([]);
    for (const k of keys)
      expect(Buffer.from((await rt.store.get(k))!.body).equals(Buffer.from(before.get(k)!))).toBe(true);
    expect(sim.stats().requests.band_data ?? 0).toBe(calls);
  });

  it('counts a person without a clean sync for two days as stale, and the next clean run clears it', async () => {
    // Prepare: ben's last clean sync was three days ago.
    const [, ben] = userIds as [string, string];
    const dispatcher = handlers.dispatcher(rt);
    const worker = handlers.syncWorker(rt, { http: FAST_HTTP });
    const record = (await rt.state.getUser(ben))!;
    await rt.state.putUser({ ...record, lastSuccessAt: clock() - 3 * 86_400_000 });

    // Act
    const flagged = await captureMetrics(() =>
      dispatcher(schedulerEvent('sync', `${TODAY}T19:00:00Z`), lambdaContext('dispatcher')),
    );
    await drainQueue(h, worker, { concurrency: 2, batchSize: 2 });
    const after = await captureMetrics(() =>
      dispatcher(schedulerEvent('sync', `${TODAY}T20:00:00Z`), lambdaContext('dispatcher')),
    );
    await drainQueue(h, worker, { concurrency: 2, batchSize: 2 });

    // Assess: named and counted, still dispatched, and healed by the run it was dispatched to.
    expect(flagged.result).toMatchObject({ users: 3, messages: 9, stale: [ben] });
    expect(metricTotal(flagged.metrics, METRIC.usersStale)).toBe(1);
    expect((await rt.state.getUser(ben))?.lastSuccessAt).toBe(clock());
    expect(after.result).toMatchObject({ stale: [] });
    expect(metricTotal(after.metrics, METRIC.usersStale)).toBe(0);
  });
});
