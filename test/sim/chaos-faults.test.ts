// The simulator faults added for the chaos scenarios: 429 without Retry-After, payloads that are valid JSON
// but broken, and workout history pages that repeat a trackid across pages.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addDays } from '../../lambdas/core/time.ts';
import { parseFaultSpec, type Simulator, startSimulator } from '../../sim/index.ts';
import { getJson, login, type Session, TODAY } from './support.ts';

const BAND = `/v1/data/band_data.json?query_type=summary&device_type=android_phone&from_date=${addDays(TODAY, -3)}&to_date=${TODAY}`;

describe('chaos fault spec parsing', () => {
  it('reads no-retry-after, repeat-trackid, malformed and history-page', () => {
    expect(parseFaultSpec('no-retry-after,repeat-trackid,malformed:2,history-page:3')).toEqual({
      'no-retry-after': true,
      'repeat-trackid': true,
      malformed: { count: 2 },
      historyPageSize: 3,
    });
    expect(() => parseFaultSpec('history-page:1')).toThrow(/2 or more/);
  });
});

describe('chaos faults of the simulator', () => {
  let sim: Simulator;
  let alice: Session;
  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, loginThrottle: false });
    alice = await login(sim, 'alice');
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.setFaults('');
  });

  it('answers 429 without Retry-After when asked to', async () => {
    sim.setFaults('429:once,no-retry-after');
    const first = await getJson(sim, BAND, alice);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBeNull();
    expect((await getJson(sim, BAND, alice)).status).toBe(200);
  });

  it('serves a band day whose summary is not base64 JSON, then the intact answer', async () => {
    sim.setFaults('malformed:once');
    const broken = await getJson(sim, BAND, alice);
    expect(broken.status).toBe(200);
    expect(broken.body.code).toBe(1);
    expect(broken.body.data[0].summary).toMatch(/not base64/);
    const whole = await getJson(sim, BAND, alice);
    expect(whole.body.data[0].summary).not.toMatch(/not base64/);
    expect(sim.stats().faults.malformed).toBe(1);
  });

  it('serves events whose items are not a list', async () => {
    sim.setFaults('malformed:once');
    const to = Date.parse(`${TODAY}T00:00:00Z`);
    const res = await getJson(
      sim,
      `/users/${alice.userId}/events?eventType=PaiHealthInfo&from=${to - 86_400_000 * 5}&to=${to}&limit=100`,
      alice,
    );
    expect(res.status).toBe(200);
    expect(res.body.items).toBe('corrupt');
  });

  it('pages history in small pages that each repeat the previous page last trackid, and still ends', async () => {
    const all: number[] = [];
    for (let next: number | undefined, page = 0; page < 10_000; page++) {
      const res = await getJson(
        sim,
        `/v1/sport/run/history.json${next === undefined ? '' : `?trackid=${next}`}`,
        alice,
      );
      const data = res.body.data;
      all.push(...data.summary.map((i: { trackid: number }) => Number(i.trackid)));
      if (data.next === -1) break;
      next = data.next;
    }
    sim.setFaults('repeat-trackid,history-page:3');
    const pages: number[][] = [];
    for (let next: number | undefined, page = 0; page < 10_000; page++) {
      const res = await getJson(
        sim,
        `/v1/sport/run/history.json${next === undefined ? '' : `?trackid=${next}`}`,
        alice,
      );
      const data = res.body.data;
      pages.push(data.summary.map((i: { trackid: number }) => Number(i.trackid)));
      if (data.next === -1) break;
      next = data.next;
    }
    expect(all.length).toBeGreaterThan(10);
    expect(pages.every((p) => p.length <= 3)).toBe(true);
    for (let i = 1; i < pages.length; i++) expect(pages[i]![0]).toBe(pages[i - 1]!.at(-1));
    expect([...new Set(pages.flat())]).toEqual(all);
    expect(sim.stats().faults['repeat-trackid']).toBe(pages.length - 1);
  });
});
