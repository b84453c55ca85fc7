// `zepp-lake export fit`: workouts as FIT activity files (lambdas/core/fit.ts, Garmin's FIT SDK) from the lake's
// workout, workout_sample, workout_pause and workout_lap rows, read with DuckDB, local or `--backend aws` (the same
// plumbing as `export gpx` in export-common.ts).
//
//   export fit --workout TRACKID [--user ID] [--out FILE]        one workout (default ./<user>_<date>_<trackid>.fit)
//   export fit --from DATE --to DATE [--user ID] --out-dir DIR   every workout whose local date is in the range
//   common: --quiet (no progress, no text), --json (a summary object on stdout instead of text)
//
// Every workout exports, GPS or not: swims and indoor workouts carry heart rate, distance and laps without a
// track. A workout the watch recorded no laps for gets one lap for the whole workout (the summary says so).

import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  type FitActivity,
  type FitLap,
  type FitPause,
  type FitSample,
  type FitWorkout,
  fitFileName,
  workoutToFit,
} from '../core/fit.ts';
import type { LakeDb } from '../stores/duckdb-query.ts';
import {
  addWorkoutFileOptions,
  checkRange,
  ExportError,
  type ExportIo,
  exportProgress,
  findWorkout,
  processIo,
  rowsByTrack,
  sqlString,
  type WorkoutFileOptions,
  whereClause,
  withLake,
  workoutFileOptions,
  workoutsInRange,
  writeTextFile,
} from './export-common.ts';
import type { CliWiring } from './wiring.ts';

export type FitExportOptions = WorkoutFileOptions;

export interface FitWritten {
  path: string;
  user_id: string;
  trackid: number;
  local_date: string;
  workout_type_name: string | null;
  sport: string;
  sub_sport: string;
  records: number;
  laps: number;
  /** false: the watch recorded no laps, the file has one lap for the whole workout */
  laps_from_vendor: boolean;
}

export interface FitExportSummary {
  format: 'fit';
  written: FitWritten[];
}

const LIST_WORKOUTS_HINT = 'list the workouts with: zepp-lake query --name workouts_with_hr_zones';
const WORKOUT_SELECT =
  'user_id, CAST(local_date AS VARCHAR) AS local_date, tz_offset_s, trackid, workout_type, workout_type_name,' +
  ' epoch_ms(start_ts) AS start_ts, epoch_ms(end_ts) AS end_ts, duration_s, distance_m, calories, total_steps,' +
  ' avg_hr, max_hr, min_hr, avg_cadence, ascent_m, descent_m, device_id';

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toFitWorkout(r: Record<string, unknown>): FitWorkout {
  return {
    user_id: String(r.user_id),
    local_date: String(r.local_date),
    tz_offset_s: num(r.tz_offset_s),
    trackid: Number(r.trackid),
    workout_type: num(r.workout_type),
    workout_type_name: text(r.workout_type_name),
    start_ts: Number(r.start_ts),
    end_ts: num(r.end_ts),
    duration_s: num(r.duration_s),
    distance_m: num(r.distance_m),
    calories: num(r.calories),
    total_steps: num(r.total_steps),
    avg_hr: num(r.avg_hr),
    max_hr: num(r.max_hr),
    min_hr: num(r.min_hr),
    avg_cadence: num(r.avg_cadence),
    ascent_m: num(r.ascent_m),
    descent_m: num(r.descent_m),
    device_id: text(r.device_id),
  };
}

/** Everything a FIT file needs for some workouts of one user and month (pauses and laps live with their workout). */
async function activitiesOf(db: LakeDb, workouts: readonly FitWorkout[]): Promise<FitActivity[]> {
  const first = workouts[0] as FitWorkout;
  const where = {
    userId: first.user_id,
    month: first.local_date.slice(0, 7),
    trackids: workouts.map((w) => w.trackid),
  };
  const samples = await rowsByTrack<FitSample>(
    db,
    {
      table: 'workout_sample',
      select: 'epoch_ms(ts) AS ts, lat, lon, altitude_m, heart_rate, distance_m, cadence, speed',
      orderBy: 'ts',
    },
    where,
    (r) => ({
      ts: Number(r.ts),
      lat: num(r.lat),
      lon: num(r.lon),
      altitude_m: num(r.altitude_m),
      heart_rate: num(r.heart_rate),
      distance_m: num(r.distance_m),
      cadence: num(r.cadence),
      speed: num(r.speed),
    }),
  );
  const pauses = await rowsByTrack<FitPause>(
    db,
    { table: 'workout_pause', select: 'epoch_ms(start_ts) AS s, epoch_ms(end_ts) AS e', orderBy: 'pause_index' },
    where,
    (r) => ({ start_ts: Number(r.s), end_ts: num(r.e) }),
  );
  const laps = await rowsByTrack<FitLap>(
    db,
    {
      table: 'workout_lap',
      select: 'lap_index, duration_s, distance_m, avg_hr, epoch_ms(end_ts) AS e, ascent_m, descent_m, calories',
      orderBy: 'lap_index',
    },
    where,
    (r) => ({
      lap_index: Number(r.lap_index),
      duration_s: num(r.duration_s),
      distance_m: num(r.distance_m),
      avg_hr: num(r.avg_hr),
      end_ts: num(r.e),
      ascent_m: num(r.ascent_m),
      descent_m: num(r.descent_m),
      calories: num(r.calories),
    }),
  );
  return workouts.map((w) => ({
    workout: w,
    samples: samples.get(w.trackid) ?? [],
    pauses: pauses.get(w.trackid) ?? [],
    laps: laps.get(w.trackid) ?? [],
  }));
}

async function writeFit(a: FitActivity, path: string): Promise<FitWritten> {
  const file = workoutToFit(a);
  await writeTextFile(path, file.bytes);
  const w = a.workout;
  return {
    path,
    user_id: w.user_id,
    trackid: w.trackid,
    local_date: w.local_date,
    workout_type_name: w.workout_type_name,
    sport: file.sport,
    sub_sport: file.subSport,
    records: file.records,
    laps: file.laps,
    laps_from_vendor: file.lapsFromVendor,
  };
}

function describe(f: FitWritten): string {
  const laps = f.laps_from_vendor
    ? `${f.laps} lap${f.laps === 1 ? '' : 's'}`
    : 'one lap for the whole workout (the watch recorded none)';
  const records = f.records === 0 ? 'no samples: totals only' : `${f.records} records`;
  return `${records}, ${laps}, ${f.sport}/${f.sub_sport}`;
}

async function exportOne(db: LakeDb, opts: FitExportOptions, lake: string, say: (line: string) => void) {
  if (opts.from || opts.to) throw new ExportError('give --workout TRACKID or --from/--to DATE, not both');
  if (opts.out === '-') throw new ExportError('a FIT file is binary: pass --out FILE (or leave --out out)');
  const found = await findWorkout(db, opts.workout as string, opts.user, lake);
  const rows = await db.query(
    `SELECT ${WORKOUT_SELECT} FROM zepp_lake.workout` +
      whereClause([`trackid = ${found.trackid}`, `user_id = ${sqlString(found.user_id)}`]),
  );
  const [activity] = await activitiesOf(db, [toFitWorkout(rows[0] as Record<string, unknown>)]);
  const w = (activity as FitActivity).workout;
  const path = resolve(opts.out ?? join(opts.outDir ?? '.', fitFileName(w.user_id, w.local_date, w.trackid)));
  const written = await writeFit(activity as FitActivity, path);
  say(`wrote ${path} (${describe(written)})`);
  return written;
}

async function exportRange(db: LakeDb, opts: FitExportOptions, io: ExportIo, say: (line: string) => void) {
  const { outDir, workouts, range } = await workoutsInRange(db, opts, { columns: WORKOUT_SELECT, toOne: toFitWorkout });
  const written: FitWritten[] = [];
  if (workouts.length === 0) {
    say(
      `nothing to export: no workouts from ${range}${opts.user ? ` for user ${opts.user}` : ''}; ${LIST_WORKOUTS_HINT}`,
    );
    return written;
  }
  // One read per (user, month): bounded memory, and DuckDB reads each month object once.
  const groups = new Map<string, FitWorkout[]>();
  for (const w of workouts) {
    const key = `${w.user_id}\u0001${w.local_date.slice(0, 7)}`;
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  const progress = exportProgress(opts, io);
  progress.update({ stream: 'fit', done: 0, total: workouts.length, label: 'workouts' });
  try {
    for (const group of groups.values()) {
      for (const a of await activitiesOf(db, group)) {
        const w = a.workout;
        written.push(await writeFit(a, join(outDir, fitFileName(w.user_id, w.local_date, w.trackid))));
        progress.update({ stream: 'fit', done: written.length, total: workouts.length, label: 'workouts' });
      }
    }
  } finally {
    progress.stop();
  }
  written.sort((a, b) => a.trackid - b.trackid || a.user_id.localeCompare(b.user_id));
  const single = written.filter((f) => !f.laps_from_vendor).length;
  say(
    `wrote ${written.length} FIT file${written.length === 1 ? '' : 's'} to ${outDir} (${range}; ` +
      `${single} with one lap for the whole workout because the watch recorded none)`,
  );
  return written;
}

/** Exports FIT files; returns what it wrote. */
export async function exportFit(
  db: LakeDb,
  opts: FitExportOptions,
  io: ExportIo,
  lake = 'the lake',
): Promise<FitExportSummary> {
  checkRange(opts.from, opts.to);
  const say = (line: string) => {
    if (!opts.quiet && !opts.json) io.say(line);
  };
  const summary: FitExportSummary = { format: 'fit', written: [] };
  if (opts.workout !== undefined) summary.written.push(await exportOne(db, opts, lake, say));
  else summary.written = await exportRange(db, opts, io, say);
  if (opts.json) io.say(JSON.stringify(summary));
  return summary;
}

/** Adds `fit` under `zepp-lake export`. */
export function registerExportFitCommand(exp: Command, wiring: CliWiring): Command {
  const io = processIo;
  return addWorkoutFileOptions(
    exp
      .command('fit')
      .description(
        'workouts as FIT activity files (records, laps, pauses, totals) for Garmin Connect, Strava, intervals.icu...',
      ),
    {
      ext: 'fit',
      outHelp: 'one workout: the file (default ./<user>_<date>_<trackid>.fit)',
      jsonHelp: 'print a summary object (files written, records, laps) instead of text',
    },
  ).action(async (o: Record<string, unknown>, cmd: Command) => {
    await withLake(wiring.lakeRuntimeOf(cmd), (db, lake) => exportFit(db, workoutFileOptions(o), io, lake));
  });
}
