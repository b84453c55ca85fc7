// `zepp-lake export fit` through the real command line, on a lake synced from the simulator: every workout with
// samples (runs and rides with laps and pauses, walks, a pool swim, indoor workouts) becomes a FIT file that Garmin's
// own Decoder reads with no error, holding the lake's samples as records (count, first and last time, heart rates,
// distances), its laps and pauses, and the workout row's totals; mistakes exit 2 saying what to do.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { Decoder, Stream } from '@garmin/fitsdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { addDays } from '../../lambdas/core/time.ts';
import { openAwsRuntime } from '../../lambdas/runtime/local.ts';
import { type LakeDb, openLakeDb } from '../../lambdas/stores/duckdb-query.ts';
import { demoUsers, type Simulator, startSimulator } from '../../sim/index.ts';
import { createAwsClients, createTestBucket } from '../support/aws-clients.ts';
import { runCli } from '../support/cli.ts';
import { FAST_HTTP, loginAll, tempRuntime, walk } from '../support/local-lake.ts';

const TODAY = '2026-11-20';
const clock = () => Date.parse(`${TODAY}T18:00:00Z`);
const FIRST = addDays(TODAY, -60);
/** 1989-12-31T00:00:00Z, FIT's epoch, in Unix seconds. */
const FIT_EPOCH_S = 631_065_600;

type Rt = Awaited<ReturnType<typeof tempRuntime>>;
type Msg = Record<string, unknown>;
type LakeRow = Record<string, unknown>;

interface Decoded {
  records: Msg[];
  laps: Msg[];
  sessions: Msg[];
  events: Msg[];
  activities: Msg[];
  fileIds: Msg[];
}

/** Garmin's Decoder on the file: it must be a FIT file, pass the integrity check (sizes, CRC) and read cleanly. */
async function decodeFit(path: string): Promise<Decoded> {
  const bytes = await readFile(path);
  const stream = Stream.fromBuffer(bytes);
  expect(Decoder.isFIT(stream), `${path} is FIT`).toBe(true);
  const decoder = new Decoder(stream);
  expect(decoder.checkIntegrity(), `${path} integrity`).toBe(true);
  const { messages, errors } = decoder.read();
  expect(errors, path).toEqual([]);
  const m = messages as Record<string, Msg[] | undefined>;
  return {
    records: m.recordMesgs ?? [],
    laps: m.lapMesgs ?? [],
    sessions: m.sessionMesgs ?? [],
    events: m.eventMesgs ?? [],
    activities: m.activityMesgs ?? [],
    fileIds: m.fileIdMesgs ?? [],
  };
}

const ms = (d: unknown) => (d as Date).getTime();
const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));

describe('export fit', () => {
  let sim: Simulator;
  let rt: Rt;
  let out: string;
  let db: LakeDb;
  // bob's shape over two months: runs and rides with laps (rides also pause), walks, indoor workouts, a pool swim.
  const bob = { ...demoUsers(TODAY).find((u) => u.name === 'bob')!, firstDate: FIRST };
  bob.devices = bob.devices.map((d) => ({ ...d, from: FIRST }));
  bob.swimDates = [addDays(TODAY, -33)];
  let workouts: LakeRow[];

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [bob], loginThrottle: false });
    rt = await tempRuntime();
    out = await mkdtemp(join(tmpdir(), 'zepp-lake-fit-'));
    await loginAll(rt, sim);
    // band too: its daily summaries carry the UTC offset the workouts are placed with
    const [report] = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP, streams: 'band,workouts' });
    expect(report?.errors).toEqual([]);
    db = await openLakeDb(rt.lakeDir);
    workouts = await db.query(
      `SELECT w.*, epoch_ms(w.start_ts) AS start_ms, epoch_ms(w.end_ts) AS end_ms,
              CAST(w.local_date AS VARCHAR) AS day,
              (SELECT count(*) FROM zepp_lake.workout_sample s WHERE s.trackid = w.trackid) AS samples,
              (SELECT count(*) FROM zepp_lake.workout_sample s WHERE s.trackid = w.trackid AND s.lat IS NOT NULL) AS gps,
              (SELECT count(*) FROM zepp_lake.workout_lap l WHERE l.trackid = w.trackid) AS laps,
              (SELECT count(*) FROM zepp_lake.workout_pause p WHERE p.trackid = w.trackid) AS pauses
       FROM zepp_lake.workout w ORDER BY w.trackid`,
    );
    const has = (pred: (w: LakeRow) => boolean) => workouts.some(pred);
    // The range holds every kind this test is about (the simulator's seed is fixed, so this is a check of the setup).
    expect(has((w) => w.workout_type_name === 'indoor_swimming' && Number(w.gps) === 0)).toBe(true);
    expect(has((w) => ['treadmill', 'other'].includes(String(w.workout_type_name)) && Number(w.gps) === 0)).toBe(true);
    expect(has((w) => Number(w.laps) > 1)).toBe(true);
    expect(has((w) => Number(w.laps) === 0)).toBe(true);
    expect(has((w) => Number(w.pauses) > 0)).toBe(true);
    expect(workouts.every((w) => Number(w.samples) > 0)).toBe(true);
  }, 300_000);

  afterAll(async () => {
    db?.close();
    await rt?.cleanup();
    await rm(out, { recursive: true, force: true });
    await sim?.close();
  });

  /** Checks one FIT file against the lake rows of its workout; returns what was compared. */
  async function checkFitFile(path: string, w: LakeRow): Promise<Decoded> {
    const fit = await decodeFit(path);
    const trackid = Number(w.trackid);
    const samples = await db.query(
      `SELECT epoch_ms(ts) AS ts, lat, lon, heart_rate, distance_m, cadence FROM zepp_lake.workout_sample
       WHERE trackid = ${trackid} ORDER BY ts`,
    );
    // records: one per lake sample, same seconds, same heart rates and distances, positions where the lake has them
    expect(fit.records).toHaveLength(samples.length);
    expect(ms(fit.records[0]?.timestamp)).toBe(Number(samples[0]?.ts));
    expect(ms(fit.records.at(-1)?.timestamp)).toBe(Number(samples.at(-1)?.ts));
    expect(fit.records.map((r) => ms(r.timestamp))).toEqual(samples.map((s) => Number(s.ts)));
    expect(fit.records.map((r) => n(r.heartRate))).toEqual(samples.map((s) => n(s.heart_rate)));
    fit.records.forEach((r, i) => {
      const s = samples[i] as LakeRow;
      if (s.distance_m === null) expect(r.distance).toBeUndefined();
      else expect(r.distance as number).toBeCloseTo(Number(s.distance_m), 2);
      if (s.lat === null) expect(r.positionLat).toBeUndefined();
      else expect(((r.positionLat as number) * 180) / 2 ** 31).toBeCloseTo(Number(s.lat), 6);
      if (s.cadence !== null)
        expect((r.cadence as number) * 2 + (r.fractionalCadence as number) * 2).toBe(Number(s.cadence));
    });

    // session: the workout row's totals
    expect(fit.sessions).toHaveLength(1);
    const session = fit.sessions[0] as Msg;
    expect(ms(session.startTime)).toBe(Number(w.start_ms));
    expect(ms(session.timestamp)).toBe(Number(w.end_ms));
    expect(session.totalElapsedTime).toBe((Number(w.end_ms) - Number(w.start_ms)) / 1000);
    expect(session.totalTimerTime).toBe(Number(w.duration_s));
    expect(session.totalDistance as number).toBeCloseTo(Number(w.distance_m), 2);
    expect(session.totalCalories).toBe(Math.round(Number(w.calories)));
    expect(n(session.avgHeartRate)).toBe(w.avg_hr === null ? null : Math.round(Number(w.avg_hr)));
    expect(n(session.maxHeartRate)).toBe(n(w.max_hr));
    expect(n(session.minHeartRate)).toBe(n(w.min_hr));
    expect(session.numLaps).toBe(fit.laps.length);

    // laps: the watch's, else one for the whole workout with the session's totals
    const laps = await db.query(
      `SELECT lap_index, duration_s, distance_m, avg_hr, epoch_ms(end_ts) AS end_ms FROM zepp_lake.workout_lap
       WHERE trackid = ${trackid} ORDER BY lap_index`,
    );
    if (laps.length === 0) {
      expect(fit.laps).toHaveLength(1);
      expect(fit.laps[0]).toMatchObject({
        totalTimerTime: session.totalTimerTime,
        totalDistance: session.totalDistance,
        lapTrigger: 'sessionEnd',
      });
    } else {
      expect(fit.laps.map((l) => l.totalTimerTime)).toEqual(laps.map((l) => Number(l.duration_s)));
      expect(fit.laps.map((l) => ms(l.timestamp))).toEqual(laps.map((l) => Number(l.end_ms)));
      expect(fit.laps.map((l) => n(l.avgHeartRate))).toEqual(laps.map((l) => n(l.avg_hr)));
      for (const [i, l] of fit.laps.entries())
        expect(l.totalDistance as number).toBeCloseTo(Number(laps[i]?.distance_m), 2);
      expect(ms(fit.laps[0]?.startTime)).toBe(Number(w.start_ms));
    }

    // timer events: start, a stop and a start around each pause, stop at the end
    const pauses = await db.query(
      `SELECT epoch_ms(start_ts) AS s, epoch_ms(end_ts) AS e FROM zepp_lake.workout_pause
       WHERE trackid = ${trackid} ORDER BY start_ts`,
    );
    const timer = fit.events.filter((e) => e.event === 'timer').map((e) => [e.eventType, ms(e.timestamp)]);
    expect(timer).toEqual([
      ['start', Number(w.start_ms)],
      ...pauses.flatMap((p) => [
        ['stopAll', Number(p.s)],
        ['start', Number(p.e)],
      ]),
      ['stopAll', Number(w.end_ms)],
    ]);

    // the local time offset, so platforms show the hour it happened (local_timestamp: FIT seconds, local time)
    const activity = fit.activities[0] as Msg;
    expect(w.tz_offset_s).not.toBeNull();
    expect((activity.localTimestamp as number) - (ms(activity.timestamp) / 1000 - FIT_EPOCH_S)).toBe(
      Number(w.tz_offset_s),
    );
    expect(fit.fileIds[0]).toMatchObject({ type: 'activity' });
    return fit;
  }

  it('exports every workout with samples in a range: each decodes cleanly and matches the lake', async () => {
    const dir = join(out, 'range');
    const r = await runCli(rt, ['export', 'fit', '--from', FIRST, '--to', TODAY, '--out-dir', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as {
      written: {
        path: string;
        trackid: number;
        sport: string;
        sub_sport: string;
        records: number;
        laps_from_vendor: boolean;
      }[];
    };
    expect(summary.written.map((f) => f.trackid)).toEqual(workouts.map((w) => Number(w.trackid)));
    expect((await readdir(dir)).sort()).toEqual(
      workouts.map((w) => `${bob.userId}_${String(w.day)}_${Number(w.trackid)}.fit`).sort(),
    );
    for (const f of summary.written) {
      const w = workouts.find((x) => Number(x.trackid) === f.trackid) as LakeRow;
      const fit = await checkFitFile(f.path, w);
      expect(f.records).toBe(fit.records.length);
      expect(f.laps_from_vendor).toBe(Number(w.laps) > 0);
      expect(fit.sessions[0]).toMatchObject({ sport: f.sport, subSport: f.sub_sport });
    }
    // The swim and the indoor workouts have no track, yet carry distance and laps (and heart rate where measured).
    const swim = summary.written.find((f) => f.sub_sport === 'lapSwimming');
    expect(swim?.laps_from_vendor).toBe(true);
    expect(summary.written.find((f) => f.sub_sport === 'treadmill' || f.sport === 'generic')).toBeDefined();
    const indoor = workouts.find((w) => w.workout_type_name === 'treadmill' || w.workout_type_name === 'other');
    const indoorFit = await decodeFit(summary.written.find((f) => f.trackid === Number(indoor?.trackid))!.path);
    expect(indoorFit.records.some((x) => x.heartRate !== undefined)).toBe(true);
    expect(indoorFit.records.some((x) => x.distance !== undefined)).toBe(true);
    expect(indoorFit.records.every((x) => x.positionLat === undefined)).toBe(true);
  }, 180_000);

  it('exports one workout by trackid, named like the GPX files, and says what it wrote', async () => {
    const w = workouts.find((x) => Number(x.pauses) > 0 && Number(x.laps) > 0) ?? workouts[0]!;
    const file = join(out, 'one.fit');
    const r = await runCli(rt, ['export', 'fit', '--workout', String(w.trackid), '--out', file]);
    expect(r.code, r.stderr).toBe(0);
    const fit = await checkFitFile(file, w);
    expect(r.stdout).toContain(`wrote ${file} (${fit.records.length} records, ${fit.laps.length} laps`);

    const walkLike = workouts.find((x) => Number(x.laps) === 0)!;
    const dir = join(out, 'default-name');
    const d = await runCli(rt, ['export', 'fit', '--workout', String(walkLike.trackid), '--out-dir', dir]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain('one lap for the whole workout (the watch recorded none)');
    expect(await readdir(dir)).toEqual([`${bob.userId}_${String(walkLike.day)}_${Number(walkLike.trackid)}.fit`]);
  }, 60_000);

  it('refuses a missing or unknown trackid and a bad range with exit 2 and what to do; an empty range exports nothing', async () => {
    const unknown = await runCli(rt, ['export', 'fit', '--workout', '123456789']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no workout with trackid 123456789');
    expect(unknown.stderr).toContain('zepp-lake query --name workouts');

    const bad = await runCli(rt, ['export', 'fit', '--workout', 'last-sunday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--workout takes a trackid');

    const nothing = await runCli(rt, ['export', 'fit']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('--workout TRACKID, or --from DATE --to DATE');

    const swapped = await runCli(rt, ['export', 'fit', '--from', TODAY, '--to', FIRST, '--out-dir', out]);
    expect(swapped.code).toBe(2);
    expect(swapped.stderr).toContain(`--from ${TODAY} is after --to ${FIRST}`);

    const noDir = await runCli(rt, ['export', 'fit', '--from', FIRST, '--to', TODAY]);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain('--out-dir');

    const toStdout = await runCli(rt, ['export', 'fit', '--workout', String(workouts[0]?.trackid), '--out', '-']);
    expect(toStdout.code).toBe(2);
    expect(toStdout.stderr).toContain('binary');

    const before = addDays(FIRST, -30);
    const empty = await runCli(rt, [
      'export',
      'fit',
      '--from',
      before,
      '--to',
      addDays(FIRST, -1),
      '--out-dir',
      join(out, 'e'),
    ]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain(`nothing to export: no workouts from ${before}`);
  }, 60_000);

  it('with --backend aws reads the bucket and writes the same file', async () => {
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
      const w = workouts.find((x) => Number(x.laps) > 0)!;
      const local = join(out, 'local.fit');
      const remote = join(out, 'aws.fit');
      expect((await runCli(rt, ['export', 'fit', '--workout', String(w.trackid), '--out', local])).code).toBe(0);
      const r = await runCli({ lakeDir: rt.lakeDir, homeDir: home }, [
        '--backend',
        'aws',
        '--bucket',
        bucket,
        'export',
        'fit',
        '--workout',
        String(w.trackid),
        '--out',
        remote,
      ]);
      expect(r.code, r.stderr).toBe(0);
      await checkFitFile(remote, w);
      expect(await readFile(remote)).toEqual(await readFile(local));
    } finally {
      if (savedTable !== undefined) process.env.ZEPP_LAKE_STATE_TABLE = savedTable;
      aws.destroy();
    }
  }, 120_000);
});
