// What becomes of a sync-queue message once it has run (or failed to): the sync worker's retry policy, pure, so
// it is tested alone (test/engine/retry-policy.test.ts) and the handler only wires and carries it out.
//
// - synced, nothing transient went wrong              -> done (deleted by Lambda)
// - the user's token could not be refreshed           -> done: the ledger says auth_failed, AuthFailed is counted,
//                                                         a person must log in again; retrying cannot help
// - the user is gone or disabled, or has no such stream -> done (skipped)
// - another worker holds the user's lease             -> retry, visible again in 30 s, 60 s, ...
// - a vendor call failed after its retries, or AWS    -> retry with an exponential backoff; what landed stays
//   failed (a conditional write lost too often...)       landed, the retry fetches the rest
// - not a sync message at all                         -> poison: a batch item failure without a shorter delay;
//                                                         after maxReceiveCount SQS moves it to the dead-letter queue

import { LeaseHeldError, MalformedPayloadError, redact } from '../core/errors.ts';
import { type RetryKind, retryDelaySeconds } from '../core/sync-message.ts';
import type { SyncMessageOutcome } from './run-sync-message.ts';

/** The message will never parse; SQS's redrive policy takes it to the dead-letter queue. */
export class PoisonMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonMessageError';
  }
}

/** The step ran, but vendor calls failed after their retries: the message goes back for another try. */
export class TransientSyncError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientSyncError';
  }
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  data?: Record<string, unknown>;
}

export type MessageDecision =
  /** The message is finished with; `authFailed`: count it, a person must log in again. */
  | { action: 'done'; log: LogLine; authFailed?: boolean }
  /** Hand the message back, invisible for `delaySeconds`, and fail its batch item with `error`. */
  | { action: 'retry'; kind: RetryKind; delaySeconds: number; log: LogLine; error: unknown }
  /** Fail its batch item with `error` and leave the delay to the queue: it goes to the dead-letter queue. */
  | { action: 'poison'; log: LogLine; error: PoisonMessageError };

/** The lease outlives the invocation by a minute: a worker killed by its timeout frees the user soon after. */
const LEASE_MARGIN_MS = 60_000;
/** When the invocation's remaining time is unknown (a local run). */
const DEFAULT_LEASE_TTL_MS = 6 * 60_000;

export function errorText(err: unknown): string {
  return redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 500);
}

/** How long a message's run holds the user's lease, given the invocation's remaining time (0 when unknown). */
export function leaseTtlFor(remainingMs: number): number {
  return remainingMs > 0 ? remainingMs + LEASE_MARGIN_MS : DEFAULT_LEASE_TTL_MS;
}

/** A message whose body did not parse. */
export function decidePoison(err: unknown, messageId: string): MessageDecision {
  const why = err instanceof MalformedPayloadError ? err.message : errorText(err);
  return {
    action: 'poison',
    log: { level: 'error', message: 'poison sync message', data: { error: why } },
    error: new PoisonMessageError(`message ${messageId} is not a sync message: ${why}`, { cause: err }),
  };
}

/** What a run's outcome means for its message; `receiveCount` is the delivery's ApproximateReceiveCount. */
export function decideOutcome(outcome: SyncMessageOutcome, userId: string, receiveCount: number): MessageDecision {
  if (outcome.status === 'skipped')
    return { action: 'done', log: { level: 'warn', message: 'sync message skipped', data: { why: outcome.reason } } };
  if (outcome.status === 'no-tokens') {
    const log: LogLine = {
      level: 'error',
      message: 'no tokens for the user: log in again',
      data: { why: outcome.reason },
    };
    return { action: 'done', log, authFailed: true };
  }
  const { report } = outcome;
  const summary = {
    streams: outcome.streams.join(','),
    rows: Object.values(report.streams).reduce((n, s) => n + (s?.rowsWritten ?? 0), 0),
    errors: report.errors.slice(0, 5),
    wrongRegionSuspected: report.wrongRegionSuspected,
  };
  if (report.authFailed) {
    const message = 'the token could not be refreshed: the user is auth_failed until they log in again';
    return { action: 'done', log: { level: 'error', message, data: summary } };
  }
  if (outcome.transientFailures === 0)
    return { action: 'done', log: { level: 'info', message: 'sync step done', data: summary } };
  const { transientFailures } = outcome;
  return {
    action: 'retry',
    kind: 'transient',
    delaySeconds: retryDelaySeconds('transient', receiveCount),
    log: {
      level: 'warn',
      message: 'sync step incomplete: vendor calls failed, retrying later',
      data: { ...summary, transientFailures },
    },
    error: new TransientSyncError(`${transientFailures} vendor call(s) failed after their retries for user ${userId}`),
  };
}

/** What a run that threw means for its message: always another try, sooner when only the lease was held. */
export function decideFailure(err: unknown, receiveCount: number): MessageDecision {
  if (err instanceof LeaseHeldError) {
    return {
      action: 'retry',
      kind: 'lease-held',
      delaySeconds: retryDelaySeconds('lease-held', receiveCount),
      log: { level: 'info', message: 'user is being synced by another worker: retrying later' },
      error: err,
    };
  }
  return {
    action: 'retry',
    kind: 'transient',
    delaySeconds: retryDelaySeconds('transient', receiveCount),
    log: { level: 'error', message: 'sync step failed: retrying later', data: { error: errorText(err) } },
    error: err,
  };
}
