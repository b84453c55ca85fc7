// At-most-once queueing of webhook notifications with Powertools for AWS Lambda's idempotency utility, its
// records kept in the state table (docs/decisions/0009-webhook-idempotency.md).
//
// queueOnce(hash, plan) --> DynamoDB: put INPROGRESS (conditional) --> enqueue --> update COMPLETED
//                                                                    \-> enqueue failed: delete the record, rethrow
//
// Item layout in the state table: pk `WEBHOOK`, sk `<function>#<md5 of the body hash>`, `status`, `ttl` (epoch
// seconds, the table's TTL attribute), `in_progress_expiration` (epoch ms). An INPROGRESS record whose
// invocation died (a crash between record and enqueue) stops counting once its in-progress expiry passes: the
// invocation's remaining time, so the vendor's next redelivery is processed and nothing is lost.

import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { NotificationSyncPlan } from '../core/notification.ts';
import { NotificationInProgressError, type QueueOnceOutcome } from '../core/notification.ts';

/** The partition of every notification record in the state table. */
export const NOTIFICATION_PK = 'WEBHOOK';
/** Huami may replay a notification; a handled one is remembered this long (DynamoDB TTL removes it afterwards). */
export const NOTIFICATION_TTL_S = 30 * 86_400;

export interface NotificationOnceOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Sends the plan's sync messages; throws when they are not all durably in the queue. */
  enqueue(hash: string, plan: NotificationSyncPlan): Promise<void>;
}

interface QueuedNotification {
  hash: string;
  plan: NotificationSyncPlan;
}

export class NotificationOnce {
  private readonly persistenceStore: DynamoDBPersistenceLayer;

  constructor(private readonly options: NotificationOnceOptions) {
    this.persistenceStore = new DynamoDBPersistenceLayer({
      tableName: options.tableName,
      awsSdkV3Client: options.client,
      keyAttr: 'pk',
      sortKeyAttr: 'sk',
      staticPkValue: NOTIFICATION_PK,
      expiryAttr: 'ttl',
    });
  }

  /**
   * Queues a notification's sync once. `context` gives the in-progress expiry (the invocation's remaining time);
   * without it an in-progress record would only expire with the whole record, 30 days later.
   */
  async queueOnce(hash: string, plan: NotificationSyncPlan, context: Context): Promise<QueueOnceOutcome> {
    const config = new IdempotencyConfig({ eventKeyJmesPath: 'hash', expiresAfterSeconds: NOTIFICATION_TTL_S });
    config.registerLambdaContext(context);
    let ran = false;
    const once = makeIdempotent(
      async (n: QueuedNotification): Promise<{ queued: true }> => {
        ran = true;
        await this.options.enqueue(n.hash, n.plan);
        return { queued: true };
      },
      { persistenceStore: this.persistenceStore, config },
    );
    try {
      await once({ hash, plan });
    } catch (err) {
      if (err instanceof IdempotencyAlreadyInProgressError) {
        throw new NotificationInProgressError('another delivery of this notification is in progress', { cause: err });
      }
      throw err;
    }
    return ran ? 'queued' : 'replay';
  }
}
