import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthExpiredError, LoginError, RateLimitedError } from '../../../lambdas/core/errors.ts';
import type { HttpOptions } from '../../../lambdas/sources/http.ts';
import { remintAppToken, ZeppApi, type ZeppAuth, type ZeppLogin } from '../../../lambdas/sources/zepp/client.ts';
import { loginWithPassword } from '../../../lambdas/sources/zepp/password-login.ts';
import { type Simulator, startSimulator } from '../../../sim/index.ts';

// The client against the project's vendor simulator: a real login, then every fault the simulator can inject.

const TODAY = '2024-06-01';

interface RetryInfo {
  url: string;
  attempt: number;
  reason: string;
  delayMs: number;
}

/**
 * A sleep that only records, so backoffs cost nothing. The timeout leaves room for a loaded machine; the
 * `slow` cases lower it so that the fault, not the machine, is what times out.
 */
function fastHttp(over: HttpOptions = {}): HttpOptions & { delays: number[]; retries: RetryInfo[] } {
  const delays: number[] = [];
  const retries: RetryInfo[] = [];
  return {
    timeoutMs: 3_000,
    maxRetries: 6,
    baseDelayMs: 10,
    maxDelayMs: 5_000,
    sleep: async (ms) => {
      delays.push(ms);
    },
    onRetry: (info) => retries.push(info),
    ...over,
    delays,
    retries,
  };
}

/**
 * The policy the engine uses: keep the app token (in `store`, shared like the token file), re-mint it from
 * the login token when it is rejected, never log in with the password again.
 */
function remintingAuth(
  login: ZeppLogin,
  base: string,
  http: HttpOptions,
  store: { appToken: string } = { appToken: login.appToken },
): ZeppAuth & { refreshes: number } {
  const auth = {
    refreshes: 0,
    current: async () => store.appToken,
    refresh: async () => {
      auth.refreshes++;
      store.appToken = await remintAppToken(login.loginToken, { base }, http);
      return store.appToken;
    },
  };
  return auth;
}

let sim: Simulator;
let login: ZeppLogin;
let tokenStore: { appToken: string };
let alice: Simulator['users'][number];

beforeAll(async () => {
  sim = await startSimulator({ today: TODAY });
  const first = sim.users[0];
  if (!first) throw new Error('the simulator has no users');
  alice = first;
  login = await loginWithPassword(alice.email, alice.password, { base: sim.url }, fastHttp());
  tokenStore = { appToken: login.appToken };
});
afterAll(() => sim.close());
beforeEach(() => sim.setFaults(''));

function client(http: HttpOptions = fastHttp()) {
  const auth = remintingAuth(login, sim.url, http, tokenStore);
  return { auth, api: new ZeppApi({ userId: login.userId, auth, hosts: { base: sim.url }, http }) };
}

function bandDays(body: unknown): unknown[] {
  const data = (body as { data?: unknown }).data;
  return Array.isArray(data) ? data : [];
}

const lastDays = (n: number): string => {
  const d = new Date(`${TODAY}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - n);
  return d.toISOString().slice(0, 10);
};

describe('ZeppApi against the simulator', () => {
  it('logs in with the two-step password flow and reads band data, history, events and devices', async () => {
    expect(login.userId).toBe(alice.userId);
    expect(login.region).toBe(alice.region);
    expect(login.countryCode).toBe(alice.countryCode);

    const { api } = client();
    const band = await api.getBandData(lastDays(6), TODAY);
    expect((band.body as { code: number }).code).toBe(1);
    expect(bandDays(band.body).length).toBeGreaterThan(0);

    const history = await api.getWorkoutHistory();
    const page = (history.body as { data: { next: number; summary: { trackid: string; source: string }[] } }).data;
    expect(page.summary.length).toBeGreaterThan(0);
    const newest = page.summary[0]!;
    const detail = await api.getWorkoutDetail(Number(newest.trackid), newest.source);
    expect((detail.body as { code: number }).code).toBe(1);
    if (page.next !== -1) {
      const next = await api.getWorkoutHistory(page.next);
      expect((next.body as { data: { summary: unknown[] } }).data.summary.length).toBeGreaterThan(0);
    }

    const to = Date.parse(`${TODAY}T00:00:00Z`);
    const events = await api.getEvents('all_day_stress', to - 7 * 86_400_000, to);
    expect((events.body as { items: unknown[] }).items.length).toBeGreaterThan(0);
    const devices = await api.getDevices();
    expect((devices.body as { items: unknown[] }).items.length).toBe(alice.devices.length);
  });

  it('refuses a wrong password with LoginError', async () => {
    const err = await loginWithPassword(alice.email, `${alice.password}-wrong`, { base: sim.url }, fastHttp()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LoginError);
    expect((err as Error).message).toMatch(/wrong email or password/);
  });

  it.each([
    ['429:once', '429', 'HTTP 429'],
    ['500:once', '500', 'HTTP 500'],
    ['502:once', '502', 'HTTP 502'],
    ['503:once', '503', 'HTTP 503'],
    // The timeout far above what the prompt retry takes on a loaded machine, far below the slow answer.
    ['slow:once,slow-ms:20000', 'slow', 'timeout after 1500 ms'],
    ['truncate:once', 'truncate', 'body is not valid JSON'],
  ])('survives fault %s on a legacy call by retrying', async (spec, fault, reason) => {
    sim.setFaults(spec);
    const http = fastHttp(fault === 'slow' ? { timeoutMs: 1_500 } : {});
    const { api } = client(http);
    const band = await api.getBandData(lastDays(2), TODAY);
    expect((band.body as { code: number }).code).toBe(1);
    expect(bandDays(band.body).length).toBeGreaterThan(0);
    expect(sim.stats().faults[fault]).toBeGreaterThanOrEqual(1);
    expect(http.retries.map((r) => r.reason)).toEqual([reason]);
    if (fault === '429') expect(http.delays).toEqual([1000]); // the simulator's Retry-After: 1
  });

  it('survives expire-legacy by re-minting the app token once', async () => {
    sim.setFaults('expire-legacy:once');
    const { api, auth } = client();
    const band = await api.getBandData(lastDays(1), TODAY, 'summary');
    expect((band.body as { code: number }).code).toBe(1);
    expect(auth.refreshes).toBe(1);
    expect(sim.stats().faults['expire-legacy']).toBe(1);
  });

  it('survives expire-rest by re-minting the app token once', async () => {
    sim.setFaults('expire-rest:once');
    const { api, auth } = client();
    const devices = await api.getDevices();
    expect((devices.body as { items: unknown[] }).items.length).toBe(alice.devices.length);
    expect(auth.refreshes).toBe(1);
    expect(sim.stats().faults['expire-rest']).toBe(1);
  });

  it('answers wrong-region with empty data while the devices stay listed', async () => {
    sim.setFaults('wrong-region');
    const { api } = client();
    const band = await api.getBandData(lastDays(6), TODAY);
    expect(bandDays(band.body)).toEqual([]);
    const devices = await api.getDevices();
    expect((devices.body as { items: unknown[] }).items.length).toBe(alice.devices.length);
  });

  it('passes require-app-headers because it always sends appPlatform and appname', async () => {
    sim.setFaults('require-app-headers');
    const http = fastHttp();
    const { api } = client(http);
    await api.getDevices();
    expect(http.retries).toEqual([]);
    expect(sim.stats().faults['app-headers'] ?? 0).toBe(0);
  });

  it('gets every answer through a mix of random faults', async () => {
    sim.setFaults('429:0.1,500:0.05,slow:0.02,truncate:0.02,expire-legacy:once,expire-rest:once,slow-ms:2500,seed:7');
    const http = fastHttp({ timeoutMs: 1_000 });
    const { api, auth } = client(http);
    const to = Date.parse(`${TODAY}T00:00:00Z`);
    for (let n = 30; n >= 0; n--) {
      const day = lastDays(n);
      const band = await api.getBandData(day, day, 'summary');
      expect((band.body as { code: number }).code).toBe(1);
      const from = Date.parse(`${day}T00:00:00Z`);
      const events = await api.getEvents('PaiHealthInfo', from, Math.min(to, from + 86_399_999));
      expect(Array.isArray((events.body as { items?: unknown }).items)).toBe(true);
    }
    expect(auth.refreshes).toBe(2);
    expect(http.retries.length).toBeGreaterThan(0);
    expect(Math.max(...http.delays)).toBeLessThanOrEqual(5_000);
  });

  it('stops with AuthExpiredError when the login token is revoked too', async () => {
    const own = await loginWithPassword(alice.email, alice.password, { base: sim.url }, fastHttp());
    const logout = await fetch(`${sim.url}/v1/client/logout`, {
      method: 'POST',
      body: new URLSearchParams({ login_token: own.loginToken }),
    });
    expect(logout.status).toBe(200);
    const http = fastHttp();
    const auth = remintingAuth(own, sim.url, http);
    const api = new ZeppApi({ userId: own.userId, auth, hosts: { base: sim.url }, http });
    await expect(api.getBandData(lastDays(1), TODAY)).rejects.toBeInstanceOf(AuthExpiredError);
    expect(auth.refreshes).toBe(1);
  });
});

describe('login throttling in the simulator', () => {
  it('retries a throttled login with its Retry-After, then gives up with RateLimitedError', async () => {
    const throttled = await startSimulator({
      today: TODAY,
      loginThrottle: { max: 1, windowMs: 60_000, retryAfterS: 2 },
    });
    try {
      const user = throttled.users[0]!;
      await loginWithPassword(user.email, user.password, { base: throttled.url }, fastHttp());
      const http = fastHttp({ maxRetries: 2 });
      const err = await loginWithPassword(user.email, user.password, { base: throttled.url }, http).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RateLimitedError);
      expect(http.delays).toEqual([2000, 2000]);
      expect(throttled.stats().faults['login-429']).toBe(3);
    } finally {
      await throttled.close();
    }
  });
});
