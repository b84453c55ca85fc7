// A `zepp-lake sync` or `zepp-lake replay` of the local mode in a process of its own, for the chaos histories: the
// same functions the command line runs (syncUsers; replayUser under the user's lease for every user with raw data),
// on a home folder and lake another process may be using at the same moment, at the history's clock. With `--go`
// it says `ready` and waits for that file, so two of them start together. With `--kill` it prints one marker line
// when it reaches that point and stops dead there, holding its locks and its lease, until the parent SIGKILLs it.
//
//   node --import tsx chaos/history-child.ts --lake L --home H --op sync|replay [--user ID] [--from D] [--to D]
//        --clock MS [--go FILE] [--kill '{"at":"step","step":"lake","nth":2}' | '{"at":"put","when":"before","nth":3}']

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { syncUsers } from '../lambdas/cli/sync-command.ts';
import { LeaseHeldError } from '../lambdas/core/errors.ts';
import type { ObjectStore } from '../lambdas/core/ports.ts';
import { replayUser } from '../lambdas/engine/replay.ts';
import type { EngineStep } from '../lambdas/engine/sync-engine.ts';
import { openLocalRuntime } from '../lambdas/runtime/local.ts';
import { rawDecoderOf } from '../lambdas/sources/registry.ts';
import { CHAOS_HTTP } from './harness.ts';
import { HISTORY_DONE_MARKER, HISTORY_KILL_MARKER, type LocalKillPoint } from './histories/child-protocol.ts';

const { values } = parseArgs({
  options: {
    lake: { type: 'string' },
    home: { type: 'string' },
    op: { type: 'string' },
    user: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    clock: { type: 'string' },
    go: { type: 'string' },
    kill: { type: 'string' },
  },
});

function required(name: 'lake' | 'home' | 'op' | 'clock'): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new Error(`history-child needs --${name}`);
  return v;
}

const kill = values.kill ? (JSON.parse(values.kill) as LocalKillPoint) : undefined;
const at = Number(required('clock'));
const clock = () => at;

/** Prints the marker and never returns; the parent kills the process while it waits here. */
async function stopHere(what: string): Promise<never> {
  process.stdout.write(`${HISTORY_KILL_MARKER}${what}\n`);
  setInterval(() => undefined, 1 << 30);
  return new Promise<never>(() => undefined);
}

const rt = openLocalRuntime({ lake: required('lake'), home: required('home') });
const folder = rt.store;
let puts = 0;
const store: ObjectStore = {
  get: (key) => folder.get(key),
  list: (prefix) => folder.list(prefix),
  delete: (keys) => folder.delete(keys),
  async put(key, body, options) {
    const hit = kill?.at === 'put' && key.startsWith('tables/') && ++puts === kill.nth;
    if (hit && kill.when === 'before') await stopHere(`before PUT ${key}`);
    const out = await folder.put(key, body, options);
    if (hit && kill.when === 'after') await stopHere(`after PUT ${key}`);
    return out;
  },
};
const runtime = { ...rt, store };

let steps = 0;
async function afterStep(step: EngineStep, info: { stream: string; period: string }): Promise<void> {
  if (kill?.at !== 'step' || (kill.step !== undefined && kill.step !== step)) return;
  if (++steps === kill.nth) await stopHere(`after ${step} of ${info.stream} ${info.period}`);
}

async function sync(): Promise<unknown> {
  const reports = await syncUsers(runtime, {
    quiet: true,
    clock,
    http: CHAOS_HTTP,
    afterStep,
    ...(values.user ? { user: values.user } : {}),
    ...(values.from ? { from: values.from } : {}),
    ...(values.to ? { to: values.to } : {}),
  });
  return reports.map((r) => ({
    userId: r.userId,
    busy: r.busy === true,
    streams: Object.keys(r.streams).length,
    errors: r.errors.slice(0, 2),
  }));
}

async function replay(): Promise<unknown> {
  const users = new Set<string>();
  for (const k of await store.list('raw/')) {
    const m = /\/user-([^/]+)\//.exec(k);
    if (m?.[1]) users.add(m[1]);
  }
  const lease = { state: rt.state, owner: `history-child-replay-${process.pid}`, clock };
  const out: unknown[] = [];
  for (const userId of [...users].sort()) {
    if (values.user && values.user !== userId) continue;
    const u = await rt.state.getUser(userId);
    try {
      const r = await replayUser({
        decoders: rawDecoderOf,
        store,
        codec: rt.codec,
        userId,
        lease,
        ...(values.from ? { from: values.from } : {}),
        ...(values.to ? { to: values.to } : {}),
        ...(u?.tzOffsetS !== undefined ? { tzOffsetS: u.tzOffsetS } : {}),
      });
      out.push({ userId, rows: r.rows, rejects: r.rejects.slice(0, 2) });
    } catch (err) {
      if (!(err instanceof LeaseHeldError)) throw err;
      out.push({ userId, busy: true });
    }
  }
  return out;
}

if (values.go) {
  process.stdout.write('ready\n');
  while (!existsSync(values.go)) await new Promise((r) => setTimeout(r, 2));
}
try {
  const result = required('op') === 'replay' ? await replay() : await sync();
  process.stdout.write(`${HISTORY_DONE_MARKER}${JSON.stringify(result)}\n`);
} catch (err) {
  process.stdout.write(
    `${HISTORY_DONE_MARKER}${JSON.stringify({ threw: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })}\n`,
  );
  process.exitCode = 1;
}
