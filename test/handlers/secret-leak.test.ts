// No secret escapes from the Lambda handlers. Known values are canaries: every token both simulators mint, the
// huami-open client secret (from the function environment and from a stored secret), a wrong client secret and
// the webhook signatures. The dispatcher, the sync worker (with expiring app tokens, 500s, truncated bodies, a
// revoked login token, a 401 from huami-open and a refused client secret), the token refresher and the webhook
// (valid, forged and signed-but-malformed) run with Powertools at DEBUG while stdout and stderr are captured.
// Then every log line, EMF metric line, handler result and error, every DynamoDB item, every object in the
// bucket (bytes, gunzipped raw JSON, Parquet rows) and every queued message must hold no canary in any obvious
// encoding. Secrets Manager (the emulator's store) is the one place they may live.

import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginZepp } from '../../lambdas/cli/sync-command.ts';
import { METRIC } from '../../lambdas/core/metric-names.ts';
import type { LambdaRuntime } from '../../lambdas/runtime/aws-parquet.ts';
import { exchangeCode } from '../../lambdas/sources/huami-open/client.ts';
import type { HuamiOpenTokens } from '../../lambdas/sources/registry.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../sim/huami-open/simulator.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { functionUrlEvent } from '../support/function-url-event.ts';
import { FAST_HTTP } from '../support/local-lake.ts';
import {
  type Artefact,
  errorArtefacts,
  OutputCapture,
  objectArtefacts,
  SecretCanaries,
} from '../support/secret-canaries.ts';
import {
  captureMetrics,
  cliRuntimeOver,
  drainQueue,
  type HandlerEnv,
  lambdaContext,
  metricTotal,
  schedulerEvent,
  setUpHandlerEnv,
  shortSimUser,
  testRuntime,
} from './lambda-harness.ts';

const TODAY = new Date().toISOString().slice(0, 10);
const REDIRECT = 'https://zepp-lake.example/callback';
const canaryText = (what: string) => `${what}-${randomBytes(12).toString('base64url')} +/&="é`;

describe('secret leaks in the Lambda handlers', () => {
  let h: HandlerEnv;
  let zepp: Simulator;
  let huami: HuamiOpenSimulator;
  let rt: LambdaRuntime;
  let handlers: typeof import('./handler-modules.ts');
  const capture = new OutputCapture();
  const artefacts: Artefact[] = [];
  const canaries = new SecretCanaries();
  const clientSecret = canaryText('client-secret');
  const wrongClientSecret = canaryText('wrong-client-secret');
  const signatures: string[] = [];
  const specs = ['fine', 'flaky', 'gone'].map((n) => {
    const spec = shortSimUser(TODAY, `leak-${n}`, 6);
    return { ...spec, password: canaryText(`pw-${n}`) };
  });
  const [fineId, flakyId, goneId] = specs.map((s) => s.userId) as [string, string, string];
  let openIds: [string, string, string];

  beforeAll(async () => {
    h = await setUpHandlerEnv();
    zepp = await startSimulator({ today: TODAY, users: specs, loginThrottle: false });
    huami = await startHuamiOpenSimulator({ seed: 21, today: TODAY, days: 4, users: 3, clientSecret });
    openIds = [huami.users[0]!.userId, huami.users[1]!.userId, huami.users[2]!.userId];
    Object.assign(process.env, {
      HUAMI_PUBLIC_KEY: huami.publicKeyPem,
      HUAMI_CLIENT_SECRET: clientSecret,
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      LOG_LEVEL: 'DEBUG',
    });
    capture.start();
    handlers = await import('./handler-modules.ts');
    const { logger } = await import('../../lambdas/runtime/logger.ts');
    logger.setLogLevel('DEBUG');
    rt = testRuntime(Date.now);

    for (const u of zepp.users)
      await loginZepp(cliRuntimeOver(rt), { email: u.email, password: u.password, host: zepp.url, http: FAST_HTTP });
    // gone: logged out elsewhere, which revokes its login token and its app tokens.
    const gone = (await rt.tokens.get(goneId))!;
    const logout = await fetch(`${zepp.url}/v1/client/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login_token: gone.loginToken! }),
    });
    await logout.arrayBuffer();

    // huami-open: [0] expired access token, client secret from the environment; [1] consent withdrawn (401 on
    // data, then invalid_grant); [2] a wrong stored client secret (401 invalid_client on the refresh).
    for (const [i, openId] of openIds.entries()) {
      const code = huami.authorize(openId, { clientId: huami.clientId, redirectUri: REDIRECT });
      const oauth = await exchangeCode(
        { code, clientId: huami.clientId, clientSecret, redirectUri: REDIRECT },
        { base: huami.url },
        FAST_HTTP,
      );
      const tokens: HuamiOpenTokens = {
        source: 'huami-open',
        vendorUserId: openId,
        host: huami.url,
        accessToken: oauth.accessToken,
        refreshToken: oauth.refreshToken,
        accessTokenExpiresAt: i === 1 ? Date.now() + 86_400_000 : Date.now() - 1,
        clientId: huami.clientId,
        ...(i === 2 ? { clientSecret: wrongClientSecret } : {}),
      };
      await rt.tokens.put(openId, tokens);
      await rt.state.putUser({
        userId: openId,
        source: 'huami-open',
        enabled: true,
        createdAt: Date.now(),
        tzOffsetS: 0,
      });
    }
    huami.expireAccessTokens(openIds[0]);
    huami.revokeConsent(openIds[1]);
  });
  afterAll(async () => {
    capture.stop();
    await zepp?.close();
    await huami?.close();
    h?.aws.destroy();
    h?.sqs.destroy();
  });

  /** Runs one invocation; its result (or error) becomes an artefact. */
  async function invoke<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await fn();
      artefacts.push({ name: `${what} result`, text: JSON.stringify(result) ?? '' });
      return result;
    } catch (error) {
      artefacts.push(...errorArtefacts(`${what} error`, error));
      return undefined;
    }
  }

  it('sees a secret that the shared logger prints at DEBUG, even base64-encoded (the capture really captures)', async () => {
    // Prepare
    const { logger } = await import('../../lambdas/runtime/logger.ts');
    const probe = new SecretCanaries();
    const secret = canaryText('probe');
    probe.add('probe token', secret);
    const local = new OutputCapture();

    // Act
    local.start();
    try {
      logger.debug('probe', { blob: Buffer.from(`x${secret}`).toString('base64') });
    } finally {
      local.stop();
    }
    const leaks = probe.findLeaks(local.artefacts('probe'));

    // Assess
    expect(leaks).toHaveLength(1);
    expect(leaks[0]).toMatch(/^probe stdout line \d+: probe token \(base64\)$/);
  });

  it(
    'runs the dispatcher and the sync worker through expiring, failing, truncated and refused tokens',
    { timeout: 180_000 },
    async () => {
      // Prepare
      zepp.setFaults('expire-legacy:once,expire-rest:once,500:4,truncate:4');
      const dispatcher = handlers.dispatcher(rt);
      const worker = handlers.syncWorker(rt, { http: FAST_HTTP });

      // Act
      const dispatched = await invoke('dispatcher', () =>
        dispatcher(schedulerEvent('sync', new Date().toISOString()), lambdaContext('dispatcher')),
      );
      const drained = await invoke('sync worker', () =>
        captureMetrics(() => drainQueue(h, worker, { concurrency: 2, batchSize: 2 })),
      );
      zepp.setFaults({});

      // Assess: the paths ran (a 500 and a truncation past the retries, two refreshes, three refused users).
      expect(dispatched?.users).toBe(6);
      expect(drained?.result.failures).toBeGreaterThan(0);
      expect(metricTotal(drained?.metrics ?? [], METRIC.authFailed)).toBeGreaterThanOrEqual(3);
      const faults = zepp.stats().faults;
      expect([faults['500'], faults.truncate, faults['expire-legacy'], faults['expire-rest']]).toEqual([4, 4, 1, 1]);
      expect((await rt.state.listLedger(goneId)).some((e) => e.status === 'auth_failed')).toBe(true);
      expect((await rt.state.listLedger(openIds[1])).some((e) => e.status === 'auth_failed')).toBe(true);
      expect((await rt.state.listLedger(openIds[2])).some((e) => e.status === 'auth_failed')).toBe(true);
      expect((await rt.state.listLedger(flakyId)).some((e) => e.status === 'written')).toBe(true);
      expect(huami.requests.filter((r) => r.status === 401).map((r) => r.path)).toEqual(
        expect.arrayContaining(['/oauth2/refresh_token', expect.stringMatching(/^\/users\/-\//)]),
      );
    },
  );

  it('runs the token refresher over renewable and dead tokens', async () => {
    // Prepare
    const refresher = handlers.tokenRefresher(rt, {
      http: FAST_HTTP,
      zeppMaxAgeMs: 0,
      oauthMarginMs: 365 * 86_400_000,
    });

    // Act
    const out = await invoke('token refresher', () =>
      refresher(schedulerEvent('token-refresh', new Date().toISOString()), lambdaContext('token-refresher')),
    );

    // Assess
    const actions = Object.fromEntries((out?.results ?? []).map((r) => [r.userId, r.action]));
    expect(actions).toEqual({
      [fineId]: 'refreshed',
      [flakyId]: 'refreshed',
      [goneId]: 'auth-failed',
      [openIds[0]]: 'refreshed',
      [openIds[1]]: 'auth-failed',
      [openIds[2]]: 'auth-failed',
    });
  });

  it('runs the webhook with a valid, a forged and a signed-but-malformed body', async () => {
    // Prepare
    const webhook = handlers.webhook(rt);
    const body = JSON.stringify(huami.makeNotification(openIds[0]));
    const valid = huami.signBody(body);
    const forgedBytes = Buffer.from(decodeURIComponent(valid), 'base64');
    forgedBytes[7]! ^= 0x01;
    const forged = encodeURIComponent(forgedBytes.toString('base64'));
    const malformed = '{"not":"a notification"';
    const malformedSignature = huami.signBody(malformed);
    signatures.push(valid, forged, malformedSignature);

    // Act
    const call = (what: string, b: string, signature: string) =>
      invoke(what, () => webhook(functionUrlEvent(b, { 'huami-signature': signature }), lambdaContext('webhook')));
    const answers = [
      await call('webhook (valid signature)', body, valid),
      await call('webhook (forged signature)', body, forged),
      await call('webhook (signed, malformed)', malformed, malformedSignature),
    ];

    // Assess
    expect(answers.map((a) => a?.statusCode)).toEqual([204, 401, 400]);
  });

  it('leaves no canary in logs, metrics, results, DynamoDB, the bucket or the queues; only Secrets Manager', async () => {
    // Prepare: the canaries, now that the simulators minted everything they will.
    for (const s of specs) canaries.add(`password of ${s.name}`, s.password);
    canaries.add('huami-open client secret', clientSecret);
    canaries.add('wrong huami-open client secret', wrongClientSecret);
    for (const s of zepp.mintedSecrets()) canaries.add('zepp login code / login token / app token', s);
    for (const s of huami.mintedSecrets()) canaries.add('huami-open OAuth code / access token / refresh token', s);
    for (const s of signatures) canaries.add('webhook signature', decodeURIComponent(s));
    expect(canaries.size).toBeGreaterThan(20);
    capture.stop();

    // Act: everything the run left behind.
    artefacts.push(...capture.artefacts('handler output'));
    let startKey: Record<string, unknown> | undefined;
    let items = 0;
    do {
      const page = await h.aws.dynamodb.send(
        new ScanCommand({ TableName: h.table, ExclusiveStartKey: startKey as never, ConsistentRead: true }),
      );
      for (const item of page.Items ?? []) {
        items++;
        artefacts.push({ name: `DynamoDB item ${JSON.stringify([item.pk, item.sk])}`, text: JSON.stringify(item) });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await h.aws.s3.send(new ListObjectsV2Command({ Bucket: h.bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.NextContinuationToken;
    } while (token);
    for (const key of keys) {
      const object = await h.aws.s3.send(new GetObjectCommand({ Bucket: h.bucket, Key: key }));
      const bytes = await object.Body!.transformToByteArray();
      artefacts.push(...objectArtefacts(key, bytes, 'bucket'), {
        name: `bucket ${key} metadata`,
        text: JSON.stringify(object.Metadata ?? {}),
      });
    }
    for (const [name, url] of [
      ['sync queue', h.queueUrl],
      ['dead-letter queue', h.dlqUrl],
    ] as const) {
      const out = await h.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
      );
      for (const m of out.Messages ?? []) artefacts.push({ name: `${name} message`, text: JSON.stringify(m) });
    }
    const leaks = canaries.findLeaks(artefacts);

    // Assess
    expect(artefacts.filter((a) => a.name.includes('EMF metrics line')).length).toBeGreaterThan(0);
    expect(
      artefacts.filter((a) => a.name.startsWith('handler output') && a.text.includes('"level"')).length,
    ).toBeGreaterThan(0);
    expect(items).toBeGreaterThan(0);
    expect(keys.some((k) => k.endsWith('.parquet'))).toBe(true);
    expect(keys.some((k) => k.startsWith('raw/webhook-rejects/'))).toBe(true);
    expect(leaks).toEqual([]);
    // Secrets Manager holds the live tokens: the canaries were the real thing.
    const stored = await Promise.all([fineId, openIds[0]].map(async (id) => JSON.stringify(await rt.tokens.get(id))));
    expect(canaries.findLeaks([{ name: 'Secrets Manager', text: stored.join('\n') }]).length).toBeGreaterThan(0);
  });
});
