// What Lambda itself does around our handlers, played against the real stand-ins: the environment a deployed
// function gets (bucket, table, queue + DLQ with a redrive policy, a secret prefix of its own), the event shapes
// (Scheduler input, SQS batches built from a real ReceiveMessage, Function URL v2 requests), the SQS event source
// mapping (delete what succeeded, leave the batch item failures), and the EMF lines Powertools Metrics prints.

import { randomInt, randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLambdaRuntime, type LambdaRuntime } from '../../lambdas/runtime/aws-parquet.ts';
import { loadConfig } from '../../lambdas/runtime/config.ts';
import type { Runtime } from '../../lambdas/runtime/local.ts';
import { demoUsers, type SimUserSpec } from '../../sim/index.ts';
import {
  type AwsTestClients,
  createAwsClients,
  createTestBucket,
  createTestStateTable,
  uniqueName,
} from '../support/aws-clients.ts';
import { sqsRecordOf } from '../support/sqs-records.ts';

export interface HandlerEnv {
  aws: AwsTestClients;
  sqs: SQSClient;
  bucket: string;
  table: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  secretPrefix: string;
  /** The deployed environment variables (lib/ingest-stack.ts), pointing at this file's own resources. */
  env: Record<string, string>;
}

/** Creates the resources of one deployment and sets the function environment in process.env. */
export async function setUpHandlerEnv(options: { maxReceiveCount?: number } = {}): Promise<HandlerEnv> {
  const aws = createAwsClients();
  const sqs = new SQSClient({
    region: aws.endpoints.region,
    endpoint: aws.endpoints.sqs,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const bucket = await createTestBucket(aws.s3);
  const table = await createTestStateTable(aws.dynamodb);
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('sync-dlq') }));
  const dlqUrl = dlq.QueueUrl!;
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] })))
    .Attributes!.QueueArn!;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: uniqueName('sync'),
      Attributes: {
        VisibilityTimeout: '1800',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: options.maxReceiveCount ?? 5,
        }),
      },
    }),
  );
  const queueUrl = queue.QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
    .Attributes!.QueueArn!;
  const secretPrefix = `${uniqueName('zepp-lake-test')}/users/`;
  const env = {
    LAKE_BUCKET: bucket,
    STATE_TABLE: table,
    QUEUE_URL: queueUrl,
    LAG_DAYS: '3',
    SECRET_PREFIX: secretPrefix,
    POWERTOOLS_SERVICE_NAME: 'zepp-lake',
    POWERTOOLS_METRICS_NAMESPACE: 'ZeppLake',
    LOG_LEVEL: 'WARN',
  };
  Object.assign(process.env, env);
  return { aws, sqs, bucket, table, queueUrl, queueArn, dlqUrl, secretPrefix, env };
}

/** A runtime over this deployment, with a fixed clock (the simulator's "today"). */
export function testRuntime(clock: () => number, overrides: Partial<LambdaRuntime> = {}): LambdaRuntime {
  return { ...createLambdaRuntime(loadConfig()), clock, ...overrides };
}

/** The CLI's Runtime shape over the Lambda adapters, so loginZepp stores tokens where the handlers look. */
export function cliRuntimeOver(rt: LambdaRuntime): Runtime {
  return {
    lakeDir: `s3://${rt.config.lakeBucket}`,
    homeDir: '/nonexistent',
    store: rt.store,
    state: rt.state,
    tokens: rt.tokens,
    codec: rt.codec,
    queryDir: '/nonexistent',
  };
}

/**
 * The tests' clocks stand on the simulator's fixed "today", days behind the real one, while DynamoDB Local
 * removes items whose `ttl` has passed by the real clock. A lease lasts the invocation's remaining time (plus a
 * minute), so the default context reports ten days left: leases then stay in the table for the whole test.
 */
const TEST_REMAINING_MS = 10 * 86_400_000;

export function lambdaContext(functionName: string, remainingMs = TEST_REMAINING_MS): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/20/[$LATEST]0000',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** What EventBridge Scheduler delivers for SCHEDULE_INPUT.sync with the scheduled-time context attribute. */
export function schedulerEvent(job: 'sync' | 'token-refresh', scheduledTime: string): Record<string, string> {
  return { trigger: 'schedule', job, scheduledTime };
}

/** Receives up to `max` messages the way the event source mapping does and shapes them as Lambda's SQS event. */
export async function receiveBatch(h: HandlerEnv, max = 2, queueUrl = h.queueUrl): Promise<SQSEvent> {
  const out = await h.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: max,
      MessageSystemAttributeNames: ['All'],
      AttributeNames: ['All'],
      MessageAttributeNames: ['All'],
      WaitTimeSeconds: 0,
    }),
  );
  const records: SQSRecord[] = (out.Messages ?? []).map((m) => sqsRecordOf(m, h.queueArn));
  return { Records: records };
}

/**
 * The event source mapping's part after an invocation: successes are deleted, batch item failures stay. The
 * failures are then made visible at once, standing in for their (shortened) visibility timeout passing.
 */
export async function settleBatch(
  h: HandlerEnv,
  event: SQSEvent,
  response: SQSBatchResponse | undefined,
): Promise<void> {
  const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  for (const r of event.Records) {
    if (failed.has(r.messageId)) {
      await h.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: h.queueUrl,
          ReceiptHandle: r.receiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    } else {
      await h.sqs.send(new DeleteMessageCommand({ QueueUrl: h.queueUrl, ReceiptHandle: r.receiptHandle }));
    }
  }
}

export async function queueDepth(h: HandlerEnv, queueUrl = h.queueUrl): Promise<number> {
  const out = await h.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

/**
 * Runs `concurrency` pollers, each receiving batches of `batchSize` and invoking the worker, until the queue is
 * empty. Returns every batch item failure seen (each is retried by a later poll).
 */
export async function drainQueue(
  h: HandlerEnv,
  worker: SqsHandler,
  options: { concurrency?: number; batchSize?: number; maxInvocations?: number } = {},
): Promise<{ invocations: number; failures: number }> {
  let invocations = 0;
  let failures = 0;
  const limit = options.maxInvocations ?? 200;
  const poller = async (): Promise<void> => {
    for (;;) {
      if (invocations >= limit) throw new Error(`queue not drained after ${limit} invocations`);
      const event = await receiveBatch(h, options.batchSize ?? 2);
      if (event.Records.length === 0) {
        if ((await queueDepth(h)) === 0) return;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      invocations++;
      const response = await worker(event, lambdaContext('sync-worker'));
      failures += response?.batchItemFailures.length ?? 0;
      await settleBatch(h, event, response);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 1 }, poller));
  return { invocations, failures };
}

export interface EmfMetric {
  name: string;
  value: number;
  dimensions: Record<string, string>;
}

/** Runs `fn` while collecting the EMF metric lines Powertools prints to stdout. */
export async function captureMetrics<T>(fn: () => Promise<T>): Promise<{ result: T; metrics: EmfMetric[] }> {
  const lines: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.includes('"_aws"')) lines.push(...text.split('\n').filter((l) => l.includes('"_aws"')));
    return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    const result = await fn();
    const metrics: EmfMetric[] = [];
    for (const line of lines) {
      const emf = JSON.parse(line) as Record<string, unknown> & {
        _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
      };
      for (const block of emf._aws.CloudWatchMetrics) {
        const dims = Object.fromEntries((block.Dimensions[0] ?? []).map((d) => [d, String(emf[d])]));
        for (const m of block.Metrics) {
          const v = emf[m.Name];
          const values = Array.isArray(v) ? (v as number[]) : [Number(v)];
          for (const value of values) metrics.push({ name: m.Name, value, dimensions: dims });
        }
      }
    }
    return { result, metrics };
  } finally {
    process.stdout.write = original;
  }
}

export function metricTotal(metrics: readonly EmfMetric[], name: string): number {
  return metrics.filter((m) => m.name === name).reduce((n, m) => n + m.value, 0);
}

/** A short simulated person (bob's shape) with an id of its own, so test files never share a secret or a row. */
export function shortSimUser(today: string, name: string, days = 40): SimUserSpec {
  const bob = demoUsers(today).find((u) => u.name === 'bob')!;
  const first = new Date(Date.parse(`${today}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
  return {
    ...bob,
    name,
    email: `${name}-${randomUUID().slice(0, 6)}@example.com`,
    password: `${name}-synthetic-pw`,
    userId: `9${String(randomInt(100_000_000, 999_999_999))}`,
    firstDate: first,
    devices: bob.devices.map((d) => ({ ...d, from: first })),
    swimDates: [],
  };
}
