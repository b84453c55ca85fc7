// Histories of full and partial syncs, and the check that replay rebuilds exactly the month objects they wrote
// (issue 14 item 1). Shared by the replay-raw-union test files, one per source, so that they run in parallel.

import fc from 'fast-check';
import { expect } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { addDays } from '../../lambdas/core/time.ts';
import { replayUser } from '../../lambdas/engine/replay.ts';
import { rawDecoderOf } from '../../lambdas/sources/registry.ts';
import { DATA_TABLES, FAST_HTTP, lakeHashes, lakeRows, tempRuntime } from './local-lake.ts';

export type Rt = Awaited<ReturnType<typeof tempRuntime>>;

/** Every month object except the ledger's (replay rebuilds the data tables only), key -> sha256. */
export async function dataObjects(lakeDir: string): Promise<Map<string, string>> {
  const all = await lakeHashes(lakeDir, 'tables/');
  for (const k of [...all.keys()]) if (k.startsWith('tables/ingest_ledger/')) all.delete(k);
  return all;
}

/** Rows per data table of one user in one month (YYYY-MM). */
export async function monthCounts(lakeDir: string, userId: string, month: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of DATA_TABLES) {
    out[t] = (await lakeRows(lakeDir, t, userId)).filter((r) => String(r.local_date).startsWith(month)).length;
  }
  return out;
}

export const TODAY = '2026-11-20';
/** From 2026-09-25: two month ends inside the history. */
export const HISTORY_DAYS = 56;
const FIRST_DAY = addDays(TODAY, -HISTORY_DAYS);

/** One `zepp-lake sync` of a history: a date range (or the cursor's resume when absent), maybe from a wrong region. */
export interface SyncStep {
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

export function historyArb(wrongRegion: boolean): fc.Arbitrary<SyncStep[]> {
  const step = fc.record({
    range: fc.option(rangeArb, { nil: undefined, freq: 3 }),
    // One sync in four answers from a wrong-region host (empty data) when the source has that fault.
    wrongRegion: wrongRegion ? fc.integer({ min: 0, max: 3 }).map((n) => n === 0) : fc.constant(false),
  });
  return fc.array(step, { minLength: 2, maxLength: 4 });
}

/** Runs the history on a fresh lake, then checks that replay rebuilds the very objects the syncs wrote. */
export async function replayEqualsSyncs(
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
    const report = await replayUser({ store: rt.store, codec: rt.codec, userId, lease, decoders: rawDecoderOf });
    expect(report.rejects, describeHistory(steps)).toEqual([]);
    expect(await dataObjects(rt.lakeDir), describeHistory(steps)).toEqual(synced);
  } finally {
    await rt.cleanup();
  }
}

/** Histories every run checks besides the drawn ones: the issue's case and the empty answers. */
const MONTH_START = '2026-10-01';
export const EXAMPLES: SyncStep[][] = [
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
