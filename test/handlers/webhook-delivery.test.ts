// The webhook counts a notification as handled only once its sync messages are in SQS. Driven through the real
// handler (`createWebhookHandler`, middy chain) with DynamoDB Local holding the notification records and fauxqs
// as SQS: a failed enqueue answers 5xx and the vendor's redelivery is processed; a process killed between
// recording and queueing loses nothing either, the redelivery after the in-progress expiry is processed.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncMessage } from '../../lambdas/core/sync-message.ts';
import type { LambdaRuntime } from '../../lambdas/runtime/aws-parquet.ts';
import { SqsSyncQueue } from '../../lambdas/stores/sqs-queue.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../sim/huami-open/simulator.ts';
import { functionUrlEvent } from '../support/function-url-event.ts';
import {
  type HandlerEnv,
  lambdaContext,
  receiveBatch,
  settleBatch,
  setUpHandlerEnv,
  testRuntime,
} from './lambda-harness.ts';

const TODAY = '2026-11-21';

describe('webhook delivery: recorded only when queued', () => {
  let h: HandlerEnv;
  let sim: HuamiOpenSimulator;
  let rt: LambdaRuntime;
  let userId: string;
  let tmp: string;
  const startedS = Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    h = await setUpHandlerEnv();
    sim = await startHuamiOpenSimulator({ seed: 12, today: TODAY, days: 3, users: 1 });
    process.env.HUAMI_PUBLIC_KEY = sim.publicKeyPem;
    rt = testRuntime(Date.now);
    userId = sim.users[0]!.userId;
    await rt.state.putUser({ userId, source: 'huami-open', enabled: true, createdAt: Date.now(), tzOffsetS: 0 });
    tmp = await mkdtemp(join(tmpdir(), 'zepp-lake-webhook-'));
  });
  afterAll(async () => {
    await sim?.close();
    h?.aws.destroy();
    h?.sqs.destroy();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function deliver(
    runtime: LambdaRuntime,
    body: string,
    remainingMs = 10_000,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    const { webhook } = await import('./handler-modules.ts');
    return webhook(runtime)(
      functionUrlEvent(body, { 'huami-signature': sim.signBody(body) }),
      lambdaContext('webhook', remainingMs),
    );
  }

  async function drain(): Promise<SyncMessage[]> {
    const out: SyncMessage[] = [];
    for (;;) {
      const batch = await receiveBatch(h, 10);
      if (batch.Records.length === 0) return out;
      for (const r of batch.Records) out.push(JSON.parse(r.body) as SyncMessage);
      await settleBatch(h, batch, { batchItemFailures: [] });
    }
  }

  it('answers 5xx when SQS refuses the messages, and processes the vendor redelivery', async () => {
    // Prepare: the same function, but its queue URL names a queue SQS does not have (every send fails).
    const body = JSON.stringify(sim.makeNotification(userId, { eventType: 'activityDataUpdated' }));
    const refusing = new SqsSyncQueue({ client: h.sqs, queueUrl: `${h.queueUrl}-does-not-exist` });

    // Act
    const failed = await deliver({ ...rt, queue: refusing }, body);
    const redelivered = await deliver(rt, body);

    // Assess
    expect(failed.statusCode).toBe(500);
    expect(redelivered.statusCode).toBe(204);
    const messages = await drain();
    expect(messages.map((m) => [m.userId, m.streams, m.reason])).toEqual([[userId, ['band'], 'webhook']]);
  });

  it('loses nothing when the process dies between recording and queueing', async () => {
    // Prepare
    const body = JSON.stringify(sim.makeNotification(userId, { eventType: 'sportDataUpdated' }));
    const bodyFile = join(tmp, 'notification.json');
    await writeFile(bodyFile, body);
    const inProgressMs = 6_000;

    // Act: a child process runs the handler and is SIGKILLed when it sends the messages.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/handlers/children/webhook-crash-child.ts',
        bodyFile,
        sim.signBody(body),
        String(inProgressMs),
      ],
      { cwd: new URL('../..', import.meta.url).pathname, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, sig) => resolve(sig)),
    );
    const killedAt = Date.now();
    const duringInProgress = await deliver(rt, body);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, killedAt + inProgressMs + 500 - Date.now())));
    const afterExpiry = await deliver(rt, body);

    // Assess
    expect(out).toContain('KILLED-BEFORE-ENQUEUE');
    expect(signal).toBe('SIGKILL');
    // While the dead delivery's record is in progress, the vendor is told to try again, not "done".
    expect(duringInProgress.statusCode).toBe(503);
    expect(afterExpiry.statusCode).toBe(204);
    const messages = await drain();
    expect(messages.map((m) => [m.userId, m.streams, m.reason])).toEqual([[userId, ['workouts'], 'webhook']]);
  });

  it('answers a redelivery of a queued notification 204 without queueing it again', async () => {
    const body = JSON.stringify(sim.makeNotification(userId, { eventType: 'activityDataUpdated' }));
    expect((await deliver(rt, body)).statusCode).toBe(204);
    expect((await deliver(rt, body)).statusCode).toBe(204);
    expect((await drain()).map((m) => m.streams)).toEqual([['band']]);
  });

  it('keeps its records in the state table, completed, expiring through the table TTL after 30 days', async () => {
    // Prepare
    const body = JSON.stringify(sim.makeNotification(userId, { eventType: 'sportDataUpdated' }));

    // Act
    expect((await deliver(rt, body)).statusCode).toBe(204);
    await drain();

    // Assess: every record of this file's notifications is under pk WEBHOOK with an epoch-seconds `ttl` (the table's TTL attribute).
    const items = (
      await h.aws.documentClient.send(
        new QueryCommand({
          TableName: h.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'WEBHOOK' },
          ConsistentRead: true,
        }),
      )
    ).Items;
    expect(items?.length).toBeGreaterThan(0);
    for (const item of items ?? []) {
      expect(item.status).toBe('COMPLETED');
      expect(item.ttl).toBeGreaterThanOrEqual(startedS + 30 * 86_400);
      expect(item.ttl).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 30 * 86_400);
    }
  });
});
