// The named queries whose values only mean something on real data (coverage_calendar, sleep_stages,
// workout_track), run on DuckDB over a lake the engine filled from the simulator, and checked row by row against
// the simulator's ground truth (sim/people/ground-truth.ts, written from its model, never from the decoders). The
// expected values are computed here in plain TypeScript from each query's description, not by running SQL.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNamedQuery, runAthenaSql } from '../../lambdas/cli/query-command.ts';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { STREAM_TABLES, type StreamName } from '../../lambdas/core/ports.ts';
import type { Row, TableRows } from '../../lambdas/core/schema-registry.ts';
import { addDays } from '../../lambdas/core/time.ts';
import { demoUsers, type Simulator, startSimulator } from '../../sim/index.ts';
import { FAST_HTTP, loginAll, tempRuntime } from '../support/local-lake.ts';

const TODAY = '2026-11-20';
const clock = () => Date.parse(`${TODAY}T18:00:00Z`);
const BOB = '1000000002';
/** Bob's first day of data, and the first day asked for: the ledger then covers FIRST..TODAY exactly. */
const FIRST = '2026-10-01';
const MINUTE_MS = 60_000;
/** The streams the ledger records per day (workouts are recorded per trackid). */
const DAY_STREAMS: StreamName[] = ['band', 'pai', 'readiness', 'spo2', 'stress'];

/** A result row as DuckDB answers it (dates and timestamps as ISO strings). */
type Out = Record<string, unknown>;

const iso = (ms: unknown) => new Date(ms as number).toISOString();
const day = (date: unknown) => String(date).slice(0, 10);

/** Every calendar day from..to. */
function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** coverage_calendar after a complete clean sync: a stream is `written` on a day where it has rows, else `empty`. */
function expectedCalendar(truth: TableRows, from: string, to: string): Out[] {
  const rowsOn = new Map<string, number>();
  for (const stream of DAY_STREAMS) {
    for (const table of STREAM_TABLES[stream]) {
      for (const r of truth[table] ?? []) {
        const key = `${stream}#${day(r.local_date)}`;
        rowsOn.set(key, (rowsOn.get(key) ?? 0) + 1);
      }
    }
  }
  return days(from, to).map((date) => {
    const status = DAY_STREAMS.map((s) => [s, rowsOn.has(`${s}#${date}`) ? 'written' : 'empty'] as const);
    const written = status.filter(([, st]) => st === 'written').length;
    return {
      user_id: BOB,
      local_date: date,
      day_status: written > 0 ? 'written' : 'empty',
      written,
      empty: status.length - written,
      failed: 0,
      auth_failed: 0,
      streams: status.map(([s, st]) => `${s}:${st}`).join(','),
    };
  });
}

/** sleep_stages: each segment on its night's local clock, in minutes after 18:00 of the evening of night_of. */
function expectedStages(truth: TableRows): Out[] {
  const evening = (r: Row) => Date.parse(`${day(r.night_of)}T18:00:00Z`) - (r.tz_offset_s as number) * 1000;
  return [...(truth.sleep_stage ?? [])]
    .sort((a, b) => (a.start_ts as number) - (b.start_ts as number))
    .map((r) => ({
      user_id: r.user_id,
      night_of: day(r.night_of),
      start_ts: iso(r.start_ts),
      end_ts: iso(r.end_ts),
      stage: r.stage,
      tz_offset_s: r.tz_offset_s,
      minutes: ((r.end_ts as number) - (r.start_ts as number)) / MINUTE_MS,
      start_min_after_18h: ((r.start_ts as number) - evening(r)) / MINUTE_MS,
      end_min_after_18h: ((r.end_ts as number) - evening(r)) / MINUTE_MS,
    }));
}

/** workout_track: per workout with GPS, every k-th position (k = ceil(n / 499)) plus the last. */
function expectedTracks(truth: TableRows): Out[] {
  const byTrack = new Map<number, Row[]>();
  for (const s of truth.workout_sample ?? []) {
    if (s.lat === null || s.lon === null) continue;
    const list = byTrack.get(s.trackid as number) ?? [];
    list.push(s);
    byTrack.set(s.trackid as number, list);
  }
  return [...byTrack.keys()]
    .sort((a, b) => a - b)
    .map((trackid) => {
      const points = (byTrack.get(trackid) ?? []).sort((a, b) => (a.ts as number) - (b.ts as number));
      const k = Math.ceil(points.length / 499);
      const kept = points.filter((_, i) => i % k === 0 || i === points.length - 1);
      const lats = kept.map((p) => p.lat as number);
      const lons = kept.map((p) => p.lon as number);
      return {
        user_id: BOB,
        trackid,
        gps_points: points.length,
        track_points: kept.length,
        min_lat: Math.min(...lats),
        max_lat: Math.max(...lats),
        min_lon: Math.min(...lons),
        max_lon: Math.max(...lons),
        lats,
        lons,
      };
    });
}

describe('named queries on a simulated lake, against ground truth', () => {
  let sim: Simulator;
  let rt: Awaited<ReturnType<typeof tempRuntime>>;
  let truth: TableRows;
  const run = async (name: string) => runAthenaSql(rt.lakeDir, await readNamedQuery(name));

  beforeAll(async () => {
    const bob = demoUsers(TODAY).find((u) => u.userId === BOB)!;
    const spec = { ...bob, firstDate: FIRST, devices: bob.devices.map((d) => ({ ...d, from: FIRST })) };
    sim = await startSimulator({ today: TODAY, users: [spec], loginThrottle: false });
    rt = await tempRuntime();
    await loginAll(rt, sim);
    const [report] = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP, from: FIRST });
    expect(report?.errors).toEqual([]);
    truth = sim.groundTruth(BOB);
  }, 180_000);
  afterAll(async () => {
    await sim?.close();
    await rt?.cleanup();
  });

  it('coverage_calendar: one row per day asked for, written where any stream has data, with each stream named', async () => {
    // Band data is asked for through the latest date begun anywhere (UTC+14, engine/sync-user.ts): at 18:00 UTC
    // that is tomorrow, which has not begun for Bob and reads empty on the band stream alone until it has.
    const tomorrow = {
      user_id: BOB,
      local_date: addDays(TODAY, 1),
      day_status: 'empty',
      written: 0,
      empty: 1,
      failed: 0,
      auth_failed: 0,
      streams: 'band:empty',
    };
    const expected = [...expectedCalendar(truth, FIRST, TODAY), tomorrow];
    // The person has days without any data (the simulator leaves gaps): those must read empty, not be missing.
    expect(expected.some((d) => d.day_status === 'empty')).toBe(true);
    expect(expected.some((d) => d.day_status === 'written')).toBe(true);
    expect(await run('coverage_calendar')).toEqual(expected);
  });

  it('sleep_stages: every stage segment, placed on the local clock of its night', async () => {
    const expected = expectedStages(truth);
    expect(expected.length).toBeGreaterThan(100);
    // A night crosses midnight: its later segments are more than 6 hours (360 min) after 18:00.
    expect(expected.some((r) => (r.end_min_after_18h as number) > 360)).toBe(true);
    expect(await run('sleep_stages')).toEqual(expected);
  });

  it('workout_track: every workout with GPS, thinned to at most 500 points that keep the first and last', async () => {
    const expected = expectedTracks(truth);
    // Long workouts get thinned, short ones do not: both kinds are here.
    expect(expected.some((t) => (t.gps_points as number) > 499)).toBe(true);
    expect(expected.some((t) => (t.gps_points as number) <= 499)).toBe(true);
    const rows = await run('workout_track');
    expect(rows.map((r) => r.trackid)).toEqual(expected.map((t) => t.trackid));
    rows.forEach((row, i) => {
      const want = expected[i] as Out;
      expect({ ...row, lats: undefined, lons: undefined }).toEqual({ ...want, lats: undefined, lons: undefined });
      expect(row.lats).toEqual(want.lats);
      expect(row.lons).toEqual(want.lons);
      expect((row.track_points as number) <= 500).toBe(true);
    });
  });
});
