import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addDays } from '../../lambdas/core/time.ts';
import { parseFaultSpec, type Simulator, startSimulator } from '../../sim/index.ts';
import { getJson, login, type Session, TODAY } from './support.ts';

const BAND = `/v1/data/band_data.json?query_type=summary&device_type=android_phone&from_date=${addDays(TODAY, -3)}&to_date=${TODAY}`;

describe('fault spec parsing', () => {
  it('reads rates, once, counts, flags and options', () => {
    expect(
      parseFaultSpec(
        '429:0.1,500:0.05,slow:0.02,truncate:0.02,expire-legacy:once,expire-rest:2,wrong-region,slow-ms:3000,retry-after:4',
      ),
    ).toEqual({
      '429': 0.1,
      '500': 0.05,
      slow: 0.02,
      truncate: 0.02,
      'expire-legacy': 'once',
      'expire-rest': { count: 2 },
      'wrong-region': true,
      slowMs: 3000,
      retryAfterS: 4,
    });
    expect(() => parseFaultSpec('teapot:0.1')).toThrow(/unknown fault teapot/);
    expect(() => parseFaultSpec('429:1.5')).toThrow(/bad rate/);
  });
});

describe('simulator faults', () => {
  let sim: Simulator;
  let bob: Session;
  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY });
    bob = await login(sim, 'bob');
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.setFaults('');
  });

  it('answers 429 with Retry-After in seconds, then recovers', async () => {
    sim.setFaults('429:once,retry-after:3');
    const first = await getJson(sim, BAND, bob);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    const second = await getJson(sim, BAND, bob);
    expect(second.body.code).toBe(1);
    expect(sim.stats().faults['429']).toBe(1);
  });

  it('answers 500, 502 and 503', async () => {
    sim.setFaults('500:once,502:once,503:once');
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await getJson(sim, '/v1/sport/run/history.json', bob)).status);
    expect(statuses).toEqual([500, 502, 503, 200]);
  });

  it('answers slower than a client timeout', async () => {
    sim.setFaults('slow:once,slow-ms:1500');
    // The client's 200 ms timeout fires before the 1.5 s answer: the fetch rejects (no timed assertion).
    await expect(
      fetch(`${sim.url}${BAND}`, { headers: { apptoken: bob.appToken }, signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow(/abort|timeout/i);
    expect((await getJson(sim, BAND, bob)).body.code).toBe(1);
    expect(sim.stats().faults.slow).toBeGreaterThanOrEqual(1);
  });

  it('cuts the JSON body mid-way', async () => {
    const whole = await getJson(sim, BAND, bob);
    sim.setFaults('truncate:once');
    const cut = await getJson(sim, BAND, bob);
    expect(cut.status).toBe(200);
    expect(cut.body).toBeUndefined();
    expect(whole.text.startsWith(cut.text)).toBe(true);
    expect(cut.text.length).toBeLessThan(whole.text.length);
  });

  it('expires the app token on a legacy call until the client re-mints it', async () => {
    const session = await login(sim, 'alice');
    sim.setFaults('expire-legacy:once');
    expect((await getJson(sim, BAND, session)).body).toEqual({ code: 0, message: 'invalid token' });
    expect((await getJson(sim, BAND, session)).body.code).toBe(0);
    expect((await getJson(sim, `/users/${session.userId}/devices`, session)).status).toBe(401);
    const minted = await getJson(sim, `/v1/client/app_tokens?login_token=${session.loginToken}`, undefined);
    const fresh = { ...session, appToken: minted.body.token_info.app_token as string };
    expect((await getJson(sim, BAND, fresh)).body.code).toBe(1);
    expect(sim.stats().faults['expire-legacy']).toBe(1);
  });

  it('expires the app token on a REST call with 401 code 102 until re-minted', async () => {
    const session = await login(sim, 'chandra');
    sim.setFaults('expire-rest:once');
    const path = `/users/${session.userId}/events?eventType=PaiHealthInfo&from=0&to=${Date.parse(`${TODAY}T23:59:59Z`)}&limit=5`;
    const first = await getJson(sim, path, session);
    expect(first.status).toBe(401);
    expect(first.body.code).toBe(102);
    expect((await getJson(sim, path, session)).status).toBe(401);
    const minted = await getJson(sim, `/v1/client/app_tokens?login_token=${session.loginToken}`, undefined);
    const again = await getJson(sim, path, { ...session, appToken: minted.body.token_info.app_token });
    expect(again.status).toBe(200);
    expect(again.body.items).toHaveLength(5);
  });

  it('answers empty success in the wrong region while devices still show recent activity', async () => {
    sim.setFaults('wrong-region');
    expect((await getJson(sim, BAND, bob)).body).toEqual({ code: 1, message: 'success', data: [] });
    expect((await getJson(sim, '/v1/sport/run/history.json', bob)).body.data).toEqual({ next: -1, summary: [] });
    const events = await getJson(
      sim,
      `/users/${bob.userId}/events?eventType=all_day_stress&from=0&to=${Date.now()}&limit=10`,
      bob,
    );
    expect(events.body).toEqual({ items: [] });
    const devices = await getJson(sim, `/users/${bob.userId}/devices?enableMultiDevice=true`, bob);
    const lastSync = devices.body.items[0].lastDataSyncTime as number;
    expect(lastSync * 1000).toBeGreaterThan(Date.parse(`${TODAY}T00:00:00Z`) - 86_400_000);
    expect(sim.stats().faults['wrong-region']).toBe(3);
  });

  it('answers 500 code -50000 without appPlatform/appname when asked to', async () => {
    sim.setFaults('require-app-headers');
    const res = await fetch(`${sim.url}${BAND}`, { headers: { apptoken: bob.appToken } });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ code: -50000, message: 'unknown error' });
    expect((await getJson(sim, BAND, bob)).status).toBe(200);
  });

  it('fires rate faults from a seeded PRNG: the same seed gives the same sequence', async () => {
    const run = async () => {
      const s = await startSimulator({ today: TODAY, seed: 99, faults: '429:0.2,5xx:0.2,truncate:0.1' });
      try {
        const session = await login(s, 'bob');
        const out: number[] = [];
        for (let i = 0; i < 30; i++) {
          const r = await getJson(s, BAND, session);
          out.push(r.body === undefined && r.status === 200 ? -1 : r.status);
        }
        return { out, stats: s.stats() };
      } finally {
        await s.close();
      }
    };
    const a = await run();
    const b = await run();
    expect(b.out).toEqual(a.out);
    expect(a.out.filter((x) => x !== 200).length).toBeGreaterThan(3);
    expect(a.stats.faults).toEqual(b.stats.faults);
    expect(a.stats.requests.band_data).toBe(30);
  });
});
