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
// 3. The body hash is recorded (`recordNotification` is an atomic insert-if-absent); a hash seen before is
//    a replay or a redelivery (at-least-once): 204 without a second sync.
// 4. A new notification is enqueued and answered 204. Huami waits at most 2 s, so only cheap work happens
//    here; the sync itself runs later from the queue.
// A failure of a dependency answers 500 so that Huami redelivers. When the enqueue fails after the hash was
// recorded, `forgetNotification` (optional) removes the hash, so the redelivery is not taken for a replay.

import { MalformedPayloadError } from './errors.ts';
import {
  type NotificationSyncPlan,
  notificationHash,
  parseNotification,
  planNotificationSync,
  verifyHuamiSignature,
} from './webhook.ts';

export interface WebhookRequest {
  rawBody: Uint8Array;
  /** header names in any case */
  headers: Record<string, string | undefined>;
}

export interface WebhookDeps {
  publicKeyPem: string;
  /** true when the hash is new (and is now recorded); false for a replay */
  recordNotification(hash: string): Promise<boolean>;
  enqueueSync(plan: NotificationSyncPlan): Promise<void>;
  keepMalformed(rawBody: Uint8Array, reason: string): Promise<void>;
  countSignatureFailure(): void;
  /** undo recordNotification when the enqueue failed, so the vendor's redelivery is processed */
  forgetNotification?(hash: string): Promise<void>;
}

export interface WebhookResult {
  statusCode: 204 | 400 | 401 | 413 | 500;
  /** short, never contains the signature or the body */
  reason?: string;
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

  const hash = notificationHash(req.rawBody);
  let isNew: boolean;
  try {
    isNew = await deps.recordNotification(hash);
  } catch {
    return { statusCode: 500, reason: 'could not record the notification' };
  }
  if (!isNew) return { statusCode: 204, reason: 'replay' };

  const plan = planNotificationSync(notification);
  if (plan.streams.length === 0) return { statusCode: 204, reason: `no data to sync for ${notification.eventType}` };
  try {
    await deps.enqueueSync(plan);
  } catch {
    try {
      await deps.forgetNotification?.(hash);
    } catch {
      // the redelivery will be taken for a replay; the scheduled sync still covers the window later
    }
    return { statusCode: 500, reason: 'could not enqueue the sync' };
  }
  return { statusCode: 204 };
}
