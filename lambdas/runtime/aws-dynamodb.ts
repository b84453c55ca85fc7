// The DynamoDB client and the state table's adapter over it. Kept out of aws.ts and imported only with import()
// (`dynamodbClient()` / `stateStore()` there): the client and lib-dynamodb's marshalling are evaluated on the
// first read or write of the state table, not at cold start.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StateStore } from '../core/ports.ts';
import { DynamoStateStore } from '../stores/dynamo-state.ts';
import type { LambdaWiring } from './aws.ts';
import { traced } from './tracing.ts';

export function buildDynamodbClient(w: LambdaWiring): DynamoDBClient {
  return traced(w.tracing, new DynamoDBClient({}));
}

/** The state table over a (traced) DynamoDB client; the document client sends through that client's stack. */
export function dynamoStateStore(w: LambdaWiring, dynamodb: DynamoDBClient): StateStore {
  const ddb = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  return new DynamoStateStore({ client: ddb, tableName: w.config.stateTable });
}
