// The lake's S3 adapter over a (traced) S3 client. Kept out of aws.ts and imported only with import() by
// `objectStore()` there: the S3 client is the largest of the SDK clients, and the webhook, which writes to the
// lake only when a signed body is not a notification, then does not evaluate it at cold start.

import { S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from '../core/ports.ts';
import { S3ObjectStore } from '../stores/s3-lake.ts';
import type { LambdaWiring } from './aws.ts';
import { traced } from './tracing.ts';

export function s3ObjectStore(w: LambdaWiring): ObjectStore {
  // A stand-in endpoint only works path-style; real S3 works either way.
  const s3 = traced(w.tracing, new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }));
  return new S3ObjectStore({ client: s3, bucket: w.config.lakeBucket, kmsKeyId: w.config.kmsKeyId });
}
