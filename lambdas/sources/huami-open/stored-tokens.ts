// Renewing a huami-open user's OAuth tokens when several processes may do it: the token refresher Lambda, sync
// workers, a laptop's `sync`. The vendor may rotate the refresh token at every refresh and refuse the one it
// replaced (invalid_grant), so two renewals from the same stored set race, and the loser must not take the
// refusal for a withdrawn consent. Three rules (docs/decisions/0010-oauth-refresh-rotation.md):
//
// 1. One renewal per user at a time: every renewal runs under the user's lease (sync already holds it; the
//    refresher takes it), and the new set is written with a compare-and-set on the version it was made from
//    (TokenStore.putIfCurrent), so a set never overwrites a newer one.
// 2. A renewal starts from the stored set read past any cache; when that set is not the one the caller holds,
//    another process renewed already and its set is used. invalid_grant re-reads the stored set: a different
//    refresh token there is the newer set to use; only a refusal of the stored refresh token is a lost consent.
// 3. A sync source re-reads the stored set before each call (a cached read), so it never keeps using a token
//    older than the one stored.
//
// held set --> getCurrent (versioned) --> [newer? use it] --> vendor refresh --> putIfCurrent --> new set

import { AuthExpiredError } from '../../core/errors.ts';
import type { TokenStore, UserTokens, VersionedTokens } from '../../core/ports.ts';
import type { HttpOptions } from '../http.ts';
import type { TokenRenewal, TokenRenewer } from '../source.ts';
import {
  type HuamiOpenAuth,
  type HuamiOpenHosts,
  OAuthGrantRefusedError,
  type OAuthTokens,
  refreshAccessToken,
} from './client.ts';

/**
 * huami-open tokens as stored: UserTokens plus the partner app's client secret, kept with the user's tokens
 * (Secrets Manager or the 0600 file) so that whatever refreshes them needs no other configuration.
 */
export type HuamiOpenTokens = UserTokens & { clientSecret?: string };

export interface RenewDeps {
  tokens: TokenStore;
  /** Decides whether an access token is due (its expiry is a wall-clock instant). */
  now: () => number;
  /** An access token that expires within this is renewed. */
  marginMs: number;
  http?: HttpOptions;
  /** The partner app's client secret when the stored tokens do not carry one (env HUAMI_CLIENT_SECRET). */
  clientSecret?: string;
  /** A base URL that overrides the stored host (`--host`). */
  host?: string;
}

export interface RenewResult {
  tokens: HuamiOpenTokens;
  /** True when this call renewed at the vendor; false when it took a set another process stored. */
  renewed: boolean;
}

/** Writes attempted before a renewal gives up on a store that keeps changing under it. */
const WRITE_ATTEMPTS = 3;

/** A renewal could not store its new tokens: the stored set kept changing. Worth another try later. */
export class TokenRenewalConflictError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenRenewalConflictError';
  }
}

export function isDue(tokens: HuamiOpenTokens, now: number, marginMs: number): boolean {
  return !tokens.accessToken || (tokens.accessTokenExpiresAt ?? 0) - now <= marginMs;
}

async function storedSet(tokens: TokenStore, userId: string): Promise<VersionedTokens & { tokens: HuamiOpenTokens }> {
  const current = await tokens.getCurrent(userId);
  if (!current || current.tokens.source !== 'huami-open') {
    throw new AuthExpiredError(`user ${userId} has no huami-open tokens; run zepp-lake users add --source huami-open`);
  }
  return current as VersionedTokens & { tokens: HuamiOpenTokens };
}

/** The vendor's new set for `stored`, or the newer stored set when the vendor refused a superseded refresh token. */
async function refreshAtVendor(
  deps: RenewDeps,
  userId: string,
  stored: HuamiOpenTokens,
): Promise<{ next: OAuthTokens } | { newer: HuamiOpenTokens }> {
  const clientSecret = stored.clientSecret ?? deps.clientSecret;
  const { refreshToken, clientId } = stored;
  if (!refreshToken || !clientId || !clientSecret) {
    const what = !refreshToken ? 'refresh token' : !clientId ? 'client id' : 'client secret';
    const fix =
      what === 'client secret'
        ? 'set HUAMI_CLIENT_SECRET or run zepp-lake users add again'
        : 'run zepp-lake users add --source huami-open again';
    throw new AuthExpiredError(`no ${what} stored for user ${userId}; ${fix}`);
  }
  const base = deps.host ?? stored.host;
  const hosts: HuamiOpenHosts | undefined = base ? { base } : undefined;
  try {
    return { next: await refreshAccessToken({ refreshToken, clientId, clientSecret }, hosts, deps.http) };
  } catch (err) {
    if (!(err instanceof OAuthGrantRefusedError)) throw err;
    // A refusal of a refresh token that is no longer the stored one is a lost race, not a lost consent.
    const now = (await deps.tokens.getCurrent(userId))?.tokens as HuamiOpenTokens | undefined;
    if (now?.source === 'huami-open' && now.refreshToken && now.refreshToken !== refreshToken) return { newer: now };
    throw err;
  }
}

/**
 * Stores the vendor's new set over the version it was made from. When another writer came first: a set with a
 * different refresh token there is newer (a new consent) and wins; one with the refresh token just spent is
 * stale (the vendor has superseded it), so the new tokens go on top of it.
 */
async function storeRenewed(
  deps: RenewDeps,
  userId: string,
  from: VersionedTokens & { tokens: HuamiOpenTokens },
  next: OAuthTokens,
): Promise<RenewResult> {
  const spent = from.tokens.refreshToken;
  let base = from;
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const renewed: HuamiOpenTokens = {
      ...base.tokens,
      accessToken: next.accessToken,
      refreshToken: next.refreshToken,
      accessTokenExpiresAt: next.expiresAt,
    };
    if (await deps.tokens.putIfCurrent(userId, renewed, base.version)) return { tokens: renewed, renewed: true };
    base = await storedSet(deps.tokens, userId);
    if (base.tokens.refreshToken !== spent) return { tokens: base.tokens, renewed: false };
  }
  throw new TokenRenewalConflictError(
    `the tokens of user ${userId} kept changing while they were renewed; the next run tries again`,
  );
}

/**
 * Renews a huami-open user's tokens; call it while holding the user's lease. `heldAccessToken` is the access
 * token the caller has been using: a stored set with another one that is not due is another process's renewal,
 * and is returned as it is. Throws AuthExpiredError only when the stored refresh token itself is refused.
 */
export async function renewHuamiOpenTokens(
  deps: RenewDeps,
  userId: string,
  heldAccessToken: string | undefined,
): Promise<RenewResult> {
  let current = await storedSet(deps.tokens, userId);
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const stored = current.tokens;
    if (stored.accessToken !== heldAccessToken && !isDue(stored, deps.now(), deps.marginMs)) {
      return { tokens: stored, renewed: false };
    }
    const answer = await refreshAtVendor(deps, userId, stored);
    if ('next' in answer) return storeRenewed(deps, userId, current, answer.next);
    // Another process rotated first: take its set (renewing it again only if that one is due too).
    current = await storedSet(deps.tokens, userId);
    heldAccessToken = stored.accessToken;
  }
  throw new TokenRenewalConflictError(
    `the tokens of user ${userId} kept changing while they were renewed; the next run tries again`,
  );
}

const DAY_MS = 86_400_000;

/**
 * The huami-open source's token renewal for the token refresher: an access token that expires within the margin
 * is renewed (the refresh token may rotate, so the whole new set is stored). The caller holds the user's lease.
 */
export function huamiOpenTokenRenewer(opts: {
  tokens: TokenStore;
  clock: () => number;
  http?: HttpOptions;
  /** Refresh an access token that expires within this (they live 90 days). Default 7 days. */
  marginMs?: number;
  /** The partner app's client secret when the stored tokens do not carry one. */
  clientSecret?: string;
}): TokenRenewer {
  const marginMs = opts.marginMs ?? 7 * DAY_MS;
  return {
    isDue: (tokens) => isDue(tokens, opts.clock(), marginMs),
    async renew(userId, seen): Promise<TokenRenewal> {
      const { renewed } = await renewHuamiOpenTokens(
        {
          tokens: opts.tokens,
          now: opts.clock,
          marginMs,
          ...(opts.http ? { http: opts.http } : {}),
          ...(opts.clientSecret ? { clientSecret: opts.clientSecret } : {}),
        },
        userId,
        seen.accessToken,
      );
      // Not renewed here: another process renewed them since `seen` was read.
      return { action: renewed ? 'refreshed' : 'fresh' };
    },
  };
}

/**
 * The auth of a sync source over the user's stored tokens: before each call it takes the stored set when that
 * is newer than its own (a cached read: Secrets Manager is asked at most once a minute, the token file each
 * time), renews ahead of expiry and after a 401 (one renewal at a time in this process).
 */
export function createStoredTokenAuth(args: {
  userId: string;
  tokens: TokenStore;
  initial: HuamiOpenTokens;
  renew: Omit<RenewDeps, 'tokens'>;
}): HuamiOpenAuth {
  const { userId, tokens } = args;
  let held = args.initial;
  let renewing: Promise<string> | undefined;
  const renew = (): Promise<string> => {
    renewing ??= renewHuamiOpenTokens({ ...args.renew, tokens }, userId, held.accessToken)
      .then(({ tokens: next }) => {
        held = next;
        if (!next.accessToken) throw new AuthExpiredError(`user ${userId} has no huami-open access token stored`);
        return next.accessToken;
      })
      .finally(() => {
        renewing = undefined;
      });
    return renewing;
  };
  return {
    refresh: renew,
    async current() {
      if (renewing) return renewing;
      // Only a check for a newer set: a store that cannot answer now leaves the call to the tokens held (a
      // renewal, which must read the store, reports its errors).
      const stored = (await tokens.get(userId).catch(() => undefined)) as HuamiOpenTokens | undefined;
      if (stored?.source === 'huami-open' && stored.accessToken && stored.accessToken !== held.accessToken) {
        held = stored;
      }
      if (isDue(held, args.renew.now(), args.renew.marginMs)) return renew();
      return held.accessToken!;
    },
  };
}
