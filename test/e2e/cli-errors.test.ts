// What the command line says when something goes wrong, and how quiet / JSON it can be: each kind of failure
// (wrong password, throttled login, expired huami-open consent, wrong region, unreachable or wrong host) gets
// one message that says what to do next and a stable exit status; `--quiet` keeps stderr empty on success;
// `--json` keeps stdout to one JSON document; progress lines carry counts and an ETA.
// Exit statuses are written as the numbers of the CLI contract (design.md), never read from the code under test.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgress } from '../../lambdas/cli/progress.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../sim/huami-open/simulator.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { shortSimUser } from '../handlers/lambda-harness.ts';
import { runCli } from '../support/cli.ts';
import { tempRuntime } from '../support/local-lake.ts';

const TODAY = new Date().toISOString().slice(0, 10);
const FROM = new Date(Date.now() - 8 * 86_400_000).toISOString().slice(0, 10);

type Rt = Awaited<ReturnType<typeof tempRuntime>>;

const saved = { password: process.env.ZEPP_LAKE_PASSWORD, secret: process.env.HUAMI_CLIENT_SECRET };
afterAll(() => {
  if (saved.password === undefined) delete process.env.ZEPP_LAKE_PASSWORD;
  else process.env.ZEPP_LAKE_PASSWORD = saved.password;
  if (saved.secret === undefined) delete process.env.HUAMI_CLIENT_SECRET;
  else process.env.HUAMI_CLIENT_SECRET = saved.secret;
});

describe('login failures: one message with the next step, and a stable exit status', () => {
  let sim: Simulator;
  let throttled: Simulator;
  let rt: Rt;
  const person = shortSimUser(TODAY, 'errs', 5);

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [person], loginThrottle: false });
    // Every login exchange answers 429 (Retry-After 0 keeps the bounded retries instant).
    throttled = await startSimulator({
      today: TODAY,
      users: [person],
      loginThrottle: { max: 0, windowMs: 60_000, retryAfterS: 0 },
    });
    rt = await tempRuntime();
  });
  afterAll(async () => {
    await rt.cleanup();
    await sim.close();
    await throttled.close();
  });

  it('wrong password: says so, names where the password comes from, exit 2, never echoes it', async () => {
    process.env.ZEPP_LAKE_PASSWORD = 'definitely-not-it';
    const run = await runCli(rt, ['login', '--email', person.email, '--host', sim.url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^zepp-lake: Zepp login failed: wrong email or password/);
    expect(run.stderr).toContain('did not accept this e-mail and password; check both');
    expect(run.stderr).toContain('ZEPP_LAKE_PASSWORD');
    expect(run.stderr).not.toContain('[redacted]');
    expect(run.stderr + run.stdout).not.toContain('definitely-not-it');
  });

  it('throttled login: wait and try once more, exit 4', async () => {
    process.env.ZEPP_LAKE_PASSWORD = person.password;
    const run = await runCli(rt, ['login', '--email', person.email, '--host', throttled.url]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('HTTP 429');
    expect(run.stderr).toMatch(/throttling logins.*wait a few minutes.*do not retry in a loop/);
    expect(throttled.stats().faults['login-429']).toBeGreaterThan(0);
    expect(run.stderr + run.stdout).not.toContain(person.password);
  });

  it('unreachable host: check the network and --host, exit 4', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const run = await runCli(rt, ['login', '--email', person.email, '--host', `http://127.0.0.1:${port}`]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/network error/);
    expect(run.stderr).toMatch(/cannot reach .*check the network connection, and --host/);
  }, 30_000);

  it('a host that is not the vendor API: check --host, exit 2', async () => {
    const other: Server = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>not here</html>');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      const run = await runCli(rt, ['login', '--email', person.email, '--host', url]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/HTTP 404/);
      expect(run.stderr).toMatch(/did not answer like the vendor API: check --host/);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('a usage error keeps exit 2 and names the option', async () => {
    const run = await runCli(rt, ['sync', '--from', 'yesterday']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("option '--from <date>' argument 'yesterday' is invalid");
    expect(run.stderr).toContain('it takes a date YYYY-MM-DD that exists in the calendar');
  });

  it('every command with a date range refuses a day that is not in the calendar, in the same words', async () => {
    for (const args of [
      ['sync', '--to', '2026-02-30'],
      ['replay', '--from', '2026-13-01'],
      ['report', '--to', '26-01-01'],
      ['export', 'csv', 'workout', '--from', '2026-04-31'],
      ['export', 'gpx', '--to', 'today', '--out-dir', '.'],
    ]) {
      const run = await runCli(rt, args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toContain('it takes a date YYYY-MM-DD that exists in the calendar');
    }
    const path = await runCli(rt, ['export', 'csv', 'workout', '--user', '../etc']);
    expect(path.code).toBe(2);
    expect(path.stderr).toContain("option '--user <id>' argument '../etc' is invalid");
  });

  it('documents the exit statuses in the help', async () => {
    // commander writes help through process.stdout.write, which runCli does not capture: render it here
    const { buildProgram } = await import('../../lambdas/cli/main.ts');
    const status = buildProgram().commands.find((c) => c.name() === 'status')!;
    let help = '';
    status.configureOutput({ writeOut: (s) => (help += s), writeErr: (s) => (help += s) });
    status.outputHelp();
    expect(help).toMatch(/Exit status:\s+0\s+ok\s+1\s+needs attention/);
    expect(help).toMatch(/3\s+the stored authorisation no longer works/);
    expect(help).toMatch(/4\s+temporarily unavailable/);
  });
});

describe('sync: wrong region, quiet and JSON output', () => {
  let sim: Simulator;
  let rt: Rt;
  const person = shortSimUser(TODAY, 'quiet', 9);

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [person], loginThrottle: false });
    rt = await tempRuntime();
    process.env.ZEPP_LAKE_PASSWORD = person.password;
    const login = await runCli(rt, ['login', '--email', person.email, '--host', sim.url]);
    expect(login.code, login.stderr).toBe(0);
  });
  afterAll(async () => {
    await rt.cleanup();
    await sim.close();
  });

  const sync = (...extra: string[]) =>
    runCli(rt, ['sync', '--user', person.userId, '--from', FROM, '--streams', 'band,stress', ...extra]);

  it('prints progress with counts and percentages on stderr when it is not a terminal', async () => {
    const run = await sync();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`sync ${person.userId}/band: \\d+/\\d+ .*\\(\\d+%`));
    expect(run.stderr).toMatch(new RegExp(`sync ${person.userId}/stress: (\\d+)/\\1 done \\(100%\\)`));
    expect(run.stdout).toContain(`user ${person.userId}`);
  }, 60_000);

  it('--quiet prints nothing on stderr for a successful sync', async () => {
    const run = await sync('--quiet');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`user ${person.userId}`);
  }, 60_000);

  it('--json prints one JSON document on stdout and only JSON lines on stderr', async () => {
    const run = await sync('--json');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { users: { userId: string; authFailed: boolean; actions: unknown[] }[] };
    expect(summary.users).toMatchObject([{ userId: person.userId, authFailed: false, actions: [] }]);
    const progress = run.stderr.split('\n').filter(Boolean);
    expect(progress.length).toBeGreaterThan(0);
    for (const line of progress) expect(JSON.parse(line)).toMatchObject({ progress: 'sync', userId: person.userId });

    const replay = await runCli(rt, ['replay', '--user', person.userId, '--json']);
    expect(replay.code).toBe(0);
    const replayed = JSON.parse(replay.stdout) as { users: { userId: string; rows: number; rejects: string[] }[] };
    expect(replayed.users).toMatchObject([{ userId: person.userId, rejects: [] }]);
    expect(replayed.users[0]?.rows).toBeGreaterThan(1000);
    const lines = replay.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    // Both phases reach their total: the raw objects read, then the same objects decoded and written.
    const read = lines.filter((l) => l.stream === 'raw objects read');
    const decoded = lines.filter((l) => l.stream === 'raw objects decoded');
    expect(read.at(-1)).toMatchObject({ progress: 'replay', etaS: 0 });
    expect(read.at(-1)?.done).toBe(read.at(-1)?.total);
    expect(decoded.at(-1)).toMatchObject({ progress: 'replay', etaS: 0, total: read.at(-1)?.total });
    expect(decoded.at(-1)?.done).toBe(decoded.at(-1)?.total);
    expect(lines.indexOf(read.at(-1))).toBeLessThan(lines.indexOf(decoded[0]));
  }, 60_000);

  it('replay reports its progress in plain lines, and nothing with --quiet', async () => {
    const run = await runCli(rt, ['replay', '--user', person.userId]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`replay ${person.userId}/raw objects read: (\\d+)/\\1 \\(100%\\)`));
    expect(run.stderr).toMatch(new RegExp(`replay ${person.userId}/raw objects decoded: (\\d+)/\\1 \\(100%\\)`));
    expect(run.stdout).toMatch(/replayed user \d+: \d+ raw objects/);
    const quiet = await runCli(rt, ['replay', '--user', person.userId, '--quiet']);
    expect(quiet.stderr).toBe('');
  });

  it('wrong region: the sync says where to log in instead', async () => {
    sim.setFaults('wrong-region');
    try {
      const run = await sync('--quiet');
      expect(run.stdout).toContain('WRONG REGION?');
      expect(run.stderr).toMatch(
        new RegExp(
          `zepp-lake: user ${person.userId}: .*another region.*zepp-lake login --email ${person.email}.*--host`,
        ),
      );
      expect(run.stderr).toContain('https://api-mifit-de2.huami.com');
    } finally {
      sim.setFaults('');
    }
  }, 60_000);

  it('a revoked login token: exit 3 and the login command for this account', async () => {
    const tokens = await import('../support/cli.ts').then((m) => m.reopen(rt).tokens.get(person.userId));
    await fetch(`${sim.url}/v1/client/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login_token: tokens!.loginToken! }).toString(),
    });
    const run = await sync('--quiet');
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('AUTH FAILED');
    expect(run.stderr).toContain(`run \`zepp-lake login --email ${person.email} --host ${sim.url}\` again`);
    for (const secret of [tokens!.loginToken!, tokens!.appToken!])
      expect(run.stderr + run.stdout).not.toContain(secret);
  }, 60_000);
});

describe('huami-open: expired consent', () => {
  let sim: HuamiOpenSimulator;
  let rt: Rt;

  beforeAll(async () => {
    sim = await startHuamiOpenSimulator({
      seed: 3,
      today: TODAY,
      days: 6,
      users: [{ userId: '1000000301', tzOffsetS: 3600, device: 'amazfit' }],
    });
    rt = await tempRuntime();
    process.env.HUAMI_CLIENT_SECRET = sim.clientSecret;
    const redirectUri = 'http://127.0.0.1:8431/callback';
    const code = sim.authorize('1000000301', { clientId: sim.clientId, redirectUri, state: 'x' });
    const add = await runCli(rt, [
      'users',
      'add',
      '--source',
      'huami-open',
      '--client-id',
      sim.clientId,
      '--redirect-uri',
      redirectUri,
      '--code',
      code,
      '--host',
      sim.url,
    ]);
    expect(add.code, add.stderr).toBe(0);
  });
  afterAll(async () => {
    await rt.cleanup();
    await sim.close();
  });

  it('sync exits 3 and says to authorize again with the command for this client; status agrees', async () => {
    sim.revokeConsent('1000000301');
    const run = await runCli(rt, ['sync', '--user', '1000000301', '--from', FROM, '--quiet']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `the huami-open consent expired or was revoked: authorize zepp-lake again with \`zepp-lake users add --source huami-open --client-id ${sim.clientId} --host ${sim.url}\``,
    );
    expect(run.stderr + run.stdout).not.toContain(sim.clientSecret);

    const status = await runCli(rt, ['status', '--user', '1000000301']);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('auth CONSENT EXPIRED');
    expect(status.stdout).toContain('users add --source huami-open');
  }, 60_000);

  it('a refused authorization code at users add: exit 3, authorize again', async () => {
    const run = await runCli(rt, [
      'users',
      'add',
      '--source',
      'huami-open',
      '--client-id',
      sim.clientId,
      '--redirect-uri',
      'http://127.0.0.1:8431/callback',
      '--code',
      'not-a-real-code',
      '--host',
      sim.url,
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/authorize zepp-lake again/);
    expect(run.stderr).not.toContain('not-a-real-code');
  });
});

describe('progress output', () => {
  it('plain lines carry counts, the percentage and an ETA from the pace so far', () => {
    const out = new PassThrough() as unknown as NodeJS.WriteStream;
    let text = '';
    (out as unknown as PassThrough).on('data', (d) => {
      text += String(d);
    });
    let t = 0;
    const p = createProgress({ stream: out, verb: 'export', now: () => t, plainIntervalMs: 60_000 });
    for (let done = 0; done <= 8; done++) {
      t = done * 1000;
      p.update({ stream: 'daily_summary', done, total: 8, label: 'months' });
    }
    p.stop();
    (out as unknown as PassThrough).end();
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(text.split('\n').filter(Boolean)).toEqual([
          'export daily_summary: 0/8 months (0%)',
          'export daily_summary: 2/8 months (25%, eta 6s)',
          'export daily_summary: 4/8 months (50%, eta 4s)',
          'export daily_summary: 6/8 months (75%, eta 2s)',
          'export daily_summary: 8/8 months (100%)',
        ]);
        resolve();
      }),
    );
  });

  it('names the operation sync by default, and says nothing at all when quiet', () => {
    let written = '';
    const write = (s: string) => {
      written += s;
      return true;
    };
    const out = { isTTY: false, write } as unknown as NodeJS.WriteStream;
    createProgress({ stream: out }).update({ userId: 'u1', stream: 'band', done: 1, total: 2, label: '2026-01' });
    expect(written).toBe('sync u1/band: 1/2 2026-01 (50%)\n');
    written = '';
    createProgress({ stream: out, quiet: true }).update({ stream: 'band', done: 1, total: 2 });
    createProgress({ stream: out, quiet: true }).note('hello');
    expect(written).toBe('');
  });
});
