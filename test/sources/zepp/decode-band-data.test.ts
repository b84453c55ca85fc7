import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AuthExpiredError, MalformedPayloadError } from '../../../lambdas/core/errors.ts';
import type { DecodeContext } from '../../../lambdas/core/ports.ts';
import {
  decodeBandDataResponse,
  decodeBandDay,
  parseBandSummary,
} from '../../../lambdas/sources/zepp/decode-band-data.ts';
import { encodeMinuteBlobs, encodeSummary } from '../../../sim/zepp/encoders.ts';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/zepp/${name}`, import.meta.url), 'utf8'));
const ctx: DecodeContext = { userId: 'u1', source: 'zepp' };
const DOWNLOAD = 'CONSTRUCTED_band_data_detail_response_2021-08-07_from_real_blobs.json';
const UPLOAD = 'band_data_UPLOAD_data_json_2021-08-07_mifit.json';
// 2021-08-07 00:00 at UTC+8
const MIDNIGHT_2021_08_07 = Date.parse('2021-08-07T00:00:00Z') - 28_800_000;

function malformedField(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedPayloadError);
    return (error as MalformedPayloadError).field;
  }
  throw new Error('expected a MalformedPayloadError');
}

function day(overrides: Record<string, unknown>, summary: Record<string, unknown> = { tz: 0 }) {
  return { date_time: '2024-03-01', source: 256, uuid: 'null', summary: encodeSummary(summary), ...overrides };
}

describe('band_data golden: the real 2021-08-07 Mi Band day', () => {
  const { days } = decodeBandDataResponse(fixture(DOWNLOAD), ctx);
  const rows = days[0]!.rows;
  const minutes = rows.activity_minute!;

  it('decodes one day dated by date_time', () => {
    expect(days.map((d) => d.date)).toEqual(['2021-08-07']);
  });

  it('gives exactly 232 minutes with a heart rate, and 657 minutes in all (783 of 1440 are 0x7E with no HR)', () => {
    expect(minutes.filter((m) => m.heart_rate !== null)).toHaveLength(232);
    expect(minutes).toHaveLength(657);
    expect(minutes.every((m) => m.kind_raw !== null)).toBe(true);
  });

  it('stamps minute i at local midnight (summary tz "28800") + i minutes', () => {
    expect(minutes[0]).toEqual({
      user_id: 'u1',
      ts: MIDNIGHT_2021_08_07,
      local_date: '2021-08-07',
      tz_offset_s: 28800,
      activity_kind: 0,
      kind_raw: 0x50,
      intensity: 15,
      steps: 0,
      heart_rate: null,
      device_id: '24',
      source: 'zepp',
    });
    const hrMinutes = minutes.filter((m) => m.heart_rate !== null);
    // data_hr starts ff ff ff ff ff 4b ff ...: one reading every 10 minutes, 255 (not measured) between
    expect(hrMinutes.slice(0, 4).map((m) => [((m.ts as number) - MIDNIGHT_2021_08_07) / 60_000, m.heart_rate])).toEqual(
      [
        [5, 75],
        [15, 86],
        [25, 75],
        [35, 94],
      ],
    );
    for (const m of minutes) expect(((m.ts as number) - MIDNIGHT_2021_08_07) % 60_000).toBe(0);
    expect(minutes.reduce((sum, m) => sum + (m.steps as number), 0)).toBe(125);
  });

  it('keeps the flag nibble in kind_raw and the raw type in activity_kind', () => {
    const kinds = new Set(minutes.map((m) => `${m.kind_raw}:${m.activity_kind}`));
    expect(kinds.has('90:10')).toBe(true); // 0x5a -> 10 (ignore)
    expect(kinds.has('121:9')).toBe(true); // 0x79 -> 9 (light sleep)
  });

  it('takes the daily summary from stp and goal', () => {
    expect(rows.daily_summary).toEqual([
      {
        user_id: 'u1',
        local_date: '2021-08-07',
        tz_offset_s: 28800,
        steps: 18272,
        distance_m: 10627,
        calories: 510,
        run_distance_m: 7654,
        run_calories: 397,
        walk_min: 41,
        run_min: 50,
        goal_steps: 8000,
        max_hr: null,
        device_id: '24',
        synced_ts: null,
        source: 'zepp',
      },
    ]);
  });

  it('writes no sleep session for a night with st == ed and no stages', () => {
    expect(rows.sleep_session).toEqual([]);
    expect(rows.sleep_stage).toEqual([]);
  });

  it('reads the same day identically from its upload form (plain JSON summary, data segments)', () => {
    const upload = (fixture(UPLOAD) as unknown[])[0];
    const fromUpload = decodeBandDay(upload, ctx);
    expect(fromUpload.activity_minute).toEqual(minutes);
    expect(fromUpload.daily_summary![0]).toEqual(rows.daily_summary![0]);
  });
});

describe('band_data sleep', () => {
  // zepp-export 2026-02-06: tz -21600, st 1770445860 = first stage start 1471 (00:31 local on 02-07)
  const summary = {
    tz: '-21600',
    sync: 1770480000,
    hr: { maxHr: { hr: 151, ts: 1770400000 } },
    slp: {
      st: 1770445860,
      ed: 1770474000,
      dp: 90,
      lt: 300,
      wk: 12,
      wc: 2,
      ss: 81,
      rhr: '54',
      stage: [
        { start: 1471, stop: 1500, mode: 4 },
        { start: 1501, stop: 1530, mode: 5 },
        { start: 1531, stop: 1550, mode: 8 },
        { start: 1551, stop: 1555, mode: 7 },
        { start: 1556, stop: 1565, mode: 8 },
        { start: 1566, stop: 1570, mode: 11 },
      ],
    },
  };
  const rows = decodeBandDay(
    { date_time: '2026-02-06', source: 10289411, device_id: 'dev-9', summary: encodeSummary(summary) },
    ctx,
  );
  const midnight = Date.parse('2026-02-06T00:00:00Z') + 21_600_000;

  it('dates the night by the record (night_of = D) and converts st/ed from seconds', () => {
    expect(rows.sleep_session).toEqual([
      {
        user_id: 'u1',
        local_date: '2026-02-06',
        tz_offset_s: -21600,
        night_of: '2026-02-06',
        start_ts: 1770445860000,
        end_ts: 1770474000000,
        deep_min: 90,
        light_min: 300,
        rem_min: 20 + 10,
        awake_min: 12,
        wake_count: 2,
        sleep_score: 81,
        resting_hr: 54,
        source: 'zepp',
      },
    ]);
  });

  it('places stages in minutes from midnight(D), past 1440, with an exclusive end', () => {
    const stages = rows.sleep_stage!;
    expect(stages[0]!.start_ts).toBe(1770445860000);
    expect(stages[0]!.start_ts).toBe(midnight + 1471 * 60_000);
    expect(stages[0]!.end_ts).toBe(midnight + 1501 * 60_000);
    expect(stages.map((s) => s.stage)).toEqual(['light', 'deep', 'rem', 'awake', 'rem', 'unknown']);
    expect(stages.map((s) => s.mode)).toEqual([4, 5, 8, 7, 8, 11]);
    expect(stages.every((s) => s.night_of === '2026-02-06' && s.local_date === '2026-02-06')).toBe(true);
  });

  it('prefers device_id over source and reads max HR and sync time', () => {
    expect(rows.daily_summary![0]).toMatchObject({
      device_id: 'dev-9',
      max_hr: 151,
      synced_ts: 1770480000000,
      steps: null,
    });
  });

  it('accepts st/ed already in milliseconds, and stages without a span', () => {
    const ms = decodeBandDay(day({}, { tz: 0, slp: { st: 1709272800000, ed: 1709300000000 } }), ctx);
    expect(ms.sleep_session![0]).toMatchObject({ start_ts: 1709272800000, end_ts: 1709300000000, rem_min: null });
    const stagesOnly = decodeBandDay(
      day({}, { tz: 0, slp: { st: 0, ed: 0, stage: [{ start: 1400, stop: 1409, mode: 4 }] } }),
      ctx,
    );
    expect(stagesOnly.sleep_session![0]).toMatchObject({ start_ts: null, end_ts: null, rem_min: 0 });
    expect(stagesOnly.sleep_stage).toHaveLength(1);
  });

  it('gives no session when slp is absent', () => {
    expect(decodeBandDay(day({}), ctx).sleep_session).toEqual([]);
  });
});

describe('band_data minutes', () => {
  it('keeps a minute with HR but no activity, drops a minute with neither, and nulls HR 0/254/255', () => {
    const blobs = encodeMinuteBlobs([
      { kindByte: 0x7e, intensity: 0, steps: 0, hrByte: 70 },
      { kindByte: 0x7e, intensity: 0, steps: 0, hrByte: 255 },
      { kindByte: 0x51, intensity: 30, steps: 12, hrByte: 0 },
      { kindByte: 0x01, intensity: 1, steps: 2, hrByte: 254 },
    ]);
    const rows = decodeBandDay(day(blobs), ctx).activity_minute!;
    expect(rows.map((r) => [r.ts, r.activity_kind, r.kind_raw, r.intensity, r.steps, r.heart_rate])).toEqual([
      [Date.parse('2024-03-01T00:00:00Z'), null, null, null, null, 70],
      [Date.parse('2024-03-01T00:02:00Z'), 1, 0x51, 30, 12, null],
      [Date.parse('2024-03-01T00:03:00Z'), 1, 1, 1, 2, null],
    ]);
  });

  it('runs to the longer blob: HR minutes past the end of data', () => {
    const hr = Buffer.from([255, 255, 80]).toString('base64');
    const rows = decodeBandDay(day({ data: Buffer.from([0x50, 1, 2]).toString('base64'), data_hr: hr }), ctx);
    expect(rows.activity_minute!.map((r) => [r.steps, r.heart_rate])).toEqual([
      [2, null],
      [null, 80],
    ]);
  });

  it('falls back to String(source) for device_id and to plain JSON for the summary', () => {
    const rows = decodeBandDay({ date_time: '2024-03-01', source: 24, summary: '{"tz":3600,"goal":"8000"}' }, ctx);
    expect(rows.daily_summary![0]).toMatchObject({ device_id: '24', tz_offset_s: 3600, goal_steps: 8000 });
    expect(rows.activity_minute).toEqual([]);
  });

  it('parses summaries in both encodings', () => {
    expect(parseBandSummary(encodeSummary({ tz: 1 }))).toEqual({ tz: 1 });
    expect(parseBandSummary('{"tz":2}')).toEqual({ tz: 2 });
  });
});

describe('band_data envelope and malformed input', () => {
  const good = (rec: unknown) => ({ code: 1, message: 'success', data: [rec] });

  it('treats code 0 and 100302 as an expired token', () => {
    expect(() => decodeBandDataResponse({ code: 0, message: 'invalid token' }, ctx)).toThrow(AuthExpiredError);
    expect(() => decodeBandDataResponse({ code: 100302, message: 'x' }, ctx)).toThrow(AuthExpiredError);
  });

  it('names `code` for any other failure code', () => {
    expect(malformedField(() => decodeBandDataResponse({ code: 50000, message: 'param' }, ctx))).toBe('code');
    expect(malformedField(() => decodeBandDataResponse({ message: 'no code' }, ctx))).toBe('code');
  });

  it('reads a missing data array as no days and ignores unknown fields', () => {
    expect(decodeBandDataResponse({ code: '1', data: null, extra: { x: 1 } }, ctx).days).toEqual([]);
    const withExtras = decodeBandDataResponse(good(day({ newField: 'x', byteLength: 8 })), ctx);
    expect(withExtras.days).toHaveLength(1);
  });

  it('names the field of each malformed value', () => {
    expect(malformedField(() => decodeBandDataResponse(good(day({}, { goal: 8000 })), ctx))).toBe('data[0].summary.tz');
    expect(malformedField(() => decodeBandDataResponse(good(day({ data: 'UA8AUBQ' })), ctx))).toBe('data[0].data');
    expect(malformedField(() => decodeBandDataResponse(good(day({ data: 'UA8AUA==' })), ctx))).toBe('data[0].data');
    expect(malformedField(() => decodeBandDataResponse(good(day({ data_hr: '//8*' })), ctx))).toBe('data[0].data_hr');
    expect(malformedField(() => decodeBandDataResponse(good(day({}, { tz: 0, stp: { ttl: 'lots' } })), ctx))).toBe(
      'data[0].summary.stp.ttl',
    );
    expect(malformedField(() => decodeBandDataResponse(good(day({}, { tz: 'UTC' })), ctx))).toBe('data[0].summary.tz');
    expect(malformedField(() => decodeBandDataResponse(good(day({ summary: 'not json' })), ctx))).toBe(
      'data[0].summary',
    );
    expect(malformedField(() => decodeBandDataResponse(good(day({ date_time: '2024-02-30' })), ctx))).toBe(
      'data[0].date_time',
    );
    expect(
      malformedField(() =>
        decodeBandDataResponse(good(day({}, { tz: 0, slp: { st: 1, ed: 2, stage: [{ start: 'x', stop: 2 }] } })), ctx),
      ),
    ).toBe('data[0].summary.slp.stage[0].start');
    expect(malformedField(() => decodeBandDay(day({ summary: undefined }), ctx))).toBe('summary');
  });

  it('decodes a year of full days, every minute of every day (its speed is measured by npm run bench)', () => {
    const minutes = Array.from({ length: 1440 }, (_, i) => ({
      kindByte: 0x50 | (i % 12),
      intensity: i % 100,
      steps: i % 90,
      hrByte: i % 2 ? 60 + (i % 100) : 255,
    }));
    const blobs = encodeMinuteBlobs(minutes);
    const summary = encodeSummary({ tz: 3600, stp: { ttl: 9000 } });
    const records = Array.from({ length: 365 }, (_, d) => ({
      date_time: new Date(Date.UTC(2023, 0, 1 + d)).toISOString().slice(0, 10),
      source: 256,
      summary,
      ...blobs,
    }));
    const { days } = decodeBandDataResponse({ code: 1, data: records }, ctx);
    expect(days).toHaveLength(365);
    expect(days.reduce((n, d) => n + d.rows.activity_minute!.length, 0)).toBe(365 * 1440);
  });
});
