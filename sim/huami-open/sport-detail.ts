// The huami-open `sportDetail` answer of a run: the documented `;`-separated series (reference §2.4 and the
// OFFICIAL_DOC fixture), each entry a delta from the previous one, with the vendor's trailing separator.

import type { WorkoutModel } from './model.ts';
import { encodeLapPace, encodeOpenPauses } from './segments.ts';

/** `a;b;c;` with the vendor's trailing separator. */
const joinEntries = (entries: string[]) => (entries.length ? `${entries.join(';')};` : '');
/** Pair-series time delta: empty means one second. */
const pairDelta = (dt: number) => (dt === 1 ? '' : String(dt));

/** samplingTime (s from the previous fix), latitudeLongitude (1e-8 degree deltas) and altitude (cm, -2000000 none). */
function gpsColumns(w: WorkoutModel): { samplingTime: string; latitudeLongitude: string; altitude: string } {
  let t = w.trackId;
  let lat = 0;
  let lon = 0;
  const times: string[] = [];
  const coords: string[] = [];
  const alts: string[] = [];
  for (const p of w.gps) {
    times.push(String(p.t - t));
    t = p.t;
    coords.push(`${p.latE8 - lat},${p.lonE8 - lon}`);
    lat = p.latE8;
    lon = p.lonE8;
    alts.push(String(p.altCm ?? -2_000_000));
  }
  return { samplingTime: joinEntries(times), latitudeLongitude: joinEntries(coords), altitude: joinEntries(alts) };
}

/** A `dt,dv;` pair series of a cumulative value, both deltas from the previous entry (the first from the start). */
function cumulative(w: WorkoutModel, samples: { t: number; v: number }[]): string {
  let ct = w.trackId;
  let cv = 0;
  return joinEntries(
    samples.map((s) => {
      const e = `${pairDelta(s.t - ct)},${s.v - cv}`;
      ct = s.t;
      cv = s.v;
      return e;
    }),
  );
}

/** `dt,steps delta,stride,cadence;` */
function gaitColumn(w: WorkoutModel): string {
  let gt = w.trackId;
  let gs = 0;
  return joinEntries(
    w.gait.map((g) => {
      const e = `${pairDelta(g.t - gt)},${g.steps - gs},${g.stride},${g.cadence}`;
      gt = g.t;
      gs = g.steps;
      return e;
    }),
  );
}

/** `dt,m/s;`, every other entry written with a space after the comma, as the doc's example is. */
function speedColumn(w: WorkoutModel): string {
  let st = w.trackId;
  return joinEntries(
    w.speed.map((s, i) => {
      const dt = pairDelta(s.t - st);
      st = s.t;
      return i % 2 ? `${dt}, ${(s.centi / 100).toFixed(2)}` : `${dt},${(s.centi / 100).toFixed(2)}`;
    }),
  );
}

export function encodeSportDetail(w: WorkoutModel, device: string): Record<string, string | number> {
  const { samplingTime, latitudeLongitude, altitude } = gpsColumns(w);
  return {
    trackId: String(w.trackId),
    startTime: w.trackId,
    device,
    samplingTime,
    latitudeLongitude,
    altitude,
    accuracy: joinEntries(w.gps.map(() => '0')),
    distance: cumulative(
      w,
      w.distanceSeries.map((s) => ({ t: s.t, v: s.m })),
    ),
    pace: joinEntries(w.gps.map(() => (w.averagePace > 0 ? (1 / w.averagePace).toFixed(2) : '0.00'))),
    gait: gaitColumn(w),
    speed: speedColumn(w),
    pause: encodeOpenPauses(w.segments.pauses),
    heartRate: cumulative(
      w,
      w.hr.map((s) => ({ t: s.t, v: s.hr })),
    ),
    kilometerPace: '',
    milePace: '',
    lapPace: encodeLapPace(w.segments.laps),
  };
}
