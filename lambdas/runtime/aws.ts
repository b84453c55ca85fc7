// The Lambda side's AWS wiring without the Parquet codec: the configuration, the SDK clients and the adapters over
// them, built once per execution environment by the handler module that imports this (at module scope, after
// `lambdaWiring()` has read the configuration and, when tracing is on, loaded the tracer).
// Each handler calls its own wiring function and so builds only the clients it uses: esbuild then leaves the
// others out of its bundle (a `new SecretsManagerClient()` inside a function every handler calls cannot be
// tree-shaken, which is why one `createLambdaServices` for all made every bundle carry every client).
// Functions that read or write Parquet (sync worker, replay) wire through aws-parquet.ts, which adds the codec.
//
// SDK v3 reads AWS_ENDPOINT_URL_S3 / _DYNAMODB / _SECRETS_MANAGER / _SQS, so the same code runs against the local
// stand-ins in the tests.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ObjectStore, StateStore, TokenStore } from '../core/ports.ts';
import { DynamoStateStore } from '../stores/dynamo-state.ts';
import { SecretsManagerTokenStore } from '../stores/secrets-tokens.ts';
import { SqsSyncQueue } from '../stores/sqs-queue.ts';
import { type LambdaConfig, loadConfig } from './config.ts';
import { type LambdaTracing, loadTracing, traced } from './tracing.ts';

export interface LambdaServices {
  config: LambdaConfig;
  /** The plain DynamoDB client under `state`, for Powertools idempotency (the webhook's notification records). */
  dynamodb: DynamoDBClient;
  store: ObjectStore;
  state: StateStore;
  tokens: TokenStore;
  queue: SqsSyncQueue;
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

/**
 * The lake, with its S3 client built on first use (aws-s3.ts, loaded with import()): a cold start evaluates the
 * S3 client, the largest of the SDK clients, only in the invocation that reads or writes the lake.
 */
export function objectStore(w: LambdaWiring): ObjectStore {
  let store: Promise<ObjectStore> | undefined;
  const open = (): Promise<ObjectStore> => {
    store ??= import('./aws-s3.ts')
      .then((m) => m.s3ObjectStore(w))
      .catch((err: unknown) => {
        store = undefined;
        throw err;
      });
    return store;
  };
  return {
    get: async (key) => (await open()).get(key),
    put: async (key, body, options) => (await open()).put(key, body, options),
    list: async (prefix) => (await open()).list(prefix),
    delete: async (keys) => (await open()).delete(keys),
  };
}

export function dynamodbClient(w: LambdaWiring): DynamoDBClient {
  return traced(w.tracing, new DynamoDBClient({}));
}

/** The state table over a (traced) DynamoDB client; the document client sends through that client's stack. */
export function stateStore(w: LambdaWiring, dynamodb: DynamoDBClient): StateStore {
  const ddb = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  return new DynamoStateStore({ client: ddb, tableName: w.config.stateTable });
}

export function tokenStore(w: LambdaWiring): TokenStore {
  const secrets = traced(w.tracing, new SecretsManagerClient({}));
  return new SecretsManagerTokenStore({ client: secrets, prefix: w.config.secretPrefix, kmsKeyId: w.config.kmsKeyId });
}

export function syncQueue(w: LambdaWiring): SqsSyncQueue {
  // With an endpoint override (a stand-in), the queue URL's host may not resolve; the override is what counts.
  const sqs = traced(w.tracing, new SQSClient({ useQueueUrlAsEndpoint: !process.env.AWS_ENDPOINT_URL_SQS }));
  return new SqsSyncQueue({ client: sqs, queueUrl: w.config.queueUrl });
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
