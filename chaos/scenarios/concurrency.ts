// Concurrency: more than one worker for the same person at once. The per-user lease must let exactly one of
// them sync while the others back off; the dispatcher may run twice for one schedule slot and SQS may deliver a
// message twice (standard queues are at-least-once); a lease may expire while its holder still runs. Whatever
// the order, the lake ends with every row exactly once.

import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { LeaseHeldError } from '../../lambdas/core/errors.ts';
import type { StateStore } from '../../lambdas/core/ports.ts';
import { planScheduledMessages } from '../../lambdas/core/sync-message.ts';
import type { EngineStep, SyncReport } from '../../lambdas/engine/sync-engine.ts';
import { Rng } from '../../sim/people/users.ts';
import {
  type ChaosRun,
  drain,
  handlers,
  lambdaContext,
  leaseHolder,
  openQueueWorld,
  outcomeOf,
  queueDepth,
  receiveRecords,
  recordingLeaseTimes,
  settle,
  sleep,
  startChaosRun,
  syncInProcess,
} from '../child-harness.ts';
import { CHAOS_HTTP, countFailedLedger } from '../harness.ts';
import type { ChaosEnv, Scenario, ScenarioOutcome } from '../scenario.ts';

const RUNS = 6;

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : String(err);
}

function errorLine(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** The clean sync every scenario ends with, as the next scheduled run would. */
async function healingRun(run: ChaosRun, problems: string[]): Promise<void> {
  const report = await syncInProcess(run);
  if (report.errors.length > 0) problems.push(`the healing sync reported: ${report.errors[0]}`);
}

async function withRun<T>(
  seed: number,
  env: ChaosEnv,
  name: string,
  body: (run: ChaosRun, rng: Rng) => Promise<T>,
): Promise<T> {
  const run = await startChaosRun(seed, env, { name });
  try {
    return await body(run, Rng.of('concurrency', name, seed));
  } finally {
    await run.close();
  }
}

// ---------------------------------------------------------------- N workers for one person at once

export interface ParallelDetails {
  outcome: ScenarioOutcome;
  /** Workers whose sync ran (held the lease). */
  synced: number;
  /** Workers refused with LeaseHeldError. */
  refused: number;
  /** Anything else the workers threw. */
  otherErrors: string[];
}

/**
 * `workers` engines with different lease owners start the same person's sync at once (seeded start offsets of
 * 0-30 ms). The first to hold the lease waits at its first durable step until every other worker has given up,
 * so "exactly one ran" does not depend on how fast the winner is.
 */
export async function parallelWorkersRun(seed: number, env: ChaosEnv, workers: number): Promise<ParallelDetails> {
  return withRun(seed, env, `parallel-${workers}`, async (run, rng) => {
    const problems: string[] = [];
    const offsets = Array.from({ length: workers }, () => rng.int(0, 30));
    const runs: Promise<SyncReport>[] = [];
    let holding = 0;
    for (const [i, offset] of offsets.entries()) {
      let waited = false;
      runs.push(
        sleep(offset).then(() =>
          syncInProcess(run, {
            leaseOwner: `parallel-${i}-${randomUUID().slice(0, 6)}`,
            async afterStep() {
              if (waited) return;
              waited = true;
              holding++;
              if (holding > 1) problems.push('two workers were past the lease at the same time');
              // Bounded, so two winners (a broken lease) show up as a problem instead of a deadlock.
              const others = runs.filter((_, j) => j !== i);
              await Promise.race([Promise.allSettled(others), sleep(60_000)]);
            },
          }),
        ),
      );
    }
    const settled = await Promise.allSettled(runs);
    const synced = settled.filter((s) => s.status === 'fulfilled').length;
    const rejected = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    const refused = rejected.filter((e) => e instanceof LeaseHeldError).length;
    const otherErrors = rejected.filter((e) => !(e instanceof LeaseHeldError)).map(errorLine);
    if (synced !== 1) problems.push(`${synced} of ${workers} workers synced (expected exactly one)`);
    if (otherErrors.length > 0) problems.push(`a worker threw ${otherErrors[0]}`);
    for (const s of settled) {
      if (s.status === 'fulfilled' && s.value.errors.length > 0)
        problems.push(`the syncing worker reported: ${s.value.errors[0]}`);
    }
    const lease = await leaseHolder(run);
    if (lease) problems.push(`the lease is still held by ${lease.owner} after every worker ended`);
    const failedAfterFault = await countFailedLedger(run.rt, run.userId);
    await healingRun(run, problems);
    const note = `${workers} workers at once: ${synced} synced, ${refused} refused with LeaseHeldError`;
    return { outcome: await outcomeOf(run, { failedAfterFault, note, problems }), synced, refused, otherErrors };
  });
}

// ---------------------------------------------------------------- the dispatcher twice for one slot

export interface DispatcherDetails {
  outcome: ScenarioOutcome;
  /** Messages each dispatcher run sent. */
  sent: number[];
  /** Every delivered message's syncId, and how often each id was delivered in total. */
  deliveriesPerId: number[];
  distinctIds: number;
  deferred: number;
  queueLeft: number;
}

/**
 * The scheduler runs the dispatcher twice for the same scheduled time (a retried invocation), one after the
 * other or both at once (seeded). Standard SQS keeps both copies; two pollers then drain the queue through the
 * sync-worker handler. The copies carry the same syncIds and the second copy of each is a cheap re-check.
 */
export async function dispatcherTwiceRun(seed: number, env: ChaosEnv): Promise<DispatcherDetails> {
  return withRun(seed, env, 'dispatcher-twice', async (run, rng) => {
    const problems: string[] = [];
    const q = await openQueueWorld(run);
    try {
      const { dispatcher, syncWorker } = await handlers();
      const dispatch = dispatcher.createDispatcherHandler(q.rt);
      const event = { trigger: 'schedule', job: 'sync', scheduledTime: `${run.today}T18:00:00Z` };
      const overlap = rng.chance(0.5);
      const invoke = () => dispatch(event, lambdaContext('dispatcher')) as Promise<{ messages: number }>;
      const results = overlap ? await Promise.all([invoke(), invoke()]) : [await invoke(), await invoke()];
      const sent = results.map((r) => r.messages);
      const worker = syncWorker.createSyncWorkerHandler(q.rt, { http: CHAOS_HTTP });
      const batchSize = rng.int(1, 3);
      const drained = await drain(q, (e, c) => worker(e, c) as ReturnType<typeof worker>, { pollers: 2, batchSize });
      const copies = sent.reduce((a, b) => a + b, 0);
      // Deliveries per syncId: both copies, plus a redelivery for each time a copy was deferred.
      const perId = new Map<string, number>();
      for (const id of drained.delivered) perId.set(id, (perId.get(id) ?? 0) + 1);
      const queueLeft = await queueDepth(q);
      if (sent.some((n) => n !== 3)) problems.push(`a dispatcher run sent ${sent.join(' and ')} messages (expected 3)`);
      if (perId.size !== 3) problems.push(`${perId.size} distinct syncIds were delivered (expected 3: one per group)`);
      if (drained.delivered.length - drained.failures !== copies)
        problems.push(`${drained.delivered.length - drained.failures} deliveries succeeded for ${copies} messages`);
      if (queueLeft !== 0) problems.push(`${queueLeft} message(s) left in the queue`);
      const failedAfterFault = await countFailedLedger(run.rt, run.userId);
      await healingRun(run, problems);
      const note = `dispatcher twice for one slot (${overlap ? 'at once' : 'one after the other'}): ${copies} messages, ${perId.size} syncIds, ${drained.invocations} worker invocations (batch ${batchSize}), ${drained.failures} deferred`;
      return {
        outcome: await outcomeOf(run, { failedAfterFault, note, problems }),
        sent,
        deliveriesPerId: [...perId.values()],
        distinctIds: perId.size,
        deferred: drained.failures,
        queueLeft,
      };
    } finally {
      q.destroy();
    }
  });
}

// ---------------------------------------------------------------- one SQS message delivered twice

export interface DuplicateDeliveryDetails {
  outcome: ScenarioOutcome;
  /** Batch item failures when each record was delivered twice, one delivery after the other. */
  sequentialFailures: number;
  /** Batch item failures when the same batch reached two workers at once (then redelivered until done). */
  overlappingFailures: number;
  overlappingRounds: number;
}

/**
 * The sync-worker handler gets the same SQS records twice: one delivery after the other, and two invocations at
 * once with the same batch (the order of the two passes is seeded). Failed items are redelivered until none
 * fail, as the event source mapping would.
 */
export async function duplicateDeliveryRun(seed: number, env: ChaosEnv): Promise<DuplicateDeliveryDetails> {
  return withRun(seed, env, 'sqs-twice', async (run, rng) => {
    const problems: string[] = [];
    const q = await openQueueWorld(run);
    try {
      const { syncWorker } = await handlers();
      const worker = syncWorker.createSyncWorkerHandler(q.rt, { http: CHAOS_HTTP });
      const user = await run.rt.state.getUser(run.userId);
      if (!user) throw new Error('the run has no user');
      await q.rt.queue.send(planScheduledMessages([user], `${run.today}T18:00:00Z`));
      const records: SQSRecord[] = [];
      for (let i = 0; i < 10 && records.length < 3; i++) records.push(...(await receiveRecords(q, 10)));
      if (records.length !== 3) problems.push(`received ${records.length} of the 3 messages`);

      const overlapFirst = rng.chance(0.5);
      let sequentialFailures = 0;
      let atOnce: { failures: number; rounds: number };
      if (overlapFirst) {
        atOnce = await deliverTwiceAtOnce(worker, records, problems);
        sequentialFailures = await deliverTwiceInSequence(worker, records);
      } else {
        sequentialFailures = await deliverTwiceInSequence(worker, records);
        atOnce = await deliverTwiceAtOnce(worker, records, problems);
      }
      if (sequentialFailures > 0)
        problems.push(`${sequentialFailures} delivery(ies) failed when each message came twice in sequence`);
      await settle(q, records, undefined);
      const failedAfterFault = await countFailedLedger(run.rt, run.userId);
      await healingRun(run, problems);
      const note = `3 messages each delivered twice in sequence (${sequentialFailures} failed) and twice at once (${atOnce.failures} deferred, done in ${atOnce.rounds} rounds), ${overlapFirst ? 'at once first' : 'in sequence first'}`;
      return {
        outcome: await outcomeOf(run, { failedAfterFault, note, problems }),
        sequentialFailures,
        overlappingFailures: atOnce.failures,
        overlappingRounds: atOnce.rounds,
      };
    } finally {
      q.destroy();
    }
  });
}

type SyncWorkerHandler = ReturnType<Awaited<ReturnType<typeof handlers>>['syncWorker']['createSyncWorkerHandler']>;

/** Each record delivered twice, one invocation after the other; gives the number of failed items. */
async function deliverTwiceInSequence(worker: SyncWorkerHandler, records: readonly SQSRecord[]): Promise<number> {
  let failures = 0;
  for (const r of records) {
    for (let copy = 0; copy < 2; copy++) {
      const out = await worker({ Records: [r] }, lambdaContext('sync-worker'));
      failures += out?.batchItemFailures.length ?? 0;
    }
  }
  return failures;
}

/**
 * The batch and its copy handed to two invocations at once; failed items are redelivered (both copies again at
 * once) until none fail, as the event source mapping would, for at most 20 rounds.
 */
async function deliverTwiceAtOnce(
  worker: SyncWorkerHandler,
  records: readonly SQSRecord[],
  problems: string[],
): Promise<{ failures: number; rounds: number }> {
  let pending = [
    ...records.map((r) => ({ ...r, messageId: `${r.messageId}` })),
    ...records.map((r) => ({ ...r, messageId: `${r.messageId}-copy` })),
  ];
  let failures = 0;
  let rounds = 0;
  while (pending.length > 0 && rounds < 20) {
    rounds++;
    const first = pending.filter((r) => !r.messageId.endsWith('-copy'));
    const second = pending.filter((r) => r.messageId.endsWith('-copy'));
    const outs = await Promise.all(
      [first, second].map((batch) =>
        batch.length > 0 ? worker({ Records: batch }, lambdaContext('sync-worker')) : undefined,
      ),
    );
    const failed = new Set(outs.flatMap((o) => (o?.batchItemFailures ?? []).map((f) => f.itemIdentifier)));
    failures += failed.size;
    pending = pending.filter((r) => failed.has(r.messageId));
    if (pending.length > 0) await sleep(200);
  }
  if (pending.length > 0) problems.push(`${pending.length} delivery(ies) still failing after 20 rounds`);
  return { failures, rounds };
}

// ---------------------------------------------------------------- a lease that expires under its holder

/** A short lease, so the holder's pause outlasts it within a second or two. */
const SHORT_LEASE_MS = 1_500;

export interface LeaseExpiryDetails {
  outcome: ScenarioOutcome;
  pausedAt: string;
  /** 'after': the first holder resumes once the second has finished; 'overlap': while the second holds the lease. */
  mode: 'after' | 'overlap';
  /** How the first (stale) holder ended: 'synced' or the error's name. */
  firstEnded: string;
  firstError?: string;
  /** How the second holder ended: 'synced' or the error's name. */
  secondEnded: string;
  secondError?: string;
  secondErrors: string[];
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/**
 * Worker A (lease TTL 1.5 s) pauses at a seeded durable step of its band stream for longer than its lease. Worker
 * B then gets the lease and syncs. A resumes either after B has finished, or while B holds the lease (B paused at
 * its first durable step until A has ended). B, the rightful holder, must finish without error; A may finish or
 * give up, but must not break B's run or the lake.
 */
export async function leaseExpiryRun(seed: number, env: ChaosEnv): Promise<LeaseExpiryDetails> {
  return withRun(seed, env, 'lease-expiry', async (run, rng) => {
    const problems: string[] = [];
    const step = rng.pick(['raw', 'lake', 'ledger', 'cursor'] as const satisfies readonly EngineStep[]);
    const nth = rng.int(1, 2);
    const mode = rng.pick(['after', 'overlap'] as const);
    const pausedAt = `after ${step} of band window ${nth}`;

    const a = startStaleHolder(run, step, nth);
    await Promise.race([a.paused.wait, a.done]);
    const aLease = await leaseHolder(run);
    // When B got the lease is the clock value its conditional put carried (see crash.ts).
    const bGrantedAt: number[] = [];
    const b = startNextHolder(run, recordingLeaseTimes(run.rt.state, bGrantedAt, []));
    let aOut: WorkerEnd;
    let bOut: WorkerEnd;
    if (mode === 'after') {
      b.resume.open();
      bOut = await b.done;
      a.resume.open();
      aOut = await a.done;
    } else {
      await Promise.race([b.paused.wait, b.done]);
      a.resume.open();
      aOut = await a.done;
      b.resume.open();
      bOut = await b.done;
    }
    const bGotAt = bGrantedAt[0];
    if (aLease?.owner === 'worker-a' && bGotAt !== undefined && bGotAt <= aLease.expiresAt)
      problems.push(
        `worker B got the lease while worker A's was still valid (at ${bGotAt}, A's ran to ${aLease.expiresAt})`,
      );
    if (bOut.ended !== 'synced') problems.push(`worker B (the lease's rightful holder) ended with ${bOut.error}`);
    if (bOut.report && bOut.report.errors.length > 0) problems.push(`worker B reported: ${bOut.report.errors[0]}`);
    if (aOut.ended !== 'synced' && aOut.ended !== 'LeaseHeldError' && aOut.ended !== 'WriteConflictError')
      problems.push(`worker A ended with ${aOut.error}`);
    const failedAfterFault = await countFailedLedger(run.rt, run.userId);
    await healingRun(run, problems);
    const note = `A paused ${pausedAt} past its ${SHORT_LEASE_MS} ms lease; B took over after ${b.refusals()} refusals; A resumed ${mode === 'after' ? 'after B finished' : 'while B held the lease'} and ended ${aOut.ended}; B ended ${bOut.ended}`;
    return {
      outcome: await outcomeOf(run, { failedAfterFault, note, problems }),
      pausedAt,
      mode,
      firstEnded: aOut.ended,
      ...(aOut.error ? { firstError: aOut.error } : {}),
      secondEnded: bOut.ended,
      ...(bOut.error ? { secondError: bOut.error } : {}),
      secondErrors: bOut.report?.errors ?? [],
    };
  });
}

/** How a worker's sync ended: 'synced' (with its report) or the error's name and line. */
interface WorkerEnd {
  ended: string;
  error?: string;
  report?: SyncReport;
}

/** A worker held at a point of its sync: `paused` opens when it stops there, `resume` lets it go on. */
interface HeldWorker {
  paused: ReturnType<typeof gate>;
  resume: ReturnType<typeof gate>;
  done: Promise<WorkerEnd>;
}

function endOf(sync: Promise<SyncReport>): Promise<WorkerEnd> {
  return sync.then(
    (report) => ({ ended: 'synced', report }),
    (err: unknown) => ({ ended: errorName(err), error: errorLine(err) }),
  );
}

/** Worker A, with the short lease: pauses after the nth `step` of its band stream until resumed. */
function startStaleHolder(run: ChaosRun, step: EngineStep, nth: number): HeldWorker {
  const paused = gate();
  const resume = gate();
  let seen = 0;
  const done = endOf(
    syncInProcess(run, {
      leaseOwner: 'worker-a',
      leaseTtlMs: SHORT_LEASE_MS,
      async afterStep(s, info) {
        if (s !== step || info.stream !== 'band' || ++seen !== nth) return;
        paused.open();
        await resume.wait;
      },
    }),
  );
  return { paused, resume, done };
}

/**
 * Worker B asks for the lease until A's has expired, as a redelivered message would, then pauses at its first
 * durable step until resumed.
 */
function startNextHolder(run: ChaosRun, state: StateStore): HeldWorker & { refusals: () => number } {
  const paused = gate();
  const resume = gate();
  let refused = 0;
  let firstStep = true;
  const sync = async (): Promise<SyncReport> => {
    for (;;) {
      try {
        return await syncInProcess(run, {
          leaseOwner: 'worker-b',
          state,
          async afterStep() {
            if (!firstStep) return;
            firstStep = false;
            paused.open();
            await resume.wait;
          },
        });
      } catch (err) {
        if (!(err instanceof LeaseHeldError) || refused > 200) throw err;
        refused++;
        await sleep(100);
      }
    }
  };
  return { paused, resume, done: endOf(sync()), refusals: () => refused };
}

// ---------------------------------------------------------------- the scenarios

export const concurrencyScenarios: Scenario[] = [
  {
    name: 'concurrent-2-workers',
    group: 'concurrency',
    description: "Two workers start the same person's sync at once; the lease lets one through.",
    runs: RUNS,
    run: async (seed, env) => (await parallelWorkersRun(seed, env, 2)).outcome,
  },
  {
    name: 'concurrent-8-workers',
    group: 'concurrency',
    description: "Eight workers start the same person's sync at once; the lease lets one through.",
    runs: RUNS,
    run: async (seed, env) => (await parallelWorkersRun(seed, env, 8)).outcome,
  },
  {
    name: 'dispatcher-twice',
    group: 'concurrency',
    description: 'The scheduler runs the dispatcher twice for one slot, so every sync message is queued twice.',
    runs: RUNS,
    run: async (seed, env) => (await dispatcherTwiceRun(seed, env)).outcome,
  },
  {
    name: 'sqs-message-twice',
    group: 'concurrency',
    description: 'SQS delivers each sync message twice, one copy after the other and two copies at once.',
    runs: RUNS,
    run: async (seed, env) => (await duplicateDeliveryRun(seed, env)).outcome,
  },
  {
    name: 'lease-expires-mid-run',
    group: 'concurrency',
    description: 'A worker stalls past its lease; a second worker takes over; the first wakes up and carries on.',
    runs: RUNS,
    run: async (seed, env) => (await leaseExpiryRun(seed, env)).outcome,
  },
];
