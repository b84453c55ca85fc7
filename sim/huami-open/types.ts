// The public shapes of the huami-open simulator: its options, its people, its fault spec, its notifications and
// the handle a test drives it with (see the header of simulator.ts for the whole API).

import type { TableRows } from '../../lambdas/core/schema-registry.ts';

export interface HuamiOpenSimUserSpec {
  userId?: string;
  tzOffsetS?: number;
  /** amazfit: sleep start/stop as minute indexes; mifit: as timestamps */
  device?: 'amazfit' | 'mifit';
}

export interface HuamiOpenSimOptions {
  port?: number;
  seed?: number;
  today?: string;
  days?: number;
  users?: number | HuamiOpenSimUserSpec[];
  clientId?: string;
  clientSecret?: string;
  accessTokenLifetimeS?: number;
  /**
   * A refresh also ends the access token that came with the refresh token used (some OAuth servers do). Default
   * false: an access token lives until it expires, as RFC 6749 allows.
   */
  retireAccessTokenOnRefresh?: boolean;
}

export interface HuamiOpenSimUser {
  userId: string;
  tzOffsetS: number;
  device: 'amazfit' | 'mifit';
  firstDate: string;
}

export interface FaultSpec {
  /** statuses answered to the next requests, in order (429, 500, 503...) */
  next?: number[];
  /** probability (0-1) that any request is answered 503 (seeded, deterministic) */
  rate5xx?: number;
  /** probability that any request is answered 429 */
  rate429?: number;
  /** Retry-After seconds sent with 429 (default 1) */
  retryAfterS?: number;
  /** delay before answering, ms */
  delayMs?: number;
  /** which routes: api (default), auth or all */
  scope?: 'api' | 'auth' | 'all';
}

export interface HuamiNotificationBody {
  userId: string;
  eventType: string;
  eventTime: number;
  resourceTime?: number;
  data?: string;
}

export interface NotifyOptions {
  tamper?: 'body' | 'signature';
  omitSignature?: boolean;
}

export interface HuamiOpenSimulator {
  url: string;
  users: HuamiOpenSimUser[];
  clientId: string;
  clientSecret: string;
  publicKeyPem: string;
  /** Every request answered; `truncated` marks a date range answered only up to the end of its first month. */
  requests: { method: string; path: string; status: number; truncated?: boolean }[];
  /** Every authorization code, access token and refresh token minted so far (tests look for leaks of them). */
  mintedSecrets(): string[];
  authorize(userId: string, params: { clientId: string; redirectUri: string; scope?: string; state?: string }): string;
  groundTruth(userId: string, range: { from: string; to: string }): TableRows;
  revokeConsent(userId: string): void;
  expireAccessTokens(userId?: string): void;
  /** The tokens of a user the vendor accepts now: unexpired access tokens and unsuperseded refresh tokens. */
  liveTokens(userId: string): { accessTokens: string[]; refreshTokens: string[] };
  setFaults(spec: FaultSpec): void;
  signBody(raw: Uint8Array | string): string;
  makeNotification(userId: string, overrides?: Partial<HuamiNotificationBody>): HuamiNotificationBody;
  notify(
    targetUrl: string,
    notification: HuamiNotificationBody | string,
    options?: NotifyOptions,
  ): Promise<{ status: number; ms: number }>;
  notifyBurst(
    targetUrl: string,
    n: number,
  ): Promise<{ status: number; ms: number; notification: HuamiNotificationBody }[]>;
  close(): Promise<void>;
}
