import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AuthExpiredError, MalformedPayloadError } from '../../../lambdas/core/errors.ts';
import { formatRowForJson } from '../../../lambdas/core/format-row.ts';
import { decodePayload } from '../../../lambdas/sources/zepp/decode-payload.ts';
import { encodeSummary } from '../../../sim/zepp/encoders.ts';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../fixtures/zepp/${name}`, import.meta.url), 'utf8'));
const BAND = 'CONSTRUCTED_band_data_detail_response_2021-08-07_from_real_blobs.json';
const HISTORY = 'CONSTRUCTED_workout_history_envelope_from_real_items.json';
const DETAIL = 'CONSTRUCTED_workout_detail_envelope_walk_1542558074.json';

describe('decodePayload', () => {
  it('decodes a band_data response with the user id from the payload, tables in name order', () => {
    const out = decodePayload('band-data', fixture(BAND));
    expect([...new Set(out.map((r) => r.table))]).toEqual(['activity_minute', 'daily_summary']);
    expect(out.filter((r) => r.table === 'activity_minute')).toHaveLength(657);
    expect(out.every((r) => r.row.user_id === '1234567890' && r.row.source === 'zepp')).toBe(true);
    const ts = out.filter((r) => r.table === 'activity_minute').map((r) => r.row.ts as number);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
  });

  it('accepts one element of band_data `data` and lets --user win', () => {
    const record = (fixture(BAND).data as unknown[])[0];
    const out = decodePayload('band-data', record, { userId: 'me' });
    expect(out).toHaveLength(658);
    expect(out[0]!.row.user_id).toBe('me');
  });

  it('orders rows by natural key across days', () => {
    const mk = (date: string, tz: number) => ({ date_time: date, uid: 'x', source: 1, summary: encodeSummary({ tz }) });
    const out = decodePayload('band-data', { code: 1, data: [mk('2024-01-03', 0), mk('2024-01-01', 0)] });
    expect(out.map((r) => [r.table, r.row.local_date])).toEqual([
      ['daily_summary', '2024-01-01'],
      ['daily_summary', '2024-01-03'],
    ]);
  });

  it("orders workouts by trackid and uses user 'unknown' when none is given", () => {
    const out = decodePayload('workout-history', fixture(HISTORY));
    expect(out.map((r) => r.row.trackid)).toEqual([1542558074, 1654683111, 1698569116]);
    expect(out.every((r) => r.table === 'workout' && r.row.user_id === 'unknown')).toBe(true);
  });

  it('decodes a detail with its summary item, or with the whole history response as the summary', () => {
    const item = fixture('workout_history_summary_item_walk_1542558074.json');
    const withItem = decodePayload('workout-detail', fixture(DETAIL), { summary: item, userId: 'me' });
    const withHistory = decodePayload('workout-detail', fixture(DETAIL), { summary: fixture(HISTORY), userId: 'me' });
    expect(withHistory).toEqual(withItem);
    expect(withItem[0]!.table).toBe('workout');
    // The real walk has six auto pauses and no laps: every other row is a sample.
    expect(withItem.filter((r) => r.table === 'workout_pause')).toHaveLength(6);
    expect(withItem.filter((r) => r.table === 'workout_lap')).toHaveLength(0);
    expect(withItem.filter((r) => r.table === 'workout_sample')).toHaveLength(withItem.length - 1 - 6);
    const otherHistory = { code: 1, data: { next: -1, summary: [{ trackid: '1' }] } };
    expect(() => decodePayload('workout-detail', fixture(DETAIL), { summary: otherHistory })).toThrow(
      MalformedPayloadError,
    );
  });

  it('decodes events with the user id of the first item', () => {
    const out = decodePayload('events', {
      items: [
        { userId: '42', eventType: 'blood_oxygen', subType: 'click', timestamp: 2000, extra: '{"spo2":98}' },
        {
          userId: '42',
          eventType: 'all_day_stress',
          timestamp: 1000,
          avgStress: '10',
          data: '[{"time":500,"value":3}]',
        },
      ],
    });
    expect(out.map((r) => [r.table, r.row.ts, r.row.user_id])).toEqual([
      ['spo2', 2000, '42'],
      ['stress', 500, '42'],
      ['stress', 1000, '42'],
    ]);
  });

  it('passes decoder errors through', () => {
    expect(() => decodePayload('band-data', { code: 0 })).toThrow(AuthExpiredError);
    expect(() => decodePayload('events', [])).toThrow(MalformedPayloadError);
  });
});

describe('formatRowForJson', () => {
  it('puts the table first, prints timestamps as ISO UTC and keeps dates', () => {
    const [first] = decodePayload('band-data', fixture(BAND));
    const printed = formatRowForJson(first!.table, first!.row);
    expect(Object.keys(printed)[0]).toBe('table');
    expect(printed).toMatchObject({
      table: 'activity_minute',
      ts: '2021-08-06T16:00:00.000Z',
      local_date: '2021-08-07',
    });
  });

  it('formats every timestamp column of a workout and leaves nulls alone', () => {
    const [walk] = decodePayload('workout-history', fixture(HISTORY));
    const printed = formatRowForJson('workout', walk!.row);
    expect(printed.start_ts).toBe('2018-11-18T16:21:14.000Z');
    expect(printed.end_ts).toBe('2018-11-18T17:10:35.000Z');
    expect(printed.max_hr).toBeNull();
    expect(JSON.parse(JSON.stringify(printed))).toEqual(printed);
  });
});
