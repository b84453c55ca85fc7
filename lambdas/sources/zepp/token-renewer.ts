// The zepp source's token renewal for the token refresher: an app token older than the maximum age is re-minted
// from the stored login token (never a password login, which can log the phone out) and written only over the
// version it was minted from. The caller holds the user's lease.

import type { TokenStore, UserTokens } from '../../core/ports.ts';
import type { HttpOptions } from '../http.ts';
import type { TokenRenewal, TokenRenewer } from '../source.ts';
import { remintAppToken } from './client.ts';

const DAY_MS = 86_400_000;

export function zeppTokenRenewer(opts: {
  tokens: TokenStore;
  clock: () => number;
  http?: HttpOptions;
  /** Re-mint an app token older than this (the API gives them 30 days). Default 7 days. */
  maxAgeMs?: number;
}): TokenRenewer {
  const isDue = (tokens: UserTokens): boolean => {
    const age = opts.clock() - (tokens.appTokenIssuedAt ?? 0);
    return !tokens.appToken || age >= (opts.maxAgeMs ?? 7 * DAY_MS);
  };
  return {
    isDue,
    async renew(userId): Promise<TokenRenewal> {
      const current = await opts.tokens.getCurrent(userId);
      if (!current) return { action: 'auth-failed', reason: 'no tokens stored' };
      const tokens = current.tokens;
      if (!isDue(tokens)) return { action: 'fresh' };
      if (!tokens.loginToken) return { action: 'auth-failed', reason: 'no login token stored; log in again' };
      const appToken = await remintAppToken(tokens.loginToken, { base: tokens.host }, opts.http);
      const stored = await opts.tokens.putIfCurrent(
        userId,
        { ...tokens, appToken, appTokenIssuedAt: opts.clock() },
        current.version,
      );
      // Another writer (a login) came first: its tokens are newer than the ones this renewal started from.
      return { action: stored ? 'refreshed' : 'fresh' };
    },
  };
}
