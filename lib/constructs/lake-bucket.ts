// The lake bucket (`tables/`, `raw/`, `athena-results/`) and the bucket that receives its server access logs.
// Both are stateful: RETAIN, and their logical ids are pinned so a refactor of the construct tree can never
// replace them.

import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { pinLogicalId } from './logical-ids.ts';

export interface LakeBucketProps {
  /** Customer-managed key for SSE-KMS on the lake bucket. */
  readonly encryptionKey: kms.IKey;
  /**
   * Days a replaced or deleted object version is kept (month objects are rewritten on every merge).
   * @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days Athena query results are kept under `athena-results/`.
   * @default 7
   */
  readonly athenaResultsExpirationDays?: number;
  /**
   * Days server access logs are kept.
   * @default 365
   */
  readonly accessLogExpirationDays?: number;
}

export class LakeBucket extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LakeBucketProps) {
    super(scope, id);

    // S3 server access logging cannot write to an SSE-KMS bucket, hence S3-managed keys here.
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogExpirationDays ?? 365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pinLogicalId(this.accessLogBucket, 'AccessLogBucket');
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'this is the access-log bucket itself; logging it into itself would log its own log writes forever',
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      // One data key per bucket instead of per object: the merge rewrites many objects, KMS calls cost money.
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: [
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionExpirationDays ?? 30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        {
          // Raw responses are read again only by `replay`: let S3 move them to cheaper tiers.
          id: 'raw-intelligent-tiering',
          prefix: 'raw/',
          transitions: [{ storageClass: s3.StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(0) }],
        },
        {
          id: 'expire-athena-results',
          prefix: 'athena-results/',
          expiration: Duration.days(props.athenaResultsExpirationDays ?? 7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pinLogicalId(this.bucket, 'LakeBucket');
  }
}
