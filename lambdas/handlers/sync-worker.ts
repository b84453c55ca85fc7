// The sync worker: one sync step per queue message, under the user's lease, with partial batch responses.
// SQS batch --> (core) parseSyncMessage --> (engine) runSyncMessage --> lake + state (+ refreshed tokens)
//
// What becomes of a message (done, retried after a backoff, or left to the dead-letter queue) is decided by the
// engine's retry policy (engine/retry-policy.ts); this handler wires the runtime, runs the message and carries the
// decision out.
// Records of one batch run one after the other: two messages of the same user in one batch then both run,
// each under its own lease, instead of one of them bouncing.

import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseSyncMessage, SYNC_ID_ATTRIBUTE, type SyncMessage } from '../core/sync-message.ts';
import {
  decideFailure,
  decideOutcome,
  decidePoison,
  errorText,
  type LogLine,
  leaseTtlFor,
  type MessageDecision,
} from '../engine/retry-policy.ts';
import { runSyncMessage } from '../engine/run-sync-message.ts';
import { lambdaWiring } from '../runtime/aws.ts';
import { type LambdaRuntime, syncWorkerRuntime } from '../runtime/aws-parquet.ts';
import { engineLog, logger } from '../runtime/logger.ts';
import { countMetric, METRIC, metrics, recordSyncReport } from '../runtime/metrics.ts';
import { tracingMiddlewares } from '../runtime/tracing.ts';
import type { HttpOptions } from '../sources/http.ts';
import { openSource } from '../sources/registry.ts';

export { PoisonMessageError, TransientSyncError } from '../engine/retry-policy.ts';

export interface SyncWorkerOptions {
  /** Vendor HTTP behaviour (retries, timeouts); the adapters' defaults otherwise. */
  http?: HttpOptions;
}

const LOG_KEYS = ['syncId', 'messageId', 'receiveCount', 'userId', 'stream', 'reason'];

function writeLog(line: LogLine): void {
  if (line.data) logger[line.level](line.message, line.data);
  else logger[line.level](line.message);
}

/** The vendor HTTP options, counting the calls and retries of one message for the metrics. */
function countingHttp(base: HttpOptions | undefined): {
  http: HttpOptions;
  calls: () => number;
  retries: () => number;
} {
  let calls = 0;
  let retries = 0;
  const baseFetch = base?.fetch ?? fetch;
  const http: HttpOptions = {
    ...base,
    fetch: (input, init) => {
      calls++;
      return baseFetch(input, init);
    },
    onRetry: (info) => {
      retries++;
      base?.onRetry?.(info);
    },
  };
  return { http, calls: () => calls, retries: () => retries };
}

/** Carries out a decision: log it, count it, and for a retry shorten the delay; anything but done fails the item. */
async function carryOut(rt: LambdaRuntime, decision: MessageDecision, record: SQSRecord): Promise<void> {
  writeLog(decision.log);
  if (decision.action === 'done') {
    if (decision.authFailed) countMetric(METRIC.authFailed);
    return;
  }
  if (decision.action === 'retry') {
    countMetric(METRIC.syncDeferred);
    try {
      await rt.queue.retryLater(record.receiptHandle, decision.delaySeconds);
    } catch (err) {
      // Not fatal: the message still comes back, after the queue's own visibility timeout.
      logger.warn('could not shorten the retry delay', { error: errorText(err) });
    }
  }
  throw decision.error;
}

/** One delivery of one message, as the batch processor hands it over. */
interface Delivery {
  record: SQSRecord;
  context: Context;
  receiveCount: number;
}

/** Parses and runs one message under the user's lease and says what becomes of it. */
async function decide(rt: LambdaRuntime, options: SyncWorkerOptions, d: Delivery): Promise<MessageDecision> {
  const { record, context } = d;
  let message: SyncMessage;
  try {
    message = parseSyncMessage(record.body);
  } catch (err) {
    return decidePoison(err, record.messageId);
  }
  logger.appendKeys({ userId: message.userId, stream: message.streams.join(','), reason: message.reason });
  const counting = countingHttp(options.http);
  const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 0;
  try {
    const outcome = await runSyncMessage(
      {
        store: rt.store,
        state: rt.state,
        tokens: rt.tokens,
        codec: rt.codec,
        clock: rt.clock,
        lagDays: rt.config.lagDays,
        http: counting.http,
        leaseTtlMs: leaseTtlFor(remaining),
        log: engineLog,
        // Users whose stored tokens carry no client secret use the function's (HUAMI_CLIENT_SECRET).
        openSource: (userId, tokens, store, opts) =>
          openSource(userId, tokens, store, { ...opts, clientSecret: rt.config.huamiClientSecret }),
      },
      message,
      { leaseOwner: `sync-worker/${context?.awsRequestId ?? 'local'}/${record.messageId}` },
    );
    if (outcome.status === 'synced') recordSyncReport(outcome.report);
    return decideOutcome(outcome, message.userId, d.receiveCount);
  } catch (err) {
    return decideFailure(err, d.receiveCount);
  } finally {
    countMetric(METRIC.apiCalls, counting.calls());
    if (counting.retries() > 0) countMetric(METRIC.apiRetries, counting.retries());
  }
}

export function createSyncWorkerHandler(rt: LambdaRuntime, options: SyncWorkerOptions = {}) {
  const runRecord = async (record: SQSRecord, context: Context): Promise<void> => {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
    const syncId = record.messageAttributes?.[SYNC_ID_ATTRIBUTE]?.stringValue ?? record.messageId;
    logger.appendKeys({ syncId, messageId: record.messageId, receiveCount });
    try {
      await carryOut(rt, await decide(rt, options, { record, context, receiveCount }), record);
    } finally {
      logger.removeKeys(LOG_KEYS);
    }
  };

  return middy<SQSEvent, SQSBatchResponse>()
    .use(tracingMiddlewares(rt.tracing))
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

export const handler = createSyncWorkerHandler(syncWorkerRuntime(await lambdaWiring()));
