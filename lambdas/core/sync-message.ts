// The sync queue's message: what the dispatcher and the webhook send and the sync worker runs. Pure (node:crypto
// only, for the ids).
//
// Public API
//   STREAM_GROUPS, streamGroupsOf(streams)          band | workouts | events (stress, spo2, pai, readiness)
//   planScheduledMessages(users, slot)             one message per (user, stream group), ids included
//   planWebhookMessages(plan, notificationHash)    the groups a notification touches, for its window
//   syncMessageId(message, slot)                    deterministic id (sha256 hex)
//   parseSyncMessage(body)                          MalformedPayloadError naming the field
//   retryDelaySeconds(kind, receiveCount)           backoff for a message handed back to the queue
//
// One message per stream group, not per user: a slow workout back-fill does not hold up the band data of the
// same user for longer than its lease, and a failed group is retried alone.
//
// Ids: standard SQS does not de-duplicate, so the id does not stop a second delivery. It names the unit of work
// the same way each time (sha256 of user, streams, window, reason and the schedule slot or notification hash):
// a dispatcher retried by the scheduler sends the same ids, the logs of both copies carry the same `syncId`, and
// the engine's idempotent writes make the second copy a cheap re-check. The id travels as the batch entry `Id`
// and as the message attribute `syncId`.

import { createHash } from 'node:crypto';
import { MalformedPayloadError } from './errors.ts';
import type { NotificationSyncPlan } from './notification.ts';
import { STREAMS, type StreamName, type UserRecord } from './ports.ts';
import { STREAM_GROUPS, type StreamGroup } from './streams.ts';
import { isValidUserId } from './user-id.ts';

export type SyncReason = 'schedule' | 'webhook' | 'manual';

export interface SyncMessage {
  userId: string;
  streams: StreamName[];
  /** YYYY-MM-DD, inclusive; absent: resume from the cursor. */
  from?: string;
  to?: string;
  reason: SyncReason;
}

/**
 * The SQS message attribute that carries a planned message's id (its `syncId`), so the worker logs and counts the
 * same id the planner gave it, whatever id SQS assigns.
 */
export const SYNC_ID_ATTRIBUTE = 'syncId';

export interface PlannedMessage {
  id: string;
  message: SyncMessage;
}

export { STREAM_GROUPS, type StreamGroup };
const GROUP_NAMES = Object.keys(STREAM_GROUPS) as StreamGroup[];

/** The given streams split by group, in group order; groups without any of them are left out. */
export function streamGroupsOf(streams: readonly StreamName[]): StreamName[][] {
  const out: StreamName[][] = [];
  for (const g of GROUP_NAMES) {
    const inGroup = (STREAM_GROUPS[g] as readonly StreamName[]).filter((s) => streams.includes(s));
    if (inGroup.length > 0) out.push(inGroup);
  }
  return out;
}

export function syncMessageId(message: SyncMessage, slot: string): string {
  const streams = [...message.streams].sort();
  const key = JSON.stringify([message.userId, streams, message.from ?? null, message.to ?? null, message.reason, slot]);
  return createHash('sha256').update(key).digest('hex');
}

/**
 * The scheduled sync: every enabled user, one message per stream group, resuming from the cursors.
 * `slot` names the schedule run (its scheduled time), so a retried run plans the same ids.
 */
export function planScheduledMessages(users: readonly UserRecord[], slot: string): PlannedMessage[] {
  const out: PlannedMessage[] = [];
  for (const u of [...users].sort((a, b) => a.userId.localeCompare(b.userId))) {
    if (!u.enabled) continue;
    for (const g of GROUP_NAMES) {
      const message: SyncMessage = { userId: u.userId, streams: [...STREAM_GROUPS[g]], reason: 'schedule' };
      out.push({ id: syncMessageId(message, slot), message });
    }
  }
  return out;
}

/** A webhook notification: the touched groups, for the notification's window. */
export function planWebhookMessages(plan: NotificationSyncPlan, notificationHash: string): PlannedMessage[] {
  return streamGroupsOf(plan.streams).map((streams) => {
    const message: SyncMessage = { userId: plan.userId, streams, from: plan.from, to: plan.to, reason: 'webhook' };
    return { id: syncMessageId(message, notificationHash), message };
  });
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const REASONS: readonly SyncReason[] = ['schedule', 'webhook', 'manual'];

export function parseSyncMessage(body: string): SyncMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new MalformedPayloadError('body', 'not valid JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new MalformedPayloadError('body', 'expected a JSON object');
  const o = value as Record<string, unknown>;
  if (!isValidUserId(o.userId)) throw new MalformedPayloadError('userId', 'missing or not a user id');
  if (!Array.isArray(o.streams) || o.streams.length === 0)
    throw new MalformedPayloadError('streams', 'expected a non-empty list of streams');
  for (const s of o.streams) {
    if (!(STREAMS as readonly unknown[]).includes(s))
      throw new MalformedPayloadError(
        'streams',
        `unknown stream ${JSON.stringify(s).slice(0, 40)}; known: ${STREAMS.join(', ')}`,
      );
  }
  for (const f of ['from', 'to'] as const) {
    if (o[f] !== undefined && (typeof o[f] !== 'string' || !DATE.test(o[f] as string)))
      throw new MalformedPayloadError(f, 'expected YYYY-MM-DD');
  }
  if (o.from !== undefined && o.to !== undefined && (o.from as string) > (o.to as string))
    throw new MalformedPayloadError('from', 'after to');
  if (!REASONS.includes(o.reason as SyncReason))
    throw new MalformedPayloadError('reason', `expected one of ${REASONS.join(', ')}`);
  return {
    userId: o.userId,
    streams: [...new Set(o.streams as StreamName[])],
    ...(o.from !== undefined ? { from: o.from as string } : {}),
    ...(o.to !== undefined ? { to: o.to as string } : {}),
    reason: o.reason as SyncReason,
  };
}

export type RetryKind = 'lease-held' | 'transient';

/**
 * How long a message handed back to the queue stays invisible before the next try. A held lease clears when the
 * other worker finishes (minutes); a vendor or AWS hiccup gets an exponential backoff. Capped well below the
 * queue's visibility timeout, which would otherwise apply (six times the worker's timeout).
 */
export function retryDelaySeconds(kind: RetryKind, receiveCount: number): number {
  const n = Math.max(1, Math.floor(receiveCount));
  const base = kind === 'lease-held' ? 30 : 60;
  return Math.min(base * 2 ** (n - 1), 15 * 60);
}
