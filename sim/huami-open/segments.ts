// Pauses and laps of a simulated official-API (huami-open) run, in the api-doc's sportDetail formats:
//   pause   `pause start time, pause end time interpolation, pause start index, pause stop index, pause type;`
//           (type 2 manual; written with a space after each comma, as the doc's example is)
//   lapPace `lap index, cost time (s), distance (m), geohash, average heart rate, interpolation with start time (s),
//           absolute altitude (m), altitude raise (m), altitude increase (m);` (the documented 9 fields), a lap
//           per kilometre and the rest.
// The ground-truth rows say what each documented field means in the lake; no decoder is called.

import type { Row } from '../../lambdas/core/schema-registry.ts';

export interface OpenSegmentInput {
  trackId: number;
  sportTime: number;
  gps: { t: number; altCm: number | null }[];
  hr: { t: number; hr: number }[];
  distanceSeries: { t: number; m: number }[];
}

export interface OpenPause {
  start: number;
  duration: number;
  startIndex: number;
  endIndex: number;
}

export interface OpenLap {
  index: number;
  costS: number;
  distanceM: number;
  geohash: string;
  avgHr: number;
  offsetS: number;
  altitudeM: number;
  raiseM: number;
  dropM: number;
}

export interface OpenSegments {
  pauses: OpenPause[];
  laps: OpenLap[];
}

type Draw = { next(): number; int(lo: number, hi: number): number };

const indexAt = (w: OpenSegmentInput, t: number) =>
  Math.max(
    0,
    w.gps.findIndex((p) => p.t >= t),
  );

/** Half the runs have one manual pause in the middle third; every run laps each kilometre. */
export function openSegments(w: OpenSegmentInput, r: Draw): OpenSegments {
  const pauses: OpenPause[] = [];
  if (r.next() < 0.5) {
    const start = w.trackId + r.int(Math.floor(w.sportTime / 3), Math.floor((2 * w.sportTime) / 3));
    const duration = r.int(5, 90);
    pauses.push({ start, duration, startIndex: indexAt(w, start), endIndex: indexAt(w, start + duration) });
  }
  const ends: [number, number][] = [];
  let next = 1000;
  for (const d of w.distanceSeries) {
    if (d.m >= next) {
      ends.push([d.t, d.m]);
      while (next <= d.m) next += 1000;
    }
  }
  const total = w.distanceSeries.at(-1)?.m ?? 0;
  if (total > (ends.at(-1)?.[1] ?? 0)) ends.push([w.trackId + w.sportTime, total]);
  let from = w.trackId;
  let fromM = 0;
  const laps = ends.map(([to, m], index): OpenLap => {
    const hrs = w.hr.filter((h) => h.t > from && h.t <= to).map((h) => h.hr);
    const alts = w.gps.filter((p) => p.t > from && p.t <= to && p.altCm !== null).map((p) => p.altCm as number);
    const paused = pauses.reduce(
      (s, p) => s + Math.max(0, Math.min(to, p.start + p.duration) - Math.max(from, p.start)),
      0,
    );
    const lap: OpenLap = {
      index,
      costS: to - from - paused,
      distanceM: m - fromM,
      geohash: `wx4e${index}${r.int(1_000_000, 9_999_999)}`,
      avgHr: hrs.length ? Math.round(hrs.reduce((a, b) => a + b, 0) / hrs.length) : -1,
      offsetS: to - w.trackId,
      altitudeM: alts.length ? Math.round((alts.at(-1) as number) / 100) : -2_000_000,
      raiseM: r.int(0, 12),
      dropM: r.int(0, 12),
    };
    from = to;
    fromM = m;
    return lap;
  });
  return { pauses, laps };
}

export function encodeOpenPauses(pauses: readonly OpenPause[]): string {
  return pauses.map((p) => `${p.start}, ${p.duration}, ${p.startIndex}, ${p.endIndex}, 2;`).join('');
}

export function encodeLapPace(laps: readonly OpenLap[]): string {
  return laps
    .map(
      (l) =>
        `${[l.index, l.costS, l.distanceM, l.geohash, l.avgHr, l.offsetS, l.altitudeM, l.raiseM, l.dropM].join(',')};`,
    )
    .join('');
}

/** The rows a complete sync must hold; `base` is user_id, local_date, tz_offset_s (source is added by the caller). */
export function openSegmentRows(trackId: number, s: OpenSegments): { workout_pause: Row[]; workout_lap: Row[] } {
  return {
    workout_pause: s.pauses.map((p, i) => ({
      trackid: trackId,
      pause_index: i,
      start_ts: p.start * 1000,
      end_ts: (p.start + p.duration) * 1000,
      duration_s: p.duration,
      start_gps_index: p.startIndex,
      end_gps_index: p.endIndex,
      pause_type: 2,
    })),
    workout_lap: s.laps.map((l, i) => ({
      trackid: trackId,
      lap_index: i,
      vendor_index: l.index,
      duration_s: l.costS,
      distance_m: l.distanceM,
      geohash: l.geohash,
      avg_hr: l.avgHr === -1 ? null : l.avgHr,
      end_ts: (trackId + l.offsetS) * 1000,
      altitude_m: l.altitudeM === -2_000_000 ? null : l.altitudeM,
      ascent_m: l.raiseM,
      descent_m: l.dropM,
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
    })),
  };
}
