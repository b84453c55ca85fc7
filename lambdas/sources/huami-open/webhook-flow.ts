// What the webhook does with one request, with every side effect passed in, so the Lambda handler
// (`lambdas/handlers/webhook.ts`) and the tests run the same code.
//
// Public API
//   handleWebhookRequest(req, deps): Promise<WebhookResult>
//
// Order matters:
// 0. A body over MAX_NOTIFICATION_BYTES is answered 413 unread: a notification is a few hundred bytes, and
//    neither the signature check nor the reject archive should spend time or storage on megabytes.
// 1. The signature is checked over the exact raw bytes BEFORE anything is parsed: an unsigned or tampered
//    body is never read (401, `countSignatureFailure()`).
// 2. A correctly signed body that is not a valid notification is kept for inspection (`keepMalformed`) and
//    answered 400: Huami's retries of it would fail the same way.
// 3. The notification is queued at most once (`queueOnce`, Powertools idempotency in the handler): the body hash
//    is recorded as in progress, the sync messages are sent, and only then is the record marked completed. A
//    hash already completed is a replay or a redelivery (at-least-once): 204 without a second sync.
// 4. Huami waits at most 2 s, so only cheap work happens here; the sync itself runs later from the queue.
// Nothing counts as handled before its messages are in SQS: when the enqueue fails, `queueOnce` drops the record
// and the answer is 500, so the vendor's redelivery is processed. A delivery that arrives while another copy is
// still in progress is answered 503 (retry later), never 204: if the first copy dies, the in-progress record
// expires with its invocation and a later redelivery is processed.

import { MalformedPayloadError } from '../../core/errors.ts';
import {
  NotificationInProgressError,
  type NotificationSyncPlan,
  type QueueOnceOutcome,
} from '../../core/notification.ts';
import { notificationHash, parseNotification, planNotificationSync, verifyHuamiSignature } from './webhook.ts';

export interface WebhookRequest {
  rawBody: Uint8Array;
  /** header names in any case */
  headers: Record<string, string | undefined>;
}

export interface WebhookDeps {
  publicKeyPem: string;
  /**
   * Queues the plan's sync messages unless this notification (by body hash) was handled before: 'replay'. Throws
   * NotificationInProgressError while another delivery of it is in progress, and any other error when the
   * messages could not be queued (then nothing is recorded as handled).
   */
  queueOnce(hash: string, plan: NotificationSyncPlan): Promise<QueueOnceOutcome>;
  keepMalformed(rawBody: Uint8Array, reason: string): Promise<void>;
  countSignatureFailure(): void;
}

export interface WebhookResult {
  statusCode: 204 | 400 | 401 | 413 | 500 | 503;
  /** short, never contains the signature or the body */
  reason?: string;
  /** the dependency failure behind a 5xx, for the log (the handler redacts it) */
  error?: unknown;
}

export const SIGNATURE_HEADER = 'huami-signature';
/** Huami's notifications are a few hundred bytes; 64 KiB leaves room for any `data` they may grow. */
export const MAX_NOTIFICATION_BYTES = 64 * 1024;

function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

export async function handleWebhookRequest(req: WebhookRequest, deps: WebhookDeps): Promise<WebhookResult> {
  if (req.rawBody.byteLength > MAX_NOTIFICATION_BYTES) {
    return { statusCode: 413, reason: `body is ${req.rawBody.byteLength} bytes; at most ${MAX_NOTIFICATION_BYTES}` };
  }
  const signature = header(req.headers, SIGNATURE_HEADER);
  if (!verifyHuamiSignature(req.rawBody, signature, deps.publicKeyPem)) {
    deps.countSignatureFailure();
    return { statusCode: 401, reason: signature ? 'signature does not verify' : 'missing Huami-Signature' };
  }

  let notification: ReturnType<typeof parseNotification>;
  try {
    notification = parseNotification(req.rawBody);
  } catch (err) {
    const reason = err instanceof MalformedPayloadError ? err.message : 'unreadable notification';
    try {
      await deps.keepMalformed(req.rawBody, reason);
    } catch {
      return { statusCode: 500, reason: 'could not keep a malformed notification' };
    }
    return { statusCode: 400, reason };
  }

  const plan = planNotificationSync(notification);
  if (plan.streams.length === 0) return { statusCode: 204, reason: `no data to sync for ${notification.eventType}` };
  try {
    const outcome = await deps.queueOnce(notificationHash(req.rawBody), plan);
    return outcome === 'replay' ? { statusCode: 204, reason: 'replay' } : { statusCode: 204 };
  } catch (err) {
    if (err instanceof NotificationInProgressError) {
      return { statusCode: 503, reason: 'this notification is being handled by another delivery; retry later' };
    }
    return { statusCode: 500, reason: 'could not queue the sync', error: err };
  }
}
