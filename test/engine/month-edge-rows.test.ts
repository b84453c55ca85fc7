// A row keeps one place in the lake. A reading near midnight on a month's last day, fetched while the person's
// time zone change on the 1st was not known yet (a sync of that last day alone), is placed on the last day; the
// later sync that knows the change places it on the 1st, in the next month's object. The first month's object must
// not keep the old copy: found by the chaos histories (history-local-processes seed 6: nine stress readings twice,
// on March 31 and April 1).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { naturalKeyOf, type Row, tableDef } from '../../lambdas/core/schema-registry.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { shortSimUser } from '../handlers/lambda-harness.ts';
import { FAST_HTTP, lakeRows, loginAll, tempRuntime } from '../support/local-lake.ts';

const TODAY = '2026-11-04';
const at = (hhmm: string) => Date.parse(`${TODAY}T${hhmm}:00Z`);

describe('rows near a month end when the time zone changes on the 1st', () => {
  let sim: Simulator;
  // Eight hours west of UTC until October 31, seven from November 1 (summer time, a trip).
  const spec = {
    ...shortSimUser(TODAY, 'edge', 8),
    tz: [
      { from: '2025-01-01', offsetS: -28_800 },
      { from: '2026-11-01', offsetS: -25_200 },
    ],
  };

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [spec], seed: 6 });
  });
  afterAll(async () => {
    await sim.close();
  });

  /** Natural key -> local date and offset, with every key that appears more than once. */
  function placed(table: 'stress' | 'activity_minute', rows: readonly Row[]) {
    const def = tableDef(table);
    const where = new Map<string, string>();
    const twice: string[] = [];
    for (const r of rows) {
      const key = naturalKeyOf(def, r);
      if (where.has(key)) twice.push(key);
      where.set(key, `${String(r.local_date)} ${String(r.tz_offset_s)}`);
    }
    return { where: Object.fromEntries([...where].sort()), twice };
  }

  it('a sync of October 31 alone, then the scheduled sync: every stress reading once, where the vendor puts it', async () => {
    // Prepare
    const rt = await tempRuntime();
    try {
      await loginAll(rt, sim);

      // Act
      await syncUsers(rt, {
        quiet: true,
        http: FAST_HTTP,
        clock: () => at('12:00'),
        from: '2026-10-31',
        to: '2026-10-31',
      });
      await syncUsers(rt, { quiet: true, http: FAST_HTTP, clock: () => at('12:16') });

      // Assess
      const lake = placed('stress', await lakeRows(rt.lakeDir, 'stress', spec.userId));
      const truth = placed('stress', sim.groundTruth(spec.userId).stress ?? []);
      expect(Object.keys(truth.where).length).toBeGreaterThan(0);
      expect(lake.twice).toEqual([]);
      expect(lake.where).toEqual(truth.where);
    } finally {
      await rt.cleanup();
    }
  });
});
