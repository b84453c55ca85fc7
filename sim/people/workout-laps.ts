// Laps and auto pauses of a simulated app-API workout, in the vendor's documented formats (reference §4.2):
//   lap   `index,run_time,distance,geohash,avg_hr,offset_s,altitude,ascend,descend` (+10 fields in the 19-field form:
//         avgPace,maxPace,ascendDistance,avgStrokeSpeed,strokeTime,strokeEfficiency,calorie,avgFrequency,avgCadence,
//         type), avg_hr -1 = none, altitude in metres with -2000000 = none, offset_s = elapsed time to the lap's end;
//   pause `start_epoch_s,duration_s,start_gps_index,end_gps_index,type` (2 manual, 3 auto).
// Runs and rides lap every kilometre, pool swims every 100 m (19-field form), other workouts have no laps. Rides
// stop at one or two traffic lights (auto pauses). Drawn from their own seeded stream, so adding them changed no
// other value of the model.

import type { Rng } from './rng.ts';
import type { DetailSeries } from './workouts.ts';

export interface SimPause {
  /** epoch s */
  start: number;
  duration: number;
  startIndex: number;
  endIndex: number;
  type: number;
}

export interface SimLap {
  index: number;
  runTimeS: number;
  distanceM: number;
  geohash: string;
  /** -1 = none, as sent */
  avgHr: number;
  offsetS: number;
  /** metres; -2000000 = none, as sent */
  altitudeM: number;
  ascendM: number;
  descendM: number;
  /** the 10 extra fields of the 19-field form (swims), in the vendor's order */
  extended: number[] | null;
}

const LAP_METRES: Readonly<Record<number, number>> = { 1: 1000, 9: 1000, 14: 100 };
const SWIM = 14;
const RIDE = 9;
const NO_ALTITUDE = -2_000_000;
const GEOHASH_ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

const gpsIndexAt = (detail: DetailSeries, t: number) =>
  Math.max(
    0,
    detail.gps.findIndex((p) => p.t >= t),
  );

/** A ride's auto pauses (type 3), in time order; none for other workouts. */
export function autoPauses(detail: DetailSeries, type: number, durationS: number, rng: Rng): SimPause[] {
  if (type !== RIDE) return [];
  const t0 = detail.trackid;
  const windows = rng.chance(0.5) ? [[0.25, 0.45] as const, [0.6, 0.8] as const] : [[0.3, 0.7] as const];
  return windows.map(([lo, hi]) => {
    const start = t0 + rng.int(Math.floor(durationS * lo), Math.floor(durationS * hi));
    const duration = rng.int(8, 60);
    return {
      start,
      duration,
      startIndex: gpsIndexAt(detail, start),
      endIndex: gpsIndexAt(detail, start + duration),
      type: 3,
    };
  });
}

function pausedWithin(pauses: readonly SimPause[], from: number, to: number): number {
  let s = 0;
  for (const p of pauses) s += Math.max(0, Math.min(to, p.start + p.duration) - Math.max(from, p.start));
  return s;
}

/** Lap ends: [t, cumulative metres] where the distance first reaches each multiple of the lap length, then the end. */
function lapEnds(detail: DetailSeries, lapM: number, endS: number): [number, number][] {
  const ends: [number, number][] = [];
  let next = lapM;
  for (const d of detail.distance) {
    if (d.meters >= next) {
      ends.push([d.t, d.meters]);
      while (next <= d.meters) next += lapM;
    }
  }
  const total = detail.distance.at(-1)?.meters ?? 0;
  const last = ends.at(-1)?.[1] ?? 0;
  if (total > last) ends.push([endS, total]);
  return ends;
}

function altitudeStats(detail: DetailSeries, from: number, to: number) {
  let up = 0;
  let down = 0;
  let prev: number | null = null;
  let last: number | null = null;
  for (const p of detail.gps) {
    if (p.t > to || p.altitudeCm === null) continue;
    if (p.t > from && prev !== null) {
      if (p.altitudeCm > prev) up += p.altitudeCm - prev;
      else down += prev - p.altitudeCm;
    }
    prev = p.altitudeCm;
    if (p.t > from) last = p.altitudeCm;
  }
  return {
    altitudeM: last === null ? NO_ALTITUDE : Math.round(last / 100),
    ascendM: Math.round(up / 100),
    descendM: Math.round(down / 100),
  };
}

function geohash(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 12; i++) s += GEOHASH_ALPHABET[rng.int(0, 31)];
  return s;
}

/** The workout's laps (none for walks, treadmill and other workouts). */
export function lapsOf(detail: DetailSeries, type: number, endS: number, rng: Rng): SimLap[] {
  const lapM = LAP_METRES[type];
  if (lapM === undefined) return [];
  const t0 = detail.trackid;
  let from = t0;
  let fromM = 0;
  return lapEnds(detail, lapM, endS).map(([to, metres], index) => {
    const hrs = detail.heartRate.filter((h) => h.t > from && h.t <= to && h.hr > 0).map((h) => h.hr);
    const runTimeS = to - from - pausedWithin(detail.pauses, from, to);
    const distanceM = metres - fromM;
    const lap: SimLap = {
      index,
      runTimeS,
      distanceM,
      geohash: geohash(rng),
      avgHr: hrs.length ? Math.round(hrs.reduce((a, b) => a + b, 0) / hrs.length) : -1,
      offsetS: to - t0,
      ...altitudeStats(detail, from, to),
      extended: null,
    };
    if (type === SWIM) {
      const pace = Number((runTimeS / distanceM).toFixed(3));
      lap.extended = [pace, Number((pace * 0.9).toFixed(3)), 0, rng.int(20, 35), rng.int(14, 30), rng.int(50, 90)];
      lap.extended.push(rng.int(8, 20), 0, 0, 1);
    }
    from = to;
    fromM = metres;
    return lap;
  });
}

/** The `lap` series: `index,run_time,...;` per lap with the vendor's trailing separator, '' for none. */
export function encodeLaps(laps: readonly SimLap[]): string {
  return laps
    .map((l) => {
      const fields = [
        l.index,
        l.runTimeS,
        l.distanceM,
        l.geohash,
        l.avgHr,
        l.offsetS,
        l.altitudeM,
        l.ascendM,
        l.descendM,
      ];
      return `${[...fields, ...(l.extended ?? [])].join(',')};`;
    })
    .join('');
}
