// The wrong-region warning: an account on another regional host answers every data call with nothing while its
// devices list shows recent activity. A window that simply holds no data (before the person's first day, or long
// after the device last synced) must not raise it; a window around the device's recent activity must.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { addDays } from '../../lambdas/core/time.ts';
import { demoUsers, type Simulator, startSimulator } from '../../sim/index.ts';
import { FAST_HTTP, loginAll, tempRuntime } from '../support/local-lake.ts';

const TODAY = '2026-11-20';
const clock = () => Date.parse(`${TODAY}T18:00:00Z`);
const CHANDRA = '1000000003';

describe('the wrong-region warning', () => {
  let sim: Simulator;
  let rt: Awaited<ReturnType<typeof tempRuntime>>;
  const chandra = demoUsers(TODAY).find((u) => u.userId === CHANDRA)!;

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [chandra], loginThrottle: false });
    rt = await tempRuntime();
    await loginAll(rt, sim);
  });
  afterAll(async () => {
    await sim?.close();
    await rt?.cleanup();
  });

  const sync = (from: string, to?: string) =>
    syncUsers(rt, { quiet: true, clock, http: FAST_HTTP, user: CHANDRA, from, to }).then((r) => r[0]!);

  it('is not raised for a window before the first day of data, where the person simply has none', async () => {
    // Prepare: the simulator's own model says January holds nothing for this person.
    expect(chandra.firstDate > '2026-01-31').toBe(true);
    const truth = sim.groundTruth(CHANDRA, { from: '2026-01-01', to: '2026-01-31' });
    expect(Object.values(truth).every((rows) => rows?.length === 0)).toBe(true);

    // Act
    const report = await sync('2026-01-01', '2026-01-31');

    // Assess: every stream answered empty, honestly; no region is suspected.
    expect(Object.values(report.streams).every((s) => s?.written === 0 && s.failed === 0)).toBe(true);
    expect(report.streams.band?.empty).toBe(31);
    expect(report.wrongRegionSuspected).toBe(false);
    expect(report.errors).toEqual([]);
    expect((await rt.state.getUser(CHANDRA))?.wrongRegionSuspected).toBe(false);
  }, 120_000);

  it('is raised when the window holds the days around the device last syncing and every call answers empty', async () => {
    sim.setFaults('wrong-region');
    try {
      const report = await sync(addDays(TODAY, -5), TODAY);
      expect(report.wrongRegionSuspected).toBe(true);
      expect(report.errors.join('\n')).toMatch(/another region/);
    } finally {
      sim.setFaults('');
    }
  }, 120_000);

  it('is not raised for an empty window that ends weeks before the device last synced', async () => {
    // Even with every call answering empty: a month without data long before the recent activity proves nothing
    // (people stop wearing a band for months). The next sync that reaches the recent days raises it, and then
    // plans from the first day again, so those `empty` days are fetched once more.
    sim.setFaults('wrong-region');
    try {
      const report = await sync('2026-07-01', '2026-07-31');
      expect(report.wrongRegionSuspected).toBe(false);
      expect(report.errors).toEqual([]);
    } finally {
      sim.setFaults('');
    }
  }, 120_000);
});
