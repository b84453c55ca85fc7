// `zepp-lake export gpx|csv` (and `fit`, in export-fit.ts, on the same plumbing): workouts as GPX 1.1 files (position, elevation, time, heart rate) and any lake table
// as RFC 4180 CSV, read from the lake with DuckDB (the same views `query` uses).
//
//   export gpx --workout TRACKID [--user ID] [--out FILE|-]     one workout (default file: ./<user>_<date>_<trackid>.gpx)
//   export gpx --from DATE --to DATE [--user ID] --out-dir DIR  every workout with GPS whose local date is in the range
//   export csv [TABLE] --table TABLE [--user ID] [--from DATE] [--to DATE] [--out FILE|-] [--raw-cells]
//   common: --quiet (no progress, no text), --json (a summary object on stdout instead of text)
//
// `--table` is also the program's `--table` (the state table of `--backend aws`), and commander hands an option
// that both know to the program: the CSV table is therefore read from there, but only when it came from the
// command line (never from ZEPP_LAKE_STATE_TABLE). Export never touches the state table.

import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { csvWriter } from '../core/csv.ts';
import { type GpxSample, type GpxWorkout, gpxFileName, trackPoints, workoutToGpx } from '../core/gpx.ts';
import { TABLE_NAMES, TABLES, type TableName } from '../core/schema-registry.ts';
import { queryableLakeDir, type Runtime } from '../runtime/local.ts';
import { type LakeDb, openLakeDb } from '../stores/duckdb-query.ts';
import { dateOption, userIdOption } from './option-parsers.ts';
import { createProgress, type ProgressSink } from './progress.ts';
import type { CliWiring } from './wiring.ts';

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

// ---------------------------------------------------------------- GPX

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

/** The parsed options of a per-workout file export, typed. */
export function workoutFileOptions(o: Record<string, unknown>): WorkoutFileOptions {
  return {
    workout: o.workout as string | undefined,
    user: o.user as string | undefined,
    from: o.from as string | undefined,
    to: o.to as string | undefined,
    out: o.out as string | undefined,
    outDir: o.outDir as string | undefined,
    quiet: Boolean(o.quiet),
    json: Boolean(o.json),
  };
}

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

interface WorkoutRow extends GpxWorkout {
  local_date: string;
}

const WORKOUT_COLUMNS = 'user_id, local_date, trackid, workout_type, workout_type_name, epoch_ms(start_ts) AS start_ts';
const LIST_WORKOUTS_HINT = 'list the workouts with: zepp-lake query --name workouts_with_hr_zones';
const NO_GPS = 'no GPS positions (an indoor or pool workout, or the watch had no fix)';

function toWorkout(r: Record<string, unknown>): WorkoutRow {
  return {
    user_id: String(r.user_id),
    local_date: String(r.local_date),
    trackid: Number(r.trackid),
    workout_type: r.workout_type === null ? null : Number(r.workout_type),
    workout_type_name: r.workout_type_name === null ? null : String(r.workout_type_name),
    start_ts: Number(r.start_ts),
  };
}

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

/** The samples of some workouts of one user and month (samples live in their workout's start month). */
async function samplesOf(db: LakeDb, userId: string, month: string, trackids: readonly number[]) {
  const rows = await db.query(
    `SELECT trackid, epoch_ms(ts) AS ts, lat, lon, altitude_m, heart_rate FROM zepp_lake.workout_sample` +
      ` WHERE month = ${sqlString(month)} AND user_id = ${sqlString(userId)} AND trackid IN (${trackids.join(', ')})` +
      ' ORDER BY trackid, ts',
  );
  const byTrack = new Map<number, GpxSample[]>();
  for (const r of rows) {
    const id = Number(r.trackid);
    const list = byTrack.get(id) ?? [];
    if (list.length === 0) byTrack.set(id, list);
    list.push(toSample(r));
  }
  return byTrack;
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

/** Exports GPX files; returns what it wrote and skipped. */
export async function exportGpx(
  db: LakeDb,
  opts: GpxExportOptions,
  io: ExportIo,
  lake = 'the lake',
): Promise<GpxExportSummary> {
  const { from, to } = opts;
  checkRange(from, to);
  const summary: GpxExportSummary = { format: 'gpx', written: [], skipped: [] };
  const text = (line: string) => {
    if (!opts.quiet && !opts.json) io.say(line);
  };

  if (opts.workout !== undefined) {
    if (from || to) throw new ExportError('give --workout TRACKID or --from/--to DATE, not both');
    if (opts.out === '-' && opts.json)
      throw new ExportError('--out - writes the GPX to stdout: drop --json or write to a file');
    const w = await findWorkout(db, opts.workout, opts.user, lake);
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
    if (opts.json) io.say(JSON.stringify(summary));
    return summary;
  }

  if (!from && !to)
    throw new ExportError('say which workouts: --workout TRACKID, or --from DATE --to DATE (YYYY-MM-DD)');
  if (opts.out !== undefined) {
    throw new ExportError('a range writes one file per workout: pass --out-dir DIR instead of --out');
  }
  if (!opts.outDir) throw new ExportError('a range writes one file per workout: pass --out-dir DIR');
  const outDir = resolve(opts.outDir);
  const workouts = (
    await db.query(
      `SELECT ${WORKOUT_COLUMNS} FROM zepp_lake.workout${whereClause(filters({ user: opts.user, from, to }))}` +
        ' ORDER BY start_ts, user_id',
    )
  ).map(toWorkout);
  const range = `${from ?? 'the first day'} to ${to ?? 'the last day'}`;
  if (workouts.length === 0) {
    text(`no workouts from ${range}${opts.user ? ` for user ${opts.user}` : ''}; ${LIST_WORKOUTS_HINT}`);
    if (opts.json) io.say(JSON.stringify(summary));
    return summary;
  }

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
  // Chronological again: the groups above are by user and month.
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
  if (opts.json) io.say(JSON.stringify(summary));
  return summary;
}

// ---------------------------------------------------------------- CSV

export interface CsvExportOptions {
  table: string;
  user?: string;
  from?: string;
  to?: string;
  /** A file, or `-` (the default) for stdout. */
  out?: string;
  /** Cells exactly as stored, formula-like text included (default: such text gets a leading `'`). */
  rawCells?: boolean;
  quiet?: boolean;
  json?: boolean;
}

export interface CsvExportSummary {
  format: 'csv';
  table: TableName;
  out: string;
  rows: number;
}

/** A text sink with backpressure: a file, or stdout. */
interface Sink {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

async function fileSink(path: string): Promise<Sink> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (err) {
    throw new ExportError(`cannot write ${path} (${(err as NodeJS.ErrnoException).code}): choose another --out`, {
      cause: err,
    });
  }
  const stream: WriteStream = createWriteStream(path);
  let failure: Error | undefined;
  const failed = new Promise<never>((_, reject) => {
    stream.once('error', (err: NodeJS.ErrnoException) => {
      failure = new ExportError(`cannot write ${path} (${err.code ?? err.message}): choose another --out`, {
        cause: err,
      });
      reject(failure);
    });
  });
  failed.catch(() => {});
  return {
    async write(text) {
      if (failure) throw failure;
      if (!stream.write(text)) await Promise.race([new Promise<void>((r) => stream.once('drain', () => r())), failed]);
    },
    async close() {
      if (failure) throw failure;
      await Promise.race([new Promise<void>((r) => stream.end(() => r())), failed]);
    },
  };
}

function stdoutSink(io: ExportIo): Sink {
  return {
    async write(text) {
      if (!io.writeStdout(text)) await io.drainStdout();
    },
    async close() {},
  };
}

/** Rows of a table through DuckDB as CSV, one (user, month) partition at a time. */
export async function exportCsv(db: LakeDb, opts: CsvExportOptions, io: ExportIo): Promise<CsvExportSummary> {
  if (!(TABLE_NAMES as readonly string[]).includes(opts.table)) {
    throw new ExportError(`unknown table "${opts.table}"; the tables are: ${TABLE_NAMES.join(', ')}`);
  }
  const table = opts.table as TableName;
  const { from, to } = opts;
  checkRange(from, to);
  const out = opts.out ?? '-';
  if (out === '-' && opts.json)
    throw new ExportError('--out - writes the CSV to stdout: drop --json or pass --out FILE');
  const def = TABLES[table];
  const select = def.columns
    .map((c) => (c.type === 'timestamp' ? `epoch_ms(${c.name}) AS ${c.name}` : c.name))
    .join(', ');
  const where = filters({ user: opts.user, from, to });
  const total = Number(
    (await db.query(`SELECT count(*) AS n FROM zepp_lake.${table}${whereClause(where)}`))[0]?.n ?? 0,
  );
  const parts = await db.query(
    `SELECT DISTINCT user_id, month FROM zepp_lake.${table}${whereClause(where)} ORDER BY user_id, month`,
  );

  const sink = out === '-' ? stdoutSink(io) : await fileSink(resolve(out));
  const writer = csvWriter(def.columns, { rawCells: opts.rawCells });
  const progress = exportProgress({ ...opts, quiet: opts.quiet || (out === '-' && io.stdoutIsTTY) }, io);
  progress.update({ stream: `csv ${table}`, done: 0, total, label: 'rows' });
  let rows = 0;
  try {
    await sink.write(writer.header());
    for (const part of parts) {
      const batch = await db.query(
        `SELECT ${select} FROM zepp_lake.${table}` +
          whereClause([
            `user_id = ${sqlString(String(part.user_id))}`,
            `month = ${sqlString(String(part.month))}`,
            ...where,
          ]) +
          ` ORDER BY ${def.naturalKey.join(', ')}`,
      );
      // Written in slices so a month of minute rows is a few large writes, not 40 000 small ones.
      for (let i = 0; i < batch.length; i += 2000) {
        await sink.write(
          batch
            .slice(i, i + 2000)
            .map((r) => writer.record(r))
            .join(''),
        );
      }
      rows += batch.length;
      progress.update({ stream: `csv ${table}`, done: rows, total, label: 'rows' });
    }
    await sink.close();
  } finally {
    progress.stop();
  }
  const summary: CsvExportSummary = { format: 'csv', table, out: out === '-' ? '-' : resolve(out), rows };
  if (opts.json) io.say(JSON.stringify(summary));
  else if (!opts.quiet && out !== '-') io.say(`wrote ${rows} rows of ${table} to ${summary.out}`);
  return summary;
}

// ---------------------------------------------------------------- the command

type Opts = Record<string, unknown>;

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

export function registerExportCommand(program: Command, wiring: CliWiring): Command {
  const io = processIo;
  const exp = program.command('export').description('workouts as GPX or FIT files, tables as CSV');

  addWorkoutFileOptions(
    exp
      .command('gpx')
      .description(
        'workouts with GPS as GPX 1.1 (time, elevation, heart rate): one by trackid, or every one in a date range',
      ),
    {
      ext: 'gpx',
      outHelp: 'one workout: the file (- for stdout; default ./<user>_<date>_<trackid>.gpx)',
      jsonHelp: 'print a summary object (files written, skipped) instead of text',
    },
  ).action(async (o: Opts, cmd: Command) => {
    await withLake(wiring.lakeRuntimeOf(cmd), (db, lake) => exportGpx(db, workoutFileOptions(o), io, lake));
  });

  exp
    .command('csv')
    .description('one lake table as RFC 4180 CSV, columns in registry order')
    .argument('[table]', `the table (or --table): ${TABLE_NAMES.join(', ')}`)
    .addHelpText('after', '\n  --table <name>      the table, as an option')
    .option('--user <id>', 'only this user', userIdOption)
    .option('--from <date>', 'first local date (YYYY-MM-DD)', dateOption)
    .option('--to <date>', 'last local date (YYYY-MM-DD)', dateOption)
    .option('--out <file>', 'the CSV file (default - for stdout)')
    .option(
      '--raw-cells',
      "text cells exactly as stored; by default text starting with = + - @ TAB or CR gets a leading ' so a spreadsheet does not run it as a formula (numbers are never changed)",
    )
    .option('--quiet', 'no progress and no text (errors still go to stderr)')
    .option('--json', 'print a summary object (rows, file) instead of text')
    .action(async (positional: string | undefined, o: Opts, cmd: Command) => {
      const fromFlag =
        cmd.getOptionValueSourceWithGlobals('table') === 'cli' ? (cmd.optsWithGlobals().table as string) : undefined;
      const table = positional ?? fromFlag;
      if (!table) throw new ExportError(`say which table: --table NAME; the tables are: ${TABLE_NAMES.join(', ')}`);
      await withLake(wiring.lakeRuntimeOf(cmd), (db) =>
        exportCsv(
          db,
          {
            table,
            user: o.user as string | undefined,
            from: o.from as string | undefined,
            to: o.to as string | undefined,
            out: o.out as string | undefined,
            rawCells: Boolean(o.rawCells),
            quiet: Boolean(o.quiet),
            json: Boolean(o.json),
          },
          io,
        ),
      );
    });

  return exp;
}
