// One sync-queue message, run: look up the user and their tokens, open their source, run the engine for the
// message's streams and window under the user's lease, and say what happened. The sync worker Lambda decides
// from the outcome whether the message is done or goes back to the queue; this file has no SQS or Lambda in it.
//
// message --> user + tokens --> source (token refresh persisted through the TokenStore) --> SyncEngine --> outcome
//
// Band data first: workouts and events are placed in the person's local day with the time zones that band data
// brings. Stream groups arrive as separate messages in any order, so a workouts or events message whose user's
// band data does not reach its days yet syncs band first (the engine orders it first; the band message then
// finds only its lag window left to do).

import { RateLimitedError, UpstreamError } from '../core/errors.ts';
import type { ObjectStore, StateStore, StreamName, TokenStore, UserRecord } from '../core/ports.ts';
import type { SyncMessage } from '../core/sync-message.ts';
import { localDateOf } from '../core/time.ts';
import type { OpenSourceOptions, SourceOpener, SyncSource } from '../sources/source.ts';
import type { ParquetCodec } from './lake-writer.ts';
import { type EngineDeps, SyncEngine, type SyncReport } from './sync-engine.ts';

export interface SyncMessageDeps {
  store: ObjectStore;
  state: StateStore;
  tokens: TokenStore;
  codec: ParquetCodec;
  clock: () => number;
  lagDays: number;
  /** Opens the user's source from their tokens (sources/registry.ts openSource): the engine imports no vendor. */
  openSource: SourceOpener;
  http?: OpenSourceOptions['http'];
  leaseTtlMs?: number;
  log?: EngineDeps['log'];
}

export interface SyncMessageContext {
  /** Who holds the lease while this message runs (one owner per message delivery). */
  leaseOwner: string;
}

export type SyncMessageOutcome =
  | {
      status: 'synced';
      report: SyncReport;
      /** The streams the engine was asked for (the message's, plus band when it had to go first). */
      streams: StreamName[];
      /** Vendor calls that failed after their retries (5xx, 429, timeouts): worth another try later. */
      transientFailures: number;
    }
  /** Nothing to run: the user is gone or disabled, or their source has none of the message's streams. */
  | { status: 'skipped'; reason: string }
  /** No tokens are stored for the user: a person must log in (or authorize) again. */
  | { status: 'no-tokens'; reason: string };

function isTransient(err: unknown): boolean {
  return err instanceof UpstreamError || err instanceof RateLimitedError;
}

/** The source, counting the calls that failed for reasons a later try may not meet. */
function observeTransientFailures(source: SyncSource, onFailure: () => void): SyncSource {
  const watch = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      if (isTransient(err)) onFailure();
      throw err;
    }
  };
  return {
    source: source.source,
    streams: source.streams,
    decode: source.decode,
    fetchWindow: (stream, window) => watch(() => source.fetchWindow(stream, window)),
    listWorkouts: (stopBefore, window) => watch(() => source.listWorkouts(stopBefore, window)),
    fetchWorkoutDetail: (ref) => watch(() => source.fetchWorkoutDetail(ref)),
    ...(source.lastDeviceActivity ? { lastDeviceActivity: () => source.lastDeviceActivity!() } : {}),
    ...(source.discoverFirstDate ? { discoverFirstDate: (today: string) => source.discoverFirstDate!(today) } : {}),
  };
}

/**
 * Band is added when the message lacks it and the user's band data does not reach the message's last day yet
 * (today in the user's configured zone when the message has no `to`): the time zones of that day are not known.
 */
async function withBandFirst(
  deps: Pick<SyncMessageDeps, 'state' | 'clock'>,
  run: { user: UserRecord; message: SyncMessage; streams: StreamName[]; sourceStreams: readonly StreamName[] },
): Promise<StreamName[]> {
  const { user, message, streams, sourceStreams } = run;
  if (streams.includes('band') || !sourceStreams.includes('band')) return streams;
  const today = localDateOf(deps.clock(), user.tzOffsetS ?? 0);
  const target = message.to && message.to < today ? message.to : today;
  const band = await deps.state.getCursor(user.userId, 'band');
  return band?.through !== undefined && band.through >= target ? streams : ['band', ...streams];
}

/** Runs one message. Throws LeaseHeldError when another worker syncs the user now, and AWS errors as they come. */
export async function runSyncMessage(
  deps: SyncMessageDeps,
  message: SyncMessage,
  ctx: SyncMessageContext,
): Promise<SyncMessageOutcome> {
  const user = await deps.state.getUser(message.userId);
  if (!user) return { status: 'skipped', reason: 'unknown user' };
  if (!user.enabled) return { status: 'skipped', reason: 'user disabled' };
  const tokens = await deps.tokens.get(user.userId);
  if (!tokens) return { status: 'no-tokens', reason: 'no tokens stored for the user' };

  let transientFailures = 0;
  const opened = deps.openSource(user.userId, tokens, deps.tokens, {
    http: deps.http,
    clock: deps.clock,
    tzOffsetS: user.tzOffsetS,
  });
  const source = observeTransientFailures(opened, () => {
    transientFailures++;
  });
  const wanted = message.streams.filter((s) => source.streams.includes(s));
  if (wanted.length === 0)
    return { status: 'skipped', reason: `the ${source.source} source has none of these streams` };
  const streams = await withBandFirst(deps, { user, message, streams: wanted, sourceStreams: source.streams });

  const engine = new SyncEngine({
    store: deps.store,
    state: deps.state,
    codec: deps.codec,
    clock: deps.clock,
    lagDays: deps.lagDays,
    leaseOwner: ctx.leaseOwner,
    ...(deps.leaseTtlMs !== undefined ? { leaseTtlMs: deps.leaseTtlMs } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  });
  const report = await engine.syncUser({ user, source, streams, from: message.from, to: message.to });
  return { status: 'synced', report, streams, transientFailures };
}
