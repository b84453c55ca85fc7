// Simulator of the official partner "Huami Web API" (source `huami-open`, seed 003, reference §2.4): the
// OAuth2 token endpoint, the data endpoints with the documented shapes (field names exactly as the
// OFFICIAL_DOC fixtures), Bearer auth with expiring access tokens, fault injection, and signed Subscriptions
// notifications. node:http on 127.0.0.1; data is deterministic from a seed.
//
// Public API
//   startHuamiOpenSimulator(options?): Promise<HuamiOpenSimulator>
//     options: { port?: 0, seed?, today? (YYYY-MM-DD, default the UTC date), days? (history length, default 21),
//                users? (count or specs), clientId?, clientSecret?, accessTokenLifetimeS? (default 90 d),
//                retireAccessTokenOnRefresh? (default false) }
//   sim.url, sim.users [{ userId, tzOffsetS, device }], sim.clientId, sim.clientSecret
//   sim.authorize(userId, {clientId, redirectUri, scope, state}) -> the code the browser's redirect would carry
//   sim.groundTruth(userId, {from, to}) -> TableRows of every table for local dates from..to, computed from
//     the model (not from the decoders), sorted by natural key
//   sim.revokeConsent(userId), sim.expireAccessTokens(userId?), sim.setFaults(spec), sim.requests (log)
//   sim.liveTokens(userId) -> { accessTokens, refreshTokens } the vendor accepts now
//   sim.publicKeyPem, sim.signBody(raw) -> header value, sim.makeNotification(userId, overrides?)
//   sim.notify(url, notification | raw string, {tamper?, omitSignature?}) -> {status, ms}
//   sim.notifyBurst(url, n) -> [{status, ms, notification}]
//   sim.close()
//
// Model conventions (what lambdas/sources/huami-open/decode.ts must read; written from reference §2.4):
// - day D of a user at offset O: midnight(D) = D 00:00 UTC - O; minute m is midnight(D) + m minutes;
// - sleep of the night following D: start/stop are minute indexes from midnight(D) for amazfit users, epoch
//   seconds for mifit users; stages (interval=hourly) are inclusive minute ranges (mifit: stop = exclusive end);
// - the last day (today) has minutes up to 12:00 only and no night yet; some days have no data at all.
//
// Rules the partner doc leaves open, taken at their strictest so that a client relying on them fails here:
// - every refresh rotates the refresh token: the one used is superseded at once and answers invalid_grant;
// - a date range is answered only up to the end of startDate's calendar month; the rest is silently left out
//   (the doc never promises that a long range comes back whole). `truncated: true` marks such requests in the log.

// Files: types.ts (the shapes above), model.ts (the seeded days), data-endpoints.ts, sport-detail.ts, segments.ts
// (pauses and laps), oauth.ts, notifications.ts, ground-truth.ts, http.ts; this file wires them to one server.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addDays, eachDay } from '../../lambdas/core/time.ts';
import { dataAnswer } from './data-endpoints.ts';
import { groundTruthOf } from './ground-truth.ts';
import { type Answer, answer, NOT_FOUND, type RequestNote, readBody, send } from './http.ts';
import { buildDay, type DayModel, hashString, type Prng, prng } from './model.ts';
import { Notifier } from './notifications.ts';
import { OAuthServer } from './oauth.ts';
import type {
  FaultSpec,
  HuamiOpenSimOptions,
  HuamiOpenSimUser,
  HuamiOpenSimUserSpec,
  HuamiOpenSimulator,
} from './types.ts';

export type {
  FaultSpec,
  HuamiNotificationBody,
  HuamiOpenSimOptions,
  HuamiOpenSimUser,
  HuamiOpenSimUserSpec,
  HuamiOpenSimulator,
  NotifyOptions,
} from './types.ts';

const DEFAULT_USERS: Required<HuamiOpenSimUserSpec>[] = [
  { userId: '1000000101', tzOffsetS: 3600, device: 'amazfit' },
  { userId: '1000000102', tzOffsetS: -18000, device: 'mifit' },
  { userId: '1000000103', tzOffsetS: 19800, device: 'amazfit' },
];

/** The people: `users` as a count cycles through the defaults with fresh ids; the default is the first two. */
function simUsers(options: HuamiOpenSimOptions, today: string): HuamiOpenSimUser[] {
  const historyDays = options.days ?? 21;
  const specs: HuamiOpenSimUserSpec[] =
    typeof options.users === 'number'
      ? Array.from({ length: options.users }, (_, i) => DEFAULT_USERS[i % DEFAULT_USERS.length]!).map((u, i) => ({
          ...u,
          userId: String(1000000101 + i),
        }))
      : (options.users ?? DEFAULT_USERS.slice(0, 2));
  return specs.map((s, i) => ({
    userId: s.userId ?? String(1000000101 + i),
    tzOffsetS: s.tzOffsetS ?? DEFAULT_USERS[i % DEFAULT_USERS.length]!.tzOffsetS,
    device: s.device ?? 'amazfit',
    firstDate: addDays(today, -(historyDays - 1)),
  }));
}

/** Injected failures, decided per request in arrival order from one seeded stream. */
class FaultPicker {
  spec: FaultSpec = {};
  private readonly random: Prng;

  constructor(seed: number) {
    this.random = prng(hashString(`faults|${seed}`));
  }

  set(spec: FaultSpec): void {
    this.spec = { ...spec, next: spec.next ? [...spec.next] : undefined };
  }

  /** The status to answer instead, or undefined to answer normally. */
  pick(isAuth: boolean): number | undefined {
    const faults = this.spec;
    const scope = faults.scope ?? 'api';
    if (scope !== 'all' && (scope === 'auth') !== isAuth) return undefined;
    if (faults.next && faults.next.length > 0) return faults.next.shift();
    if (faults.rate429 && this.random.next() < faults.rate429) return 429;
    if (faults.rate5xx && this.random.next() < faults.rate5xx) return 503;
    return undefined;
  }

  answer(status: number): Answer {
    if (status === 429) {
      return answer(
        429,
        { code: 429, message: 'Too Many Requests' },
        { 'retry-after': String(this.spec.retryAfterS ?? 1) },
      );
    }
    return answer(status, { code: -1003, message: 'Internal server error' });
  }
}

/** The days of each person, built once (a day's model never changes). */
class DayStore {
  private readonly cache = new Map<string, DayModel | null>();

  constructor(
    private readonly seed: number,
    readonly today: string,
  ) {}

  dayOf(user: HuamiOpenSimUser, date: string): DayModel | null {
    const key = `${user.userId}|${date}`;
    if (!this.cache.has(key)) this.cache.set(key, buildDay(this.seed, user, date, this.today));
    return this.cache.get(key) ?? null;
  }

  daysIn(user: HuamiOpenSimUser, from: string, to: string): DayModel[] {
    return eachDay(from, to)
      .map((d) => this.dayOf(user, d))
      .filter((d): d is DayModel => d !== null);
  }
}

interface Routes {
  oauth: OAuthServer;
  faults: FaultPicker;
  days: DayStore;
  userById: ReadonlyMap<string, HuamiOpenSimUser>;
}

/** `GET /users/-/...`: Bearer auth, then the data endpoints. */
function dataRoute(routes: Routes, req: IncomingMessage, url: URL, note: RequestNote): Answer {
  const grant = routes.oauth.grantOf(req.headers.authorization);
  if (!grant || grant.expiresAt <= Date.now()) return answer(401, { code: 0, message: 'invalid token' });
  if (routes.oauth.isRevoked(grant.userId)) {
    return answer(401, { code: -1011, message: 'User authorization has expired, please relogin again' });
  }
  const user = routes.userById.get(grant.userId)!;
  const days = routes.days;
  return dataAnswer(
    { user, today: days.today, dayOf: (u, d) => days.dayOf(u, d), daysIn: (u, f, t) => days.daysIn(u, f, t) },
    url,
    note,
  );
}

async function route(routes: Routes, req: IncomingMessage, url: URL, note: RequestNote): Promise<Answer> {
  const faults = routes.faults.spec;
  if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
  const fault = routes.faults.pick(url.pathname.startsWith('/oauth2/'));
  if (fault !== undefined) return routes.faults.answer(fault);
  const path = url.pathname;
  if (req.method === 'POST' && (path === '/oauth2/access_token' || path === '/oauth2/refresh_token')) {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    return routes.oauth.token(form, req.headers.authorization, path);
  }
  if (req.method === 'POST' && path === '/oauth2/verify') return routes.oauth.verify(req.headers.authorization);
  if (req.method === 'GET' && path.startsWith('/users/-/')) return dataRoute(routes, req, url, note);
  return NOT_FOUND;
}

/** Answers one request and logs it; a request that throws is answered 500. */
function handle(routes: Routes, log: HuamiOpenSimulator['requests']) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const note: RequestNote = {};
    const record = (status: number) =>
      log.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        status,
        ...(note.truncated ? { truncated: true } : {}),
      });
    route(routes, req, url, note)
      .then((a) => record(send(res, a)))
      .catch(() => {
        if (!res.headersSent) record(send(res, answer(500, { code: -1003, message: 'Internal server error' })));
      });
  };
}

export async function startHuamiOpenSimulator(options: HuamiOpenSimOptions = {}): Promise<HuamiOpenSimulator> {
  const seed = options.seed ?? 1;
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const clientId = options.clientId ?? 'zepp-lake-sim-client';
  const clientSecret = options.clientSecret ?? 'sim-client-secret';
  const users = simUsers(options, today);
  const userById = new Map(users.map((u) => [u.userId, u]));
  const days = new DayStore(seed, today);
  const notifier = new Notifier(userById, today);
  const oauth = new OAuthServer({
    clientId,
    clientSecret,
    accessLifetimeMs: (options.accessTokenLifetimeS ?? 90 * 86_400) * 1000,
    retireAccessTokenOnRefresh: options.retireAccessTokenOnRefresh ?? false,
  });
  const faults = new FaultPicker(seed);
  const requests: HuamiOpenSimulator['requests'] = [];
  const server = createServer(handle({ oauth, faults, days, userById }, requests));
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return simulatorHandle({
    url: `http://127.0.0.1:${port}`,
    users,
    clientId,
    clientSecret,
    requests,
    routes: { oauth, faults, days, userById },
    notifier,
    server,
  });
}

/** What a running simulator is made of, for the handle the tests hold. */
interface SimulatorParts extends Pick<HuamiOpenSimulator, 'url' | 'users' | 'clientId' | 'clientSecret' | 'requests'> {
  routes: Routes;
  notifier: Notifier;
  server: Server;
}

function simulatorHandle(parts: SimulatorParts): HuamiOpenSimulator {
  const { users, notifier, server } = parts;
  const { oauth, faults, days, userById } = parts.routes;
  return {
    url: parts.url,
    users,
    clientId: parts.clientId,
    clientSecret: parts.clientSecret,
    publicKeyPem: notifier.publicKeyPem,
    requests: parts.requests,
    mintedSecrets: () => oauth.mintedSecrets(),
    authorize(userId, params) {
      if (!userById.has(userId)) throw new Error(`unknown simulated user ${userId}`);
      return oauth.authorize(userId, params);
    },
    groundTruth(userId, range) {
      const user = userById.get(userId);
      if (!user) throw new Error(`unknown simulated user ${userId}`);
      return groundTruthOf(user, days.daysIn(user, range.from, range.to));
    },
    revokeConsent: (userId) => oauth.revokeConsent(userId),
    expireAccessTokens: (userId) => oauth.expireAccessTokens(userId),
    liveTokens: (userId) => oauth.liveTokens(userId),
    setFaults: (spec) => faults.set(spec),
    signBody: (raw) => notifier.signBody(raw),
    makeNotification: (userId, overrides) => notifier.makeNotification(userId, overrides),
    notify: (targetUrl, notification, opts) => notifier.notify(targetUrl, notification, opts),
    async notifyBurst(targetUrl, n) {
      const notifications = Array.from({ length: n }, (_, i) =>
        notifier.makeNotification(users[i % users.length]!.userId),
      );
      return Promise.all(
        notifications.map(async (notification) => ({
          ...(await notifier.notify(targetUrl, notification)),
          notification,
        })),
      );
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
