// Builds the sync source of a user from their stored tokens. A Zepp app token is re-minted from the
// login token when the API rejects it (never a fresh password login, which can log the phone out).

import { createTokenAuth, HuamiOpenApi, type HuamiOpenAuth, type OAuthTokens } from '../adapters/huami-open-api.ts';
import { type HttpOptions, remintAppToken, ZeppApi } from '../adapters/zepp-api.ts';
import { AuthExpiredError, LoginError } from '../core/errors.ts';
import type { TokenStore, UserTokens } from '../core/ports.ts';
import { HuamiOpenSource } from '../engine/huami-open-source.ts';
import type { SyncSource } from '../engine/source.ts';
import { ZeppSource } from '../engine/zepp-source.ts';

export interface OpenSourceOptions {
  http?: HttpOptions;
  clock?: () => number;
  /** Overrides the host stored with the user (e.g. --host). */
  host?: string;
  /** The user's configured UTC offset (UserRecord.tzOffsetS), for sources whose API never says it (huami-open). */
  tzOffsetS?: number;
}

/**
 * huami-open tokens as stored: UserTokens plus the partner app's client secret, kept with the user's tokens
 * (Secrets Manager or the 0600 file) so that whatever refreshes them needs no other configuration.
 */
export type HuamiOpenTokens = UserTokens & { clientSecret?: string };

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

/**
 * The official API: an OAuth2 access token refreshed ahead of expiry (and once on a 401); every new token set
 * is written back to the token store at once, since the refresh token may rotate. The client secret comes
 * from the stored tokens, else env HUAMI_CLIENT_SECRET; it is never printed.
 */
export function openHuamiOpenSource(
  userId: string,
  tokens: UserTokens,
  store: TokenStore,
  opts: OpenSourceOptions = {},
): SyncSource {
  let current = tokens as HuamiOpenTokens;
  const clientSecret = current.clientSecret ?? process.env.HUAMI_CLIENT_SECRET;
  const base = opts.host ?? current.host;
  const hosts = base ? { base } : undefined;
  const { accessToken, refreshToken, clientId } = current;
  const persist = async (next: OAuthTokens): Promise<void> => {
    current = {
      ...current,
      accessToken: next.accessToken,
      refreshToken: next.refreshToken,
      accessTokenExpiresAt: next.expiresAt,
    };
    await store.put(userId, current);
  };
  let auth: HuamiOpenAuth;
  if (accessToken && refreshToken && clientId && clientSecret) {
    const tokenSet = { accessToken, refreshToken, expiresAt: current.accessTokenExpiresAt ?? 0 };
    auth = createTokenAuth({ tokens: tokenSet, clientId, clientSecret, hosts, http: opts.http, onTokens: persist });
  } else {
    // Missing credentials fail the first call as an auth failure, so the ledger says auth_failed for the user.
    const message =
      accessToken && refreshToken && clientId
        ? `no client secret for user ${userId}: set HUAMI_CLIENT_SECRET or run zepp-lake users add again`
        : `user ${userId} has no huami-open tokens; run zepp-lake users add --source huami-open`;
    const fail = async (): Promise<string> => {
      throw new AuthExpiredError(message);
    };
    auth = { current: fail, refresh: fail };
  }
  const api = new HuamiOpenApi(auth, { hosts, http: opts.http });
  return new HuamiOpenSource(api, userId, { tzOffsetS: opts.tzOffsetS, clock: opts.clock });
}

registerSourceFactory('huami-open', openHuamiOpenSource);

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
