// What the engine needs from a vendor source, and what it is handed instead of importing a vendor: the
// SyncSource of one user (fetch, and decode what it fetched), the decoder lookup of a replay, the opener of a
// user's source and each source's token renewal. One implementation per API (zepp/, huami-open/); the engine
// never speaks HTTP itself. sources/registry.ts lists them.

import type { SyncWindow } from '../core/plan.ts';
import type { DecodeContext, SourceId, StreamName, TokenStore, UserTokens } from '../core/ports.ts';
import type { RawRecord } from '../core/raw-records.ts';
import type { TableRows } from '../core/schema-registry.ts';
import type { HttpOptions } from './http.ts';

export type WindowedStream = Exclude<StreamName, 'workouts'>;

export interface WorkoutRef {
  trackid: number;
  startMs: number;
  /** What the detail call needs besides the trackid (the vendor's `source` string, a device id...). */
  params: Record<string, string>;
}

export interface DecodeReject {
  /** The ledger period the failure belongs to (a day or track:<id>); undefined = the whole raw record. */
  period?: string;
  message: string;
}

export interface DecodedRaw {
  rows: TableRows;
  rejects: DecodeReject[];
}

export interface SyncSource {
  readonly source: SourceId;
  readonly streams: readonly StreamName[];
  /** Decodes a raw record this source fetched (pure; the same decoder a replay uses for the source). */
  readonly decode: RawDecoder;
  fetchWindow(stream: WindowedStream, window: SyncWindow): Promise<RawRecord[]>;
  /** Pages the workout list newest first, stopping once items are older than `stopBeforeTrackId`. */
  listWorkouts(
    stopBeforeTrackId: number | undefined,
    window: { from: string; to: string },
  ): Promise<{ raws: RawRecord[]; items: WorkoutRef[] }>;
  fetchWorkoutDetail(ref: WorkoutRef): Promise<RawRecord>;
  /** Epoch ms of the newest device activity the vendor reports (for the wrong-region check), if it can tell. */
  lastDeviceActivity?(): Promise<number | null>;
  /** The first day the account has data, if the API can tell cheaply. */
  discoverFirstDate?(today: string): Promise<{ date: string; certain: boolean } | undefined>;
}

/** Pure decoding of a stored raw record, shared by sync and replay. */
export type RawDecoder = (raw: RawRecord, ctx: DecodeContext) => DecodedRaw;

/** The decoder of a source by its name (a replay meets the raw records of every source a user had). */
export type RawDecoderLookup = (source: string) => RawDecoder | undefined;

export interface OpenSourceOptions {
  http?: HttpOptions;
  clock?: () => number;
  /** Overrides the host stored with the user (e.g. --host). */
  host?: string;
  /** The user's configured UTC offset (UserRecord.tzOffsetS), for sources whose API never says it (huami-open). */
  tzOffsetS?: number;
  /**
   * The partner app's OAuth client secret, for users whose stored tokens carry none (huami-open): the runtime's
   * configuration (HUAMI_CLIENT_SECRET) passes it in. Never printed.
   */
  clientSecret?: string;
}

/** Builds a user's SyncSource from their stored tokens; token renewals are written back through `store`. */
export type SourceOpener = (
  userId: string,
  tokens: UserTokens,
  store: TokenStore,
  opts?: OpenSourceOptions,
) => SyncSource;

/** What renewing a user's stored tokens came to. */
export interface TokenRenewal {
  /** refreshed: new tokens stored; fresh: nothing to do (or another process renewed them first); auth-failed:
   * the long-lived token is refused or missing, a person must log in or authorize again. */
  action: 'refreshed' | 'fresh' | 'auth-failed';
  /** Why, for auth-failed; never contains a token. */
  reason?: string;
}

/** How a source keeps a user's stored tokens usable without a person (the token refresher). */
export interface TokenRenewer {
  /** Whether these (possibly cached) tokens are due for renewal now. */
  isDue(tokens: UserTokens): boolean;
  /** Renews the user's stored tokens if they are still due; the caller holds the user's lease. */
  renew(userId: string, seen: UserTokens): Promise<TokenRenewal>;
}
