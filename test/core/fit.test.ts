// The FIT builder's rules on small hand-made workouts, read back with Garmin's Decoder: sport mapping for both
// sources' type names, pauses merged and cut to the workout, laps without an end, missing columns left out (never
// zero), cadence as strides, no local time without an offset.

import { Decoder, Stream } from '@garmin/fitsdk';
import { describe, expect, it } from 'vitest';
import { type FitActivity, type FitSample, type FitWorkout, fitSport, workoutToFit } from '../../lambdas/core/fit.ts';

const START = Date.UTC(2026, 5, 1, 7, 0, 0);

const workout = (over: Partial<FitWorkout> = {}): FitWorkout => ({
  user_id: 'u1',
  trackid: START / 1000,
  local_date: '2026-06-01',
  tz_offset_s: 7200,
  workout_type: 1,
  workout_type_name: 'running',
  start_ts: START,
  end_ts: START + 600_000,
  duration_s: 540,
  distance_m: 1500,
  calories: 120,
  total_steps: 1501,
  avg_hr: 150.6,
  max_hr: 171,
  min_hr: 101,
  avg_cadence: 167,
  ascent_m: 12,
  descent_m: 9,
  device_id: 'Amazfit Bip 3',
  ...over,
});

const sample = (s: number, over: Partial<FitSample> = {}): FitSample => ({
  ts: START + s * 1000,
  lat: null,
  lon: null,
  altitude_m: null,
  heart_rate: null,
  distance_m: null,
  cadence: null,
  speed: null,
  ...over,
});

function decode(a: FitActivity) {
  const bytes = workoutToFit(a).bytes;
  const decoder = new Decoder(Stream.fromByteArray(bytes));
  expect(decoder.checkIntegrity()).toBe(true);
  const { messages, errors } = decoder.read();
  expect(errors).toEqual([]);
  return messages as Record<string, Record<string, unknown>[]>;
}

const t = (d: unknown) => ((d as Date).getTime() - START) / 1000;

describe('workoutToFit', () => {
  it('maps both sources type names to FIT sports, and an unknown type to generic', () => {
    expect(fitSport('indoor_swimming')).toEqual(['swimming', 'lapSwimming']);
    expect(fitSport('treadmill')).toEqual(['running', 'treadmill']);
    expect(fitSport('indoor_cycling')).toEqual(['cycling', 'indoorCycling']);
    expect(fitSport('OUTDOOR_RUN')).toEqual(['running', 'generic']);
    expect(fitSport('TRAILRUN')).toEqual(['running', 'trail']);
    expect(fitSport('ELLIPTICL')).toEqual(['fitnessEquipment', 'elliptical']);
    expect(fitSport('type_77')).toEqual(['generic', 'generic']);
    expect(fitSport(null)).toEqual(['generic', 'generic']);
  });

  it('merges overlapping pauses, cuts them to the workout and drops those without an end', () => {
    const m = decode({
      workout: workout(),
      samples: [sample(1, { heart_rate: 120 })],
      pauses: [
        { start_ts: START + 100_000, end_ts: START + 130_000 },
        { start_ts: START + 120_000, end_ts: START + 160_000 },
        { start_ts: START + 580_000, end_ts: START + 700_000 },
        { start_ts: START + 300_000, end_ts: null },
      ],
      laps: [],
    });
    const timer = m.eventMesgs?.map((e) => [e.eventType, t(e.timestamp)]);
    expect(timer).toEqual([
      ['start', 0],
      ['stopAll', 100],
      ['start', 160],
      ['stopAll', 580],
      ['start', 600],
      ['stopAll', 600],
    ]);
  });

  it('leaves out what a sample does not have, and writes cadence as strides with the half step', () => {
    const m = decode({
      workout: workout(),
      samples: [
        sample(2, { heart_rate: 131, cadence: 167 }),
        sample(3, { lat: 52.52, lon: 13.405, altitude_m: 34.6, distance_m: 4.5, speed: 2.75 }),
      ],
      pauses: [],
      laps: [],
    });
    const [first, second] = m.recordMesgs ?? [];
    expect(first).toEqual({ timestamp: new Date(START + 2000), heartRate: 131, cadence: 83, fractionalCadence: 0.5 });
    expect(second?.heartRate).toBeUndefined();
    expect(second?.cadence).toBeUndefined();
    expect(((second?.positionLat as number) * 180) / 2 ** 31).toBeCloseTo(52.52, 6);
    expect(second?.enhancedAltitude as number).toBeCloseTo(34.6, 0);
    expect(second?.distance).toBe(4.5);
    expect(second?.enhancedSpeed).toBe(2.75);
  });

  it('chains the vendor laps end to end; a lap without an end lasts its own time', () => {
    const lap = { avg_hr: null, ascent_m: null, descent_m: null, calories: null };
    const m = decode({
      workout: workout(),
      samples: [sample(10, { heart_rate: 140 }), sample(250, { heart_rate: 165 }), sample(400, { heart_rate: 150 })],
      pauses: [],
      laps: [
        { ...lap, lap_index: 0, duration_s: 290, distance_m: 1000, end_ts: START + 300_000 },
        { ...lap, lap_index: 1, duration_s: 250, distance_m: 500, end_ts: null },
      ],
    });
    const laps = m.lapMesgs ?? [];
    expect(laps.map((l) => [t(l.startTime), t(l.timestamp), l.totalTimerTime, l.totalDistance])).toEqual([
      [0, 300, 290, 1000],
      [300, 550, 250, 500],
    ]);
    expect(laps.map((l) => l.maxHeartRate)).toEqual([165, 150]);
    expect(m.sessionMesgs?.[0]).toMatchObject({ numLaps: 2, totalTimerTime: 540, totalElapsedTime: 600 });
  });

  it('gives a workout without vendor laps one lap with the session totals; no local time without an offset', () => {
    const m = decode({ workout: workout({ tz_offset_s: null }), samples: [], pauses: [], laps: [] });
    expect(m.recordMesgs ?? []).toEqual([]);
    const session = m.sessionMesgs?.[0];
    expect(session).toMatchObject({
      totalDistance: 1500,
      totalCalories: 120,
      avgHeartRate: 151,
      maxHeartRate: 171,
      minHeartRate: 101,
      totalCycles: 750,
      totalFractionalCycles: 0.5,
      avgCadence: 83,
      avgFractionalCadence: 0.5,
      enhancedAvgSpeed: 2.778, // 1500 m / 540 s, at FIT's resolution of 1 mm/s
    });
    expect(m.lapMesgs).toHaveLength(1);
    expect(m.lapMesgs?.[0]).toMatchObject({ lapTrigger: 'sessionEnd', totalDistance: 1500, totalTimerTime: 540 });
    expect(m.activityMesgs?.[0]?.localTimestamp).toBeUndefined();
  });
});
