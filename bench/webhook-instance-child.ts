// Section 5, one webhook instance: a child process of its own, as Lambda gives each concurrent invocation an
// execution environment of its own (its own handler, SDK clients and connections), taking one request at a time.
// The parent (bench/webhook.ts) sets the function environment (stand-in endpoints, table, queue, public key) and
// sends requests over IPC; the instance answers each with its status, the handler's time (what Lambda bills as
// the duration) and the AWS round trips the request made, by operation.
//
// Started with `node --import tsx bench/webhook-instance-child.ts` through child_process.fork.

import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { functionUrlEvent, lambdaContext, type WebhookHandler } from './lambda-event.ts';

/** What the parent sends: one notification, its body base64-encoded. */
export interface InstanceRequest {
  id: number;
  body: string;
  headers: Record<string, string>;
}

/** What the instance answers: `ready` once its handler is imported, then one reply per request. */
export type InstanceReply =
  | { ready: true }
  | { id: number; status: number; ms: number; roundTrips: Record<string, number>; error?: string };

/** The AWS operation of an SDK request: the JSON protocols' X-Amz-Target, else method and host (S3). */
function operationOf(request: ClientRequest): string {
  const target = request.getHeader('x-amz-target');
  if (typeof target === 'string') return target.replace(/^.*\./, '');
  return `${request.method} ${request.host}`;
}

let roundTrips: Record<string, number> = {};
subscribe('http.client.request.start', (message) => {
  const op = operationOf((message as { request: ClientRequest }).request);
  roundTrips[op] = (roundTrips[op] ?? 0) + 1;
});

function reply(message: InstanceReply): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  // The handler module wires itself from the function environment at import, as in Lambda.
  const { handler } = (await import('../lambdas/handlers/webhook.ts')) as unknown as { handler: WebhookHandler };
  process.on('message', (raw) => {
    const req = raw as InstanceRequest;
    roundTrips = {};
    const t0 = performance.now();
    handler(functionUrlEvent(Buffer.from(req.body, 'base64'), req.headers), lambdaContext())
      .then((r) => ({ status: r.statusCode ?? 500 }))
      .catch((err: unknown) => ({ status: 500, error: err instanceof Error ? err.name : String(err) }))
      .then((r) => reply({ id: req.id, ms: performance.now() - t0, roundTrips, ...r }));
  });
  // Nothing else keeps an instance alive: the parent disconnects when it is done.
  process.on('disconnect', () => process.exit(0));
  reply({ ready: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`webhook instance failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
