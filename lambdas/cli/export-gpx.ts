// `zepp-lake export gpx`: workouts with GPS as GPX 1.1 files (position, elevation, time, heart rate), one by
// trackid or every one of a date range.

import { join, resolve } from 'node:path';
import { type GpxSample, gpxFileName, trackPoints, workoutToGpx } from '../core/gpx.ts';
import type { LakeDb } from '../stores/duckdb-query.ts';
import {
  checkRange,
  ExportError,
  type ExportIo,
  exportProgress,
  findWorkout,
  type GpxExportOptions,
  LIST_WORKOUTS_HINT,
  rowsByTrack,
  toWorkout,
  WORKOUT_COLUMNS,
  type WorkoutRow,
  workoutsInRange,
  writeTextFile,
} from './export-common.ts';

export interface GpxWritten {
  path: string;
  user_id: string;
  trackid: number;
  local_date: string;
  workout_type_name: string | null;
  points: number;
  points_with_hr: number;
}

export interface GpxSkipped {
  user_id: string;
  trackid: number;
  local_date: string;
  workout_type_name: string | null;
  reason: string;
}

export interface GpxExportSummary {
  format: 'gpx';
  written: GpxWritten[];
  skipped: GpxSkipped[];
}

const NO_GPS = 'no GPS positions (an indoor or pool workout, or the watch had no fix)';

function toSample(r: Record<string, unknown>): GpxSample {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    ts: Number(r.ts),
    lat: num(r.lat),
    lon: num(r.lon),
    altitude_m: num(r.altitude_m),
    heart_rate: num(r.heart_rate),
  };
}

async function samplesOf(db: LakeDb, userId: string, month: string, trackids: readonly number[]) {
  return rowsByTrack(
    db,
    { select: 'epoch_ms(ts) AS ts, lat, lon, altitude_m, heart_rate', table: 'workout_sample', orderBy: 'ts' },
    { userId, month, trackids },
    toSample,
  );
}

/** What the GPX export steps share: the lake, the options, where output goes, and the summary being built. */
interface GpxRun {
  db: LakeDb;
  opts: GpxExportOptions;
  io: ExportIo;
  summary: GpxExportSummary;
  /** A line of text, unless `--quiet` or `--json`. */
  text: (line: string) => void;
}

/** Exports GPX files; returns what it wrote and skipped. */
export async function exportGpx(
  db: LakeDb,
  opts: GpxExportOptions,
  io: ExportIo,
  lake = 'the lake',
): Promise<GpxExportSummary> {
  checkRange(opts.from, opts.to);
  const run: GpxRun = {
    db,
    opts,
    io,
    summary: { format: 'gpx', written: [], skipped: [] },
    text: (line) => {
      if (!opts.quiet && !opts.json) io.say(line);
    },
  };
  if (opts.workout !== undefined) await exportOneGpx(run, opts.workout, lake);
  else await exportGpxRange(run);
  if (opts.json) io.say(JSON.stringify(run.summary));
  return run.summary;
}

/** `--workout TRACKID`: its file, or stdout with `--out -`. */
async function exportOneGpx({ db, opts, io, summary, text }: GpxRun, trackid: string, lake: string): Promise<void> {
  if (opts.from || opts.to) throw new ExportError('give --workout TRACKID or --from/--to DATE, not both');
  if (opts.out === '-' && opts.json)
    throw new ExportError('--out - writes the GPX to stdout: drop --json or write to a file');
  const w = await findWorkout(db, trackid, opts.user, lake);
  const samples = (await samplesOf(db, w.user_id, w.local_date.slice(0, 7), [w.trackid])).get(w.trackid) ?? [];
  const points = trackPoints(samples);
  if (points.length === 0) {
    throw new ExportError(
      `workout ${w.trackid} of user ${w.user_id} (${w.workout_type_name ?? 'workout'}, ${w.local_date}) has ${NO_GPS}, so there is no track to write; ` +
        `its samples as CSV: zepp-lake export csv --table workout_sample --user ${w.user_id} --from ${w.local_date} --to ${w.local_date}`,
    );
  }
  const gpx = workoutToGpx(w, samples);
  const written: GpxWritten = {
    path:
      opts.out === '-'
        ? '-'
        : resolve(opts.out ?? join(opts.outDir ?? '.', gpxFileName(w.user_id, w.local_date, w.trackid))),
    user_id: w.user_id,
    trackid: w.trackid,
    local_date: w.local_date,
    workout_type_name: w.workout_type_name ?? null,
    points: points.length,
    points_with_hr: points.filter((p) => p.hr !== null).length,
  };
  if (written.path === '-') {
    if (!io.writeStdout(gpx)) await io.drainStdout();
  } else {
    await writeTextFile(written.path, gpx);
    text(`wrote ${written.path} (${written.points} track points, ${written.points_with_hr} with heart rate)`);
  }
  summary.written.push(written);
}

/** `--from/--to`: one file per workout with GPS into `--out-dir`, the others skipped and said so. */
async function exportGpxRange(run: GpxRun): Promise<void> {
  const { db, opts, summary, text } = run;
  const { outDir, workouts, range } = await workoutsInRange(db, opts, { columns: WORKOUT_COLUMNS, toOne: toWorkout });
  if (workouts.length === 0) {
    text(`no workouts from ${range}${opts.user ? ` for user ${opts.user}` : ''}; ${LIST_WORKOUTS_HINT}`);
    return;
  }
  await writeGpxFiles(run, workouts, outDir);
  // Chronological again: the files were written grouped by user and month.
  summary.written.sort((a, b) => a.trackid - b.trackid || a.user_id.localeCompare(b.user_id));
  summary.skipped.sort((a, b) => a.trackid - b.trackid || a.user_id.localeCompare(b.user_id));
  for (const s of summary.skipped) {
    text(
      `skipped workout ${s.trackid} of user ${s.user_id} (${s.workout_type_name ?? 'workout'}, ${s.local_date}): ${s.reason}`,
    );
  }
  text(
    `wrote ${summary.written.length} GPX file${summary.written.length === 1 ? '' : 's'} to ${outDir} ` +
      `(${range}; ${summary.skipped.length} workout${summary.skipped.length === 1 ? '' : 's'} without GPS skipped)`,
  );
}

/** The files of a range, with progress; the summary gets each file written or workout skipped. */
async function writeGpxFiles({ db, opts, io, summary }: GpxRun, workouts: WorkoutRow[], outDir: string) {
  // One samples query per (user, month): bounded memory, and DuckDB reads each month object once.
  const groups = new Map<string, WorkoutRow[]>();
  for (const w of workouts) {
    const key = `${w.user_id}\u0001${w.local_date.slice(0, 7)}`;
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  const progress = exportProgress(opts, io);
  let done = 0;
  progress.update({ stream: 'gpx', done, total: workouts.length, label: 'workouts' });
  try {
    for (const group of groups.values()) {
      const first = group[0] as WorkoutRow;
      const samples = await samplesOf(
        db,
        first.user_id,
        first.local_date.slice(0, 7),
        group.map((w) => w.trackid),
      );
      for (const w of group) {
        const own = samples.get(w.trackid) ?? [];
        const points = trackPoints(own);
        const base = {
          user_id: w.user_id,
          trackid: w.trackid,
          local_date: w.local_date,
          workout_type_name: w.workout_type_name ?? null,
        };
        if (points.length === 0) {
          summary.skipped.push({ ...base, reason: NO_GPS });
        } else {
          const path = join(outDir, gpxFileName(w.user_id, w.local_date, w.trackid));
          await writeTextFile(path, workoutToGpx(w, own));
          summary.written.push({
            ...base,
            path,
            points: points.length,
            points_with_hr: points.filter((p) => p.hr !== null).length,
          });
        }
        progress.update({ stream: 'gpx', done: ++done, total: workouts.length, label: 'workouts' });
      }
    }
  } finally {
    progress.stop();
  }
}
