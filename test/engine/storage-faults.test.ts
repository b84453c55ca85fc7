// Storage faults (issue 14 item 7): the lake's own store refuses a write (a month object, the ledger object, or
// the state store's ledger). The run stops that user with an error that says what could not be written, the
// cursor stays before the days that did not land, `status` names those days as failed (where the state store
// still takes the entries), and the next run with the store healthy again lands exactly the ground truth.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectStatusReport } from '../../lambdas/cli/status-command.ts';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import type { LedgerEntry, ObjectStore, StateStore, StreamName } from '../../lambdas/core/ports.ts';
import { eachDay } from '../../lambdas/core/time.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { shortSimUser } from '../handlers/lambda-harness.ts';
import { diffAgainstTruth, FAST_HTTP, loginAll, tempRuntime } from '../support/local-lake.ts';

const TODAY = '2026-11-20';
const clock = () => Date.parse(`${TODAY}T18:00:00Z`);
/** The person's history (2026-10-11 ..) gives two month windows: October, then November 1-20. */
const NOVEMBER = eachDay('2026-11-01', TODAY);

/** What the folder store's file system answers when the disk is full. */
function diskFull(path: string): Error {
  return Object.assign(new Error(`ENOSPC: no space left on device, open '${path}'`), { code: 'ENOSPC', errno: -28 });
}

interface Fault {
  active: boolean;
  hits: number;
}

/** The real folder store, refusing the puts whose key `refuses` while the fault is active. */
function refusingStore(store: ObjectStore, refuses: (key: string) => boolean, fault: Fault): ObjectStore {
  return {
    get: (k) => store.get(k),
    list: (p) => store.list(p),
    delete: (k) => store.delete(k),
    async put(key, body, options) {
      if (fault.active && refuses(key)) {
        fault.hits++;
        throw diskFull(key);
      }
      return store.put(key, body, options);
    },
  };
}

/** The real state store, refusing ledger writes that hold a November day while the fault is active. */
function refusingLedger(state: StateStore, fault: Fault): StateStore {
  return {
    getUser: (u) => state.getUser(u),
    putUser: (u) => state.putUser(u),
    deleteUser: (u) => state.deleteUser(u),
    listUsers: () => state.listUsers(),
    getCursor: (u, s) => state.getCursor(u, s),
    advanceCursor: (u, s, next, v) => state.advanceCursor(u, s, next, v),
    acquireLease: (u, o, now, ttl) => state.acquireLease(u, o, now, ttl),
    releaseLease: (u, o) => state.releaseLease(u, o),
    listLedger: (u, s) => state.listLedger(u, s),
    async putLedger(entries: readonly LedgerEntry[]) {
      if (fault.active && entries.some((e) => e.localDate >= NOVEMBER[0]!)) {
        fault.hits++;
        throw new Error('state file: EIO: i/o error, write');
      }
      return state.putLedger(entries);
    },
  };
}

interface Case {
  name: string;
  stream: StreamName;
  store?: (key: string) => boolean;
  ledgerOfState?: boolean;
  /** The state store takes the failed entries: status must name the days. */
  statusShowsFailed: boolean;
}

const CASES: Case[] = [
  {
    name: 'a month object of the band tables',
    stream: 'band',
    store: (k) => k.startsWith('tables/activity_minute/month=2026-11/'),
    statusShowsFailed: true,
  },
  {
    name: 'the ingest_ledger object',
    stream: 'band',
    store: (k) => k.startsWith('tables/ingest_ledger/month=2026-11/'),
    statusShowsFailed: true,
  },
  {
    name: 'a workout_sample month object',
    stream: 'workouts',
    store: (k) => k.startsWith('tables/workout_sample/month=2026-11/'),
    statusShowsFailed: true,
  },
  { name: "the state store's ledger", stream: 'band', ledgerOfState: true, statusShowsFailed: false },
];

describe('a store that refuses writes', () => {
  let sim: Simulator;
  const spec = shortSimUser(TODAY, 'storage', 40);

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [spec], loginThrottle: false });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it.each(
    CASES,
  )('$name: the run stops with a clear error, the days show as failed, the next run heals them', async (c) => {
    const base = await tempRuntime();
    try {
      await loginAll(base, sim);
      const fault: Fault = { active: true, hits: 0 };
      const rt = {
        ...base,
        store: c.store ? refusingStore(base.store, c.store, fault) : base.store,
        state: c.ledgerOfState ? refusingLedger(base.state, fault) : base.state,
      };

      const [stopped] = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP });
      expect(fault.hits).toBeGreaterThan(0);
      expect(stopped?.storageFailed, 'the run did not stop the user').toBe(true);
      const failed = stopped?.errors.join('\n');
      expect(failed).toMatch(c.ledgerOfState ? /EIO: i\/o error/ : /no space left on device/);
      expect(failed).toMatch(/could not be written/);
      expect(failed).toMatch(/next run/);

      // The cursor never passes a day that did not land.
      const cursor = await base.state.getCursor(spec.userId, c.stream);
      if (c.stream === 'band') expect(cursor?.through ?? '', 'band cursor').toBe('2026-10-31');
      else expect(cursor?.lastTrackId === undefined || cursor.lastTrackId * 1000 < Date.parse('2026-11-01')).toBe(true);

      const status = await collectStatusReport(base.state, { user: spec.userId, now: clock() });
      const stream = status.users[0]?.streams.find((s) => s.stream === c.stream);
      if (c.statusShowsFailed) {
        const entries = (await base.state.listLedger(spec.userId, c.stream)).filter((e) => e.status === 'failed');
        expect(entries.length).toBeGreaterThan(0);
        for (const e of entries) expect(e.error).toMatch(/no space left on device/);
        // Band data is asked through the latest date begun anywhere (UTC+14): at 18:00 UTC, 21 November.
        if (c.stream === 'band') expect(entries.map((e) => e.period).sort()).toEqual([...NOVEMBER, '2026-11-21']);
        expect(stream?.failed).toBe(entries.length);
        expect(status.users[0]?.needsAction).toBe(true);
      }
      // Nothing the store refused shows as landed.
      const written = (await base.state.listLedger(spec.userId, c.stream)).filter(
        (e) => e.status === 'written' && e.localDate >= NOVEMBER[0]!,
      );
      expect(written).toEqual([]);

      fault.active = false;
      const [healed] = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP });
      expect(healed?.errors).toEqual([]);
      const left = (await base.state.listLedger(spec.userId)).filter(
        (e) => e.status !== 'written' && e.status !== 'empty',
      );
      expect(left).toEqual([]);
      expect(await diffAgainstTruth(base.lakeDir, spec.userId, sim.groundTruth(spec.userId))).toEqual([]);
    } finally {
      await base.cleanup();
    }
  }, 180_000);
});

describe('one user whose writes the store refuses, in a run of several', () => {
  let sim: Simulator;
  const refused = shortSimUser(TODAY, 'storage-a', 40);
  const other = shortSimUser(TODAY, 'storage-b', 40);

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [refused, other], loginThrottle: false });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it("stops that user only: the others' history lands whole, and the next run heals the first", async () => {
    const base = await tempRuntime();
    try {
      await loginAll(base, sim);
      const fault: Fault = { active: true, hits: 0 };
      const mine = (k: string) => k.startsWith('tables/activity_minute/month=2026-11/') && k.includes(refused.userId);
      const rt = { ...base, store: refusingStore(base.store, mine, fault) };

      const reports = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP });
      expect(fault.hits).toBeGreaterThan(0);
      const byUser = new Map(reports.map((r) => [r.userId, r]));
      expect(byUser.get(refused.userId)?.storageFailed).toBe(true);
      expect(byUser.get(refused.userId)?.errors.join('\n')).toMatch(/no space left on device/);
      expect(byUser.get(other.userId)?.storageFailed).toBeUndefined();
      expect(byUser.get(other.userId)?.errors).toEqual([]);
      expect(await diffAgainstTruth(base.lakeDir, other.userId, sim.groundTruth(other.userId))).toEqual([]);

      fault.active = false;
      await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP });
      for (const u of [refused, other])
        expect(await diffAgainstTruth(base.lakeDir, u.userId, sim.groundTruth(u.userId))).toEqual([]);
    } finally {
      await base.cleanup();
    }
  }, 180_000);
});
