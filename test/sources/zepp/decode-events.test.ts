import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MalformedPayloadError } from '../../../lambdas/core/errors.ts';
import type { DecodeContext } from '../../../lambdas/core/ports.ts';
import { decodeEvents } from '../../../lambdas/sources/zepp/decode-events.ts';

const fixtureText = (name: string) => readFileSync(new URL(`../../fixtures/zepp/${name}`, import.meta.url), 'utf8');
const fixture = (name: string): Record<string, unknown> => JSON.parse(fixtureText(name));
const ctx: DecodeContext = { userId: 'u1', source: 'zepp' };

function malformedField(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedPayloadError);
    return (error as MalformedPayloadError).field;
  }
  throw new Error('expected a MalformedPayloadError');
}

describe('all_day_stress', () => {
  const STRESS = 'zepp_export_events_v1_all_day_stress_item.json';

  it('rejects the published sample as it stands: its `data` string was trimmed to "...]"', () => {
    expect(malformedField(() => decodeEvents(fixture(STRESS), ctx))).toBe('items[0].data');
  });

  it('gives the day row and one row per reading once the trimmed tail is removed', () => {
    const repaired = JSON.parse(fixtureText(STRESS).replace(',...]', ']'));
    const tzCtx: DecodeContext = { ...ctx, tzOffsetAt: () => -21600 };
    const rows = decodeEvents(repaired, tzCtx).stress!;
    expect(rows).toEqual([
      {
        user_id: 'u1',
        local_date: '2026-02-06',
        tz_offset_s: -21600,
        ts: 1770357600001,
        kind: 'day',
        value: 43,
        min_stress: 5,
        max_stress: 67,
        relax_pct: 30,
        normal_pct: 58,
        medium_pct: 12,
        high_pct: 0,
        device_id: null,
        source: 'zepp',
      },
      {
        user_id: 'u1',
        local_date: '2026-02-06',
        tz_offset_s: -21600,
        ts: 1770357600000,
        kind: 'reading',
        value: 47,
        min_stress: null,
        max_stress: null,
        relax_pct: null,
        normal_pct: null,
        medium_pct: null,
        high_pct: null,
        device_id: null,
        source: 'zepp',
      },
    ]);
  });

  it('keeps deviceId and reads a day without readings', () => {
    const rows = decodeEvents(
      { eventType: 'all_day_stress', timestamp: '1770357600001', deviceId: 'd1', avgStress: '12' },
      ctx,
    ).stress!;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ device_id: 'd1', value: 12, local_date: '2026-02-06', tz_offset_s: null });
  });
});

describe('blood_oxygen', () => {
  it('reads the click sample (no eventType; extra as a JSON string)', () => {
    expect(decodeEvents(fixture('events_v1_blood_oxygen_click_item_test_shape.json'), ctx).spo2).toEqual([
      {
        user_id: 'u1',
        local_date: '2024-02-06',
        tz_offset_s: null,
        ts: 1707225600000,
        kind: 'click',
        spo2: 97,
        spo2_decrease: null,
        odi: null,
        odi_num: null,
        score: null,
        device_id: null,
        source: 'zepp',
      },
    ]);
  });

  it('reads OSA events and the nightly ODI', () => {
    const rows = decodeEvents(
      {
        items: [
          {
            eventType: 'blood_oxygen',
            subType: 'osa_event',
            timestamp: 1707200000000,
            extra: '{"spo2_decrease":6,"spo2":[93,90]}',
          },
          {
            eventType: 'blood_oxygen',
            subType: 'odi',
            timestamp: 1707210000000,
            odi: '0.4799',
            odiNum: '3',
            score: '88',
            deviceId: 'w',
          },
        ],
      },
      ctx,
    ).spo2!;
    expect(rows.map((r) => [r.kind, r.spo2_decrease, r.odi, r.odi_num, r.score, r.device_id])).toEqual([
      ['osa_event', 6, null, null, null, null],
      ['odi', null, 0.4799, 3, 88, 'w'],
    ]);
  });
});

describe('PaiHealthInfo', () => {
  it('takes the offset from timeZone (quarter-hours) over tzOffsetAt', () => {
    const rows = decodeEvents(
      {
        items: [
          {
            userId: 'u1',
            eventType: 'PaiHealthInfo',
            timestamp: 1770325200000, // 2026-02-05T21:00Z = 2026-02-06 00:00 at +3 h
            dailyPai: '12.5',
            totalPai: '88',
            restHr: '55',
            maxHr: '170',
            lowZonePai: '1',
            mediumZonePai: '4.5',
            highZonePai: '7',
            lowZoneMinutes: '30',
            mediumZoneMinutes: '12',
            highZoneMinutes: '5',
            totalStep: '9000',
            totalCal: '400',
            activityScores: [1, 2, 3],
            timeZone: '12',
          },
        ],
      },
      { ...ctx, tzOffsetAt: () => 0 },
    );
    expect(rows.pai).toEqual([
      {
        user_id: 'u1',
        local_date: '2026-02-06',
        tz_offset_s: 10800,
        ts: 1770325200000,
        daily_pai: 12.5,
        total_pai: 88,
        rest_hr: 55,
        max_hr: 170,
        low_zone_pai: 1,
        medium_zone_pai: 4.5,
        high_zone_pai: 7,
        low_zone_min: 30,
        medium_zone_min: 12,
        high_zone_min: 5,
        total_steps: 9000,
        total_calories: 400,
        source: 'zepp',
      },
    ]);
  });
});

describe('readiness', () => {
  it('reads flat v1 keys and nulls the 255 / 32767 sentinels', () => {
    const rows = decodeEvents(
      {
        eventType: 'readiness',
        subType: 'watch_score',
        timestamp: 1770336000000,
        rdnsScore: '72',
        sleepHRV: '45',
        sleepRHR: 255,
        hrvScore: '32767',
        rhrScore: 60,
        skinTempScore: 255,
        phyScore: 70,
        mentScore: 65,
        status: 1,
        ahiScore: 3,
      },
      ctx,
    ).readiness!;
    expect(rows[0]).toMatchObject({
      kind: 'watch_score',
      ts: 1770336000000,
      readiness_score: 72,
      hrv_ms: 45,
      resting_hr: null,
      hrv_score: null,
      rhr_score: 60,
      skin_temp_score: null,
      physical_score: 70,
      mental_score: 65,
      status: 1,
    });
  });

  it('reads v2 items from `value`, dated by value.timestamp', () => {
    const rows = decodeEvents(
      {
        items: [
          {
            eventType: 'readiness',
            subType: 'watch_score',
            timestamp: 1770400000000,
            value: { timestamp: 1770336000000, rdnsScore: 80, sleepHRV: 50, status: 32767 },
          },
        ],
      },
      { ...ctx, tzOffsetAt: () => 3600 },
    ).readiness!;
    expect(rows[0]).toMatchObject({
      ts: 1770336000000,
      readiness_score: 80,
      hrv_ms: 50,
      status: null,
      tz_offset_s: 3600,
    });
  });
});

describe('other event types and malformed items', () => {
  it('gives no rows for event types it does not decode (the v2 exertion and phn samples)', () => {
    expect(decodeEvents(fixture('zepp_export_events_v2_exertion_algo_result.json'), ctx)).toEqual({});
    expect(decodeEvents(fixture('zepp_export_events_v2_phn_daily_analysis.json'), ctx)).toEqual({});
    expect(decodeEvents({ items: [] }, ctx)).toEqual({});
    expect(decodeEvents({ eventType: 'constructor', timestamp: 1 }, ctx)).toEqual({});
  });

  it('names the field that is wrong', () => {
    const click = { eventType: 'blood_oxygen', subType: 'click', timestamp: 1 };
    expect(malformedField(() => decodeEvents({ items: [{ ...click, extra: '{spo2:' }] }, ctx))).toBe('items[0].extra');
    expect(malformedField(() => decodeEvents({ items: [{ ...click, timestamp: undefined }] }, ctx))).toBe(
      'items[0].timestamp',
    );
    const stress = { eventType: 'all_day_stress', timestamp: 1, avgStress: 'high' };
    expect(malformedField(() => decodeEvents({ items: [click, stress] }, ctx))).toBe('items[1].avgStress');
    expect(
      malformedField(() => decodeEvents({ ...stress, avgStress: '1', data: '[{"time":1,"value":"x"}]' }, ctx)),
    ).toBe('data[0].value');
    expect(malformedField(() => decodeEvents({ items: {} }, ctx))).toBe('items');
    expect(malformedField(() => decodeEvents({ items: [7] }, ctx))).toBe('items[0]');
    expect(malformedField(() => decodeEvents({ eventType: 'readiness', timestamp: 1 }, ctx))).toBe('subType');
  });
});
