// What the engine needs from a vendor source, and what it is handed instead of importing a vendor: the
// SyncSource of one user (fetch, and decode what it fetched), the decoder lookup of a replay, the opener of a
// user's source and each source's token renewal. One implementation per API (zepp/, huami-open/); the engine
// never speaks HTTP itself. sources/registry.ts lists them.

import type { SyncWindow } from '../core/plan.ts';
import type { DecodeContext, SourceId, TokenStore, UserTokens } from '../core/ports.ts';
import type { RawRecord } from '../core/raw-records.ts';
import type { TableRows } from '../core/schema-registry.ts';
import { STREAMS, type StreamName } from '../core/streams.ts';
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

/** What the responses of one endpoint are: the stream they feed, and whether each holds one workout's series. */
export interface EndpointRole {
  stream: StreamName;
  /** A workout detail (keyed by trackid), as opposed to a workout list. */
  detail?: boolean;
}

/** How a replay reads one source's stored responses: its decoder, and the role of every endpoint it writes. */
export interface RawReader {
  decode: RawDecoder;
  /** Every endpoint the source writes (or ever wrote) to raw/: a stored response of another is refused. */
  endpoints: Readonly<Record<string, EndpointRole>>;
}

/** The reader of a source by its name (a replay meets the raw records of every source a user had). */
export type RawDecoderLookup = (source: string) => RawReader | undefined;

/** The streams a source's endpoints feed, in the registry's order: a source offers what it fetches. */
export function streamsOfEndpoints(endpoints: Readonly<Record<string, EndpointRole>>): StreamName[] {
  const fed = new Set(Object.values(endpoints).map((e) => e.stream));
  return STREAMS.filter((s) => fed.has(s));
}

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

/** What the token refresher hands every source's renewal; each takes the settings it has a use for. */
export interface TokenRenewalSettings {
  tokens: TokenStore;
  clock: () => number;
  http?: HttpOptions;
  /** Re-mint a Zepp app token older than this (the API gives them 30 days). Default 7 days. */
  zeppMaxAgeMs?: number;
  /** Refresh a huami-open access token that expires within this (they live 90 days). Default 7 days. */
  oauthMarginMs?: number;
  /** The partner app's client secret when the stored tokens do not carry one. */
  huamiClientSecret?: string;
}

/**
 * Everything the registry needs of one vendor, exported by the vendor's folder (`sources/<vendor>/plugin.ts`):
 * adding a vendor is that folder and one line in sources/registry.ts.
 */
export interface SourcePlugin {
  id: SourceId;
  /** Opens a user's SyncSource from their stored tokens. */
  open: SourceOpener;
  /** How a replay reads the source's stored responses. */
  reader: RawReader;
  /** The source's token renewal for the token refresher. */
  renewer(settings: TokenRenewalSettings): TokenRenewer;
}
