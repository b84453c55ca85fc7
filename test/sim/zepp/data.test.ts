import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localMidnightMs } from '../../../lambdas/core/time.ts';
import { type Simulator, startSimulator } from '../../../sim/index.ts';
import { decodeSummary, getJson, type Json, login, type Session, TODAY } from '../support.ts';

describe('simulator data endpoints', () => {
  let sim: Simulator;
  let alice: Session;
  let bob: Session;
  let chandra: Session;
  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, seed: 7 });
    alice = await login(sim, 'alice');
    bob = await login(sim, 'bob');
    chandra = await login(sim, 'chandra');
  });
  afterAll(async () => {
    await sim.close();
  });

  const band = (s: Session, from: string, to: string, type = 'detail') =>
    getJson(
      sim,
      `/v1/data/band_data.json?query_type=${type}&device_type=android_phone&userid=${s.userId}&from_date=${from}&to_date=${to}`,
      s,
    );

  it('sends one band_data element per day with data, blobs only for detail, uuid "null"', async () => {
    const from = addDays(TODAY, -9);
    const detail = await band(bob, from, TODAY);
    expect(detail.body.code).toBe(1);
    expect(detail.body.message).toBe('success');
    const days = detail.body.data as Record<string, Json>[];
    expect(days.length).toBeGreaterThan(0);
    expect(days.length).toBeLessThanOrEqual(10);
    for (const d of days) {
      expect(d.uid).toBe('1000000002');
      expect(d.uuid).toBe('null');
      expect(d.data_type).toBe(0);
      expect(Buffer.from(d.data, 'base64').length).toBe(4320);
      expect(Buffer.from(d.data_hr, 'base64').length).toBe(1440);
      expect(d.device_id).toBe('C1D2E3F405060708');
    }
    const summary = await band(bob, from, TODAY, 'summary');
    for (const d of summary.body.data as Record<string, Json>[]) {
      expect(d.data).toBeUndefined();
      expect(d.data_hr).toBeUndefined();
      expect(typeof d.summary).toBe('string');
    }
  });

  it('encodes the summary as base64 JSON with tz in seconds and sleep stages past minute 1440', async () => {
    const res = await band(bob, addDays(TODAY, -20), addDays(TODAY, -1), 'summary');
    const withSleep = (res.body.data as Record<string, Json>[])
      .map((d) => ({ date: d.date_time as string, s: decodeSummary(d.summary) }))
      .filter(({ s }) => Array.isArray(s.slp?.stage));
    expect(withSleep.length).toBeGreaterThan(5);
    for (const { date, s } of withSleep) {
      expect(s.tz).toBe('-21600');
      expect(typeof s.stp.ttl).toBe('number');
      expect(typeof s.goal).toBe('number');
      expect(typeof s.sync).toBe('number');
      const stages = s.slp.stage as { start: number; stop: number }[];
      expect(stages.at(-1)!.stop).toBeGreaterThanOrEqual(1440);
      // st is the first stage's start, counted from the record's local midnight at its own offset.
      expect(s.slp.st * 1000).toBe(localMidnightMs(date, -21600) + stages[0]!.start * 60_000);
    }
  });

  it('leaves the tail of today as 0x7E minutes with heart rate 254', async () => {
    const res = await band(alice, TODAY, TODAY);
    const today = (res.body.data as Record<string, Json>[])[0]!;
    const data = Buffer.from(today.data, 'base64');
    const hr = Buffer.from(today.data_hr, 'base64');
    expect(data[1439 * 3]).toBe(0x7e);
    expect(hr[1439]).toBe(254);
    expect(hr[0]).not.toBe(254);
    expect(decodeSummary(today.summary).slp).toBeUndefined();
  });

  it('switches the UTC offset on the DST date and while travelling, with numeric tz for chandra', async () => {
    const aliceYear = await band(alice, '2024-03-29', '2024-04-02', 'summary');
    const tzs = (aliceYear.body.data as Record<string, Json>[]).map((d) => [d.date_time, decodeSummary(d.summary).tz]);
    expect(tzs).toContainEqual(['2024-03-30', '3600']);
    expect(tzs).toContainEqual(['2024-03-31', '7200']);
    const trip = await band(chandra, addDays(TODAY, -72), addDays(TODAY, -58), 'summary');
    const offsets = new Set((trip.body.data as Record<string, Json>[]).map((d) => decodeSummary(d.summary).tz));
    expect(offsets).toEqual(new Set([19800, -14400]));
  });

  it('leaves days without data out of band_data', async () => {
    const res = await band(chandra, addDays(TODAY, -46), addDays(TODAY, -42), 'summary');
    const dates = (res.body.data as Record<string, Json>[]).map((d) => d.date_time);
    expect(dates).not.toContain(addDays(TODAY, -45));
    expect(dates).not.toContain(addDays(TODAY, -44));
    expect(dates).not.toContain(addDays(TODAY, -43));
  });

  it('switches device (source and device_id) on the date of the second device', async () => {
    const switchDate = addDays(TODAY, -540);
    const res = await band(alice, addDays(switchDate, -3), addDays(switchDate, 3), 'detail');
    const days = res.body.data as Record<string, Json>[];
    const before = days.filter((d) => d.date_time < switchDate);
    const after = days.filter((d) => d.date_time >= switchDate);
    expect(before.every((d) => d.source === 24 && d.device_id === undefined)).toBe(true);
    expect(after.every((d) => d.source === 256 && d.device_id === 'B93A4C5D6E7F8091')).toBe(true);
  });

  it('pages more than 450 workouts newest first, 200 a page, with next inclusive and -1 at the end', async () => {
    const trackids: number[] = [];
    const nexts: number[] = [];
    let next: number | undefined;
    do {
      const res = await getJson(
        sim,
        `/v1/sport/run/history.json${next === undefined ? '' : `?trackid=${next}`}`,
        alice,
      );
      expect(res.body.code).toBe(1);
      const items = res.body.data.summary as Record<string, Json>[];
      if (next !== undefined) expect(Number(items[0]!.trackid)).toBe(next);
      for (const item of items) trackids.push(Number(item.trackid));
      next = res.body.data.next as number;
      nexts.push(next);
    } while (next !== -1);
    expect(nexts.length).toBeGreaterThanOrEqual(3);
    expect(trackids.length).toBeGreaterThan(450);
    expect(new Set(trackids).size).toBe(trackids.length);
    expect([...trackids].sort((a, b) => b - a)).toEqual(trackids);
  });

  it('types history fields like the real items and serves a swim without GPS and with HR 0', async () => {
    const res = await getJson(sim, '/v1/sport/run/history.json', bob);
    const items = res.body.data.summary as Record<string, Json>[];
    for (const item of items) {
      for (const key of ['trackid', 'dis', 'calorie', 'end_time', 'run_time', 'avg_pace', 'avg_heart_rate', 'source']) {
        expect(typeof item[key]).toBe('string');
      }
      expect(typeof item.type).toBe('number');
      expect(typeof item.total_step).toBe('number');
    }
    const swim = items.find((i) => i.type === 14)!;
    expect(swim).toBeDefined();
    expect(swim.avg_heart_rate).toBe('0.0');
    expect(swim.max_heart_rate).toBe(0);
    const detail = await getJson(sim, `/v1/sport/run/detail.json?trackid=${swim.trackid}&source=${swim.source}`, bob);
    expect(detail.body.code).toBe(1);
    expect(detail.body.data.trackid).toBe(Number(swim.trackid));
    expect(detail.body.data.longitude_latitude).toBe('');
    const hrDeltas = (detail.body.data.heart_rate as string)
      .split(';')
      .filter(Boolean)
      .map((p) => Number(p.split(',')[1]));
    expect(hrDeltas.length).toBeGreaterThan(10);
    expect(hrDeltas.every((v) => v === 0)).toBe(true);
  });

  it('serves events as {items} with string numbers and JSON strings, honouring from/to and limit', async () => {
    const from = localMidnightMs(addDays(TODAY, -3), -21600);
    const to = localMidnightMs(TODAY, -21600) - 1;
    const q = (type: string, limit = 1000) =>
      getJson(
        sim,
        `/users/${bob.userId}/events?eventType=${type}&from=${from}&to=${to}&limit=${limit}&timeZone=America%2FChicago`,
        bob,
      );
    const stress = await q('all_day_stress');
    expect(stress.status).toBe(200);
    const items = stress.body.items as Record<string, Json>[];
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(item.timestamp).toBeGreaterThanOrEqual(from);
      expect(item.timestamp).toBeLessThanOrEqual(to);
      expect(typeof item.avgStress).toBe('string');
      expect(Array.isArray(JSON.parse(item.data))).toBe(true);
    }
    const spo2 = (await q('blood_oxygen')).body.items as Record<string, Json>[];
    expect(new Set(spo2.map((i) => i.subType))).toContain('odi');
    const pai = (await q('PaiHealthInfo')).body.items as Record<string, Json>[];
    expect(pai.every((i) => i.timeZone === String(-21600 / 900))).toBe(true);
    const limited = await q('PaiHealthInfo', 1);
    expect(limited.body.items).toHaveLength(1);
    expect(limited.body.items[0].timestamp).toBe(pai[0]!.timestamp);
    const readiness = (await q('readiness')).body.items as Record<string, Json>[];
    expect(readiness.every((i) => i.subType === 'watch_score' && typeof i.rdnsScore === 'string')).toBe(true);
  });

  it('lists devices with binding and last sync times', async () => {
    const res = await getJson(sim, `/users/${alice.userId}/devices?enableMultiDevice=true`, alice);
    const items = res.body.items as Record<string, Json>[];
    expect(items).toHaveLength(2);
    expect(items.map((i) => i.activeStatus)).toEqual([0, 1]);
    expect(JSON.parse(items[1]!.additionalInfo).deviceName).toBe('Amazfit Bip 3');
    expect(items[1]!.lastDataSyncTime).toBeGreaterThan(items[0]!.lastDataSyncTime);
  });

  it('answers the same bytes for the same seed, and different data for another seed', async () => {
    const other = await startSimulator({ today: TODAY, seed: 7 });
    const third = await startSimulator({ today: TODAY, seed: 8 });
    try {
      const path = `/v1/data/band_data.json?query_type=detail&userid=1000000003&from_date=${addDays(TODAY, -5)}&to_date=${TODAY}`;
      const a = await getJson(sim, path, chandra);
      const b = await getJson(other, path, await login(other, 'chandra'));
      const c = await getJson(third, path, await login(third, 'chandra'));
      expect(b.text).toBe(a.text);
      expect(c.text).not.toBe(a.text);
      const h1 = await getJson(sim, '/v1/sport/run/history.json', chandra);
      const h2 = await getJson(other, '/v1/sport/run/history.json', await login(other, 'chandra'));
      expect(h2.text).toBe(h1.text);
    } finally {
      await other.close();
      await third.close();
    }
  });
});
