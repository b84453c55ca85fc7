// Replay killed mid-way (issue 14 item 2): `replay` runs in a process of its own (replay-child.ts) against the S3
// and DynamoDB stand-ins and is SIGKILLed before or after one of its month-object PUTs or deletes. Whatever the
// point, every month object is still there and readable, holding either its content from before the replay or
// the content the replay was building (never missing, never half); the dead replay's lease keeps a restart out
// until it expires; and the restarted replay finishes the job: the lake equals what the sync wrote.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChaosRun,
  leaseHolder,
  recordingLeaseTimes,
  sleep,
  startChaosRun,
  syncInProcess,
} from '../../chaos/child-harness.ts';
import type { ChaosEnv } from '../../chaos/scenario.ts';
import { LeaseHeldError } from '../../lambdas/core/errors.ts';
import type { StateStore } from '../../lambdas/core/ports.ts';
import { type Row, type TableName, tableDef } from '../../lambdas/core/schema-registry.ts';
import { replayUser } from '../../lambdas/engine/replay.ts';
import { rawDecoderOf } from '../../lambdas/sources/registry.ts';
import { useAwsStandIns } from '../support/aws-env.ts';
import { REPLAY_CHILD_BUNDLE } from '../support/cli-bundle.ts';
import { awsEnvironmentFor } from '../support/stand-ins.ts';
import { REPLAY_KILL_MARKER, type ReplayKillPoint } from './replay-kill-point.ts';

const SEED = 3;
const LEASE_TTL_MS = 3_000;

type Objects = Map<string, Buffer>;

async function dataObjects(run: ChaosRun): Promise<Objects> {
  const out: Objects = new Map();
  for (const key of await run.rt.store.list('tables/')) {
    if (key.startsWith('tables/ingest_ledger/') || !key.endsWith(`/user-${run.userId}.parquet`)) continue;
    const obj = await run.rt.store.get(key);
    if (obj) out.set(key, Buffer.from(obj.body));
  }
  return out;
}

/** Puts the lake's data objects back to `objects` exactly (the ledger objects are left alone). */
async function restore(run: ChaosRun, objects: Objects): Promise<void> {
  for (const [key, body] of objects) await run.rt.store.put(key, new Uint8Array(body));
  const extra = [...(await dataObjects(run)).keys()].filter((k) => !objects.has(k));
  await run.rt.store.delete(extra);
}

interface ChildResult {
  killed: boolean;
  pid: number | undefined;
  marker?: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs replay-child.ts (bundled, see cli-bundle.ts) and SIGKILLs it as soon as it prints that it reached `kill`. */
async function runReplayChild(run: ChaosRun, kill: ReplayKillPoint): Promise<ChildResult> {
  const args = [
    REPLAY_CHILD_BUNDLE,
    '--bucket',
    run.rt.bucket,
    '--table',
    run.rt.table,
    '--user',
    run.userId,
    '--clock-offset',
    String(run.clockOffsetMs),
    '--lease-ttl',
    String(LEASE_TTL_MS),
    '--kill',
    JSON.stringify(kill),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...awsEnvironmentFor(run.env.endpoints) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  let marker: string | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    stdout += `${line}\n`;
    if (marker === undefined && line.startsWith(REPLAY_KILL_MARKER)) {
      marker = line.slice(REPLAY_KILL_MARKER.length);
      child.kill('SIGKILL');
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  try {
    const { code, signal } = await exited;
    return {
      killed: marker !== undefined && signal === 'SIGKILL',
      pid: child.pid,
      marker,
      code,
      signal,
      stdout,
      stderr,
    };
  } finally {
    clearTimeout(timer);
    lines.close();
  }
}

/** Replays in-process as the restart would: refused while the dead replay's lease lasts, then to the end. */
async function restartReplay(run: ChaosRun, state: StateStore): Promise<void> {
  let refused = 0;
  for (;;) {
    try {
      await replayUser({
        decoders: rawDecoderOf,
        store: run.rt.store,
        codec: run.rt.codec,
        userId: run.userId,
        lease: { state, owner: 'replay-restart', clock: run.clock, ttlMs: LEASE_TTL_MS },
      });
      return;
    } catch (err) {
      if (!(err instanceof LeaseHeldError) || refused > 60) throw err;
      refused++;
      await sleep(250);
    }
  }
}

async function rowsOf(run: ChaosRun, key: string, body: Buffer): Promise<Row[]> {
  const table = key.split('/')[1] as TableName;
  return await run.rt.codec.read(table, new Uint8Array(body));
}

let env: ChaosEnv;
beforeAll(async () => {
  env = { endpoints: useAwsStandIns(), workDir: await mkdtemp(join(tmpdir(), 'zepp-lake-replay-crash-')) };
});
afterAll(async () => {
  if (env) await rm(env.workDir, { recursive: true, force: true });
});

describe('replay SIGKILLed at any point', () => {
  it('leaves every month object readable with its old or its new content, and a restart finishes the job', async () => {
    const run = await startChaosRun(SEED, env, { name: 'replay-crash', days: 9 });
    try {
      const sync = await syncInProcess(run);
      expect(sync.errors).toEqual([]);
      const synced = await dataObjects(run);
      const at = (table: string, month: string) => `tables/${table}/month=${month}/user-${run.userId}.parquet`;

      // A lake that replay has to change in every way it can: an object with rows missing, one with a row no
      // raw response holds, one deleted, and one holding a workout in the wrong month (no raw supports it there).
      const thinned = at('activity_minute', '2031-04');
      const padded = at('stress', '2031-05');
      const removed = at('daily_summary', '2031-04');
      const stray = at('workout', '2031-03');
      for (const k of [thinned, padded, removed]) expect(synced.has(k), k).toBe(true);
      const minutes = await rowsOf(run, thinned, synced.get(thinned)!);
      await run.rt.store.put(
        thinned,
        await run.rt.codec.write(
          'activity_minute',
          minutes.filter((_, i) => i % 2 === 0),
        ),
      );
      const stress = await rowsOf(run, padded, synced.get(padded)!);
      const bogus = { ...stress[0]!, ts: (stress[0]!.ts as number) + 1 };
      await run.rt.store.put(
        padded,
        await run.rt.codec.write(
          'stress',
          [...stress, bogus].sort((a, b) => (a.ts as number) - (b.ts as number)),
        ),
      );
      await run.rt.store.delete([removed]);
      const workouts = [...synced].filter(([k]) => k.startsWith('tables/workout/'));
      expect(workouts.length).toBeGreaterThan(0);
      const workout = (await rowsOf(run, workouts[0]![0], workouts[0]![1]))[0]!;
      expect(tableDef('workout').naturalKey).toEqual(['user_id', 'trackid']);
      await run.rt.store.put(stray, await run.rt.codec.write('workout', [{ ...workout, local_date: '2031-03-15' }]));
      const before = await dataObjects(run);

      const kills: ReplayKillPoint[] = [
        { op: 'put', when: 'before', nth: 1 },
        { op: 'put', when: 'after', nth: 1 },
        { op: 'put', when: 'after', nth: 2 },
        { op: 'put', when: 'after', nth: 3 },
        { op: 'delete', when: 'before', nth: 1 },
        { op: 'delete', when: 'after', nth: 1 },
      ];
      for (const kill of kills) {
        const what = JSON.stringify(kill);
        await restore(run, before);
        await run.rt.state.releaseLease(run.userId, 'replay-restart');

        const child = await runReplayChild(run, kill);
        expect(child.killed, `${what}: ${child.stderr}${child.stdout}`).toBe(true);
        // The dead replay left its lease behind, as a crashed sync does.
        const deadLease = await leaseHolder(run);
        expect(deadLease?.owner, what).toBe(`replay-child-${child.pid}`);

        // Right after the kill: nothing missing, nothing half-written, each object old or new.
        const now = await dataObjects(run);
        for (const key of new Set([...before.keys(), ...synced.keys()])) {
          const body = now.get(key);
          if (!body) {
            expect(before.has(key) && synced.has(key), `${what}: ${key} is missing`).toBe(false);
            continue;
          }
          await expect(rowsOf(run, key, body), `${what}: ${key} unreadable`).resolves.toBeInstanceOf(Array);
          const old = before.get(key);
          const next = synced.get(key);
          expect(
            (old !== undefined && body.equals(old)) || (next !== undefined && body.equals(next)),
            `${what}: ${key} is neither its old nor its new content`,
          ).toBe(true);
        }

        // The restart waits out the dead replay's lease (however long the checks above took on a loaded machine,
        // it gets the user only once that lease has expired), then finishes: the lake is what the sync wrote.
        const grantedAt: number[] = [];
        await restartReplay(run, recordingLeaseTimes(run.rt.state, grantedAt, []));
        expect(
          grantedAt[0],
          `${what}: the restart got the user while the dead replay's lease was valid`,
        ).toBeGreaterThan(deadLease!.expiresAt);
        const healed = await dataObjects(run);
        expect([...healed.keys()].sort(), what).toEqual([...synced.keys()].sort());
        for (const [key, body] of synced) expect(healed.get(key)?.equals(body), `${what}: ${key}`).toBe(true);
      }
    } finally {
      await run.close();
    }
  }, 600_000);
});
