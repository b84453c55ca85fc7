// The sync worker: one sync step per queue message, under the user's lease, with partial batch responses.
// SQS batch --> (core) parseSyncMessage --> (engine) runSyncMessage --> lake + state (+ refreshed tokens)
//
// What happens to a message:
// - synced, nothing transient went wrong              -> done (deleted by Lambda)
// - the user's token could not be refreshed           -> done: the ledger says auth_failed, AuthFailed is counted,
//                                                         a person must log in again; retrying cannot help
// - another worker holds the user's lease             -> batch item failure, visible again in 30 s, 60 s, ...
// - a vendor call failed after its retries, or AWS    -> batch item failure with an exponential backoff; what
//   failed (a conditional write lost too often...)       landed stays landed, the retry fetches the rest
// - not a sync message at all                         -> batch item failure; after the queue's maxReceiveCount
//                                                         SQS moves it to the dead-letter queue
// Records of one batch run one after the other: two messages of the same user in one batch then both run,
// each under its own lease, instead of one of them bouncing.

import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { LeaseHeldError, MalformedPayloadError, redact } from '../core/errors.ts';
import { parseSyncMessage, type RetryKind, retryDelaySeconds, type SyncMessage } from '../core/sync-message.ts';
import { runSyncMessage } from '../engine/run-sync-message.ts';
import { type LambdaRuntime, lambdaRuntime } from '../runtime/aws-parquet.ts';
import { engineLog, logger } from '../runtime/logger.ts';
import { countMetric, METRIC, metrics, recordSyncReport } from '../runtime/metrics.ts';
import type { HttpOptions } from '../sources/http.ts';
import { openSource } from '../sources/registry.ts';
import { SYNC_ID_ATTRIBUTE } from '../stores/sqs-queue.ts';

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

export interface SyncWorkerOptions {
  /** Vendor HTTP behaviour (retries, timeouts); the adapters' defaults otherwise. */
  http?: HttpOptions;
}

/** The lease outlives the invocation by a minute: a worker killed by its timeout frees the user soon after. */
const LEASE_MARGIN_MS = 60_000;
const DEFAULT_LEASE_TTL_MS = 6 * 60_000;

function errorText(err: unknown): string {
  return redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 500);
}

export function createSyncWorkerHandler(rt: LambdaRuntime, options: SyncWorkerOptions = {}) {
  const retryLater = async (record: SQSRecord, kind: RetryKind, receiveCount: number): Promise<void> => {
    const delay = retryDelaySeconds(kind, receiveCount);
    try {
      await rt.queue.retryLater(record.receiptHandle, delay);
    } catch (err) {
      // Not fatal: the message still comes back, after the queue's own visibility timeout.
      logger.warn('could not shorten the retry delay', { error: errorText(err) });
    }
  };

  const runRecord = async (record: SQSRecord, context: Context): Promise<void> => {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
    const syncId = record.messageAttributes?.[SYNC_ID_ATTRIBUTE]?.stringValue ?? record.messageId;
    logger.appendKeys({ syncId, messageId: record.messageId, receiveCount });
    let message: SyncMessage;
    try {
      message = parseSyncMessage(record.body);
    } catch (err) {
      const why = err instanceof MalformedPayloadError ? err.message : errorText(err);
      logger.error('poison sync message', { error: why });
      throw new PoisonMessageError(`message ${record.messageId} is not a sync message: ${why}`, { cause: err });
    }
    logger.appendKeys({ userId: message.userId, stream: message.streams.join(','), reason: message.reason });

    let apiCalls = 0;
    let apiRetries = 0;
    const baseFetch = options.http?.fetch ?? fetch;
    const http: HttpOptions = {
      ...options.http,
      fetch: (input, init) => {
        apiCalls++;
        return baseFetch(input, init);
      },
      onRetry: (info) => {
        apiRetries++;
        options.http?.onRetry?.(info);
      },
    };
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 0;
    const leaseTtlMs = remaining > 0 ? remaining + LEASE_MARGIN_MS : DEFAULT_LEASE_TTL_MS;
    try {
      const outcome = await runSyncMessage(
        {
          store: rt.store,
          state: rt.state,
          tokens: rt.tokens,
          codec: rt.codec,
          clock: rt.clock,
          lagDays: rt.config.lagDays,
          openSource,
          http,
          leaseTtlMs,
          log: engineLog,
        },
        message,
        { leaseOwner: `sync-worker/${context?.awsRequestId ?? 'local'}/${record.messageId}` },
      );
      switch (outcome.status) {
        case 'skipped':
          logger.warn('sync message skipped', { why: outcome.reason });
          return;
        case 'no-tokens':
          countMetric(METRIC.authFailed);
          logger.error('no tokens for the user: log in again', { why: outcome.reason });
          return;
        case 'synced': {
          const { report } = outcome;
          recordSyncReport(report);
          const summary = {
            streams: outcome.streams.join(','),
            rows: Object.values(report.streams).reduce((n, s) => n + (s?.rowsWritten ?? 0), 0),
            errors: report.errors.slice(0, 5),
            wrongRegionSuspected: report.wrongRegionSuspected,
          };
          if (report.authFailed) {
            logger.error('the token could not be refreshed: the user is auth_failed until they log in again', summary);
            return;
          }
          if (outcome.transientFailures > 0) {
            logger.warn('sync step incomplete: vendor calls failed, retrying later', {
              ...summary,
              transientFailures: outcome.transientFailures,
            });
            throw new TransientSyncError(
              `${outcome.transientFailures} vendor call(s) failed after their retries for user ${message.userId}`,
            );
          }
          logger.info('sync step done', summary);
          return;
        }
      }
    } catch (err) {
      if (err instanceof TransientSyncError) {
        countMetric(METRIC.syncDeferred);
        await retryLater(record, 'transient', receiveCount);
      } else if (err instanceof LeaseHeldError) {
        countMetric(METRIC.syncDeferred);
        logger.info('user is being synced by another worker: retrying later');
        await retryLater(record, 'lease-held', receiveCount);
      } else {
        countMetric(METRIC.syncDeferred);
        logger.error('sync step failed: retrying later', { error: errorText(err) });
        await retryLater(record, 'transient', receiveCount);
      }
      throw err;
    } finally {
      countMetric(METRIC.apiCalls, apiCalls);
      if (apiRetries > 0) countMetric(METRIC.apiRetries, apiRetries);
      logger.removeKeys(['syncId', 'messageId', 'receiveCount', 'userId', 'stream', 'reason']);
    }
  };

  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event, context) => {
      // One processor per invocation: it keeps per-batch state, and a warm environment may overlap in tests.
      const processor = new BatchProcessor(EventType.SQS);
      return processPartialResponse(event, (record: SQSRecord) => runRecord(record, context), processor, {
        context,
        processInParallel: false,
        throwOnFullBatchFailure: false,
      });
    });
}

export const handler = createSyncWorkerHandler(lambdaRuntime());
