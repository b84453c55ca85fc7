// `zepp-lake users add|list|remove` through the real command line on the local runtime, against the Zepp
// simulator over real HTTP (and the huami-open simulator for the pasted-code path).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { addHuamiOpenUser, codeFromPaste, listenForCode } from '../../lambdas/cli/users-command.ts';
import { addDays } from '../../lambdas/core/time.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../sim/huami-open/simulator.ts';
import { demoUsers, type Simulator, startSimulator } from '../../sim/index.ts';
import { createAwsClients, createTestBucket, createTestStateTable } from '../support/aws-clients.ts';
import { reopen, runCli } from '../support/cli.ts';
import { FAST_HTTP, lakeHashes, tempRuntime } from '../support/local-lake.ts';

const TODAY = '2026-11-20';
const clock = () => Date.parse(`${TODAY}T18:00:00Z`);

type Rt = Awaited<ReturnType<typeof tempRuntime>>;

describe('users command (zepp source, local runtime)', () => {
  let sim: Simulator;
  let rt: Rt;
  const saved = process.env.ZEPP_LAKE_PASSWORD;
  // Two short accounts: bob and chandra with only their last two weeks of history.
  const specs = demoUsers(TODAY)
    .filter((u) => u.name === 'bob' || u.name === 'chandra')
    .map((u) => ({ ...u, firstDate: addDays(TODAY, -14) }));
  const bob = specs.find((u) => u.name === 'bob')!;
  const chandra = specs.find((u) => u.name === 'chandra')!;

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: specs, loginThrottle: false });
    rt = await tempRuntime();
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.ZEPP_LAKE_PASSWORD;
    else process.env.ZEPP_LAKE_PASSWORD = saved;
    await rt.cleanup();
    await sim.close();
  });

  const add = (email: string, extra: string[] = []) =>
    runCli(rt, ['users', 'add', '--source', 'zepp', '--email', email, '--host', sim.url, ...extra]);

  it('adds zepp users with the password from the environment, never echoing it', async () => {
    process.env.ZEPP_LAKE_PASSWORD = 'not-the-password';
    const refused = await add(bob.email);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/zepp-lake: /);
    expect(refused.stderr + refused.stdout).not.toContain('not-the-password');

    process.env.ZEPP_LAKE_PASSWORD = bob.password;
    const ok = await add(bob.email, ['--tz-offset', '-21600']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`added zepp user ${bob.userId}`);
    expect(ok.stderr + ok.stdout).not.toContain(bob.password);

    process.env.ZEPP_LAKE_PASSWORD = chandra.password;
    expect((await add(chandra.email)).code).toBe(0);

    rt = reopen(rt);
    expect(await rt.state.getUser(bob.userId)).toMatchObject({ source: 'zepp', enabled: true, tzOffsetS: -21600 });
    expect(await rt.tokens.get(chandra.userId)).toMatchObject({ source: 'zepp', vendorUserId: chandra.userId });
  });

  it('lists the users with their source and whether tokens are stored', async () => {
    const text = await runCli(rt, ['users', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`${bob.userId}\\s+zepp\\s+enabled\\s+tokens`));
    expect(text.stdout).toContain(chandra.userId);

    const json = await runCli(rt, ['users', 'list', '--json']);
    const listed = JSON.parse(json.stdout) as { userId: string; source: string; hasTokens: boolean }[];
    expect(listed.map((u) => [u.userId, u.source, u.hasTokens])).toEqual([
      [bob.userId, 'zepp', true],
      [chandra.userId, 'zepp', true],
    ]);
  });

  it('removes a user: tokens and state always, their lake objects only with --delete-data', async () => {
    const reports = await syncUsers(rt, { quiet: true, clock, http: FAST_HTTP });
    for (const r of reports) expect(r.errors).toEqual([]);
    const objectsOf = async (userId: string) =>
      [...(await lakeHashes(rt.lakeDir)).keys()].filter(
        (k) => k.endsWith(`/user-${userId}.parquet`) || k.includes(`/user-${userId}/`),
      );
    const bobObjects = await objectsOf(bob.userId);
    const chandraObjects = await objectsOf(chandra.userId);
    expect(bobObjects.some((k) => k.startsWith('tables/activity_minute/'))).toBe(true);
    expect(bobObjects.some((k) => k.startsWith('raw/zepp/band_data/'))).toBe(true);

    const kept = await runCli(rt, ['users', 'remove', chandra.userId]);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toContain('lake objects kept');
    const gone = await runCli(rt, ['users', 'remove', bob.userId, '--delete-data']);
    expect(gone.code, gone.stderr).toBe(0);
    expect(gone.stdout).toContain(`deleted ${bobObjects.length} objects`);

    rt = reopen(rt);
    for (const id of [bob.userId, chandra.userId]) {
      expect(await rt.state.getUser(id)).toBeUndefined();
      expect(await rt.tokens.get(id)).toBeUndefined();
      expect(await rt.state.listLedger(id)).toEqual([]);
      expect(await rt.state.getCursor(id, 'band')).toBeUndefined();
    }
    expect(await objectsOf(bob.userId)).toEqual([]);
    expect(await objectsOf(chandra.userId)).toEqual(chandraObjects);
    expect((await runCli(rt, ['users', 'list'])).stdout).toContain('no users');

    const unknown = await runCli(rt, ['users', 'remove', 'nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no user nobody');
  });

  it('refuses a source that is not known and a zepp add without an e-mail', async () => {
    expect((await runCli(rt, ['users', 'add', '--source', 'garmin'])).code).toBe(2);
    const saveEmail = process.env.ZEPP_LAKE_EMAIL;
    delete process.env.ZEPP_LAKE_EMAIL;
    try {
      const noEmail = await runCli(rt, ['users', 'add', '--source', 'zepp']);
      expect(noEmail.code).toBe(2);
      expect(noEmail.stderr).toContain('no e-mail');
    } finally {
      if (saveEmail !== undefined) process.env.ZEPP_LAKE_EMAIL = saveEmail;
    }
  });
});

describe('users add --source huami-open: the pasted code and the redirect listener', () => {
  let sim: HuamiOpenSimulator;
  let rt: Rt;

  beforeAll(async () => {
    sim = await startHuamiOpenSimulator({ today: TODAY, days: 3, users: [{ userId: '1000000101', tzOffsetS: 0 }] });
    rt = await tempRuntime();
  });
  afterAll(async () => {
    await rt.cleanup();
    await sim.close();
  });

  it('accepts the whole redirect URL pasted back, and refuses one that answers another state', async () => {
    const redirectUri = 'http://127.0.0.1:8421/callback';
    const printed: string[] = [];
    const base = {
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      redirectUri,
      host: sim.url,
      http: FAST_HTTP,
      print: (l: string) => printed.push(l),
      newState: () => 'state-1',
      tzOffsetS: 0,
    };
    const code = () => sim.authorize('1000000101', { clientId: sim.clientId, redirectUri, state: 'state-1' });
    await expect(
      addHuamiOpenUser(rt, { ...base, readCode: async () => `${redirectUri}?code=${code()}&state=other` }),
    ).rejects.toThrow(/another state/);
    const added = await addHuamiOpenUser(rt, {
      ...base,
      readCode: async () => `${redirectUri}?code=${code()}&state=state-1`,
    });
    expect(added.user).toMatchObject({ userId: '1000000101', source: 'huami-open', tzOffsetS: 0 });
    expect(added.tzSource).toBe('option');
    expect(printed.join('\n')).toContain('oauth/index.html#/?');
    expect(printed.join('\n')).not.toContain(sim.clientSecret);
    expect((await rt.tokens.get('1000000101'))?.accessTokenExpiresAt).toBeGreaterThan(Date.now());
  });

  it('reads a bare code, or one from a query string, and names a refusal', () => {
    expect(codeFromPaste('  abc123 \n', 's')).toBe('abc123');
    expect(codeFromPaste('code=abc&state=s', 's')).toBe('abc');
    expect(() => codeFromPaste('http://127.0.0.1/cb?error=access_denied&state=s', 's')).toThrow(
      /refused: access_denied/,
    );
    expect(() => codeFromPaste('', 's')).toThrow(/no authorization code/);
  });

  it('the listener ignores a redirect with another state and answers the one with the right state', async () => {
    const listener = await listenForCode({ port: 0, state: 'good' });
    try {
      expect((await fetch(`${listener.redirectUri}?code=evil&state=bad`)).status).toBe(400);
      expect((await fetch(listener.redirectUri.replace('/callback', '/other'))).status).toBe(404);
      expect((await fetch(`${listener.redirectUri}?code=real&state=good`)).status).toBe(200);
      await expect(listener.code).resolves.toBe('real');
    } finally {
      await listener.close();
    }
  });
});

describe('users command on --backend aws (S3, DynamoDB and Secrets Manager stand-ins)', () => {
  let sim: Simulator;
  let rt: Rt;
  let aws: ReturnType<typeof createAwsClients>;
  let backend: string[];
  // A user id no other test file uses: the secret name is per user under the shared default prefix.
  const userId = `7${String(Date.now()).slice(-9)}`;
  const spec = { ...demoUsers(TODAY).find((u) => u.name === 'bob')!, userId, firstDate: addDays(TODAY, -10) };

  beforeAll(async () => {
    aws = createAwsClients();
    const bucket = await createTestBucket(aws.s3);
    const table = await createTestStateTable(aws.dynamodb);
    backend = ['--backend', 'aws', '--bucket', bucket, '--table', table];
    sim = await startSimulator({ today: TODAY, users: [spec], loginThrottle: false });
    rt = await tempRuntime();
  });
  afterAll(async () => {
    await rt.cleanup();
    await sim.close();
    aws.destroy();
  });

  it('adds, lists, syncs and removes a user with their data in the bucket', async () => {
    const savedPassword = process.env.ZEPP_LAKE_PASSWORD;
    process.env.ZEPP_LAKE_PASSWORD = spec.password;
    try {
      const added = await runCli(rt, [
        ...backend,
        'users',
        'add',
        '--source',
        'zepp',
        '--email',
        spec.email,
        '--host',
        sim.url,
      ]);
      expect(added.code, added.stderr).toBe(0);
    } finally {
      if (savedPassword === undefined) delete process.env.ZEPP_LAKE_PASSWORD;
      else process.env.ZEPP_LAKE_PASSWORD = savedPassword;
    }
    const listed = JSON.parse((await runCli(rt, [...backend, 'users', 'list', '--json'])).stdout) as {
      userId: string;
      hasTokens: boolean;
    }[];
    expect(listed.map((u) => [u.userId, u.hasTokens])).toEqual([[userId, true]]);

    const synced = await runCli(rt, [...backend, 'sync', '--host', sim.url]);
    expect(synced.code, synced.stderr).toBe(0);
    const bucketKeys = async () => {
      const { S3ObjectStore } = await import('../../lambdas/stores/s3-lake.ts');
      const store = new S3ObjectStore({ client: aws.s3, bucket: backend[3]! });
      return [...(await store.list('tables/')), ...(await store.list('raw/'))].filter((k) =>
        k.includes(`user-${userId}`),
      );
    };
    expect((await bucketKeys()).length).toBeGreaterThan(5);

    const removed = await runCli(rt, [...backend, 'users', 'remove', userId, '--delete-data']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await bucketKeys()).toEqual([]);
    expect((await runCli(rt, [...backend, 'users', 'list', '--json'])).stdout.trim()).toBe('[]');
    const { SecretsManagerTokenStore } = await import('../../lambdas/stores/secrets-tokens.ts');
    expect(await new SecretsManagerTokenStore({ client: aws.secretsManager }).get(userId)).toBeUndefined();
  }, 60_000);
});
