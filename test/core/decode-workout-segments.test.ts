// Pauses and laps of a workout: the real 2018 walk (six auto pauses, no laps), the official sportDetail example,
// entries written from the documented formats, and malformed series. Expected values are read off the payload
// text by hand, never computed by the decoder.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MalformedPayloadError } from '../../lambdas/core/errors.ts';
import type { DecodeContext } from '../../lambdas/core/ports.ts';
import { decodeHuamiOpen, type HuamiOpenDecodeContext } from '../../lambdas/sources/huami-open/decode.ts';
import { decodeWorkoutDetail } from '../../lambdas/sources/zepp/decode-workouts.ts';

const zepp = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/zepp/${name}`, import.meta.url), 'utf8'));
const official = (name: string): Record<string, unknown> =>
  JSON.parse(
    readFileSync(new URL(`../fixtures/huami-open/OFFICIAL_DOC_open_api_${name}.json`, import.meta.url), 'utf8'),
  ).body;

const ctx: DecodeContext = { userId: 'u1', source: 'zepp', tzOffsetAt: () => 28800 };
const TRACK = 1542558074;
const walk = zepp('workout_detail_data_walk_1542558074.json');

function malformedField(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedPayloadError);
    return (err as MalformedPayloadError).field;
  }
  throw new Error('expected a MalformedPayloadError');
}

/** A detail with only the given series (the rest empty), for the documented formats. */
const detailWith = (series: Record<string, string>) => ({ trackid: 1_700_000_000, ...series });

describe('pauses of the real 2018 walk', () => {
  const rows = decodeWorkoutDetail(walk, undefined, ctx);

  it('keeps all six auto pauses as sent: start, duration, end, type 3, no GPS index', () => {
    // pause: 1542559682,6,-1,-1,3;1542559710,2,-1,-1,3;1542560300,47,-1,-1,3;1542560886,22,-1,-1,3;
    //        1542560969,12,-1,-1,3;1542561009,24,-1,-1,3;
    const pauses = rows.workout_pause ?? [];
    expect(pauses.map((p) => [p.start_ts, p.duration_s, p.end_ts])).toEqual([
      [1542559682000, 6, 1542559688000],
      [1542559710000, 2, 1542559712000],
      [1542560300000, 47, 1542560347000],
      [1542560886000, 22, 1542560908000],
      [1542560969000, 12, 1542560981000],
      [1542561009000, 24, 1542561033000],
    ]);
    expect(pauses[0]).toEqual({
      user_id: 'u1',
      local_date: '2018-11-19',
      tz_offset_s: 28800,
      trackid: TRACK,
      pause_index: 0,
      start_ts: 1542559682000,
      end_ts: 1542559688000,
      duration_s: 6,
      start_gps_index: null,
      end_gps_index: null,
      pause_type: 3,
      source: 'zepp',
    });
    expect(pauses.map((p) => p.pause_index)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('has no lap rows for its empty lap series, and the samples are unchanged by the new tables', () => {
    expect(rows.workout_lap).toBeUndefined();
    expect(rows.workout_sample?.length).toBeGreaterThan(2000);
  });
});

describe('laps in the documented formats', () => {
  it('reads the 9-field lap: index, time, distance, geohash, HR, offset to the end, altitude, ascent, descent', () => {
    const rows = decodeWorkoutDetail(
      detailWith({ lap: '0,300,1000,wx4g0b7,151,305,45,12,3;1,290.5,1000,wx4g0c1,-1,600,-2000000,0,7;' }),
      undefined,
      ctx,
    );
    expect(rows.workout_lap).toEqual([
      {
        user_id: 'u1',
        local_date: '2023-11-15',
        tz_offset_s: 28800,
        trackid: 1_700_000_000,
        lap_index: 0,
        vendor_index: 0,
        duration_s: 300,
        distance_m: 1000,
        geohash: 'wx4g0b7',
        avg_hr: 151,
        end_ts: 1_700_000_305_000,
        altitude_m: 45,
        ascent_m: 12,
        descent_m: 3,
        avg_pace_s_per_m: null,
        max_pace_s_per_m: null,
        ascent_distance_m: null,
        avg_stroke_speed: null,
        stroke_time: null,
        stroke_efficiency: null,
        calories: null,
        avg_frequency: null,
        avg_cadence: null,
        lap_type: null,
        source: 'zepp',
      },
      expect.objectContaining({ lap_index: 1, duration_s: 290.5, avg_hr: null, end_ts: 1_700_000_600_000 }),
    ]);
    expect(rows.workout_lap?.[1]?.altitude_m).toBeNull();
  });

  it('reads the 10 extra fields of the 19-field form by the Huami SDK names', () => {
    const lap = '3,610,2000,wx4g0b7,140,1900,50,4,4,0.305,0.28,120,0,0,0,88,160,162,1;';
    const [row] = decodeWorkoutDetail(detailWith({ lap }), undefined, ctx).workout_lap ?? [];
    expect(row).toMatchObject({
      vendor_index: 3,
      end_ts: 1_700_001_900_000,
      avg_pace_s_per_m: 0.305,
      max_pace_s_per_m: 0.28,
      ascent_distance_m: 120,
      avg_stroke_speed: 0,
      stroke_time: 0,
      stroke_efficiency: 0,
      calories: 88,
      avg_frequency: 160,
      avg_cadence: 162,
      lap_type: 1,
    });
  });

  it('keeps the five sure fields of a short entry and guesses none of the rest (the api-doc lapPace example)', () => {
    const rows = decodeHuamiOpen('sportDetail', official('users_sportDetail'), {
      userId: 'u1',
      source: 'huami-open',
      tzOffsetS: 28800,
    } satisfies HuamiOpenDecodeContext);
    // lapPace: "0,1024,1520,wx4ey4yqd7zt,89,82.5,10,5" (8 fields, the documented form has 9)
    expect(rows.workout_lap).toEqual([
      expect.objectContaining({
        trackid: 1492680712,
        lap_index: 0,
        vendor_index: 0,
        duration_s: 1024,
        distance_m: 1520,
        geohash: 'wx4ey4yqd7zt',
        avg_hr: 89,
        end_ts: null,
        altitude_m: null,
        ascent_m: null,
        descent_m: null,
        source: 'huami-open',
      }),
    ]);
    // pause: "1439383257, 555, 100, 123, 0;" (spaces after the commas, as the doc shows it)
    expect(rows.workout_pause).toEqual([
      {
        user_id: 'u1',
        local_date: '2017-04-20',
        tz_offset_s: 28800,
        trackid: 1492680712,
        pause_index: 0,
        start_ts: 1439383257000,
        end_ts: 1439383812000,
        duration_s: 555,
        start_gps_index: 100,
        end_gps_index: 123,
        pause_type: 0,
        source: 'huami-open',
      },
    ]);
  });

  it('makes no row of an empty entry but keeps the positions of the others', () => {
    const rows = decodeWorkoutDetail(
      detailWith({ pause: '1700000100,10,5,6,2;;1700000300,20,9,9,2;', lap: '' }),
      undefined,
      ctx,
    );
    expect(rows.workout_pause?.map((p) => [p.pause_index, p.start_ts])).toEqual([
      [0, 1_700_000_100_000],
      [2, 1_700_000_300_000],
    ]);
    expect(rows.workout_lap).toBeUndefined();
  });
});

describe('malformed pause and lap series name the entry', () => {
  const field = (series: Record<string, unknown>) =>
    malformedField(() => decodeWorkoutDetail({ trackid: 1_700_000_000, ...series }, undefined, ctx));

  it('refuses what cannot be a pause', () => {
    expect(field({ pause: 42 })).toBe('pause');
    expect(field({ pause: '1700000100,10,5;' })).toBe('pause[0]');
    expect(field({ pause: '1700000100,10,5,6,2;1700000200,x,5,6,2;' })).toBe('pause[1]');
    expect(field({ pause: '1700000100,-10,5,6,2;' })).toBe('pause[0]');
    expect(field({ pause: ',10,5,6,2;' })).toBe('pause[0]');
    expect(field({ pause: '99999999999999,10,5,6,2;' })).toBe('pause[0]');
    // fits no int column: the row guard names the column
    expect(field({ pause: '1700000100,10,5.5,6,2;' })).toBe('workout_pause.start_gps_index');
  });

  it('refuses what cannot be a lap', () => {
    expect(field({ lap: ['0,300'] })).toBe('lap');
    expect(field({ lap: '0,300,1000,wx4g0b7;' })).toBe('lap[0]');
    expect(field({ lap: '0,300,1000,wx4g0b7,151;1,3e,1000,wx,151;' })).toBe('lap[1]');
    expect(field({ lap: '0,300,-5,wx4g0b7,151;' })).toBe('lap[0]');
    expect(field({ lap: '0,300,1000,wx4g0b7,151,1e12,45,12,3;' })).toBe('lap[0]');
  });

  it('names the official field of a sportDetail', () => {
    const body = { trackId: '1492680712', lapPace: '0,1024;' };
    expect(
      malformedField(() => decodeHuamiOpen('sportDetail', body, { userId: 'u', source: 'huami-open', tzOffsetS: 0 })),
    ).toBe('lapPace[0]');
  });
});
