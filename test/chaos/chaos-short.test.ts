// The short chaos run inside `npm test`: every scenario once, with a fixed seed, against the stand-ins the
// global setup started. The full run (`npm run chaos`) repeats each over many seeds. The crash and concurrency
// scenarios run in crash-concurrency.test.ts, with checks of their own (the SIGKILL, the lease holder).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChaosEnv } from '../../chaos/scenario.ts';
import { SCENARIOS } from '../../chaos/scenarios/index.ts';
import { useAwsStandIns } from '../support/aws-env.ts';

const SEED = 3;

/** Scenarios whose fault always makes days fail: the ledger must name them before the heal. */
const MUST_FAIL_DAYS = new Set(['api-malformed-json', 'api-login-token-revoked']);

describe('chaos scenarios, one seeded run each', () => {
  let env: ChaosEnv;
  beforeAll(async () => {
    env = { endpoints: useAwsStandIns(), workDir: await mkdtemp(join(tmpdir(), 'zepp-lake-chaos-test-')) };
  });
  afterAll(async () => {
    if (env) await rm(env.workDir, { recursive: true, force: true });
  });

  it('has unique kebab-case names', () => {
    const names = SCENARIOS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  // Concurrent: much of a run waits on the stand-ins and on Retry-After / timeout sleeps.
  for (const scenario of SCENARIOS.filter((s) => s.group === 'api' || s.group === 'storage')) {
    it.concurrent(`${scenario.name}: loses nothing, duplicates nothing and heals`, async ({ expect }) => {
      const outcome = await scenario.run(SEED, env);
      expect(outcome.note ?? '').not.toMatch(/threw/);
      expect({ lost: outcome.lost, duplicated: outcome.duplicated, healed: outcome.healed }, outcome.note).toEqual({
        lost: 0,
        duplicated: 0,
        healed: true,
      });
      expect(outcome.landed).toBe(outcome.expected);
      expect(outcome.expected).toBeGreaterThan(0);
      expect(outcome.failedAfterHeal).toBe(0);
      if (MUST_FAIL_DAYS.has(scenario.name)) expect(outcome.failedAfterFault).toBeGreaterThan(0);
    }, 240_000);
  }
});
