// The official Huami Web API (`huami-open`) as the engine's second source, end to end over real HTTP against
// the simulator: consent through `users add` (redirect listener), tokens refreshed before they expire, a
// back-fill that lands exactly the simulator's ground truth in the same tables, replay, the Athena queries
// on DuckDB, and revoked consent ending as auth_failed in the ledger.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNamedQueries, QUERIES_DIR, runAthenaSql } from '../../lambdas/cli/query-command.ts';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { replayUser } from '../../lambdas/engine/replay.ts';
import { exchangeCode, refreshAccessToken } from '../../lambdas/sources/huami-open/client.ts';
import type { HuamiOpenTokens } from '../../lambdas/sources/registry.ts';
import { rawDecoderOf } from '../../lambdas/sources/registry.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../sim/huami-open/simulator.ts';
import { reopen, runCli, waitFor } from '../support/cli.ts';
import { diffAgainstTruth, FAST_HTTP, lakeHashes, lakeRows, tempRuntime } from '../support/local-lake.ts';

const TODAY = '2026-11-20';
const clock = () => Date.parse(`${TODAY}T18:00:00Z`);
const ACCESS_LIFETIME_S = 600;

type Rt = Awaited<ReturnType<typeof tempRuntime>>;

const truthOf = (sim: HuamiOpenSimulator, u: { userId: string; firstDate: string }) =>
  sim.groundTruth(u.userId, { from: u.firstDate, to: TODAY });

/** The query parameters of the consent page URL (a single-page app: they live in the fragment). */
function authorizeParams(url: string): URLSearchParams {
  return new URLSearchParams(new URL(url).hash.replace(/^#\/?\?/, ''));
}

describe('huami-open as a sync source, end to end', () => {
  let sim: HuamiOpenSimulator;
  let rt: Rt;
  const savedSecret = process.env.HUAMI_CLIENT_SECRET;

  beforeAll(async () => {
    sim = await startHuamiOpenSimulator({
      seed: 7,
      today: TODAY,
      days: 30,
      accessTokenLifetimeS: ACCESS_LIFETIME_S,
      users: [
        { userId: '1000000101', tzOffsetS: 3600, device: 'amazfit' },
        { userId: '1000000102', tzOffsetS: -18000, device: 'mifit' },
      ],
    });
    rt = await tempRuntime();
    process.env.HUAMI_CLIENT_SECRET = sim.clientSecret;
  });
  afterAll(async () => {
    if (savedSecret === undefined) delete process.env.HUAMI_CLIENT_SECRET;
    else process.env.HUAMI_CLIENT_SECRET = savedSecret;
    await rt.cleanup();
    await sim.close();
  });

  const amazfit = () => sim.users[0]!;
  const mifit = () => sim.users[1]!;
  const truthOfUser = (u: { userId: string; firstDate: string }) => truthOf(sim, u);

  it('adds a user through the consent flow: authorize URL, redirect to the local listener, tokens stored', async () => {
    const user = amazfit();
    let authorizeUrl = '';
    const run = await runCli(
      rt,
      [
        'users',
        'add',
        '--source',
        'huami-open',
        '--client-id',
        sim.clientId,
        '--listen',
        '0',
        '--host',
        sim.url,
        '--tz-offset',
        String(user.tzOffsetS),
      ],
      async (stderr) => {
        authorizeUrl = await waitFor(() => /(http\S+oauth\/index\.html\S+)/.exec(stderr())?.[1], 'the authorize URL');
        const q = authorizeParams(authorizeUrl);
        expect(q.get('client_id')).toBe(sim.clientId);
        expect(q.get('response_type')).toBe('code');
        expect(q.get('scope')).toContain('heartrate');
        const state = q.get('state')!;
        const redirectUri = q.get('redirect_uri')!;
        expect(state).toMatch(/^[0-9a-f]{32}$/);
        expect(redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
        // the person consents in the browser; the vendor redirects the browser back with the code
        const code = sim.authorize(user.userId, {
          clientId: q.get('client_id')!,
          redirectUri,
          scope: q.get('scope')!,
          state,
        });
        const forged = await fetch(`${redirectUri}?code=forged&state=not-the-state`);
        expect(forged.status).toBe(400);
        const back = await fetch(`${redirectUri}?code=${encodeURIComponent(code)}&state=${state}`);
        expect(back.status).toBe(200);
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`added huami-open user ${user.userId}`);
    rt = reopen(rt);

    const tokens = (await rt.tokens.get(user.userId)) as HuamiOpenTokens;
    expect(tokens).toMatchObject({ source: 'huami-open', vendorUserId: user.userId, clientId: sim.clientId });
    expect(tokens.accessToken).toMatch(/\S{16,}/);
    expect(tokens.refreshToken).toMatch(/\S{16,}/);
    expect(tokens.accessTokenExpiresAt).toBeGreaterThan(Date.now() + (ACCESS_LIFETIME_S - 30) * 1000);
    // no token ever reaches the terminal
    for (const secret of [tokens.accessToken!, tokens.refreshToken!, sim.clientSecret]) {
      expect(run.stderr + run.stdout).not.toContain(secret);
    }
    expect(await rt.state.getUser(user.userId)).toMatchObject({
      source: 'huami-open',
      enabled: true,
      tzOffsetS: user.tzOffsetS,
    });
  });

  it('adds a second user with a code obtained already (--code)', async () => {
    const user = mifit();
    const redirectUri = 'http://127.0.0.1:8421/callback';
    const code = sim.authorize(user.userId, { clientId: sim.clientId, redirectUri, state: 'x' });
    const run = await runCli(rt, [
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
      '--tz-offset',
      String(user.tzOffsetS),
    ]);
    expect(run.code, run.stderr).toBe(0);
    rt = reopen(rt);
    expect((await rt.tokens.get(user.userId))?.redirectUri).toBe(redirectUri);
    expect(await rt.state.getUser(user.userId)).toMatchObject({ source: 'huami-open', tzOffsetS: user.tzOffsetS });
  });

  it('back-fills both accounts into the same tables, exactly the ground truth', async () => {
    const reports = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP });
    expect(reports.map((r) => r.userId)).toEqual([amazfit().userId, mifit().userId]);
    for (const r of reports) {
      expect(r.errors).toEqual([]);
      expect(Object.keys(r.streams).sort()).toEqual(['band', 'pai', 'stress', 'workouts']);
    }
    for (const user of [amazfit(), mifit()]) {
      const truth = truthOfUser(user);
      expect(truth.activity_minute!.length).toBeGreaterThan(30_000);
      expect(truth.workout!.length).toBeGreaterThan(3);
      expect(truth.sleep_stage!.length).toBeGreaterThan(100);
      expect(await diffAgainstTruth(rt.lakeDir, user.userId, truth)).toEqual([]);
      const ledger = await rt.state.listLedger(user.userId);
      expect(ledger.filter((e) => e.status !== 'written' && e.status !== 'empty')).toEqual([]);
      expect(ledger.every((e) => e.source === 'huami-open')).toBe(true);
    }
    // raw responses keyed by the window fetched: one per resource and month window, one per workout detail
    const raw = (await rt.store.list('raw/huami-open/')).filter((k) => k.includes(`/user-${amazfit().userId}/`));
    const first = amazfit().firstDate;
    expect(first.slice(0, 7)).toBe('2026-10');
    expect(raw).toContain(`raw/huami-open/minutes/user-${amazfit().userId}/2026-11/2026-11-01_2026-11-20.json.gz`);
    expect(raw).toContain(`raw/huami-open/sleep-hourly/user-${amazfit().userId}/2026-10/${first}_2026-10-31.json.gz`);
    expect(raw).toContain(
      `raw/huami-open/events/all_day_stress/user-${amazfit().userId}/2026-11/2026-11-01_2026-11-20.json.gz`,
    );
    expect(raw.filter((k) => k.includes('/sportDetail/')).length).toBe(truthOfUser(amazfit()).workout!.length);

    // a second run re-reads the recent days and changes no table object
    const before = await lakeHashes(rt.lakeDir, 'tables/');
    const again = await syncUsers(rt, { user: amazfit().userId, quiet: true, clock, http: FAST_HTTP });
    for (const r of again) expect(r.errors).toEqual([]);
    const after = await lakeHashes(rt.lakeDir, 'tables/');
    for (const [k, v] of before) if (!k.startsWith('tables/ingest_ledger/')) expect(after.get(k), k).toBe(v);
  }, 120_000);

  it('refreshes an access token before it expires, persists the new tokens and never meets a 401', async () => {
    const user = amazfit();
    const old = (await rt.tokens.get(user.userId)) as HuamiOpenTokens;
    // the stored token is a minute from its end (within the refresh margin), though still valid at the vendor
    await rt.tokens.put(user.userId, { ...old, accessTokenExpiresAt: Date.now() + 60_000 });
    const mark = sim.requests.length;
    const [report] = await syncUsers(rt, { user: user.userId, quiet: true, clock, http: FAST_HTTP });
    expect(report?.errors).toEqual([]);
    const seen = sim.requests.slice(mark);
    expect(seen.filter((r) => r.path === '/oauth2/refresh_token').map((r) => r.status)).toEqual([200]);
    expect(seen.filter((r) => r.status === 401)).toEqual([]);
    const fresh = (await rt.tokens.get(user.userId)) as HuamiOpenTokens;
    expect(fresh.accessToken).not.toBe(old.accessToken);
    expect(fresh.accessTokenExpiresAt).toBeGreaterThan(Date.now() + (ACCESS_LIFETIME_S - 30) * 1000);
    expect(fresh.clientSecret).toBe(old.clientSecret);

    // an access token the vendor ended early: one 401, one refresh, and the run goes on
    sim.expireAccessTokens(user.userId);
    const mark2 = sim.requests.length;
    const [after401] = await syncUsers(rt, { user: user.userId, quiet: true, clock, http: FAST_HTTP });
    expect(after401?.errors).toEqual([]);
    expect(sim.requests.slice(mark2).filter((r) => r.path === '/oauth2/refresh_token')).toHaveLength(1);
    expect(await diffAgainstTruth(rt.lakeDir, user.userId, truthOfUser(user))).toEqual([]);
  }, 60_000);

  it('replay rebuilds identical tables from raw/ alone, with or without the configured offset', async () => {
    const tables = await lakeHashes(rt.lakeDir, 'tables/');
    const requests = sim.requests.length;
    const lease = { state: rt.state, owner: 'test-replay', clock };
    for (const user of [amazfit(), mifit()]) {
      const r = await replayUser({
        decoders: rawDecoderOf,
        store: rt.store,
        codec: rt.codec,
        userId: user.userId,
        tzOffsetS: user.tzOffsetS,
        lease,
      });
      expect(r.rejects).toEqual([]);
      expect(r.rows).toBeGreaterThan(30_000);
    }
    expect(await lakeHashes(rt.lakeDir, 'tables/')).toEqual(tables);
    // the raw records carry the offset they were fetched with, so a replay that is not told it agrees too
    const r = await replayUser({
      decoders: rawDecoderOf,
      store: rt.store,
      codec: rt.codec,
      userId: mifit().userId,
      lease,
    });
    expect(r.rejects).toEqual([]);
    expect(await lakeHashes(rt.lakeDir, 'tables/')).toEqual(tables);
    expect(sim.requests.length).toBe(requests);
  }, 60_000);

  it('runs every Athena named query on DuckDB over the huami-open lake, with rows that match the truth', async () => {
    const names = await listNamedQueries();
    expect(names.length).toBeGreaterThanOrEqual(5);
    const results = new Map<string, Record<string, unknown>[]>();
    for (const name of names) {
      const rows = await runAthenaSql(rt.queryDir, await readFile(join(QUERIES_DIR, `${name}.sql`), 'utf8'));
      expect(rows.length, name).toBeGreaterThan(0);
      results.set(name, rows);
    }
    const user = amazfit();
    const truth = truthOfUser(user);
    const overview = results.get('daily_overview')!.filter((r) => r.user_id === user.userId);
    expect(overview.length).toBe(truth.daily_summary!.length);
    const stepsByDay = new Map(truth.daily_summary!.map((r) => [r.local_date, r.steps]));
    for (const r of overview) expect(Number(r.steps)).toBe(stepsByDay.get(String(r.local_date).slice(0, 10)));
    const workouts = results.get('workouts_with_hr_zones')!.filter((r) => r.user_id === user.userId);
    expect(workouts.length).toBe(truth.workout!.length);
    for (const w of workouts) expect(Number(w.hr_samples)).toBeGreaterThan(0);
    const coverage = results.get('coverage_report')!.filter((r) => r.user_id === user.userId);
    expect(coverage.map((r) => r.stream).sort()).toEqual(expect.arrayContaining(['band', 'pai', 'stress', 'workouts']));
    for (const r of coverage) {
      expect(Number(r.failed), `${r.stream} ${r.month}`).toBe(0);
      expect(Number(r.days_missing), `${r.stream} ${r.month}`).toBe(0);
    }
  }, 60_000);

  it('ends as auth_failed in the ledger when the person revokes consent, not as silent empty data', async () => {
    const user = mifit();
    const before = await lakeRows(rt.lakeDir, 'daily_summary', user.userId);
    sim.revokeConsent(user.userId);
    const [report] = await syncUsers(rt, { user: user.userId, quiet: true, clock, http: FAST_HTTP });
    expect(report?.authFailed).toBe(true);
    expect(report?.errors.join('\n')).toMatch(/consent was revoked|authorize/);
    const ledger = await rt.state.listLedger(user.userId);
    const authFailed = ledger.filter((e) => e.status === 'auth_failed');
    expect(authFailed.length).toBeGreaterThan(0);
    for (const e of authFailed) expect(e.error).toMatch(/authorize zepp-lake again/);
    // the days it was asked for are not marked empty, and the data already there stays
    const asked = new Set(authFailed.map((e) => e.period));
    expect(ledger.filter((e) => asked.has(e.period) && e.status === 'empty' && e.stream === 'band')).toEqual([]);
    expect(await lakeRows(rt.lakeDir, 'daily_summary', user.userId)).toEqual(before);
    // the ledger table says so too (what the coverage query reads)
    const rows = await runAthenaSql(
      rt.queryDir,
      `SELECT status, count(*) AS n FROM zepp_lake.ingest_ledger WHERE user_id = '${user.userId}' AND status = 'auth_failed' GROUP BY status`,
    );
    expect(Number(rows[0]?.n)).toBeGreaterThan(0);
    // the tokens are kept for a later consent; the other user is unaffected
    const [other] = await syncUsers(rt, { user: amazfit().userId, quiet: true, clock, http: FAST_HTTP });
    expect(other?.errors).toEqual([]);
  }, 60_000);
});

/** A user authorized at the simulator with their tokens and record stored, as `users add` leaves them. */
async function addConsentedUser(
  sim: HuamiOpenSimulator,
  rt: Rt,
  user: { userId: string; tzOffsetS: number; firstDate?: string },
): Promise<void> {
  const redirectUri = 'http://127.0.0.1:8421/callback';
  const code = sim.authorize(user.userId, { clientId: sim.clientId, redirectUri });
  const oauth = await exchangeCode(
    { code, clientId: sim.clientId, clientSecret: sim.clientSecret, redirectUri },
    { base: sim.url },
    FAST_HTTP,
  );
  const tokens: HuamiOpenTokens = {
    source: 'huami-open',
    vendorUserId: user.userId,
    host: sim.url,
    accessToken: oauth.accessToken,
    refreshToken: oauth.refreshToken,
    accessTokenExpiresAt: oauth.expiresAt,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    redirectUri,
  };
  await rt.tokens.put(user.userId, tokens);
  await rt.state.putUser({
    userId: user.userId,
    source: 'huami-open',
    enabled: true,
    createdAt: clock(),
    tzOffsetS: user.tzOffsetS,
    ...(user.firstDate ? { firstDate: user.firstDate } : {}),
  });
}

describe('huami-open: a long sync takes the tokens another process rotated', () => {
  let sim: HuamiOpenSimulator;
  let rt: Rt;

  beforeAll(async () => {
    // This vendor ends the previous access token at a refresh, so a sync that keeps its old one meets a 401.
    sim = await startHuamiOpenSimulator({
      seed: 8,
      today: TODAY,
      days: 40,
      retireAccessTokenOnRefresh: true,
      users: [{ userId: '1000000301', tzOffsetS: 3600, device: 'amazfit' }],
    });
    rt = await tempRuntime();
    await addConsentedUser(sim, rt, sim.users[0]!);
  });
  afterAll(async () => {
    await rt.cleanup();
    await sim.close();
  });

  it('uses the newest stored tokens after a rotation mid-sync: no 401, no second refresh, nothing lost', async () => {
    const user = sim.users[0]!;
    let dataCalls = 0;
    let afterRotation = -1;
    // Another process (the token refresher) renews the user's tokens after the sync's third data call.
    const rotateElsewhere = async (): Promise<void> => {
      const t = (await rt.tokens.get(user.userId)) as HuamiOpenTokens;
      const next = await refreshAccessToken(
        { refreshToken: t.refreshToken!, clientId: sim.clientId, clientSecret: sim.clientSecret },
        { base: sim.url },
        FAST_HTTP,
      );
      const fresh = reopen(rt);
      await fresh.tokens.put(user.userId, {
        ...t,
        accessToken: next.accessToken,
        refreshToken: next.refreshToken,
        accessTokenExpiresAt: next.expiresAt,
      });
      afterRotation = sim.requests.length;
    };
    const http = {
      ...FAST_HTTP,
      fetch: async (input: string | URL | Request, init?: RequestInit) => {
        const res = await fetch(input, init);
        if (String(input).includes('/users/-/') && ++dataCalls === 3) await rotateElsewhere();
        return res;
      },
    };

    const [report] = await syncUsers(rt, { user: user.userId, quiet: true, clock, http });

    expect(report?.authFailed).toBe(false);
    expect(report?.errors).toEqual([]);
    expect(afterRotation).toBeGreaterThan(0);
    const later = sim.requests.slice(afterRotation);
    expect(later.length).toBeGreaterThan(10);
    expect(later.filter((r) => r.status === 401 || r.path.startsWith('/oauth2/'))).toEqual([]);
    const stored = (await rt.tokens.get(user.userId)) as HuamiOpenTokens;
    expect(sim.liveTokens(user.userId)).toEqual({
      accessTokens: [stored.accessToken],
      refreshTokens: [stored.refreshToken],
    });
    expect(await diffAgainstTruth(rt.lakeDir, user.userId, truthOf(sim, user))).toEqual([]);
  }, 120_000);
});

describe('huami-open: a first back-fill across a year end asks for one calendar month per call', () => {
  const today = '2026-02-10';
  const at = () => Date.parse(`${today}T18:00:00Z`);
  let sim: HuamiOpenSimulator;
  let rt: Rt;

  beforeAll(async () => {
    // The person's history starts in November: the year before the probe's last year.
    sim = await startHuamiOpenSimulator({
      seed: 12,
      today,
      days: 75,
      users: [{ userId: '1000000401', tzOffsetS: -18000, device: 'mifit' }],
    });
    rt = await tempRuntime();
    await addConsentedUser(sim, rt, { userId: sim.users[0]!.userId, tzOffsetS: -18000 });
  });
  afterAll(async () => {
    await rt.cleanup();
    await sim.close();
  });

  it('finds the first day with a month-by-month probe and lands the whole history', async () => {
    const user = sim.users[0]!;
    expect(user.firstDate).toBe('2025-11-28');

    const [report] = await syncUsers(rt, { user: user.userId, quiet: true, clock: at, http: FAST_HTTP });

    expect(report?.errors).toEqual([]);
    const truth = sim.groundTruth(user.userId, { from: user.firstDate, to: today });
    expect(truth.activity_minute!.length).toBeGreaterThan(50_000);
    expect(await diffAgainstTruth(rt.lakeDir, user.userId, truth)).toEqual([]);
    expect((await rt.state.getUser(user.userId))?.firstDate).toBe(user.firstDate);
    // no request was answered short: none asked past the end of its first month
    expect(sim.requests.filter((r) => r.truncated)).toEqual([]);
  }, 180_000);
});
