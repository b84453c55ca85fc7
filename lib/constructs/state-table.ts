// The DynamoDB state table: users, cursors, leases, ledger entries and webhook de-duplication, all under one
// pk/sk design (see lambdas/stores/dynamo-state.ts). Stateful: RETAIN and a pinned logical id.

import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { pinLogicalId } from './logical-ids.ts';

export interface StateTableProps {
  /** Customer-managed key for encryption at rest. */
  readonly encryptionKey: kms.IKey;
  /**
   * Refuse `DeleteTable` even from CloudFormation.
   * @default false
   */
  readonly deletionProtection?: boolean;
}

export class StateTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    // Table, not TableV2: TableV2 with a customer-managed key needs a concrete region at synth time, and the
    // stacks stay environment-agnostic when synthesized without credentials.
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      // Leases and webhook notification hashes carry an epoch-seconds `ttl` so DynamoDB removes them.
      timeToLiveAttribute: 'ttl',
      deletionProtection: props.deletionProtection ?? false,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pinLogicalId(this.table, 'StateTable');
  }
}
