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

import {
  AuthExpiredError,
  LoginError,
  MalformedPayloadError,
  RateLimitedError,
  redact,
  UpstreamError,
} from '../../core/errors.ts';
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

const APP_NAME = 'com.xiaomi.hm.health';
const LOGIN_REDIRECT_URI = 'https://s3-us-west-2.amazonws.com/hm-registration/successsignin.html';
const TOKEN_DOMAINS = 'api-user.huami.com,api-mifit.huami.com,app-analytics.huami.com';
const LOGIN_DOMAINS =
  'account.huami.com,api-user.huami.com,api-watch.huami.com,api-analytics.huami.com,app-analytics.huami.com,api-mifit.huami.com';

/** Legacy envelope codes meaning "the app token is not valid (any more)". */

const LOGIN_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  '0106': 'the one-time login code was rejected (invalid or already used); start the login again',
  '0113': 'wrong region: the account belongs to another region, log in through that region’s account host',
  '0115': 'the account is disabled',
  '0117': 'no account is registered for this email',
};

// ------------------------------------------------------------------------------------------- helpers

function malformed(displayUrl: string, endpoint: string, text: string): Transient {
  return new Transient(
    'body is not valid JSON',
    () =>
      new MalformedPayloadError(
        endpoint,
        redact(`${displayUrl} kept answering a body that is not valid JSON (${text.length} chars) after the retries`),
      ),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hostsFor(hosts: ZeppHosts): { registration: string; account: string; data: string } {
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
function safeCode(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const s = String(value);
  return /^-?[A-Za-z0-9_.]{1,16}$/.test(s) ? s : undefined;
}

/** A LoginError whose message explains a known `error_code`; `fallback` describes anything else. */
function loginError(
  code: string | undefined,
  fallback: string,
  knownCodes = Object.keys(LOGIN_ERROR_MESSAGES),
): LoginError {
  const known = code !== undefined && knownCodes.includes(code) ? LOGIN_ERROR_MESSAGES[code] : undefined;
  const message = known ?? (code !== undefined ? `${fallback} (error ${code})` : fallback);
  return new LoginError(redact(`Zepp login failed: ${message}`), code);
}

// ------------------------------------------------------------------------------------------- login

interface AccessCode {
  access: string;
  countryCode?: string;
  region?: string;
}

function accessFromParams(get: (key: string) => string | null | undefined): AccessCode | { error: string } {
  const error = get('error');
  if (error) return { error };
  const access = get('access');
  if (!access) return { error: '' };
  const region = get('region') ?? undefined;
  // huami-token derives a missing country code from the region's first two letters.
  const countryCode = get('country_code') ?? (region ? region.slice(0, 2).toUpperCase() : undefined);
  return { access, countryCode, region };
}

/**
 * Email + password login, two steps (§2.1): the registration host answers a redirect whose Location
 * carries a one-time `access` code, which the account host exchanges for the login and app tokens.
 */
export async function loginWithPassword(
  email: string,
  password: string,
  hosts: ZeppHosts,
  http?: HttpOptions,
): Promise<ZeppLogin> {
  const h = resolveHttp(http);
  const { registration, account } = hostsFor(hosts);

  const step1Path = `/registrations/${encodeURIComponent(email)}/tokens`;
  const step1Display = '/registrations/[email]/tokens';
  const step1Body = new URLSearchParams({
    state: 'REDIRECTION',
    client_id: 'HuaMi',
    redirect_uri: LOGIN_REDIRECT_URI,
    token: 'access',
    password,
  }).toString();

  const requestAccessCode = () =>
    withRetries(h, step1Display, async () => {
      const ex = await exchangeOnce(
        h,
        registration + step1Path,
        {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: step1Body,
        },
        step1Display,
      );
      if (ex instanceof Transient) return ex;
      let parsed: AccessCode | { error: string } | undefined;
      const location = ex.headers.get('location');
      if (ex.status >= 300 && ex.status < 400 && location) {
        let target: URL;
        try {
          target = new URL(location, registration);
        } catch {
          throw new UpstreamError(`${step1Display}: redirect Location is not a URL`, ex.status);
        }
        parsed = accessFromParams((k) => target.searchParams.get(k));
      } else {
        // The `json_response=true` variant, and error bodies carrying `error_code`.
        const json = parseJson(ex.text);
        if (json.ok && isRecord(json.value)) {
          const body = json.value;
          if (body.error_code !== undefined) throw loginError(safeCode(body.error_code), 'login refused');
          if (ex.status === 200) {
            parsed = accessFromParams((k) => (typeof body[k] === 'string' ? (body[k] as string) : undefined));
          }
        } else if (ex.status === 200) {
          return malformed(step1Display, step1Display, ex.text);
        }
      }
      if (parsed === undefined) {
        throw new UpstreamError(redact(`${step1Display}: unexpected HTTP ${ex.status} ${excerpt(ex.text)}`), ex.status);
      }
      if ('error' in parsed) {
        if (parsed.error === '') throw loginError(undefined, 'the login redirect carried no access code');
        // 0106 belongs to step 2 (the one-time code); in step 1 every other error means bad credentials.
        throw loginError(safeCode(parsed.error), 'wrong email or password', ['0113', '0115', '0117']);
      }
      return parsed;
    });

  const step2Display = '/v2/client/login';
  const exchangeAccessCode = (code: AccessCode, onAttempt: () => void) => {
    const step2Body = new URLSearchParams({
      app_name: APP_NAME,
      app_version: '4.0.9',
      code: code.access,
      country_code: code.countryCode ?? 'US',
      device_id: '02:00:00:00:00:00',
      device_model: 'android_phone',
      grant_type: 'access_token',
      third_name: 'huami',
      allow_registration: 'false',
      dn: LOGIN_DOMAINS,
      lang: 'en',
    }).toString();

    return withRetries(h, step2Display, async () => {
      onAttempt();
      const ex = await exchangeOnce(
        h,
        account + step2Display,
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: step2Body },
        step2Display,
      );
      if (ex instanceof Transient) return ex;
      const json = parseJson(ex.text);
      if (!json.ok || !isRecord(json.value)) {
        if (ex.status === 200) return malformed(step2Display, step2Display, ex.text);
        throw new UpstreamError(redact(`${step2Display}: unexpected HTTP ${ex.status} ${excerpt(ex.text)}`), ex.status);
      }
      const body = json.value;
      if (body.error_code !== undefined) throw loginError(safeCode(body.error_code), 'login refused');
      const info = body.token_info;
      if (ex.status !== 200 || !isRecord(info)) {
        throw new UpstreamError(redact(`${step2Display}: HTTP ${ex.status} without token_info`), ex.status);
      }
      const { login_token: loginToken, app_token: appToken, user_id: userId } = info;
      if (typeof loginToken !== 'string' || typeof appToken !== 'string' || userId === undefined || userId === null) {
        throw new MalformedPayloadError('token_info', `${step2Display} answered without login_token/app_token/user_id`);
      }
      const regist = isRecord(body.regist_info) ? body.regist_info : {};
      const region = typeof regist.region === 'string' && regist.region ? regist.region : code.region;
      const countryCode =
        typeof regist.country_code === 'string' && regist.country_code ? regist.country_code : code.countryCode;
      return { loginToken, appToken, userId: String(userId), region, countryCode };
    });
  };

  let exchangeAttempts = 0;
  try {
    return await exchangeAccessCode(await requestAccessCode(), () => exchangeAttempts++);
  } catch (err) {
    // A retried exchange may meet 0106 because the attempt that timed out already spent the one-time code:
    // fetch one new code (a single extra password POST) instead of failing the login.
    if (!(err instanceof LoginError && err.code === '0106' && exchangeAttempts > 1)) throw err;
    return exchangeAccessCode(await requestAccessCode(), () => {});
  }
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
