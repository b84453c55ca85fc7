// The history families of `npm run chaos`: which commands fast-check may draw for a history, on which path (local
// or AWS) and for which source. Most families run in-process (hundreds of histories in minutes); the families with
// processes of their own (SIGKILL, two processes at once) are fewer, as each child starts its own Node.

import fc from 'fast-check';
import type { StreamName } from '../../lambdas/core/ports.ts';
import { addDays } from '../../lambdas/core/time.ts';
import type { KillPoint } from '../child-harness.ts';
import {
  DrainCommand,
  RefresherCommand,
  ScheduleCommand,
  VendorRetryCommand,
  WebhookCommand,
  type WebhookDelivery,
} from './aws-commands.ts';
import type { LocalKillPoint } from './child-protocol.ts';
import {
  AddCommand,
  ConcurrentCommand,
  ExpireTokenCommand,
  type HistoryCommand,
  RemoveCommand,
  ReplayCommand,
  RevokeLoginCommand,
  SyncCommand,
  type Who,
} from './commands.ts';
import type { HistoryContext, HistoryFamily } from './history.ts';
import type { DayRange } from './model.ts';
import {
  KilledProcessCommand,
  KilledWorkerCommand,
  type LocalChildSpec,
  TwoProcessesCommand,
} from './process-commands.ts';

type Arb = fc.Arbitrary<HistoryCommand>;

/** How far back a window may start: past every person's first day (4-7 days back) and across the month end. */
const MAX_BACK = 8;

function person(ctx: HistoryContext): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: ctx.people - 1 });
}

function who(ctx: HistoryContext): fc.Arbitrary<Who> {
  return ctx.people > 1 ? fc.oneof(person(ctx), fc.constant('all' as const)) : person(ctx);
}

/** `--from F --to T`: 1-7 days, inside one month or across the month end, never past today. */
export function windowOf(ctx: HistoryContext): fc.Arbitrary<{ from: string; to: string }> {
  return fc.tuple(fc.integer({ min: 0, max: MAX_BACK }), fc.integer({ min: 0, max: 6 })).map(([back, length]) => {
    const from = addDays(ctx.today, -back);
    const to = addDays(from, length);
    return { from, to: to > ctx.today ? ctx.today : to };
  });
}

/** A sync's range: none (plain), a window, or an open-ended `--from`. */
function syncRange(ctx: HistoryContext): fc.Arbitrary<DayRange | undefined> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: windowOf(ctx) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 0, max: MAX_BACK }).map((back) => ({ from: addDays(ctx.today, -back) })),
    },
  );
}

const sync = (ctx: HistoryContext): Arb =>
  fc.tuple(who(ctx), syncRange(ctx)).map(([w, range]) => new SyncCommand(w, range));
const replay = (ctx: HistoryContext): Arb =>
  fc.tuple(who(ctx), fc.option(windowOf(ctx), { nil: undefined })).map(([w, range]) => new ReplayCommand(w, range));
const remove = (ctx: HistoryContext): Arb =>
  fc.tuple(person(ctx), fc.boolean()).map(([p, deleteData]) => new RemoveCommand(p, deleteData));
const add = (ctx: HistoryContext): Arb => person(ctx).map((p) => new AddCommand(p));
const expire = (ctx: HistoryContext): Arb => person(ctx).map((p) => new ExpireTokenCommand(p));
const revoke = (ctx: HistoryContext): Arb => person(ctx).map((p) => new RevokeLoginCommand(p));

/** Two commands at once on one home folder and lake (local) or one deployment (AWS): two syncs, a sync and a replay, a removal meeting a sync. */
const twoAtOnce = (ctx: HistoryContext): Arb =>
  fc
    .tuple(fc.oneof(sync(ctx), remove(ctx)), fc.oneof(sync(ctx), replay(ctx)))
    .map(([a, b]) => new ConcurrentCommand(a, b));

/** The commands of the in-process families of both paths. */
function common(ctx: HistoryContext): Arb[] {
  return [
    sync(ctx),
    sync(ctx),
    sync(ctx),
    replay(ctx),
    replay(ctx),
    remove(ctx),
    add(ctx),
    expire(ctx),
    revoke(ctx),
    twoAtOnce(ctx),
  ];
}

const schedule: Arb = fc
  .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }))
  .map(([pollers, batch]) => new ScheduleCommand(pollers, batch));

const DELIVERIES: readonly WebhookDelivery[] = [
  'once',
  'twice',
  'twice-at-once',
  'refused-by-sqs',
  'dies-before-enqueue',
];

const webhook = (ctx: HistoryContext): Arb =>
  fc
    .tuple(
      person(ctx),
      fc.integer({ min: 0, max: 10 }),
      fc.constantFrom('activityDataUpdated' as const, 'sportDataUpdated' as const),
      fc.constantFrom(...DELIVERIES),
    )
    .map(([p, back, event, delivery]) => new WebhookCommand(p, back, event, delivery));

/** The AWS path's own commands: scheduled runs (one or two workers), the queue drained, the refresher during a run. */
function aws(ctx: HistoryContext): Arb[] {
  return [
    schedule,
    schedule,
    fc.integer({ min: 1, max: 2 }).map((n) => new DrainCommand(n)),
    fc.constant(new RefresherCommand()),
    ...common(ctx),
  ];
}

// ---------------------------------------------------------------- processes

const STEPS = ['raw', 'lake', 'ledger', 'cursor'] as const;

const localKill: fc.Arbitrary<LocalKillPoint> = fc.oneof(
  fc
    .tuple(fc.option(fc.constantFrom(...STEPS), { nil: undefined }), fc.integer({ min: 1, max: 8 }))
    .map(([step, nth]): LocalKillPoint => ({ at: 'step', ...(step ? { step } : {}), nth })),
  fc
    .tuple(fc.constantFrom('before' as const, 'after' as const), fc.integer({ min: 1, max: 12 }))
    .map(([when, nth]): LocalKillPoint => ({ at: 'put', when, nth })),
);

function childSpec(ctx: HistoryContext, op: 'sync' | 'replay', kill?: LocalKillPoint): fc.Arbitrary<LocalChildSpec> {
  const range = op === 'sync' ? syncRange(ctx) : fc.option(windowOf(ctx), { nil: undefined });
  return fc
    .tuple(who(ctx), range)
    .map(([w, r]) => ({ op, who: w, ...(r ? { range: r } : {}), ...(kill ? { kill } : {}) }));
}

const killedChild = (ctx: HistoryContext): Arb =>
  fc
    .tuple(fc.constantFrom('sync' as const, 'sync' as const, 'replay' as const), localKill)
    .chain(([op, kill]) => childSpec(ctx, op, kill))
    .map((spec) => new KilledProcessCommand(spec));

const twoProcesses = (ctx: HistoryContext): Arb =>
  fc
    .tuple(childSpec(ctx, 'sync'), fc.oneof(childSpec(ctx, 'sync'), childSpec(ctx, 'replay')))
    .map(([a, b]) => new TwoProcessesCommand(a, b));

/**
 * Where a worker process dies. Every person's days span two months, so a windowed stream has two windows; a band
 * window writes four month objects (minutes, days, sleep sessions, stages), a stress window one; workouts are one
 * listing.
 */
const workerKill: fc.Arbitrary<KillPoint> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...STEPS),
      fc.constantFrom<StreamName>('band', 'stress', 'spo2'),
      fc.integer({ min: 1, max: 2 }),
    )
    .map(([step, stream, nth]): KillPoint => ({ at: 'step', step, stream, nth })),
  fc.constantFrom(...STEPS).map((step): KillPoint => ({ at: 'step', step, stream: 'workouts', nth: 1 })),
  fc
    .tuple(fc.constantFrom('before' as const, 'after' as const), fc.integer({ min: 1, max: 8 }))
    .map(([when, nth]): KillPoint => ({ at: 'table-put', when, stream: 'band', nth })),
  fc
    .tuple(fc.constantFrom<StreamName>('band', 'stress'), fc.integer({ min: 1, max: 2 }))
    .map(([stream, nth]): KillPoint => ({ at: 'ledger-object', stream, nth })),
);

const killedWorker = (ctx: HistoryContext): Arb =>
  fc.tuple(person(ctx), workerKill).map(([p, kill]) => new KilledWorkerCommand(p, kill));

// ---------------------------------------------------------------- the families

export const HISTORY_FAMILIES: readonly HistoryFamily[] = [
  {
    name: 'history-local-zepp',
    description:
      'Local mode, Zepp app API: random full, partial (within and across a month end) and open-ended syncs, whole and windowed replays, users removed (with or without their data) and added again, app tokens ended early, a password change, two commands at once on one home folder and lake.',
    runs: 190,
    mode: 'local',
    source: 'zepp',
    people: 2,
    maxCommands: 8,
    commands: common,
  },
  {
    name: 'history-local-huami-open',
    description:
      'Local mode, official Huami Web API (OAuth, refresh tokens rotated and superseded ones refused): the same commands as history-local-zepp, with access tokens ended early and consent withdrawn and given again.',
    runs: 190,
    mode: 'local',
    source: 'huami-open',
    people: 2,
    maxCommands: 8,
    commands: common,
  },
  {
    name: 'history-aws-huami-open',
    description:
      'AWS path (fauxqs S3/SQS, DynamoDB Local, the Secrets Manager emulator, the real handlers), Huami Web API: webhook notifications (once, twice, twice at once, refused by SQS, the function dying between record and enqueue) and the vendor’s redelivery, scheduled runs with one or two workers, the token refresher during a run, CLI syncs, the replay function, users removed and added again.',
    runs: 60,
    mode: 'aws',
    source: 'huami-open',
    people: 2,
    maxCommands: 8,
    commands: (ctx) => [...aws(ctx), webhook(ctx), webhook(ctx), webhook(ctx), fc.constant(new VendorRetryCommand())],
  },
  {
    name: 'history-aws-zepp',
    description:
      'AWS path, Zepp app API: scheduled runs with one or two workers, the token refresher during a run, CLI syncs (full, partial, open-ended), the replay function, users removed and added again, tokens ended early.',
    runs: 40,
    mode: 'aws',
    source: 'zepp',
    people: 2,
    maxCommands: 8,
    commands: aws,
  },
  {
    name: 'history-local-processes',
    description:
      'Local mode, processes of their own: a sync or replay SIGKILLed at a random step or lake write, two syncs (or a sync and a replay) started at the same moment on one home folder and lake, between in-process syncs and replays.',
    runs: 14,
    mode: 'local',
    source: 'zepp',
    people: 2,
    maxCommands: 5,
    commands: (ctx) => [
      killedChild(ctx),
      killedChild(ctx),
      twoProcesses(ctx),
      twoProcesses(ctx),
      sync(ctx),
      replay(ctx),
    ],
  },
  {
    name: 'history-aws-killed-worker',
    description:
      'AWS path, a sync worker process SIGKILLed at a random step, data PUT or ledger write, between scheduled runs, webhook-free CLI syncs and replays.',
    runs: 10,
    mode: 'aws',
    source: 'zepp',
    people: 1,
    maxCommands: 5,
    commands: (ctx) => [killedWorker(ctx), killedWorker(ctx), schedule, sync(ctx), replay(ctx)],
  },
];
