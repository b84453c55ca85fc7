// API faults: what the vendor's servers do wrong. Each run syncs a small seeded user while the simulator
// misbehaves, then clears the fault, syncs again and measures the lake against the ground truth.

import { collectStatus } from '../../lambdas/cli/status-command.ts';
import { addDays } from '../../lambdas/core/time.ts';
import type { FaultSpec } from '../../sim/index.ts';
import {
  afterNthStep,
  CHAOS_HTTP,
  CHAOS_TODAY,
  describeSyncs,
  type FaultContext,
  faultThenHeal,
  loginChaosUser,
  revokeLoginToken,
  SLEEPING_HTTP,
  syncOnce,
} from '../harness.ts';
import type { ChaosEnv, Scenario, ScenarioOutcome } from '../scenario.ts';

const RUNS = 11;

/** Turns the simulator's faults on after the n-th durable step of the sync, so the fault starts mid-run. */
function faultMidRun(ctx: FaultContext, spec: FaultSpec, maxStep = 12) {
  const n = ctx.user.rng.int(1, maxStep);
  return { n, hook: afterNthStep(n, () => ctx.user.sim.setFaults({ seed: ctx.seed, ...spec })) };
}

function firedText(ctx: FaultContext): string {
  const fired = ctx.user.sim.stats().faults;
  const parts = Object.entries(fired).map(([k, v]) => `${k}x${v}`);
  return parts.length ? parts.join(' ') : 'no fault fired';
}

function storm429(withRetryAfter: boolean): Scenario {
  const name = withRetryAfter ? 'api-429-retry-after' : 'api-429-no-retry-after';
  return {
    name,
    group: 'api',
    description: withRetryAfter
      ? 'A storm of 429 answers with Retry-After (0.3 s) starts mid-run; some outlast the retry budget.'
      : 'A storm of 429 answers without Retry-After starts mid-run; the client backs off on its own.',
    runs: RUNS,
    run: (seed: number, env: ChaosEnv): Promise<ScenarioOutcome> => {
      return faultThenHeal({
        seed,
        env,
        tag: name,
        async fault(ctx) {
          const storm = ctx.user.rng.int(2, 7);
          const spec: FaultSpec = withRetryAfter
            ? { '429': { count: storm }, retryAfterS: 0.3 }
            : { '429': { count: storm }, 'no-retry-after': true };
          const mid = faultMidRun(ctx, spec);
          const sync = await syncOnce(ctx.user, ctx.rt, {
            http: withRetryAfter ? SLEEPING_HTTP : CHAOS_HTTP,
            afterStep: mid.hook,
          });
          const waits = sync.retries.filter((r) => r.reason === 'HTTP 429').map((r) => r.delayMs);
          const problems: string[] = [];
          if (withRetryAfter && waits.some((ms) => ms !== 300))
            problems.push(`a 429 wait ignored Retry-After: ${waits.join(',')} ms`);
          if (!withRetryAfter && waits.some((ms) => ms > (CHAOS_HTTP.maxDelayMs ?? 0)))
            problems.push(`a 429 without Retry-After waited ${Math.max(...waits)} ms`);
          const failed = await ctx.rt.state.listLedger(ctx.user.userId);
          const anyFailed = failed.some((e) => e.status === 'failed');
          // With 4 or more 429s in a row one call spends its 4 attempts: its days must be named failed.
          if (storm >= 4 && !anyFailed) problems.push(`${storm} 429s in a row left no failed day in the ledger`);
          return {
            syncs: [sync],
            note: `storm of ${storm} 429s after step ${mid.n}; ${waits.length} waits${withRetryAfter ? ' of 300 ms' : ''}; ${describeSyncs([sync])}`,
            problem: sync.thrown ? `the faulty sync threw ${sync.thrown}` : problems[0],
          };
        },
      });
    },
  };
}

function countedFault(opts: {
  name: string;
  description: string;
  spec: (ctx: FaultContext) => { spec: FaultSpec; mustFail: boolean; label: string };
  http?: typeof CHAOS_HTTP;
}): Scenario {
  return {
    name: opts.name,
    group: 'api',
    description: opts.description,
    runs: RUNS,
    run: (seed, env) => {
      return faultThenHeal({
        seed,
        env,
        tag: opts.name,
        async fault(ctx) {
          const made = opts.spec(ctx);
          const mid = faultMidRun(ctx, made.spec);
          const sync = await syncOnce(ctx.user, ctx.rt, { http: opts.http ?? CHAOS_HTTP, afterStep: mid.hook });
          const failed = (await ctx.rt.state.listLedger(ctx.user.userId)).filter(
            (e) => e.status === 'failed' || e.status === 'auth_failed',
          ).length;
          let problem: string | undefined;
          if (sync.thrown) problem = `the faulty sync threw ${sync.thrown}`;
          else if (made.mustFail && failed === 0) problem = `${made.label} left no failed day in the ledger`;
          return { syncs: [sync], note: `${made.label} after step ${mid.n} (${firedText(ctx)})`, problem };
        },
      });
    },
  };
}

const burst5xx = countedFault({
  name: 'api-5xx-burst',
  description: 'A burst of 500/502/503 answers mid-run, on top of a 5% background rate.',
  spec: (ctx) => {
    const n = ctx.user.rng.int(2, 9);
    // 4 in a row spend one call's attempts; the background rate can add to a shorter burst.
    return { spec: { '5xx': { count: n } }, mustFail: n >= 4, label: `burst of ${n} 5xx` };
  },
});

const timeouts = countedFault({
  name: 'api-timeout',
  description: 'Answers slower than the client timeout (1.5 s) mid-run; the client aborts and retries.',
  http: { ...CHAOS_HTTP, timeoutMs: 1_500 },
  spec: (ctx) => {
    const n = ctx.user.rng.int(1, 5);
    return { spec: { slow: { count: n }, slowMs: 2_500 }, mustFail: n >= 4, label: `${n} slow answers` };
  },
});

const truncated = countedFault({
  name: 'api-truncated-json',
  description: 'Bodies cut off half-way (valid HTTP, invalid JSON) mid-run.',
  spec: (ctx) => {
    const n = ctx.user.rng.int(1, 7);
    return { spec: { truncate: { count: n } }, mustFail: n >= 4, label: `${n} truncated bodies` };
  },
});

const malformed = countedFault({
  name: 'api-malformed-json',
  description: 'Valid JSON with a broken payload (a summary that is not base64 JSON, items that are not a list).',
  spec: (ctx) => {
    const n = ctx.user.rng.int(1, 3);
    return { spec: { malformed: { count: n } }, mustFail: true, label: `${n} malformed payloads` };
  },
});

const tokenExpires: Scenario = {
  name: 'api-token-expires-mid-run',
  group: 'api',
  description: 'The app token is revoked at random points of the run (legacy code 0 and REST 401); it is re-minted.',
  runs: RUNS,
  run: (seed, env) =>
    faultThenHeal({
      seed,
      env,
      tag: 'api-token-expires',
      user: { faults: { 'expire-legacy': 0.04, 'expire-rest': 0.06 } },
      async fault(ctx) {
        const before = (await ctx.rt.tokens.get(ctx.user.userId))?.appToken;
        const sync = await syncOnce(ctx.user, ctx.rt);
        const after = (await ctx.rt.tokens.get(ctx.user.userId))?.appToken;
        const fired = ctx.user.sim.stats().faults;
        const expiries = (fired['expire-legacy'] ?? 0) + (fired['expire-rest'] ?? 0);
        let problem: string | undefined;
        if (sync.thrown) problem = `the faulty sync threw ${sync.thrown}`;
        else if (expiries > 0 && after === before) problem = 'the app token expired but was never re-minted';
        return {
          syncs: [sync],
          note: `${expiries} expiries, token re-minted${sync.report?.authFailed ? '; an expiry right after a re-mint ended the run auth_failed' : ''}`,
          problem,
        };
      },
    }),
};

const loginRevoked: Scenario = {
  name: 'api-login-token-revoked',
  group: 'api',
  description: 'The login token is revoked mid-run, so re-minting fails: auth_failed until the person logs in again.',
  runs: RUNS,
  run: (seed, env) =>
    faultThenHeal({
      seed,
      env,
      tag: 'api-login-revoked',
      mustFailDays: true,
      async fault(ctx) {
        const n = ctx.user.rng.int(1, 8);
        const sync = await syncOnce(ctx.user, ctx.rt, {
          afterStep: afterNthStep(n, () => revokeLoginToken(ctx.user, ctx.rt), 'cursor'),
        });
        const status = await collectStatus(ctx.rt.state);
        const authFailed = status[0]?.streams.reduce((s, x) => s + x.authFailed, 0) ?? 0;
        let problem: string | undefined;
        if (sync.thrown) problem = `the faulty sync threw ${sync.thrown}`;
        else if (!sync.report?.authFailed) problem = 'the report does not say the login failed';
        else if (authFailed === 0) problem = 'status shows no auth_failed entry';
        return {
          syncs: [sync],
          note: `login revoked after cursor step ${n}; status shows ${authFailed} auth_failed`,
          problem,
        };
      },
      // The person logs in again (`zepp-lake login`), then the next sync fills the gap.
      beforeHeal: async (ctx) => {
        await loginChaosUser(ctx.user, ctx.rt);
      },
    }),
};

const wrongRegion: Scenario = {
  name: 'api-wrong-region',
  group: 'api',
  description:
    'The data host is the wrong region: every call answers empty while the devices list shows activity; then the right host.',
  runs: RUNS,
  run: (seed, env) =>
    faultThenHeal({
      seed,
      env,
      tag: 'api-wrong-region',
      emptyIsHonest: true,
      user: { faults: { 'wrong-region': true } },
      async fault(ctx) {
        // A person who knows roughly when they started (`sync --from`), so the empty back-fill stays short.
        const sync = await syncOnce(ctx.user, ctx.rt, { from: addDays(ctx.user.spec.firstDate, -3) });
        let problem: string | undefined;
        if (sync.thrown) problem = `the faulty sync threw ${sync.thrown}`;
        else if (!sync.report?.wrongRegionSuspected) problem = 'the report did not flag a wrong region';
        const user = await ctx.rt.state.getUser(ctx.user.userId);
        if (!problem && !user?.wrongRegionSuspected) problem = 'the user record does not keep the wrong-region flag';
        return { syncs: [sync], note: 'wrong region flagged; the next sync (right host) back-fills again', problem };
      },
    }),
};

const repeatedTrackId: Scenario = {
  name: 'api-repeated-trackid',
  group: 'api',
  description: 'Workout history comes in pages of 2-3 where each page repeats the previous page last trackid.',
  runs: RUNS,
  run: (seed, env) =>
    faultThenHeal({
      seed,
      env,
      tag: 'api-repeat-trackid',
      completeAfterFault: true,
      user: {
        tweak: (spec, rng) => ({ ...spec, workoutRate: 0.4 + rng.next() * 0.3 }),
        faults: { 'repeat-trackid': true, historyPageSize: seed % 2 === 0 ? 2 : 3 },
      },
      async fault(ctx) {
        const sync = await syncOnce(ctx.user, ctx.rt);
        const pages = ctx.user.sim.stats().requests.history ?? 0;
        const workouts = ctx.user.sim.groundTruth(ctx.user.userId).workout?.length ?? 0;
        return {
          syncs: [sync],
          note: `${workouts} workouts over ${pages} overlapping pages`,
          problem: sync.thrown ? `the faulty sync threw ${sync.thrown}` : undefined,
        };
      },
    }),
};

const emptyDay: Scenario = {
  name: 'api-empty-day',
  group: 'api',
  description: 'One to three days without any data in the middle of the data (sometimes across a month end).',
  runs: RUNS,
  run: (seed, env) => {
    let gap: string[] = [];
    return faultThenHeal({
      seed,
      env,
      tag: 'api-empty-day',
      completeAfterFault: true,
      user: {
        tweak: (spec, rng) => {
          // Some runs put the gap on the last days of the previous month, so a whole window edge is empty.
          const monthEnd = addDays(`${CHAOS_TODAY.slice(0, 7)}-01`, -1);
          const start = rng.chance(0.4) ? addDays(monthEnd, -rng.int(0, 2)) : addDays(CHAOS_TODAY, -rng.int(6, 15));
          const len = rng.int(1, 3);
          gap = Array.from({ length: len }, (_, i) => addDays(start, i)).filter((d) => d > spec.firstDate);
          return { ...spec, gapDates: gap };
        },
      },
      async fault(ctx) {
        const sync = await syncOnce(ctx.user, ctx.rt);
        const ledger = await ctx.rt.state.listLedger(ctx.user.userId, 'band');
        const notEmpty = gap.filter((d) => ledger.find((e) => e.period === d)?.status !== 'empty');
        let problem: string | undefined;
        if (sync.thrown) problem = `the faulty sync threw ${sync.thrown}`;
        else if (notEmpty.length > 0) problem = `gap day ${notEmpty[0]} is not 'empty' in the ledger`;
        return { syncs: [sync], note: `empty ${gap.join(', ')}, ledger says empty`, problem };
      },
    });
  },
};

export const apiFaultScenarios: Scenario[] = [
  storm429(true),
  storm429(false),
  burst5xx,
  timeouts,
  truncated,
  malformed,
  tokenExpires,
  loginRevoked,
  wrongRegion,
  repeatedTrackId,
  emptyDay,
];
