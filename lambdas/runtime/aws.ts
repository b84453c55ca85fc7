// The Lambda side's AWS wiring without the Parquet codec: the configuration, the SDK clients (created once per
// execution environment, at module scope of the handler that imports this) and the adapters over them.
// Functions that never read or write Parquet (dispatcher, token refresher, webhook) import only this module, so
// their bundles leave parquet-wasm out: no 4.7 MiB .wasm to ship and none to compile at cold start. The
// functions that do use `lambdaRuntime()` of aws-runtime.ts, which adds the codec.
//
// SDK v3 reads AWS_ENDPOINT_URL_S3 / _DYNAMODB / _SECRETS_MANAGER / _SQS, so the same code runs against the local
// stand-ins in the tests.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ObjectStore, StateStore, TokenStore } from '../core/ports.ts';
import { DynamoStateStore } from '../stores/dynamo-state.ts';
import { S3ObjectStore } from '../stores/s3-lake.ts';
import { SecretsManagerTokenStore } from '../stores/secrets-tokens.ts';
import { SqsSyncQueue } from '../stores/sqs-queue.ts';
import { type LambdaConfig, loadConfig } from './config.ts';

export interface LambdaServices {
  config: LambdaConfig;
  /** The plain DynamoDB client under `state`, for Powertools idempotency (the webhook's notification records). */
  dynamodb: DynamoDBClient;
  store: ObjectStore;
  state: StateStore;
  tokens: TokenStore;
  queue: SqsSyncQueue;
  clock: () => number;
}

let cached: LambdaServices | undefined;

/** The services of this execution environment: config read and clients created on the first call, then reused. */
export function lambdaServices(): LambdaServices {
  cached ??= createLambdaServices(loadConfig());
  return cached;
}

export function createLambdaServices(config: LambdaConfig): LambdaServices {
  // A stand-in endpoint only works path-style; real S3 works either way.
  const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  const dynamodb = new DynamoDBClient({});
  const ddb = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const secrets = new SecretsManagerClient({});
  // With an endpoint override (a stand-in), the queue URL's host may not resolve; the override is what counts.
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: !process.env.AWS_ENDPOINT_URL_SQS });
  return {
    config,
    dynamodb,
    store: new S3ObjectStore({ client: s3, bucket: config.lakeBucket, kmsKeyId: config.kmsKeyId }),
    state: new DynamoStateStore({ client: ddb, tableName: config.stateTable }),
    tokens: new SecretsManagerTokenStore({ client: secrets, prefix: config.secretPrefix, kmsKeyId: config.kmsKeyId }),
    queue: new SqsSyncQueue({ client: sqs, queueUrl: config.queueUrl }),
    clock: Date.now,
  };
}
