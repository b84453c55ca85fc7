// The engine end to end in local mode, against the simulator over real HTTP and its ground truth:
// complete, exactly once, idempotent, crash-safe, and honest about what did not land.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { STREAM_DEFS } from '../../lambdas/core/streams.ts';
import { replayUser } from '../../lambdas/engine/replay.ts';
import type { EngineStep } from '../../lambdas/engine/sync-engine.ts';
import { rawDecoderOf } from '../../lambdas/sources/registry.ts';
import { demoUsers, type SimUserSpec, type Simulator, startSimulator } from '../../sim/index.ts';
import {
  DATA_TABLES,
  diffAgainstTruth,
  FAST_HTTP,
  lakeHashes,
  lakeObjectCount,
  loginAll,
  tempRuntime,
} from '../support/local-lake.ts';

const TODAY = '2026-11-20';
const clock = () => Date.parse(`${TODAY}T18:00:00Z`);
const ALICE = '1000000001';
const BOB = '1000000002';
const CHANDRA = '1000000003';
/** The first day of the back-filled alice here (the demo's alice starts three years and 45 days back). */
const ALICE_FIRST = '2024-12-01';

/**
 * The demo people, alice from 2024-12-01 (just under two years) instead of three years and 45 days back: the
 * back-fill of that history was most of this file's time. It still spans three calendar years (the first-day probe walks
 * 2015..2026 and finds 2024), both of her devices (the switch is 540 days back, in 2025), four DST changes
 * and month objects from 24 months, so "multi-year, every row exactly once, idempotent, replayable" is
 * proven over the same kinds of boundary as before, on 37% fewer days.
 */
function testPeople(): SimUserSpec[] {
  return demoUsers(TODAY).map((u) =>
    u.userId === ALICE
      ? { ...u, firstDate: ALICE_FIRST, devices: u.devices.map((d, i) => (i === 0 ? { ...d, from: ALICE_FIRST } : d)) }
      : u,
  );
}

describe('local sync against the simulator', () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: testPeople(), loginThrottle: false });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('back-fills a multi-year account with every row exactly once, a second run changes no object, replay rebuilds the same tables', async () => {
    const rt = await tempRuntime();
    try {
      await loginAll(rt, sim, [ALICE]);
      const [report] = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP });
      expect(report?.errors).toEqual([]);
      const truth = sim.groundTruth(ALICE);
      // About 1.0 million minutes and 358 workouts over her two years (the demo's three: 1.6 million and 561).
      expect(truth.activity_minute?.length).toBeGreaterThan(900_000);
      expect(truth.workout?.length).toBeGreaterThan(300);
      expect(await diffAgainstTruth(rt.lakeDir, ALICE, truth)).toEqual([]);

      // A user-year of minute data is at most 12 objects per table (one per month).
      const user = sim.users.find((u) => u.userId === ALICE)!;
      const months = (Date.parse(user.lastDate) - Date.parse(user.firstDate)) / (30.4 * 86_400_000) + 2;
      for (const t of DATA_TABLES)
        expect(await lakeObjectCount(rt.lakeDir, t, ALICE)).toBeLessThanOrEqual(Math.ceil(months));

      const before = await lakeHashes(rt.lakeDir);
      const [again] = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP });
      expect(again?.errors).toEqual([]);
      expect(await lakeHashes(rt.lakeDir)).toEqual(before);

      const tablesBefore = await lakeHashes(rt.lakeDir, 'tables/');
      const lease = { state: rt.state, owner: 'test-replay', clock };
      const replayed = await replayUser({
        decoders: rawDecoderOf,
        store: rt.store,
        codec: rt.codec,
        userId: ALICE,
        lease,
      });
      expect(replayed.rejects).toEqual([]);
      expect(await lakeHashes(rt.lakeDir, 'tables/')).toEqual(tablesBefore);
    } finally {
      await rt.cleanup();
    }
  }, 600_000);

  it('ends identical to an uninterrupted run when killed at any step and restarted', async () => {
    const reference = await tempRuntime();
    try {
      await loginAll(reference, sim, [BOB]);
      await syncUsers(reference, { quiet: true, clock, http: FAST_HTTP });
      const expected = await lakeHashes(reference.lakeDir);
      expect(await diffAgainstTruth(reference.lakeDir, BOB, sim.groundTruth(BOB))).toEqual([]);

      // One lake killed again and again: each restart is itself killed at the next point, counted from the
      // restart, so the kills walk forward through the run (band, workouts, events; asserted below), every kind
      // of step is interrupted twice, and each restart resumes over the wreckage of all the kills before it. The
      // last restart runs to the end and must leave the uninterrupted run's lake byte for byte. Before, each
      // kill had a fresh lake and a full re-sync of bob (eight back-fills a run, most of this test's CPU); what a
      // single kill leaves behind is still left behind here, and the resume that must repair it is the same code.
      const kills: { step: EngineStep; nth: number }[] = [
        { step: 'raw', nth: 1 },
        { step: 'lake', nth: 3 },
        { step: 'ledger', nth: 5 },
        { step: 'cursor', nth: 2 },
        { step: 'lake', nth: 9 },
        { step: 'raw', nth: 14 },
        { step: 'ledger', nth: 8 },
        { step: 'cursor', nth: 4 },
      ];
      const killedIn = new Set<string>();
      const rt = await tempRuntime();
      try {
        await loginAll(rt, sim, [BOB]);
        for (const kill of kills) {
          let seen = 0;
          const killed = syncUsers(rt, {
            quiet: true,
            clock,
            http: FAST_HTTP,
            afterStep: (step, info) => {
              if (step !== kill.step || ++seen !== kill.nth) return;
              killedIn.add(STREAM_DEFS[info.stream].group);
              throw new Error(`killed after ${step} #${kill.nth}`);
            },
          });
          await expect(killed, `kill after ${kill.step} #${kill.nth}`).rejects.toThrow(/killed after/);
        }
        // The kills reached every group of streams, not only the band data that comes first.
        expect([...killedIn].sort()).toEqual(['band', 'events', 'workouts']);
        await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP });
        const actual = await lakeHashes(rt.lakeDir);
        expect([...actual.keys()]).toEqual([...expected.keys()]);
        expect(actual).toEqual(expected);
      } finally {
        await rt.cleanup();
      }
    } finally {
      await reference.cleanup();
    }
  }, 600_000);

  it('names every day that did not land in the ledger under faults, and the next clean run fills them', async () => {
    const faulty = await startSimulator({
      today: TODAY,
      users: demoUsers(TODAY).filter((u) => u.userId === CHANDRA),
      loginThrottle: false,
    });
    const rt = await tempRuntime();
    try {
      await loginAll(rt, faulty);
      faulty.setFaults('500:0.25,429:0.1,truncate:0.1,503:0.05,seed:7');
      const http = { ...FAST_HTTP, maxRetries: 1 };
      const [first] = await syncUsers(rt, { quiet: true, clock, http });
      expect(first?.errors.length).toBeGreaterThan(0);
      const ledger = await rt.state.listLedger(CHANDRA);
      const failed = ledger.filter((e) => e.status === 'failed');
      expect(failed.length).toBeGreaterThan(0);
      for (const e of failed) expect(e.error).toMatch(/\w/);

      // Nothing silently missing: every ground-truth day is in the lake or named as failed in the ledger.
      const truth = faulty.groundTruth(CHANDRA);
      const failedBand = new Set(failed.filter((e) => e.stream === 'band').map((e) => e.period));
      const landedDays = new Set(
        (await import('../support/local-lake.ts').then((m) => m.lakeRows(rt.lakeDir, 'daily_summary', CHANDRA))).map(
          (r) => r.local_date,
        ),
      );
      for (const r of truth.daily_summary ?? []) {
        const d = r.local_date as string;
        expect(landedDays.has(d) || failedBand.has(d), `day ${d} neither landed nor failed`).toBe(true);
      }

      faulty.setFaults('');
      const [clean] = await syncUsers(rt, { quiet: true, clock, http });
      expect(clean?.errors).toEqual([]);
      expect(
        (await rt.state.listLedger(CHANDRA)).filter((e) => e.status !== 'written' && e.status !== 'empty'),
      ).toEqual([]);
      expect(await diffAgainstTruth(rt.lakeDir, CHANDRA, truth)).toEqual([]);
    } finally {
      await rt.cleanup();
      await faulty.close();
    }
  }, 600_000);

  it('re-mints an expired app token from the login token and carries on', async () => {
    const rt = await tempRuntime();
    try {
      await loginAll(rt, sim, [BOB]);
      const before = (await rt.tokens.get(BOB))?.appToken;
      sim.setFaults('expire-legacy:once,expire-rest:once');
      const [report] = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP, streams: 'band,stress' });
      sim.setFaults('');
      expect(report?.authFailed).toBe(false);
      expect(report?.errors).toEqual([]);
      expect((await rt.tokens.get(BOB))?.appToken).not.toBe(before);
    } finally {
      await rt.cleanup();
    }
  }, 120_000);

  it('flags a likely wrong region when every stream is empty but a device synced recently', async () => {
    const rt = await tempRuntime();
    try {
      await loginAll(rt, sim, [BOB]);
      sim.setFaults('wrong-region');
      const [report] = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP, from: '2026-11-01' });
      sim.setFaults('');
      expect(report?.wrongRegionSuspected).toBe(true);
      expect(report?.errors.join('\n')).toMatch(/another region/);
      expect((await rt.state.getUser(BOB))?.wrongRegionSuspected).toBe(true);
    } finally {
      await rt.cleanup();
    }
  }, 120_000);
});
