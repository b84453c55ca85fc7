// `zepp-lake export gpx|csv` through the real command line, on a lake synced from the simulator: every GPX file
// validates (xmllint-wasm, GPX 1.1 + TrackPointExtension), holds exactly the lake's GPS samples with their heart
// rates in time order; CSV has DuckDB's rows and parses back to them; mistakes exit 2 saying what to do.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { TABLE_NAMES, TABLES } from '../../lambdas/core/schema-registry.ts';
import { addDays } from '../../lambdas/core/time.ts';
import { openAwsRuntime } from '../../lambdas/runtime/local.ts';
import { type LakeDb, openLakeDb } from '../../lambdas/stores/duckdb-query.ts';
import { demoUsers, type Simulator, startSimulator } from '../../sim/index.ts';
import { createAwsClients, createTestBucket } from '../support/aws-clients.ts';
import { runCli } from '../support/cli.ts';
import { parseCsv } from '../support/csv-parse.ts';
import { FAST_HTTP, loginAll, tempRuntime, walk } from '../support/local-lake.ts';
import { GPX_WITH_EXTENSIONS_XSD, xmllint, xmllintFile } from '../support/xmllint.ts';

const TODAY = '2026-11-20';
const clock = () => Date.parse(`${TODAY}T18:00:00Z`);
const FIRST = addDays(TODAY, -60);

type Rt = Awaited<ReturnType<typeof tempRuntime>>;

interface SampleRow {
  ts: number;
  lat: number | null;
  lon: number | null;
  altitude_m: number | null;
  heart_rate: number | null;
}

interface ParsedPoint {
  lat: number;
  lon: number;
  ele: number | null;
  time: string;
  hr: number | null;
}

function parseGpx(xml: string): ParsedPoint[] {
  return [...xml.matchAll(/<trkpt lat="([^"]+)" lon="([^"]+)">([\s\S]*?)<\/trkpt>/g)].map((m) => {
    const body = m[3] ?? '';
    const ele = /<ele>([^<]+)<\/ele>/.exec(body)?.[1];
    const hr = /<gpxtpx:hr>([^<]+)<\/gpxtpx:hr>/.exec(body)?.[1];
    return {
      lat: Number(m[1]),
      lon: Number(m[2]),
      ele: ele === undefined ? null : Number(ele),
      time: /<time>([^<]+)<\/time>/.exec(body)?.[1] ?? '',
      hr: hr === undefined ? null : Number(hr),
    };
  });
}

/** The heart rate a position should carry, found the slow and obvious way: own, else nearest within 5 s. */
function expectedHr(point: SampleRow, all: readonly SampleRow[]): number | null {
  if (point.heart_rate !== null) return point.heart_rate;
  let best: SampleRow | undefined;
  for (const s of all) {
    if (s.heart_rate === null) continue;
    const d = Math.abs(s.ts - point.ts);
    if (d > 5000) continue;
    const bestD = best ? Math.abs(best.ts - point.ts) : Number.POSITIVE_INFINITY;
    if (d < bestD || (d === bestD && best && s.ts < best.ts)) best = s;
  }
  return best?.heart_rate ?? null;
}

describe('export command', () => {
  let sim: Simulator;
  let rt: Rt;
  let out: string;
  let db: LakeDb;
  // bob's shape, two months: a few GPS workouts, indoor ones and a pool swim (no GPS at all).
  const bob = { ...demoUsers(TODAY).find((u) => u.name === 'bob')!, firstDate: FIRST };
  bob.devices = bob.devices.map((d) => ({ ...d, from: FIRST }));
  bob.swimDates = [addDays(TODAY, -33)];

  let gpsWorkouts: { trackid: number; local_date: string }[];
  let noGpsWorkouts: { trackid: number; local_date: string }[];

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [bob], loginThrottle: false });
    rt = await tempRuntime();
    out = await mkdtemp(join(tmpdir(), 'zepp-lake-export-'));
    await loginAll(rt, sim);
    // Only what export reads: the workouts stream fills `workout` and `workout_sample`.
    const [report] = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP, streams: 'workouts' });
    expect(report?.errors).toEqual([]);
    db = await openLakeDb(rt.lakeDir);
    const workouts = await db.query(
      `SELECT w.trackid, CAST(w.local_date AS VARCHAR) AS local_date,
              (SELECT count(*) FROM zepp_lake.workout_sample s
                WHERE s.trackid = w.trackid AND s.lat IS NOT NULL AND s.lon IS NOT NULL) AS gps
       FROM zepp_lake.workout w ORDER BY w.trackid`,
    );
    const pick = (r: Record<string, unknown>) => ({ trackid: Number(r.trackid), local_date: String(r.local_date) });
    gpsWorkouts = workouts.filter((w) => Number(w.gps) > 0).map(pick);
    noGpsWorkouts = workouts.filter((w) => Number(w.gps) === 0).map(pick);
    expect(gpsWorkouts.length).toBeGreaterThanOrEqual(3);
    expect(noGpsWorkouts.length).toBeGreaterThanOrEqual(1);
  }, 300_000);

  afterAll(async () => {
    db?.close();
    await rt?.cleanup();
    await rm(out, { recursive: true, force: true });
    await sim?.close();
  });

  async function samplesOf(trackid: number): Promise<SampleRow[]> {
    return (await db.query(
      `SELECT epoch_ms(ts) AS ts, lat, lon, altitude_m, heart_rate FROM zepp_lake.workout_sample
       WHERE trackid = ${trackid} ORDER BY ts`,
    )) as unknown as SampleRow[];
  }

  /** Points whose own sample had no heart rate but got one from a neighbouring second. */
  let joinedHr = 0;

  /** Validates one GPX file and checks it against the lake's samples of its workout. */
  async function checkGpxFile(path: string, trackid: number): Promise<number> {
    const lint = await xmllintFile(GPX_WITH_EXTENSIONS_XSD, path);
    expect(lint.ok, `${path}: ${lint.output}`).toBe(true);
    const points = parseGpx(await readFile(path, 'utf8'));
    const samples = await samplesOf(trackid);
    const gps = samples.filter((s) => s.lat !== null && s.lon !== null);
    const withHr = samples.filter((s) => s.heart_rate !== null);
    expect(points).toHaveLength(gps.length);
    const times = points.map((p) => Date.parse(p.time));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1] as number);
    points.forEach((p, i) => {
      const s = gps[i] as SampleRow;
      expect(Date.parse(p.time)).toBe(s.ts);
      expect(p.lat).toBeCloseTo(s.lat as number, 7);
      expect(p.lon).toBeCloseTo(s.lon as number, 7);
      expect(p.ele === null ? null : p.ele).toBe(s.altitude_m === null ? null : Math.round(s.altitude_m * 100) / 100);
      expect(p.hr, `hr at ${p.time}`).toBe(expectedHr(s, withHr));
      if (s.heart_rate === null && p.hr !== null) joinedHr++;
    });
    expect(points.filter((p) => p.hr !== null).length).toBeGreaterThan(points.length / 2);
    return points.length;
  }

  it('exports one workout as a GPX file that validates and holds every GPS sample with its heart rate', async () => {
    const w = gpsWorkouts[0]!;
    const file = join(out, 'one.gpx');
    const r = await runCli(rt, ['export', 'gpx', '--workout', String(w.trackid), '--out', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${file}`);
    const points = await checkGpxFile(file, w.trackid);
    expect(r.stdout).toContain(`(${points} track points`);
  }, 60_000);

  it('exports every workout with GPS in a date range, one file each, and skips the ones without', async () => {
    const dir = join(out, 'range');
    const r = await runCli(rt, ['export', 'gpx', '--from', FIRST, '--to', TODAY, '--out-dir', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as {
      written: { path: string; trackid: number; user_id: string; local_date: string; points: number }[];
      skipped: { trackid: number; reason: string }[];
    };
    expect(summary.written.map((f) => f.trackid)).toEqual(gpsWorkouts.map((w) => w.trackid));
    expect(summary.skipped.map((s) => s.trackid)).toEqual(noGpsWorkouts.map((w) => w.trackid));
    expect(summary.skipped[0]?.reason).toMatch(/no GPS/);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(gpsWorkouts.map((w) => `${bob.userId}_${w.local_date}_${w.trackid}.gpx`).sort());
    joinedHr = 0;
    for (const f of summary.written) expect(await checkGpxFile(f.path, f.trackid)).toBe(f.points);
    // GPS and heart rate are sampled in different seconds: the join by time is what gives most points an HR.
    expect(joinedHr).toBeGreaterThan(0);
  }, 120_000);

  it('shows progress on stderr unless --quiet, and prints text without --json', async () => {
    const loud = await runCli(rt, ['export', 'gpx', '--from', FIRST, '--to', TODAY, '--out-dir', join(out, 'loud')]);
    expect(loud.code, loud.stderr).toBe(0);
    const total = gpsWorkouts.length + noGpsWorkouts.length;
    expect(loud.stderr).toContain(`export gpx: ${total}/${total} workouts`);
    expect(loud.stdout).toContain(`wrote ${gpsWorkouts.length} GPX files`);
    expect(loud.stdout).toMatch(/skipped workout \d+ of user \d+ .*no GPS/);
    const quiet = await runCli(rt, [
      'export',
      'gpx',
      '--from',
      FIRST,
      '--to',
      TODAY,
      '--out-dir',
      join(out, 'q'),
      '--quiet',
    ]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toBe('');
  }, 120_000);

  it('writes the GPX to stdout with --out -', async () => {
    const w = gpsWorkouts[1]!;
    const r = await runCli(rt, ['export', 'gpx', '--workout', String(w.trackid), '--out', '-']);
    const written = r.stdout;
    expect(r.code, r.stderr).toBe(0);
    const lint = await xmllint(GPX_WITH_EXTENSIONS_XSD, written);
    expect(lint.ok, lint.output).toBe(true);
    expect(parseGpx(written).length).toBe((await samplesOf(w.trackid)).filter((s) => s.lat !== null).length);
  }, 60_000);

  it('refuses a workout without GPS, an unknown trackid and a missing range with exit 2 and what to do', async () => {
    const swim = noGpsWorkouts[0]!;
    const noGps = await runCli(rt, ['export', 'gpx', '--workout', String(swim.trackid), '--out', join(out, 'x.gpx')]);
    expect(noGps.code).toBe(2);
    expect(noGps.stderr).toContain(`workout ${swim.trackid}`);
    expect(noGps.stderr).toMatch(/no GPS positions/);
    expect(noGps.stderr).toContain('zepp-lake export csv --table workout_sample');

    const unknown = await runCli(rt, ['export', 'gpx', '--workout', '123456789']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no workout with trackid 123456789');
    expect(unknown.stderr).toContain('zepp-lake query --name workouts');

    const bad = await runCli(rt, ['export', 'gpx', '--workout', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('trackid');

    const nothing = await runCli(rt, ['export', 'gpx']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('--workout TRACKID, or --from DATE --to DATE');

    const noDir = await runCli(rt, ['export', 'gpx', '--from', FIRST, '--to', TODAY]);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain('--out-dir');

    const badDate = await runCli(rt, ['export', 'gpx', '--from', '2026-02-30', '--to', TODAY, '--out-dir', out]);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain("option '--from <date>' argument '2026-02-30' is invalid");
  }, 60_000);

  it('exports a table as CSV with the same rows as DuckDB, which parse back to the same values', async () => {
    const file = join(out, 'workout.csv');
    const r = await runCli(rt, ['export', 'csv', '--table', 'workout', '--out', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { rows: number; table: string };
    const def = TABLES.workout;
    const expected = await db.query(
      `SELECT ${def.columns.map((c) => (c.type === 'timestamp' ? `epoch_ms(${c.name}) AS ${c.name}` : c.name)).join(', ')}
       FROM zepp_lake.workout ORDER BY user_id, trackid`,
    );
    expect(summary).toMatchObject({ table: 'workout', rows: expected.length });
    const [header, ...records] = parseCsv(await readFile(file, 'utf8'));
    expect(header?.map((f) => f.text)).toEqual(def.columns.map((c) => c.name));
    expect(records).toHaveLength(expected.length);
    const back = records.map((fields) =>
      Object.fromEntries(
        def.columns.map((c, i) => {
          const f = fields[i]!;
          if (f.text === '' && !f.quoted) return [c.name, null];
          if (c.type === 'timestamp') return [c.name, Date.parse(f.text)];
          if (c.type === 'int' || c.type === 'bigint' || c.type === 'double') return [c.name, Number(f.text)];
          return [c.name, f.text];
        }),
      ),
    );
    expect(back).toEqual(expected);
  }, 60_000);

  it('exports samples of a date range and a user to CSV with the row count DuckDB finds', async () => {
    const from = addDays(TODAY, -30);
    const file = join(out, 'samples.csv');
    const r = await runCli(rt, [
      'export',
      'csv',
      'workout_sample',
      '--user',
      bob.userId,
      '--from',
      from,
      '--to',
      TODAY,
      '--out',
      file,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const [{ n }] = (await db.query(
      `SELECT count(*) AS n FROM zepp_lake.workout_sample WHERE user_id = '${bob.userId}' AND local_date >= DATE '${from}'`,
    )) as [{ n: number }];
    expect(n).toBeGreaterThan(100);
    expect(r.stdout).toContain(`wrote ${n} rows of workout_sample`);
    const records = parseCsv(await readFile(file, 'utf8'));
    expect(records.length - 1).toBe(n);
    expect(r.stderr).toContain(`export csv workout_sample: ${n}/${n} rows`);
  }, 60_000);

  it('refuses an unknown table with exit 2, listing the tables', async () => {
    const r = await runCli(rt, ['export', 'csv', '--table', 'workouts', '--out', join(out, 'x.csv')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown table "workouts"');
    for (const t of TABLE_NAMES) expect(r.stderr).toContain(t);
    const none = await runCli(rt, ['export', 'csv']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--table NAME');
  }, 60_000);

  it('with --backend aws mirrors the bucket first and exports the same, needing no state table', async () => {
    const aws = createAwsClients();
    const savedTable = process.env.ZEPP_LAKE_STATE_TABLE;
    delete process.env.ZEPP_LAKE_STATE_TABLE;
    try {
      const bucket = await createTestBucket(aws.s3);
      const home = join(out, 'aws-home');
      const s3 = openAwsRuntime({ bucket, table: 'not-used', home });
      for (const f of await walk(join(rt.lakeDir, 'tables'))) {
        await s3.store.put(relative(rt.lakeDir, f).split(sep).join('/'), new Uint8Array(await readFile(f)));
      }
      const aRt = { lakeDir: rt.lakeDir, homeDir: home };
      const csv = await runCli(aRt, [
        '--backend',
        'aws',
        '--bucket',
        bucket,
        'export',
        'csv',
        '--table',
        'workout',
        '--out',
        join(out, 'aws.csv'),
        '--json',
      ]);
      expect(csv.code, csv.stderr).toBe(0);
      expect(JSON.parse(csv.stdout)).toMatchObject({ rows: gpsWorkouts.length + noGpsWorkouts.length });
      const w = gpsWorkouts[2]!;
      const file = join(out, 'aws.gpx');
      const gpx = await runCli(aRt, [
        '--backend',
        'aws',
        '--bucket',
        bucket,
        'export',
        'gpx',
        '--workout',
        String(w.trackid),
        '--out',
        file,
      ]);
      expect(gpx.code, gpx.stderr).toBe(0);
      await checkGpxFile(file, w.trackid);
    } finally {
      if (savedTable !== undefined) process.env.ZEPP_LAKE_STATE_TABLE = savedTable;
      aws.destroy();
    }
  }, 120_000);
});
