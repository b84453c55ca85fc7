// Local mode with several processes on one home folder and lake (issue 14, item 4), with real child processes:
// login-like writes, cursor and ledger writes, a lease race and If-Match writes through the racing script, then the
// real command line: two `login`s and a `users remove` at once, and two `sync --source sim` started at once, which
// must end with exit 0 or 4 and exactly the rows of one clean sync.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../lambdas/core/ports.ts';
import { addDays } from '../../lambdas/core/time.ts';
import { openLocalRuntime } from '../../lambdas/runtime/local.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { CLI_BUNDLE } from '../support/cli-bundle.ts';
import { DATA_TABLES, lakeRows } from '../support/local-lake.ts';
import { race, startLockHolder } from '../support/local-race.ts';

const SLOW = 240_000;

interface CliRun {
  code: number;
  out: string;
}

/** `zepp-lake --lake L --home H ...args` as a child process. */
function cli(dirs: { lake: string; home: string }, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_BUNDLE, '--lake', dirs.lake, '--home', dirs.home, ...args],
      { env: { ...process.env, ...env }, timeout: SLOW, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}

async function waitUntil(probe: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + SLOW;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let dir: string;
const dirsOf = (name: string) => ({ lake: join(dir, name, 'lake'), home: join(dir, name, 'home') });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zepp-lake-processes-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('racing processes on the local stores', () => {
  it.concurrent(
    'three processes writing users, tokens, cursors and ledger entries at once lose none of them',
    async ({ expect }) => {
      const { lake, home } = dirsOf('home-race');
      const names = ['p1', 'p2', 'p3'];
      const results = await race({ kind: 'home', lake, home, names, count: 20 });
      for (const r of results)
        expect({ code: r.code, result: r.result }, r.stderr).toEqual({ code: 0, result: { wrote: 20 } });

      const rt = openLocalRuntime({ lake, home });
      const expected = names.flatMap((n) => Array.from({ length: 20 }, (_, i) => `${n}-${i}`)).sort();
      expect((await rt.state.listUsers()).map((u) => u.userId)).toEqual(expected);
      expect(await rt.tokens.list()).toEqual(expected);
      for (const userId of expected) {
        expect((await rt.tokens.get(userId))?.appToken).toBe(`app-${userId}`);
        expect(await rt.state.getCursor(userId, 'band')).toMatchObject({ through: '2026-01-31', version: 1 });
        expect((await rt.state.listLedger(userId)).map((e) => e.period)).toEqual(['2026-01-31']);
      }
    },
    SLOW,
  );

  it.concurrent(
    'four processes that had all read the state before racing for one lease: exactly one gets it',
    async ({ expect }) => {
      const { lake, home } = dirsOf('lease-race');
      const results = await race({ kind: 'lease', lake, home, names: ['a', 'b', 'c', 'd'], count: 1 });
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      expect(results.filter((r) => r.result?.held === true)).toHaveLength(1);
      expect(results.filter((r) => r.result?.held === false)).toHaveLength(3);
    },
    SLOW,
  );

  it.concurrent(
    'three processes incrementing one lake object with If-Match lose no increment',
    async ({ expect }) => {
      const { lake, home } = dirsOf('cas-race');
      const results = await race({ kind: 'cas', lake, home, names: ['x', 'y', 'z'], count: 30 });
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const stored = await openLocalRuntime({ lake, home }).store.get(
        'tables/counter/month=2026-01/user-shared.parquet',
      );
      expect(new TextDecoder().decode(stored?.body)).toBe('90');
    },
    SLOW,
  );
});

describe('a process killed while it holds the home folder lock', () => {
  it(
    'blocks the others only until its lock is stale: then a write goes through and nothing is lost',
    async () => {
      const { lake, home } = dirsOf('killed-holder');
      const rt = openLocalRuntime({ lake, home });
      await rt.state.putUser({ userId: 'before', source: 'zepp', enabled: true, createdAt: 1 });
      const holder = await startLockHolder(lake, home);
      expect(await holder.kill()).toBe('SIGKILL');
      const lockDir = join(home, 'home.lock');
      expect((await stat(lockDir)).isDirectory()).toBe(true); // left behind: SIGKILL runs no clean-up

      await rt.state.putUser({ userId: 'after', source: 'zepp', enabled: true, createdAt: 2 });
      await rt.tokens.put('after', { source: 'zepp', vendorUserId: 'after', appToken: 'a' });
      const fresh = openLocalRuntime({ lake, home });
      expect((await fresh.state.listUsers()).map((u) => u.userId)).toEqual(['after', 'before']);
      expect(await fresh.tokens.list()).toEqual(['after']);
      await expect(stat(lockDir)).rejects.toMatchObject({ code: 'ENOENT' }); // taken over, then released
    },
    SLOW,
  );
});

describe('the command line in two terminals at once', () => {
  const TODAY = new Date().toISOString().slice(0, 10);
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ loginThrottle: false });
  });
  afterAll(() => sim?.close());

  it(
    'two logins and a users remove at once keep both new users and their tokens, and remove only the one named',
    async () => {
      const dirs = dirsOf('logins');
      const [alice, bob, chandra] = sim.users;
      if (!alice || !bob || !chandra) throw new Error('the simulator has three demo users');
      const login = (u: typeof alice) =>
        cli(dirs, ['login', '--email', u.email, '--host', sim.url], { ZEPP_LAKE_PASSWORD: u.password });
      expect((await login(chandra)).code).toBe(0);

      const runs = await Promise.all([login(alice), login(bob), cli(dirs, ['users', 'remove', chandra.userId])]);
      for (const r of runs) expect(r.code, r.out).toBe(0);

      const rt = openLocalRuntime(dirs);
      expect((await rt.state.listUsers()).map((u) => u.userId)).toEqual([alice.userId, bob.userId].sort());
      expect(await rt.tokens.list()).toEqual([alice.userId, bob.userId].sort());
      for (const u of [alice, bob]) expect((await rt.tokens.get(u.userId))?.appToken).toBeTruthy();
    },
    SLOW,
  );

  describe('two `sync --source sim` on one home and lake', () => {
    // Two months: long enough that two processes overlap for many seconds, short enough for a 2-core machine.
    const window = ['--from', addDays(TODAY, -61), '--to', addDays(TODAY, -2)];
    const sync = (dirs: { lake: string; home: string }) => cli(dirs, ['sync', '--source', 'sim', '--quiet', ...window]);
    let single: { lake: string; home: string };
    let users: string[];

    beforeAll(async () => {
      single = dirsOf('single-sync');
      const clean = await sync(single);
      if (clean.code !== 0) throw new Error(`the reference sync failed: ${clean.out}`);
      users = (await openLocalRuntime(single).state.listUsers()).map((u) => u.userId);
    }, SLOW);

    const ledgerOf = (entries: LedgerEntry[]) => entries.map((e) => `${e.stream} ${e.period} ${e.status} ${e.rows}`);

    /** The shared lake and state hold exactly what the single clean sync wrote: every row, every ledger entry. */
    async function expectOneCleanSync(shared: { lake: string; home: string }): Promise<void> {
      const reference = openLocalRuntime(single);
      const result = openLocalRuntime(shared);
      expect(users).toHaveLength(3);
      expect((await result.state.listUsers()).map((u) => u.userId)).toEqual(users);
      for (const userId of users) {
        const expectedLedger = ledgerOf(await reference.state.listLedger(userId));
        expect(expectedLedger.length).toBeGreaterThan(100);
        expect(expectedLedger.filter((l) => l.includes(' failed ') || l.includes(' auth_failed '))).toEqual([]);
        expect(ledgerOf(await result.state.listLedger(userId)), `ledger of ${userId}`).toEqual(expectedLedger);
        for (const table of DATA_TABLES) {
          const expectedRows = await lakeRows(single.lake, table, userId);
          const rows = await lakeRows(shared.lake, table, userId);
          expect(rows.length, `${table} rows of ${userId}`).toBe(expectedRows.length);
          expect(rows, `${table} of ${userId}`).toEqual(expectedRows);
        }
      }
      expect((await lakeRows(shared.lake, 'activity_minute', users[0] as string)).length).toBeGreaterThan(10_000);
    }

    /** Exit 4 exactly when a run left a user to the other process, and it says so. */
    function expectBusyNamed(runs: readonly CliRun[]): void {
      for (const r of runs) {
        expect(r.out.includes('another zepp-lake process is syncing this user now'), r.out).toBe(r.code === 4);
      }
    }

    it(
      'started at once: both end with exit 0 or 4, and the lake and ledger are exactly one clean sync',
      async () => {
        const shared = dirsOf('two-syncs');
        const both = await Promise.all([sync(shared), sync(shared)]);
        for (const r of both) expect([0, 4], r.out).toContain(r.code);
        await expectOneCleanSync(shared);
        expectBusyNamed(both);
      },
      SLOW,
    );

    it(
      'the second started while the first holds a lease: nothing the first fetches after the second ends is lost',
      async () => {
        const shared = dirsOf('staggered-syncs');
        const first = sync(shared);
        // The first process has logged its people in and holds a user's lease when the second one starts.
        const stateFile = join(shared.home, 'state.json');
        await waitUntil(async () => {
          const text = await readFile(stateFile, 'utf8').catch(() => '');
          try {
            return Object.keys((JSON.parse(text) as { leases?: object }).leases ?? {}).length > 0;
          } catch {
            return false; // not written yet
          }
        }, 'the first sync to take a lease');
        const second = await sync(shared);
        const runs = [await first, second];
        for (const r of runs) expect([0, 4], r.out).toContain(r.code);
        await expectOneCleanSync(shared);
        expectBusyNamed(runs);
      },
      SLOW,
    );
  });
});
