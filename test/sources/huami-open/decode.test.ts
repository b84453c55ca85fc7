import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MalformedPayloadError } from '../../../lambdas/core/errors.ts';
import { decodeHuamiOpen, type HuamiOpenDecodeContext } from '../../../lambdas/sources/huami-open/decode.ts';

const fixture = (name: string): unknown =>
  (
    JSON.parse(
      readFileSync(new URL(`../../fixtures/huami-open/OFFICIAL_DOC_open_api_${name}.json`, import.meta.url), 'utf8'),
    ) as {
      body: unknown;
    }
  ).body;

const ctx: HuamiOpenDecodeContext = { userId: 'u1', source: 'huami-open', tzOffsetS: 28800 };
// 2016-08-01 00:00 at UTC+8
const MIDNIGHT = Date.UTC(2016, 7, 1) - 28800 * 1000;

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedPayloadError);
    return (err as MalformedPayloadError).field;
  }
  throw new Error('expected a MalformedPayloadError');
}

describe('decodeHuamiOpen on the official doc examples', () => {
  it('maps activities (daily) onto daily_summary with the configured offset', () => {
    expect(decodeHuamiOpen('activities', fixture('users_activities'), ctx)).toEqual({
      daily_summary: [
        {
          user_id: 'u1',
          local_date: '2016-08-01',
          tz_offset_s: 28800,
          steps: 5000,
          distance_m: 4000,
          calories: 400,
          run_distance_m: 2000,
          run_calories: 200,
          walk_min: 60,
          run_min: 30,
          goal_steps: null,
          max_hr: null,
          device_id: null,
          synced_ts: 1470038400000,
          source: 'huami-open',
        },
      ],
    });
  });

  it('reads sleep start/stop as minute indexes from midnight of date (negative before midnight)', () => {
    expect(decodeHuamiOpen('sleep', fixture('users_sleep'), ctx)).toEqual({
      sleep_session: [
        {
          user_id: 'u1',
          local_date: '2016-08-01',
          tz_offset_s: 28800,
          night_of: '2016-08-01',
          start_ts: MIDNIGHT - 9 * 60_000,
          end_ts: MIDNIGHT + 45 * 60_000,
          deep_min: 155,
          light_min: 322,
          rem_min: null,
          awake_min: 0,
          wake_count: null,
          sleep_score: 88,
          resting_hr: null,
          source: 'huami-open',
        },
      ],
    });
  });

  it('merges heartrates and motionInMinute by minute, with kind left null', () => {
    const rows = decodeHuamiOpen(
      'minutes',
      { heartrates: fixture('users_heartrates'), motionInMinute: fixture('users_motionInMinute') },
      ctx,
    );
    const common = {
      user_id: 'u1',
      local_date: '2016-08-01',
      tz_offset_s: 28800,
      activity_kind: null,
      kind_raw: null,
      device_id: null,
      source: 'huami-open',
    };
    expect(rows).toEqual({
      activity_minute: [
        { ...common, ts: MIDNIGHT + 60_000, intensity: null, steps: null, heart_rate: 60 },
        { ...common, ts: MIDNIGHT + 5 * 60_000, intensity: 126, steps: 35, heart_rate: null },
      ],
    });
  });

  it('maps sports onto workout, averagePace (m/s) to seconds per metre', () => {
    expect(decodeHuamiOpen('sports', fixture('users_sports'), ctx)).toEqual({
      workout: [
        {
          user_id: 'u1',
          local_date: '2017-06-06',
          tz_offset_s: 28800,
          trackid: 1496744715,
          workout_type: null,
          workout_type_name: 'OUTDOOR_RUN',
          start_ts: 1496744715000,
          end_ts: 1496748315000,
          duration_s: 1800,
          distance_m: 3600,
          calories: 3.5,
          total_steps: null,
          avg_hr: 90,
          max_hr: null,
          min_hr: null,
          avg_pace_s_per_m: 0.5,
          avg_cadence: 39,
          ascent_m: 20,
          descent_m: 10,
          device_id: 'AMAZFIT_SPORTS_WATCH',
          track_source: 'AMAZFIT_SPORTS_WATCH',
          source: 'huami-open',
        },
      ],
    });
  });

  it('decodes the sportDetail delta series into one row per second', () => {
    const rows = decodeHuamiOpen('sportDetail', fixture('users_sportDetail'), ctx).workout_sample ?? [];
    expect(rows).toHaveLength(48);
    const byTs = new Map(rows.map((r) => [r.ts, r]));
    const t0 = 1492680712;
    // first GPS point: 9 s after the start, absolute x1e8 coordinates, altitude in cm
    expect(byTs.get((t0 + 9) * 1000)).toMatchObject({ lat: 40.04540672, lon: 116.28061696, altitude_m: 62.5 });
    // heartRate "11,80;0,10": two samples in one second, the last wins
    expect(byTs.get((t0 + 11) * 1000)).toMatchObject({ heart_rate: 90, lat: null });
    // gait "2,0,71,0": steps cumulative, stride and cadence absolute; speed "2,1.20"
    expect(byTs.get((t0 + 2) * 1000)).toMatchObject({ steps: 0, stride_cm: 71, cadence: 0, speed: 1.2, distance_m: 0 });
    // the 18th GPS point carries altitude -2000000: null, never a number
    expect(byTs.get((t0 + 59) * 1000)).toMatchObject({ lat: 40.04592929, altitude_m: null });
    // distance is cumulative: the last sample is the total
    expect(rows.filter((r) => r.distance_m !== null).at(-1)?.distance_m).toBe(131);
    expect(rows.every((r) => r.trackid === t0 && r.local_date === '2017-04-20' && r.pressure_pa === null)).toBe(true);
  });

  it('maps PaiSummary onto pai with the date of calendarDay', () => {
    const rows = decodeHuamiOpen('PaiSummary', fixture('users_openData_PaiSummary'), ctx).pai ?? [];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      user_id: 'u1',
      local_date: '2019-12-27',
      tz_offset_s: 28800,
      ts: 1577376000000,
      daily_pai: 17.860678,
      total_pai: 4.799841,
      rest_hr: 80,
      max_hr: 194,
      low_zone_pai: 0.9088058471679688,
      medium_zone_pai: 1.766021728515625,
      high_zone_pai: 0.2,
      low_zone_min: 61,
      medium_zone_min: 8,
      high_zone_min: 0,
      total_steps: 608,
      total_calories: 10,
      source: 'huami-open',
    });
    expect(rows[1]).toMatchObject({ local_date: '2019-12-28', daily_pai: 0, total_calories: 25 });
  });

  it('gives no rows for the doc events example, whose item carries only placeholder properties', () => {
    const body = fixture('events_users_events_PaiHealthInfo');
    expect(decodeHuamiOpen('events', body, { ...ctx, eventType: 'PaiHealthInfo' })).toEqual({});
    expect(decodeHuamiOpen('events', body, ctx)).toEqual({});
  });

  it('validates profile and devices without producing rows', () => {
    expect(decodeHuamiOpen('profile', fixture('users_profile'), ctx)).toEqual({});
    expect(decodeHuamiOpen('devices', fixture('users_devices'), ctx)).toEqual({});
  });
});

describe('decodeHuamiOpen rules beyond the doc examples', () => {
  it('leaves tz_offset_s null and reads local times as UTC when no offset is configured', () => {
    const rows = decodeHuamiOpen('heartrates', fixture('users_heartrates'), { userId: 'u1', source: 'huami-open' });
    expect(rows.activity_minute?.[0]).toMatchObject({ ts: Date.UTC(2016, 7, 1, 0, 1), tz_offset_s: null });
  });

  it('drops heart rates of 0 (not worn) unless the minute has motion', () => {
    const hr = { items: [{ date: '2016-08-01', minute: 3, heartRateData: 0 }] };
    expect(decodeHuamiOpen('heartrates', hr, ctx)).toEqual({});
    const motion = { items: [{ date: '2016-08-01', minute: 3, activeness: 0, mode: 3, steps: 0 }] };
    const rows = decodeHuamiOpen('minutes', { heartrates: hr, motionInMinute: motion }, ctx).activity_minute;
    expect(rows).toEqual([expect.objectContaining({ heart_rate: null, steps: 0, intensity: 0, activity_kind: null })]);
  });

  it('sums hourly activity items of one date', () => {
    const body = {
      items: [
        { date: '2016-08-01', lastSyncTime: 100, time: 7, steps: 100, calories: 5 },
        { date: '2016-08-01', lastSyncTime: 200, time: 8, steps: 250, calories: 7 },
      ],
    };
    expect(decodeHuamiOpen('activities', body, ctx).daily_summary).toEqual([
      expect.objectContaining({ steps: 350, calories: 12, distance_m: null, synced_ts: 200_000 }),
    ]);
  });

  it('reads sleep stages (interval=hourly): minute indexes inclusive, mifit timestamps as sent', () => {
    const body = {
      items: [
        { date: '2016-08-01', start: 1400, stop: 1429, mode: 5 },
        { date: '2016-08-01', start: 1470060000, stop: 1470061800, mode: 8 },
      ],
    };
    expect(decodeHuamiOpen('sleep', body, ctx).sleep_stage).toEqual([
      expect.objectContaining({
        night_of: '2016-08-01',
        start_ts: MIDNIGHT + 1400 * 60_000,
        end_ts: MIDNIGHT + 1430 * 60_000,
        stage: 'deep',
        mode: 5,
      }),
      expect.objectContaining({ start_ts: 1470060000000, end_ts: 1470061800000, stage: 'rem', mode: 8 }),
    ]);
  });

  it('decodes PaiHealthInfo events, with the offset from timeZone quarter-hours', () => {
    const body = {
      items: [{ eventType: 'PaiHealthInfo', timestamp: 1577376000000, dailyPai: '3.5', totalPai: 40, timeZone: '32' }],
    };
    expect(decodeHuamiOpen('events', body, { ...ctx, tzOffsetS: 0 }).pai).toEqual([
      expect.objectContaining({ ts: 1577376000000, tz_offset_s: 28800, local_date: '2019-12-27', daily_pai: 3.5 }),
    ]);
  });

  it('names the field of malformed input', () => {
    expect(fieldOf(() => decodeHuamiOpen('activities', { items: [{ steps: 1 }] }, ctx))).toBe('items[0].date');
    expect(fieldOf(() => decodeHuamiOpen('activities', { data: [] }, ctx))).toBe('items');
    expect(
      fieldOf(() =>
        decodeHuamiOpen('heartrates', { items: [{ date: '2016-08-01', minute: 1, heartRateData: 'x' }] }, ctx),
      ),
    ).toBe('heartrates.items[0].heartRateData');
    expect(
      fieldOf(() => decodeHuamiOpen('motionInMinute', { items: [{ date: '2016-08-01', minute: 1440 }] }, ctx)),
    ).toBe('motionInMinute.items[0].minute');
    expect(fieldOf(() => decodeHuamiOpen('sleep', { items: [{ date: '2016-08-01', start: 1 }] }, ctx))).toBe(
      'items[0].mode',
    );
    expect(fieldOf(() => decodeHuamiOpen('sportDetail', { samplingTime: '1;' }, ctx))).toBe('trackId');
    expect(fieldOf(() => decodeHuamiOpen('sportDetail', { trackId: '1', heartRate: '1,x;' }, ctx))).toBe(
      'heartRate[0]',
    );
    expect(fieldOf(() => decodeHuamiOpen('sportDetail', { trackId: '1', latitudeLongitude: '5;' }, ctx))).toBe(
      'latitudeLongitude[0]',
    );
    expect(fieldOf(() => decodeHuamiOpen('PaiSummary', { items: [{ timestamp: 1 }] }, ctx))).toBe(
      'items[0].calendarDay',
    );
  });
});
