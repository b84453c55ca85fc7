// The Lambda side's AWS wiring without the Parquet codec: the configuration, the SDK clients and the adapters over
// them, built once per execution environment. The handler module calls its wiring function at module scope (after
// `lambdaWiring()` has read the configuration and, when tracing is on, loaded the tracer), but every client is
// built on first use: each lives in a module of its own (aws-dynamodb.ts, aws-sqs.ts, aws-secrets.ts,
// aws-s3.ts) loaded with import(), so a cold import evaluates no SDK client at all and an invocation evaluates
// only the ones it reaches (on-first-use.ts says why).
// Each handler calls its own wiring function and so reaches only the clients it uses: esbuild then leaves the
// others out of its bundle (a client built inside a function every handler calls cannot be tree-shaken, which is
// why one `createLambdaServices` for all made every bundle carry every client).
// Functions that read or write Parquet (sync worker, replay) wire through aws-parquet.ts, which adds the codec.
//
// SDK v3 reads AWS_ENDPOINT_URL_S3 / _DYNAMODB / _SECRETS_MANAGER / _SQS, so the same code runs against the local
// stand-ins in the tests.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ObjectStore, StateStore, TokenStore } from '../core/ports.ts';
import type { SqsSyncQueue } from '../stores/sqs-queue.ts';
import { type LambdaConfig, loadConfig } from './config.ts';
import { deferredAdapter, type MethodNames, onFirstUse } from './on-first-use.ts';
import { type LambdaTracing, loadTracing } from './tracing.ts';

/** What the handlers ask of the sync queue (an SqsSyncQueue, built on first use). */
export type SyncQueue = Pick<SqsSyncQueue, 'send' | 'retryLater'>;

export interface LambdaServices {
  config: LambdaConfig;
  /**
   * The plain DynamoDB client under `state`, for Powertools idempotency (the webhook's notification records):
   * built on the first call, once, and shared with `state`.
   */
  dynamodb: () => Promise<DynamoDBClient>;
  store: ObjectStore;
  state: StateStore;
  tokens: TokenStore;
  queue: SyncQueue;
  clock: () => number;
  /** X-Ray tracing when it is on: the handler adds its middleware (the clients above are wrapped already). */
  tracing?: LambdaTracing;
}

/** What every wiring function starts from: the configuration and the tracing of this execution environment. */
export interface LambdaWiring {
  config: LambdaConfig;
  tracing?: LambdaTracing;
}

/** The configuration from the function environment, and the tracer when tracing is on (loaded only then). */
export async function lambdaWiring(env: Readonly<Record<string, string | undefined>> = process.env) {
  const config = loadConfig(env);
  const tracing = await loadTracing(config);
  return { config, ...(tracing ? { tracing } : {}) } satisfies LambdaWiring;
}

function tracingOf(w: LambdaWiring): Pick<LambdaServices, 'tracing'> {
  return w.tracing ? { tracing: w.tracing } : {};
}

const OBJECT_STORE_METHODS: MethodNames<ObjectStore> = { get: true, put: true, list: true, delete: true };
const STATE_STORE_METHODS: MethodNames<StateStore> = {
  getUser: true,
  putUser: true,
  deleteUser: true,
  listUsers: true,
  getCursor: true,
  advanceCursor: true,
  acquireLease: true,
  releaseLease: true,
  putLedger: true,
  listLedger: true,
};
const TOKEN_STORE_METHODS: MethodNames<TokenStore> = {
  get: true,
  put: true,
  delete: true,
  list: true,
  getCurrent: true,
  putIfCurrent: true,
};
const SYNC_QUEUE_METHODS: MethodNames<SyncQueue> = { send: true, retryLater: true };

/** The lake; its S3 client, the largest of the SDK clients, is built on the first read or write (aws-s3.ts). */
export function objectStore(w: LambdaWiring): ObjectStore {
  const open = onFirstUse(async () => (await import('./aws-s3.ts')).s3ObjectStore(w));
  return deferredAdapter(open, OBJECT_STORE_METHODS);
}

/** The (traced) DynamoDB client, built on the first call and then shared by everyone handed this function. */
export function dynamodbClient(w: LambdaWiring): () => Promise<DynamoDBClient> {
  return onFirstUse(async () => (await import('./aws-dynamodb.ts')).buildDynamodbClient(w));
}

/** The state table over the DynamoDB client, both built on the first read or write. */
export function stateStore(w: LambdaWiring, dynamodb: () => Promise<DynamoDBClient>): StateStore {
  const open = onFirstUse(async () => {
    const [{ dynamoStateStore }, client] = await Promise.all([import('./aws-dynamodb.ts'), dynamodb()]);
    return dynamoStateStore(w, client);
  });
  return deferredAdapter(open, STATE_STORE_METHODS);
}

/** The vendor tokens; the Secrets Manager client is built on the first token read or write. */
export function tokenStore(w: LambdaWiring): TokenStore {
  const open = onFirstUse(async () => (await import('./aws-secrets.ts')).secretsTokenStore(w));
  return deferredAdapter(open, TOKEN_STORE_METHODS);
}

/** The sync queue; the SQS client is built on the first send. */
export function syncQueue(w: LambdaWiring): SyncQueue {
  const open = onFirstUse(async () => (await import('./aws-sqs.ts')).sqsSyncQueue(w));
  return deferredAdapter(open, SYNC_QUEUE_METHODS);
}

/** The dispatcher: the users in the state table, the sync queue. */
export type DispatcherServices = Pick<LambdaServices, 'state' | 'queue' | 'clock' | 'tracing'>;

export function dispatcherServices(w: LambdaWiring): DispatcherServices {
  return { state: stateStore(w, dynamodbClient(w)), queue: syncQueue(w), clock: Date.now, ...tracingOf(w) };
}

/** The token refresher: users, their tokens; no lake, no queue. */
export type TokenRefresherServices = Pick<LambdaServices, 'config' | 'state' | 'tokens' | 'clock' | 'tracing'>;

export function tokenRefresherServices(w: LambdaWiring): TokenRefresherServices {
  const state = stateStore(w, dynamodbClient(w));
  return { config: w.config, state, tokens: tokenStore(w), clock: Date.now, ...tracingOf(w) };
}

/** The webhook: users and notification records (DynamoDB), the queue, the lake for rejected bodies; no tokens. */
export type WebhookServices = Pick<LambdaServices, 'config' | 'dynamodb' | 'state' | 'queue' | 'store' | 'tracing'>;

export function webhookServices(w: LambdaWiring): WebhookServices {
  const dynamodb = dynamodbClient(w);
  return {
    config: w.config,
    dynamodb,
    state: stateStore(w, dynamodb),
    queue: syncQueue(w),
    store: objectStore(w),
    ...tracingOf(w),
  };
}

/** Every client and adapter (the sync worker uses them all; tests and the bench drive any handler with it). */
export function createLambdaServices(config: LambdaConfig, tracing?: LambdaTracing): LambdaServices {
  const w: LambdaWiring = { config, ...(tracing ? { tracing } : {}) };
  const dynamodb = dynamodbClient(w);
  return {
    config,
    dynamodb,
    store: objectStore(w),
    state: stateStore(w, dynamodb),
    tokens: tokenStore(w),
    queue: syncQueue(w),
    clock: Date.now,
    ...tracingOf(w),
  };
}
