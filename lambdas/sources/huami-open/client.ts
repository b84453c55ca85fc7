// Client for the official partner "Huami Web API" (source `huami-open`; seed 003, reference §2.4):
// OAuth2 authorization code flow on auth.huami.com and the data endpoints on api-open.huami.com.
//
// Public API
//   buildAuthorizeUrl({clientId, redirectUri, scopes, state, authBase?}): string
//   exchangeCode({code, clientId, clientSecret, redirectUri}, hosts?, http?): Promise<OAuthTokens>
//   refreshAccessToken({refreshToken, clientId, clientSecret}, hosts?, http?): Promise<OAuthTokens>
//   createTokenAuth({tokens, clientId, clientSecret, hosts?, http?, onTokens?, now?, refreshMarginMs?}): HuamiOpenAuth
//   class HuamiOpenApi(auth: HuamiOpenAuth, options?: HuamiOpenOptions)
//     .get(resource: HuamiOpenApiResource, params?): Promise<RawResponse>
//   HUAMI_OPEN_SCOPES, HUAMI_OPEN_PATHS
//
// Transport: the vendor clients' one transport (../http.ts): a timeout per attempt, a bounded retry budget with
// full-jitter exponential backoff for 429, 409/5xx, network errors and timeouts, honouring Retry-After; then
// RateLimitedError (429) or UpstreamError. A data call answered 401 calls `auth.refresh()` once and retries;
// a second 401 is an AuthExpiredError. A refresh answered `invalid_grant` is an OAuthGrantRefusedError (an
// AuthExpiredError): the consent was revoked, or another process rotated the refresh token first (the caller
// re-reads the stored tokens to tell which). No call asks for more than one calendar month of data
// (DateRangeError). Tokens travel only in the Authorization header and in form bodies, never in a URL; every
// error message goes through `redact()`.
//
// Token lifetimes: access 90 d, refresh 10 y (seed). `expires_in` is a TTL in seconds on the code exchange;
// the doc of the refresh call calls it "UNIX time stamp (seconds)" while showing 43200, so a value above 1e9
// is read as an absolute epoch-seconds instant and anything smaller as a TTL.

import { AuthExpiredError, redact, UpstreamError } from '../../core/errors.ts';
import {
  excerpt,
  type HttpOptions,
  parseJson as parseHttpJson,
  type RawResponse,
  type ResolvedHttp as Resolved,
  resolveHttp as resolve,
  sendWithRetries,
} from '../http.ts';

export type { HttpOptions, RawResponse };

export interface HuamiOpenHosts {
  /** one base URL for every call (simulator / proxy); overrides `auth` and `api` */
  base?: string;
  /** token host, default https://auth.huami.com */
  auth?: string;
  /** data host, default https://api-open.huami.com */
  api?: string;
}

export interface HuamiOpenOptions {
  hosts?: HuamiOpenHosts;
  http?: HttpOptions;
}

export interface OAuthTokens {
  accessToken: string;
  refreshToken: string;
  /** epoch ms when the access token stops working */
  expiresAt: number;
}

export interface HuamiOpenAuth {
  /** the access token to use now (may refresh first when it is about to expire) */
  current(): Promise<string>;
  /** called once after a 401; returns a fresh access token or throws AuthExpiredError */
  refresh(): Promise<string>;
}

export const HUAMI_OPEN_SCOPES = [
  'profile',
  'activity',
  'sleep',
  'heartrate',
  'motion',
  'sport',
  'sportDetail',
] as const;

export const HUAMI_OPEN_PATHS = {
  profile: '/users/-/profile',
  devices: '/users/-/devices',
  activities: '/users/-/activities',
  sleep: '/users/-/sleep',
  heartrates: '/users/-/heartrates',
  motionInMinute: '/users/-/motionInMinute',
  sports: '/users/-/sports',
  sportDetail: '/users/-/sportDetail',
  PaiSummary: '/users/-/openData/PaiSummary',
  events: '/users/-/events',
} as const;

export type HuamiOpenApiResource = keyof typeof HUAMI_OPEN_PATHS;

/** Query parameters; for `events`, `eventType` goes into the path (`/users/-/events/{eventType}`). */
export type HuamiOpenParams = Record<string, string | number | undefined>;

const DEFAULT_AUTHORIZE_BASE = 'https://user.huami.com';
const DEFAULT_AUTH = 'https://auth.huami.com';
const DEFAULT_API = 'https://api-open.huami.com';

// ------------------------------------------------------------------------------------------ transport

function hostsOf(hosts: HuamiOpenHosts | undefined): { auth: string; api: string } {
  const trim = (s: string) => s.replace(/\/+$/, '');
  if (hosts?.base) return { auth: trim(hosts.base), api: trim(hosts.base) };
  return { auth: trim(hosts?.auth ?? DEFAULT_AUTH), api: trim(hosts?.api ?? DEFAULT_API) };
}

/** A JSON body, or undefined when the text is not JSON (the caller says what it expected). */
function parseJson(text: string): unknown {
  const parsed = parseHttpJson(text);
  return parsed.ok ? parsed.value : undefined;
}

// ------------------------------------------------------------------------------------------ OAuth2

/**
 * The token endpoint refused the code or refresh token itself (invalid_grant): the consent was withdrawn, or
 * the refresh token was superseded by a rotation. Whoever renews tokens tells the two apart by re-reading the
 * stored set: only a refusal of the newest stored refresh token means the person must authorize again.
 */
export class OAuthGrantRefusedError extends AuthExpiredError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OAuthGrantRefusedError';
  }
}

export function buildAuthorizeUrl(args: {
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  state: string;
  authBase?: string;
}): string {
  const q = new URLSearchParams({
    client_id: args.clientId,
    redirect_uri: args.redirectUri,
    response_type: 'code',
    state: args.state,
    scope: args.scopes.join(';'),
  });
  const base = (args.authBase ?? DEFAULT_AUTHORIZE_BASE).replace(/\/+$/, '');
  // The parameters live in the fragment: the consent page is a single-page app that reads them there.
  return `${base}/oauth/index.html#/?${q.toString()}`;
}

function tokensFrom(body: unknown, now: number, what: string): OAuthTokens {
  const o = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const accessToken = o.access_token;
  const refreshToken = o.refresh_token;
  const expiresIn = typeof o.expires_in === 'string' ? Number(o.expires_in) : o.expires_in;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new UpstreamError(`${what}: the token response has no access_token`);
  }
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    throw new UpstreamError(`${what}: the token response has no refresh_token`);
  }
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new UpstreamError(`${what}: the token response has no expires_in`);
  }
  const expiresAt = expiresIn > 1e9 ? expiresIn * 1000 : now + expiresIn * 1000;
  return { accessToken, refreshToken, expiresAt };
}

/** The OAuth error of a token response: `error` (RFC 6749) or Huami's `{code, message}`. */
function oauthError(text: string): { error?: string; code?: number } {
  const body = parseJson(text);
  if (typeof body !== 'object' || body === null) return {};
  const o = body as Record<string, unknown>;
  return {
    error: typeof o.error === 'string' ? o.error : undefined,
    code: typeof o.code === 'number' ? o.code : undefined,
  };
}

/** One call of the OAuth token endpoint: its path, form, optional bearer, and what it is, for messages. */
interface TokenRequest {
  path: string;
  form: Record<string, string>;
  bearer?: string;
  what: string;
}

async function tokenCall(
  { path, form, bearer, what }: TokenRequest,
  hosts: HuamiOpenHosts | undefined,
  httpOptions: HttpOptions | undefined,
): Promise<OAuthTokens> {
  const http = resolve(httpOptions);
  const url = `${hostsOf(hosts).auth}${path}`;
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded',
  };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const answer = await sendWithRetries(http, {
    url,
    init: () => ({ method: 'POST', headers, body: new URLSearchParams(form).toString() }),
    displayUrl: path,
  });
  if (answer.status === 200) {
    const body = parseJson(answer.text);
    if (body === undefined) throw new UpstreamError(`${what}: the token response is not JSON`, 200);
    return tokensFrom(body, Date.now(), what);
  }
  const { error, code } = oauthError(answer.text);
  // A wrong client id or secret is the operator's configuration, not the person's consent: say which.
  if (error === 'invalid_client') {
    throw new AuthExpiredError(
      redact(
        `${what} was refused (invalid_client): the client id or client secret is wrong; check HUAMI_CLIENT_SECRET ` +
          '(or the secret stored with the user) and the --client-id given at users add',
      ),
    );
  }
  if (error === 'invalid_grant' || code === -1011 || code === -1004 || answer.status === 401) {
    throw new OAuthGrantRefusedError(
      redact(
        `${what} was refused (${error ?? `code ${code ?? answer.status}`}): the consent was revoked, the code or ` +
          'refresh token is no longer valid; the person must authorize zepp-lake again (users add --source huami-open)',
      ),
    );
  }
  throw new UpstreamError(redact(`${what}: HTTP ${answer.status} ${excerpt(answer.text)}`), answer.status);
}

export function exchangeCode(
  args: { code: string; clientId: string; clientSecret: string; redirectUri: string },
  hosts?: HuamiOpenHosts,
  http?: HttpOptions,
): Promise<OAuthTokens> {
  return tokenCall(
    {
      path: '/oauth2/access_token',
      form: {
        client_id: args.clientId,
        client_secret: args.clientSecret,
        grant_type: 'authorization_code',
        redirect_uri: args.redirectUri,
        code: args.code,
      },
      what: 'the authorization code exchange',
    },
    hosts,
    http,
  );
}

export function refreshAccessToken(
  args: { refreshToken: string; clientId: string; clientSecret: string },
  hosts?: HuamiOpenHosts,
  http?: HttpOptions,
): Promise<OAuthTokens> {
  // The doc sends the refresh token as `Authorization: Bearer`; it goes in the form too (RFC 6749 §6).
  return tokenCall(
    {
      path: '/oauth2/refresh_token',
      form: {
        client_id: args.clientId,
        client_secret: args.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: args.refreshToken,
      },
      bearer: args.refreshToken,
      what: 'the token refresh',
    },
    hosts,
    http,
  );
}

/**
 * An auth provider over stored tokens: refreshes ahead of expiry (default 5 min before) and on demand,
 * one refresh at a time, and hands every new token set to `onTokens` (persist it: the refresh token may rotate).
 */
export function createTokenAuth(args: {
  tokens: OAuthTokens;
  clientId: string;
  clientSecret: string;
  hosts?: HuamiOpenHosts;
  http?: HttpOptions;
  onTokens?: (tokens: OAuthTokens) => Promise<void> | void;
  now?: () => number;
  refreshMarginMs?: number;
}): HuamiOpenAuth & { tokens(): OAuthTokens } {
  let tokens = args.tokens;
  let inFlight: Promise<string> | undefined;
  const now = args.now ?? Date.now;
  const margin = args.refreshMarginMs ?? 5 * 60_000;
  const refresh = (): Promise<string> => {
    inFlight ??= (async () => {
      try {
        const next = await refreshAccessToken(
          { refreshToken: tokens.refreshToken, clientId: args.clientId, clientSecret: args.clientSecret },
          args.hosts,
          args.http,
        );
        tokens = next;
        await args.onTokens?.(next);
        return next.accessToken;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };
  return {
    tokens: () => tokens,
    refresh,
    async current() {
      if (tokens.expiresAt - now() <= margin) return refresh();
      return tokens.accessToken;
    },
  };
}

// ------------------------------------------------------------------------------------------ data

/** A date range the client refuses to send: more than one calendar month, or backwards. */
export class DateRangeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DateRangeError';
  }
}

/**
 * The partner doc never promises that a long range comes back whole, and a cut answer would pass for days
 * without data; so no call asks for more than one calendar month (callers split by month).
 */
function assertOneMonth(resource: string, startDate: unknown, endDate: unknown): void {
  if (startDate === undefined || endDate === undefined) return;
  const from = String(startDate);
  const to = String(endDate);
  if (from.slice(0, 7) === to.slice(0, 7) && from <= to) return;
  throw new DateRangeError(
    `huami-open ${resource}: startDate ${from} to endDate ${to} is ${from > to ? 'backwards' : 'more than one calendar month'}; ` +
      'ask for one calendar month per call (split the range by month): the API does not promise a longer range whole',
  );
}

export class HuamiOpenApi {
  private readonly http: Resolved;
  private readonly api: string;

  constructor(
    private readonly auth: HuamiOpenAuth,
    options: HuamiOpenOptions = {},
  ) {
    this.http = resolve(options.http);
    this.api = hostsOf(options.hosts).api;
  }

  /** GET one resource. `params` are query parameters (startDate, endDate, interval, trackId, device...). */
  async get(resource: HuamiOpenApiResource, params: HuamiOpenParams = {}): Promise<RawResponse> {
    const basePath = HUAMI_OPEN_PATHS[resource];
    if (!basePath) throw new UpstreamError(`unknown huami-open resource ${String(resource)}`);
    const { eventType, ...query } = params;
    assertOneMonth(resource, query.startDate, query.endDate);
    let path: string = basePath;
    if (resource === 'events') {
      if (eventType === undefined || String(eventType) === '') {
        throw new UpstreamError('huami-open events need an eventType (/users/-/events/{eventType})');
      }
      path = `${basePath}/${encodeURIComponent(String(eventType))}`;
    } else if (eventType !== undefined) {
      query.eventType = eventType;
    }
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
    const qs = q.toString();
    const displayUrl = qs ? `${path}?${qs}` : path;
    const url = `${this.api}${displayUrl}`;

    let token = await this.auth.current();
    for (let refreshed = false; ; refreshed = true) {
      const bearer = token;
      const answer = await sendWithRetries(this.http, {
        url,
        init: () => ({ method: 'GET', headers: { accept: 'application/json', authorization: `Bearer ${bearer}` } }),
        displayUrl,
      });
      if (answer.status === 401) {
        if (refreshed) {
          throw new AuthExpiredError(
            redact(`${displayUrl}: the access token was refused again after a refresh (${excerpt(answer.text)})`),
          );
        }
        token = await this.auth.refresh();
        continue;
      }
      if (answer.status !== 200) {
        throw new UpstreamError(redact(`${displayUrl}: HTTP ${answer.status} ${excerpt(answer.text)}`), answer.status);
      }
      const body = parseJson(answer.text);
      if (body === undefined) throw new UpstreamError(`${displayUrl}: the body is not JSON`, 200);
      return { url: displayUrl, status: answer.status, text: answer.text, body, fetchedAt: Date.now() };
    }
  }
}
