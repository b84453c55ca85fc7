// The sync queue over a (traced) SQS client. Kept out of aws.ts and imported only with import() (`syncQueue()`
// there): the SQS client is evaluated when the first message is sent, not at cold start.

import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsSyncQueue } from '../stores/sqs-queue.ts';
import type { LambdaWiring } from './aws.ts';
import { traced } from './tracing.ts';

export function sqsSyncQueue(w: LambdaWiring): SqsSyncQueue {
  // With an endpoint override (a stand-in), the queue URL's host may not resolve; the override is what counts.
  const sqs = traced(w.tracing, new SQSClient({ useQueueUrlAsEndpoint: !process.env.AWS_ENDPOINT_URL_SQS }));
  return new SqsSyncQueue({ client: sqs, queueUrl: w.config.queueUrl });
}
