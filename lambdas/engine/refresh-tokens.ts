// Keeps every user's vendor tokens usable without a person: a Zepp app token is re-minted from the login token
// once it is old (never a password login, which can log the phone out), and a huami-open OAuth access token is
// refreshed before it expires (the refresh token may rotate, so the whole new set is stored). A failure is
// reported, never acted on here: no ledger row, no lake object, no token deleted; the next sync marks the user
// auth_failed if the token really no longer works.
//
// user --> TokenStore.get --> vendor token call --> TokenStore.put (a new secret version; the old one stays as AWSPREVIOUS)

import { refreshAccessToken } from '../adapters/huami-open-api.ts';
import { type HttpOptions, remintAppToken } from '../adapters/zepp-api.ts';
import type { HuamiOpenTokens } from '../cli/open-source.ts';
import { AuthExpiredError, LoginError, redact } from '../core/errors.ts';
import type { SourceId, TokenStore, UserRecord, UserTokens } from '../core/ports.ts';

const DAY_MS = 86_400_000;

export interface TokenRefreshDeps {
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

export type TokenRefreshAction =
  /** New tokens were stored. */
  | 'refreshed'
  /** Nothing to do yet. */
  | 'fresh'
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

async function refreshZepp(deps: TokenRefreshDeps, userId: string, tokens: UserTokens): Promise<TokenRefreshResult> {
  const now = deps.clock();
  const age = now - (tokens.appTokenIssuedAt ?? 0);
  if (tokens.appToken && age < (deps.zeppMaxAgeMs ?? 7 * DAY_MS)) return { userId, source: 'zepp', action: 'fresh' };
  if (!tokens.loginToken)
    return { userId, source: 'zepp', action: 'auth-failed', reason: 'no login token stored; log in again' };
  const appToken = await remintAppToken(tokens.loginToken, { base: tokens.host }, deps.http);
  await deps.tokens.put(userId, { ...tokens, appToken, appTokenIssuedAt: now });
  return { userId, source: 'zepp', action: 'refreshed' };
}

async function refreshHuamiOpen(
  deps: TokenRefreshDeps,
  userId: string,
  tokens: HuamiOpenTokens,
): Promise<TokenRefreshResult> {
  const now = deps.clock();
  const expiresAt = tokens.accessTokenExpiresAt ?? 0;
  if (tokens.accessToken && expiresAt - now > (deps.oauthMarginMs ?? 7 * DAY_MS))
    return { userId, source: 'huami-open', action: 'fresh' };
  const clientSecret = tokens.clientSecret ?? deps.huamiClientSecret;
  if (!tokens.refreshToken || !tokens.clientId || !clientSecret) {
    const what = !tokens.refreshToken ? 'refresh token' : !tokens.clientId ? 'client id' : 'client secret';
    return { userId, source: 'huami-open', action: 'auth-failed', reason: `no ${what} stored; authorize again` };
  }
  const next = await refreshAccessToken(
    { refreshToken: tokens.refreshToken, clientId: tokens.clientId, clientSecret },
    tokens.host ? { base: tokens.host } : undefined,
    deps.http,
  );
  await deps.tokens.put(userId, {
    ...tokens,
    accessToken: next.accessToken,
    refreshToken: next.refreshToken,
    accessTokenExpiresAt: next.expiresAt,
  });
  return { userId, source: 'huami-open', action: 'refreshed' };
}

/** Refreshes one user's tokens when they are due; never throws (the result says what went wrong). */
export async function refreshUserTokens(deps: TokenRefreshDeps, user: UserRecord): Promise<TokenRefreshResult> {
  const userId = user.userId;
  try {
    const tokens = await deps.tokens.get(userId);
    if (!tokens) return { userId, source: user.source, action: 'auth-failed', reason: 'no tokens stored' };
    switch (tokens.source) {
      case 'zepp':
        return await refreshZepp(deps, userId, tokens);
      case 'huami-open':
        return await refreshHuamiOpen(deps, userId, tokens);
      default:
        return { userId, source: 'unknown', action: 'failed', reason: `unknown source ${String(tokens.source)}` };
    }
  } catch (err) {
    const auth = err instanceof AuthExpiredError || err instanceof LoginError;
    return { userId, source: user.source, action: auth ? 'auth-failed' : 'failed', reason: reasonOf(err) };
  }
}
