// Raw never shrinks (issue 14 item 1): the three commands through the real command line on the built-in
// simulator keep the month whole. The histories drawn by fast-check are in replay-raw-union-<source>.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../lambdas/core/time.ts';
import { runCli } from '../support/cli.ts';
import { tempRuntime } from '../support/local-lake.ts';
import { dataObjects, monthCounts, type Rt } from '../support/replay-histories.ts';

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
