// The AWS path's moving parts, driven the way AWS drives them: the real handlers (dispatcher, sync worker, webhook,
// token refresher, replay) invoked with real event shapes, and the SQS event source mapping played against the
// queue on fauxqs (receive a batch, invoke, delete what succeeded, hand back the batch item failures).

import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2, Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseSyncMessage, type SyncMessage } from '../../lambdas/core/sync-message.ts';
import type { ReplayEvent, ReplayResult } from '../../lambdas/handlers/replay.ts';
import type { TokenRefreshSummary } from '../../lambdas/handlers/token-refresher.ts';
import { SqsSyncQueue } from '../../lambdas/stores/sqs-queue.ts';
import { functionUrlEvent } from '../../test/support/function-url-event.ts';
import { sqsRecordOf } from '../../test/support/sqs-records.ts';
import { CHAOS_HTTP } from '../harness.ts';
import type { AwsSide, World } from './world.ts';

type Handlers = {
  dispatcher: typeof import('../../lambdas/handlers/dispatcher.ts');
  syncWorker: typeof import('../../lambdas/handlers/sync-worker.ts');
  webhook: typeof import('../../lambdas/handlers/webhook.ts');
  refresher: typeof import('../../lambdas/handlers/token-refresher.ts');
  replay: typeof import('../../lambdas/handlers/replay.ts');
};
let modules: Promise<Handlers> | undefined;

/**
 * The handler modules, imported once. Each builds its deployed `handler` at import from the function environment:
 * placeholders are set where none is (only the factories are used, with the history's runtime), and the JSON log
 * and metric lines are switched off so they do not run over the runner's table.
 */
function handlers(): Promise<Handlers> {
  modules ??= (async () => {
    process.env.LAKE_BUCKET ??= 'history-placeholder';
    process.env.STATE_TABLE ??= 'history-placeholder';
    process.env.QUEUE_URL ??= 'http://127.0.0.1:1/000000000000/history-placeholder';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    const [dispatcher, syncWorker, webhook, refresher, replay] = await Promise.all([
      import('../../lambdas/handlers/dispatcher.ts'),
      import('../../lambdas/handlers/sync-worker.ts'),
      import('../../lambdas/handlers/webhook.ts'),
      import('../../lambdas/handlers/token-refresher.ts'),
      import('../../lambdas/handlers/replay.ts'),
    ]);
    return { dispatcher, syncWorker, webhook, refresher, replay };
  })();
  return modules;
}

/** The Lambda context of one invocation: a fresh request id (a fresh lease owner) and its remaining time. */
export function lambdaContext(functionName: string, remainingMs = 120_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'history',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function awsOf(w: World): AwsSide {
  if (!w.aws) throw new Error('this history runs in local mode: no AWS side');
  return w.aws;
}

// ---------------------------------------------------------------- the queue and the worker

export interface DrainResult {
  invocations: number;
  /** Batch item failures: deliveries handed back (lease held by another worker, a failed step). */
  failures: number;
  /** The messages a worker finished (deleted from the queue), in the order they finished. */
  completed: SyncMessage[];
}

async function queueDepth(aws: AwsSide): Promise<number> {
  const out = await aws.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: aws.queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** After an invocation: successes deleted; failures visible again at once (their shortened visibility passing). */
async function settle(aws: AwsSide, records: readonly SQSRecord[], response: SQSBatchResponse | undefined) {
  const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  for (const r of records) {
    if (failed.has(r.messageId))
      await aws.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: aws.queueUrl,
          ReceiptHandle: r.receiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    else await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: aws.queueUrl, ReceiptHandle: r.receiptHandle }));
  }
}

/** `pollers` event source pollers run the sync worker on batches of `batchSize` until the queue is empty. */
export async function drainQueue(w: World, opts: { pollers: number; batchSize: number }): Promise<DrainResult> {
  const aws = awsOf(w);
  const { syncWorker } = await handlers();
  const worker = syncWorker.createSyncWorkerHandler(aws.lambda, { http: CHAOS_HTTP });
  const result: DrainResult = { invocations: 0, failures: 0, completed: [] };
  const limit = 120;
  const poller = async (): Promise<void> => {
    for (;;) {
      if (result.invocations >= limit) throw new Error(`the queue was not drained after ${limit} worker invocations`);
      const out = await aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.queueUrl,
          MaxNumberOfMessages: opts.batchSize,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
          WaitTimeSeconds: 0,
        }),
      );
      const records = (out.Messages ?? []).map((m) => sqsRecordOf(m, aws.queueArn));
      if (records.length === 0) {
        if ((await queueDepth(aws)) === 0) return;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      result.invocations++;
      const event: SQSEvent = { Records: records };
      const response = (await worker(event, lambdaContext('sync-worker'))) as SQSBatchResponse | undefined;
      const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      result.failures += failed.size;
      for (const r of records) if (!failed.has(r.messageId)) result.completed.push(parseSyncMessage(r.body));
      await settle(aws, records, response);
      // A delivery handed back because the user's lease is held: let the holder go on before the next poll.
      if (failed.size > 0) await new Promise((r) => setTimeout(r, 100));
    }
  };
  await Promise.all(Array.from({ length: opts.pollers }, poller));
  return result;
}

/** The scheduler's invocation of the dispatcher for the slot of the world's clock. */
export async function dispatch(w: World): Promise<number> {
  const aws = awsOf(w);
  const { dispatcher } = await handlers();
  const run = dispatcher.createDispatcherHandler(aws.lambda);
  const event = { trigger: 'schedule', job: 'sync', scheduledTime: new Date(w.now()).toISOString() };
  const out = (await run(event, lambdaContext('dispatcher'))) as { messages: number };
  return out.messages;
}

// ---------------------------------------------------------------- the webhook

export type DeliveryKind = 'normal' | 'refused-by-sqs' | 'dies-before-enqueue';

/** A queue whose send never returns: the process died between recording the notification and queueing it. */
class DyingQueue extends SqsSyncQueue {
  private reached: () => void = () => undefined;
  /** Resolves when the handler tries to send: the notification is recorded in progress by then. */
  readonly sending = new Promise<void>((resolve) => {
    this.reached = resolve;
  });
  override send(): Promise<number> {
    this.reached();
    return new Promise<number>(() => undefined);
  }
}

/** How long a dying delivery's invocation had left: its in-progress record expires that long after it started. */
export const DYING_REMAINING_MS = 1_500;

/**
 * One delivery of a signed notification to the webhook Function URL. `refused-by-sqs`: the function's queue URL
 * names a queue SQS does not have, so every send fails. `dies-before-enqueue`: the invocation never answers (the
 * answer resolves to status 0 at once; the invocation stays abandoned, as a killed process's would).
 */
export async function deliver(w: World, body: string, kind: DeliveryKind): Promise<number> {
  const aws = awsOf(w);
  const sim = w.vendor.huami;
  if (!sim) throw new Error('webhook notifications need the huami-open simulator');
  const { webhook } = await handlers();
  const dying =
    kind === 'dies-before-enqueue' ? new DyingQueue({ client: aws.sqs, queueUrl: aws.queueUrl }) : undefined;
  const queue =
    kind === 'refused-by-sqs'
      ? new SqsSyncQueue({ client: aws.sqs, queueUrl: `${aws.queueUrl}-does-not-exist` })
      : (dying ?? aws.lambda.queue);
  const handler = webhook.createWebhookHandler({ ...aws.lambda, queue });
  const event = functionUrlEvent(body, { 'huami-signature': sim.signBody(body) });
  const context = lambdaContext('webhook', kind === 'dies-before-enqueue' ? DYING_REMAINING_MS : 10_000);
  const answer = (handler(event, context) as Promise<APIGatewayProxyStructuredResultV2>).then((a) => a.statusCode ?? 0);
  // A dying invocation is left hanging once it tries to send (no answer: 0); one that answers first (a user this
  // deployment does not hold, a replay) answers as usual.
  return dying ? Promise.race([answer, dying.sending.then(() => 0)]) : answer;
}

// ---------------------------------------------------------------- refresher and replay

/** The daily token refresher, told every token is due (so it renews while workers may be renewing too). */
export async function refreshTokens(w: World): Promise<TokenRefreshSummary> {
  const aws = awsOf(w);
  const { refresher } = await handlers();
  const run = refresher.createTokenRefresherHandler(aws.lambda, {
    http: CHAOS_HTTP,
    oauthMarginMs: 400 * 86_400_000,
    zeppMaxAgeMs: 0,
  });
  return (await run(
    { trigger: 'schedule', job: 'token-refresh' },
    lambdaContext('token-refresher'),
  )) as TokenRefreshSummary;
}

export async function invokeReplay(w: World, event: ReplayEvent): Promise<ReplayResult> {
  const aws = awsOf(w);
  const { replay } = await handlers();
  const run = replay.createReplayHandler(aws.lambda);
  return (await run(event, lambdaContext('replay'))) as ReplayResult;
}
