// The official Huami Web API as a plug-in of the source registry: a user's SyncSource opened from their stored
// OAuth tokens, the reader of its stored responses and its token renewal.

import { AuthExpiredError } from '../../core/errors.ts';
import type { TokenStore, UserTokens } from '../../core/ports.ts';
import type { OpenSourceOptions, SourcePlugin, SyncSource } from '../source.ts';
import { HuamiOpenApi, type HuamiOpenAuth } from './client.ts';
import { decodeHuamiOpenRaw } from './decode-raw.ts';
import { HUAMI_OPEN_RAW_ENDPOINTS } from './endpoints.ts';
import { HuamiOpenSource } from './source.ts';
import { createStoredTokenAuth, type HuamiOpenTokens, huamiOpenTokenRenewer } from './stored-tokens.ts';

/** A sync renews an access token that expires within this (they live 90 days; a sync step lasts minutes). */
const SYNC_RENEW_MARGIN_MS = 5 * 60_000;

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

export const huamiOpenPlugin: SourcePlugin = {
  id: 'huami-open',
  open: openHuamiOpenSource,
  reader: { decode: decodeHuamiOpenRaw, endpoints: HUAMI_OPEN_RAW_ENDPOINTS },
  renewer: (s) =>
    huamiOpenTokenRenewer({
      tokens: s.tokens,
      clock: s.clock,
      http: s.http,
      marginMs: s.oauthMarginMs,
      clientSecret: s.huamiClientSecret,
    }),
};
