// The Huami Web API push endpoint (Lambda Function URL): verify, queue a sync once per notification, answer 204 fast.
// Function URL --> (core) handleWebhookRequest --> NotificationOnce (Powertools idempotency, state table) --> SQS
//
// The order and the status codes are sources/huami-open/webhook-flow.ts's; this file supplies the side effects:
// - the raw body bytes exactly as sent (a Function URL passes binary bodies base64-encoded);
// - a signed body that is not a notification is kept under raw/webhook-rejects/<sha256>.json for inspection;
// - a new notification for a known user becomes one message per touched stream group for its window, and counts
//   as handled only once those messages are in SQS; a user this deployment does not hold is acknowledged and
//   dropped (nothing to sync).
// Nothing is logged from the body or the headers beyond the user id and the event type's outcome.

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { redact } from '../core/errors.ts';
import type { NotificationSyncPlan } from '../core/notification.ts';
import type { StateStore } from '../core/ports.ts';
import { planWebhookMessages } from '../core/sync-message.ts';
import { lambdaWiring, type WebhookServices, webhookServices } from '../runtime/aws.ts';
import { logger } from '../runtime/logger.ts';
import { countMetric, METRIC, metrics } from '../runtime/metrics.ts';
import { onFirstUse } from '../runtime/on-first-use.ts';
import { tracingMiddlewares } from '../runtime/tracing.ts';
import { notificationHash } from '../sources/huami-open/webhook.ts';
import { handleWebhookRequest } from '../sources/huami-open/webhook-flow.ts';
import type { NotificationOnce } from '../stores/notification-once.ts';

export const WEBHOOK_REJECTS_PREFIX = 'raw/webhook-rejects/';

function errorText(err: unknown): string {
  return redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 500);
}

function rawBodyOf(event: LambdaFunctionURLEvent): Uint8Array {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

/**
 * The user records read ahead, by notification hash: the read of a notification's user starts before its
 * idempotency record is put, so the two DynamoDB round trips overlap instead of adding up (a replay then reads a
 * user it does not need: one read, no extra wait).
 */
type UserReadsAhead = Map<string, ReturnType<StateStore['getUser']>>;

function readUserAhead(rt: Pick<WebhookServices, 'state'>, ahead: UserReadsAhead, hash: string, userId: string) {
  const read = rt.state.getUser(userId);
  // A read that fails for a replay is never awaited; enqueue, when it runs, awaits it and sees the failure.
  read.catch(() => undefined);
  ahead.set(hash, read);
}

/** The messages of a notification for a user this deployment syncs; nothing for anyone else. */
function enqueueFor(rt: Pick<WebhookServices, 'state' | 'queue'>, ahead: UserReadsAhead) {
  return async (hash: string, plan: NotificationSyncPlan): Promise<void> => {
    logger.appendKeys({ userId: plan.userId, stream: plan.streams.join(',') });
    const user = await (ahead.get(hash) ?? rt.state.getUser(plan.userId));
    if (!user?.enabled) {
      logger.warn('notification for a user this deployment does not sync');
      return;
    }
    const sent = await rt.queue.send(planWebhookMessages(plan, hash));
    countMetric(METRIC.syncMessagesSent, sent);
  };
}

/**
 * The notification records, built on the first signed notification: Powertools idempotency and its DynamoDB
 * persistence layer (with the DynamoDB client) are loaded then, not at cold start, and kept for the container.
 */
function notificationsOnFirstUse(rt: WebhookServices, ahead: UserReadsAhead): () => Promise<NotificationOnce> {
  return onFirstUse(async () => {
    const [{ NotificationOnce }, client] = await Promise.all([import('../stores/notification-once.ts'), rt.dynamodb()]);
    return new NotificationOnce({ client, tableName: rt.config.stateTable, enqueue: enqueueFor(rt, ahead) });
  });
}

export function createWebhookHandler(rt: WebhookServices) {
  const ahead: UserReadsAhead = new Map();
  const notifications = notificationsOnFirstUse(rt, ahead);
  return middy<LambdaFunctionURLEvent, APIGatewayProxyStructuredResultV2>()
    .use(tracingMiddlewares(rt.tracing))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
      if (event.requestContext?.http?.method !== 'POST') return { statusCode: 405, headers: { allow: 'POST' } };
      const rawBody = rawBodyOf(event);
      const hash = notificationHash(rawBody);
      const result = await handleWebhookRequest(
        { rawBody, headers: event.headers ?? {} },
        {
          publicKeyPem: rt.config.huamiPublicKey,
          queueOnce: async (h, plan) => {
            readUserAhead(rt, ahead, h, plan.userId);
            try {
              return await (await notifications()).queueOnce(h, plan, context);
            } finally {
              ahead.delete(h);
            }
          },
          keepMalformed: async (body) => {
            countMetric(METRIC.webhookMalformed);
            await rt.store.put(`${WEBHOOK_REJECTS_PREFIX}${hash}.json`, body, { contentType: 'application/json' });
          },
          countSignatureFailure: () => countMetric(METRIC.webhookSignatureRejected),
        },
      );
      const level = result.statusCode === 204 ? 'info' : result.statusCode >= 500 ? 'error' : 'warn';
      logger[level]('webhook answered', {
        statusCode: result.statusCode,
        outcome: result.reason ?? 'queued',
        hash,
        ...(result.error !== undefined ? { error: errorText(result.error) } : {}),
      });
      if (result.statusCode === 204) return { statusCode: 204 };
      return {
        statusCode: result.statusCode,
        headers: {
          'content-type': 'application/json',
          ...(result.statusCode === 503 ? { 'retry-after': '30' } : {}),
        },
        body: JSON.stringify({ message: result.reason ?? 'error' }),
      };
    });
}

export const handler = createWebhookHandler(webhookServices(await lambdaWiring()));
