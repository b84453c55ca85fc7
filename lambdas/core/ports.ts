// The ports the sync engine talks through. Local adapters (folder, JSON file, 0600 token file) and AWS
// adapters (S3, DynamoDB, Secrets Manager) implement the same interfaces, so one engine runs everywhere.

import type { Row, TableName } from './schema-registry.ts';
import type { StreamName } from './streams.ts';

/** A source's name, as sources/registry.ts lists them (`zepp`, `huami-open`); core names no vendor. */
export type SourceId = string;

// The streams are listed once, in streams.ts; these names stay for the ports' many importers.
export { STREAM_TABLES, STREAMS, type StreamName } from './streams.ts';

// ---------------------------------------------------------------- object store (S3 or a folder)

export interface StoredObject {
  body: Uint8Array;
  /** Opaque version tag used for conditional writes (S3 ETag, or a content hash for the folder). */
  etag: string;
}

export interface PutOptions {
  /** Write only if the current object still has this etag (S3 If-Match). */
  ifMatch?: string;
  /** Write only if no object exists yet (S3 If-None-Match: *). */
  ifNoneMatch?: boolean;
  contentType?: string;
}

/** Keys are the lake layout: `tables/<table>/month=YYYY-MM/user-<id>.parquet`, `raw/<source>/<endpoint>/user-<id>/<name>.json.gz`. */
export interface ObjectStore {
  get(key: string): Promise<StoredObject | undefined>;
  /** Throws WriteConflictError when a condition fails. */
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<{ etag: string }>;
  /** Every key under the prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  delete(keys: readonly string[]): Promise<void>;
}

// ---------------------------------------------------------------- state (DynamoDB or a JSON file)

export interface Cursor {
  /** Last local date (YYYY-MM-DD) whose window was fully committed to the lake. */
  through?: string;
  /** Back-fill progress: the oldest date already covered while walking back from the present. */
  backfilledFrom?: string;
  /** Workouts: the newest trackid seen, so later runs stop paging there. */
  lastTrackId?: number;
  updatedAt: number;
  /** Optimistic-concurrency version; 0 for a cursor that does not exist yet. */
  version: number;
}

export type LedgerStatus = 'written' | 'empty' | 'failed' | 'auth_failed';

export interface LedgerEntry {
  userId: string;
  stream: StreamName;
  /** YYYY-MM-DD, YYYY-MM or track:<trackid> */
  period: string;
  /** First day of the period (the ledger's partition date). */
  localDate: string;
  status: LedgerStatus;
  rows: number;
  rawKey: string | null;
  fetchedAt: number;
  error: string | null;
  source: SourceId;
}

export interface UserRecord {
  userId: string;
  source: SourceId;
  /** UTC offset used to decide "today" before the vendor has told us the person's zone. */
  tzOffsetS?: number;
  /** First day to back-fill from (default: the account's first data day, or 2015-01-01). */
  firstDate?: string;
  enabled: boolean;
  createdAt: number;
  /** Set when every stream came back empty while devices show recent activity. */
  wrongRegionSuspected?: boolean;
  lastSuccessAt?: number;
  /**
   * A person of the built-in simulator (`npm start`, `sync --source sim`): a plain `sync` leaves them alone, so
   * the demo's people never meet the real vendor hosts once you log in with your own account in the same folder.
   */
  simulated?: boolean;
}

export interface StateStore {
  getUser(userId: string): Promise<UserRecord | undefined>;
  putUser(user: UserRecord): Promise<void>;
  deleteUser(userId: string): Promise<void>;
  listUsers(): Promise<UserRecord[]>;

  getCursor(userId: string, stream: StreamName): Promise<Cursor | undefined>;
  /** Writes `next` (with version expectedVersion + 1) only if the stored version is `expectedVersion`; else WriteConflictError. */
  advanceCursor(
    userId: string,
    stream: StreamName,
    next: Omit<Cursor, 'version'>,
    expectedVersion: number,
  ): Promise<Cursor>;

  /** True when `owner` now holds the user's lease (free, expired, or already theirs). */
  acquireLease(userId: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean>;
  releaseLease(userId: string, owner: string): Promise<void>;

  putLedger(entries: readonly LedgerEntry[]): Promise<void>;
  listLedger(userId: string, stream?: StreamName): Promise<LedgerEntry[]>;
}

// ---------------------------------------------------------------- tokens (Secrets Manager or a 0600 file)

export interface UserTokens {
  source: SourceId;
  /** Vendor user id (Zepp `user_id`, Huami open `userId`). */
  vendorUserId: string;
  /** Base URL override for every vendor call (regions, or the simulator). */
  host?: string;
  email?: string;
  region?: string;
  countryCode?: string;
  // zepp
  loginToken?: string;
  appToken?: string;
  appTokenIssuedAt?: number;
  // huami-open (OAuth2)
  accessToken?: string;
  refreshToken?: string;
  accessTokenExpiresAt?: number;
  clientId?: string;
  redirectUri?: string;
}

/** A user's tokens as the store holds them now, with the version a conditional put compares against. */
export interface VersionedTokens {
  tokens: UserTokens;
  /** Opaque: the Secrets Manager VersionId of AWSCURRENT, or a hash of the file entry. */
  version: string;
}

export interface TokenStore {
  /** May be served from a short cache (Secrets Manager: up to a minute old). */
  get(userId: string): Promise<UserTokens | undefined>;
  put(userId: string, tokens: UserTokens): Promise<void>;
  delete(userId: string): Promise<void>;
  list(): Promise<string[]>;
  /** The tokens read from the store itself, never from a cache (token renewal decides on them). */
  getCurrent(userId: string): Promise<VersionedTokens | undefined>;
  /**
   * Writes `tokens` only while the stored ones are still at `version` (compare-and-set), so a renewal never
   * overwrites a newer set another process stored; false (and nothing written) when another writer came first.
   */
  putIfCurrent(userId: string, tokens: UserTokens, version: string): Promise<boolean>;
}

// ---------------------------------------------------------------- decoding

export interface DecodeContext {
  /** The lake's user id (the vendor user id). */
  userId: string;
  source: SourceId;
  /**
   * UTC offset in seconds in force at an instant, when known (the engine derives it from the person's
   * band_data summaries). Decoders of payloads without their own `tz` use it; null means unknown (UTC, tz_offset_s null).
   */
  tzOffsetAt?: (epochMs: number) => number | null;
}

export type { Row, TableName };
