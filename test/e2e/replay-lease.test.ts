// Replay takes the same per-user lease as sync (issue 14 item 2): a replay of a user that another process syncs
// (or replays) is refused with exit 4 / LeaseHeldError and touches nothing, in local mode, with `--backend aws`,
// and in the replay Lambda; and a sync that starts while a replay runs is refused the same way.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSY_MESSAGE, syncUsers } from '../../lambdas/cli/sync-command.ts';
import type { ObjectStore } from '../../lambdas/core/ports.ts';
import { replayUser } from '../../lambdas/engine/replay.ts';
import type { LambdaRuntime } from '../../lambdas/runtime/aws-parquet.ts';
import { rawDecoderOf } from '../../lambdas/sources/registry.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import {
  cliRuntimeOver,
  type HandlerEnv,
  lambdaContext,
  setUpHandlerEnv,
  shortSimUser,
  testRuntime,
} from '../handlers/lambda-harness.ts';
import { runCli } from '../support/cli.ts';
import { FAST_HTTP, lakeHashes, loginAll, tempRuntime } from '../support/local-lake.ts';

const run = promisify(execFile);
const TODAY = '2026-11-20';
const simClock = () => Date.parse(`${TODAY}T18:00:00Z`);
/** What another process's sync holds while it runs. */
const OTHER = 'cli-sync-in-another-terminal';
const LEASE_MS = 15 * 60_000;

describe('replay and sync share the per-user lease', () => {
  let sim: Simulator;
  let h: HandlerEnv;
  let handlers: typeof import('../handlers/handler-modules.ts');
  const local = shortSimUser(TODAY, 'lease-local', 20);
  const remote = shortSimUser(TODAY, 'lease-aws', 20);

  beforeAll(async () => {
    h = await setUpHandlerEnv();
    sim = await startSimulator({ today: TODAY, users: [local, remote], loginThrottle: false });
    handlers = await import('../handlers/handler-modules.ts');
  });
  afterAll(async () => {
    await sim?.close();
    h?.aws.destroy();
    h?.sqs.destroy();
  });

  it('local mode: replay while a sync holds the user exits 4 and changes nothing; afterwards it runs', async () => {
    const rt = await tempRuntime();
    try {
      await loginAll(rt, sim, [local.userId]);
      await syncUsers(rt, { quiet: true, clock: simClock, http: FAST_HTTP });
      const before = await lakeHashes(rt.lakeDir, 'tables/');
      const [month] = [...before.keys()].filter((k) => k.startsWith('tables/activity_minute/'));
      await rt.store.delete([month!]);
      expect(await rt.state.acquireLease(local.userId, OTHER, Date.now(), LEASE_MS)).toBe(true);

      const refused = await runCli(rt, ['replay', '--user', local.userId]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain(`user ${local.userId}`);
      expect(refused.stderr).toMatch(/another sync or replay of this user is running/);
      expect((await lakeHashes(rt.lakeDir, 'tables/')).has(month!)).toBe(false);

      await rt.state.releaseLease(local.userId, OTHER);
      const replayed = await runCli(rt, ['replay', '--user', local.userId, '--quiet']);
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(await lakeHashes(rt.lakeDir, 'tables/')).toEqual(before);
    } finally {
      await rt.cleanup();
    }
  }, 120_000);

  it('a sync that starts while a replay of the user runs leaves the user alone and reports them busy', async () => {
    const rt = await tempRuntime();
    try {
      await loginAll(rt, sim, [local.userId]);
      await syncUsers(rt, { quiet: true, clock: simClock, http: FAST_HTTP });
      const [month] = (await rt.store.list('tables/daily_summary/')).filter((k) => k.includes(local.userId));
      await rt.store.delete([month!]);
      // The sync starts when the replay writes its first month object, and is awaited there.
      let syncOutcome: unknown = 'the replay wrote no month object';
      const store: ObjectStore = {
        ...rt.store,
        get: (k) => rt.store.get(k),
        list: (p) => rt.store.list(p),
        delete: (k) => rt.store.delete(k),
        async put(key, body, options) {
          if (key.startsWith('tables/daily_summary/') && typeof syncOutcome === 'string')
            syncOutcome = await syncUsers(rt, { quiet: true, clock: simClock, http: FAST_HTTP }).then(
              (reports) => reports,
              (err: unknown) => err,
            );
          return rt.store.put(key, body, options);
        },
      };
      await replayUser({
        decoders: rawDecoderOf,
        store,
        codec: rt.codec,
        userId: local.userId,
        lease: { state: rt.state, owner: 'test-replay', clock: simClock },
      });
      // The sync ran while the replay held the user: it must report them busy and write nothing for them.
      expect(syncOutcome).toEqual([
        expect.objectContaining({ userId: local.userId, busy: true, errors: [BUSY_MESSAGE] }),
      ]);
      expect(await rt.state.acquireLease(local.userId, OTHER, simClock(), LEASE_MS)).toBe(true);
    } finally {
      await rt.cleanup();
    }
  }, 120_000);

  describe('on AWS', () => {
    let rt: LambdaRuntime;
    let home: string;
    beforeAll(async () => {
      const setup = cliRuntimeOver(testRuntime(simClock));
      await loginAll(setup, sim, [remote.userId]);
      await syncUsers(setup, { quiet: true, clock: simClock, http: FAST_HTTP });
      // Leases by the real clock: DynamoDB Local drops items whose ttl has passed by it.
      rt = testRuntime(Date.now);
      home = await mkdtemp(join(tmpdir(), 'zepp-lake-replay-lease-'));
    });
    afterAll(async () => {
      if (home) await rm(home, { recursive: true, force: true });
    });

    const zeppLake = (...args: string[]) =>
      run(
        process.execPath,
        ['bin/zepp-lake.mjs', ...args, '--backend', 'aws', '--bucket', h.bucket, '--table', h.table],
        {
          env: { ...process.env, ZEPP_LAKE_HOME: home },
          timeout: 60_000,
        },
      ).then(
        (out) => ({ code: 0, ...out }),
        (err: { code?: number; stdout?: string; stderr?: string }) => ({
          code: err.code,
          stdout: err.stdout ?? '',
          stderr: err.stderr ?? '',
        }),
      );

    it('`replay --backend aws` while a sync holds the user exits 4; afterwards it runs', async () => {
      expect(await rt.state.acquireLease(remote.userId, OTHER, Date.now(), LEASE_MS)).toBe(true);
      try {
        const refused = await zeppLake('replay', '--user', remote.userId, '--quiet');
        expect(refused.code, refused.stderr).toBe(4);
        expect(refused.stderr).toMatch(/another sync or replay of this user is running/);
      } finally {
        await rt.state.releaseLease(remote.userId, OTHER);
      }
      const replayed = await zeppLake('replay', '--user', remote.userId, '--quiet');
      expect(replayed.code, replayed.stderr).toBe(0);
    }, 120_000);

    it('the replay Lambda refuses a user another worker holds, and replays once the lease is free', async () => {
      const replay = handlers.replay(rt);
      expect(await rt.state.acquireLease(remote.userId, 'sync-worker/other', Date.now(), LEASE_MS)).toBe(true);
      try {
        await expect(replay({ userId: remote.userId }, lambdaContext('replay', 60_000))).rejects.toMatchObject({
          name: 'LeaseHeldError',
        });
      } finally {
        await rt.state.releaseLease(remote.userId, 'sync-worker/other');
      }
      const out = await replay({ userId: remote.userId }, lambdaContext('replay', 60_000));
      expect(out.reports.map((r) => r.userId)).toEqual([remote.userId]);
      // The replay released its lease: a sync can take the user now.
      expect(await rt.state.acquireLease(remote.userId, 'sync-worker/next', Date.now(), LEASE_MS)).toBe(true);
      await rt.state.releaseLease(remote.userId, 'sync-worker/next');
    }, 120_000);
  });
});
