// Input hygiene through the real command line (issue 14, item 8): a --host that would carry the app token in clear,
// --lake / --home / --bucket values pointing outside what the user named are refused with exit 2 before anything is
// read, written or deleted; CSV export escapes formula-like cells unless --raw-cells.

import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeTableRows } from '../../lambdas/engine/lake-writer.ts';
import { parquetCodec } from '../../lambdas/runtime/local.ts';
import { JsonFileStateStore } from '../../lambdas/stores/file-state.ts';
import { FileTokenStore } from '../../lambdas/stores/file-tokens.ts';
import { FolderObjectStore } from '../../lambdas/stores/fs-lake.ts';
import { useAwsStandIns } from '../support/aws-env.ts';
import { runCli } from '../support/cli.ts';
import { parseCsv } from '../support/csv-parse.ts';
import { walk } from '../support/local-lake.ts';

const USER = 'alice';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zepp-lake-hygiene-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Every file under the folder with its content: to show that a refused command changed nothing. */
async function snapshot(folder: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of (await walk(folder)).sort()) out[f] = (await readFile(f)).toString('base64');
  return out;
}

/** A home folder with one user (state + tokens) and a lake holding that user's objects, at the paths given. */
async function seed(lake: string, home: string): Promise<void> {
  await new JsonFileStateStore(join(home, 'state.json')).putUser({
    userId: USER,
    source: 'zepp',
    enabled: true,
    createdAt: 1,
  });
  await new FileTokenStore(join(home, 'tokens.json')).put(USER, { source: 'zepp', vendorUserId: USER, appToken: 't' });
  const store = new FolderObjectStore(lake);
  await store.put(`tables/pai/month=2026-01/user-${USER}.parquet`, new TextEncoder().encode('PAR1'));
  await store.put(`raw/zepp/band_data/user-${USER}/2026-01.json.gz`, new TextEncoder().encode('raw'));
}

describe('--host', () => {
  it('refuses plain http:// to another host with exit 2 naming https://, from the option or the environment', async () => {
    const rt = { lakeDir: join(dir, 'lake'), homeDir: join(dir, 'home') };
    const saved = process.env.ZEPP_LAKE_HOST;
    try {
      for (const args of [
        ['login', '--email', 'a@example.com', '--host', 'http://api-mifit-de2.huami.com'],
        ['sync', '--host', 'http://api-mifit-de2.huami.com'],
        ['users', 'add', '--source', 'zepp', '--email', 'a@example.com', '--host', 'http://api-mifit-de2.huami.com'],
      ]) {
        const run = await runCli(rt, args);
        expect(run.code, args.join(' ')).toBe(2);
        expect(run.stderr).toContain('use https://api-mifit-de2.huami.com');
      }
      process.env.ZEPP_LAKE_HOST = 'http://api-mifit-de2.huami.com';
      const fromEnv = await runCli(rt, ['login', '--email', 'a@example.com']);
      expect(fromEnv.code).toBe(2);
      expect(fromEnv.stderr).toContain("from env 'ZEPP_LAKE_HOST' is invalid");
      expect(fromEnv.stderr).toContain('use https://api-mifit-de2.huami.com');
    } finally {
      if (saved === undefined) delete process.env.ZEPP_LAKE_HOST;
      else process.env.ZEPP_LAKE_HOST = saved;
    }
    expect(await walk(dir)).toEqual([]); // no home folder, no token file
  });

  it('lets http:// through to 127.0.0.1 (the simulator): the login then fails to connect, not on the option', async () => {
    const rt = { lakeDir: join(dir, 'lake'), homeDir: join(dir, 'home') };
    process.env.ZEPP_LAKE_PASSWORD = 'x';
    try {
      const run = await runCli(rt, ['login', '--email', 'a@example.com', '--host', 'http://127.0.0.1:9']);
      expect(run.stderr).not.toContain('is invalid');
      expect(run.code).toBe(4); // cannot reach the host: try again later
    } finally {
      delete process.env.ZEPP_LAKE_PASSWORD;
    }
  });
});

describe('--lake and --home: refused before anything is read, written or deleted', () => {
  it('users remove --delete-data with the lake inside the home folder: exit 2, the user and their objects kept', async () => {
    const home = join(dir, 'home');
    const lake = join(home, 'lake');
    await seed(lake, home);
    const before = await snapshot(dir);
    const run = await runCli({ lakeDir: lake, homeDir: home }, ['users', 'remove', USER, '--delete-data']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`the lake (${lake}) is inside the home folder (${home})`);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('the lake equal to the home folder: exit 2, nothing changed', async () => {
    const both = join(dir, 'both');
    await seed(both, both);
    const before = await snapshot(dir);
    const run = await runCli({ lakeDir: both, homeDir: both }, ['users', 'remove', USER, '--delete-data']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is the home folder');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a .. segment, an unexpanded ~, the root or the home folder itself: exit 2, nothing changed', async () => {
    const lake = join(dir, 'lake');
    const home = join(dir, 'home');
    await seed(lake, home);
    const before = await snapshot(dir);
    const cases: [string[], string][] = [
      [['--lake', `${dir}/x/../lake`], 'has a ".." segment'],
      [['--home', `${dir}/x/../home`], 'has a ".." segment'],
      [['--home', '~'], 'did not expand'],
      [['--lake', '~/lake'], 'did not expand'],
      [['--lake', '/'], 'root folder'],
      [['--home', homedir()], 'your home folder itself'],
    ];
    for (const [option, words] of cases) {
      const run = await runCli({ lakeDir: lake, homeDir: home }, [...option, 'users', 'remove', USER, '--delete-data']);
      expect(run.code, option.join(' ')).toBe(2);
      expect(run.stderr).toContain(words);
    }
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a .. in ZEPP_LAKE_DIR is refused the same way', async () => {
    const saved = { lake: process.env.ZEPP_LAKE_DIR };
    const { main } = await import('../../lambdas/cli/main.ts');
    process.env.ZEPP_LAKE_DIR = `${dir}/a/../lake`;
    const stderr: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      expect(await main(['node', 'zepp-lake', '--home', join(dir, 'home'), 'status'])).toBe(2);
    } finally {
      process.stderr.write = write;
      if (saved.lake === undefined) delete process.env.ZEPP_LAKE_DIR;
      else process.env.ZEPP_LAKE_DIR = saved.lake;
    }
    expect(stderr.join('')).toContain("from env 'ZEPP_LAKE_DIR' is invalid");
    expect(await walk(dir)).toEqual([]);
  });
});

describe('--bucket', () => {
  beforeAll(() => {
    useAwsStandIns();
  });

  it('a bucket name like ".." never reaches the query mirror, which is emptied before each query: exit 2', async () => {
    const home = join(dir, 'home');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'keep.txt'), 'mine');
    const rt = { lakeDir: join(dir, 'lake'), homeDir: home };
    for (const bucket of ['..', 'Not_A_Bucket', 's3://zepp-lake-prod-lake']) {
      const run = await runCli(rt, ['--backend', 'aws', '--bucket', bucket, '--table', 't', 'query', 'SELECT 1']);
      expect(run.code, bucket).toBe(2);
      expect(run.stderr).toContain('is not an S3 bucket name');
    }
    expect(await readFile(join(home, 'keep.txt'), 'utf8')).toBe('mine');
    expect(await readdir(home)).toEqual(['keep.txt']);
  });
});

describe('export csv', () => {
  let lake: string;
  let home: string;
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'zepp-lake-csv-'));
    lake = join(root, 'lake');
    home = join(root, 'home');
    await writeTableRows(new FolderObjectStore(lake), parquetCodec, USER, {
      workout: [
        {
          user_id: USER,
          local_date: '2026-01-05',
          tz_offset_s: -21600,
          trackid: 1767600000,
          workout_type: 1,
          workout_type_name: '=HYPERLINK("http://x.example","run")',
          start_ts: Date.parse('2026-01-05T12:00:00Z'),
          device_id: '@device',
          track_source: '-1',
          source: 'zepp',
        },
      ],
    });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  async function exportWorkout(extra: string[]): Promise<Record<string, string>> {
    const out = join(root, `workout-${extra.length}.csv`);
    const run = await runCli({ lakeDir: lake, homeDir: home }, [
      'export',
      'csv',
      '--table',
      'workout',
      '--out',
      out,
      ...extra,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const [header, row] = parseCsv(await readFile(out, 'utf8'));
    return Object.fromEntries((header ?? []).map((h, i) => [h.text, row?.[i]?.text ?? '']));
  }

  it("prefixes ' to text cells a spreadsheet would run, and leaves numbers and number-like text as they are", async () => {
    const row = await exportWorkout([]);
    expect(row.workout_type_name).toBe(`'=HYPERLINK("http://x.example","run")`);
    expect(row.device_id).toBe("'@device");
    expect(row.track_source).toBe('-1');
    expect(row.tz_offset_s).toBe('-21600');
    expect(row.source).toBe('zepp');
  });

  it('writes every cell exactly with --raw-cells', async () => {
    const row = await exportWorkout(['--raw-cells']);
    expect(row.workout_type_name).toBe('=HYPERLINK("http://x.example","run")');
    expect(row.device_id).toBe('@device');
    expect(row.tz_offset_s).toBe('-21600');
  });

  it('says in the help what --raw-cells turns off', async () => {
    const run = await runCli({ lakeDir: lake, homeDir: home }, ['export', 'csv', '--help']);
    expect(run.stdout).toContain('--raw-cells');
    expect(run.stdout).toMatch(/gets a leading '/);
    expect((await stat(lake)).isDirectory()).toBe(true);
  });
});

describe('the environment: parsed once per run, a bad variable refused before anything is read or written', () => {
  it('exits 2 naming each bad variable and what it should hold, and runs again once it is fixed', async () => {
    const rt = { lakeDir: join(dir, 'lake'), homeDir: join(dir, 'home') };
    const saved = { backend: process.env.ZEPP_LAKE_BACKEND, s3: process.env.AWS_ENDPOINT_URL_S3 };
    const restore = (name: string, value: string | undefined) => {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    };
    try {
      process.env.ZEPP_LAKE_BACKEND = 'gcp';
      process.env.AWS_ENDPOINT_URL_S3 = 'localhost:4566';
      const bad = await runCli(rt, ['status']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('ZEPP_LAKE_BACKEND must be local or aws, got "gcp"');
      expect(bad.stderr).toContain('AWS_ENDPOINT_URL_S3 must be an http:// or https:// URL');
      expect(await walk(dir)).toEqual([]);
      // The next run reads the environment again: nothing of the first run's configuration stays.
      delete process.env.ZEPP_LAKE_BACKEND;
      delete process.env.AWS_ENDPOINT_URL_S3;
      const fixed = await runCli(rt, ['status', '--json']);
      expect(fixed.stderr).not.toContain('ZEPP_LAKE_BACKEND');
      expect(JSON.parse(fixed.stdout)).toMatchObject({ users: [] });
    } finally {
      restore('ZEPP_LAKE_BACKEND', saved.backend);
      restore('AWS_ENDPOINT_URL_S3', saved.s3);
    }
  });
});
