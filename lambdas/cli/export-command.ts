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

import type { Command } from 'commander';
import { TABLE_NAMES } from '../core/schema-registry.ts';
import {
  addWorkoutFileOptions,
  commonExportOptions,
  ExportError,
  processIo,
  withLake,
  workoutFileOptions,
} from './export-common.ts';
import { exportCsv } from './export-csv.ts';
import { exportGpx } from './export-gpx.ts';
import { dateOption, userIdOption } from './option-parsers.ts';
import type { CliWiring } from './wiring.ts';

type Opts = Record<string, unknown>;

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
        exportCsv(db, { table, ...commonExportOptions(o), rawCells: Boolean(o.rawCells) }, io),
      );
    });

  return exp;
}
