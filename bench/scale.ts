// Section: scale in simulation. SCALE_USERS simulated people synced through the AWS path as deployed: the
// dispatcher's handler plans the scheduled run's messages into an SQS queue on fauxqs, and the real sync-worker
// handler consumes them with the event source mapping's defaults of lib/ingest-stack.ts (batches of 2, as many
// pollers as the deployment's default reserved concurrency), its state in DynamoDB Local, its tokens in the
// Secrets Manager emulator and its lake in fauxqs' S3. Two runs: the first sync (a back-fill of SCALE_DAYS days
// per person) and the next scheduled run (the steady state: the lag window again), each with its wall time, its
// vendor requests per person, worker invocations, and the worst single person's time (run start to that
// person's last message done). The README's cost table takes its request counts from these figures.

import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loginZepp } from '../lambdas/cli/sync-command.ts';
import type { LambdaRuntime } from '../lambdas/runtime/aws-parquet.ts';
import { CONFIG_DEFAULTS } from '../lib/config.ts';
import { type Simulator, startSimulator } from '../sim/index.ts';
import type { HandlerEnv } from '../test/handlers/lambda-harness.ts';
import { createAwsClients, createTestBucket, createTestStateTable, uniqueName } from '../test/support/aws-clients.ts';
import { FAST_HTTP } from '../test/support/local-lake.ts';
import { awsEnvironmentFor, startStandIns } from '../test/support/stand-ins.ts';

// The harness imports the Lambda wiring, whose Powertools singletons read the environment when first imported:
// it is imported only once the function environment is set (as the handler modules are).
type Harness = typeof import('../test/handlers/lambda-harness.ts');
let harness: Harness;

import { fmtInt, fmtMs, line } from './measure.ts';

export const SCALE_USERS = 50;
export const SCALE_DAYS = 14;
/** The SQS event source's batch size (lib/ingest-stack.ts). */
const BATCH_SIZE = 2;

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface RunFigures {
  wallMs: number;
  invocations: number;
  failures: number;
  /** The longest a person took from its first message picked up to its last message done. */
  worstUserMs: number;
  /** When the last person was done, from the run's start (the queue's order puts someone last). */
  lastUserDoneMs: number;
  requests: Record<string, number>;
}

/** Pollers as the event source mapping runs them, each person's last message done time recorded. */
async function drain(h: HandlerEnv, worker: SqsHandler, pollers: number, t0: number) {
  const { lambdaContext, queueDepth, receiveBatch, settleBatch } = harness;
  const firstAt = new Map<string, number>();
  const doneAt = new Map<string, number>();
  let invocations = 0;
  let failures = 0;
  const poller = async (): Promise<void> => {
    for (let idle = 0; ; ) {
      if (invocations > SCALE_USERS * 20) throw new Error('the queue did not drain');
      const event = await receiveBatch(h, BATCH_SIZE);
      if (event.Records.length === 0) {
        if ((await queueDepth(h)) === 0 && ++idle > 1) return;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      invocations++;
      const started = performance.now() - t0;
      for (const r of event.Records) {
        const userId = (JSON.parse(r.body) as { userId: string }).userId;
        if (!firstAt.has(userId)) firstAt.set(userId, started);
      }
      const response = await worker(event, lambdaContext('sync-worker'));
      failures += response?.batchItemFailures.length ?? 0;
      await settleBatch(h, event, response);
      const now = performance.now() - t0;
      for (const r of event.Records) doneAt.set((JSON.parse(r.body) as { userId: string }).userId, now);
    }
  };
  await Promise.all(Array.from({ length: pollers }, poller));
  const spans = [...doneAt].map(([userId, done]) => done - (firstAt.get(userId) ?? 0));
  return { spans, doneAt, invocations, failures };
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

async function scheduledRun(
  h: HandlerEnv,
  sim: Simulator,
  handlers: { dispatcher: (e: unknown, c: Context) => Promise<unknown>; worker: SqsHandler },
  slot: string,
): Promise<RunFigures> {
  const { lambdaContext, schedulerEvent } = harness;
  const before = { ...sim.stats().requests };
  const t0 = performance.now();
  await handlers.dispatcher(schedulerEvent('sync', slot), lambdaContext('dispatcher'));
  const pollers = Math.max(2, CONFIG_DEFAULTS.reservedConcurrency);
  const { spans, doneAt, invocations, failures } = await drain(h, handlers.worker, pollers, t0);
  return {
    wallMs: performance.now() - t0,
    invocations,
    failures,
    worstUserMs: Math.max(...spans),
    lastUserDoneMs: Math.max(...doneAt.values()),
    requests: delta(sim.stats().requests, before),
  };
}

function describeRun(label: string, r: RunFigures, users: number): string[] {
  const total = vendorRequests(r);
  const per = Object.entries(r.requests)
    .sort()
    .map(([k, v]) => `${k} ${(v / users).toFixed(1)}`)
    .join(', ');
  return [
    line(`${label}: wall time`, `${fmtMs(r.wallMs)} for ${users} people (${fmtMs(r.wallMs / users)} per person)`),
    line(
      '  worst single person',
      `${fmtMs(r.worstUserMs)} from its first message picked up to its last done (the last person done at ${fmtMs(r.lastUserDoneMs)})`,
    ),
    line(
      '  worker invocations',
      `${fmtInt(r.invocations)} (batches of ${BATCH_SIZE}), ${r.failures} batch item failures`,
    ),
    line('  vendor requests per person', `${(total / users).toFixed(1)} (${per})`),
  ];
}

const RUNS_PER_MONTH = (24 / CONFIG_DEFAULTS.syncEveryHours) * 30;

/** What a month of scheduled runs costs in requests, from the steady-state run (README's cost table). */
function costLines(first: RunFigures, next: RunFigures): string[] {
  const perUserRun = vendorRequests(next) / SCALE_USERS;
  const invocationsPerUserRun = next.invocations / SCALE_USERS;
  const perMonth = (x: number) => x * RUNS_PER_MONTH;
  return [
    line(
      `a user-month (${RUNS_PER_MONTH} runs, ${CONFIG_DEFAULTS.syncEveryHours}-hourly)`,
      `${fmtInt(perMonth(perUserRun))} vendor requests, ${fmtInt(perMonth(invocationsPerUserRun))} worker invocations (+ ${(vendorRequests(first) / SCALE_USERS).toFixed(0)} requests once, for ${SCALE_DAYS} days of back-fill)`,
    ),
    line(
      '1,000 users, a month',
      `${fmtInt(perMonth(perUserRun) * 1000)} vendor requests, ${fmtInt(perMonth(invocationsPerUserRun) * 1000)} worker invocations; one run takes ~${fmtMs((next.wallMs / SCALE_USERS) * 1000)} at this concurrency (this machine)`,
    ),
  ];
}

/** Requests to the vendor in one run, all endpoints. */
export function vendorRequests(r: RunFigures): number {
  return Object.values(r.requests).reduce((n, v) => n + v, 0);
}

/** The scale section, with the raw figures of both runs for the cost lines. */
export async function benchScale(today: string): Promise<{ lines: string[]; first: RunFigures; next: RunFigures }> {
  const standIns = await startStandIns();
  const env = awsEnvironmentFor(standIns.endpoints);
  Object.assign(process.env, env, {
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const aws = createAwsClients(standIns.endpoints);
  const sqs = new SQSClient({ endpoint: standIns.endpoints.sqs, region: standIns.endpoints.region });
  harness = await import('../test/handlers/lambda-harness.ts');
  const { cliRuntimeOver, shortSimUser } = harness;
  const specs = Array.from({ length: SCALE_USERS }, (_, i) => shortSimUser(today, `p${i}`, SCALE_DAYS));
  const sim = await startSimulator({ today, users: specs, loginThrottle: false });
  try {
    const bucket = await createTestBucket(aws.s3, 'bench-scale');
    const table = await createTestStateTable(aws.dynamodb, 'bench-scale');
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('bench-scale') }))).QueueUrl!;
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes!.QueueArn!;
    const secretPrefix = `${uniqueName('bench-scale')}/users/`;
    const fnEnv = {
      LAKE_BUCKET: bucket,
      STATE_TABLE: table,
      QUEUE_URL: queueUrl,
      LAG_DAYS: '3',
      SECRET_PREFIX: secretPrefix,
    };
    Object.assign(process.env, fnEnv);
    const h: HandlerEnv = { aws, sqs, bucket, table, queueUrl, queueArn, dlqUrl: '', secretPrefix, env: fnEnv };
    // Imported only now: the handler modules read the function environment once, at import, as in Lambda.
    const { createLambdaRuntime } = await import('../lambdas/runtime/aws-parquet.ts');
    const { loadConfig } = await import('../lambdas/runtime/config.ts');
    const { createDispatcherHandler } = await import('../lambdas/handlers/dispatcher.ts');
    const { createSyncWorkerHandler } = await import('../lambdas/handlers/sync-worker.ts');
    let nowMs = Date.parse(`${today}T18:00:00Z`);
    const rt: LambdaRuntime = { ...createLambdaRuntime(loadConfig()), clock: () => nowMs };
    for (const u of sim.users)
      await loginZepp(cliRuntimeOver(rt), { email: u.email, password: u.password, host: sim.url, http: FAST_HTTP });
    const handlers = {
      dispatcher: createDispatcherHandler(rt) as unknown as (e: unknown, c: Context) => Promise<unknown>,
      worker: createSyncWorkerHandler(rt, { http: FAST_HTTP }) as unknown as SqsHandler,
    };
    const first = await scheduledRun(h, sim, handlers, `${today}T18:00:00Z`);
    nowMs += CONFIG_DEFAULTS.syncEveryHours * 3_600_000;
    const next = await scheduledRun(h, sim, handlers, new Date(nowMs).toISOString());
    const lines = [
      `  ${SCALE_USERS} people of ${SCALE_DAYS} days each; ${Math.max(2, CONFIG_DEFAULTS.reservedConcurrency)} pollers (the default reserved concurrency), batches of ${BATCH_SIZE}`,
      ...describeRun('first sync (back-fill)', first, SCALE_USERS),
      ...describeRun(`next run (${CONFIG_DEFAULTS.syncEveryHours} h later)`, next, SCALE_USERS),
      ...costLines(first, next),
    ];
    return { lines, first, next };
  } finally {
    await sim.close();
    aws.destroy();
    sqs.destroy();
    await standIns.stop();
  }
}
