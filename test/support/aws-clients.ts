// SDK clients wired to the stand-ins of this test run (endpoints from global-setup.ts via aws-env.ts), plus
// fresh, uniquely named buckets and tables so test files never share state.

import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createStateTable } from '../../lambdas/stores/dynamo-state.ts';
import { type StandInEndpoints, useAwsStandIns } from './aws-env.ts';

const DUMMY_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface AwsTestClients {
  endpoints: StandInEndpoints;
  s3: S3Client;
  dynamodb: DynamoDBClient;
  /** A DocumentClient with default marshalling, as strict as the one the handlers get. */
  documentClient: DynamoDBDocumentClient;
  secretsManager: SecretsManagerClient;
  destroy(): void;
}

export function createAwsClients(endpoints: StandInEndpoints = useAwsStandIns()): AwsTestClients {
  const common = { region: endpoints.region, credentials: DUMMY_CREDENTIALS };
  const s3 = new S3Client({ ...common, endpoint: endpoints.s3, forcePathStyle: true });
  const dynamodb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
  const documentClient = DynamoDBDocumentClient.from(dynamodb);
  const secretsManager = new SecretsManagerClient({ ...common, endpoint: endpoints.secretsManager });
  return {
    endpoints,
    s3,
    dynamodb,
    documentClient,
    secretsManager,
    destroy() {
      s3.destroy();
      documentClient.destroy();
      dynamodb.destroy();
      secretsManager.destroy();
    },
  };
}

/** A lower-case name unique to this call, valid for S3 buckets, DynamoDB tables and secret prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createTestBucket(s3: S3Client, prefix = 'test-lake'): Promise<string> {
  const bucket = uniqueName(prefix);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/** A state table with the production key schema and TTL (createStateTable), under a unique name. */
export async function createTestStateTable(dynamodb: DynamoDBClient, prefix = 'test-state'): Promise<string> {
  const tableName = uniqueName(prefix);
  await createStateTable(dynamodb, tableName);
  return tableName;
}
