// Crashes: the sync worker is a real process (chaos/sync-child.ts) and is SIGKILLed at a seeded point of a sync
// step. The child stops dead at the point and the parent kills it there, so every socket, half-done step and the
// user's lease are left behind exactly as a crash leaves them. Then a clean sync restarts the user: the dead
// worker's lease refuses it until the lease's TTL (short here: LEASE_TTL_MS) has passed, the restart retries as
// the queue would, and the lake is measured against the ground truth.

import { LeaseHeldError } from '../../lambdas/core/errors.ts';
import { STREAMS, type StreamName, WINDOWED_STREAMS } from '../../lambdas/core/streams.ts';
import type { SyncReport } from '../../lambdas/engine/sync-engine.ts';
import { Rng } from '../../sim/people/users.ts';
import {
  type ChaosRun,
  type ChildResult,
  describeKillPoint,
  FUTURE_TODAY,
  type KillPoint,
  leaseHolder,
  outcomeOf,
  recordingLeaseTimes,
  runSyncChild,
  SHORT_TODAY,
  sleep,
  startChaosRun,
  syncInProcess,
} from '../child-harness.ts';
import { countFailedLedger, silentGaps } from '../harness.ts';
import type { ChaosEnv, Scenario, ScenarioOutcome } from '../scenario.ts';

/** The lease of a chaos worker: short, so the restart after a kill waits seconds, not the 15 minutes of a run. */
export const LEASE_TTL_MS = 3_000;
/** How long past the dead lease's expiry the restart may still be refused before that counts as a bug. */
const EXPIRY_GRACE_MS = 5_000;
const RUNS = 5;

const WINDOWED: readonly StreamName[] = WINDOWED_STREAMS;
const ALL: readonly StreamName[] = STREAMS;

export interface CrashDetails {
  outcome: ScenarioOutcome;
  kill: KillPoint;
  child: ChildResult;
  /** Owner of the user's lease right after the kill. */
  leaseOwnerAfterKill?: string;
  /** Restart attempts refused with LeaseHeldError before the dead lease expired. */
  refusedRestarts: number;
  /** Silent gaps found right after the kill (days neither landed, nor failed, nor ahead of the cursor). */
  gapsAfterKill: string[];
}

/**
 * One crash run: a child syncs the person and is SIGKILLed at `kill`; a clean in-process sync restarts after
 * the dead lease expires; the lake is measured. The person has 9 days of history up to SHORT_TODAY (two month
 * windows per windowed stream: April 25-30 and May 1-4); for a kill between two DynamoDB ledger batches, 30 days
 * up to FUTURE_TODAY (April 28-30, and May 1-28: 28 ledger items, two BatchWriteItem calls).
 */
export async function crashRun(seed: number, env: ChaosEnv, kill: KillPoint): Promise<CrashDetails> {
  const long = kill.at === 'ledger-batch';
  const run = await startChaosRun(seed, env, {
    name: 'crash',
    days: long ? 30 : 9,
    today: long ? FUTURE_TODAY : SHORT_TODAY,
  });
  try {
    const problems: string[] = [];
    const child = await runSyncChild(run, kill, LEASE_TTL_MS);
    if (!child.killed) {
      const why = child.stderr
        .split('\n')
        .filter((l) => l.includes('sync-child'))
        .join(' ');
      problems.push(
        `the child was not killed at ${describeKillPoint(kill)} (exit ${child.code ?? child.signal}${why ? `: ${why}` : ''})`,
      );
    }
    const lease = await leaseHolder(run);
    if (child.killed && lease?.owner !== `sync-child-${child.pid}`)
      problems.push(`the dead worker's lease is not in the table (holder: ${lease?.owner ?? 'none'})`);
    const failedAfterFault = await countFailedLedger(run.rt, run.userId);
    const gapsAfterKill = await silentGaps(run.user, run.rt);
    if (gapsAfterKill.length > 0)
      problems.push(`${gapsAfterKill.length} silent gap(s) right after the kill, e.g. ${gapsAfterKill[0]}`);

    const { report, refusedRestarts } = await restartAfterDeadLease(run, { lease, killed: child.killed }, problems);
    if (report && report.errors.length > 0) problems.push(`the restart reported: ${report.errors[0]}`);
    const note = `killed ${child.marker ?? describeKillPoint(kill)}; restart refused ${refusedRestarts}x by the dead lease, then healed after its ${LEASE_TTL_MS} ms TTL`;
    return {
      outcome: await outcomeOf(run, { failedAfterFault, note, problems }),
      kill,
      child,
      leaseOwnerAfterKill: lease?.owner,
      refusedRestarts,
      gapsAfterKill,
    };
  } finally {
    await run.close();
  }
}

/**
 * The restart: refused while the dead worker's lease lasts, then a clean sync. `lease` is the lease in the table
 * after the child ended; `killed` whether the child was killed (only then is a restart inside it a problem).
 */
async function restartAfterDeadLease(
  run: ChaosRun,
  { lease, killed }: { lease: { owner: string; expiresAt: number } | undefined; killed: boolean },
  problems: string[],
): Promise<{ report?: SyncReport; refusedRestarts: number }> {
  let refusedRestarts = 0;
  // The moment the restart got the lease is the clock value its conditional put carried, not when the attempt
  // began: on a loaded machine an attempt can start before the expiry and reach DynamoDB after it.
  const leasesGotAt: number[] = [];
  const attemptsAt: number[] = [];
  const state = recordingLeaseTimes(run.rt.state, leasesGotAt, attemptsAt);
  for (;;) {
    try {
      const report = await syncInProcess(run, { leaseTtlMs: LEASE_TTL_MS, state });
      const gotAt = leasesGotAt[0];
      if (lease && killed && (gotAt === undefined || gotAt <= lease.expiresAt))
        problems.push(
          `a restart got the user while the dead worker's lease was still valid (got it at ${gotAt}, the dead lease ran to ${lease.expiresAt})`,
        );
      return { report, refusedRestarts };
    } catch (err) {
      if (!(err instanceof LeaseHeldError)) throw err;
      refusedRestarts++;
      const refusedAt = attemptsAt.at(-1) ?? run.clock();
      if (!lease || refusedAt > lease.expiresAt + EXPIRY_GRACE_MS) {
        problems.push(`the restart was still refused ${EXPIRY_GRACE_MS} ms after the dead lease expired`);
        return { refusedRestarts };
      }
      await sleep(250);
    }
  }
}

/** Where each crash scenario kills the worker, chosen by the seed. */
export const KILL_POINTS = {
  'crash-after-raw': (rng: Rng): KillPoint => {
    const stream = rng.pick(ALL);
    return { at: 'step', step: 'raw', stream, nth: stream === 'workouts' ? 1 : rng.int(1, 2) };
  },
  'crash-mid-lake-write': (rng: Rng): KillPoint => ({
    at: 'table-put',
    when: rng.pick(['before', 'after'] as const),
    stream: 'band',
    // A band window writes four month objects (minutes, days, sleep sessions, sleep stages): put 1..6 of the
    // two windows falls between two puts of one window or between two windows' writes.
    nth: rng.int(1, 6),
  }),
  'crash-before-ledger': (rng: Rng): KillPoint => ({
    at: 'step',
    step: 'lake',
    stream: rng.pick(WINDOWED),
    nth: rng.int(1, 2),
  }),
  'crash-mid-ledger': (rng: Rng): KillPoint =>
    rng.chance(0.5)
      ? { at: 'ledger-object', stream: rng.pick(WINDOWED), nth: rng.int(1, 2) }
      : // One BatchWriteItem for the April window, two (25 + 3 items) for May.
        { at: 'ledger-batch', stream: rng.pick(WINDOWED), nth: rng.int(1, 3) },
  'crash-before-cursor': (rng: Rng): KillPoint => ({
    at: 'step',
    step: rng.pick(['ledger', 'cursor'] as const),
    stream: rng.pick(WINDOWED),
    nth: rng.int(1, 2),
  }),
} as const;

export type CrashScenarioName = keyof typeof KILL_POINTS;

const DESCRIPTIONS: Record<CrashScenarioName, string> = {
  'crash-after-raw':
    "The worker process is SIGKILLed right after a window's raw responses reach raw/, before any table is written.",
  'crash-mid-lake-write':
    'The worker process is SIGKILLed between two month-object PUTs of one window (just before or just after a PUT).',
  'crash-before-ledger':
    "The worker process is SIGKILLed after a window's tables are written, before its ledger entries.",
  'crash-mid-ledger':
    'The worker process is SIGKILLed inside the ledger write: after the ingest_ledger object, or between two DynamoDB batches.',
  'crash-before-cursor':
    "The worker process is SIGKILLed after a window's ledger entries are written, before (or right after) its cursor advances.",
};

/** The kill point a crash scenario uses for a seed (the same seed, the same point). */
export function killPointFor(name: CrashScenarioName, seed: number): KillPoint {
  return KILL_POINTS[name](Rng.of('crash', name, seed));
}

function crashScenario(name: CrashScenarioName): Scenario {
  return {
    name,
    group: 'crash',
    description: DESCRIPTIONS[name],
    runs: RUNS,
    run: async (seed, env) => (await crashRun(seed, env, killPointFor(name, seed))).outcome,
  };
}

export const crashScenarios: Scenario[] = (Object.keys(KILL_POINTS) as CrashScenarioName[]).map(crashScenario);
