// The Lambda side's wiring: the configuration and the SDK clients, created once per execution environment (module
// scope of the handler that imports this), and the adapters over them. Handlers take a `LambdaRuntime` as a
// parameter of their factory, so tests can hand them one with a wrapped adapter; the deployed handler gets this.
//
// SDK v3 reads AWS_ENDPOINT_URL_S3 / _DYNAMODB / _SECRETS_MANAGER / _SQS, so the same code runs against the local
// stand-ins in the tests.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoStateStore } from '../adapters/dynamo-state.ts';
import { readParquet, writeParquet } from '../adapters/parquet.ts';
import { S3ObjectStore } from '../adapters/s3-lake.ts';
import { SecretsManagerTokenStore } from '../adapters/secrets-tokens.ts';
import { SqsSyncQueue } from '../adapters/sqs-sync-queue.ts';
import type { ObjectStore, StateStore, TokenStore } from '../core/ports.ts';
import type { ParquetCodec } from '../engine/lake-writer.ts';
import { type LambdaConfig, loadConfig } from './config.ts';

export interface LambdaRuntime {
  config: LambdaConfig;
  store: ObjectStore;
  state: StateStore;
  tokens: TokenStore;
  queue: SqsSyncQueue;
  codec: ParquetCodec;
  clock: () => number;
}

export const parquetCodec: ParquetCodec = { write: writeParquet, read: readParquet };

let cached: LambdaRuntime | undefined;

/** The runtime of this execution environment: config read and clients created on the first call, then reused. */
export function lambdaRuntime(): LambdaRuntime {
  cached ??= createLambdaRuntime(loadConfig());
  return cached;
}

export function createLambdaRuntime(config: LambdaConfig): LambdaRuntime {
  // A stand-in endpoint only works path-style; real S3 works either way.
  const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const secrets = new SecretsManagerClient({});
  // With an endpoint override (a stand-in), the queue URL's host may not resolve; the override is what counts.
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: !process.env.AWS_ENDPOINT_URL_SQS });
  return {
    config,
    store: new S3ObjectStore({ client: s3, bucket: config.lakeBucket, kmsKeyId: config.kmsKeyId }),
    state: new DynamoStateStore({ client: ddb, tableName: config.stateTable }),
    tokens: new SecretsManagerTokenStore({ client: secrets, prefix: config.secretPrefix, kmsKeyId: config.kmsKeyId }),
    queue: new SqsSyncQueue({ client: sqs, queueUrl: config.queueUrl }),
    codec: parquetCodec,
    clock: Date.now,
  };
}
