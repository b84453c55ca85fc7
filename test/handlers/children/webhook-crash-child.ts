// Runs the real webhook handler once, in a process of its own, and SIGKILLs that process at the moment the handler
// sends the sync messages: the crash between "the notification is recorded" and "its messages are queued".
// Usage: node --import tsx webhook-crash-child.ts BODY_FILE SIGNATURE REMAINING_MS
// The function's environment (table, queue, public key, stand-in endpoints) comes from the parent test.

import { readFileSync } from 'node:fs';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { PlannedMessage } from '../../../lambdas/core/sync-message.ts';
import { createWebhookHandler } from '../../../lambdas/handlers/webhook.ts';
import { SqsSyncQueue } from '../../../lambdas/stores/sqs-queue.ts';
import { functionUrlEvent } from '../../support/function-url-event.ts';
import { lambdaContext, testRuntime } from '../lambda-harness.ts';

/** A queue whose send kills the process before anything reaches SQS. */
class DyingQueue extends SqsSyncQueue {
  override async send(_planned: readonly PlannedMessage[]): Promise<number> {
    process.stdout.write('KILLED-BEFORE-ENQUEUE\n');
    process.kill(process.pid, 'SIGKILL');
    return new Promise<number>(() => {});
  }
}

const [bodyFile, signature, remainingMs] = process.argv.slice(2);
if (!bodyFile || !signature || !remainingMs)
  throw new Error('usage: webhook-crash-child BODY_FILE SIGNATURE REMAINING_MS');
const rt = testRuntime(Date.now);
const queue = new DyingQueue({ client: new SQSClient({}), queueUrl: rt.config.queueUrl });
const handler = createWebhookHandler({ ...rt, queue });
const answer = await handler(
  functionUrlEvent(readFileSync(bodyFile), { 'huami-signature': signature }),
  lambdaContext('webhook', Number(remainingMs)),
);
process.stdout.write(`ANSWERED ${JSON.stringify(answer)}\n`);
