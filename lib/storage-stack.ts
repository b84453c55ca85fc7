// The stateful half of zepp-lake: KMS key, lake bucket (+ access logs), state table, Glue catalog and the
// Athena workgroup. Everything holding data is RETAIN with a pinned logical id; the stateless IngestStack can
// be destroyed and redeployed freely around it.

import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { AthenaWorkspace } from './constructs/athena-workspace.ts';
import { GlueTables } from './constructs/glue-tables.ts';
import { LakeBucket } from './constructs/lake-bucket.ts';
import { pinLogicalId } from './constructs/logical-ids.ts';
import { StateTable } from './constructs/state-table.ts';

export interface StorageStackProps extends StackProps {
  readonly stage: string;
  /**
   * Folder of the named queries.
   * @default athena/queries of this repository
   */
  readonly queriesDir?: string;
  /**
   * Glue database name.
   * @default 'zepp_lake'
   */
  readonly databaseName?: string;
}

/**
 * What the IngestStack needs from storage, as CloudFormation imports of exports with fixed names. Explicit names
 * (rather than CDK's generated cross-stack exports) keep the contract between the stacks readable and stable, and an
 * import in use stops the storage stack from being deleted from under the functions.
 */
export interface LakeExports {
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly keyArn: string;
  readonly tableName: string;
  readonly tableArn: string;
}

export const DEFAULT_QUERIES_DIR = fileURLToPath(new URL('../athena/queries', import.meta.url));

export class StorageStack extends Stack {
  public readonly key: kms.Key;
  public readonly lakeBucket: s3.Bucket;
  public readonly stateTable: dynamodb.Table;
  public readonly glue: GlueTables;
  public readonly athena: AthenaWorkspace;
  public readonly exports: LakeExports;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, {
      description: `zepp-lake ${props.stage}: lake bucket, state table, Glue catalog, Athena workgroup (stateful)`,
      terminationProtection: props.stage === 'prod',
      ...props,
    });

    this.key = new kms.Key(this, 'LakeKey', {
      description: `zepp-lake ${props.stage}: lake objects, state table, queues, alarm topic, tokens`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pinLogicalId(this.key, 'LakeKey');
    // CloudWatch alarms publish to the KMS-encrypted alarm topic; the service needs the key for that.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKeyForTheAlarmTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );

    const lake = new LakeBucket(this, 'Lake', { encryptionKey: this.key });
    this.lakeBucket = lake.bucket;

    this.stateTable = new StateTable(this, 'State', {
      encryptionKey: this.key,
      deletionProtection: props.stage === 'prod',
    }).table;

    this.glue = new GlueTables(this, 'Catalog', {
      bucket: this.lakeBucket,
      ...(props.databaseName !== undefined ? { databaseName: props.databaseName } : {}),
    });

    this.athena = new AthenaWorkspace(this, 'Athena', {
      bucket: this.lakeBucket,
      encryptionKey: this.key,
      databaseName: this.glue.databaseName,
      workGroupName: `zepp-lake-${props.stage}`,
      queriesDir: props.queriesDir ?? DEFAULT_QUERIES_DIR,
    });

    const exportAs = (value: string, name: string): string =>
      this.exportValue(value, { name: `${this.stackName}:${name}` });
    this.exports = {
      bucketName: exportAs(this.lakeBucket.bucketName, 'LakeBucketName'),
      bucketArn: exportAs(this.lakeBucket.bucketArn, 'LakeBucketArn'),
      keyArn: exportAs(this.key.keyArn, 'LakeKeyArn'),
      tableName: exportAs(this.stateTable.tableName, 'StateTableName'),
      tableArn: exportAs(this.stateTable.tableArn, 'StateTableArn'),
    };
  }
}
