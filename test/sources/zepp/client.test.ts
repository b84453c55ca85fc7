import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AuthExpiredError,
  LoginError,
  MalformedPayloadError,
  RateLimitedError,
  UpstreamError,
} from '../../../lambdas/core/errors.ts';
import { type HttpOptions, parseRetryAfter } from '../../../lambdas/sources/http.ts';
import { remintAppToken, ZeppApi, type ZeppAuth } from '../../../lambdas/sources/zepp/client.ts';
import { loginWithPassword } from '../../../lambdas/sources/zepp/password-login.ts';

// A purpose-built vendor stand-in: each route answers from a script, the last step repeating.

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}
type Step = (res: ServerResponse, req: Recorded) => void;

class ScriptedServer {
  private readonly server: Server;
  private readonly routes = new Map<string, Step[]>();
  readonly requests: Recorded[] = [];
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://127.0.0.1');
        const rec: Recorded = {
          method: req.method ?? 'GET',
          path: u.pathname,
          query: u.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(rec);
        const steps = this.routes.get(`${rec.method} ${rec.path}`);
        const step = steps && steps.length > 1 ? steps.shift() : steps?.[0];
        if (!step) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('unscripted');
          return;
        }
        step(res, rec);
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.routes.clear();
    this.requests.length = 0;
  }

  script(method: string, path: string, ...steps: Step[]): void {
    this.routes.set(`${method} ${path}`, steps);
  }

  hits(path: string): Recorded[] {
    return this.requests.filter((r) => r.path === path);
  }
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Step =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
const raw =
  (status: number, text: string, headers: Record<string, string> = {}): Step =>
  (res) => {
    res.writeHead(status, headers).end(text);
  };
const slow =
  (ms: number, then: Step): Step =>
  (res, req) => {
    const t = setTimeout(() => {
      if (!res.destroyed) then(res, req);
    }, ms);
    res.on('close', () => clearTimeout(t));
  };
const redirect =
  (location: string): Step =>
  (res) => {
    res.writeHead(303, { location }).end();
  };

const APP_TOKEN = 'APPTOKEN-aaaa-1111-secret';
const NEW_APP_TOKEN = 'APPTOKEN-bbbb-2222-secret';
const LOGIN_TOKEN = 'LOGINTOKEN-cccc-3333-secret';
const PASSWORD = 'hunter2-Pa$$word!';
const ACCESS_CODE = 'ACCESSCODE-dddd-4444';
const USER_ID = '1234567890';
const BAND = '/v1/data/band_data.json';
const EVENTS = `/users/${USER_ID}/events`;
const LEGACY_OK = { code: 1, message: 'success', data: [{ date_time: '2021-08-07', summary: 'e30=' }] };

const server = new ScriptedServer();
beforeAll(() => server.start());
afterAll(() => server.stop());
beforeEach(() => server.reset());

/** Fast, deterministic transport options: a recorded fake sleep and a fixed random. */
function fastHttp(over: HttpOptions = {}): HttpOptions & {
  delays: number[];
  retries: { url: string; attempt: number; reason: string; delayMs: number }[];
} {
  const delays: number[] = [];
  const retries: { url: string; attempt: number; reason: string; delayMs: number }[] = [];
  return {
    timeoutMs: 2_000,
    maxRetries: 4,
    baseDelayMs: 500,
    maxDelayMs: 30_000,
    random: () => 0.5,
    sleep: async (ms) => {
      delays.push(ms);
    },
    onRetry: (info) => retries.push(info),
    ...over,
    delays,
    retries,
  };
}

function fixedAuth(refreshTo: string | (() => Promise<string>) = NEW_APP_TOKEN): ZeppAuth & { refreshes: number } {
  let token = APP_TOKEN;
  const auth = {
    refreshes: 0,
    current: async () => token,
    refresh: async () => {
      auth.refreshes++;
      token = typeof refreshTo === 'string' ? refreshTo : await refreshTo();
      return token;
    },
  };
  return auth;
}

function api(http: HttpOptions, auth: ZeppAuth = fixedAuth()): ZeppApi {
  return new ZeppApi({ userId: USER_ID, auth, hosts: { base: server.url }, http });
}

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('ZeppApi data calls', () => {
  it('sends the app token and app headers, and returns the exact body with a token-free url', async () => {
    const text = JSON.stringify(LEGACY_OK);
    server.script('GET', BAND, raw(200, text, { 'content-type': 'application/json' }));
    const res = await api(fastHttp()).getBandData('2021-08-01', '2021-08-07');

    expect(res.status).toBe(200);
    expect(res.text).toBe(text);
    expect(res.body).toEqual(LEGACY_OK);
    expect(res.url).toBe(
      `${BAND}?query_type=detail&device_type=android_phone&userid=${USER_ID}&from_date=2021-08-01&to_date=2021-08-07`,
    );
    expect(res.url).not.toContain(APP_TOKEN);
    expect(res.fetchedAt).toBeGreaterThan(0);
    const [req] = server.hits(BAND);
    expect(req?.headers.apptoken).toBe(APP_TOKEN);
    expect(req?.headers.appplatform).toBe('web');
    expect(req?.headers.appname).toBe('com.xiaomi.hm.health');
    expect(req?.query.get('query_type')).toBe('detail');
  });

  it('builds the workout, events and devices queries', async () => {
    const legacy = json(200, { code: 1, message: 'success', data: { next: -1, summary: [] } });
    server.script('GET', '/v1/sport/run/history.json', legacy);
    server.script('GET', '/v1/sport/run/detail.json', legacy);
    server.script('GET', EVENTS, json(200, { items: [] }));
    server.script('GET', `/users/${USER_ID}/devices`, json(200, { items: [] }));
    const client = api(fastHttp());

    expect((await client.getWorkoutHistory()).url).toBe('/v1/sport/run/history.json');
    expect((await client.getWorkoutHistory(1542558074)).url).toBe('/v1/sport/run/history.json?trackid=1542558074');
    expect((await client.getWorkoutDetail(1542558074, 'run.mifit.huami.com')).url).toBe(
      '/v1/sport/run/detail.json?trackid=1542558074&source=run.mifit.huami.com',
    );
    const ev = await client.getEvents('all_day_stress', 1_600_000_000_000, 1_600_086_400_000, {
      timeZone: 'Europe/London',
    });
    expect(ev.body).toEqual({ items: [] });
    const evReq = server.hits(EVENTS)[0];
    expect(evReq?.query.get('eventType')).toBe('all_day_stress');
    expect(evReq?.query.get('from')).toBe('1600000000000');
    expect(evReq?.query.get('to')).toBe('1600086400000');
    expect(evReq?.query.get('limit')).toBe('1000');
    expect(evReq?.query.get('timeZone')).toBe('Europe/London');
    expect((await client.getDevices()).url).toBe(`/users/${USER_ID}/devices?enableMultiDevice=true`);
  });

  it('waits exactly Retry-After seconds on 429, then succeeds', async () => {
    server.script('GET', BAND, json(429, {}, { 'retry-after': '3' }), json(200, LEGACY_OK));
    const http = fastHttp();
    const res = await api(http).getBandData('2021-08-07', '2021-08-07');
    expect(res.body).toEqual(LEGACY_OK);
    expect(http.delays).toEqual([3000]);
    expect(http.retries).toEqual([expect.objectContaining({ attempt: 1, reason: 'HTTP 429', delayMs: 3000 })]);
  });

  it('honours a Retry-After HTTP date and caps a long Retry-After at maxDelayMs', async () => {
    const inFiveSeconds = new Date(Date.now() + 5_000).toUTCString();
    server.script(
      'GET',
      BAND,
      json(429, {}, { 'retry-after': inFiveSeconds }),
      json(503, {}, { 'retry-after': '3600' }),
      json(200, LEGACY_OK),
    );
    const http = fastHttp({ maxDelayMs: 10_000 });
    await api(http).getBandData('2021-08-07', '2021-08-07');
    expect(http.delays).toHaveLength(2);
    expect(http.delays[0]).toBeGreaterThan(3_000);
    expect(http.delays[0]).toBeLessThanOrEqual(5_000);
    expect(http.delays[1]).toBe(10_000);
  });

  it('retries 503 twice with full-jitter exponential backoff, then succeeds', async () => {
    server.script('GET', BAND, json(503, {}), json(503, {}), json(200, LEGACY_OK));
    const http = fastHttp({ random: () => 0.5 });
    const res = await api(http).getBandData('2021-08-07', '2021-08-07');
    expect(res.status).toBe(200);
    // random 0.5 of a ceiling of 500 * 2^attempt
    expect(http.delays).toEqual([250, 500]);
    expect(server.hits(BAND)).toHaveLength(3);
  });

  it('keeps every backoff within [0, min(maxDelayMs, base * 2^n)]', async () => {
    server.script('GET', BAND, json(500, {}));
    const http = fastHttp({ maxRetries: 10, baseDelayMs: 100, maxDelayMs: 2_000, random: () => 0.999 });
    const err = await caught(api(http).getBandData('2021-08-07', '2021-08-07'));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(http.delays).toHaveLength(10);
    http.delays.forEach((d, n) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.min(2_000, 100 * 2 ** n));
    });
    expect(Math.max(...http.delays)).toBeLessThanOrEqual(2_000);
    expect(server.hits(BAND)).toHaveLength(11);
  });

  it('aborts an answer slower than timeoutMs and retries it', async () => {
    server.script('GET', BAND, slow(30_000, json(200, LEGACY_OK)), json(200, LEGACY_OK));
    // A timeout far above what the prompt second answer takes even on a loaded machine (100 ms was not: a busy CI
    // machine timed the second call out too), far below the slow answer's 30 s.
    const http = fastHttp({ timeoutMs: 1_500 });
    const res = await api(http).getBandData('2021-08-07', '2021-08-07');
    expect(res.body).toEqual(LEGACY_OK);
    // Aborted, not waited for: the retry names the timeout, and the second call answered (no timed assertion).
    expect(http.retries[0]?.reason).toMatch(/timeout after 1500 ms/);
    expect(server.hits(BAND)).toHaveLength(2);
  });

  it('retries a truncated JSON body and returns the next complete one', async () => {
    const full = JSON.stringify(LEGACY_OK);
    server.script('GET', BAND, raw(200, full.slice(0, full.length / 2)), raw(200, full));
    const http = fastHttp();
    const res = await api(http).getBandData('2021-08-07', '2021-08-07');
    expect(res.text).toBe(full);
    expect(http.retries[0]?.reason).toBe('body is not valid JSON');
  });

  it('retries a body cut off mid-stream (connection dropped)', async () => {
    const cutOff: Step = (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"code":1,"data":[');
      setTimeout(() => res.destroy(), 10);
    };
    server.script('GET', BAND, cutOff, json(200, LEGACY_OK));
    const http = fastHttp();
    const res = await api(http).getBandData('2021-08-07', '2021-08-07');
    expect(res.body).toEqual(LEGACY_OK);
    expect(http.retries[0]?.reason).toMatch(/^network error/);
  });

  it.each([0, 100302])('refreshes the app token once on legacy code %i and repeats the call', async (code) => {
    server.script('GET', BAND, json(200, { code, message: 'invalid token' }), json(200, LEGACY_OK));
    const auth = fixedAuth();
    const res = await api(fastHttp(), auth).getBandData('2021-08-07', '2021-08-07');
    expect(res.body).toEqual(LEGACY_OK);
    expect(auth.refreshes).toBe(1);
    expect(server.hits(BAND).map((r) => r.headers.apptoken)).toEqual([APP_TOKEN, NEW_APP_TOKEN]);
  });

  it('refreshes once on REST 401 code 102, and on a 401 without a JSON body', async () => {
    server.script('GET', EVENTS, json(401, { code: 102, message: 'invalid token' }), json(200, { items: [] }));
    const auth = fixedAuth();
    await api(fastHttp(), auth).getEvents('PaiHealthInfo', 0, 1);
    expect(auth.refreshes).toBe(1);
    expect(server.hits(EVENTS).map((r) => r.headers.apptoken)).toEqual([APP_TOKEN, NEW_APP_TOKEN]);

    server.reset();
    server.script('GET', `/users/${USER_ID}/devices`, raw(401, 'Unauthorized'), json(200, { items: [] }));
    const auth2 = fixedAuth();
    await api(fastHttp(), auth2).getDevices();
    expect(auth2.refreshes).toBe(1);
  });

  it('throws AuthExpiredError when the refresh fails, without a second refresh', async () => {
    server.script('GET', BAND, json(200, { code: 0, message: 'invalid token' }));
    const auth = fixedAuth(async () => {
      throw new AuthExpiredError('login token rejected');
    });
    const err = await caught(api(fastHttp(), auth).getBandData('2021-08-07', '2021-08-07'));
    expect(err).toBeInstanceOf(AuthExpiredError);
    expect(auth.refreshes).toBe(1);
    expect(server.hits(BAND)).toHaveLength(1);
  });

  it('wraps an untyped refresh failure into AuthExpiredError', async () => {
    server.script('GET', EVENTS, json(401, { code: 102 }));
    const auth = fixedAuth(async () => {
      throw new Error('token file unreadable');
    });
    const err = await caught(api(fastHttp(), auth).getEvents('PaiHealthInfo', 0, 1));
    expect(err).toBeInstanceOf(AuthExpiredError);
    expect(err.message).toMatch(/refresh failed: token file unreadable/);
  });

  it('throws AuthExpiredError when the refreshed token is rejected too', async () => {
    server.script('GET', BAND, json(200, { code: 100302, message: 'invalid token' }));
    const auth = fixedAuth();
    const err = await caught(api(fastHttp(), auth).getBandData('2021-08-07', '2021-08-07'));
    expect(err).toBeInstanceOf(AuthExpiredError);
    expect(err.message).toMatch(/still rejected after a refresh/);
    expect(auth.refreshes).toBe(1);
    expect(server.hits(BAND)).toHaveLength(2);
  });

  it('reports a mutex login (legacy -1, REST 401 code 108) as AuthExpiredError without refreshing', async () => {
    server.script('GET', BAND, json(200, { code: -1, message: 'mutex', data: { login_time: 1600000000 } }));
    server.script('GET', EVENTS, json(401, { code: 108, message: 'mutex', mutime_long: 1600000000000 }));
    const auth = fixedAuth();
    const legacy = await caught(api(fastHttp(), auth).getBandData('2021-08-07', '2021-08-07'));
    const rest = await caught(api(fastHttp(), auth).getEvents('PaiHealthInfo', 0, 1));
    for (const err of [legacy, rest]) {
      expect(err).toBeInstanceOf(AuthExpiredError);
      expect(err.message).toMatch(/another login took over/);
    }
    expect(auth.refreshes).toBe(0);
  });

  it('turns a 429 that never ends into RateLimitedError after maxRetries + 1 attempts', async () => {
    server.script('GET', BAND, json(429, {}, { 'retry-after': '2' }));
    const http = fastHttp({ maxRetries: 3 });
    const err = await caught(api(http).getBandData('2021-08-07', '2021-08-07'));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(2000);
    expect(server.hits(BAND)).toHaveLength(4);
    expect(http.delays).toEqual([2000, 2000, 2000]);
  });

  it.each([500, 502, 503, 504, 409])('turns a persistent %i into UpstreamError with that status', async (status) => {
    server.script('GET', EVENTS, json(status, { code: -50000 }));
    const http = fastHttp({ maxRetries: 2 });
    const err = await caught(api(http).getEvents('PaiHealthInfo', 0, 1));
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).status).toBe(status);
    expect(server.hits(EVENTS)).toHaveLength(3);
  });

  it('turns persistent timeouts into UpstreamError', async () => {
    server.script('GET', BAND, slow(1_000, json(200, LEGACY_OK)));
    const http = fastHttp({ timeoutMs: 50, maxRetries: 2 });
    const err = await caught(api(http).getBandData('2021-08-07', '2021-08-07'));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.message).toMatch(/timeout/);
    expect(http.retries).toHaveLength(2);
  });

  it('turns a connection refused into UpstreamError after the retries', async () => {
    const dead = new ScriptedServer();
    await dead.start();
    const deadUrl = dead.url;
    await dead.stop();
    const http = fastHttp({ maxRetries: 1 });
    const client = new ZeppApi({ userId: USER_ID, auth: fixedAuth(), hosts: { base: deadUrl }, http });
    const err = await caught(client.getDevices());
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.message).toMatch(/network error/);
    expect(http.retries).toHaveLength(1);
  });

  it('turns a body that stays truncated into MalformedPayloadError naming the endpoint', async () => {
    server.script('GET', BAND, raw(200, '{"code":1,"message":"succ'));
    const http = fastHttp({ maxRetries: 2 });
    const err = await caught(api(http).getBandData('2021-08-07', '2021-08-07'));
    expect(err).toBeInstanceOf(MalformedPayloadError);
    expect((err as MalformedPayloadError).field).toBe(BAND);
    expect(err.message).toContain(BAND);
    expect(server.hits(BAND)).toHaveLength(3);
  });

  it('reports an unexpected legacy code as UpstreamError naming the code, without retrying', async () => {
    server.script('GET', BAND, json(200, { code: 7777, message: 'odd' }));
    const err = await caught(api(fastHttp()).getBandData('2021-08-07', '2021-08-07'));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.message).toContain('7777');
    expect(server.hits(BAND)).toHaveLength(1);
  });

  it('reports HTTP 400 and legacy 50000 as parameter errors, without retrying', async () => {
    server.script('GET', EVENTS, json(400, { code: 400, message: 'bad from' }));
    server.script('GET', BAND, json(200, { code: 50000, message: 'bad date' }));
    const rest = await caught(api(fastHttp()).getEvents('PaiHealthInfo', 0, 1));
    expect(rest).toBeInstanceOf(UpstreamError);
    expect((rest as UpstreamError).status).toBe(400);
    expect(rest.message).toMatch(/parameter error/);
    const legacy = await caught(api(fastHttp()).getBandData('2021-08-07', '2021-08-07'));
    expect(legacy.message).toMatch(/parameter error, legacy code 50000/);
    expect(server.requests).toHaveLength(2);
  });
});

describe('loginWithPassword', () => {
  const EMAIL = 'someone+zepp@example.com';
  const step1 = `/reg/registrations/${encodeURIComponent(EMAIL)}/tokens`;
  const LOGIN_OK = {
    token_info: { login_token: LOGIN_TOKEN, app_token: APP_TOKEN, user_id: USER_ID, ttl: 0, app_ttl: 0 },
    regist_info: { is_new_user: 0, region: 'eu-central-1', country_code: 'DE' },
    result: 'ok',
  };
  const hosts = () => ({
    registration: `${server.url}/reg`,
    account: `${server.url}/acct`,
    data: `${server.url}/data`,
  });

  it('parses the 303 Location without following it and exchanges the access code for tokens', async () => {
    server.script(
      'POST',
      step1,
      redirect(
        `${server.url}/hm-registration/successsignin.html?region=eu-central-1&access=${ACCESS_CODE}&country_code=DE`,
      ),
    );
    server.script('POST', '/acct/v2/client/login', json(200, LOGIN_OK));
    const login = await loginWithPassword(EMAIL, PASSWORD, hosts(), fastHttp());

    expect(login).toEqual({
      loginToken: LOGIN_TOKEN,
      appToken: APP_TOKEN,
      userId: USER_ID,
      region: 'eu-central-1',
      countryCode: 'DE',
    });
    expect(server.hits('/hm-registration/successsignin.html')).toHaveLength(0);
    const form1 = new URLSearchParams(server.hits(step1)[0]?.body);
    expect(form1.get('password')).toBe(PASSWORD);
    expect(form1.get('token')).toBe('access');
    expect(form1.get('client_id')).toBe('HuaMi');
    const form2 = new URLSearchParams(server.hits('/acct/v2/client/login')[0]?.body);
    expect(form2.get('code')).toBe(ACCESS_CODE);
    expect(form2.get('country_code')).toBe('DE');
    expect(form2.get('grant_type')).toBe('access_token');
  });

  it('derives the country code from the region when the Location has none, and takes a numeric user_id', async () => {
    server.script('POST', step1, redirect(`https://example.invalid/ok.html?region=us-west-2&access=${ACCESS_CODE}`));
    server.script(
      'POST',
      '/acct/v2/client/login',
      json(200, { result: 'ok', token_info: { login_token: LOGIN_TOKEN, app_token: APP_TOKEN, user_id: 42 } }),
    );
    const login = await loginWithPassword(EMAIL, PASSWORD, hosts(), fastHttp());
    expect(login.userId).toBe('42');
    expect(login.countryCode).toBe('US');
    expect(login.region).toBe('us-west-2');
    expect(new URLSearchParams(server.hits('/acct/v2/client/login')[0]?.body).get('country_code')).toBe('US');
  });

  it('sends every call to hosts.base when given', async () => {
    server.script('POST', `/registrations/${encodeURIComponent(EMAIL)}/tokens`, redirect(`/x?access=${ACCESS_CODE}`));
    server.script('POST', '/v2/client/login', json(200, LOGIN_OK));
    const login = await loginWithPassword(EMAIL, PASSWORD, { base: `${server.url}/` }, fastHttp());
    expect(login.appToken).toBe(APP_TOKEN);
  });

  it('reports a wrong password (error= in the Location) as LoginError', async () => {
    server.script('POST', step1, redirect('https://example.invalid/ok.html?error=401'));
    const err = await caught(loginWithPassword(EMAIL, PASSWORD, hosts(), fastHttp()));
    expect(err).toBeInstanceOf(LoginError);
    expect(err.message).toMatch(/wrong email or password/);
    expect(server.hits('/acct/v2/client/login')).toHaveLength(0);
  });

  it.each([
    ['0106', /one-time login code was rejected/],
    ['0113', /wrong region/],
    ['0115', /disabled/],
    ['0117', /no account is registered/],
  ])('reports error_code %s from the token exchange as LoginError with its meaning', async (code, meaning) => {
    server.script('POST', step1, redirect(`https://example.invalid/ok.html?access=${ACCESS_CODE}&country_code=US`));
    server.script('POST', '/acct/v2/client/login', json(400, { error_code: code }));
    const err = await caught(loginWithPassword(EMAIL, PASSWORD, hosts(), fastHttp()));
    expect(err).toBeInstanceOf(LoginError);
    expect((err as LoginError).code).toBe(code);
    expect(err.message).toMatch(meaning);
    expect(server.hits('/acct/v2/client/login')).toHaveLength(1);
  });

  it('retries a rate-limited login with backoff, then succeeds', async () => {
    server.script(
      'POST',
      step1,
      json(429, {}, { 'retry-after': '1' }),
      redirect(`https://example.invalid/ok.html?access=${ACCESS_CODE}&country_code=US`),
    );
    server.script('POST', '/acct/v2/client/login', json(429, {}), json(200, LOGIN_OK));
    const http = fastHttp();
    const login = await loginWithPassword(EMAIL, PASSWORD, hosts(), http);
    expect(login.loginToken).toBe(LOGIN_TOKEN);
    expect(http.delays).toEqual([1000, 250]);
    expect(http.retries.map((r) => r.url)).toEqual(['/registrations/[email]/tokens', '/v2/client/login']);
  });

  it('fetches one new access code when a retried exchange meets 0106 (the timed-out attempt spent the code)', async () => {
    server.script(
      'POST',
      step1,
      redirect(`https://example.invalid/ok.html?access=${ACCESS_CODE}&country_code=US`),
      redirect('https://example.invalid/ok.html?access=SECOND-CODE&country_code=US'),
    );
    server.script(
      'POST',
      '/acct/v2/client/login',
      slow(10_000, json(200, LOGIN_OK)),
      json(400, { error_code: '0106' }),
      json(200, LOGIN_OK),
    );
    // Only the first exchange outlasts the timeout: 2 s leaves the other calls room on a loaded machine (at 100 ms
    // a slow redirect timed out too and was asked again).
    const login = await loginWithPassword(EMAIL, PASSWORD, hosts(), fastHttp({ timeoutMs: 2_000 }));
    expect(login.appToken).toBe(APP_TOKEN);
    expect(server.hits(step1)).toHaveLength(2);
    const codes = server.hits('/acct/v2/client/login').map((r) => new URLSearchParams(r.body).get('code'));
    expect(codes).toEqual([ACCESS_CODE, ACCESS_CODE, 'SECOND-CODE']);
  });

  it('gives up on a login that stays rate limited with RateLimitedError', async () => {
    server.script('POST', step1, json(429, {}));
    const http = fastHttp({ maxRetries: 2 });
    const err = await caught(loginWithPassword(EMAIL, PASSWORD, hosts(), http));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(server.hits(step1)).toHaveLength(3);
  });
});

describe('remintAppToken', () => {
  const PATH = '/acct/v1/client/app_tokens';

  it('mints a new app token from the login token', async () => {
    server.script('GET', PATH, json(200, { result: 'ok', token_info: { app_token: NEW_APP_TOKEN, user_id: USER_ID } }));
    const token = await remintAppToken(LOGIN_TOKEN, { account: `${server.url}/acct` }, fastHttp());
    expect(token).toBe(NEW_APP_TOKEN);
    const req = server.hits(PATH)[0];
    expect(req?.query.get('login_token')).toBe(LOGIN_TOKEN);
    expect(req?.query.get('app_name')).toBe('com.xiaomi.hm.health');
  });

  it('throws AuthExpiredError when the login token is refused', async () => {
    server.script('GET', PATH, json(200, { result: 'error', error_code: '0106' }));
    const err = await caught(remintAppToken(LOGIN_TOKEN, { account: `${server.url}/acct` }, fastHttp()));
    expect(err).toBeInstanceOf(AuthExpiredError);
    expect(err.message).toMatch(/password login is needed/);
  });

  it('redacts login_token in the url it reports while retrying', async () => {
    server.script('GET', PATH, json(503, {}), json(200, { result: 'ok', token_info: { app_token: NEW_APP_TOKEN } }));
    const http = fastHttp();
    await remintAppToken(LOGIN_TOKEN, { account: `${server.url}/acct` }, http);
    expect(http.retries).toHaveLength(1);
    expect(http.retries[0]?.url).toMatch(/login_token=(%5B|\[)redacted/);
    expect(http.retries[0]?.url).not.toContain(LOGIN_TOKEN);
  });
});

describe('secrets never leak', () => {
  it('keeps tokens and the password out of every error message, cause and retry report', async () => {
    const http = fastHttp({ maxRetries: 1, timeoutMs: 300 });
    const seen: unknown[] = [];
    const collect = async (p: Promise<unknown>) => {
      const err = await caught(p);
      seen.push(err);
      expect(err.name).toMatch(/Error$/);
    };
    const EMAIL = 'leak@example.com';
    const step1 = `/registrations/${encodeURIComponent(EMAIL)}/tokens`;
    const echo: Step = (res, req) => {
      // A hostile upstream that echoes what it got, tokens included.
      res.writeHead(500).end(`apptoken=${String(req.headers.apptoken)} body=${req.body} q=${req.query.toString()}`);
    };

    server.script('POST', step1, echo);
    await collect(loginWithPassword(EMAIL, PASSWORD, { base: server.url }, http));
    server.script('POST', step1, redirect(`/x?access=${ACCESS_CODE}&error=${PASSWORD}`));
    await collect(loginWithPassword(EMAIL, PASSWORD, { base: server.url }, http));
    server.script('POST', step1, redirect(`/x?access=${ACCESS_CODE}`));
    server.script('POST', '/v2/client/login', json(200, { error_code: '0106', code: ACCESS_CODE }));
    await collect(loginWithPassword(EMAIL, PASSWORD, { base: server.url }, http));
    server.script('POST', '/v2/client/login', json(418, { token: LOGIN_TOKEN }));
    await collect(loginWithPassword(EMAIL, PASSWORD, { base: server.url }, http));

    server.script('GET', '/v1/client/app_tokens', echo);
    await collect(remintAppToken(LOGIN_TOKEN, { base: server.url }, http));
    server.script('GET', '/v1/client/app_tokens', json(200, { result: 'fail', error_code: LOGIN_TOKEN }));
    await collect(remintAppToken(LOGIN_TOKEN, { base: server.url }, http));
    server.script('GET', '/v1/client/app_tokens', slow(1_000, json(200, {})));
    await collect(remintAppToken(LOGIN_TOKEN, { base: server.url }, http));

    server.script('GET', BAND, echo);
    await collect(api(http).getBandData('2021-08-07', '2021-08-07'));
    server.script('GET', BAND, json(200, { code: 0, message: `bad apptoken: ${APP_TOKEN}` }));
    await collect(api(http).getBandData('2021-08-07', '2021-08-07'));
    server.script('GET', BAND, json(200, { code: 12345, message: `token=${APP_TOKEN}` }));
    await collect(api(http).getBandData('2021-08-07', '2021-08-07'));
    server.script('GET', EVENTS, json(429, { token: APP_TOKEN }));
    await collect(api(http).getEvents('PaiHealthInfo', 0, 1));
    server.script('GET', EVENTS, json(400, { message: `apptoken: ${APP_TOKEN}` }));
    await collect(api(http).getEvents('PaiHealthInfo', 0, 1));
    const failingRefresh = fixedAuth(async () => {
      throw new Error(`refresh with login_token=${LOGIN_TOKEN} failed`);
    });
    server.script('GET', EVENTS, json(401, { code: 102 }));
    await collect(api(http, failingRefresh).getEvents('PaiHealthInfo', 0, 1));

    const dump = (e: unknown): string => {
      if (!(e instanceof Error)) return String(e);
      return `${e.name} ${e.message} ${e.stack ?? ''} ${JSON.stringify(e)} ${e.cause ? dump(e.cause) : ''}`;
    };
    const everything = seen.map(dump).join('\n') + JSON.stringify(http.retries);
    expect(seen).toHaveLength(13);
    expect(http.retries.length).toBeGreaterThan(3);
    for (const secret of [APP_TOKEN, NEW_APP_TOKEN, LOGIN_TOKEN, PASSWORD, ACCESS_CODE, encodeURIComponent(PASSWORD)]) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads delta seconds and HTTP dates, and ignores junk', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
