// The plumbing every `zepp-lake export` format shares: the user-facing error, where output goes, SQL filters,
// opening the lake (local or the bucket's tables/), writing a file, and finding workouts by trackid.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { GpxWorkout } from '../core/gpx.ts';
import { queryableLakeDir, type Runtime } from '../runtime/local.ts';
import { type LakeDb, openLakeDb } from '../stores/duckdb-query.ts';
import { dateOption, userIdOption } from './option-parsers.ts';
import { createProgress, type ProgressSink } from './progress.ts';

/** A user-facing failure: one line on stderr that says what to do next, exit status 2. */
export class ExportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExportError';
  }
}

/** Where an export writes besides its files; the CLI passes the process's streams, tests their own. */
export interface ExportIo {
  /** Data for `--out -`. */
  writeStdout(text: string): boolean;
  /** Waits until stdout can take more (after writeStdout returned false). */
  drainStdout(): Promise<void>;
  /** A line of text or the JSON summary on stdout. */
  say(line: string): void;
  /** Where progress goes (lambdas/cli/progress.ts: bars on a terminal, a few plain lines otherwise). */
  progressStream?: NodeJS.WriteStream;
  /** Whether stdout is a terminal (no progress while CSV data goes to the same screen). */
  stdoutIsTTY?: boolean;
}

export const processIo: ExportIo = {
  writeStdout: (text) => process.stdout.write(text),
  drainStdout: () => new Promise((r) => process.stdout.once('drain', r)),
  say: (line) => console.log(line),
  progressStream: process.stderr,
  get stdoutIsTTY() {
    return process.stdout.isTTY;
  },
};

// ---------------------------------------------------------------- small parts

export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export function checkRange(from: string | undefined, to: string | undefined): void {
  if (from && to && from > to) throw new ExportError(`--from ${from} is after --to ${to}: swap them`);
}

/** `local_date` bounds and the user as SQL conditions. */
export function filters(opts: { user?: string; from?: string; to?: string }): string[] {
  const where: string[] = [];
  if (opts.user) where.push(`user_id = ${sqlString(opts.user)}`);
  if (opts.from) where.push(`local_date >= DATE ${sqlString(opts.from)}`);
  if (opts.to) where.push(`local_date <= DATE ${sqlString(opts.to)}`);
  return where;
}

/** Progress on stderr: `--quiet` silences it, `--json` makes it JSON lines (stdout keeps the summary). */
export function exportProgress(opts: { quiet?: boolean; json?: boolean }, io: ExportIo): ProgressSink {
  return createProgress({ quiet: opts.quiet, json: opts.json, verb: 'export', stream: io.progressStream });
}

export const whereClause = (conditions: readonly string[]) =>
  conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';

/** Rows of one table for some workouts of one user and month, grouped by trackid. */
export async function rowsByTrack<T>(
  db: LakeDb,
  sql: { select: string; table: string; orderBy: string },
  where: { userId: string; month: string; trackids: readonly number[] },
  map: (r: Record<string, unknown>) => T,
): Promise<Map<number, T[]>> {
  const rows = await db.query(
    `SELECT trackid, ${sql.select} FROM zepp_lake.${sql.table}` +
      whereClause([
        `month = ${sqlString(where.month)}`,
        `user_id = ${sqlString(where.userId)}`,
        `trackid IN (${where.trackids.join(', ')})`,
      ]) +
      ` ORDER BY trackid, ${sql.orderBy}`,
  );
  const out = new Map<number, T[]>();
  for (const r of rows) {
    const id = Number(r.trackid);
    const list = out.get(id) ?? [];
    if (list.length === 0) out.set(id, list);
    list.push(map(r));
  }
  return out;
}

/** Opens the lake for reading; with `--backend aws` the bucket's tables/ are mirrored to a local folder first. */
export async function openExportLake(rt: Pick<Runtime, 'lakeDir' | 'queryDir' | 'store'>): Promise<LakeDb> {
  return openLakeDb(await queryableLakeDir(rt));
}

/** Writes a whole file (text, or the bytes of a FIT file), making its folder. */
export async function writeTextFile(path: string, text: string | Uint8Array): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ExportError(`cannot write ${path} (${code}): choose another --out/--out-dir`, { cause: err });
  }
}

/** What `export gpx` and `export fit` take alike: one workout by trackid, or every one of a date range. */
export interface WorkoutFileOptions {
  workout?: string;
  user?: string;
  from?: string;
  to?: string;
  /** One workout: the file (`-` for stdout where the format allows it). */
  out?: string;
  outDir?: string;
  quiet?: boolean;
  json?: boolean;
}

export type GpxExportOptions = WorkoutFileOptions;

/** Adds the options of a per-workout file export (`ext`: gpx, fit) to its command. */
export function addWorkoutFileOptions(cmd: Command, o: { ext: string; outHelp: string; jsonHelp: string }): Command {
  return cmd
    .option('--workout <trackid>', 'one workout, by trackid')
    .option('--user <id>', 'only this user', userIdOption)
    .option('--from <date>', 'first local date (YYYY-MM-DD) of a range', dateOption)
    .option('--to <date>', 'last local date (YYYY-MM-DD) of a range', dateOption)
    .option('--out <file>', o.outHelp)
    .option('--out-dir <dir>', `a range: the folder for one <user>_<date>_<trackid>.${o.ext} per workout`)
    .option('--quiet', 'no progress and no text (errors still go to stderr)')
    .option('--json', o.jsonHelp);
}

/** The options every export takes, typed: which rows (user, dates), where to (out) and how loud (quiet, json). */
export function commonExportOptions(o: Record<string, unknown>): Omit<WorkoutFileOptions, 'workout' | 'outDir'> {
  return {
    user: o.user as string | undefined,
    from: o.from as string | undefined,
    to: o.to as string | undefined,
    out: o.out as string | undefined,
    quiet: Boolean(o.quiet),
    json: Boolean(o.json),
  };
}

/** The parsed options of a per-workout file export, typed. */
export function workoutFileOptions(o: Record<string, unknown>): WorkoutFileOptions {
  return {
    ...commonExportOptions(o),
    workout: o.workout as string | undefined,
    outDir: o.outDir as string | undefined,
  };
}

export interface WorkoutRow extends GpxWorkout {
  local_date: string;
}

export const WORKOUT_COLUMNS =
  'user_id, local_date, trackid, workout_type, workout_type_name, epoch_ms(start_ts) AS start_ts';
export const LIST_WORKOUTS_HINT = 'list the workouts with: zepp-lake query --name workouts_with_hr_zones';

export function toWorkout(r: Record<string, unknown>): WorkoutRow {
  return {
    user_id: String(r.user_id),
    local_date: String(r.local_date),
    trackid: Number(r.trackid),
    workout_type: r.workout_type === null ? null : Number(r.workout_type),
    workout_type_name: r.workout_type_name === null ? null : String(r.workout_type_name),
    start_ts: Number(r.start_ts),
  };
}

export async function findWorkout(db: LakeDb, trackidText: string, user: string | undefined, lake: string) {
  if (!/^\d{1,19}$/.test(trackidText)) {
    throw new ExportError(
      `--workout takes a trackid (the workout's start in epoch seconds), got "${trackidText}"; ${LIST_WORKOUTS_HINT}`,
    );
  }
  const rows = await db.query(
    `SELECT ${WORKOUT_COLUMNS} FROM zepp_lake.workout` +
      whereClause([`trackid = ${trackidText}`, ...filters({ user })]) +
      ' ORDER BY user_id',
  );
  if (rows.length === 0) {
    const who = user ? ` of user ${user}` : '';
    throw new ExportError(`no workout with trackid ${trackidText}${who} in the lake at ${lake}; ${LIST_WORKOUTS_HINT}`);
  }
  if (rows.length > 1) {
    const users = rows.map((r) => String(r.user_id)).join(', ');
    throw new ExportError(`trackid ${trackidText} is a workout of several users (${users}): pass --user ID`);
  }
  return toWorkout(rows[0] as Record<string, unknown>);
}

/** Runs `fn` on the lake of `rt` (the wiring's lakeRuntimeOf: `--table` names a lake table here). */
export async function withLake<T>(rt: Runtime, fn: (db: LakeDb, lake: string) => Promise<T>): Promise<T> {
  let db: LakeDb;
  try {
    db = await openExportLake(rt);
  } catch (err) {
    throw new ExportError(`cannot read the lake at ${rt.lakeDir}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return await fn(db, rt.lakeDir);
  } finally {
    db.close();
  }
}

/** What a `--from/--to` export writes into: the folder and the workouts of the range, oldest first. */
export interface WorkoutRange<W> {
  outDir: string;
  workouts: W[];
  /** `2026-10-01 to 2026-10-31`, for the messages. */
  range: string;
}

/**
 * The workouts of a `--from/--to` export (GPX and FIT alike): the range and `--out-dir` checked, then one query
 * with the format's columns, each row made the format's workout by `toOne`.
 */
export async function workoutsInRange<W>(
  db: LakeDb,
  opts: { from?: string; to?: string; user?: string; out?: string; outDir?: string },
  select: { columns: string; toOne: (row: Record<string, unknown>) => W },
): Promise<WorkoutRange<W>> {
  const { from, to } = opts;
  if (!from && !to)
    throw new ExportError('say which workouts: --workout TRACKID, or --from DATE --to DATE (YYYY-MM-DD)');
  if (opts.out !== undefined)
    throw new ExportError('a range writes one file per workout: pass --out-dir DIR instead of --out');
  if (!opts.outDir) throw new ExportError('a range writes one file per workout: pass --out-dir DIR');
  const rows = await db.query(
    `SELECT ${select.columns} FROM zepp_lake.workout${whereClause(filters({ user: opts.user, from, to }))}` +
      ' ORDER BY start_ts, user_id',
  );
  return {
    outDir: resolve(opts.outDir),
    workouts: rows.map((r) => select.toOne(r as Record<string, unknown>)),
    range: `${from ?? 'the first day'} to ${to ?? 'the last day'}`,
  };
}
