import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AuthExpiredError, MalformedPayloadError } from '../../../lambdas/core/errors.ts';
import type { DecodeContext } from '../../../lambdas/core/ports.ts';
import type { Row } from '../../../lambdas/core/schema-registry.ts';
import {
  decodeGpsSeries,
  decodeHeartRateSeries,
  decodeSpeedSeries,
  decodeWorkoutDetail,
  decodeWorkoutHistory,
  workoutTypeName,
} from '../../../lambdas/sources/zepp/decode-workouts.ts';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../fixtures/zepp/${name}`, import.meta.url), 'utf8'));
const ctx: DecodeContext = { userId: 'u1', source: 'zepp' };
const TRACK = 1542558074;
const detail = fixture('workout_detail_data_walk_1542558074.json');
const summaryItem = fixture('workout_history_summary_item_walk_1542558074.json');

function malformedField(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedPayloadError);
    return (error as MalformedPayloadError).field;
  }
  throw new Error('expected a MalformedPayloadError');
}

const lastOf = (rows: Row[], column: string) => rows.filter((r) => r[column] !== null).at(-1)?.[column];

describe('workout detail golden: the real 2018 walk', () => {
  const rows = decodeWorkoutDetail(detail, summaryItem, ctx);
  const samples = rows.workout_sample!;

  it('ends the cumulative gait steps at the summary total_step, 5171', () => {
    expect(lastOf(samples, 'steps')).toBe(5171);
    expect(summaryItem.total_step).toBe(5171);
  });

  it('finds HR between 82 and 150 bpm, and the last HR sample 2930 s after the start (empty dt = 1 s)', () => {
    const hrs = samples.map((s) => s.heart_rate).filter((h): h is number => h !== null);
    expect(Math.min(...hrs)).toBe(82);
    expect(Math.max(...hrs)).toBe(150);
    const hr = decodeHeartRateSeries(detail.heart_rate, TRACK);
    expect(hr).toHaveLength(1620);
    expect(hr.at(-1)!.t - TRACK).toBe(2930);
  });

  it('ends the cumulative distance at 3312 m: the vendor series falls 259 m short of the summary dis (3571)', () => {
    // The brief expected last distance == summary dis. Under the rules (both fields cumulative) this real
    // capture sums to 3312 m; GPS, speed and stride integrate to about 3597 m. Recorded, not hidden.
    expect(lastOf(samples, 'distance_m')).toBe(3312);
    expect(Number(summaryItem.dis)).toBe(3571);
  });

  it('decodes 566 GPS points with the first pair absolute and altitude in centimetres', () => {
    const gps = decodeGpsSeries(detail, TRACK);
    expect(gps).toHaveLength(566);
    expect(gps[0]).toEqual({ t: TRACK + 1, lat: 28.02128128, lon: -16.63307136, altitudeM: 113.45 });
    expect(gps[1]).toEqual({ t: TRACK + 11, lat: 28.02126603, lon: -16.6330275, altitudeM: 112.27 });
    expect(gps.at(-1)).toMatchObject({ lat: 28.01925944, lon: -16.61358777, t: TRACK + 2921 });
    expect(samples.filter((s) => s.lat !== null)).toHaveLength(566);
  });

  it('joins the series on the second: one row per distinct second, sorted, with the workout placement', () => {
    const seconds = samples.map((s) => s.ts as number);
    expect(new Set(seconds).size).toBe(seconds.length);
    expect([...seconds].sort((a, b) => a - b)).toEqual(seconds);
    expect(samples[0]).toEqual({
      user_id: 'u1',
      local_date: '2018-11-18',
      tz_offset_s: null,
      trackid: TRACK,
      ts: (TRACK + 1) * 1000,
      lat: 28.02128128,
      lon: -16.63307136,
      altitude_m: 113.45,
      heart_rate: null,
      distance_m: null,
      steps: null,
      stride_cm: null,
      cadence: null,
      speed: 0,
      pressure_pa: null,
      source: 'zepp',
    });
    expect(lastOf(samples, 'pressure_pa')).toBe(100616);
    expect(samples.find((s) => s.pressure_pa !== null)!.pressure_pa).toBe(99925);
  });

  it('emits the workout row from the summary item', () => {
    expect(rows.workout).toEqual([
      {
        user_id: 'u1',
        local_date: '2018-11-18',
        tz_offset_s: null,
        trackid: TRACK,
        workout_type: 6,
        workout_type_name: 'walking',
        start_ts: TRACK * 1000,
        end_ts: 1542561035000,
        duration_s: 2846,
        distance_m: 3571,
        calories: 124,
        total_steps: 5171,
        avg_hr: 116,
        max_hr: null,
        min_hr: null,
        avg_pace_s_per_m: 0.7969033,
        avg_cadence: 0,
        ascent_m: 0,
        descent_m: 0,
        device_id: '0:MILI:8',
        track_source: 'run.mifit.huami.com',
        source: 'zepp',
      },
    ]);
  });

  it('reads the detail.json envelope like its bare data object', () => {
    const fromEnvelope = decodeWorkoutDetail(
      fixture('CONSTRUCTED_workout_detail_envelope_walk_1542558074.json'),
      undefined,
      ctx,
    );
    expect(fromEnvelope.workout_sample).toEqual(samples);
    expect(fromEnvelope.workout).toBeUndefined();
  });

  it('places samples in the local day given by tzOffsetAt at the start', () => {
    const tzCtx: DecodeContext = { ...ctx, tzOffsetAt: () => 28800 };
    const placed = decodeWorkoutDetail(detail, summaryItem, tzCtx);
    expect(placed.workout_sample![0]).toMatchObject({ local_date: '2018-11-19', tz_offset_s: 28800 });
    expect(placed.workout![0]).toMatchObject({ local_date: '2018-11-19', tz_offset_s: 28800 });
  });
});

describe('workout detail rules', () => {
  const base = { trackid: 1700000000 };

  it('lets the last sample of a series win within a second and reads 0/254/255 HR as null', () => {
    const rows = decodeWorkoutDetail({ ...base, heart_rate: '5,80;0,5;,170;,-1;' }, undefined, ctx).workout_sample!;
    expect(rows.map((r) => [r.ts, r.heart_rate])).toEqual([
      [1700000005000, 85],
      [1700000006000, null],
      [1700000007000, null],
    ]);
  });

  it('accepts "%d, %0.2f" speeds with a space and treats speed values as absolute', () => {
    expect(decodeSpeedSeries('1,2.5;2, 3.10;, 0.00;', 100)).toEqual([
      { t: 101, mps: 2.5 },
      { t: 103, mps: 3.1 },
      { t: 104, mps: 0 },
    ]);
  });

  it('keeps a missing GPS point as a row without position and continues from the last position', () => {
    const gps = decodeGpsSeries(
      { time: '0;1;1;', longitude_latitude: '100000000,200000000;;5,-5;', altitude: '100;-2000000;;' },
      10,
    );
    expect(gps).toEqual([
      { t: 10, lat: 1, lon: 2, altitudeM: 1 },
      { t: 11, lat: null, lon: null, altitudeM: null },
      { t: 12, lat: 1.00000005, lon: 1.99999995, altitudeM: null },
    ]);
  });

  it('takes the start from the summary when the detail has no trackid, and rejects a mismatch', () => {
    const rows = decodeWorkoutDetail({ distance: '3,10;' }, { trackid: '1700000000', type: 1 }, ctx);
    expect(rows.workout_sample![0]).toMatchObject({ ts: 1700000003000, distance_m: 10 });
    expect(malformedField(() => decodeWorkoutDetail(base, { trackid: '1600000000' }, ctx))).toBe('summary.trackid');
  });

  it('gives no samples for an all-empty detail and ignores unknown fields', () => {
    const rows = decodeWorkoutDetail({ ...base, spo2: '', weather_info: 'x', something_new: 1 }, undefined, ctx);
    expect(rows.workout_sample).toEqual([]);
  });

  it('names the bad entry of a malformed series', () => {
    const hr = '11,82;,7;,4;,3;,1;,1;,3;,2;3,1;0,1;,1;,1;2,x;';
    expect(malformedField(() => decodeWorkoutDetail({ ...base, heart_rate: hr }, undefined, ctx))).toBe(
      'heart_rate[12]',
    );
    expect(malformedField(() => decodeWorkoutDetail({ ...base, heart_rate: '1,80;7;' }, undefined, ctx))).toBe(
      'heart_rate[1]',
    );
    expect(malformedField(() => decodeWorkoutDetail({ ...base, gait: '2,0,76;' }, undefined, ctx))).toBe('gait[0]');
    expect(malformedField(() => decodeWorkoutDetail({ ...base, distance: '2,;' }, undefined, ctx))).toBe('distance[0]');
    expect(malformedField(() => decodeWorkoutDetail({ ...base, longitude_latitude: '1,2;3;' }, undefined, ctx))).toBe(
      'longitude_latitude[1]',
    );
    expect(
      malformedField(() =>
        decodeWorkoutDetail({ ...base, altitude: 'a;', longitude_latitude: '1,2;' }, undefined, ctx),
      ),
    ).toBe('altitude[0]');
    expect(malformedField(() => decodeWorkoutDetail({ speed: '1,2;' }, undefined, ctx))).toBe('trackid');
    expect(malformedField(() => decodeWorkoutDetail({ ...base, heart_rate: 12 }, undefined, ctx))).toBe('heart_rate');
  });

  it('maps the legacy envelope codes', () => {
    expect(() => decodeWorkoutDetail({ code: 0, message: 'token' }, undefined, ctx)).toThrow(AuthExpiredError);
    expect(malformedField(() => decodeWorkoutDetail({ code: 50000 }, undefined, ctx))).toBe('code');
  });
});

describe('workout history', () => {
  const history = decodeWorkoutHistory(fixture('CONSTRUCTED_workout_history_envelope_from_real_items.json'), ctx);

  it('decodes every item of the real page and the end cursor', () => {
    expect(history.next).toBe(-1);
    expect(history.items.map((i) => [i.trackid, i.source])).toEqual([
      [1698569116, 'run.411.huami.com'],
      [1654683111, 'run.411.huami.com'],
      [1542558074, 'run.mifit.huami.com'],
    ]);
    expect(history.rows.map((r) => r.workout_type_name)).toEqual(['running', 'indoor_swimming', 'walking']);
  });

  it('parses string numerics and maps -1 (and 0 heart rates) to null', () => {
    const [run, swim] = history.rows;
    expect(run).toMatchObject({
      distance_m: 9960,
      calories: 722,
      duration_s: 3157,
      avg_hr: 168,
      max_hr: 184,
      min_hr: 81,
      avg_pace_s_per_m: 0.3170577,
      avg_cadence: 170,
      total_steps: 8996,
      ascent_m: 28,
      descent_m: 27,
      device_id: null,
      end_ts: 1698572273000,
      local_date: '2023-10-29',
    });
    expect(swim).toMatchObject({ avg_hr: null, max_hr: null, min_hr: null, total_steps: 0, distance_m: 1000 });
  });

  it('accepts one summary item on its own', () => {
    const one = decodeWorkoutHistory(summaryItem, ctx);
    expect(one.next).toBe(-1);
    expect(one.rows).toEqual([history.rows[2]]);
  });

  it('passes the cursor through and reads an empty page', () => {
    const page = decodeWorkoutHistory({ code: 1, message: 'success', data: { next: 1600000000, summary: [] } }, ctx);
    expect(page).toEqual({ rows: [], next: 1600000000, items: [] });
  });

  it('names unknown types type_<n>', () => {
    expect(workoutTypeName(77)).toBe('type_77');
    expect(workoutTypeName(null)).toBeNull();
  });

  it('rejects expired tokens and malformed items by field', () => {
    expect(() => decodeWorkoutHistory({ code: 100302, message: 'x' }, ctx)).toThrow(AuthExpiredError);
    const bad = { code: 1, data: { next: -1, summary: [{ ...summaryItem, dis: 'far' }] } };
    expect(malformedField(() => decodeWorkoutHistory(bad, ctx))).toBe('data.summary[0].dis');
    const noTrack = { code: 1, data: { next: -1, summary: [{ dis: '1' }] } };
    expect(malformedField(() => decodeWorkoutHistory(noTrack, ctx))).toBe('data.summary[0].trackid');
    expect(malformedField(() => decodeWorkoutHistory({ code: 1, data: { summary: {} } }, ctx))).toBe('data.summary');
  });
});
