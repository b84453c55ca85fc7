// A bounded re-fetch (`sync --from F --to T`, a webhook's window) must not move a stream's cursor over days it did
// not fetch: the plain syncs after it start from the cursor, so days between the cursor and the window would never
// be fetched. Found by the chaos histories (history-local-zepp seed 7: a first sync of four days, then the scheduled
// sync, left the person's first days out of the lake).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { eachDay } from '../../lambdas/core/time.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { shortSimUser } from '../handlers/lambda-harness.ts';
import { FAST_HTTP, lakeRows, loginAll, tempRuntime } from '../support/local-lake.ts';

const TODAY = '2026-11-20';
const at = (day: string, hhmm = '12:00') => Date.parse(`${day}T${hhmm}:00Z`);

describe('a bounded sync and the cursor', () => {
  let sim: Simulator;
  const spec = { ...shortSimUser(TODAY, 'windowed', 40), workoutRate: 0.5 };

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [spec], seed: 11 });
  });
  afterAll(async () => {
    await sim.close();
  });

  /** The lake's daily_summary days and workout trackids of the person, beside the vendor's for firstDate..today. */
  async function lakeAgainstTruth(lakeDir: string) {
    const truth = sim.groundTruth(spec.userId);
    const days = (rows: readonly Record<string, unknown>[]) =>
      [...new Set(rows.map((r) => String(r.local_date)))].sort();
    const tracks = (rows: readonly Record<string, unknown>[]) => rows.map((r) => String(r.trackid)).sort();
    return {
      lake: {
        days: days(await lakeRows(lakeDir, 'daily_summary', spec.userId)),
        workouts: tracks(await lakeRows(lakeDir, 'workout', spec.userId)),
      },
      truth: { days: days(truth.daily_summary ?? []), workouts: tracks(truth.workout ?? []) },
    };
  }

  it('a first sync of a few days, then the scheduled sync: every day from the first one on is in the lake', async () => {
    // Prepare
    const rt = await tempRuntime();
    try {
      await loginAll(rt, sim);

      // Act
      await syncUsers(rt, {
        quiet: true,
        http: FAST_HTTP,
        clock: () => at(TODAY),
        from: '2026-11-15',
        to: '2026-11-17',
      });
      await syncUsers(rt, { quiet: true, http: FAST_HTTP, clock: () => at(TODAY, '12:16') });

      // Assess
      const { lake, truth } = await lakeAgainstTruth(rt.lakeDir);
      expect(truth.days[0]).toBe(spec.firstDate);
      expect(lake).toEqual(truth);
    } finally {
      await rt.cleanup();
    }
  });

  it('a cursor weeks behind, a re-fetch of a few days in a later month, then the scheduled sync: nothing between is skipped', async () => {
    // Prepare: the last scheduled sync ran on October 20 (the laptop was off since).
    const rt = await tempRuntime();
    try {
      await loginAll(rt, sim);
      await syncUsers(rt, { quiet: true, http: FAST_HTTP, clock: () => at('2026-10-20') });
      const between = eachDay('2026-10-21', '2026-11-13');
      const truthBetween = (await lakeAgainstTruth(rt.lakeDir)).truth;
      expect(truthBetween.days.filter((d) => between.includes(d)).length).toBeGreaterThan(15);
      expect(
        (sim.groundTruth(spec.userId).workout ?? []).filter((w) => between.includes(String(w.local_date))).length,
      ).toBeGreaterThan(0);

      // Act
      await syncUsers(rt, {
        quiet: true,
        http: FAST_HTTP,
        clock: () => at(TODAY),
        from: '2026-11-15',
        to: '2026-11-17',
      });
      await syncUsers(rt, { quiet: true, http: FAST_HTTP, clock: () => at(TODAY, '12:16') });

      // Assess
      const { lake, truth } = await lakeAgainstTruth(rt.lakeDir);
      expect(lake).toEqual(truth);
    } finally {
      await rt.cleanup();
    }
  });
});
