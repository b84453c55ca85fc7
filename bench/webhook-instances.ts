// Section 5, the parent side of "10 in flight" as Lambda runs it: ten webhook instances, each a child process with
// its own handler and SDK clients (bench/webhook-instance-child.ts), each taking one request at a time; a request
// goes to whichever instance is free, as Lambda routes an invocation to an idle execution environment.

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SignedNotification } from './lambda-event.ts';
import type { InstanceReply, InstanceRequest } from './webhook-instance-child.ts';

const CHILD = fileURLToPath(new URL('./webhook-instance-child.ts', import.meta.url));
/** Requests each instance answers untimed first: the key parse, the lazy imports, the first connections. */
const WARM_UP_PER_INSTANCE = 2;

/** One request as an instance answered it. */
export interface InstanceAnswer {
  status: number;
  /** The handler's own time inside the instance (Lambda's duration). */
  ms: number;
  /** Request sent to answer received by the parent: the handler's time plus IPC. */
  seenMs: number;
  /** The AWS requests the invocation made, by operation. */
  roundTrips: Record<string, number>;
}

interface Instance {
  child: ChildProcess;
  ask(request: Omit<InstanceRequest, 'id'>): Promise<InstanceAnswer>;
}

function startInstance(): Promise<Instance> {
  const child = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  // Powertools Metrics warns on every invocation that publishes no metric (metrics are off here): not a figure.
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk
      .toString()
      .split('\n')
      .filter((l) => l.trim() && !l.includes('No application metrics to publish'))
      .join('\n');
    if (text) process.stderr.write(`${text}\n`);
  });
  let nextId = 0;
  const waiting = new Map<number, { resolve: (a: InstanceAnswer) => void; sentAt: number }>();
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`a webhook instance exited with ${code} before it was ready`)));
    child.on('message', (raw) => {
      const reply = raw as InstanceReply;
      if ('ready' in reply) {
        resolve({
          child,
          ask: (request) =>
            new Promise<InstanceAnswer>((answer) => {
              const id = nextId++;
              waiting.set(id, { resolve: answer, sentAt: performance.now() });
              child.send({ id, ...request } satisfies InstanceRequest);
            }),
        });
        return;
      }
      const w = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (reply.error !== undefined) process.stderr.write(`webhook instance: ${reply.error}\n`);
      w?.resolve({
        status: reply.status,
        ms: reply.ms,
        seenMs: performance.now() - (w?.sentAt ?? 0),
        roundTrips: reply.roundTrips,
      });
    });
  });
}

function asRequest(n: SignedNotification): Omit<InstanceRequest, 'id'> {
  return { body: n.body.toString('base64'), headers: n.headers };
}

/** Sends every notification to the first free instance; the answers in the order they came. */
async function dispatch(instances: Instance[], notifications: readonly SignedNotification[]) {
  const answers: InstanceAnswer[] = [];
  let next = 0;
  await Promise.all(
    instances.map(async (instance) => {
      for (let i = next++; i < notifications.length; i = next++) {
        answers.push(await instance.ask(asRequest(notifications[i]!)));
      }
    }),
  );
  return answers;
}

export interface InstanceRun {
  /** The answers to `timed`, each instance warmed up first with `warmUp` (untimed). */
  answers: InstanceAnswer[];
  /** Then the same `timed` notifications again (replays), through the same instances. */
  replays: InstanceAnswer[];
}

/**
 * Starts `count` instances in the current process environment (the function's), warms each one up with
 * notifications of its own, runs `timed` through them, then the same notifications again, and stops them.
 */
export async function runInInstances(
  count: number,
  warmUp: (n: number) => SignedNotification[],
  timed: readonly SignedNotification[],
): Promise<InstanceRun> {
  const instances = await Promise.all(Array.from({ length: count }, startInstance));
  try {
    await Promise.all(instances.map(async (instance) => dispatch([instance], warmUp(WARM_UP_PER_INSTANCE))));
    const answers = await dispatch(instances, timed);
    const replays = await dispatch(instances, timed);
    return { answers, replays };
  } finally {
    for (const instance of instances) instance.child.disconnect();
  }
}
