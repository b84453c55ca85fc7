// Raw never shrinks (issue 14 item 1), Zepp: whatever mix of whole-month and partial syncs ran, and whatever the
// vendor answered (an empty answer from a wrong-region host included), `replay` rebuilds exactly the month objects
// the syncs wrote; and the month-named raw keys of older lakes still replay.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { decodeRawRecord, encodeRawRecord } from '../../lambdas/core/raw-records.ts';
import { replayUser } from '../../lambdas/engine/replay.ts';
import { rawDecoderOf } from '../../lambdas/sources/registry.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { shortSimUser } from '../handlers/lambda-harness.ts';
import { FAST_HTTP, loginAll, tempRuntime } from '../support/local-lake.ts';
import {
  dataObjects,
  EXAMPLES,
  HISTORY_DAYS,
  historyArb,
  type Rt,
  replayEqualsSyncs,
  TODAY,
} from '../support/replay-histories.ts';

describe('replay equals what the syncs wrote, for any history of full and partial syncs', () => {
  let zepp: Simulator;
  beforeAll(async () => {
    zepp = await startSimulator({
      today: TODAY,
      users: [shortSimUser(TODAY, 'hist', HISTORY_DAYS)],
      loginThrottle: false,
    });
  });
  afterAll(async () => {
    await zepp?.close();
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
      { numRuns: 4, seed: 14, endOnFailure: true, examples: EXAMPLES.map((e) => [e]) },
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
      await replayUser({ store: rt.store, codec: rt.codec, userId, lease, decoders: rawDecoderOf });
      expect(await dataObjects(rt.lakeDir)).toEqual(synced);

      // The old bug's footprint: October's month-named band record overwritten by a 1..12 October fetch.
      await syncUsers(narrow, { quiet: true, clock, http: FAST_HTTP, from: '2026-10-10', to: '2026-10-12' });
      const [narrowKey] = (await narrow.store.list('raw/zepp/band_data/')).filter((k) => k.includes('/2026-10/'));
      const monthKey = `raw/zepp/band_data/user-${userId}/2026-10.json.gz`;
      const record = decodeRawRecord((await narrow.store.get(narrowKey!))!.body, narrowKey!);
      expect(record.params).toEqual({ from: '2026-10-01', to: '2026-10-12' });
      await rt.store.put(monthKey, encodeRawRecord({ ...record, key: monthKey }));
      await replayUser({ store: rt.store, codec: rt.codec, userId, lease, decoders: rawDecoderOf });
      expect(await dataObjects(rt.lakeDir)).toEqual(synced);
    } finally {
      await rt.cleanup();
      await narrow.cleanup();
    }
  }, 300_000);
});
