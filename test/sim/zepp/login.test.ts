import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../sim/index.ts';
import { accessCode, clientLogin, getJson, login, TODAY } from '../support.ts';

describe('simulator login flow', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, loginThrottle: { max: 6, windowMs: 60_000, retryAfterS: 7 } });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('answers the registration with a 303 whose Location carries access, region and country_code', async () => {
    const alice = sim.users.find((u) => u.name === 'alice')!;
    const location = await accessCode(sim, alice.email, alice.password);
    expect(location.origin + location.pathname).toBe(
      'https://s3-us-west-2.amazonws.com/hm-registration/successsignin.html',
    );
    expect(location.searchParams.get('access')).toMatch(/^[\w-]{16,}$/);
    expect(location.searchParams.get('region')).toBe('eu-central-1');
    expect(location.searchParams.get('country_code')).toBe('DE');
    expect(Number(location.searchParams.get('expiration'))).toBeGreaterThan(0);
  });

  it('puts error= in the Location for a wrong password', async () => {
    const location = await accessCode(sim, 'alice@example.com', 'not-the-password');
    expect(location.searchParams.get('error')).toBe('401');
    expect(location.searchParams.has('access')).toBe(false);
  });

  it('answers JSON for json_response=true', async () => {
    const res = await fetch(`${sim.url}/registrations/bob%40example.com/tokens`, {
      method: 'POST',
      body: new URLSearchParams({ password: 'bob-synthetic-pw', json_response: 'true' }),
    });
    const body = (await res.json()) as Record<string, string>;
    expect(res.status).toBe(200);
    expect(body.country_code).toBe('US');
    expect(typeof body.access).toBe('string');
  });

  it('exchanges a code once for the login shape, and answers 0106 to a reused code', async () => {
    const location = await accessCode(sim, 'bob@example.com', 'bob-synthetic-pw');
    const code = location.searchParams.get('access')!;
    const first = await clientLogin(sim, code);
    expect(first.status).toBe(200);
    expect(first.body.result).toBe('ok');
    expect(first.body.token_info.user_id).toBe('1000000002');
    expect(typeof first.body.token_info.app_token).toBe('string');
    expect(typeof first.body.token_info.login_token).toBe('string');
    expect(first.body.regist_info.country_code).toBe('US');
    expect(Array.isArray(first.body.domains)).toBe(true);
    const again = await clientLogin(sim, code);
    expect(again).toEqual({ status: 200, body: { error_code: '0106' } });
    const bogus = await clientLogin(sim, 'never-issued');
    expect(bogus.body).toEqual({ error_code: '0106' });
  });

  it('re-mints an app token from the login token, and refuses an unknown login token', async () => {
    const session = await login(sim, 'chandra');
    const res = await getJson(
      sim,
      `/v1/client/app_tokens?app_name=com.xiaomi.hm.health&login_token=${session.loginToken}`,
      undefined,
    );
    expect(res.body.result).toBe('ok');
    const fresh = res.body.token_info.app_token as string;
    expect(fresh).not.toBe(session.appToken);
    const data = await getJson(sim, '/v1/sport/run/history.json', { ...session, appToken: fresh });
    expect(data.body.code).toBe(1);
    const bad = await getJson(sim, '/v1/client/app_tokens?login_token=nope', undefined);
    expect(bad.body.result).not.toBe('ok');
    expect(bad.body.error_code).toBe('0106');
  });

  it('refuses bad app tokens: legacy paths with 200 code 0, REST paths with 401 code 102', async () => {
    const legacy = await getJson(sim, '/v1/sport/run/history.json', { userId: '1', appToken: 'bad', loginToken: '' });
    expect(legacy.status).toBe(200);
    expect(legacy.body).toEqual({ code: 0, message: 'invalid token' });
    const rest = await getJson(sim, '/users/1000000001/devices?enableMultiDevice=true', undefined);
    expect(rest.status).toBe(401);
    expect(rest.body.code).toBe(102);
  });

  it('logs out: the login token and its app tokens stop working', async () => {
    const session = await login(sim, 'alice');
    const res = await fetch(`${sim.url}/v1/client/logout`, {
      method: 'POST',
      body: new URLSearchParams({ login_token: session.loginToken }),
    });
    expect(await res.json()).toEqual({ result: 'ok' });
    const after = await getJson(sim, '/v1/sport/run/history.json', session);
    expect(after.body.code).toBe(0);
  });

  it('throttles logins that come too fast with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${sim.url}/v2/client/login`, {
        method: 'POST',
        body: new URLSearchParams({ code: 'x', grant_type: 'access_token' }),
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.text();
    }
    expect(statuses).toContain(429);
    expect(retryAfter).toBe('7');
    expect(sim.stats().faults['login-429']).toBeGreaterThan(0);
  });
});
