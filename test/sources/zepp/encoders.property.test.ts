import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecodeContext } from '../../../lambdas/core/ports.ts';
import type { Row } from '../../../lambdas/core/schema-registry.ts';
import { decodeBandDay } from '../../../lambdas/sources/zepp/decode-band-data.ts';
import {
  decodeDistanceSeries,
  decodeGaitSeries,
  decodeGpsSeries,
  decodeHeartRateSeries,
  decodePressureSeries,
  decodeSpeedSeries,
  decodeWorkoutDetail,
  decodeWorkoutHistory,
} from '../../../lambdas/sources/zepp/decode-workouts.ts';
import {
  type DetailInput,
  encodeCumulativePairs,
  encodeGait,
  encodeGps,
  encodeHistoryItem,
  encodeMinuteBlobs,
  encodeSpeed,
  encodeSummary,
  encodeWorkoutDetail,
  type MinuteSample,
  minuteBytes,
} from '../../../sim/zepp/encoders.ts';

const ctx: DecodeContext = { userId: 'u1', source: 'zepp' };
const RUNS = { numRuns: 150 };

const byte = fc.integer({ min: 0, max: 255 });
const trackidArb = fc.integer({ min: 1_400_000_000, max: 1_800_000_000 });
/** Time steps in seconds, biased to 1 s (the step that encodes as an empty delta). */
const stepArb = fc.oneof(fc.constant(1), fc.constant(1), fc.integer({ min: 0, max: 40 }));

/** `n` samples on a timeline starting at the track start: [t, value] with t cumulative. */
function timed<T>(value: fc.Arbitrary<T>, maxLength = 80): fc.Arbitrary<{ t: number; value: T }[]> {
  return fc.tuple(trackidArb, fc.array(fc.tuple(stepArb, value), { maxLength })).map(([start, steps]) => {
    let t = start;
    return steps.map(([dt, v]) => {
      t += dt;
      return { t, value: v };
    });
  });
}

/** A cumulative integer series from its increments. */
function cumulative(increments: readonly number[], start = 0): number[] {
  let total = start;
  return increments.map((d) => {
    total += d;
    return total;
  });
}

/** The numeric field `index` of every entry of an encoded series, parsed independently of the decoder. */
function field(series: string, index: number): number[] {
  return series
    .split(';')
    .filter((e) => e !== '')
    .map((e) => Number(e.split(',')[index]));
}

describe('minute blobs round-trip', () => {
  const sampleArb: fc.Arbitrary<MinuteSample> = fc.record({
    kind: fc.option(
      byte.filter((b) => b !== 0x7e),
      { nil: null },
    ),
    intensity: byte,
    steps: byte,
    hr: fc.option(fc.integer({ min: 1, max: 253 }), { nil: null }),
  });

  it('decode(encode(minutes)) gives back every minute (no-data minutes as absent rows)', () => {
    fc.assert(
      fc.property(
        fc.array(sampleArb, { maxLength: 1440 }),
        fc.integer({ min: -48, max: 56 }).map((q) => q * 900),
        (samples, tz) => {
          const blobs = encodeMinuteBlobs(samples.map(minuteBytes));
          const rows = decodeBandDay(
            { date_time: '2024-06-01', source: 256, summary: encodeSummary({ tz }), ...blobs },
            ctx,
          ).activity_minute!;
          const midnight = Date.parse('2024-06-01T00:00:00Z') - tz * 1000;
          const byMinute = new Map(rows.map((r) => [((r.ts as number) - midnight) / 60_000, r]));
          const decoded: MinuteSample[] = samples.map((_, i) => {
            const r = byMinute.get(i);
            if (!r) return { kind: null, intensity: 0, steps: 0, hr: null };
            return {
              kind: r.kind_raw as number | null,
              intensity: (r.intensity as number | null) ?? 0,
              steps: (r.steps as number | null) ?? 0,
              hr: r.heart_rate as number | null,
            };
          });
          const normalized = samples.map((s) => (s.kind === null ? { ...s, intensity: 0, steps: 0 } : s));
          expect(decoded).toEqual(normalized);
          expect(byMinute.size).toBe(rows.length);
          for (const r of rows) {
            expect(r.activity_kind).toBe(r.kind_raw === null ? null : (r.kind_raw as number) & 0x0f);
            expect(r.tz_offset_s).toBe(tz);
          }
        },
      ),
      RUNS,
    );
  });

  it('round-trips the raw bytes, sentinels included', () => {
    const minuteArb = fc.record({ kindByte: byte, intensity: byte, steps: byte, hrByte: byte });
    fc.assert(
      fc.property(fc.array(minuteArb, { maxLength: 300 }), (minutes) => {
        const { data, data_hr } = encodeMinuteBlobs(minutes);
        const a = Buffer.from(data, 'base64');
        const h = Buffer.from(data_hr, 'base64');
        expect(a.length).toBe(minutes.length * 3);
        expect([...h]).toEqual(minutes.map((m) => m.hrByte));
        expect(minutes.map((_, i) => [a[i * 3], a[i * 3 + 1], a[i * 3 + 2]])).toEqual(
          minutes.map((m) => [m.kindByte, m.intensity, m.steps]),
        );
      }),
      RUNS,
    );
  });
});

describe('workout detail series round-trip', () => {
  const e8 = (max: number) => fc.integer({ min: -max, max });
  const gpsArb = fc
    .tuple(
      trackidArb,
      fc.array(
        fc.record({
          dt: stepArb,
          pos: fc.option(fc.tuple(e8(9_000_000_000), e8(18_000_000_000)), { nil: null }),
          altitudeCm: fc.option(fc.integer({ min: -50_000, max: 900_000 }), { nil: null }),
          accuracy: fc.integer({ min: 0, max: 50 }),
        }),
        { maxLength: 80 },
      ),
    )
    .map(([trackid, raw]) => {
      let t = trackid;
      const points = raw.map((p) => {
        t += p.dt;
        return {
          t,
          lat: p.pos === null ? null : p.pos[0] / 1e8,
          lon: p.pos === null ? null : p.pos[1] / 1e8,
          altitudeCm: p.altitudeCm,
          accuracy: p.accuracy,
        };
      });
      return { trackid, points };
    });

  it('GPS: missing points, null altitude, first pair absolute and the rest deltas', () => {
    fc.assert(
      fc.property(gpsArb, ({ trackid, points }) => {
        const encoded = encodeGps(points, trackid);
        expect(decodeGpsSeries(encoded, trackid)).toEqual(
          points.map((p) => ({
            t: p.t,
            lat: p.lat,
            lon: p.lon,
            altitudeM: p.altitudeCm === null ? null : p.altitudeCm / 100,
          })),
        );
        if (points.length > 0) expect(encoded.longitude_latitude.endsWith(';')).toBe(true);
      }),
      RUNS,
    );
  });

  it('heart rate: 1-second steps written as empty deltas', () => {
    fc.assert(
      fc.property(trackidArb, timed(fc.integer({ min: 1, max: 253 })), (trackid, samples) => {
        const shifted = samples.map((s) => ({ t: s.t - samples[0]!.t + trackid + 1, hr: s.value }));
        const encoded = encodeCumulativePairs(
          shifted.map((s) => ({ t: s.t, v: s.hr })),
          trackid,
        );
        expect(decodeHeartRateSeries(encoded, trackid)).toEqual(shifted);
        const oneSecondSteps = shifted.filter((s, i) => s.t - (i === 0 ? trackid : shifted[i - 1]!.t) === 1).length;
        expect(encoded.split(';').filter((e) => e.startsWith(',')).length).toBe(oneSecondSteps);
      }),
      RUNS,
    );
  });

  it('distance: cumulative metres, and the last value is the sum of the deltas', () => {
    fc.assert(
      fc.property(trackidArb, timed(fc.integer({ min: 0, max: 60 })), (trackid, samples) => {
        const meters = cumulative(samples.map((s) => s.value));
        const series = samples.map((s, i) => ({ t: s.t - samples[0]!.t + trackid, meters: meters[i]! }));
        const encoded = encodeCumulativePairs(
          series.map((s) => ({ t: s.t, v: s.meters })),
          trackid,
        );
        const decoded = decodeDistanceSeries(encoded, trackid);
        expect(decoded).toEqual(series);
        expect(decoded.at(-1)?.meters ?? 0).toBe(field(encoded, 1).reduce((a, b) => a + b, 0));
      }),
      RUNS,
    );
  });

  it('gait: cumulative steps (last = sum of step deltas), absolute stride and cadence', () => {
    const gaitValue = fc.record({
      dsteps: fc.integer({ min: 0, max: 12 }),
      strideCm: fc.integer({ min: 0, max: 200 }),
      cadence: fc.integer({ min: 0, max: 250 }),
    });
    fc.assert(
      fc.property(trackidArb, timed(gaitValue), (trackid, samples) => {
        const steps = cumulative(samples.map((s) => s.value.dsteps));
        const series = samples.map((s, i) => ({
          t: s.t - samples[0]!.t + trackid,
          steps: steps[i]!,
          strideCm: s.value.strideCm,
          cadence: s.value.cadence,
        }));
        const encoded = encodeGait(series, trackid);
        const decoded = decodeGaitSeries(encoded, trackid);
        expect(decoded).toEqual(series);
        expect(decoded.at(-1)?.steps ?? 0).toBe(field(encoded, 1).reduce((a, b) => a + b, 0));
      }),
      RUNS,
    );
  });

  it('speed: absolute values, "%d, %0.2f" entries included', () => {
    const mps = fc.oneof(
      fc.integer({ min: 0, max: 2000 }).map((n) => n / 100),
      fc.double({ min: 0.001, max: 20, noNaN: true }),
    );
    fc.assert(
      fc.property(trackidArb, timed(mps), (trackid, samples) => {
        const series = samples.map((s) => ({ t: s.t - samples[0]!.t + trackid, mps: s.value }));
        const encoded = encodeSpeed(series, trackid);
        expect(decodeSpeedSeries(encoded, trackid)).toEqual(series);
      }),
      RUNS,
    );
    expect(
      encodeSpeed(
        [
          { t: 11, mps: 1.5 },
          { t: 12, mps: 2.25 },
        ],
        10,
      ),
    ).toBe(',1.5;, 2.25;');
  });

  it('pressure: cumulative pascals', () => {
    fc.assert(
      fc.property(
        trackidArb,
        fc.integer({ min: 90_000, max: 105_000 }),
        timed(fc.integer({ min: -20, max: 20 })),
        (trackid, first, samples) => {
          const pa = cumulative(
            samples.map((s) => s.value),
            first,
          );
          const series = samples.map((s, i) => ({ t: s.t - samples[0]!.t + trackid, pa: pa[i]! }));
          const encoded = encodeCumulativePairs(
            series.map((s) => ({ t: s.t, v: s.pa })),
            trackid,
          );
          expect(decodePressureSeries(encoded, trackid)).toEqual(series);
        },
      ),
      RUNS,
    );
  });
});

describe('whole detail round-trip into workout_sample rows', () => {
  const detailArb: fc.Arbitrary<DetailInput> = fc
    .record({
      trackid: trackidArb,
      gps: fc.array(
        fc.record({
          dt: stepArb,
          lat: fc.option(fc.integer({ min: -9e9, max: 9e9 }), { nil: null }),
          lon: fc.integer({ min: -18e9, max: 18e9 }),
          alt: fc.option(fc.integer({ min: -1000, max: 500_000 }), { nil: null }),
        }),
        { maxLength: 40 },
      ),
      hr: fc.array(fc.tuple(stepArb, fc.integer({ min: 40, max: 200 })), { maxLength: 60 }),
      dist: fc.array(fc.tuple(stepArb, fc.integer({ min: 0, max: 30 })), { maxLength: 40 }),
      gait: fc.array(fc.tuple(stepArb, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 150 })), {
        maxLength: 40,
      }),
      speed: fc.array(fc.tuple(stepArb, fc.integer({ min: 0, max: 900 })), { maxLength: 40 }),
      pressure: fc.array(fc.tuple(stepArb, fc.integer({ min: -9, max: 9 })), { maxLength: 40 }),
    })
    .map((r) => {
      const times = (steps: readonly number[]) => cumulative(steps, r.trackid);
      const gpsT = times(r.gps.map((g) => g.dt));
      const hrT = times(r.hr.map(([dt]) => dt));
      const distT = times(r.dist.map(([dt]) => dt));
      const distV = cumulative(r.dist.map(([, d]) => d));
      const gaitT = times(r.gait.map(([dt]) => dt));
      const gaitSteps = cumulative(r.gait.map(([, s]) => s));
      const speedT = times(r.speed.map(([dt]) => dt));
      const paT = times(r.pressure.map(([dt]) => dt));
      const paV = cumulative(
        r.pressure.map(([, d]) => d),
        100_000,
      );
      return {
        trackid: r.trackid,
        gps: r.gps.map((g, i) => ({
          t: gpsT[i]!,
          lat: g.lat === null ? null : g.lat / 1e8,
          lon: g.lat === null ? null : g.lon / 1e8,
          altitudeCm: g.alt,
        })),
        heartRate: r.hr.map(([, hr], i) => ({ t: hrT[i]!, hr })),
        distance: distV.map((meters, i) => ({ t: distT[i]!, meters })),
        gait: r.gait.map(([, , stride], i) => ({
          t: gaitT[i]!,
          steps: gaitSteps[i]!,
          strideCm: stride,
          cadence: 100 + stride,
        })),
        speed: r.speed.map(([, v], i) => ({ t: speedT[i]!, mps: v / 100 })),
        pressure: paV.map((pa, i) => ({ t: paT[i]!, pa })),
        pauses: [{ start: r.trackid + 5, duration: 3, startIndex: -1, endIndex: -1, type: 3 }],
      };
    });

  /** Ground truth: one row per touched second, the last sample of each series in that second wins. */
  function expectedRows(input: DetailInput): Row[] {
    const rows = new Map<number, Row>();
    const at = (t: number) => {
      let row = rows.get(t);
      if (!row) {
        row = { ts: t * 1000, lat: null, lon: null, altitude_m: null, heart_rate: null, distance_m: null };
        Object.assign(row, { steps: null, stride_cm: null, cadence: null, speed: null, pressure_pa: null });
        rows.set(t, row);
      }
      return row;
    };
    for (const p of input.gps) {
      Object.assign(at(p.t), { lat: p.lat, lon: p.lon, altitude_m: p.altitudeCm === null ? null : p.altitudeCm / 100 });
    }
    for (const s of input.heartRate) at(s.t).heart_rate = s.hr;
    for (const s of input.distance) at(s.t).distance_m = s.meters;
    for (const s of input.gait) Object.assign(at(s.t), { steps: s.steps, stride_cm: s.strideCm, cadence: s.cadence });
    for (const s of input.speed) at(s.t).speed = s.mps;
    for (const s of input.pressure) at(s.t).pressure_pa = s.pa;
    return [...rows.values()].sort((a, b) => (a.ts as number) - (b.ts as number));
  }

  it('decodeWorkoutDetail(encodeWorkoutDetail(x)) has exactly the samples of x', () => {
    fc.assert(
      fc.property(detailArb, (input) => {
        const data = encodeWorkoutDetail(input);
        expect(data.trackid).toBe(input.trackid);
        const rows = decodeWorkoutDetail({ code: 1, message: 'success', data }, undefined, ctx).workout_sample!;
        const stripped = rows.map(({ user_id, local_date, tz_offset_s, trackid, source, ...rest }) => {
          expect([user_id, trackid, source, tz_offset_s]).toEqual(['u1', input.trackid, 'zepp', null]);
          expect(local_date).toBe(new Date(input.trackid * 1000).toISOString().slice(0, 10));
          return rest;
        });
        expect(stripped).toEqual(expectedRows(input));
      }),
      RUNS,
    );
  });

  it('writes the vendor scalars and the trailing separators', () => {
    const data = encodeWorkoutDetail({
      trackid: 100,
      gps: [{ t: 101, lat: null, lon: null, altitudeCm: null }],
      heartRate: [{ t: 101, hr: 80 }],
      distance: [],
      gait: [],
      speed: [],
      pressure: [],
    });
    expect(data).toMatchObject({
      trackid: 100,
      version: 15,
      provider: 'gaode',
      kilo_pace: '',
      mile_pace: '',
      distance: '',
      time: '1;',
      longitude_latitude: ';',
      altitude: '-2000000;',
      heart_rate: ',80;',
      pause: '',
      lap: '',
    });
  });
});

describe('history items round-trip', () => {
  it('decodes encodeHistoryItem back to the workout it describes', () => {
    const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
    const item = fc.record({
      trackid: trackidArb,
      type: fc.constantFrom(1, 6, 8, 9, 14, 77),
      runTimeS: fc.integer({ min: 60, max: 20_000 }),
      distanceM: fc.integer({ min: 0, max: 100_000 }).map((n) => n / 10),
      calories: fc.integer({ min: 0, max: 3000 }),
      totalSteps: opt(fc.integer({ min: 0, max: 60_000 })),
      avgHr: opt(fc.integer({ min: 50, max: 200 })),
      maxHr: opt(fc.integer({ min: 50, max: 220 })),
      minHr: opt(fc.integer({ min: 40, max: 120 })),
      avgPace: opt(fc.integer({ min: 1, max: 2000 }).map((n) => n / 1000)),
      avgCadence: opt(fc.integer({ min: 1, max: 200 })),
      ascentM: opt(fc.integer({ min: 0, max: 3000 })),
      descentM: opt(fc.integer({ min: 0, max: 3000 })),
    });
    fc.assert(
      fc.property(item, (w) => {
        const input = { ...w, endTime: w.trackid + w.runTimeS, source: 'run.watch.huami.com', bindDevice: 'dev' };
        const { rows, items } = decodeWorkoutHistory(
          { code: 1, data: { next: -1, summary: [encodeHistoryItem(input)] } },
          ctx,
        );
        expect(items[0]).toMatchObject({ trackid: w.trackid, source: 'run.watch.huami.com' });
        expect(rows[0]).toMatchObject({
          trackid: w.trackid,
          workout_type: w.type,
          start_ts: w.trackid * 1000,
          end_ts: (w.trackid + w.runTimeS) * 1000,
          duration_s: w.runTimeS,
          distance_m: w.distanceM,
          calories: w.calories,
          total_steps: w.totalSteps,
          avg_hr: w.avgHr,
          max_hr: w.maxHr,
          min_hr: w.minHr,
          avg_pace_s_per_m: w.avgPace,
          avg_cadence: w.avgCadence,
          ascent_m: w.ascentM,
          descent_m: w.descentM,
          device_id: 'dev',
          track_source: 'run.watch.huami.com',
        });
      }),
      RUNS,
    );
  });
});
