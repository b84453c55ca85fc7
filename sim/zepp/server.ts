// The HTTP side of the simulator: one node:http handler that answers the Zepp app API's login, account
// and data paths (every host alike) for the synthetic users, with auth, login throttling and faults.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type FaultDecision, FaultInjector, type FaultKind, type FaultSpec } from '../faults.ts';
import type { SimUser } from '../people/users.ts';
import {
  type Answer,
  bandDataAnswer,
  detailAnswer,
  devicesAnswer,
  emptyAnswer,
  eventsAnswer,
  failureAnswer,
  historyAnswer,
  JSON_TYPE,
  json,
  legacyOk,
  malformedBody,
  restError,
} from './data-answers.ts';

export { HISTORY_PAGE_SIZE } from './data-answers.ts';

const REDIRECT_BASE = 'https://s3-us-west-2.amazonws.com/hm-registration/successsignin.html';

export interface LoginThrottle {
  /** Logins allowed per window before answering 429. */
  max: number;
  windowMs: number;
  /** Retry-After of the 429, seconds. */
  retryAfterS?: number;
}

export interface SimStats {
  /** Requests per endpoint (`registrations`, `login`, `app_tokens`, `logout`, `band_data`, `history`, `detail`, `events`, `devices`, `user_info`, `unknown`). */
  requests: Record<string, number>;
  /** Faults fired, by name (`429`, `500`, `502`, `503`, `slow`, `truncate`, `expire-legacy`, `expire-rest`, `wrong-region`, `app-headers`, `login-429`). */
  faults: Record<string, number>;
  /** Data requests refused for a bad or revoked app token. */
  invalidToken: number;
}

function token(): string {
  return randomBytes(24).toString('base64url');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface SimServerOptions {
  users: SimUser[];
  seed: number;
  faults?: FaultSpec | string;
  latencyMs?: number;
  loginThrottle?: LoginThrottle | false;
}

export class SimServer {
  private readonly users = new Map<string, SimUser>();
  private readonly byEmail = new Map<string, SimUser>();
  private readonly codes = new Map<string, { userId: string; used: boolean }>();
  private readonly loginTokens = new Map<string, string>();
  private readonly appTokens = new Map<string, string>();
  private readonly loginTimes: number[] = [];
  readonly faults: FaultInjector;
  private readonly requests: Record<string, number> = {};
  private invalidToken = 0;
  private readonly minted: string[] = [];
  private readonly latencyMs: number;
  private readonly throttle: LoginThrottle | false;

  constructor(options: SimServerOptions) {
    for (const u of options.users) {
      this.users.set(u.userId, u);
      this.byEmail.set(u.spec.email.toLowerCase(), u);
    }
    this.faults = new FaultInjector(options.faults, options.seed);
    this.latencyMs = options.latencyMs ?? 0;
    this.throttle = options.loginThrottle ?? { max: 20, windowMs: 60_000, retryAfterS: 5 };
  }

  stats(): SimStats {
    return { requests: { ...this.requests }, faults: { ...this.faults.fired }, invalidToken: this.invalidToken };
  }

  /** Every one-time login code, login token and app token handed out so far (tests look for leaks of them). */
  mintedSecrets(): string[] {
    return [...this.minted];
  }

  private mint(): string {
    const value = token();
    this.minted.push(value);
    return value;
  }

  /** The node:http request listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.route(req)
      .then(async (answer) => {
        if (this.latencyMs > 0) await sleep(this.latencyMs);
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-length': Buffer.byteLength(answer.body), ...answer.headers });
        res.end(answer.body);
      })
      .catch((error: unknown) => {
        if (res.destroyed || res.headersSent) return;
        const body = JSON.stringify({ code: -1, message: `simulator error: ${(error as Error).message}` });
        res.writeHead(500, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
  };

  private count(endpoint: string): void {
    this.requests[endpoint] = (this.requests[endpoint] ?? 0) + 1;
  }

  private async route(req: IncomingMessage): Promise<Answer> {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const registration = path.match(/^\/registrations\/([^/]+)\/tokens$/);
    const events = path.match(/^\/users\/([^/]+)\/events$/);
    const devices = path.match(/^\/users\/([^/]+)\/devices$/);
    if (method === 'POST' && registration) {
      this.count('registrations');
      return this.registrationTokens(decodeURIComponent(registration[1]!), new URLSearchParams(await readBody(req)));
    }
    if (method === 'POST' && path === '/v2/client/login') {
      this.count('login');
      return this.clientLogin(new URLSearchParams(await readBody(req)));
    }
    if (method === 'GET' && path === '/v1/client/app_tokens') {
      this.count('app_tokens');
      return this.appTokensRefresh(url.searchParams);
    }
    if (method === 'POST' && path === '/v1/client/logout') {
      this.count('logout');
      return this.logout(new URLSearchParams(await readBody(req)));
    }
    if (method === 'GET' && path === '/v1/data/band_data.json') {
      return this.data(req, 'band_data', 'legacy', (u) => bandDataAnswer(u, url.searchParams));
    }
    if (method === 'GET' && path === '/v1/sport/run/history.json') {
      return this.data(req, 'history', 'legacy', (u) => historyAnswer(u, url.searchParams, this.faults));
    }
    if (method === 'GET' && path === '/v1/sport/run/detail.json') {
      return this.data(req, 'detail', 'legacy', (u) => detailAnswer(u, url.searchParams));
    }
    if (method === 'GET' && path === '/huami.health.getUserInfo.json') {
      return this.data(req, 'user_info', 'legacy', (u) =>
        legacyOk({ userid: u.userId, nickname: u.spec.name, country: u.spec.countryCode }),
      );
    }
    if (method === 'GET' && events) {
      const uid = decodeURIComponent(events[1]!);
      return this.data(req, 'events', 'rest', (u) => eventsAnswer(u, uid, url.searchParams));
    }
    if (method === 'GET' && devices) {
      const uid = decodeURIComponent(devices[1]!);
      return this.data(req, 'devices', 'rest', (u) => devicesAnswer(u, uid));
    }
    this.count('unknown');
    return json(404, { code: 404, message: `no such path: ${method} ${path}` });
  }

  // ------------------------------------------------------------ login and tokens

  private registrationTokens(email: string, form: URLSearchParams): Answer {
    const user = this.byEmail.get(email.toLowerCase());
    const ok = user !== undefined && form.get('password') === user.spec.password;
    const jsonResponse = form.get('json_response') === 'true';
    if (!ok || !user) {
      if (jsonResponse) return json(401, { error: '401', message: 'wrong email or password' });
      return {
        status: 303,
        body: '',
        headers: { location: `${REDIRECT_BASE}?error=401&error_description=invalid_credentials` },
      };
    }
    const code = this.mint();
    this.codes.set(code, { userId: user.userId, used: false });
    const expiration = Math.floor(Date.now() / 1000) + 600;
    if (jsonResponse) {
      return json(200, { access: code, country_code: user.spec.countryCode, region: user.spec.region, expiration });
    }
    const query = new URLSearchParams({
      region: user.spec.region,
      access: code,
      country_code: user.spec.countryCode,
      expiration: String(expiration),
    });
    return { status: 303, body: '', headers: { location: `${REDIRECT_BASE}?${query.toString()}` } };
  }

  private clientLogin(form: URLSearchParams): Answer {
    if (this.throttle) {
      const now = Date.now();
      while (this.loginTimes.length > 0 && this.loginTimes[0]! <= now - this.throttle.windowMs) this.loginTimes.shift();
      if (this.loginTimes.length >= this.throttle.max) {
        this.faults.count('login-429');
        return json(
          429,
          { error_code: '0429', message: 'too many requests' },
          { 'retry-after': String(this.throttle.retryAfterS ?? 5) },
        );
      }
      this.loginTimes.push(now);
    }
    const code = form.get('code') ?? '';
    const entry = this.codes.get(code);
    // huami-token calls raise_for_status() before reading error_code: the error comes with HTTP 200.
    if (!entry || entry.used || form.get('grant_type') !== 'access_token') return json(200, { error_code: '0106' });
    entry.used = true;
    const user = this.users.get(entry.userId)!;
    const loginToken = this.mint();
    const appToken = this.mint();
    this.loginTokens.set(loginToken, user.userId);
    this.appTokens.set(appToken, user.userId);
    return json(200, {
      token_info: {
        login_token: loginToken,
        app_token: appToken,
        user_id: user.userId,
        ttl: 7_776_000,
        app_ttl: 2_592_000,
      },
      regist_info: {
        is_new_user: 0,
        regist_date: Date.parse(`${user.spec.firstDate}T00:00:00Z`),
        region: user.spec.region,
        country_code: user.spec.countryCode,
        countryState: '',
      },
      thirdparty_info: { nickname: user.spec.name, icon: '', third_id: user.userId, email: user.spec.email },
      result: 'ok',
      domain: { 'id-dns': 'api-mifit.huami.com' },
      domains: [{ host: 'api-mifit.huami.com', cnames: ['api-mifit-de2.huami.com'] }],
    });
  }

  private appTokensRefresh(query: URLSearchParams): Answer {
    const userId = this.loginTokens.get(query.get('login_token') ?? '');
    if (!userId) return json(200, { result: 'error', error_code: '0106', message: 'invalid login token' });
    const appToken = this.mint();
    this.appTokens.set(appToken, userId);
    return json(200, { result: 'ok', token_info: { app_token: appToken, app_ttl: 2_592_000, user_id: userId } });
  }

  private logout(form: URLSearchParams): Answer {
    const loginToken = form.get('login_token') ?? '';
    const userId = this.loginTokens.get(loginToken);
    if (userId) {
      this.loginTokens.delete(loginToken);
      this.revokeAppTokens(userId);
    }
    return json(200, { result: 'ok' });
  }

  private revokeAppTokens(userId: string): void {
    for (const [t, u] of this.appTokens) if (u === userId) this.appTokens.delete(t);
  }

  // ------------------------------------------------------------ data endpoints

  private async data(
    req: IncomingMessage,
    endpoint: string,
    kind: FaultKind,
    answer: (user: SimUser) => Answer,
  ): Promise<Answer> {
    this.count(endpoint);
    const header = req.headers.apptoken;
    const userId = typeof header === 'string' ? this.appTokens.get(header) : undefined;
    const user = userId === undefined ? undefined : this.users.get(userId);
    if (!user) {
      this.invalidToken++;
      return kind === 'legacy'
        ? json(200, { code: 0, message: 'invalid token' })
        : restError(401, 102, 'invalid token');
    }
    if (this.faults.requireAppHeaders && (!req.headers.appplatform || !req.headers.appname)) {
      this.faults.count('app-headers');
      return json(500, { code: -50000, message: 'unknown error' });
    }
    const decision: FaultDecision = this.faults.decide(kind);
    if (decision.fault === 'expire-legacy' || decision.fault === 'expire-rest') {
      this.revokeAppTokens(user.userId);
      return decision.fault === 'expire-legacy'
        ? json(200, { code: 0, message: 'invalid token' })
        : restError(401, 102, 'invalid token');
    }
    const failed = failureAnswer(decision);
    if (failed) return failed;
    if (decision.fault === 'slow') await sleep(decision.delayMs);
    let result: Answer;
    if (this.faults.wrongRegion && endpoint !== 'devices' && endpoint !== 'user_info') {
      this.faults.count('wrong-region');
      result = emptyAnswer(endpoint);
    } else {
      result = answer(user);
    }
    if (decision.fault === 'truncate' && result.status === 200) {
      result = { ...result, body: result.body.slice(0, Math.max(1, Math.floor(result.body.length / 2))) };
    }
    if (decision.fault === 'malformed' && result.status === 200)
      result = { ...result, body: malformedBody(result.body) };
    return result;
  }
}
