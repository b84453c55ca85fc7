// The webhook handler with Lambda Function URL (payload 2.0) events signed by the Huami Web API simulator's key:
// verify before parsing, de-duplicate by body hash, queue one message per touched stream group, answer 204;
// 401 (counted) for a bad signature, 400 for a signed body that is not a notification (kept in the lake).

import { createHash } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '../../lambdas/core/metric-names.ts';
import type { SyncMessage } from '../../lambdas/core/sync-message.ts';
import { addDays } from '../../lambdas/core/time.ts';
import type { LambdaRuntime } from '../../lambdas/runtime/aws-parquet.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../sim/huami-open/simulator.ts';
import { functionUrlEvent } from '../support/function-url-event.ts';
import {
  captureMetrics,
  type HandlerEnv,
  lambdaContext,
  metricTotal,
  queueDepth,
  receiveBatch,
  settleBatch,
  setUpHandlerEnv,
  testRuntime,
} from './lambda-harness.ts';

const TODAY = '2026-11-20';

describe('webhook handler', () => {
  let h: HandlerEnv;
  let sim: HuamiOpenSimulator;
  let rt: LambdaRuntime;
  let webhook: (event: LambdaFunctionURLEvent) => Promise<APIGatewayProxyStructuredResultV2>;
  let userId: string;

  beforeAll(async () => {
    h = await setUpHandlerEnv();
    sim = await startHuamiOpenSimulator({ seed: 11, today: TODAY, days: 5, users: 1 });
    process.env.HUAMI_PUBLIC_KEY = sim.publicKeyPem;
    const handlers = await import('./handler-modules.ts');
    rt = testRuntime(() => Date.parse(`${TODAY}T18:00:00Z`));
    const invoke = handlers.webhook(rt);
    webhook = (event) => invoke(event, lambdaContext('webhook', 10_000));
    userId = sim.users[0]!.userId;
    await rt.state.putUser({ userId, source: 'huami-open', enabled: true, createdAt: Date.now(), tzOffsetS: 0 });
  });
  afterAll(async () => {
    await sim?.close();
    h?.aws.destroy();
    h?.sqs.destroy();
  });

  async function drain(): Promise<SyncMessage[]> {
    const out: SyncMessage[] = [];
    for (;;) {
      const batch = await receiveBatch(h, 10);
      if (batch.Records.length === 0) return out;
      for (const r of batch.Records) out.push(JSON.parse(r.body) as SyncMessage);
      await settleBatch(h, batch, { batchItemFailures: [] });
    }
  }

  it('answers a signed notification 204 and queues one sync per stream group for its window', async () => {
    // Prepare
    const notification = sim.makeNotification(userId, { eventType: 'activityDataUpdated' });
    const body = JSON.stringify(notification);

    // Act
    const res = await webhook(functionUrlEvent(body, { 'huami-signature': sim.signBody(body) }));

    // Assess
    expect(res).toEqual({ statusCode: 204 });
    const day = new Date(notification.resourceTime! * 1000).toISOString().slice(0, 10);
    const batch = await receiveBatch(h, 10);
    expect(batch.Records).toHaveLength(1);
    const record = batch.Records[0]!;
    expect(JSON.parse(record.body)).toEqual({
      userId,
      streams: ['band'],
      from: addDays(day, -1),
      to: addDays(day, 1),
      reason: 'webhook',
    });
    expect(record.messageAttributes.syncId?.stringValue).toMatch(/^[0-9a-f]{64}$/);
    await settleBatch(h, batch, { batchItemFailures: [] });
  });

  it('treats a replayed notification as a duplicate: 204, no second sync', async () => {
    // Prepare
    const body = JSON.stringify(sim.makeNotification(userId, { eventType: 'sportDataUpdated' }));
    const event = functionUrlEvent(body, { 'huami-signature': sim.signBody(body) });

    // Act
    const first = await webhook(event);
    const replay = await webhook(event);

    // Assess
    expect([first.statusCode, replay.statusCode]).toEqual([204, 204]);
    const messages = await drain();
    expect(messages.map((m) => m.streams)).toEqual([['workouts']]);
  });

  it('accepts a base64-encoded body (binary content types) with the signature over the raw bytes', async () => {
    const body = Buffer.from(JSON.stringify(sim.makeNotification(userId, { eventType: 'unknownFutureEvent' })));
    const res = await webhook(
      functionUrlEvent(
        body,
        { 'huami-signature': sim.signBody(body), 'content-type': 'application/octet-stream' },
        { base64: true },
      ),
    );
    expect(res.statusCode).toBe(204);
    // An unknown event type re-syncs every stream: one message per group.
    expect((await drain()).map((m) => m.streams)).toEqual([
      ['band'],
      ['workouts'],
      ['stress', 'spo2', 'pai', 'readiness'],
    ]);
  });

  it('rejects a bad or missing signature with 401, counts it, and records nothing', async () => {
    // Prepare
    const body = JSON.stringify(sim.makeNotification(userId));
    const otherBody = JSON.stringify(sim.makeNotification(userId));

    // Act
    const out = await captureMetrics(async () => [
      await webhook(functionUrlEvent(body, { 'huami-signature': sim.signBody(otherBody) })),
      await webhook(functionUrlEvent(body, {})),
    ]);

    // Assess
    expect(out.result.map((r) => r.statusCode)).toEqual([401, 401]);
    expect(metricTotal(out.metrics, METRIC.webhookSignatureRejected)).toBe(2);
    expect(await queueDepth(h)).toBe(0);
    // The hash was not recorded: the same body, correctly signed, is still new.
    const signed = await webhook(functionUrlEvent(body, { 'huami-signature': sim.signBody(body) }));
    expect(signed.statusCode).toBe(204);
    expect(await drain()).toHaveLength(1);
  });

  it('answers a signed body that is not JSON 400 and keeps it under raw/webhook-rejects/', async () => {
    // Prepare
    const body = '{"userId": "123", "eventType": ';
    const hash = createHash('sha256').update(body).digest('hex');

    // Act
    const out = await captureMetrics(() => webhook(functionUrlEvent(body, { 'huami-signature': sim.signBody(body) })));

    // Assess
    expect(out.result.statusCode).toBe(400);
    expect(JSON.parse(out.result.body ?? '{}')).toEqual({ message: 'body: not valid JSON' });
    expect(metricTotal(out.metrics, METRIC.webhookMalformed)).toBe(1);
    const kept = await rt.store.get(`raw/webhook-rejects/${hash}.json`);
    expect(Buffer.from(kept!.body).toString('utf8')).toBe(body);
    expect(await queueDepth(h)).toBe(0);
  });

  it('acknowledges a notification for a user this deployment does not hold without queueing, and refuses GET', async () => {
    const body = JSON.stringify(sim.makeNotification('777000111'));
    expect((await webhook(functionUrlEvent(body, { 'huami-signature': sim.signBody(body) }))).statusCode).toBe(204);
    expect(await queueDepth(h)).toBe(0);
    expect((await webhook(functionUrlEvent('', {}, { method: 'GET' }))).statusCode).toBe(405);
  });
});
