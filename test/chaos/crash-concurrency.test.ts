// The crash and concurrency scenarios, one seeded run each, with the facts each one is about: the worker process
// really died by SIGKILL at its kill point and left its lease behind; exactly one of N workers synced; the
// dispatcher's second run queued the same sync ids; duplicate deliveries were harmless; a worker whose lease
// expired under it stopped instead of breaking the new holder's run. And in every case: lost 0, duplicated 0,
// healed by the following clean run.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChaosEnv, ScenarioOutcome } from '../../chaos/scenario.ts';
import {
  concurrencyScenarios,
  dispatcherTwiceRun,
  duplicateDeliveryRun,
  leaseExpiryRun,
  parallelWorkersRun,
} from '../../chaos/scenarios/concurrency.ts';
import { type CrashScenarioName, crashRun, crashScenarios, killPointFor } from '../../chaos/scenarios/crash.ts';
import { useAwsStandIns } from '../support/aws-env.ts';

const SEED = 1;
const SLOW = 180_000;

function expectHealed(outcome: ScenarioOutcome): void {
  expect(
    { lost: outcome.lost, duplicated: outcome.duplicated, failedAfterHeal: outcome.failedAfterHeal },
    outcome.note,
  ).toEqual({ lost: 0, duplicated: 0, failedAfterHeal: 0 });
  expect(outcome.healed, outcome.note).toBe(true);
  expect(outcome.expected).toBeGreaterThan(1_000);
  expect(outcome.landed).toBe(outcome.expected);
}

let env: ChaosEnv;
beforeAll(async () => {
  env = { endpoints: useAwsStandIns(), workDir: await mkdtemp(join(tmpdir(), 'zepp-lake-crash-test-')) };
});
afterAll(async () => {
  if (env) await rm(env.workDir, { recursive: true, force: true });
});

describe('crash scenarios: the sync worker process SIGKILLed at a seeded point', () => {
  it('names every crash scenario of the table', () => {
    expect(crashScenarios.map((s) => s.name)).toEqual([
      'crash-after-raw',
      'crash-mid-lake-write',
      'crash-before-ledger',
      'crash-mid-ledger',
      'crash-before-cursor',
    ]);
    for (const s of crashScenarios) expect(s.group).toBe('crash');
  });

  // Concurrent: much of a run is a child process starting and a dead lease running out.
  for (const s of crashScenarios) {
    it.concurrent(
      `${s.name}: the child dies by SIGKILL at its point, leaves no silent gap, and the restart after the dead lease heals`,
      async ({ expect }) => {
        const kill = killPointFor(s.name as CrashScenarioName, SEED);
        const out = await crashRun(SEED, env, kill);

        expect(out.child.signal, out.child.stderr).toBe('SIGKILL');
        expect(out.child.killed).toBe(true);
        expect(out.child.marker).toBeTruthy();
        expect(out.leaseOwnerAfterKill).toBe(`sync-child-${out.child.pid}`);
        expect(out.gapsAfterKill).toEqual([]);
        expect(out.outcome.failedAfterFault).toBe(0);
        expectHealed(out.outcome);
      },
      SLOW,
    );
  }
});

describe('concurrency scenarios', () => {
  it('names every concurrency scenario of the table', () => {
    expect(concurrencyScenarios.map((s) => s.name)).toEqual([
      'concurrent-2-workers',
      'concurrent-8-workers',
      'dispatcher-twice',
      'sqs-message-twice',
      'lease-expires-mid-run',
    ]);
    for (const s of concurrencyScenarios) expect(s.group).toBe('concurrency');
  });

  for (const workers of [2, 8]) {
    it(
      `lets exactly one of ${workers} simultaneous workers sync; the others get LeaseHeldError`,
      async () => {
        const out = await parallelWorkersRun(SEED, env, workers);

        expect(out.otherErrors).toEqual([]);
        expect({ synced: out.synced, refused: out.refused }).toEqual({ synced: 1, refused: workers - 1 });
        expectHealed(out.outcome);
      },
      SLOW,
    );
  }

  it(
    'queues every message twice when the dispatcher runs twice for a slot, with the same sync ids, and the copies are harmless',
    async () => {
      const out = await dispatcherTwiceRun(SEED, env);

      expect(out.sent).toEqual([3, 3]);
      expect(out.distinctIds).toBe(3);
      for (const n of out.deliveriesPerId) expect(n).toBeGreaterThanOrEqual(2);
      expect(out.queueLeft).toBe(0);
      expectHealed(out.outcome);
    },
    SLOW,
  );

  it(
    'runs a message delivered twice in sequence twice without failing, and defers the copy that overlaps',
    async () => {
      const out = await duplicateDeliveryRun(SEED, env);

      expect(out.sequentialFailures).toBe(0);
      // Two invocations with the same batch at once: the one without the lease hands its records back.
      expect(out.overlappingFailures).toBeGreaterThan(0);
      expectHealed(out.outcome);
    },
    SLOW,
  );

  it(
    'stops a worker whose lease expired under it once another took over, and the new holder finishes cleanly',
    async () => {
      const out = await leaseExpiryRun(SEED, env);

      // Seed 1 resumes the stale worker while the new holder is mid-run: the case that used to break it.
      expect(out.mode).toBe('overlap');
      expect(out.secondEnded, out.secondError).toBe('synced');
      expect(out.secondErrors).toEqual([]);
      expect(out.firstEnded, out.firstError).toBe('LeaseHeldError');
      expectHealed(out.outcome);
    },
    SLOW,
  );
});
