// Issue 14 item 10: sync twice, then replay, must leave the same month objects whatever the hour. The clock of
// everything (the engine and its sources, the simulator each sync starts) is pinned. 31 March: the people east of
// UTC start April, a new month, before UTC does.
//
// The second test syncs small people at every hour of the day (23:40 the day before to 00:40 the day after) and
// replays after each sync, so every instant of the day lies between two syncs, among them each person's own
// midnight and UTC's. The first drives the CLI itself (`sync --source sim`, which starts a simulator of its own)
// at the hours whose pair of syncs crosses a demo person's midnight, and the report's ~23:40 UTC run, whose
// second sync ran after UTC's midnight.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { STREAM_TABLES, type StreamName } from '../../lambdas/core/ports.ts';
import type { TableRows } from '../../lambdas/core/schema-registry.ts';
import { addDays } from '../../lambdas/core/time.ts';
import { replayUser } from '../../lambdas/engine/replay.ts';
import { rawDecoderOf } from '../../lambdas/sources/registry.ts';
import { demoUsers, type SimUserSpec, type Simulator, startSimulator } from '../../sim/index.ts';
import { runCli } from '../support/cli.ts';
import { diffAgainstTruth, FAST_HTTP, lakeHashes, loginAll, tempRuntime } from '../support/local-lake.ts';

const DAY = '2026-03-31';
/** A short window (alice's three years would take minutes a sync): the last week, around Europe's DST change. */
const FROM = addDays(DAY, -6);
/**
 * The first sync's hour: the pair crosses chandra's midnight (+5:30, 18:30 UTC: a person's day begun before
 * UTC's) and UTC's, as the report's run did. Every other hour is the second test's.
 */
const CLI_HOURS = [17, 23];
const HOUR_MS = 3_600_000;
/** Band data (the zones), one event stream and the workouts: what is placed by zone (the other event streams share stress's path). */
const CHAIN_STREAMS = 'band,stress,workouts';
const SIM_PEOPLE = ['1000000001', '1000000002', '1000000003'];

/** Every month object but the ledger's (its rows carry fetch times), by key. */
async function monthObjects(lakeDir: string): Promise<Map<string, string>> {
  const all = await lakeHashes(lakeDir, 'tables/');
  for (const key of [...all.keys()]) if (key.startsWith('tables/ingest_ledger/')) all.delete(key);
  return all;
}

function differing(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
}

describe('sync twice, then replay, at any hour (sync --source sim)', () => {
  beforeEach(() => {
    // Only Date: the HTTP calls to the simulator and the retries' timers run on the real clock.
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(CLI_HOURS)('sync at %i:40 UTC, again an hour later, then replay: the same month objects', async (hour) => {
    const rt = await tempRuntime();
    try {
      const first = Date.parse(`${DAY}T00:40:00Z`) + hour * HOUR_MS;
      for (const at of [first, first + HOUR_MS]) {
        vi.setSystemTime(at);
        const sync = await runCli(rt, [
          'sync',
          '--source',
          'sim',
          '--from',
          FROM,
          '--streams',
          'band,stress,spo2,pai,readiness',
          '--quiet',
        ]);
        expect(sync.code, `sync at ${new Date(at).toISOString()}: ${sync.stderr}${sync.stdout}`).toBe(0);
        expect(sync.stdout).not.toContain(' ! ');
      }
      const synced = await monthObjects(rt.lakeDir);
      // The three simulated people (Europe, UTC-6, +5:30) all landed, or there is nothing to compare.
      for (const user of SIM_PEOPLE) {
        expect([...synced.keys()]).toContain(`tables/activity_minute/month=2026-03/user-${user}.parquet`);
        expect([...synced.keys()]).toContain(`tables/stress/month=2026-03/user-${user}.parquet`);
      }

      const replay = await runCli(rt, ['replay', '--quiet']);
      expect(replay.code, replay.stderr).toBe(0);
      expect(replay.stdout).not.toContain(' ! ');
      expect(differing(synced, await monthObjects(rt.lakeDir))).toEqual([]);
    } finally {
      await rt.cleanup();
    }
  });
});

/** The simulator's truth for the streams synced, and none for those not synced (the lake holds none of them). */
function truthOf(sim: Simulator, userId: string): TableRows {
  const truth = { ...sim.groundTruth(userId) };
  for (const stream of Object.keys(STREAM_TABLES) as StreamName[])
    if (!CHAIN_STREAMS.split(',').includes(stream)) for (const t of STREAM_TABLES[stream]) truth[t] = [];
  return truth;
}

/** The demo people's shapes with five days of history each; the traveller flies +5:30 -> UTC-4 -> +9 (on 1 April). */
function smallPeople(): SimUserSpec[] {
  const [alice, bob, chandra] = demoUsers(DAY) as [SimUserSpec, SimUserSpec, SimUserSpec];
  const first = addDays(DAY, -4);
  const short = (spec: SimUserSpec, userId: string): SimUserSpec => ({
    ...spec,
    userId,
    email: `${userId}@example.com`,
    firstDate: first,
    devices: spec.devices.map((d) => ({ ...d, from: first })),
    gapDates: [],
    swimDates: [addDays(DAY, -3)],
  });
  return [
    short(alice, '7000000001'),
    short(bob, '7000000002'),
    {
      ...short(chandra, '7000000003'),
      tz: [
        { from: addDays(DAY, -30), offsetS: 19_800 },
        { from: addDays(DAY, -2), offsetS: -14_400 },
        { from: addDays(DAY, 1), offsetS: 32_400 },
      ],
    },
  ];
}

describe('a sync every hour of a day, each followed by replay (band, stress, workouts; small people, one flying)', () => {
  it('replay rebuilds what each sync wrote, and every row sits on its local date', async () => {
    const people = smallPeople();
    const rt = await tempRuntime();
    try {
      // From 23:40 the day before to 00:40 the day after: every hour of the day lies between two syncs.
      const start = Date.parse(`${DAY}T00:40:00Z`) - HOUR_MS;
      const instants = Array.from({ length: 26 }, (_, i) => start + i * HOUR_MS);
      const lease = { state: rt.state, owner: 'test-replay', clock: () => Date.now() };
      for (const at of instants) {
        const when = new Date(at).toISOString();
        // A simulator of its own per sync, standing at the sync's instant, as `sync --source sim` starts one.
        const sim = await startSimulator({ now: at, users: people, loginThrottle: false });
        try {
          await loginAll(rt, sim);
          const reports = await syncUsers(rt, {
            quiet: true,
            clock: () => at,
            http: FAST_HTTP,
            streams: CHAIN_STREAMS,
          });
          expect(
            reports.flatMap((r) => r.errors),
            when,
          ).toEqual([]);
          // Every row where it belongs (the right local date, so the right month), each exactly once. Soft: the
          // hours go on, so a failure shows every hour that misplaces and whether replay then differs too.
          for (const p of people)
            expect
              .soft(await diffAgainstTruth(rt.lakeDir, p.userId, truthOf(sim, p.userId)), `${when} ${p.name}`)
              .toEqual([]);
        } finally {
          await sim.close();
        }
        const synced = await monthObjects(rt.lakeDir);
        for (const p of people) {
          const r = await replayUser({
            store: rt.store,
            codec: rt.codec,
            userId: p.userId,
            lease,
            decoders: rawDecoderOf,
          });
          expect(r.rejects, when).toEqual([]);
        }
        expect(differing(synced, await monthObjects(rt.lakeDir)), `replay after the sync at ${when}`).toEqual([]);
      }
      const lake = [...(await monthObjects(rt.lakeDir)).keys()];
      for (const p of people) expect(lake).toContain(`tables/workout/month=2026-03/user-${p.userId}.parquet`);
      // April began east of UTC (alice, the traveller in Tokyo) before the last sync; not yet at UTC-6 (bob).
      for (const p of [people[0], people[2]])
        expect(lake).toContain(`tables/stress/month=2026-04/user-${p?.userId}.parquet`);
    } finally {
      await rt.cleanup();
    }
  }, 300_000);
});
