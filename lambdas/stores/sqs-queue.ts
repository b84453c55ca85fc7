// The sync queue in Amazon SQS: sends planned sync messages (SendMessageBatch, ten per call) and hands a message
// back with a delay (ChangeMessageVisibility). Takes its client, so tests point it at a stand-in.
//
// Each entry's batch `Id` is the message's deterministic id, and the same id goes along as the message
// attribute `syncId` (see core/sync-message.ts for why standard SQS needs it in the attributes).

import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type PlannedMessage, SYNC_ID_ATTRIBUTE } from '../core/sync-message.ts';

/** SendMessageBatch's limit per request. */
const BATCH_LIMIT = 10;
const SEND_ATTEMPTS = 3;

/** Messages SQS did not take after the retries; names the ids and SQS's codes, never a body. */
export class QueueSendError extends Error {
  constructor(
    message: string,
    readonly failedIds: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'QueueSendError';
  }
}

export interface SqsSyncQueueOptions {
  client: SQSClient;
  queueUrl: string;
}

export class SqsSyncQueue {
  constructor(private readonly options: SqsSyncQueueOptions) {}

  /** Sends every message; entries SQS refuses are sent again (twice), then QueueSendError. Returns the count sent. */
  async send(planned: readonly PlannedMessage[]): Promise<number> {
    // Batch entry ids must be unique within a request; equal ids are the same work anyway.
    const unique = [...new Map(planned.map((p) => [p.id, p])).values()];
    let sent = 0;
    for (let i = 0; i < unique.length; i += BATCH_LIMIT) {
      let pending = unique.slice(i, i + BATCH_LIMIT);
      let lastCodes: string[] = [];
      for (let attempt = 0; attempt < SEND_ATTEMPTS && pending.length > 0; attempt++) {
        const out = await this.options.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: pending.map((p) => ({
              Id: p.id,
              MessageBody: JSON.stringify(p.message),
              MessageAttributes: {
                [SYNC_ID_ATTRIBUTE]: { DataType: 'String', StringValue: p.id },
                userId: { DataType: 'String', StringValue: p.message.userId },
                reason: { DataType: 'String', StringValue: p.message.reason },
              },
            })),
          }),
        );
        sent += out.Successful?.length ?? 0;
        const failed = new Set((out.Failed ?? []).map((f) => f.Id));
        lastCodes = (out.Failed ?? []).map((f) => f.Code ?? 'unknown');
        pending = pending.filter((p) => failed.has(p.id));
      }
      if (pending.length > 0) {
        throw new QueueSendError(
          `SQS refused ${pending.length} sync message(s) after ${SEND_ATTEMPTS} attempts (${[...new Set(lastCodes)].join(', ')})`,
          pending.map((p) => p.id),
        );
      }
    }
    return sent;
  }

  /** Makes a received message visible again after `delaySeconds` (a retry later than now, sooner than the queue default). */
  async retryLater(receiptHandle: string, delaySeconds: number): Promise<void> {
    await this.options.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.options.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(delaySeconds))),
      }),
    );
  }
}
