// The sync worker on its own, one SQS batch at a time (received from the SQS stand-in, settled the way the event
// source mapping does): the user's lease, a lost conditional write, token refresh and token death, poison
// messages and the dead-letter queue.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginZepp } from '../../lambdas/cli/sync-command.ts';
import { WriteConflictError } from '../../lambdas/core/errors.ts';
import { METRIC } from '../../lambdas/core/metric-names.ts';
import type { ObjectStore, UserTokens } from '../../lambdas/core/ports.ts';
import type { SyncMessage } from '../../lambdas/core/sync-message.ts';
import { addDays } from '../../lambdas/core/time.ts';
import type { LambdaRuntime } from '../../lambdas/runtime/aws-parquet.ts';
import { mirrorTables } from '../../lambdas/runtime/local.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { diffAgainstTruth, FAST_HTTP } from '../support/local-lake.ts';
import {
  captureMetrics,
  cliRuntimeOver,
  type HandlerEnv,
  lambdaContext,
  metricTotal,
  queueDepth,
  receiveBatch,
  settleBatch,
  setUpHandlerEnv,
  shortSimUser,
  testRuntime,
} from './lambda-harness.ts';

const TODAY = '2026-11-20';
const clock = () => Date.parse(`${TODAY}T18:00:00Z`);
const MAX_RECEIVES = 2;

describe('sync worker', () => {
  let h: HandlerEnv;
  let sim: Simulator;
  let rt: LambdaRuntime;
  let handlers: typeof import('./handler-modules.ts');
  const specs = ['lee', 'con', 'exp', 'dead', 'flk'].map((n) => shortSimUser(TODAY, n, 12));
  const [lease, conflict, expired, dead, flaky] = specs.map((s) => s.userId) as [
    string,
    string,
    string,
    string,
    string,
  ];

  beforeAll(async () => {
    h = await setUpHandlerEnv({ maxReceiveCount: MAX_RECEIVES });
    sim = await startSimulator({ today: TODAY, users: specs, loginThrottle: false });
    handlers = await import('./handler-modules.ts');
    rt = testRuntime(clock);
    for (const u of sim.users)
      await loginZepp(cliRuntimeOver(rt), { email: u.email, password: u.password, host: sim.url, http: FAST_HTTP });
  });
  afterAll(async () => {
    await sim?.close();
    h?.aws.destroy();
    h?.sqs.destroy();
  });

  async function send(message: SyncMessage | string): Promise<void> {
    await h.sqs.send(
      new SendMessageCommand({
        QueueUrl: h.queueUrl,
        MessageBody: typeof message === 'string' ? message : JSON.stringify(message),
      }),
    );
  }

  const allStreams = (userId: string): SyncMessage => ({
    userId,
    streams: ['band', 'workouts', 'stress', 'spo2', 'pai', 'readiness'],
    reason: 'manual',
  });

  async function tableKeys(userId: string): Promise<string[]> {
    return (await rt.store.list('tables/')).filter((k) => k.endsWith(`user-${userId}.parquet`));
  }

  it('hands a message for a leased user back as a batch item failure without running it, and runs it once the lease is free', async () => {
    // Prepare: another worker holds the user's lease.
    const worker = handlers.syncWorker(rt, { http: FAST_HTTP });
    expect(await rt.state.acquireLease(lease, 'another-worker', clock(), 10 * 86_400_000)).toBe(true);
    await send(allStreams(lease));
    const dataCalls = () => sim.stats().requests.band_data ?? 0;
    const before = dataCalls();

    // Act
    const first = await receiveBatch(h);
    const bounced = await captureMetrics(() => worker(first, lambdaContext('sync-worker')));
    await settleBatch(h, first, bounced.result);

    // Assess: returned, not run.
    expect(bounced.result.batchItemFailures).toEqual([{ itemIdentifier: first.Records[0]!.messageId }]);
    expect(metricTotal(bounced.metrics, METRIC.syncDeferred)).toBe(1);
    expect(dataCalls()).toBe(before);
    expect(await tableKeys(lease)).toEqual([]);

    // The other worker finishes; the retry runs.
    await rt.state.releaseLease(lease, 'another-worker');
    const second = await receiveBatch(h);
    expect(second.Records[0]?.attributes.ApproximateReceiveCount).toBe('2');
    const done = await worker(second, lambdaContext('sync-worker'));
    await settleBatch(h, second, done);
    expect(done.batchItemFailures).toEqual([]);
    expect(await queueDepth(h)).toBe(0);
    expect(await diffAgainstTruth(await mirrorOf(rt, lease), lease, sim.groundTruth(lease))).toEqual([]);
  });

  it('runs only one of two concurrent deliveries for the same user; the other is retried later', async () => {
    // Prepare: the same work twice (SQS delivers at least once), picked up by two pollers at the same time.
    const worker = handlers.syncWorker(rt, { http: FAST_HTTP });
    const message: SyncMessage = { ...allStreams(lease), from: addDays(TODAY, -5) };
    await send(message);
    await send(message);
    const a = await receiveBatch(h, 1);
    const b = await receiveBatch(h, 1);
    expect([a.Records.length, b.Records.length]).toEqual([1, 1]);

    // Act
    const [ra, rb] = await Promise.all([
      worker(a, lambdaContext('sync-worker')),
      worker(b, lambdaContext('sync-worker')),
    ]);

    // Assess: exactly one was handed back.
    expect(ra.batchItemFailures.length + rb.batchItemFailures.length).toBe(1);
    await settleBatch(h, a, ra);
    await settleBatch(h, b, rb);
    const retry = await receiveBatch(h);
    const rr = await worker(retry, lambdaContext('sync-worker'));
    await settleBatch(h, retry, rr);
    expect(rr.batchItemFailures).toEqual([]);
    expect(await queueDepth(h)).toBe(0);
  });

  it('retries a lost conditional write instead of losing the rows', async () => {
    // Prepare: the first write to a tables/ object meets a concurrent writer (fauxqs does not enforce If-Match).
    const attempts = new Map<string, number>();
    let conflicts = 0;
    const flaky: ObjectStore = {
      get: (k) => rt.store.get(k),
      list: (p) => rt.store.list(p),
      delete: (k) => rt.store.delete(k),
      async put(key, body, options) {
        attempts.set(key, (attempts.get(key) ?? 0) + 1);
        if (key.startsWith('tables/') && conflicts === 0) {
          conflicts++;
          throw new WriteConflictError(`the object ${key} changed since it was read`);
        }
        return rt.store.put(key, body, options);
      },
    };
    const worker = handlers.syncWorker({ ...rt, store: flaky }, { http: FAST_HTTP });
    await send(allStreams(conflict));

    // Act
    const batch = await receiveBatch(h);
    const out = await worker(batch, lambdaContext('sync-worker'));
    await settleBatch(h, batch, out);

    // Assess: the conflict happened, the object was written on the next attempt, nothing is missing.
    expect(conflicts).toBe(1);
    expect(out.batchItemFailures).toEqual([]);
    const conflicted = [...attempts].find(([k]) => k.startsWith('tables/'))!;
    expect(conflicted[1]).toBeGreaterThanOrEqual(2);
    expect(await rt.store.get(conflicted[0])).toBeDefined();
    expect(await diffAgainstTruth(await mirrorOf(rt, conflict), conflict, sim.groundTruth(conflict))).toEqual([]);
  });

  it('re-mints an expired app token once, writes it to the secret, and finishes the sync', async () => {
    // Prepare: the stored app token no longer works (the login token does).
    const stored = (await rt.tokens.get(expired)) as UserTokens;
    await rt.tokens.put(expired, { ...stored, appToken: 'revoked-app-token' });
    const mints = () => sim.stats().requests.app_tokens ?? 0;
    const before = mints();
    const worker = handlers.syncWorker(rt, { http: FAST_HTTP });
    await send(allStreams(expired));

    // Act
    const batch = await receiveBatch(h);
    const out = await captureMetrics(() => worker(batch, lambdaContext('sync-worker')));
    await settleBatch(h, batch, out.result);

    // Assess
    expect(out.result.batchItemFailures).toEqual([]);
    expect(mints() - before).toBe(1);
    expect(metricTotal(out.metrics, METRIC.authFailed)).toBe(0);
    expect(metricTotal(out.metrics, METRIC.syncSucceeded)).toBe(1);
    const secretId = `${h.secretPrefix}${expired}`;
    const current = JSON.parse(
      (await h.aws.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!,
    ) as UserTokens;
    const previous = JSON.parse(
      (await h.aws.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSPREVIOUS' })))
        .SecretString!,
    ) as UserTokens;
    expect(previous.appToken).toBe('revoked-app-token');
    expect(current.appToken).not.toBe('revoked-app-token');
    expect(current.appTokenIssuedAt).toBe(clock());
    expect(current.loginToken).toBe(stored.loginToken);
    expect(await diffAgainstTruth(await mirrorOf(rt, expired), expired, sim.groundTruth(expired))).toEqual([]);
  });

  it('marks a user whose token cannot be refreshed auth_failed, counts it, and does not retry the message', async () => {
    // Prepare: both tokens are dead.
    const stored = (await rt.tokens.get(dead)) as UserTokens;
    await rt.tokens.put(dead, { ...stored, appToken: 'revoked-app-token', loginToken: 'revoked-login-token' });
    const worker = handlers.syncWorker(rt, { http: FAST_HTTP });
    await send({ userId: dead, streams: ['band'], reason: 'schedule' });

    // Act
    const batch = await receiveBatch(h);
    const out = await captureMetrics(() => worker(batch, lambdaContext('sync-worker')));
    await settleBatch(h, batch, out.result);

    // Assess
    expect(out.result.batchItemFailures).toEqual([]);
    expect(metricTotal(out.metrics, METRIC.authFailed)).toBe(1);
    const ledger = await rt.state.listLedger(dead, 'band');
    expect(ledger.length).toBeGreaterThan(0);
    expect(new Set(ledger.map((e) => e.status))).toEqual(new Set(['auth_failed']));
    for (const e of ledger) expect(e.error ?? '').not.toContain('revoked');
    expect(await queueDepth(h)).toBe(0);
  });

  it('hands a step whose vendor calls kept failing back to the queue, and the retry fills what is missing', async () => {
    // Prepare: the vendor answers 500 to more attempts than one call retries.
    // (An explicit window skips the first-day probe, which absorbs failures on its own.)
    const worker = handlers.syncWorker(rt, { http: FAST_HTTP });
    await send({ ...allStreams(flaky), from: addDays(TODAY, -12) });
    sim.setFaults(`500:${(FAST_HTTP.maxRetries ?? 0) + 1}`);

    // Act
    const first = await receiveBatch(h);
    const failed = await captureMetrics(() => worker(first, lambdaContext('sync-worker')));
    await settleBatch(h, first, failed.result);
    sim.setFaults('');
    const second = await receiveBatch(h);
    const done = await worker(second, lambdaContext('sync-worker'));
    await settleBatch(h, second, done);

    // Assess: what landed stayed, the failed window was named in the ledger, and the retry completed it.
    expect(failed.result.batchItemFailures).toHaveLength(1);
    expect(metricTotal(failed.metrics, METRIC.syncDeferred)).toBe(1);
    expect(metricTotal(failed.metrics, METRIC.apiRetries)).toBeGreaterThan(0);
    expect(done.batchItemFailures).toEqual([]);
    expect(await queueDepth(h)).toBe(0);
    const ledger = await rt.state.listLedger(flaky);
    expect(ledger.filter((e) => e.status !== 'written' && e.status !== 'empty')).toEqual([]);
    expect(await diffAgainstTruth(await mirrorOf(rt, flaky), flaky, sim.groundTruth(flaky))).toEqual([]);
  });

  it('moves a poison message to the dead-letter queue after the configured receives', async () => {
    // Prepare
    const worker = handlers.syncWorker(rt, { http: FAST_HTTP });
    await send('{"userId": "x", "streams": ["not-a-stream"], "reason": "schedule"}');

    // Act: every receive fails it; the redrive policy takes over after MAX_RECEIVES.
    const failures: number[] = [];
    for (let i = 0; i < MAX_RECEIVES + 1; i++) {
      const batch = await receiveBatch(h);
      if (batch.Records.length === 0) break;
      const out = await worker(batch, lambdaContext('sync-worker'));
      failures.push(out.batchItemFailures.length);
      await settleBatch(h, batch, out);
    }

    // Assess
    expect(failures).toEqual([1, 1]);
    expect(await queueDepth(h)).toBe(0);
    const dead = await receiveBatch(h, 10, h.dlqUrl);
    expect(dead.Records.map((r) => r.body)).toEqual([
      '{"userId": "x", "streams": ["not-a-stream"], "reason": "schedule"}',
    ]);
  });
});

/** Copies the bucket's tables/ to a temp folder (removed after the file's tests) for the local readers. */
async function mirrorOf(rt: LambdaRuntime, userId: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `zepp-lake-mirror-${userId}-`));
  mirrors.push(dir);
  await mirrorTables(rt.store, dir);
  return dir;
}
const mirrors: string[] = [];
afterAll(async () => {
  for (const d of mirrors) await rm(d, { recursive: true, force: true });
});
