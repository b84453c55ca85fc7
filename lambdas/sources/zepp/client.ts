// Client for the Zepp / Mi Fit app API (the private API the phone apps use; reference/huami-api.md §1-§7).
//
// Token policy (the caller owns it, this module only provides the pieces):
// - Store `loginToken`, `appToken` and `userId` after the one password login, and reuse them.
// - When the app token is rejected, mint a new one from the login token (`remintAppToken`) through
//   `ZeppAuth.refresh()`. Never fall back to a fresh password login while the login token still works:
//   the login endpoint is strictly rate-limited (429) and a new login can log the person's phone app out
//   ("mutex login"). Only when `remintAppToken` throws AuthExpiredError is a new password login needed,
//   and that should be a person's decision (`zepp-lake login`), not an unattended retry loop.
//
// Transport rules: ../http.ts (timeouts, retries with jittered backoff and `Retry-After`, unparseable bodies retried).
//
// Tokens travel only in headers (`apptoken`) or form bodies; the one exception is the vendor's
// `app_tokens?login_token=` query, which is redacted in every URL this module exposes (RawResponse.url,
// error messages, onRetry). Error messages go through `redact()` as a second line of defence.

import { AuthExpiredError, MalformedPayloadError, RateLimitedError, redact, UpstreamError } from '../../core/errors.ts';
import { legacyCodeKind } from '../../core/vendor-values.ts';
import {
  type Exchange,
  excerpt,
  exchangeOnce,
  type HttpOptions,
  parseJson,
  type RawResponse,
  type ResolvedHttp,
  resolveHttp,
  sanitizedCause,
  Transient,
  withRetries,
} from '../http.ts';

export interface ZeppHosts {
  /** one base URL for every call (simulator / proxy); overrides all below */
  base?: string;
  registration?: string;
  account?: string;
  data?: string;
}

export interface ZeppLogin {
  loginToken: string;
  appToken: string;
  userId: string;
  region?: string;
  countryCode?: string;
}

export interface ZeppAuth {
  current(): Promise<string>;
  /** called once after an auth failure; returns a fresh app token or throws AuthExpiredError */
  refresh(): Promise<string>;
}

const DEFAULT_HOSTS = {
  registration: 'https://api-user.huami.com',
  account: 'https://account.huami.com',
  data: 'https://api-mifit.huami.com',
} as const;

export const APP_NAME = 'com.xiaomi.hm.health';
const TOKEN_DOMAINS = 'api-user.huami.com,api-mifit.huami.com,app-analytics.huami.com';

// ------------------------------------------------------------------------------------------- helpers

export function malformed(displayUrl: string, endpoint: string, text: string): Transient {
  return new Transient(
    'body is not valid JSON',
    () =>
      new MalformedPayloadError(
        endpoint,
        redact(`${displayUrl} kept answering a body that is not valid JSON (${text.length} chars) after the retries`),
      ),
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function hostsFor(hosts: ZeppHosts): { registration: string; account: string; data: string } {
  const trim = (s: string) => s.replace(/\/+$/, '');
  if (hosts.base) {
    const base = trim(hosts.base);
    return { registration: base, account: base, data: base };
  }
  return {
    registration: trim(hosts.registration ?? DEFAULT_HOSTS.registration),
    account: trim(hosts.account ?? DEFAULT_HOSTS.account),
    data: trim(hosts.data ?? DEFAULT_HOSTS.data),
  };
}

function queryString(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Vendor error codes are short identifiers ("0106", "100302"); anything longer could be a token and is not echoed. */
export function safeCode(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const s = String(value);
  return /^-?[A-Za-z0-9_.]{1,16}$/.test(s) ? s : undefined;
}

/**
 * Mints a new app token from a stored login token (§2.3). Throws AuthExpiredError when the login token
 * itself is no longer accepted: only then is a new password login needed.
 */
export async function remintAppToken(loginToken: string, hosts: ZeppHosts, http?: HttpOptions): Promise<string> {
  const h = resolveHttp(http);
  const { account } = hostsFor(hosts);
  const path = '/v1/client/app_tokens';
  const query = queryString({ app_name: APP_NAME, dn: TOKEN_DOMAINS, login_token: loginToken });
  const display = redact(path + queryString({ app_name: APP_NAME, dn: TOKEN_DOMAINS, login_token: '[redacted]' }));

  return withRetries(h, display, async () => {
    const ex = await exchangeOnce(h, account + path + query, { method: 'GET' }, display);
    if (ex instanceof Transient) return ex;
    if (ex.status === 401 || ex.status === 403) {
      throw new AuthExpiredError(
        `${display}: login token rejected (HTTP ${ex.status}); a new password login is needed`,
      );
    }
    const json = parseJson(ex.text);
    if (!json.ok || !isRecord(json.value)) {
      if (ex.status === 200) return malformed(display, path, ex.text);
      throw new UpstreamError(redact(`${display}: unexpected HTTP ${ex.status} ${excerpt(ex.text)}`), ex.status);
    }
    const body = json.value;
    const info = body.token_info;
    if (body.result === 'ok' && isRecord(info) && typeof info.app_token === 'string' && info.app_token) {
      return info.app_token;
    }
    if (body.error_code !== undefined || (body.result !== undefined && body.result !== 'ok')) {
      const code = safeCode(body.error_code);
      throw new AuthExpiredError(
        `${display}: login token rejected${code ? ` (error_code ${code})` : ''}; a new password login is needed`,
      );
    }
    if (ex.status !== 200) {
      throw new UpstreamError(redact(`${display}: unexpected HTTP ${ex.status} ${excerpt(ex.text)}`), ex.status);
    }
    throw new MalformedPayloadError('token_info.app_token', `${display} answered without an app token`);
  });
}

// ------------------------------------------------------------------------------------------- data calls

type DataOutcome = { kind: 'ok'; response: RawResponse } | { kind: 'auth'; detail: string };

function mutexLogin(displayUrl: string, detail: string): AuthExpiredError {
  return new AuthExpiredError(
    redact(`${displayUrl}: another login took over this account (mutex login, ${detail}); the app token is void`),
  );
}

/** Reads one data-call answer per the legacy (`*.json`, HTTP 200 + `code`) or REST (HTTP status) rules of §7. */
function interpretData(ex: Exchange, displayUrl: string, endpoint: string, legacy: boolean): DataOutcome | Transient {
  const json = parseJson(ex.text);
  if (ex.status === 401) {
    const code = json.ok && isRecord(json.value) ? json.value.code : undefined;
    if (code === 108) throw mutexLogin(displayUrl, 'HTTP 401 code 108');
    return { kind: 'auth', detail: `HTTP 401${code !== undefined ? ` code ${safeCode(code) ?? '?'}` : ''}` };
  }
  if (ex.status === 400) {
    throw new UpstreamError(redact(`${displayUrl}: parameter error (HTTP 400) ${excerpt(ex.text)}`), 400);
  }
  if (ex.status === 403) {
    throw new UpstreamError(
      redact(`${displayUrl}: forbidden (HTTP 403; a wrong regional host answers this) ${excerpt(ex.text)}`),
      403,
    );
  }
  if (ex.status !== 200) {
    throw new UpstreamError(redact(`${displayUrl}: unexpected HTTP ${ex.status} ${excerpt(ex.text)}`), ex.status);
  }
  if (!json.ok) return malformed(displayUrl, endpoint, ex.text);
  const response: RawResponse = {
    url: displayUrl,
    status: ex.status,
    text: ex.text,
    body: json.value,
    fetchedAt: Date.now(),
  };
  if (!legacy) return { kind: 'ok', response };

  const body = json.value;
  if (!isRecord(body) || typeof body.code !== 'number') {
    throw new MalformedPayloadError(endpoint, 'legacy envelope without a numeric code');
  }
  const message = typeof body.message === 'string' ? ` (${excerpt(body.message)})` : '';
  const code = body.code;
  const kind = legacyCodeKind(code);
  if (kind === 'ok') return { kind: 'ok', response };
  if (kind === 'auth') return { kind: 'auth', detail: `legacy code ${code}` };
  if (kind === 'mutex') throw mutexLogin(displayUrl, 'legacy code -1');
  if (kind === 'parameter') {
    throw new UpstreamError(redact(`${displayUrl}: parameter error, legacy code ${code}${message}`), ex.status);
  }
  throw new UpstreamError(redact(`${displayUrl}: unexpected legacy code ${code}${message}`), ex.status);
}

export class ZeppApi {
  private readonly userId: string;
  private readonly auth: ZeppAuth;
  private readonly dataHost: string;
  private readonly http: ResolvedHttp;

  constructor(opts: { userId: string; auth: ZeppAuth; hosts: ZeppHosts; http?: HttpOptions }) {
    this.userId = opts.userId;
    this.auth = opts.auth;
    this.dataHost = hostsFor(opts.hosts).data;
    this.http = resolveHttp(opts.http);
  }

  /** Daily band data (§3): summaries, plus per-minute `data`/`data_hr` blobs for `detail`. */
  getBandData(fromDate: string, toDate: string, queryType: 'detail' | 'summary' = 'detail'): Promise<RawResponse> {
    return this.get('/v1/data/band_data.json', {
      query_type: queryType,
      device_type: 'android_phone',
      userid: this.userId,
      from_date: fromDate,
      to_date: toDate,
    });
  }

  /** One page of workout history (§4.1), newest first; pass the previous page's `data.next` as `trackid`. */
  getWorkoutHistory(trackid?: number): Promise<RawResponse> {
    return this.get('/v1/sport/run/history.json', { trackid });
  }

  /** One workout's series (§4.2); `source` comes from its history item. */
  getWorkoutDetail(trackid: number, source: string): Promise<RawResponse> {
    return this.get('/v1/sport/run/detail.json', { trackid, source });
  }

  /** Events v1 (§5.1): `from`/`to` in epoch ms; the answer is `{items: [...]}` with no paging cursor. */
  getEvents(
    eventType: string,
    fromMs: number,
    toMs: number,
    opts?: { limit?: number; timeZone?: string; subType?: string },
  ): Promise<RawResponse> {
    return this.get(`/users/${encodeURIComponent(this.userId)}/events`, {
      eventType,
      subType: opts?.subType,
      from: fromMs,
      to: toMs,
      limit: opts?.limit ?? 1000,
      timeZone: opts?.timeZone,
    });
  }

  /** The person's bound devices (§6). */
  getDevices(): Promise<RawResponse> {
    return this.get(`/users/${encodeURIComponent(this.userId)}/devices`, { enableMultiDevice: 'true' });
  }

  private async get(path: string, params: Record<string, string | number | undefined>): Promise<RawResponse> {
    const pathAndQuery = path + queryString(params);
    const displayUrl = redact(pathAndQuery);
    const legacy = path.endsWith('.json');
    let token = await this.auth.current();
    let refreshed = false;
    for (;;) {
      const appToken = token;
      const outcome = await withRetries(this.http, displayUrl, async () => {
        const ex = await exchangeOnce(
          this.http,
          this.dataHost + pathAndQuery,
          { method: 'GET', headers: { apptoken: appToken, appPlatform: 'web', appname: APP_NAME } },
          displayUrl,
        );
        if (ex instanceof Transient) return ex;
        return interpretData(ex, displayUrl, path, legacy);
      });
      if (outcome.kind === 'ok') return outcome.response;
      if (refreshed) {
        throw new AuthExpiredError(
          redact(`${displayUrl}: app token still rejected after a refresh (${outcome.detail})`),
        );
      }
      refreshed = true;
      token = await this.refresh(displayUrl, outcome.detail);
    }
  }

  private async refresh(displayUrl: string, detail: string): Promise<string> {
    try {
      return await this.auth.refresh();
    } catch (err) {
      // Transient failures of the refresh itself stay what they are, so the ledger says `failed`, not `auth_failed`.
      if (err instanceof AuthExpiredError || err instanceof RateLimitedError || err instanceof UpstreamError) throw err;
      throw new AuthExpiredError(
        redact(`${displayUrl}: app token rejected (${detail}) and the refresh failed: ${sanitizedCause(err).message}`),
        { cause: sanitizedCause(err) },
      );
    }
  }
}
