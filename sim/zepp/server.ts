// The HTTP side of the simulator: one node:http handler that answers the Zepp app API's login, account
// and data paths (every host alike) for the synthetic users, with auth, login throttling and faults.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addDays } from '../../lambdas/core/time.ts';
import { type FaultDecision, FaultInjector, type FaultKind, type FaultSpec } from '../faults.ts';
import { EVENT_TYPES, eventsBetween, isDate, MINUTES_PER_DAY, type SimUser, workoutModel } from '../people/users.ts';
import { encodeLaps } from '../people/workout-laps.ts';
import { encodeHistoryItem, encodeMinuteBlobs, encodeSummary, encodeWorkoutDetail } from './encoders.ts';

export const HISTORY_PAGE_SIZE = 200;
const REDIRECT_BASE = 'https://s3-us-west-2.amazonws.com/hm-registration/successsignin.html';
const JSON_TYPE = 'application/json;charset=UTF-8';

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

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const json = (status: number, value: unknown, headers?: Record<string, string>): Answer => ({
  status,
  body: JSON.stringify(value),
  headers: { 'content-type': JSON_TYPE, ...headers },
});

const legacyOk = (data: unknown): Answer => json(200, { code: 1, message: 'success', data });
const legacyParamError = (message: string): Answer => json(400, { code: 50000, message });
const restError = (status: number, code: number, message: string): Answer => json(status, { code, message });

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
      return this.data(req, 'band_data', 'legacy', (u) => this.bandData(u, url.searchParams));
    }
    if (method === 'GET' && path === '/v1/sport/run/history.json') {
      return this.data(req, 'history', 'legacy', (u) => this.history(u, url.searchParams));
    }
    if (method === 'GET' && path === '/v1/sport/run/detail.json') {
      return this.data(req, 'detail', 'legacy', (u) => this.detail(u, url.searchParams));
    }
    if (method === 'GET' && path === '/huami.health.getUserInfo.json') {
      return this.data(req, 'user_info', 'legacy', (u) =>
        legacyOk({ userid: u.userId, nickname: u.spec.name, country: u.spec.countryCode }),
      );
    }
    if (method === 'GET' && events) {
      const uid = decodeURIComponent(events[1]!);
      return this.data(req, 'events', 'rest', (u) => this.events(u, uid, url.searchParams));
    }
    if (method === 'GET' && devices) {
      const uid = decodeURIComponent(devices[1]!);
      return this.data(req, 'devices', 'rest', (u) => this.devices(u, uid));
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
    switch (decision.fault) {
      case 'expire-legacy':
        this.revokeAppTokens(user.userId);
        return json(200, { code: 0, message: 'invalid token' });
      case 'expire-rest':
        this.revokeAppTokens(user.userId);
        return restError(401, 102, 'invalid token');
      case '429':
        return json(
          429,
          { message: 'Too Many Requests' },
          decision.retryAfterS === null ? undefined : { 'retry-after': String(decision.retryAfterS) },
        );
      case '500':
        return json(500, { code: -1, message: 'Internal Server Error' });
      case '502':
        return {
          status: 502,
          body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
          headers: { 'content-type': 'text/html' },
        };
      case '503':
        return {
          status: 503,
          body: '<html><body><h1>503 Service Unavailable</h1></body></html>',
          headers: { 'content-type': 'text/html' },
        };
      case 'slow':
        await sleep(decision.delayMs);
        break;
      default:
        break;
    }
    let result: Answer;
    if (this.faults.wrongRegion && endpoint !== 'devices' && endpoint !== 'user_info') {
      this.faults.count('wrong-region');
      result = this.emptyAnswer(endpoint);
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

  private emptyAnswer(endpoint: string): Answer {
    switch (endpoint) {
      case 'band_data':
        return legacyOk([]);
      case 'history':
        return legacyOk({ next: -1, summary: [] });
      case 'detail':
        return legacyOk({});
      default:
        return json(200, { items: [] });
    }
  }

  private bandData(user: SimUser, q: URLSearchParams): Answer {
    const from = q.get('from_date') ?? '';
    const to = q.get('to_date') ?? '';
    const queryType = q.get('query_type') ?? 'summary';
    if (!isDate(from) || !isDate(to) || from > to)
      return legacyParamError('from_date/to_date must be YYYY-MM-DD, from <= to');
    if (queryType !== 'summary' && queryType !== 'detail')
      return legacyParamError('query_type must be summary or detail');
    const userid = q.get('userid');
    if (userid && userid !== user.userId) return legacyParamError('userid does not match the token');
    const days: Record<string, unknown>[] = [];
    for (const date of user.dataDays(from, to)) {
      const plan = user.plan(date);
      const element: Record<string, unknown> = {
        uid: user.userId,
        data_type: 0,
        date_time: date,
        source: plan.device.source,
        summary: encodeSummary(user.summary(date)),
        uuid: 'null',
      };
      if (queryType === 'detail') {
        const m = user.dayMinutes(date);
        const minutes = new Array(MINUTES_PER_DAY);
        for (let i = 0; i < MINUTES_PER_DAY; i++) {
          minutes[i] = { kindByte: m.kind[i]!, intensity: m.intensity[i]!, steps: m.steps[i]!, hrByte: m.hr[i]! };
        }
        const blobs = encodeMinuteBlobs(minutes);
        element.data = blobs.data;
        element.data_hr = blobs.data_hr;
      }
      if (plan.device.sendsDeviceId) element.device_id = plan.device.deviceId;
      days.push(element);
    }
    return legacyOk(days);
  }

  /**
   * Newest first, HISTORY_PAGE_SIZE a page. `trackid` (or `stopTrackId`) is an inclusive cursor: the page
   * holds workouts with trackid <= it; `next` is the trackid of the next page's first item, or -1.
   */
  private history(user: SimUser, q: URLSearchParams): Answer {
    const cursorText = q.get('trackid') ?? q.get('stopTrackId');
    const cursor = cursorText === null || cursorText === '' ? Number.POSITIVE_INFINITY : Number(cursorText);
    if (Number.isNaN(cursor)) return legacyParamError('trackid must be a number');
    const all = user.workouts();
    let start = 0;
    while (start < all.length && all[start]!.plan.trackid > cursor) start++;
    const size = this.faults.historyPageSize ?? HISTORY_PAGE_SIZE;
    const page = all.slice(start, start + size);
    // repeat-trackid: the next page starts with this page's last item again (an overlap of one).
    const nextIndex = this.faults.repeatTrackId && page.length > 1 ? start + page.length - 1 : start + size;
    const nextItem = start + page.length < all.length ? all[nextIndex] : undefined;
    const items = page.map((w) => historyItem(user, w));
    if (this.faults.repeatTrackId && nextItem) this.faults.count('repeat-trackid');
    return legacyOk({ next: nextItem ? nextItem.plan.trackid : -1, summary: items });
  }

  private detail(user: SimUser, q: URLSearchParams): Answer {
    const trackid = Number(q.get('trackid'));
    if (!Number.isSafeInteger(trackid) || trackid <= 0) return legacyParamError('trackid must be a number');
    const found = user.findWorkout(trackid);
    if (!found) return legacyParamError(`no track ${trackid}`);
    const model = workoutModel(user, found);
    return legacyOk(
      encodeWorkoutDetail({ ...model.detail, laps: encodeLaps(model.detail.laps), source: model.device.trackSource }),
    );
  }

  /** Items with from <= timestamp <= to (ms), oldest first, at most `limit` (default 1000). */
  private events(user: SimUser, uid: string, q: URLSearchParams): Answer {
    if (uid !== user.userId && uid !== '-' && uid !== 'me') return restError(403, 403, 'forbidden');
    const eventType = q.get('eventType') ?? '';
    const from = Number(q.get('from'));
    const to = Number(q.get('to'));
    const limit = q.get('limit') === null ? 1000 : Number(q.get('limit'));
    if (!eventType || !Number.isFinite(from) || !Number.isFinite(to) || !(limit > 0) || q.get('from') === null) {
      return restError(400, 400, 'eventType, from, to (ms) and limit are required');
    }
    if (!(EVENT_TYPES as readonly string[]).includes(eventType)) return json(200, { items: [] });
    return json(200, { items: eventsBetween(user, eventType, from, to).slice(0, limit) });
  }

  private devices(user: SimUser, uid: string): Answer {
    if (uid !== user.userId && uid !== '-' && uid !== 'me') return restError(403, 403, 'forbidden');
    const devices = user.spec.devices;
    const items = devices.map((d, i) => {
      const next = devices[i + 1];
      const lastDay = next ? addDays(next.from, -1) : user.today;
      let lastSync = 0;
      for (let day = lastDay; day >= d.from; day = addDays(day, -1)) {
        if (user.plan(day).hasData) {
          lastSync = user.plan(day).sync;
          break;
        }
      }
      return {
        deviceId: d.deviceId,
        macAddress: d.mac,
        serialNumber: d.sn,
        deviceSource: d.source,
        deviceType: 0,
        firmwareVersion: 'V1.0.9.12',
        productionSource: '256',
        activeStatus: next ? 0 : 1,
        bindingDate: Date.parse(`${d.from}T08:00:00Z`),
        displayName: d.name,
        lastDataSyncTime: lastSync,
        additionalInfo: JSON.stringify({
          auth_key: '',
          hardwareVersion: 'V0.1',
          productVersion: '256',
          sn: d.sn,
          deviceName: d.name,
        }),
      };
    });
    return json(200, { items });
  }
}

/**
 * A 200 body that is valid JSON but breaks the payload's shape: a band day's summary that is not base64
 * JSON (that day fails to decode), a legacy `data` that is not what the endpoint sends, events `items`
 * that are not a list.
 */
function malformedBody(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof body !== 'object' || body === null) return text;
  const record = body as Record<string, unknown>;
  if ('code' in record) {
    const data = record.data;
    if (Array.isArray(data) && data.length > 0 && typeof data[0] === 'object' && data[0] !== null) {
      (data[0] as Record<string, unknown>).summary = '%%% not base64 json %%%';
    } else {
      record.data = 'corrupt';
    }
    return JSON.stringify(record);
  }
  return JSON.stringify({ ...record, items: 'corrupt' });
}

function historyItem(
  user: SimUser,
  w: { plan: { trackid: number; type: number }; date: string },
): Record<string, unknown> {
  const model = workoutModel(user, w as Parameters<typeof workoutModel>[1]);
  const swim = model.plan.type === 14;
  return {
    ...encodeHistoryItem({
      trackid: model.plan.trackid,
      type: model.plan.type,
      source: model.device.trackSource,
      endTime: model.endTime,
      runTimeS: model.runTimeS,
      distanceM: model.distanceM,
      calories: model.calories,
      totalSteps: model.totalSteps,
      avgHr: model.avgHr,
      maxHr: model.maxHr ?? (swim ? 0 : null),
      minHr: model.minHr ?? (swim ? 0 : null),
      avgPace: Number(model.avgPace),
      avgCadence: model.avgCadence,
      ascentM: model.ascentM,
      descentM: model.descentM,
      bindDevice: model.device.bindDevice,
    }),
    // Keys the real items carry that nothing decodes; swims fill theirs like the 2022 capture.
    swolf: swim ? 48 : 0,
    total_strokes: swim ? Math.round(model.distanceM / 1.7) : 0,
    total_trips: swim ? Math.round(model.distanceM / 25) : 0,
    swim_pool_length: swim ? 25 : 0,
    swim_style: swim ? 2 : 0,
    sport_mode: 0,
    lap_distance: -1,
    max_altitude: swim ? -20000 : -1,
    min_altitude: swim ? -20000 : -1,
    anaerobic_te: -1,
    heartrate_setting_type: -1,
  };
}
