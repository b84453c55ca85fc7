// The README is the newcomer's path, so every command in it is run here as written: each `bash` block line by
// line (zepp-lake commands through the real command line, `export` lines as environment), each `sql` block on
// DuckDB over the lake those commands built, and `npm start` itself. What cannot run offline (the CDK deploy,
// which needs an AWS account) is listed with the test that covers the nearest thing, and an unknown line fails.

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAthenaSql } from '../../lambdas/cli/query-command.ts';
import { STREAM_TABLES } from '../../lambdas/core/ports.ts';
import { eachDay, latestDateBegun } from '../../lambdas/core/time.ts';
import type { Runtime } from '../../lambdas/runtime/local.ts';
import { demoUsers, type SimUserSpec, type Simulator, startSimulator } from '../../sim/index.ts';
import { createAwsClients, createTestBucket, createTestStateTable } from '../support/aws-clients.ts';
import { useAwsStandIns } from '../support/aws-env.ts';
import { runCli } from '../support/cli.ts';

const README = new URL('../../README.md', import.meta.url);

/** Lines that need something this machine does not have, with the test that proves the nearest thing. */
const COVERED_ELSEWHERE: Readonly<Record<string, string>> = {
  'npm test': '.ci/run',
  'npx cdk bootstrap': 'test/infra/synth.test.ts',
  'npx cdk deploy --all -c stage=prod -c alarmEmail=you@example.com': 'test/infra/synth.test.ts',
  'npx zepp-lake users add --backend aws --source huami-open --client-id <id> --listen 8765':
    'test/e2e/users-command.test.ts',
  'npx zepp-lake export fit --workout <trackid> --out run.fit': 'test/e2e/export-fit.test.ts',
  'npx zepp-lake export fit --backend aws --from 2026-01-01 --to 2026-12-31 --out-dir fit':
    'test/e2e/export-fit.test.ts',
};

interface Block {
  lang: string;
  body: string;
}

function readmeBlocks(text: string): Block[] {
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].map((m) => ({ lang: m[1] ?? '', body: m[2] ?? '' }));
}

/** Shell words of one line: single and double quotes group, nothing else is interpreted. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | null = null;
  let inWord = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unbalanced quote in README line: ${line}`);
  if (inWord) words.push(word);
  return words;
}

/** The command of a README line: comments after `  #` dropped, blank lines none. */
function commandOf(line: string): string | null {
  const command = line.replace(/\s+#\s.*$/, '').trim();
  return command === '' || command.startsWith('#') ? null : command;
}

describe('every command in the README', () => {
  const today = new Date().toISOString().slice(0, 10);
  let sim: Simulator;
  let dir: string;
  let rt: Pick<Runtime, 'lakeDir' | 'homeDir'>;
  let spec: SimUserSpec;
  let blocks: Block[];
  const aws = createAwsClients();
  const savedEnv = { ...process.env };
  const ran: string[] = [];
  const outputs = new Map<string, string>();

  beforeAll(async () => {
    useAwsStandIns();
    blocks = readmeBlocks(await readFile(README, 'utf8'));
    // The reader of the README is `you@example.com`: one simulated person from 2026-09-01 (so the README's
    // October examples have data) to today, with the demo's runner and swimmer habits.
    const bob = demoUsers(today).find((u) => u.name === 'bob')!;
    spec = {
      ...bob,
      name: 'you',
      email: 'you@example.com',
      password: 'readme-synthetic-pw',
      userId: '7000000001',
      firstDate: '2026-09-01',
      devices: bob.devices.map((d) => ({ ...d, from: '2026-09-01' })),
    };
    sim = await startSimulator({ today, users: [spec], loginThrottle: false });
    dir = await mkdtemp(join(tmpdir(), 'zepp-lake-readme-'));
    rt = { lakeDir: join(dir, 'lake'), homeDir: join(dir, 'home') };
    process.env.ZEPP_LAKE_HOST = sim.url;
    process.env.ZEPP_LAKE_PASSWORD = spec.password;
  }, 120_000);

  afterAll(async () => {
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
    Object.assign(process.env, savedEnv);
    await sim?.close();
    aws.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** One number DuckDB answers over the lake the commands built (the reference the printed output must match). */
  const lakeCount = async (sql: string) => Number((await runAthenaSql(rt.lakeDir, sql))[0]?.n);
  /** The words of a table line printed by `query` (columns are separated by two or more spaces). */
  const cells = (line: string) => line.trim().split(/\s{2,}/);
  /** What `query` prints for a result of `total` rows: header, rule, the first 200 rows, then how many more. */
  const expectQueryTable = (lines: string[], columns: string[], total: number) => {
    expect(lines[0]?.trim().split(/\s+/)).toEqual(columns);
    expect(lines[1]).toMatch(/^-+( +-+)*$/);
    if (total > 200) {
      expect(lines.slice(2, -1)).toHaveLength(200);
      expect(lines.at(-1)).toBe(`... ${total - 200} more rows`);
    } else expect(lines.slice(2)).toHaveLength(total);
  };
  /** `sync` of the README's person: per stream what the simulator's ground truth says was there to fetch. */
  const expectSyncOfYou = (lines: string[]) => {
    const truth = sim.groundTruth(spec.userId);
    // Band data is asked for through the latest date begun anywhere (UTC+14): after 10:00 UTC that is tomorrow.
    const daysAsked = eachDay(spec.firstDate, latestDateBegun(Date.now())).length;
    const stream = (name: string) => {
      const line = lines.find((l) => l.startsWith(`  ${name} `));
      const m = /^ {2}\w+ +(\d+) rows +(\d+) written +(\d+) empty +(\d+) failed$/.exec(line ?? '');
      expect(m, `${name}: ${line}`).not.toBeNull();
      return { rows: Number(m![1]), written: Number(m![2]), empty: Number(m![3]), failed: Number(m![4]) };
    };
    expect(lines[0]).toBe(`user ${spec.userId}`);
    const band = STREAM_TABLES.band.reduce((n, t) => n + (truth[t]?.length ?? 0), 0);
    const bandDays = truth.daily_summary?.length ?? 0;
    expect(stream('band')).toEqual({ rows: band, written: bandDays, empty: daysAsked - bandDays, failed: 0 });
    const workouts = truth.workout?.length ?? 0;
    expect(stream('workouts')).toEqual({
      rows: STREAM_TABLES.workouts.reduce((n, t) => n + (truth[t]?.length ?? 0), 0),
      written: workouts,
      empty: 0,
      failed: 0,
    });
    for (const name of ['stress', 'spo2', 'pai', 'readiness']) expect(stream(name).failed, name).toBe(0);
    expect(lines).toHaveLength(7);
  };
  const outputChecks: Record<string, (lines: string[]) => Promise<void> | void> = {
    'npx zepp-lake status': (lines) => {
      // Run twice: after `npm start` (the demo's people) and after your own login and sync (you too).
      for (const u of demoUsers(today)) {
        const heading = `user ${u.userId} (zepp, simulated)  auth ok  last success `;
        expect(
          lines.some((l) => l.startsWith(heading)),
          heading,
        ).toBe(true);
      }
      expect(lines.filter((l) => l.startsWith('user ')).length).toBe(outputs.has('npx zepp-lake sync') ? 4 : 3);
      if (outputs.has('npx zepp-lake sync'))
        expect(lines.some((l) => l.startsWith(`user ${spec.userId} (zepp)  auth ok`))).toBe(true);
      expect(lines.at(-1)).toBe('all users ok');
    },
    'npx zepp-lake query --name daily_overview': async (lines) => {
      const days = await lakeCount(
        'SELECT count(*) AS n FROM (SELECT DISTINCT user_id, local_date FROM zepp_lake.daily_summary)',
      );
      const columns = [
        'user_id',
        'local_date',
        'steps',
        'distance_m',
        'calories',
        'minutes_recorded',
        'minutes_with_hr',
        'avg_hr',
        'min_hr',
        'max_hr',
        'sleep_min_night_before',
      ];
      expectQueryTable(lines, columns, days);
      const [first] = await runAthenaSql(
        rt.lakeDir,
        'SELECT user_id, local_date, steps FROM zepp_lake.daily_summary ORDER BY user_id, local_date LIMIT 1',
      );
      expect(cells(lines[2]!).slice(0, 3)).toEqual([first?.user_id, first?.local_date, String(first?.steps)]);
    },
    'npx zepp-lake query "SELECT local_date, steps FROM zepp_lake.daily_summary ORDER BY local_date DESC LIMIT 7"':
      async (lines) => {
        expectQueryTable(lines, ['local_date', 'steps'], 7);
        const rows = lines.slice(2).map(cells);
        const last = await runAthenaSql(rt.lakeDir, 'SELECT max(local_date) AS d FROM zepp_lake.daily_summary');
        expect(rows[0]?.[0]).toBe(last[0]?.d);
        expect(rows.map((r) => r[0])).toEqual(
          rows
            .map((r) => r[0])
            .sort()
            .reverse(),
        );
        for (const [date, steps] of rows) {
          const n = await lakeCount(
            `SELECT count(*) AS n FROM zepp_lake.daily_summary WHERE local_date = DATE '${date}' AND steps = ${steps}`,
          );
          expect(n, `${date} ${steps}`).toBeGreaterThan(0);
        }
      },
    'npx zepp-lake query "SELECT count(*) AS minutes FROM activity_minute WHERE heart_rate IS NOT NULL"': async (
      lines,
    ) => {
      const n = await lakeCount('SELECT count(*) AS n FROM zepp_lake.activity_minute WHERE heart_rate IS NOT NULL');
      expect(n).toBeGreaterThan(100_000);
      expect(lines).toEqual(['minutes', '-------', String(n)]);
    },
    'npx zepp-lake report --out report.html': (lines) => expect(lines).toEqual([join(dir, 'report.html')]),
    'npx zepp-lake export csv --table daily_summary --out daily.csv': async (lines) => {
      const n = await lakeCount('SELECT count(*) AS n FROM zepp_lake.daily_summary');
      expect(lines).toEqual([`wrote ${n} rows of daily_summary to ${join(dir, 'daily.csv')}`]);
      expect((await readFile(join(dir, 'daily.csv'), 'utf8')).split('\r\n').filter(Boolean)).toHaveLength(n + 1);
    },
    'npx zepp-lake export gpx --from 2026-10-01 --to 2026-10-31 --out-dir gpx': async (lines) => {
      const october = "local_date BETWEEN DATE '2026-10-01' AND DATE '2026-10-31'";
      const withGps = await lakeCount(
        `SELECT count(DISTINCT trackid) AS n FROM zepp_lake.workout_sample WHERE ${october} AND lat IS NOT NULL`,
      );
      const all = await lakeCount(`SELECT count(*) AS n FROM zepp_lake.workout WHERE ${october}`);
      expect(withGps).toBeGreaterThan(0);
      expect(lines.filter((l) => l.startsWith('skipped workout '))).toHaveLength(all - withGps);
      expect(lines.at(-1)).toBe(
        `wrote ${withGps} GPX files to ${join(dir, 'gpx')} (2026-10-01 to 2026-10-31; ${all - withGps} workouts without GPS skipped)`,
      );
      expect(await readdir(join(dir, 'gpx'))).toHaveLength(withGps);
    },
    'npx zepp-lake export fit --from 2026-10-01 --to 2026-10-31 --out-dir fit': async (lines) => {
      // Every workout becomes a FIT file, with GPS or not (a swim or a treadmill run still has heart rate and laps).
      const all = await lakeCount(
        "SELECT count(*) AS n FROM zepp_lake.workout WHERE local_date BETWEEN DATE '2026-10-01' AND DATE '2026-10-31'",
      );
      expect(all).toBeGreaterThan(0);
      expect(lines.at(-1)).toMatch(
        new RegExp(
          `^wrote ${all} FIT files? to ${escapeRegExp(join(dir, 'fit'))} \\(2026-10-01 to 2026-10-31; \\d+ with one lap`,
        ),
      );
      const files = await readdir(join(dir, 'fit'));
      expect(files).toHaveLength(all);
      for (const f of files) expect(f).toMatch(/^\d+_\d{4}-\d{2}-\d{2}_\d+\.fit$/);
    },
    'npx zepp-lake login': (lines) =>
      expect(lines).toEqual([
        `logged in: user ${spec.userId}; tokens stored in ${join(rt.homeDir, 'tokens.json')} (mode 0600)`,
      ]),
    'npx zepp-lake sync': expectSyncOfYou,
    'npx zepp-lake report': (lines) => expect(lines).toEqual([join(rt.lakeDir, 'report.html')]),
    'npx zepp-lake query --name sleep_by_night': async (lines) => {
      const nights = await lakeCount('SELECT count(*) AS n FROM zepp_lake.sleep_session');
      const columns = [
        'user_id',
        'night_of',
        'start_ts',
        'end_ts',
        'in_bed_min',
        'deep_min',
        'light_min',
        'rem_min',
        'awake_min',
        'wake_count',
        'sleep_score',
        'resting_hr',
        'stage_segments',
        'stage_deep_min',
        'stage_light_min',
        'stage_rem_min',
        'stage_awake_min',
        'stage_unknown_min',
      ];
      expectQueryTable(lines, columns, nights);
    },
    'npx zepp-lake users add --backend aws --source zepp --email you@example.com': (lines) =>
      expect(lines).toEqual([`added zepp user ${spec.userId}`]),
    // The same person into a fresh bucket and table: the same counts as the local sync.
    'npx zepp-lake sync --backend aws --user <id>': expectSyncOfYou,
  };

  it('runs each bash block line by line as a newcomer would, and each ends well', async () => {
    const placeholders: Record<string, string> = {
      '<id>': spec.userId,
      '<LakeBucketName export>': await createTestBucket(aws.s3, 'readme-lake'),
      '<StateTableName export>': await createTestStateTable(aws.dynamodb, 'readme-state'),
    };
    const fill = (word: string) => placeholders[word] ?? word;
    for (const block of blocks.filter((b) => b.lang === 'bash')) {
      // `export A=<x>  B=<y>` may hold placeholders with spaces: fill them before splitting into words.
      for (const raw of block.body.split('\n')) {
        const line = commandOf(raw);
        if (!line) continue;
        if (line === 'npm ci && npm start') {
          // What `npm start` runs, into the same lake and home the later lines use, as on a fresh checkout.
          const result = await runCli(rt, ['demo']);
          expect(result.code, result.stderr).toBe(0);
          const last = result.stdout.trim().split('\n').at(-1) ?? '';
          const page = /^Open (.+) in a browser$/.exec(last)?.[1];
          expect(page, last).toBe(join(rt.lakeDir, 'report.html'));
          const html = await readFile(page!, 'utf8');
          for (const u of demoUsers(today)) expect(html).toContain(`User ${u.userId}`);
          expect(result.stdout).toContain('none: every day asked for is written or empty');
          ran.push(line);
          continue;
        }
        if (line in COVERED_ELSEWHERE) {
          const where = COVERED_ELSEWHERE[line]!;
          if (!where.startsWith('this file')) expect(existsSync(new URL(`../../${where}`, import.meta.url))).toBe(true);
          continue;
        }
        let filled = line;
        for (const [k, v] of Object.entries(placeholders)) filled = filled.split(k).join(v);
        const words = shellWords(filled).map(fill);
        if (words[0] === 'export') {
          for (const assignment of words.slice(1)) {
            const [name, ...value] = assignment.split('=');
            process.env[name!] = value.join('=');
          }
          continue;
        }
        expect(words.slice(0, 2), `a README line this test does not know how to run: ${line}`).toEqual([
          'npx',
          'zepp-lake',
        ]);
        // Files a command writes "here" go to the test's folder, not the checkout.
        const args = words.slice(2);
        for (let i = 0; i < args.length - 1; i++) {
          if ((args[i] === '--out' || args[i] === '--out-dir') && !isAbsolute(args[i + 1]!) && args[i + 1] !== '-')
            args[i + 1] = join(dir, args[i + 1]!);
        }
        const result = await runCli(rt, args);
        expect(result.code, `${line}\n${result.stderr}`).toBe(0);
        ran.push(line);
        outputs.set(line, result.stdout);
        const check = outputChecks[line];
        expect(check, `a README line whose output this test does not check: ${line}`).toBeDefined();
        await check!(result.stdout.trimEnd().split('\n'));
      }
    }
    // Your own `sync` after `npm start` in the same folder syncs you, never the demo's simulated people.
    expect(outputs.get('npx zepp-lake sync')).toContain(`user ${spec.userId}`);
    for (const u of demoUsers(today)) expect(outputs.get('npx zepp-lake sync')).not.toContain(`user ${u.userId}`);
    // The lines that make files left them where the README says.
    expect(ran.slice(0, 2)).toEqual(['npm ci && npm start', 'npx zepp-lake status']);
    expect((await stat(join(dir, 'report.html'))).size).toBeGreaterThan(10_000);
    expect((await readFile(join(dir, 'daily.csv'), 'utf8')).split('\r\n')[0]).toContain('local_date');
    const gpx = await readdir(join(dir, 'gpx'));
    expect(gpx.length).toBeGreaterThan(0);
    expect(gpx.every((f) => /^\d+_2026-10-\d\d_\d+\.gpx$/.test(f))).toBe(true);
    // Every workout of October, GPS or not, as a FIT file: at least as many as there are GPX files.
    const fit = await readdir(join(dir, 'fit'));
    expect(fit.length).toBeGreaterThanOrEqual(gpx.length);
    expect(fit.every((f) => /^\d+_2026-10-\d\d_\d+\.fit$/.test(f))).toBe(true);
    expect(existsSync(join(rt.lakeDir, 'report.html'))).toBe(true);
  }, 600_000);

  it('answers each sql block on DuckDB over that lake with rows', async () => {
    const sql = blocks.filter((b) => b.lang === 'sql');
    expect(sql.length).toBeGreaterThanOrEqual(3);
    for (const block of sql) {
      const statement = block.body.trim().replace(/;$/, '');
      const result = await runCli(rt, ['query', statement, '--json']);
      expect(result.code, `${statement}\n${result.stderr}`).toBe(0);
      const rows = result.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(
        rows.length,
        `${statement}\n${result.stdout.slice(0, 300)}\n${result.stderr.slice(0, 300)}`,
      ).toBeGreaterThan(0);
    }
  }, 300_000);
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
