import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodeContext } from '../../../lambdas/core/ports.ts';
import {
  naturalKeyOf,
  type Row,
  TABLES,
  type TableName,
  type TableRows,
} from '../../../lambdas/core/schema-registry.ts';
import { addDays, localMidnightMs } from '../../../lambdas/core/time.ts';
import { decodeBandDataResponse, parseBandSummary } from '../../../lambdas/sources/zepp/decode-band-data.ts';
import { decodeEvents } from '../../../lambdas/sources/zepp/decode-events.ts';
import { decodeWorkoutDetail, decodeWorkoutHistory } from '../../../lambdas/sources/zepp/decode-workouts.ts';
import { type Simulator, startSimulator } from '../../../sim/index.ts';
import { getJson, type Json, login, type Session, TODAY } from '../support.ts';

const DATA_TABLES = Object.keys(TABLES).filter((t) => t !== 'ingest_ledger') as TableName[];

function sortedByKey(table: TableName, rows: readonly Row[]): Row[] {
  const def = TABLES[table];
  return [...rows].sort((a, b) => (naturalKeyOf(def, a) < naturalKeyOf(def, b) ? -1 : 1));
}

/** The offset at an instant from the band records: the record with the latest midnight at or before it. */
function tzFromRecords(records: { date: string; tz: number }[]): (ms: number) => number | null {
  const marks = records.map((r) => ({ at: localMidnightMs(r.date, r.tz), tz: r.tz })).sort((a, b) => a.at - b.at);
  return (ms) => {
    let tz: number | null = null;
    for (const m of marks) if (m.at <= ms) tz = m.tz;
    return tz;
  };
}

/** Syncs [from, to] over HTTP like the engine would and decodes every response with the real decoders. */
async function syncAndDecode(sim: Simulator, s: Session, from: string, to: string): Promise<TableRows> {
  const out: TableRows = Object.fromEntries(DATA_TABLES.map((t) => [t, []]));
  const push = (rows: TableRows) => {
    for (const [t, list] of Object.entries(rows)) out[t as TableName]!.push(...(list ?? []));
  };
  const inRange = (row: Row) => (row.local_date as string) >= from && (row.local_date as string) <= to;
  // Band data a day either side, so instants near the range's edges find their record.
  const band = await getJson(
    sim,
    `/v1/data/band_data.json?query_type=detail&device_type=android_phone&userid=${s.userId}&from_date=${addDays(from, -1)}&to_date=${addDays(to, 1)}`,
    s,
  );
  const records = (band.body.data as Record<string, Json>[]).map((r) => ({
    date: r.date_time as string,
    tz: Number(parseBandSummary(r.summary).tz),
  }));
  const ctx: DecodeContext = { userId: s.userId, source: 'zepp', tzOffsetAt: tzFromRecords(records) };
  for (const day of decodeBandDataResponse(band.body, ctx).days) if (day.date >= from && day.date <= to) push(day.rows);

  let next: number | undefined;
  do {
    const page = await getJson(sim, `/v1/sport/run/history.json${next === undefined ? '' : `?trackid=${next}`}`, s);
    const decoded = decodeWorkoutHistory(page.body, ctx);
    for (const item of decoded.items) {
      const row = decoded.rows.find((r) => r.trackid === item.trackid)!;
      if (!inRange(row)) continue;
      const detail = await getJson(sim, `/v1/sport/run/detail.json?trackid=${item.trackid}&source=${item.source}`, s);
      push(decodeWorkoutDetail(detail.body, item.raw, ctx));
    }
    next = decoded.next;
  } while (next !== -1);

  const fromMs = Date.parse(`${from}T00:00:00Z`) - 86_400_000;
  const toMs = Date.parse(`${to}T00:00:00Z`) + 2 * 86_400_000;
  for (const type of ['all_day_stress', 'blood_oxygen', 'PaiHealthInfo', 'readiness']) {
    const res = await getJson(
      sim,
      `/users/${s.userId}/events?eventType=${type}&from=${fromMs}&to=${toMs}&limit=10000`,
      s,
    );
    const rows = decodeEvents(res.body, ctx);
    for (const list of Object.values(rows)) list?.splice(0, list.length, ...list.filter(inRange));
    push(rows);
  }
  return out;
}

describe('simulator ground truth', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('gives registry-shaped rows with unique natural keys and sensible counts for a small range', () => {
    const from = addDays(TODAY, -6);
    const rows = sim.groundTruth('1000000002', { from, to: TODAY });
    const days = rows.daily_summary!.length;
    expect(days).toBeGreaterThanOrEqual(5);
    expect(days).toBeLessThanOrEqual(7);
    expect(rows.pai!.length).toBe(days);
    expect(rows.sleep_session!.length).toBe(days - 1); // tonight has not happened yet
    expect(rows.activity_minute!.length).toBeGreaterThan((days - 1) * 1200);
    expect(rows.activity_minute!.length).toBeLessThan(days * 1440);
    expect(rows.workout!.length).toBeGreaterThanOrEqual(1); // the forced swim five days ago
    expect(rows.workout!.find((w) => w.workout_type === 14)).toMatchObject({
      avg_hr: null,
      max_hr: null,
      total_steps: 0,
    });
    for (const table of DATA_TABLES) {
      const def = TABLES[table];
      const list = rows[table]!;
      const columns = def.columns.map((c) => c.name).join(',');
      const required = def.columns.filter((c) => !c.nullable).map((c) => c.name);
      const bad = list.filter(
        (row) =>
          Object.keys(row).join(',') !== columns ||
          (row.local_date as string) < from ||
          (row.local_date as string) > TODAY ||
          required.some((c) => row[c] === null),
      );
      expect({ table, bad: bad.slice(0, 2) }).toEqual({ table, bad: [] });
      expect(new Set(list.map((r) => naturalKeyOf(def, r))).size).toBe(list.length);
    }
  });

  it('keeps keys unique across a whole multi-year history with DST changes', () => {
    for (const [from, to] of [
      ['2024-03-24', '2024-04-06'],
      ['2024-10-20', '2024-11-02'],
    ]) {
      const rows = sim.groundTruth('1000000001', { from: from!, to: to! });
      for (const table of ['activity_minute', 'stress', 'sleep_stage', 'workout_sample'] as const) {
        const def = TABLES[table];
        const list = rows[table]!;
        expect(new Set(list.map((r) => naturalKeyOf(def, r))).size).toBe(list.length);
      }
      const offsets = new Set(rows.daily_summary!.map((r) => r.tz_offset_s));
      expect(offsets).toEqual(new Set([3600, 7200]));
    }
  });

  const cases: [string, string, string, string][] = [
    ['bob: negative offset, swim, partial today', 'bob', addDays(TODAY, -8), TODAY],
    ['chandra: travel to New York and back, numeric tz', 'chandra', addDays(TODAY, -73), addDays(TODAY, -57)],
    ['chandra: travel to Tokyo and the no-data days', 'chandra', addDays(TODAY, -47), addDays(TODAY, -20)],
    ['alice: DST spring-forward and autumn', 'alice', '2025-03-26', '2025-04-03'],
    ['alice: device switch', 'alice', addDays(TODAY, -545), addDays(TODAY, -535)],
  ];
  it.each(cases)('decodes to exactly the ground truth over HTTP (%s)', async (_label, name, from, to) => {
    const session = await login(sim, name);
    const decoded = await syncAndDecode(sim, session, from, to);
    const truth = sim.groundTruth(session.userId, { from, to });
    for (const table of DATA_TABLES) {
      const got = sortedByKey(table, decoded[table] ?? []);
      const want = sortedByKey(table, truth[table] ?? []);
      expect({ table, count: got.length }).toEqual({ table, count: want.length });
      expect(got).toEqual(want);
    }
    expect(truth.activity_minute!.length).toBeGreaterThan(0);
  });
});
