// The Zepp app API as a plug-in of the source registry: a user's SyncSource opened from their stored tokens (an
// app token re-minted from the login token when the API rejects it, never a fresh password login, which can log
// the phone out), the reader of its stored responses and its token renewal.

import { AuthExpiredError, LoginError } from '../../core/errors.ts';
import type { TokenStore, UserTokens } from '../../core/ports.ts';
import type { OpenSourceOptions, SourcePlugin, SyncSource } from '../source.ts';
import { remintAppToken, ZeppApi } from './client.ts';
import { decodeZeppRaw } from './decode-raw.ts';
import { ZEPP_ENDPOINTS } from './endpoints.ts';
import { ZeppSource } from './source.ts';
import { zeppTokenRenewer } from './token-renewer.ts';

export function openZeppSource(
  userId: string,
  tokens: UserTokens,
  store: TokenStore,
  opts: OpenSourceOptions = {},
): SyncSource {
  let current = tokens;
  const hosts = { base: opts.host ?? tokens.host };
  const api = new ZeppApi({
    userId: tokens.vendorUserId,
    hosts,
    http: opts.http,
    auth: {
      async current() {
        if (!current.appToken) throw new AuthExpiredError(`user ${userId} has no app token; run zepp-lake login`);
        return current.appToken;
      },
      async refresh() {
        try {
          current = await remintStoredAppToken({ userId, using: current, store, hosts, opts });
          return current.appToken as string;
        } catch (err) {
          if (err instanceof LoginError || err instanceof AuthExpiredError) {
            throw new AuthExpiredError(`the login token of user ${userId} no longer works; run zepp-lake login again`, {
              cause: err,
            });
          }
          throw err;
        }
      },
    },
  });
  return new ZeppSource(api, userId, opts.clock);
}

/**
 * A fresh app token for a user whose token the API just refused, without losing a newer stored set: the stored
 * tokens are read first, and when they already hold another app token (the refresher re-minted it, or the person
 * logged in again in another terminal) that one is used; otherwise the stored login token mints one, written only
 * over the version it was minted from. A lost race re-reads and uses the winner's tokens.
 */
async function remintStoredAppToken(args: {
  userId: string;
  using: UserTokens;
  store: TokenStore;
  hosts: { base?: string };
  opts: OpenSourceOptions;
}): Promise<UserTokens> {
  const { userId, using, store, hosts, opts } = args;
  for (let attempt = 0; attempt < 3; attempt++) {
    const stored = await store.getCurrent(userId);
    const tokens = stored?.tokens ?? using;
    if (tokens.appToken && tokens.appToken !== using.appToken) return tokens;
    if (!tokens.loginToken) throw new AuthExpiredError(`user ${userId} has no login token; run zepp-lake login`);
    const appToken = await remintAppToken(tokens.loginToken, hosts, opts.http);
    const next = { ...tokens, appToken, appTokenIssuedAt: (opts.clock ?? Date.now)() };
    if (!stored) {
      await store.put(userId, next);
      return next;
    }
    if (await store.putIfCurrent(userId, next, stored.version)) return next;
  }
  throw new AuthExpiredError(`the tokens of user ${userId} kept changing while a new app token was minted; sync again`);
}

export const zeppPlugin: SourcePlugin = {
  id: 'zepp',
  open: openZeppSource,
  reader: { decode: decodeZeppRaw, endpoints: ZEPP_ENDPOINTS },
  renewer: (s) => zeppTokenRenewer({ tokens: s.tokens, clock: s.clock, http: s.http, maxAgeMs: s.zeppMaxAgeMs }),
};
