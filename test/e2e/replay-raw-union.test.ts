// Raw never shrinks (issue 14 item 1): whatever mix of whole-month and partial syncs ran, and whatever the vendor
// answered (an empty answer from a wrong-region host included), `replay` rebuilds exactly the month objects the
// syncs wrote. First the issue's three commands through the real command line on the built-in simulator, then
// histories of syncs drawn by fast-check for both sources, each compared byte for byte with its replay.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { decodeRawRecord, encodeRawRecord } from '../../lambdas/core/raw-records.ts';
import { addDays } from '../../lambdas/core/time.ts';
import { replayUser } from '../../lambdas/engine/replay.ts';
import { exchangeCode } from '../../lambdas/sources/huami-open/client.ts';
import type { HuamiOpenTokens } from '../../lambdas/sources/registry.ts';
import { rawDecoderOf } from '../../lambdas/sources/registry.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../sim/huami-open/simulator.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { shortSimUser } from '../handlers/lambda-harness.ts';
import { runCli } from '../support/cli.ts';
import { DATA_TABLES, FAST_HTTP, lakeHashes, lakeRows, loginAll, tempRuntime } from '../support/local-lake.ts';

type Rt = Awaited<ReturnType<typeof tempRuntime>>;

/** Every month object except the ledger's (replay rebuilds the data tables only), key -> sha256. */
async function dataObjects(lakeDir: string): Promise<Map<string, string>> {
  const all = await lakeHashes(lakeDir, 'tables/');
  for (const k of [...all.keys()]) if (k.startsWith('tables/ingest_ledger/')) all.delete(k);
  return all;
}

/** Rows per data table of one user in one month (YYYY-MM). */
async function monthCounts(lakeDir: string, userId: string, month: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of DATA_TABLES) {
    out[t] = (await lakeRows(lakeDir, t, userId)).filter((r) => String(r.local_date).startsWith(month)).length;
  }
  return out;
}

describe('the issue 14 commands through the real CLI', () => {
  let rt: Rt;
  beforeAll(async () => {
    rt = await tempRuntime();
  });
  afterAll(async () => {
    await rt.cleanup();
  });

  it('sync a month, sync three days of it again, replay: the month stays whole', async () => {
    // A whole calendar month in the past that the demo person alice has data for (the CLI's simulator stands on
    // the real today): the month before last.
    const now = new Date();
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1)).toISOString().slice(0, 7);
    const last = addDays(
      `${new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 10)}`,
      -1,
    );
    const alice = '1000000001';

    const full = await runCli(rt, ['sync', '--source', 'sim', '--from', `${month}-01`, '--to', last, '--quiet']);
    expect(full.code, full.stderr).toBe(0);
    const afterFull = await monthCounts(rt.lakeDir, alice, month);
    expect(afterFull.activity_minute).toBeGreaterThan(25 * 1440);
    expect(afterFull.daily_summary).toBeGreaterThan(25);

    const narrow = await runCli(rt, [
      'sync',
      '--source',
      'sim',
      '--from',
      `${month}-10`,
      '--to',
      `${month}-12`,
      '--quiet',
    ]);
    expect(narrow.code, narrow.stderr).toBe(0);
    expect(await monthCounts(rt.lakeDir, alice, month)).toEqual(afterFull);
    const synced = await dataObjects(rt.lakeDir);

    const replay = await runCli(rt, ['replay', '--quiet']);
    expect(replay.code, replay.stderr).toBe(0);
    expect(await monthCounts(rt.lakeDir, alice, month)).toEqual(afterFull);
    expect(await dataObjects(rt.lakeDir)).toEqual(synced);
  }, 300_000);
});

// ---------------------------------------------------------------- histories of syncs, both sources

const TODAY = '2026-11-20';
const HISTORY_DAYS = 75;
const FIRST_DAY = addDays(TODAY, -HISTORY_DAYS);

/** One `zepp-lake sync` of a history: a date range (or the cursor's resume when absent), maybe from a wrong region. */
interface SyncStep {
  range?: { from: string; to: string };
  wrongRegion: boolean;
}

function describeHistory(steps: readonly SyncStep[]): string {
  return steps
    .map((s) => `${s.range ? `${s.range.from}..${s.range.to}` : 'resume'}${s.wrongRegion ? ' (wrong region)' : ''}`)
    .join(', ');
}

const dayArb = fc.integer({ min: 0, max: HISTORY_DAYS });
const rangeArb = fc.tuple(dayArb, fc.integer({ min: 0, max: 40 })).map(([start, len]) => ({
  from: addDays(FIRST_DAY, start),
  to: addDays(FIRST_DAY, Math.min(HISTORY_DAYS, start + len)),
}));

function historyArb(wrongRegion: boolean): fc.Arbitrary<SyncStep[]> {
  const step = fc.record({
    range: fc.option(rangeArb, { nil: undefined, freq: 3 }),
    // One sync in four answers from a wrong-region host (empty data) when the source has that fault.
    wrongRegion: wrongRegion ? fc.integer({ min: 0, max: 3 }).map((n) => n === 0) : fc.constant(false),
  });
  return fc.array(step, { minLength: 2, maxLength: 4 });
}

/** Runs the history on a fresh lake, then checks that replay rebuilds the very objects the syncs wrote. */
async function replayEqualsSyncs(
  steps: readonly SyncStep[],
  prepare: (rt: Rt) => Promise<string>,
  onWrongRegion: (on: boolean) => void,
): Promise<void> {
  const rt = await tempRuntime();
  try {
    const userId = await prepare(rt);
    for (const [i, s] of steps.entries()) {
      const at = Date.parse(`${TODAY}T18:00:00Z`) + i * 60_000;
      onWrongRegion(s.wrongRegion);
      try {
        await syncUsers(rt, { quiet: true, clock: () => at, http: FAST_HTTP, ...(s.range ?? {}) });
      } finally {
        onWrongRegion(false);
      }
    }
    const synced = await dataObjects(rt.lakeDir);
    expect(synced.size, describeHistory(steps)).toBeGreaterThan(0);
    const lease = { state: rt.state, owner: 'test-replay', clock: () => Date.parse(`${TODAY}T19:00:00Z`) };
    const report = await replayUser({
      decoders: rawDecoderOf,
      store: rt.store,
      codec: rt.codec,
      userId,
      lease,
    });
    expect(report.rejects, describeHistory(steps)).toEqual([]);
    expect(await dataObjects(rt.lakeDir), describeHistory(steps)).toEqual(synced);
  } finally {
    await rt.cleanup();
  }
}

/** Histories every run checks besides the drawn ones: the issue's case and the empty answers. */
const MONTH_START = '2026-10-01';
const EXAMPLES: SyncStep[][] = [
  [
    { range: { from: MONTH_START, to: '2026-10-31' }, wrongRegion: false },
    { range: { from: '2026-10-10', to: '2026-10-12' }, wrongRegion: false },
  ],
  [
    { range: { from: '2026-10-10', to: '2026-10-12' }, wrongRegion: false },
    { range: { from: MONTH_START, to: '2026-10-31' }, wrongRegion: false },
    { range: { from: '2026-10-03', to: '2026-10-20' }, wrongRegion: false },
  ],
  [{ wrongRegion: false }, { range: { from: MONTH_START, to: '2026-10-31' }, wrongRegion: true }],
  [
    { range: { from: MONTH_START, to: '2026-10-31' }, wrongRegion: false },
    { range: { from: '2026-10-10', to: '2026-10-12' }, wrongRegion: true },
    { wrongRegion: false },
  ],
];

describe('replay equals what the syncs wrote, for any history of full and partial syncs', () => {
  let zepp: Simulator;
  let huami: HuamiOpenSimulator;
  beforeAll(async () => {
    zepp = await startSimulator({
      today: TODAY,
      users: [shortSimUser(TODAY, 'hist', HISTORY_DAYS)],
      loginThrottle: false,
    });
    huami = await startHuamiOpenSimulator({
      seed: 11,
      today: TODAY,
      days: HISTORY_DAYS,
      users: [{ userId: '1000000211', tzOffsetS: 3600, device: 'amazfit' }],
    });
  });
  afterAll(async () => {
    await zepp?.close();
    await huami?.close();
  });

  it('zepp', async () => {
    const prepare = async (rt: Rt) => {
      await loginAll(rt, zepp);
      return zepp.users[0]!.userId;
    };
    await fc.assert(
      fc.asyncProperty(historyArb(true), (steps) =>
        replayEqualsSyncs(steps, prepare, (on) => zepp.setFaults(on ? 'wrong-region' : '')),
      ),
      { numRuns: 6, seed: 14, endOnFailure: true, examples: EXAMPLES.map((e) => [e]) },
    );
  }, 600_000);

  it('reads the month-named raw keys of older lakes, and keeps the rows a shrunken month-named record lost', async () => {
    const rt = await tempRuntime();
    const narrow = await tempRuntime();
    try {
      await loginAll(rt, zepp);
      await loginAll(narrow, zepp);
      const userId = zepp.users[0]!.userId;
      const clock = () => Date.parse(`${TODAY}T18:00:00Z`);
      await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP });
      const synced = await dataObjects(rt.lakeDir);
      // What a lake written before looks like: one record per endpoint and month, `<YYYY-MM>[.pN].json.gz`.
      for (const key of await rt.store.list('raw/')) {
        const legacy = key.replace(/\/(\d{4}-\d{2})\/[^/]*?(\.p\d+)?\.json\.gz$/, '/$1$2.json.gz');
        if (legacy === key) continue;
        await rt.store.put(legacy, (await rt.store.get(key))!.body);
        await rt.store.delete([key]);
      }
      expect((await rt.store.list('raw/')).filter((k) => /\/\d{4}-\d{2}\.json\.gz$/.test(k)).length).toBeGreaterThan(4);
      const lease = { state: rt.state, owner: 'test-replay', clock };
      await replayUser({
        decoders: rawDecoderOf,
        store: rt.store,
        codec: rt.codec,
        userId,
        lease,
      });
      expect(await dataObjects(rt.lakeDir)).toEqual(synced);

      // The old bug's footprint: October's month-named band record overwritten by a 1..12 October fetch.
      await syncUsers(narrow, { quiet: true, clock, http: FAST_HTTP, from: '2026-10-10', to: '2026-10-12' });
      const [narrowKey] = (await narrow.store.list('raw/zepp/band_data/')).filter((k) => k.includes('/2026-10/'));
      const monthKey = `raw/zepp/band_data/user-${userId}/2026-10.json.gz`;
      const record = decodeRawRecord((await narrow.store.get(narrowKey!))!.body, narrowKey!);
      expect(record.params).toEqual({ from: '2026-10-01', to: '2026-10-12' });
      await rt.store.put(monthKey, encodeRawRecord({ ...record, key: monthKey }));
      await replayUser({
        decoders: rawDecoderOf,
        store: rt.store,
        codec: rt.codec,
        userId,
        lease,
      });
      expect(await dataObjects(rt.lakeDir)).toEqual(synced);
    } finally {
      await rt.cleanup();
      await narrow.cleanup();
    }
  }, 300_000);

  it('huami-open', async () => {
    const user = huami.users[0]!;
    const prepare = async (rt: Rt) => {
      const redirectUri = 'http://127.0.0.1:1/callback';
      const code = huami.authorize(user.userId, { clientId: huami.clientId, redirectUri });
      const oauth = await exchangeCode(
        { code, clientId: huami.clientId, clientSecret: huami.clientSecret, redirectUri },
        { base: huami.url },
        FAST_HTTP,
      );
      const tokens: HuamiOpenTokens = {
        source: 'huami-open',
        vendorUserId: user.userId,
        host: huami.url,
        accessToken: oauth.accessToken,
        refreshToken: oauth.refreshToken,
        accessTokenExpiresAt: Date.parse(`${TODAY}T18:00:00Z`) + 30 * 86_400_000,
        clientId: huami.clientId,
        clientSecret: huami.clientSecret,
        redirectUri,
      };
      await rt.tokens.put(user.userId, tokens);
      await rt.state.putUser({
        userId: user.userId,
        source: 'huami-open',
        enabled: true,
        createdAt: 0,
        tzOffsetS: user.tzOffsetS,
      });
      return user.userId;
    };
    await fc.assert(
      fc.asyncProperty(historyArb(false), (steps) => replayEqualsSyncs(steps, prepare, () => undefined)),
      {
        numRuns: 4,
        seed: 15,
        endOnFailure: true,
        examples: EXAMPLES.filter((e) => e.every((s) => !s.wrongRegion)).map((e) => [e]),
      },
    );
  }, 600_000);
});
