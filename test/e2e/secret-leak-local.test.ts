// No secret escapes in local mode. Known passwords, every token the simulators mint (login codes, login tokens,
// app tokens, OAuth codes, access and refresh tokens) and the huami-open client secret are canaries: the real
// `zepp-lake` command runs login, sync, status, query, replay and users in child processes, then the failure
// paths run (wrong password, throttled login, expired and revoked tokens, 401 from huami-open, 500s, truncated
// bodies, a wrong region, a broken token file). Every line printed, every error, the state file and every lake
// object (raw bytes, gunzipped raw JSON, Parquet rows) must hold no canary in any obvious encoding. The 0600
// token file is the one place they may live.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSyncReport, loginZepp, syncUsers } from '../../lambdas/cli/sync-command.ts';
import { addDays } from '../../lambdas/core/time.ts';
import type { SyncReport } from '../../lambdas/engine/sync-engine.ts';
import { openLocalRuntime } from '../../lambdas/runtime/local.ts';
import { exchangeCode } from '../../lambdas/sources/huami-open/client.ts';
import type { HuamiOpenTokens } from '../../lambdas/sources/registry.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../sim/huami-open/simulator.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { shortSimUser } from '../handlers/lambda-harness.ts';
import { CLI_BUNDLE } from '../support/cli-bundle.ts';
import { FAST_HTTP, tempRuntime, walk } from '../support/local-lake.ts';
import {
  type Artefact,
  encodingsOf,
  errorArtefacts,
  OutputCapture,
  objectArtefacts,
  SecretCanaries,
} from '../support/secret-canaries.ts';

const TODAY = new Date().toISOString().slice(0, 10);
const FROM = addDays(TODAY, -9);
const REDIRECT = 'https://zepp-lake.example/callback';

/** Distinctive, random, and full of characters that every encoding changes. */
const canaryText = (what: string) => `${what}-${randomBytes(12).toString('base64url')} +/&="é`;

describe('secret leaks in local mode', () => {
  let rt: Awaited<ReturnType<typeof tempRuntime>>;
  let sim: Simulator;
  let throttled: Simulator;
  let huami: HuamiOpenSimulator;
  const artefacts: Artefact[] = [];
  const canaries = new SecretCanaries();
  const passwordA = canaryText('pw-a');
  const passwordB = canaryText('pw-b');
  const wrongPassword = canaryText('wrong-pw');
  const clientSecret = canaryText('client-secret');
  const wrongClientSecret = canaryText('wrong-client-secret');
  const specA = { ...shortSimUser(TODAY, 'leak-a', 10), password: passwordA };
  const specB = { ...shortSimUser(TODAY, 'leak-b', 10), password: passwordB };
  let openIds: [string, string, string];

  beforeAll(async () => {
    rt = await tempRuntime();
    sim = await startSimulator({ today: TODAY, users: [specA, specB], loginThrottle: false });
    throttled = await startSimulator({
      today: TODAY,
      users: [specA],
      loginThrottle: { max: 0, windowMs: 60_000, retryAfterS: 1 },
    });
    huami = await startHuamiOpenSimulator({ seed: 8, today: TODAY, days: 4, users: 3, clientSecret });
    openIds = [huami.users[0]!.userId, huami.users[1]!.userId, huami.users[2]!.userId];
  });
  afterAll(async () => {
    await sim?.close();
    await throttled?.close();
    await huami?.close();
    await rt?.cleanup();
  });

  /** `zepp-lake --lake L --home H ...args` as a child process; its stdout and stderr become artefacts. */
  function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI_BUNDLE, '--lake', rt.lakeDir, '--home', rt.homeDir, ...args],
        {
          env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'DEBUG', LOG_LEVEL: 'DEBUG', ...env },
          timeout: 120_000,
          maxBuffer: 32 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const what = `zepp-lake ${args.filter((a) => !a.startsWith('http')).join(' ')}`;
          artefacts.push({ name: `${what} stdout`, text: stdout }, { name: `${what} stderr`, text: stderr });
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, out: stdout + stderr });
        },
      );
    });
  }

  /** Runs in-process code with its output, its error and its reports kept as artefacts. */
  async function inProcess<T>(what: string, fn: () => Promise<T>): Promise<{ value?: T; error?: unknown }> {
    const capture = new OutputCapture();
    capture.start();
    try {
      const value = await fn();
      const reports = (Array.isArray(value) ? value : []) as SyncReport[];
      for (const r of reports) {
        if (r && typeof r === 'object' && 'streams' in r) {
          artefacts.push({ name: `${what} report`, text: `${formatSyncReport(r)}\n${JSON.stringify(r)}` });
        }
      }
      return { value };
    } catch (error) {
      artefacts.push(...errorArtefacts(`${what} error`, error));
      return { error };
    } finally {
      capture.stop();
      artefacts.push(...capture.artefacts(what));
    }
  }

  it('finds a canary in each obvious encoding and names artefact and encoding, never the value', () => {
    // Prepare
    const probe = new SecretCanaries();
    const secret = canaryText('probe');
    probe.add('probe secret', secret);
    const wrapped = (s: string) => `{"noise":"${randomBytes(5).toString('hex')}${s}${randomBytes(3).toString('hex')}"}`;
    const embeddedBase64 = (lead: number, url: boolean) =>
      Buffer.concat([randomBytes(lead), Buffer.from(`x${secret}y`)]).toString(url ? 'base64url' : 'base64');

    // Act
    const leaks = probe.findLeaks([
      ...encodingsOf(secret).map((e) => ({ name: `sample ${e.encoding}`, text: wrapped(e.text) })),
      ...[0, 1, 2].map((lead) => ({ name: `sample base64 lead ${lead}`, text: embeddedBase64(lead, false) })),
      ...[0, 1, 2].map((lead) => ({ name: `sample base64url lead ${lead}`, text: embeddedBase64(lead, true) })),
      { name: 'clean', text: wrapped(secret.slice(0, 7)) },
    ]);

    // Assess
    const encodings = encodingsOf(secret).map((e) => e.encoding);
    expect(encodings).toEqual(
      expect.arrayContaining(['plain', 'URL-encoded', 'form-URL-encoded', 'JSON-escaped', 'hex', 'HEX', 'base64']),
    );
    for (const e of encodings) expect(leaks.some((l) => l.startsWith(`sample ${e}: probe secret (`))).toBe(true);
    for (const lead of [0, 1, 2]) {
      expect(leaks.some((l) => l.startsWith(`sample base64 lead ${lead}: probe secret`))).toBe(true);
      expect(leaks.some((l) => l.startsWith(`sample base64url lead ${lead}: probe secret`))).toBe(true);
    }
    expect(leaks.some((l) => l.startsWith('clean'))).toBe(false);
    expect(leaks.join('\n')).not.toContain(secret);
  });

  it(
    'runs login, sync (with expiring app tokens), status, query, replay and users through the real CLI',
    { timeout: 240_000 },
    async () => {
      // Act
      const login = await cli(['login', '--email', specA.email, '--host', sim.url], { ZEPP_LAKE_PASSWORD: passwordA });
      sim.setFaults('expire-legacy:once,expire-rest:once');
      const sync = await cli(['sync', '--host', sim.url, '--from', FROM]);
      sim.setFaults({});
      // Read-only commands side by side; replay (which rewrites tables/) after them.
      const results = await Promise.all([
        cli(['status']),
        cli(['status', '--json']),
        cli(['query', '--json', 'SELECT * FROM zepp_lake.ingest_ledger']),
        cli(['users', 'list', '--json']),
      ]);
      results.push(await cli(['replay']));

      // Assess: the runs did what they say (a leak test over failed commands would prove little).
      expect(login).toMatchObject({ code: 0 });
      expect(login.out).toContain(`logged in: user ${specA.userId}`);
      expect(sync.code).toBe(0);
      expect(sync.out).toContain(`user ${specA.userId}`);
      expect(sync.out).not.toContain('AUTH FAILED');
      expect((sim.stats().faults['expire-legacy'] ?? 0) + (sim.stats().faults['expire-rest'] ?? 0)).toBe(2);
      expect((sim.stats().requests.app_tokens ?? 0) >= 1).toBe(true);
      // One clean sync of one person: nothing needs attention, so status exits 0 like every other command.
      expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0]);
      for (const r of results) expect(r.out).toContain(specA.userId);
    },
  );

  it(
    'runs the failure paths: wrong password, throttled login, 500s, truncated bodies, revoked tokens, wrong region, 401s',
    { timeout: 240_000 },
    async () => {
      // Wrong password, through the CLI.
      const wrong = await cli(['login', '--email', specA.email, '--host', sim.url], {
        ZEPP_LAKE_PASSWORD: wrongPassword,
      });
      expect(wrong.code).toBe(2);
      expect(wrong.out).toContain('wrong email or password');

      // Throttled login (429 on the token exchange, with its retries).
      const throttledLogin = await inProcess('throttled login', () =>
        loginZepp(rt, { email: specA.email, password: passwordA, host: throttled.url, http: FAST_HTTP }),
      );
      expect(throttledLogin.error).toBeInstanceOf(Error);
      expect(throttled.stats().faults['login-429']).toBeGreaterThan(0);

      // 500s and truncated bodies past the retries: failed ledger rows with their reasons.
      const addB = await cli(['users', 'add', '--source', 'zepp', '--email', specB.email, '--host', sim.url], {
        ZEPP_LAKE_PASSWORD: passwordB,
      });
      expect(addB.out).toContain(`added zepp user ${specB.userId}`);
      sim.setFaults('500:4,truncate:4');
      const faulty = await inProcess('sync with 500s and truncated bodies', () =>
        syncUsers(rt, { user: specB.userId, from: FROM, host: sim.url, http: FAST_HTTP, quiet: true }),
      );
      sim.setFaults({});
      expect(sim.stats().faults['500']).toBe(4);
      expect(sim.stats().faults.truncate).toBe(4);
      expect(faulty.value?.[0]?.errors.length).toBeGreaterThan(0);

      // An expired app token whose login token was revoked (logged out elsewhere): auth_failed.
      const tokensB = (await rt.tokens.get(specB.userId))!;
      const logout = await fetch(`${sim.url}/v1/client/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login_token: tokensB.loginToken! }),
      });
      await logout.arrayBuffer();
      const revoked = await inProcess('sync with a revoked login token', () =>
        syncUsers(rt, { user: specB.userId, from: FROM, host: sim.url, http: FAST_HTTP, quiet: true }),
      );
      expect(revoked.value?.[0]?.authFailed).toBe(true);

      // A wrong region: every data call answers success with nothing in it.
      sim.setFaults({ 'wrong-region': true });
      const region = await inProcess('sync in the wrong region', () =>
        syncUsers(rt, { user: specA.userId, from: addDays(TODAY, -2), host: sim.url, http: FAST_HTTP, quiet: true }),
      );
      sim.setFaults({});
      expect(region.value?.[0]?.wrongRegionSuspected).toBe(true);

      // huami-open: one user whose access token expired (refreshed with the client secret), one who withdrew consent
      // (401 on the data call, then invalid_grant), one whose stored client secret is wrong (401 invalid_client).
      // [0] is added through the CLI with an authorization code (a second use of the code is refused).
      const code = huami.authorize(openIds[0], { clientId: huami.clientId, redirectUri: REDIRECT });
      const addOpen = ['users', 'add', '--source', 'huami-open', '--client-id', huami.clientId, '--code', code];
      const moreArgs = ['--redirect-uri', REDIRECT, '--host', huami.url, '--tz-offset', '0'];
      const added = await cli([...addOpen, ...moreArgs], { HUAMI_CLIENT_SECRET: clientSecret });
      const reused = await cli([...addOpen, ...moreArgs], { HUAMI_CLIENT_SECRET: clientSecret });
      expect(added.out).toContain(`added huami-open user ${openIds[0]}`);
      expect(reused.code).toBe(3);
      // The CLI wrote the state file: open it afresh (the state store caches what it read).
      const fresh = openLocalRuntime({ lake: rt.lakeDir, home: rt.homeDir });
      const stored = (await fresh.tokens.get(openIds[0]))!;
      await fresh.tokens.put(openIds[0], { ...stored, accessTokenExpiresAt: Date.now() - 1 });
      for (const openId of openIds.slice(1)) {
        const oauthCode = huami.authorize(openId, { clientId: huami.clientId, redirectUri: REDIRECT });
        const oauth = await exchangeCode(
          { code: oauthCode, clientId: huami.clientId, clientSecret, redirectUri: REDIRECT },
          { base: huami.url },
          FAST_HTTP,
        );
        const tokens: HuamiOpenTokens = {
          source: 'huami-open',
          vendorUserId: openId,
          host: huami.url,
          accessToken: oauth.accessToken,
          refreshToken: oauth.refreshToken,
          accessTokenExpiresAt: openId === openIds[1] ? Date.now() + 86_400_000 : Date.now() - 1,
          clientId: huami.clientId,
          clientSecret: openId === openIds[2] ? wrongClientSecret : clientSecret,
        };
        await fresh.tokens.put(openId, tokens);
        await fresh.state.putUser({
          userId: openId,
          source: 'huami-open',
          enabled: true,
          createdAt: Date.now(),
          tzOffsetS: 0,
        });
      }
      huami.expireAccessTokens(openIds[0]);
      huami.revokeConsent(openIds[1]);
      const open = await inProcess('huami-open sync', () =>
        syncUsers(fresh, { source: 'huami-open', from: addDays(TODAY, -3), http: FAST_HTTP, quiet: true }),
      );
      const byUser = new Map((open.value ?? []).map((r) => [r.userId, r]));
      expect(byUser.get(openIds[0])?.authFailed).toBe(false);
      expect(byUser.get(openIds[1])?.authFailed).toBe(true);
      expect(byUser.get(openIds[2])?.authFailed).toBe(true);
      expect(huami.requests.filter((r) => r.status === 401).map((r) => r.path)).toEqual(
        expect.arrayContaining(['/oauth2/refresh_token', expect.stringMatching(/^\/users\/-\//)]),
      );

      // A broken token file (cut in the middle of a token): every command refuses it without echoing it.
      const tokenFile = join(rt.homeDir, 'tokens.json');
      const good = await readFile(tokenFile, 'utf8');
      const cut = good.indexOf(tokensB.appToken ?? '') + 10;
      await writeFile(tokenFile, good.slice(0, cut), { mode: 0o600 });
      const broken = await cli(['sync', '--host', sim.url, '--from', FROM]);
      await writeFile(tokenFile, good, { mode: 0o600 });
      expect(broken.code).not.toBe(0);
      expect(broken.out).toContain(`the token file ${tokenFile} is damaged (not valid JSON`);
      expect(broken.out).toContain('move it aside and log in again');

      // What a person looks at afterwards: every user's state, last errors and ledger.
      const after = await Promise.all([
        cli(['status']),
        cli(['query', '--json', 'SELECT * FROM zepp_lake.ingest_ledger']),
      ]);
      // status: failed days and lost authorisations need attention (1); the query itself is fine (0).
      expect(after.map((r) => r.code)).toEqual([1, 0]);
      expect(after[0]?.out).toContain(openIds[2]);
      // A damaged token file is an input error: exit 2, like every other one.
      expect(broken.code).toBe(2);
    },
  );

  it('leaves no canary in any output, error, ledger row, state item or lake object; only the 0600 token file', async () => {
    // Prepare: every secret now known (the simulators mint tokens as the runs go).
    for (const [label, value] of [
      ['password of user a', passwordA],
      ['password of user b', passwordB],
      ['wrong password', wrongPassword],
      ['huami-open client secret', clientSecret],
      ['wrong huami-open client secret', wrongClientSecret],
    ] as const) {
      canaries.add(label, value);
    }
    for (const s of sim.mintedSecrets()) canaries.add('zepp login code / login token / app token', s);
    for (const s of throttled.mintedSecrets()) canaries.add('zepp login code (throttled login)', s);
    for (const s of huami.mintedSecrets()) canaries.add('huami-open OAuth code / access token / refresh token', s);
    expect(sim.mintedSecrets().length).toBeGreaterThanOrEqual(7);
    expect(huami.mintedSecrets().length).toBeGreaterThanOrEqual(6);

    // Act: gather the state (ledger rows, users, cursors) and the lake.
    const tokenFile = join(rt.homeDir, 'tokens.json');
    for (const f of await walk(rt.homeDir)) {
      if (f === tokenFile) continue;
      artefacts.push({ name: `home ${relative(rt.homeDir, f)}`, text: await readFile(f, 'utf8') });
    }
    const lakeFiles = await walk(rt.lakeDir);
    for (const f of lakeFiles) {
      const key = relative(rt.lakeDir, f).split(sep).join('/');
      artefacts.push(...objectArtefacts(key, new Uint8Array(await readFile(f)), 'lake'));
    }
    const leaks = canaries.findLeaks(artefacts);

    // Assess
    expect(lakeFiles.some((f) => f.endsWith('.parquet'))).toBe(true);
    expect(lakeFiles.some((f) => f.endsWith('.json.gz'))).toBe(true);
    expect(artefacts.some((a) => a.name.startsWith('home state.json'))).toBe(true);
    expect(leaks).toEqual([]);
    // The token file holds the live tokens (so the canaries were real) and only its owner can read it.
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    const tokens = await readFile(tokenFile, 'utf8');
    expect(canaries.findLeaks([{ name: 'token file', text: tokens }]).length).toBeGreaterThan(0);
  });
});
