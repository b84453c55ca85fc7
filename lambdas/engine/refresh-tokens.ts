// Keeps every user's vendor tokens usable without a person: a Zepp app token is re-minted from the login token
// once it is old (never a password login, which can log the phone out), and a huami-open OAuth access token is
// renewed before it expires (the refresh token may rotate, so the whole new set is stored). A failure is
// reported, never acted on here: no ledger row, no lake object, no token deleted; the next sync marks the user
// auth_failed if the token really no longer works.
//
// A renewal runs under the user's lease, the one a sync holds while it runs: a user being synced is left to the
// sync (which renews on its own when the token is due) and reported `busy`. Under the lease the stored tokens are
// read again past any cache and written back with a compare-and-set (docs/decisions/0010-oauth-refresh-rotation.md).
//
// user --> TokenStore.get --> due? --> lease --> TokenStore.getCurrent --> vendor token call --> putIfCurrent
//
// The due check and the vendor call are each source's TokenRenewer (lambdas/sources/), handed in by the caller:
// the engine imports no vendor.

import { randomUUID } from 'node:crypto';
import { AuthExpiredError, LoginError, redact } from '../core/errors.ts';
import type { SourceId, StateStore, TokenStore, UserRecord } from '../core/ports.ts';
import type { TokenRenewer } from '../sources/source.ts';

/** Long enough for one vendor token call with all its retries; released as soon as the renewal ends. */
const DEFAULT_LEASE_TTL_MS = 5 * 60_000;

export interface TokenRefreshDeps {
  tokens: TokenStore;
  /** Holds the users' leases: a renewal never runs beside a sync (or another renewal) of the same user. */
  state: StateStore;
  clock: () => number;
  /** Each source's renewal, by source name (sources/registry.ts tokenRenewers, with the vendor settings). */
  renewerOf: (source: string) => TokenRenewer | undefined;
  /** Names this run in the lease (default `token-refresher`); a unique suffix is added per user. */
  leaseOwner?: string;
  leaseTtlMs?: number;
}

export type TokenRefreshAction =
  /** New tokens were stored. */
  | 'refreshed'
  /** Nothing to do yet (or another process renewed them just before). */
  | 'fresh'
  /** A sync of the user runs now and renews the tokens itself when they are due; tomorrow's run checks again. */
  | 'busy'
  /** The vendor refused the long-lived token (or it is missing): a person must log in or authorize again. */
  | 'auth-failed'
  /** The vendor or AWS failed; tomorrow's run (or the next sync's on-demand refresh) tries again. */
  | 'failed';

export interface TokenRefreshResult {
  userId: string;
  source: SourceId | 'unknown';
  action: TokenRefreshAction;
  /** Why, for failures; never contains a token. */
  reason?: string;
}

function reasonOf(err: unknown): string {
  return redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 500);
}

/** Runs `renew` holding the user's lease; `busy` when a sync (or another renewal) holds it now. */
async function underLease(
  deps: TokenRefreshDeps,
  user: UserRecord,
  renew: () => Promise<TokenRefreshResult>,
): Promise<TokenRefreshResult> {
  const owner = `${deps.leaseOwner ?? 'token-refresher'}/${randomUUID()}`;
  if (!(await deps.state.acquireLease(user.userId, owner, deps.clock(), deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS))) {
    return {
      userId: user.userId,
      source: user.source,
      action: 'busy',
      reason: 'a sync of the user runs now; it renews the tokens itself when they are due',
    };
  }
  try {
    return await renew();
  } finally {
    await deps.state.releaseLease(user.userId, owner);
  }
}

/** Refreshes one user's tokens when they are due; never throws (the result says what went wrong). */
export async function refreshUserTokens(deps: TokenRefreshDeps, user: UserRecord): Promise<TokenRefreshResult> {
  const userId = user.userId;
  try {
    const tokens = await deps.tokens.get(userId);
    if (!tokens) return { userId, source: user.source, action: 'auth-failed', reason: 'no tokens stored' };
    const source = tokens.source;
    const renewer = deps.renewerOf(source);
    if (!renewer) return { userId, source: 'unknown', action: 'failed', reason: `unknown source ${String(source)}` };
    if (!renewer.isDue(tokens)) return { userId, source, action: 'fresh' };
    return await underLease(deps, user, async () => ({ userId, source, ...(await renewer.renew(userId, tokens)) }));
  } catch (err) {
    const auth = err instanceof AuthExpiredError || err instanceof LoginError;
    return { userId, source: user.source, action: auth ? 'auth-failed' : 'failed', reason: reasonOf(err) };
  }
}
