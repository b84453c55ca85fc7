import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthExpiredError, RateLimitedError, UpstreamError } from '../../../lambdas/core/errors.ts';
import {
  buildAuthorizeUrl,
  createTokenAuth,
  DateRangeError,
  exchangeCode,
  HuamiOpenApi,
  OAuthGrantRefusedError,
  type OAuthTokens,
  refreshAccessToken,
} from '../../../lambdas/sources/huami-open/client.ts';
import { HuamiOpenSource } from '../../../lambdas/sources/huami-open/source.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../../sim/huami-open/simulator.ts';

const REDIRECT = 'https://zepp-lake.example/callback';
let sim: HuamiOpenSimulator;

beforeAll(async () => {
  sim = await startHuamiOpenSimulator({ seed: 7, today: '2024-03-10', days: 5 });
});
afterAll(async () => {
  await sim.close();
});

const noSleep = { sleep: async () => {}, random: () => 0.5 };

/** What the person's browser does: open the consent page, agree, and come back with ?code=. */
async function consent(userId: string): Promise<OAuthTokens> {
  const url = buildAuthorizeUrl({
    clientId: sim.clientId,
    redirectUri: REDIRECT,
    scopes: ['profile', 'activity', 'sleep', 'heartrate', 'motion', 'sport', 'sportDetail'],
    state: 'xyz',
    authBase: sim.url,
  });
  const params = new URLSearchParams(new URL(url).hash.replace(/^#\/\?/, ''));
  const code = sim.authorize(userId, {
    clientId: params.get('client_id') ?? '',
    redirectUri: params.get('redirect_uri') ?? '',
    scope: params.get('scope') ?? '',
    state: params.get('state') ?? '',
  });
  return exchangeCode(
    { code, clientId: sim.clientId, clientSecret: sim.clientSecret, redirectUri: REDIRECT },
    { base: sim.url },
    noSleep,
  );
}

function authFor(tokens: OAuthTokens, extra: Partial<Parameters<typeof createTokenAuth>[0]> = {}) {
  const saved: OAuthTokens[] = [];
  const auth = createTokenAuth({
    tokens,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    hosts: { base: sim.url },
    http: noSleep,
    onTokens: (t) => {
      saved.push(t);
    },
    ...extra,
  });
  return { auth, saved };
}

const refreshCalls = () => sim.requests.filter((r) => r.path === '/oauth2/refresh_token').length;

describe('buildAuthorizeUrl', () => {
  it('puts the documented parameters in the fragment of the consent page', () => {
    const url = buildAuthorizeUrl({ clientId: 'c1', redirectUri: REDIRECT, scopes: ['profile', 'sleep'], state: 's' });
    expect(url.startsWith('https://user.huami.com/oauth/index.html#/?')).toBe(true);
    const params = new URLSearchParams(url.split('#/?')[1]);
    expect(Object.fromEntries(params)).toEqual({
      client_id: 'c1',
      redirect_uri: REDIRECT,
      response_type: 'code',
      state: 's',
      scope: 'profile;sleep',
    });
  });
});

describe('OAuth2 against the simulator', () => {
  it('exchanges the code from the authorize redirect for tokens, once', async () => {
    const before = Date.now();
    const tokens = await consent('1000000101');
    expect(tokens.accessToken).not.toBe('');
    expect(tokens.refreshToken).not.toBe('');
    expect(tokens.expiresAt).toBeGreaterThan(before + 89 * 86_400_000);
  });

  it('refuses a used code with AuthExpiredError (invalid_grant)', async () => {
    const code = sim.authorize('1000000101', { clientId: sim.clientId, redirectUri: REDIRECT });
    const args = { code, clientId: sim.clientId, clientSecret: sim.clientSecret, redirectUri: REDIRECT };
    await exchangeCode(args, { base: sim.url }, noSleep);
    await expect(exchangeCode(args, { base: sim.url }, noSleep)).rejects.toBeInstanceOf(AuthExpiredError);
  });

  it('names a wrong client secret as configuration, not as a withdrawn consent (invalid_client)', async () => {
    const code = sim.authorize('1000000101', { clientId: sim.clientId, redirectUri: REDIRECT });
    const args = { code, clientId: sim.clientId, clientSecret: 'not-the-secret', redirectUri: REDIRECT };
    const refused = exchangeCode(args, { base: sim.url }, noSleep);
    await expect(refused).rejects.toBeInstanceOf(AuthExpiredError);
    await expect(refused).rejects.toThrow(/client id or client secret is wrong/);
    await expect(refused).rejects.not.toThrow(/not-the-secret/);
  });

  it('refreshes before expiry and hands the new tokens to onTokens', async () => {
    const tokens = await consent('1000000101');
    const before = refreshCalls();
    // the clock says the access token expires within the refresh margin
    const { auth, saved } = authFor(tokens, { now: () => tokens.expiresAt - 60_000 });
    const api = new HuamiOpenApi(auth, { hosts: { base: sim.url }, http: noSleep });
    const res = await api.get('profile');
    expect(res.status).toBe(200);
    expect((res.body as { userId: string }).userId).toBe('1000000101');
    expect(refreshCalls()).toBe(before + 1);
    expect(saved).toHaveLength(1);
    expect(saved[0]?.accessToken).not.toBe(tokens.accessToken);
  });

  it('answers a 401 with one refresh and continues', async () => {
    const tokens = await consent('1000000102');
    const { auth, saved } = authFor(tokens);
    const api = new HuamiOpenApi(auth, { hosts: { base: sim.url }, http: noSleep });
    await api.get('devices');
    sim.expireAccessTokens('1000000102');
    const before = refreshCalls();
    const res = await api.get('activities', { startDate: '2024-03-08', endDate: '2024-03-09', interval: 'daily' });
    expect(res.status).toBe(200);
    expect(refreshCalls()).toBe(before + 1);
    expect(saved).toHaveLength(1);
  });

  it('turns revoked consent into AuthExpiredError saying so, without leaking tokens', async () => {
    const tokens = await consent('1000000102');
    const { auth } = authFor(tokens);
    const api = new HuamiOpenApi(auth, { hosts: { base: sim.url }, http: noSleep });
    sim.revokeConsent('1000000102');
    const err = await api.get('profile').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthExpiredError);
    expect(String((err as Error).message)).toMatch(/consent was revoked/);
    expect(String((err as Error).message)).not.toContain(tokens.refreshToken);
    expect(String((err as Error).message)).not.toContain(tokens.accessToken);
    await expect(
      refreshAccessToken(
        { refreshToken: tokens.refreshToken, clientId: sim.clientId, clientSecret: sim.clientSecret },
        { base: sim.url },
        noSleep,
      ),
    ).rejects.toBeInstanceOf(AuthExpiredError);
    await consent('1000000102'); // consenting again restores access for the other tests
  });
});

describe('HuamiOpenApi transport', () => {
  it('retries 429 honouring Retry-After and 5xx with backoff, then succeeds', async () => {
    const tokens = await consent('1000000101');
    const waits: number[] = [];
    const api = new HuamiOpenApi(authFor(tokens).auth, {
      hosts: { base: sim.url },
      http: { sleep: async (ms) => void waits.push(ms), random: () => 0 },
    });
    sim.setFaults({ next: [429, 503], retryAfterS: 2 });
    const res = await api.get('sleep', { startDate: '2024-03-08', endDate: '2024-03-08', interval: 'daily' });
    expect(res.status).toBe(200);
    expect(res.url).toBe('/users/-/sleep?startDate=2024-03-08&endDate=2024-03-08&interval=daily');
    expect(waits).toEqual([2000, 0]);
  });

  it('gives up with RateLimitedError or UpstreamError after the retry budget', async () => {
    const tokens = await consent('1000000101');
    const api = new HuamiOpenApi(authFor(tokens).auth, {
      hosts: { base: sim.url },
      http: { ...noSleep, maxRetries: 2 },
    });
    sim.setFaults({ next: [429, 429, 429] });
    await expect(api.get('profile')).rejects.toBeInstanceOf(RateLimitedError);
    sim.setFaults({ next: [500, 503, 500] });
    const err = await api.get('profile').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).status).toBe(500);
    sim.setFaults({});
  });

  it('times out a hanging answer and retries', async () => {
    const tokens = await consent('1000000101');
    const api = new HuamiOpenApi(authFor(tokens).auth, {
      hosts: { base: sim.url },
      http: { ...noSleep, timeoutMs: 100, maxRetries: 1 },
    });
    sim.setFaults({ delayMs: 400 });
    const err = await api.get('profile').catch((e: unknown) => e);
    sim.setFaults({});
    expect(err).toBeInstanceOf(UpstreamError);
    expect(String((err as Error).message)).toMatch(/timeout after 100 ms/);
  });

  it('puts eventType into the events path', async () => {
    const tokens = await consent('1000000101');
    const api = new HuamiOpenApi(authFor(tokens).auth, { hosts: { base: sim.url }, http: noSleep });
    const res = await api.get('events', { eventType: 'PaiHealthInfo', startDate: '2024-03-06', endDate: '2024-03-10' });
    expect(res.url).toBe('/users/-/events/PaiHealthInfo?startDate=2024-03-06&endDate=2024-03-10');
    const items = (res.body as { items: { eventType: string }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((item) => item.eventType === 'PaiHealthInfo')).toBe(true);
  });
});

describe('one calendar month per call', () => {
  it('refuses to ask for a range over a month end or a backwards range, naming the fix', async () => {
    const tokens = await consent('1000000101');
    const api = new HuamiOpenApi(authFor(tokens).auth, { hosts: { base: sim.url }, http: noSleep });
    const mark = sim.requests.length;
    const across = api.get('heartrates', { startDate: '2024-02-20', endDate: '2024-03-10', type: 'ALL' });
    await expect(across).rejects.toBeInstanceOf(DateRangeError);
    await expect(across).rejects.toThrow(/more than one calendar month.*split the range by month/);
    await expect(api.get('sleep', { startDate: '2024-03-10', endDate: '2024-03-01' })).rejects.toThrow(/backwards/);
    // nothing was sent
    expect(sim.requests.length).toBe(mark);
    // a whole month, and the dateless calls, go out as before
    expect((await api.get('activities', { startDate: '2024-03-01', endDate: '2024-03-31' })).status).toBe(200);
    expect((await api.get('devices')).status).toBe(200);
  });

  it('fetches a window over a month end month by month and keeps every day of both', async () => {
    const wide = await startHuamiOpenSimulator({ seed: 3, today: '2024-03-10', days: 20 });
    try {
      const userId = wide.users[0]!.userId;
      const code = wide.authorize(userId, { clientId: wide.clientId, redirectUri: REDIRECT });
      const creds = { clientId: wide.clientId, clientSecret: wide.clientSecret };
      const tokens = await exchangeCode({ code, ...creds, redirectUri: REDIRECT }, { base: wide.url }, noSleep);
      const auth = createTokenAuth({ tokens, ...creds, hosts: { base: wide.url }, http: noSleep });
      const source = new HuamiOpenSource(new HuamiOpenApi(auth, { hosts: { base: wide.url }, http: noSleep }), userId);
      const mark = wide.requests.length;
      const records = await source.fetchWindow('band', { month: '2024-02', from: '2024-02-25', to: '2024-03-05' });
      const activities = records.find((r) => r.endpoint === 'activities')!;
      const dates = (JSON.parse(activities.text) as { items: { date: string }[] }).items.map((i) => i.date);
      const truth = wide.groundTruth(userId, { from: '2024-02-25', to: '2024-03-05' });
      expect(dates).toEqual(truth.daily_summary!.map((r) => r.local_date));
      expect(dates.some((d) => d.startsWith('2024-02'))).toBe(true);
      expect(dates.some((d) => d.startsWith('2024-03'))).toBe(true);
      const sent = wide.requests.slice(mark);
      expect(sent.filter((r) => r.truncated)).toEqual([]);
      // five resources, each asked once per month
      expect(sent.filter((r) => r.path.startsWith('/users/-/')).length).toBe(10);
    } finally {
      await wide.close();
    }
  });
});

describe('the refusal of a grant', () => {
  it('is an OAuthGrantRefusedError (an AuthExpiredError) that says nothing of the token', async () => {
    const tokens = await consent('1000000101');
    const args = { refreshToken: tokens.refreshToken, clientId: sim.clientId, clientSecret: sim.clientSecret };
    await refreshAccessToken(args, { base: sim.url }, noSleep);
    // the simulator rotated it: a second use is refused
    const err = await refreshAccessToken(args, { base: sim.url }, noSleep).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthGrantRefusedError);
    expect(err).toBeInstanceOf(AuthExpiredError);
    expect((err as Error).name).toBe('OAuthGrantRefusedError');
    expect(String((err as Error).message)).toMatch(/invalid_grant/);
    expect(String((err as Error).message)).not.toContain(tokens.refreshToken);
  });
});
