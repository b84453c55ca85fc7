// `zepp-lake status` through the real command line, over a lake synced from the simulator: a clean user, one
// with failed days, one whose login token was revoked, one in the wrong region; the table, the advice, the
// exit status (0 ok, 1 needs attention, 2 usage) and the documented --json shape. Then the same over
// `--backend aws` against the stand-ins.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../lambdas/cli/status-command.ts';
import { loginZepp, syncUsers } from '../../lambdas/cli/sync-command.ts';
import { latestDateBegun } from '../../lambdas/core/time.ts';
import type { Runtime } from '../../lambdas/runtime/local.ts';
import { openAwsRuntime } from '../../lambdas/runtime/local.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { shortSimUser } from '../handlers/lambda-harness.ts';
import { createAwsClients, createTestBucket, createTestStateTable } from '../support/aws-clients.ts';
import { useAwsStandIns } from '../support/aws-env.ts';
import { reopen, runCli } from '../support/cli.ts';
import { FAST_HTTP, loginAll, tempRuntime } from '../support/local-lake.ts';

// The command line runs on the real clock, so the simulated accounts end today.
const TODAY = new Date().toISOString().slice(0, 10);
const FROM = new Date(Date.now() - 12 * 86_400_000).toISOString().slice(0, 10);

type Rt = Awaited<ReturnType<typeof tempRuntime>>;

async function logout(sim: Simulator, loginToken: string): Promise<void> {
  const res = await fetch(`${sim.url}/v1/client/logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login_token: loginToken }).toString(),
  });
  expect(res.status).toBe(200);
}

describe('zepp-lake status', () => {
  let sim: Simulator;
  let rt: Rt;
  const clean = shortSimUser(TODAY, 'clean', 14);
  const faulty = shortSimUser(TODAY, 'faulty', 14);
  const revoked = shortSimUser(TODAY, 'revoked', 14);
  const region = shortSimUser(TODAY, 'region', 14);
  const savedPassword = process.env.ZEPP_LAKE_PASSWORD;

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [clean, faulty, revoked, region], loginThrottle: false });
    rt = await tempRuntime();
    await loginAll(rt, sim);
    const sync = (userId: string, http = FAST_HTTP) =>
      syncUsers(rt, { user: userId, from: FROM, quiet: true, http, streams: 'band,workouts,stress' });

    const [ok] = await sync(clean.userId);
    expect(ok?.errors).toEqual([]);

    sim.setFaults('500:3');
    const [bad] = await sync(faulty.userId, { ...FAST_HTTP, maxRetries: 0 });
    sim.setFaults('');
    expect(bad?.errors.length).toBeGreaterThan(0);

    await logout(sim, (await rt.tokens.get(revoked.userId))!.loginToken!);
    const [denied] = await sync(revoked.userId);
    expect(denied?.authFailed).toBe(true);

    sim.setFaults('wrong-region');
    const [elsewhere] = await sync(region.userId);
    sim.setFaults('');
    expect(elsewhere?.wrongRegionSuspected).toBe(true);
  }, 120_000);

  afterAll(async () => {
    if (savedPassword === undefined) delete process.env.ZEPP_LAKE_PASSWORD;
    else process.env.ZEPP_LAKE_PASSWORD = savedPassword;
    await rt?.cleanup();
    await sim?.close();
  });

  it('prints an aligned table per stream and exits 0 for a user with nothing to do', async () => {
    const run = await runCli(rt, ['status', '--user', clean.userId]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^user ${clean.userId} \\(zepp\\)  auth ok  last success \\d{4}-`));
    const header = lines.find((l) => l.includes('through'))!;
    expect(header).toMatch(
      /stream\s+through\s+last trackid\s+cursor moved\s+written\s+empty\s+failed\s+auth_failed\s+oldest gap/,
    );
    const band = lines.find((l) => l.trim().startsWith('band '))!;
    expect(band).toMatch(
      // Band data is asked for through the latest date begun anywhere (UTC+14): after 10:00 UTC that is tomorrow.
      new RegExp(
        `band\\s+${latestDateBegun(Date.now())}\\s+-\\s+\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}\\s+\\d+\\s+\\d+\\s+0\\s+0\\s+-`,
      ),
    );
    // aligned: every row of the table puts its `written` count under the header's column end
    const end = header.indexOf('written') + 'written'.length;
    for (const l of lines.filter((x) => /^ {2}(band|workouts|stress) /.test(x))) expect(l[end - 1]).toMatch(/\d/);
    expect(run.stdout).not.toContain('what to do');
    expect(run.stdout).toContain('all users ok');
  });

  it('exits 1 for failed days, naming the oldest gap and the command that retries them', async () => {
    const run = await runCli(rt, ['status', '--user', faulty.userId]);
    expect(run.code).toBe(1);
    const failedDays = (await rt.state.listLedger(faulty.userId)).filter((e) => e.status === 'failed');
    const oldest = failedDays.map((e) => e.localDate).sort()[0]!;
    expect(run.stdout).toMatch(new RegExp(`${oldest}\\S* \\(failed\\)`));
    expect(run.stdout).toContain('what to do:');
    expect(run.stdout).toMatch(/- \d+ days?[^(\n]* failed \(oldest: band \d{4}-\d{2}-\d{2}\)/);
    expect(run.stdout).toContain(`or run \`zepp-lake sync --user ${faulty.userId}\` to retry now`);
    expect(run.stdout).toMatch(/! \w+ \S+: .*HTTP 500/);
  });

  it('says the login token was revoked and gives the login command for that account', async () => {
    const run = await runCli(rt, ['status', '--user', revoked.userId]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('auth LOGIN TOKEN REVOKED');
    expect(run.stdout).toMatch(/\(auth_failed\)/);
    expect(run.stdout).toContain(`\`zepp-lake login --email ${revoked.email} --host ${sim.url}\``);
    const tokens = await rt.tokens.get(revoked.userId);
    for (const secret of [tokens!.loginToken!, tokens!.appToken!])
      expect(run.stdout + run.stderr).not.toContain(secret);
  });

  it('warns about a likely wrong region with the region hosts to log in through', async () => {
    const run = await runCli(rt, ['status', '--user', region.userId]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('WRONG REGION?');
    expect(run.stdout).toMatch(/another region.*api-mifit-de2\.huami\.com.*api-mifit-us2\.huami\.com/);
  });

  it('--json prints the documented shape for every user, and the exit status still says attention is needed', async () => {
    const run = await runCli(rt, ['status', '--json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as StatusReport;
    expect(Number.isNaN(Date.parse(report.generatedAt))).toBe(false);
    const ids = [clean, faulty, revoked, region].map((u) => u.userId).sort();
    expect(report.users.map((u) => u.userId)).toEqual(ids);
    for (const u of report.users) {
      expect(Object.keys(u).sort()).toEqual(
        [
          'actions',
          'auth',
          'enabled',
          'firstDate',
          'lastSuccessAt',
          'needsAction',
          'oldestGap',
          'simulated',
          'source',
          'streams',
          'userId',
          'wrongRegionSuspected',
        ].sort(),
      );
      expect(['band', 'workouts', 'stress']).toEqual(expect.arrayContaining(u.streams.map((s) => s.stream)));
      for (const s of u.streams) {
        expect(Object.keys(s).sort()).toEqual(
          [
            'authFailed',
            'cursorUpdatedAt',
            'empty',
            'failed',
            'firstPeriod',
            'lastErrors',
            'lastPeriod',
            'lastTrackId',
            'oldestGap',
            'stream',
            'through',
            'written',
          ].sort(),
        );
      }
    }
    const by = new Map(report.users.map((u) => [u.userId, u]));
    expect(by.get(clean.userId)).toMatchObject({ auth: 'ok', needsAction: false, actions: [], oldestGap: null });
    expect(by.get(clean.userId)?.lastSuccessAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(by.get(clean.userId)?.streams.map((s) => s.stream)).toEqual(['band', 'workouts', 'stress']);
    expect(by.get(faulty.userId)).toMatchObject({ auth: 'ok', needsAction: true, oldestGap: { status: 'failed' } });
    expect(by.get(faulty.userId)?.actions.map((a) => a.code)).toEqual(['retry_failed']);
    expect(by.get(revoked.userId)).toMatchObject({ auth: 'revoked', needsAction: true, lastSuccessAt: null });
    expect(by.get(revoked.userId)?.actions[0]?.code).toBe('login_again');
    expect(by.get(region.userId)).toMatchObject({ wrongRegionSuspected: true, needsAction: true });
    expect(by.get(region.userId)?.actions.map((a) => a.code)).toContain('wrong_region');
    const band = by.get(faulty.userId)!.streams[0]!;
    expect(band.failed).toBeGreaterThanOrEqual(0);
    expect(band.written + band.empty + band.failed + band.authFailed).toBeGreaterThan(10);
  });

  it('after a new login and a sync through the command line, the revoked user is clean again', async () => {
    process.env.ZEPP_LAKE_PASSWORD = revoked.password;
    const login = await runCli(rt, ['login', '--email', revoked.email, '--host', sim.url]);
    expect(login.code, login.stderr).toBe(0);
    const waiting = await runCli(rt, ['status', '--user', revoked.userId, '--json']);
    const [before] = (JSON.parse(waiting.stdout) as StatusReport).users;
    expect(before).toMatchObject({ auth: 'ok', needsAction: true });
    expect(before?.actions.map((a) => a.code)).toEqual(['resync_auth_failed']);

    const sync = await runCli(rt, [
      'sync',
      '--user',
      revoked.userId,
      '--from',
      FROM,
      '--streams',
      'band,workouts,stress',
      '--quiet',
    ]);
    expect(sync.code, sync.stderr).toBe(0);
    const after = await runCli(rt, ['status', '--user', revoked.userId]);
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).toContain('auth ok');
    rt = reopen(rt);
  }, 60_000);

  it('refuses an unknown user with the usage exit status', async () => {
    const run = await runCli(rt, ['status', '--user', 'nobody']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no user nobody');
  });
});

describe('zepp-lake status when the very first sync could not authorise', () => {
  it('says log in again, not "never synced", when the token died in the first-day probe; a new login heals it', async () => {
    const first = shortSimUser(TODAY, 'first', 10);
    const sim = await startSimulator({ today: TODAY, users: [first], loginThrottle: false });
    let rt = await tempRuntime();
    try {
      await loginAll(rt, sim);
      await logout(sim, (await rt.tokens.get(first.userId))!.loginToken!);
      // No --from: the engine probes the account's first day, and the revoked token fails right there.
      const denied = await runCli(rt, ['sync', '--user', first.userId, '--streams', 'band,workouts,stress', '--quiet']);
      expect(denied.code, denied.stderr).toBe(3);

      const status = await runCli(rt, ['status', '--user', first.userId, '--json']);
      expect(status.code).toBe(1);
      const [user] = (JSON.parse(status.stdout) as StatusReport).users;
      expect(user).toMatchObject({ auth: 'revoked', needsAction: true });
      expect(user?.actions.map((a) => a.code)).toEqual(['login_again']);
      expect(user?.streams.map((s) => [s.stream, s.authFailed]).sort()).toEqual([
        ['band', 1],
        ['stress', 1],
        ['workouts', 1],
      ]);

      process.env.ZEPP_LAKE_PASSWORD = first.password;
      expect((await runCli(rt, ['login', '--email', first.email, '--host', sim.url])).code).toBe(0);
      const healed = await runCli(rt, ['sync', '--user', first.userId, '--streams', 'band,workouts,stress', '--quiet']);
      expect(healed.code, healed.stderr).toBe(0);
      rt = reopen(rt);
      const after = await runCli(rt, ['status', '--user', first.userId, '--json']);
      expect(after.code, after.stdout).toBe(0);
      const [clean] = (JSON.parse(after.stdout) as StatusReport).users;
      expect(clean).toMatchObject({ auth: 'ok', needsAction: false, oldestGap: null });
    } finally {
      await rt.cleanup();
      await sim.close();
    }
  }, 90_000);
});

describe('zepp-lake status for people who have not synced for a while', () => {
  it("says so after two days without a clean sync (exit 1), but never for the simulator's people", async () => {
    const rt = await tempRuntime();
    try {
      const threeDaysAgo = Date.now() - 3 * 86_400_000;
      const base = { source: 'zepp' as const, enabled: true, createdAt: threeDaysAgo - 86_400_000 };
      await rt.state.putUser({ ...base, userId: '4000000001', lastSuccessAt: threeDaysAgo });
      await rt.state.putUser({ ...base, userId: '4000000002', lastSuccessAt: threeDaysAgo, simulated: true });
      await rt.state.putUser({ ...base, userId: '4000000003', lastSuccessAt: Date.now() - 3_600_000 });
      for (const userId of ['4000000001', '4000000002', '4000000003'])
        await rt.tokens.put(userId, { source: 'zepp', vendorUserId: userId, loginToken: `login-${userId}` });

      const run = await runCli(rt, ['status', '--json']);
      expect(run.code, run.stdout).toBe(1);
      const users = (JSON.parse(run.stdout) as StatusReport).users;
      const codes = Object.fromEntries(users.map((u) => [u.userId, u.actions.map((a) => a.code)]));
      expect(codes).toEqual({ '4000000001': ['stale'], '4000000002': [], '4000000003': [] });
      const stale = users.find((u) => u.userId === '4000000001');
      expect(stale?.actions[0]?.message).toContain(`no successful sync since ${new Date(threeDaysAgo).toISOString()}`);
      expect(stale?.actions[0]?.message).toContain('zepp-lake sync --user 4000000001');
    } finally {
      await rt.cleanup();
    }
  });
});

describe('zepp-lake status --backend aws', () => {
  let sim: Simulator;
  let rt: Runtime;
  let bucket: string;
  let table: string;
  let dir: Rt;
  const aws = createAwsClients();
  const spec = shortSimUser(TODAY, 'awsstatus', 10);

  beforeAll(async () => {
    useAwsStandIns();
    sim = await startSimulator({ today: TODAY, users: [spec], loginThrottle: false });
    bucket = await createTestBucket(aws.s3);
    table = await createTestStateTable(aws.dynamodb);
    dir = await tempRuntime();
    rt = openAwsRuntime({ bucket, table, home: dir.homeDir });
    const u = sim.users[0]!;
    await loginZepp(rt, { email: u.email, password: u.password, host: sim.url, http: FAST_HTTP });
    sim.setFaults('500:2');
    await syncUsers(rt, { from: FROM, quiet: true, streams: 'band', http: { ...FAST_HTTP, maxRetries: 0 } });
    sim.setFaults('');
  }, 60_000);
  afterAll(async () => {
    await rt?.tokens.delete(spec.userId);
    await dir?.cleanup();
    await sim?.close();
    aws.destroy();
  });

  it('reads the same status from DynamoDB and Secrets Manager', async () => {
    const run = await runCli(dir, ['--backend', 'aws', '--bucket', bucket, '--table', table, 'status', '--json']);
    const report = JSON.parse(run.stdout) as StatusReport;
    const [u] = report.users;
    const ledger = await rt.state.listLedger(spec.userId);
    const failed = ledger.filter((e) => e.status === 'failed').length;
    expect(u).toMatchObject({ userId: spec.userId, auth: 'ok', streams: [{ stream: 'band', failed }] });
    expect(failed).toBeGreaterThan(0);
    expect(run.code).toBe(1);
    expect(u?.actions[0]?.message).toContain(`zepp-lake sync --user ${spec.userId} --backend aws`);
  }, 30_000);
});
