// What the crash and concurrency scenarios share: one seeded person on a simulator of their own, a fresh bucket,
// state table and secret prefix on the stand-ins, the adapters over them (with hooks the scenarios wrap), the
// engine run in-process, a sync-worker child process that can be SIGKILLed at a named point, and the measurement
// of the lake against the simulator's ground truth.
//
// The clock: these scenarios' engines stand on a fixed day in the future (SHORT_TODAY, FUTURE_TODAY) and move with the real clock
// from there, so leases really expire after `leaseTtlMs`. A future day, not a past one: DynamoDB Local deletes
// items whose `ttl` attribute has passed by the real clock, which would drop a live lease from under its holder.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ObjectStore, StateStore, StreamName, TokenStore } from '../lambdas/core/ports.ts';
import { addDays } from '../lambdas/core/time.ts';
import { type EngineDeps, SyncEngine, type SyncReport } from '../lambdas/engine/sync-engine.ts';
import type { LambdaRuntime } from '../lambdas/runtime/aws-parquet.ts';
import { parquetCodec } from '../lambdas/runtime/local.ts';
import { openSource } from '../lambdas/sources/registry.ts';
import type { SyncSource } from '../lambdas/sources/source.ts';
import type { SecretsManagerTokenStore } from '../lambdas/stores/secrets-tokens.ts';
import { SqsSyncQueue } from '../lambdas/stores/sqs-queue.ts';
import { demoUsers, type SimUserSpec, startSimulator } from '../sim/index.ts';
import { Rng, seedOf } from '../sim/people/users.ts';
import { sqsRecordOf } from '../test/support/sqs-records.ts';
import { awsEnvironmentFor, type StandInEndpoints } from '../test/support/stand-ins.ts';
import { childEntryArgs } from './child-entry.ts';
import {
  CHAOS_HTTP,
  type ChaosRuntime,
  type ChaosUser,
  type HealFindings,
  loginChaosUser,
  measureOutcome,
  openChaosRuntime,
} from './harness.ts';
import type { ChaosEnv, ScenarioOutcome } from './scenario.ts';

/** A month end: 30 days of history give two month windows, one of them 28 days long (two ledger batches). */
export const FUTURE_TODAY = '2031-05-28';
/** Early in a month: 9 days of history give two short month windows (April 25-30, May 1-4), cheap to sync. */
export const SHORT_TODAY = '2031-05-04';

/**
 * The clock of a run whose data ends on `today`: 18:00 UTC there (noon for the person, UTC-6, far from either
 * midnight for the length of a run) plus the real time passed since this process started. The offset to the
 * real clock is handed to child processes, so every worker of a run reads the same time.
 */
const STARTED_MS = Date.now();
export function clockOffsetFor(today: string): number {
  return Date.parse(`${today}T18:00:00Z`) - STARTED_MS;
}

export function chaosClock(offsetMs: number): () => number {
  return () => Date.now() + offsetMs;
}

export const CHAOS_LAG_DAYS = 3;

/** bob's shape (UTC-6, one device) with `days` of history ending on `today` and an id of its own. */
export function chaosUser(seed: number, name: string, days: number, today: string): SimUserSpec {
  const bob = demoUsers(today).find((u) => u.name === 'bob');
  if (!bob) throw new Error('the simulator has no demo user bob');
  const first = addDays(today, -days);
  const tag = randomUUID().slice(0, 8);
  return {
    ...bob,
    name,
    email: `${name}-${tag}@example.com`,
    password: `${name}-synthetic-pw`,
    userId: `8${String(seed % 1000).padStart(3, '0')}${String(Number.parseInt(tag, 16) % 1_000_000).padStart(6, '0')}`,
    // The id is unique per run (runs share the stand-ins); the data depends on the scenario and seed only.
    dataKey: `chaos-${name}-${seed}`,
    firstDate: first,
    devices: bob.devices.map((d) => ({ ...d, from: first })),
    swimDates: [],
  };
}

/** A DocumentClient on the stand-ins, for reading state items the StateStore port does not expose. */
function documentClientFor(endpoints: StandInEndpoints): { client: DynamoDBDocumentClient; destroy(): void } {
  const dynamodb = new DynamoDBClient({
    region: endpoints.region,
    endpoint: endpoints.dynamodb,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const client = DynamoDBDocumentClient.from(dynamodb);
  return {
    client,
    destroy() {
      client.destroy();
      dynamodb.destroy();
    },
  };
}

// ---------------------------------------------------------------- one run's world

export interface ChaosRun {
  env: ChaosEnv;
  user: ChaosUser;
  rt: ChaosRuntime;
  userId: string;
  /** The secret name prefix of the run's token store (a child process opens its own store with it). */
  secretPrefix: string;
  /** The last day of the person's data (the simulator's today). */
  today: string;
  clockOffsetMs: number;
  clock: () => number;
  close(): Promise<void>;
}

/**
 * A simulator with one seeded person (bob's shape, `days` of history up to `today`), a fresh bucket, state
 * table and secret prefix from the chaos harness (openChaosRuntime), the person logged in there.
 */
export async function startChaosRun(
  seed: number,
  env: ChaosEnv,
  options: { name: string; days?: number; today?: string },
): Promise<ChaosRun> {
  const today = options.today ?? SHORT_TODAY;
  const spec = chaosUser(seed, options.name, options.days ?? 9, today);
  const sim = await startSimulator({ today, users: [spec], seed, loginThrottle: false });
  const user: ChaosUser = {
    sim,
    spec,
    userId: spec.userId,
    rng: new Rng(seedOf('chaos-crash-concurrency', seed)),
    close: () => sim.close(),
  };
  let rt: ChaosRuntime | undefined;
  try {
    rt = await openChaosRuntime(env, `${options.name}-${seed}`);
    await loginChaosUser(user, rt, CHAOS_HTTP);
    const tokens = rt.tokens as SecretsManagerTokenStore;
    const secretPrefix = tokens.secretName(spec.userId).slice(0, -spec.userId.length);
    const opened = rt;
    return {
      env,
      user,
      rt: opened,
      userId: spec.userId,
      secretPrefix,
      today,
      clockOffsetMs: clockOffsetFor(today),
      clock: chaosClock(clockOffsetFor(today)),
      async close() {
        await opened.close();
        await sim.close();
      },
    };
  } catch (err) {
    await rt?.close();
    await sim.close();
    throw err;
  }
}

export interface InProcessSync {
  leaseOwner?: string;
  leaseTtlMs?: number;
  afterStep?: EngineDeps['afterStep'];
  store?: ObjectStore;
  state?: StateStore;
  /** Wraps the user's source (to see which stream is being fetched). */
  wrapSource?: (source: SyncSource) => SyncSource;
}

/** One engine run for the run's person, the way `zepp-lake sync --backend aws` runs it (sync-command.ts). */
export async function syncInProcess(run: ChaosRun, options: InProcessSync = {}): Promise<SyncReport> {
  return syncWith(
    {
      store: options.store ?? run.rt.store,
      state: options.state ?? run.rt.state,
      tokens: run.rt.tokens,
      clock: run.clock,
    },
    run.userId,
    options,
  );
}

export async function syncWith(
  deps: { store: ObjectStore; state: StateStore; tokens: TokenStore; clock: () => number },
  userId: string,
  options: InProcessSync = {},
): Promise<SyncReport> {
  const user = await deps.state.getUser(userId);
  if (!user) throw new Error(`no user ${userId} in the state table`);
  const tokens = await deps.tokens.get(userId);
  if (!tokens) throw new Error(`no tokens for user ${userId}`);
  const opened = openSource(userId, tokens, deps.tokens, {
    http: CHAOS_HTTP,
    clock: deps.clock,
    tzOffsetS: user.tzOffsetS,
  });
  const source = options.wrapSource ? options.wrapSource(opened) : opened;
  const engine = new SyncEngine({
    store: deps.store,
    state: deps.state,
    codec: parquetCodec,
    clock: deps.clock,
    lagDays: CHAOS_LAG_DAYS,
    leaseOwner: options.leaseOwner ?? `chaos-${randomUUID()}`,
    ...(options.leaseTtlMs !== undefined ? { leaseTtlMs: options.leaseTtlMs } : {}),
    ...(options.afterStep ? { afterStep: options.afterStep } : {}),
  });
  return engine.syncUser({ user, source });
}

/** The source, telling `onStream` which stream it is about to fetch (the engine fetches one stream at a time). */
export function watchStreams(source: SyncSource, onStream: (stream: StreamName) => void): SyncSource {
  return {
    source: source.source,
    streams: source.streams,
    decode: source.decode,
    fetchWindow: (stream, window) => {
      onStream(stream);
      return source.fetchWindow(stream, window);
    },
    listWorkouts: (stopBefore, window) => {
      onStream('workouts');
      return source.listWorkouts(stopBefore, window);
    },
    fetchWorkoutDetail: (ref) => source.fetchWorkoutDetail(ref),
    ...(source.lastDeviceActivity ? { lastDeviceActivity: () => source.lastDeviceActivity!() } : {}),
    ...(source.discoverFirstDate ? { discoverFirstDate: (today: string) => source.discoverFirstDate!(today) } : {}),
  };
}

/** The state store, noting the clock value of every lease request (`askedAt`) and of every grant. */
export function recordingLeaseTimes(state: StateStore, grantedAt: number[], askedAt: number[]): StateStore {
  return new Proxy(state, {
    get(target, prop) {
      if (prop === 'acquireLease')
        return async (userId: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean> => {
          askedAt.push(nowMs);
          const granted = await target.acquireLease(userId, owner, nowMs, ttlMs);
          if (granted) grantedAt.push(nowMs);
          return granted;
        };
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Who holds the user's lease now (the LEASE item of the state table), undefined when nobody does. */
export async function leaseHolder(run: ChaosRun): Promise<{ owner: string; expiresAt: number } | undefined> {
  const ddb = documentClientFor(run.env.endpoints);
  try {
    const out = await ddb.client.send(
      new GetCommand({ TableName: run.rt.table, Key: { pk: `USER#${run.userId}`, sk: 'LEASE' }, ConsistentRead: true }),
    );
    const item = out.Item;
    return item ? { owner: String(item.owner), expiresAt: Number(item.expiresAt) } : undefined;
  } finally {
    ddb.destroy();
  }
}

// ---------------------------------------------------------------- measurement

/**
 * The outcome row after the healing run: the lake measured by the chaos harness against the ground truth, the
 * ledger before and after. `problems` are scenario-specific facts that did not hold.
 */
export function outcomeOf(run: ChaosRun, findings: HealFindings): Promise<ScenarioOutcome> {
  return measureOutcome(run, findings);
}

// ---------------------------------------------------------------- the sync child process

/** Where the child stops and waits to be killed (see chaos/sync-child.ts). `nth` counts from 1 within `stream`. */
export type KillPoint =
  /** Right after the engine's durable step `step` of the stream's nth window (afterStep). */
  | { at: 'step'; step: 'raw' | 'lake' | 'ledger' | 'cursor'; stream: StreamName; nth: number }
  /** Before sending, or after S3 acknowledged, the nth PUT of a data-table object (not the ledger) for the stream. */
  | { at: 'table-put'; when: 'before' | 'after'; stream: StreamName; nth: number }
  /** After the nth PUT of the ingest_ledger month object for the stream, before the DynamoDB ledger items. */
  | { at: 'ledger-object'; stream: StreamName; nth: number }
  /** After the nth DynamoDB BatchWriteItem (ledger items, 25 per call) for the stream. */
  | { at: 'ledger-batch'; stream: StreamName; nth: number };

export function describeKillPoint(k: KillPoint): string {
  switch (k.at) {
    case 'step':
      return `after ${k.step} of ${k.stream} window ${k.nth}`;
    case 'table-put':
      return `${k.when} data PUT ${k.nth} of ${k.stream}`;
    case 'ledger-object':
      return `after ingest_ledger PUT ${k.nth} of ${k.stream}`;
    case 'ledger-batch':
      return `after ledger BatchWriteItem ${k.nth} of ${k.stream}`;
  }
}

export interface ChildResult {
  /** The child stopped at its kill point and was SIGKILLed there. */
  killed: boolean;
  signal: NodeJS.Signals | null;
  code: number | null;
  pid: number | undefined;
  /** What the child printed at the kill point. */
  marker?: string;
  stderr: string;
}

export const KILL_MARKER = 'CHAOS-KILL-POINT ';
const CHILD_TIMEOUT_MS = 180_000;

/**
 * Runs chaos/sync-child.ts for the run's person in a process of its own, with only the stand-ins' environment,
 * and SIGKILLs it as soon as it reports that it reached `kill`. A child that never gets there syncs to the end.
 */
export async function runSyncChild(run: ChaosRun, kill: KillPoint, leaseTtlMs: number): Promise<ChildResult> {
  const args = [
    ...childEntryArgs('chaos/sync-child.ts'),
    '--bucket',
    run.rt.bucket,
    '--table',
    run.rt.table,
    '--secret-prefix',
    run.secretPrefix,
    '--user',
    run.userId,
    '--clock-offset',
    String(run.clockOffsetMs),
    '--lease-ttl',
    String(leaseTtlMs),
    '--kill',
    JSON.stringify(kill),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: new URL('..', import.meta.url).pathname,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...awsEnvironmentFor(run.env.endpoints) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  let marker: string | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    if (marker === undefined && line.startsWith(KILL_MARKER)) {
      marker = line.slice(KILL_MARKER.length);
      child.kill('SIGKILL');
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  try {
    const { code, signal } = await exited;
    return { killed: marker !== undefined && signal === 'SIGKILL', signal, code, pid: child.pid, marker, stderr };
  } finally {
    clearTimeout(timer);
    lines.close();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export { awsEnvironmentFor };

// ---------------------------------------------------------------- the Lambda handlers, driven as Lambda does

export interface QueueWorld {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  rt: LambdaRuntime;
  destroy(): void;
}

/** A sync queue of the run's own on the SQS stand-in, and the Lambda runtime over the run's adapters. */
export async function openQueueWorld(run: ChaosRun): Promise<QueueWorld> {
  const { endpoints } = run.env;
  const sqs = new SQSClient({
    region: endpoints.region,
    endpoint: endpoints.sqs,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const created = await sqs.send(new CreateQueueCommand({ QueueName: `chaos-sync-${randomUUID().slice(0, 8)}` }));
  const queueUrl = created.QueueUrl;
  if (!queueUrl) throw new Error('CreateQueue returned no queue URL');
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = attrs.Attributes?.QueueArn ?? 'arn:aws:sqs:us-east-1:000000000000:chaos';
  // The webhook's idempotency records would use it; the queue world runs the dispatcher and the worker only.
  const dynamodb = new DynamoDBClient({
    region: endpoints.region,
    endpoint: endpoints.dynamodb,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const rt: LambdaRuntime = {
    dynamodb: async () => dynamodb,
    config: {
      lakeBucket: run.rt.bucket,
      stateTable: run.rt.table,
      queueUrl,
      lagDays: CHAOS_LAG_DAYS,
      secretPrefix: run.secretPrefix,
      huamiPublicKey: '',
    },
    store: run.rt.store,
    state: run.rt.state,
    tokens: run.rt.tokens,
    queue: new SqsSyncQueue({ client: sqs, queueUrl }),
    codec: parquetCodec,
    clock: run.clock,
  };
  return {
    sqs,
    queueUrl,
    queueArn,
    rt,
    destroy: () => {
      sqs.destroy();
      dynamodb.destroy();
    },
  };
}

type HandlerModules = {
  dispatcher: typeof import('../lambdas/handlers/dispatcher.ts');
  syncWorker: typeof import('../lambdas/handlers/sync-worker.ts');
};
let handlerModules: Promise<HandlerModules> | undefined;

/**
 * The handler modules, imported once. Each module also builds its deployed `handler` at import, which reads the
 * function environment: placeholders are set where none is (only the factories are used here, with the run's
 * runtime). Metrics and info logs would print a JSON line per invocation over the runner's table, so they are
 * switched off unless the environment already says otherwise.
 */
export function handlers(): Promise<HandlerModules> {
  handlerModules ??= (async () => {
    process.env.LAKE_BUCKET ??= 'chaos-placeholder';
    process.env.STATE_TABLE ??= 'chaos-placeholder';
    process.env.QUEUE_URL ??= 'http://127.0.0.1:1/000000000000/chaos-placeholder';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    const [dispatcher, syncWorker] = await Promise.all([
      import('../lambdas/handlers/dispatcher.ts'),
      import('../lambdas/handlers/sync-worker.ts'),
    ]);
    return { dispatcher, syncWorker };
  })();
  return handlerModules;
}

/** The Lambda context of one invocation (a fresh request id, so a fresh lease owner per delivery). */
export function lambdaContext(functionName: string, remainingMs = 120_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'chaos',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Receives up to `max` messages as the event source mapping does and shapes them as Lambda's SQS event. */
export async function receiveRecords(q: QueueWorld, max: number): Promise<SQSRecord[]> {
  const out = await q.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: q.queueUrl,
      MaxNumberOfMessages: max,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
      WaitTimeSeconds: 0,
    }),
  );
  return (out.Messages ?? []).map((m) => sqsRecordOf(m, q.queueArn));
}

export async function queueDepth(q: QueueWorld): Promise<number> {
  const out = await q.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: q.queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

/**
 * The event source mapping's part after an invocation: successes are deleted; failures are made visible again
 * at once, standing in for their (shortened) visibility timeout passing.
 */
export async function settle(q: QueueWorld, records: readonly SQSRecord[], response: SQSBatchResponse | undefined) {
  const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  for (const r of records) {
    if (failed.has(r.messageId))
      await q.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: q.queueUrl,
          ReceiptHandle: r.receiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    else await q.sqs.send(new DeleteMessageCommand({ QueueUrl: q.queueUrl, ReceiptHandle: r.receiptHandle }));
  }
}

export interface DrainResult {
  invocations: number;
  /** Batch item failures (deliveries handed back: lease held by another worker, or a failed step). */
  failures: number;
  /** syncId attribute of every delivered record, in delivery order. */
  delivered: string[];
}

/** `pollers` event source pollers receiving batches of `batchSize` and invoking the worker until the queue is empty. */
export async function drain(
  q: QueueWorld,
  worker: SqsHandler,
  options: { pollers: number; batchSize: number; maxInvocations?: number },
): Promise<DrainResult> {
  const result: DrainResult = { invocations: 0, failures: 0, delivered: [] };
  const limit = options.maxInvocations ?? 200;
  const poller = async (): Promise<void> => {
    for (;;) {
      if (result.invocations >= limit) throw new Error(`queue not drained after ${limit} invocations`);
      const records = await receiveRecords(q, options.batchSize);
      if (records.length === 0) {
        if ((await queueDepth(q)) === 0) return;
        await sleep(100);
        continue;
      }
      result.invocations++;
      for (const r of records) result.delivered.push(r.messageAttributes.syncId?.stringValue ?? r.messageId);
      const response = await worker({ Records: records }, lambdaContext('sync-worker'));
      const failed = response?.batchItemFailures.length ?? 0;
      result.failures += failed;
      await settle(q, records, response);
      // A delivery handed back because the user's lease is held: give the holder a moment before the next poll.
      if (failed > 0) await sleep(200);
    }
  };
  await Promise.all(Array.from({ length: options.pollers }, poller));
  return result;
}
