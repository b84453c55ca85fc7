// Builds the sync source of a user from their stored tokens. A Zepp app token is re-minted from the
// login token when the API rejects it (never a fresh password login, which can log the phone out).

import { type HttpOptions, remintAppToken, ZeppApi } from '../adapters/zepp-api.ts';
import { AuthExpiredError, LoginError } from '../core/errors.ts';
import type { TokenStore, UserTokens } from '../core/ports.ts';
import type { SyncSource } from '../engine/source.ts';
import { ZeppSource } from '../engine/zepp-source.ts';

export interface OpenSourceOptions {
  http?: HttpOptions;
  clock?: () => number;
  /** Overrides the host stored with the user (e.g. --host). */
  host?: string;
}

export type SourceFactory = (
  userId: string,
  tokens: UserTokens,
  store: TokenStore,
  opts?: OpenSourceOptions,
) => SyncSource;

const factories = new Map<string, SourceFactory>();

export function registerSourceFactory(source: string, f: SourceFactory): void {
  factories.set(source, f);
}

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
        if (!current.loginToken) throw new AuthExpiredError(`user ${userId} has no login token; run zepp-lake login`);
        try {
          const appToken = await remintAppToken(current.loginToken, hosts, opts.http);
          current = { ...current, appToken, appTokenIssuedAt: (opts.clock ?? Date.now)() };
          await store.put(userId, current);
          return appToken;
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

registerSourceFactory('zepp', openZeppSource);

export function openSource(
  userId: string,
  tokens: UserTokens,
  store: TokenStore,
  opts?: OpenSourceOptions,
): SyncSource {
  const f = factories.get(tokens.source);
  if (!f) throw new Error(`no sync source for ${tokens.source}`);
  return f(userId, tokens, store, opts);
}
