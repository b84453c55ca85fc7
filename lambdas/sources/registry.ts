// The sources, listed once: how a user's SyncSource is opened from their stored tokens, each source's raw
// decoder and token renewal. The runtime, the handlers and the CLI take them from here and hand them to the
// engine, which imports no vendor. (Issue 16 stage B moves the vendor halves below into the vendor folders and
// makes this the only list of sources and streams.)
//
// A Zepp app token is re-minted from the login token when the API rejects it (never a fresh password login,
// which can log the phone out).

import { AuthExpiredError, LoginError } from '../core/errors.ts';
import type { TokenStore, UserTokens } from '../core/ports.ts';
import type { HttpOptions } from './http.ts';
import { HuamiOpenApi, type HuamiOpenAuth } from './huami-open/client.ts';
import { decodeHuamiOpenRaw } from './huami-open/decode-raw.ts';
import { HuamiOpenSource } from './huami-open/source.ts';
import { createStoredTokenAuth, type HuamiOpenTokens, huamiOpenTokenRenewer } from './huami-open/stored-tokens.ts';
import type {
  OpenSourceOptions,
  RawDecoder,
  RawDecoderLookup,
  SourceOpener,
  SyncSource,
  TokenRenewer,
} from './source.ts';
import { remintAppToken, ZeppApi } from './zepp/client.ts';
import { decodeZeppRaw } from './zepp/decode-raw.ts';
import { ZeppSource } from './zepp/source.ts';
import { zeppTokenRenewer } from './zepp/token-renewer.ts';

export type { HuamiOpenTokens };

/** A sync renews an access token that expires within this (they live 90 days; a sync step lasts minutes). */
const SYNC_RENEW_MARGIN_MS = 5 * 60_000;

const factories = new Map<string, SourceOpener>();

export function registerSourceFactory(source: string, f: SourceOpener): void {
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

registerSourceFactory('zepp', openZeppSource);

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

/**
 * The official API: an OAuth2 access token taken from the stored set before each call and renewed ahead of
 * expiry (and once on a 401) by renewHuamiOpenTokens, under the lease the sync holds, so the refresh token's
 * rotation never races another process. The client secret comes from the stored tokens, else from the options
 * (the runtime's HUAMI_CLIENT_SECRET); it is never printed.
 */
export function openHuamiOpenSource(
  userId: string,
  tokens: UserTokens,
  store: TokenStore,
  opts: OpenSourceOptions = {},
): SyncSource {
  const initial = tokens as HuamiOpenTokens;
  const clientSecret = initial.clientSecret ?? opts.clientSecret;
  const base = opts.host ?? initial.host;
  const hosts = base ? { base } : undefined;
  const { accessToken, refreshToken, clientId } = initial;
  let auth: HuamiOpenAuth;
  if (accessToken && refreshToken && clientId && clientSecret) {
    auth = createStoredTokenAuth({
      userId,
      tokens: store,
      initial,
      renew: {
        // Token expiry is a wall-clock instant at the vendor, whatever clock stamps the raw records.
        now: Date.now,
        marginMs: SYNC_RENEW_MARGIN_MS,
        clientSecret,
        ...(opts.http ? { http: opts.http } : {}),
        ...(opts.host ? { host: opts.host } : {}),
      },
    });
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

const rawDecoders = new Map<string, RawDecoder>([
  ['zepp', decodeZeppRaw],
  ['huami-open', decodeHuamiOpenRaw],
]);

/** The raw decoder of a source by name; undefined for a source nobody registered. */
export const rawDecoderOf: RawDecoderLookup = (source) => rawDecoders.get(source);

/** Lets another source register its decoder. */
export function registerRawDecoder(source: string, decoder: RawDecoder): void {
  rawDecoders.set(source, decoder);
}

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

/** Each source's token renewal with these settings, by source name (the token refresher's lookup). */
export function tokenRenewers(settings: TokenRenewalSettings): (source: string) => TokenRenewer | undefined {
  const { tokens, clock, http } = settings;
  const renewers = new Map<string, TokenRenewer>([
    ['zepp', zeppTokenRenewer({ tokens, clock, http, maxAgeMs: settings.zeppMaxAgeMs })],
    [
      'huami-open',
      huamiOpenTokenRenewer({
        tokens,
        clock,
        http,
        marginMs: settings.oauthMarginMs,
        clientSecret: settings.huamiClientSecret,
      }),
    ],
  ]);
  return (source) => renewers.get(source);
}
