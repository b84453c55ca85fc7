// The token refresher with the Scheduler's event, against the Secrets Manager emulator and both simulators:
// old Zepp app tokens are re-minted from the login token, huami-open access tokens near expiry are refreshed,
// and a token that cannot be renewed is reported and counted without touching any data.

import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginZepp } from '../../lambdas/cli/sync-command.ts';
import { METRIC } from '../../lambdas/core/metric-names.ts';
import type { UserTokens } from '../../lambdas/core/ports.ts';
import type { SyncMessage } from '../../lambdas/core/sync-message.ts';
import { addDays } from '../../lambdas/core/time.ts';
import type { LambdaRuntime } from '../../lambdas/runtime/aws-parquet.ts';
import { buildAuthorizeUrl, exchangeCode } from '../../lambdas/sources/huami-open/client.ts';
import type { HuamiOpenTokens } from '../../lambdas/sources/registry.ts';
import { SecretsManagerTokenStore } from '../../lambdas/stores/secrets-tokens.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../sim/huami-open/simulator.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { FAST_HTTP } from '../support/local-lake.ts';
import {
  captureMetrics,
  cliRuntimeOver,
  type HandlerEnv,
  lambdaContext,
  metricTotal,
  queueDepth,
  receiveBatch,
  schedulerEvent,
  settleBatch,
  setUpHandlerEnv,
  shortSimUser,
  testRuntime,
} from './lambda-harness.ts';

const TODAY = '2026-11-20';
const NOW = Date.parse(`${TODAY}T04:00:00Z`);
const DAY = 86_400_000;
const REDIRECT = 'https://zepp-lake.example/callback';

describe('token refresher', () => {
  let h: HandlerEnv;
  let zepp: Simulator;
  let huami: HuamiOpenSimulator;
  let rt: LambdaRuntime;
  let handlers: typeof import('./handler-modules.ts');
  const specs = ['old', 'new', 'gone'].map((n) => shortSimUser(TODAY, n, 5));
  const [oldId, newId, goneId] = specs.map((s) => s.userId) as [string, string, string];
  let openId: string;

  beforeAll(async () => {
    h = await setUpHandlerEnv();
    zepp = await startSimulator({ today: TODAY, users: specs, loginThrottle: false });
    huami = await startHuamiOpenSimulator({ seed: 5, today: TODAY, days: 3, users: 1 });
    handlers = await import('./handler-modules.ts');
    rt = testRuntime(() => NOW);
    for (const u of zepp.users)
      await loginZepp(cliRuntimeOver(rt), { email: u.email, password: u.password, host: zepp.url, http: FAST_HTTP });
    const age = async (userId: string, days: number, extra: Partial<UserTokens> = {}) => {
      const t = (await rt.tokens.get(userId))!;
      await rt.tokens.put(userId, { ...t, appTokenIssuedAt: NOW - days * DAY, ...extra });
    };
    await age(oldId, 10);
    await age(newId, 1);
    await age(goneId, 10, { loginToken: 'revoked-login-token' });

    // A huami-open user who authorized zepp-lake; the access token expires tomorrow.
    openId = huami.users[0]!.userId;
    const url = new URL(
      buildAuthorizeUrl({
        clientId: huami.clientId,
        redirectUri: REDIRECT,
        scopes: ['profile'],
        state: 's',
        authBase: huami.url,
      }),
    );
    const params = new URLSearchParams(url.hash.replace(/^#\/\?/, ''));
    const code = huami.authorize(openId, {
      clientId: params.get('client_id') ?? '',
      redirectUri: params.get('redirect_uri') ?? '',
      scope: params.get('scope') ?? '',
      state: 's',
    });
    const oauth = await exchangeCode(
      { code, clientId: huami.clientId, clientSecret: huami.clientSecret, redirectUri: REDIRECT },
      { base: huami.url },
      FAST_HTTP,
    );
    const tokens: HuamiOpenTokens = {
      source: 'huami-open',
      vendorUserId: openId,
      host: huami.url,
      accessToken: oauth.accessToken,
      refreshToken: oauth.refreshToken,
      accessTokenExpiresAt: NOW + DAY,
      clientId: huami.clientId,
      clientSecret: huami.clientSecret,
    };
    await rt.tokens.put(openId, tokens);
    await rt.state.putUser({ userId: openId, source: 'huami-open', enabled: true, createdAt: NOW });
  });
  /** One sync message, sent to the queue and received as the event source mapping hands it to the worker. */
  async function sqsEventOf(message: SyncMessage): Promise<SQSEvent> {
    await h.sqs.send(new SendMessageCommand({ QueueUrl: h.queueUrl, MessageBody: JSON.stringify(message) }));
    const event = await receiveBatch(h, 1);
    expect(event.Records).toHaveLength(1);
    return event;
  }

  afterAll(async () => {
    await zepp?.close();
    await huami?.close();
    h?.aws.destroy();
    h?.sqs.destroy();
  });

  it('renews what is due, leaves fresh tokens alone, and reports a dead login token without touching data', async () => {
    // Prepare
    const refresher = handlers.tokenRefresher(rt, { http: FAST_HTTP });
    const before = new Map<string, UserTokens>();
    for (const id of [oldId, newId, goneId, openId]) before.set(id, (await rt.tokens.get(id))!);
    const mints = zepp.stats().requests.app_tokens ?? 0;

    // Act
    const out = await captureMetrics(() =>
      refresher(schedulerEvent('token-refresh', `${TODAY}T04:00:00Z`), lambdaContext('token-refresher')),
    );

    // Assess
    const actions = Object.fromEntries(out.result.results.map((r) => [r.userId, r.action]));
    expect(actions).toEqual({ [oldId]: 'refreshed', [newId]: 'fresh', [goneId]: 'auth-failed', [openId]: 'refreshed' });
    expect(out.result).toMatchObject({ refreshed: 2, fresh: 1, authFailed: 1, failed: 0 });
    expect(metricTotal(out.metrics, METRIC.tokensRefreshed)).toBe(2);
    expect(metricTotal(out.metrics, METRIC.authFailed)).toBe(1);
    expect((zepp.stats().requests.app_tokens ?? 0) - mints).toBe(2);

    const renewed = (await rt.tokens.get(oldId))!;
    expect(renewed.appToken).not.toBe(before.get(oldId)!.appToken);
    expect(renewed.appTokenIssuedAt).toBe(NOW);
    expect(await rt.tokens.get(newId)).toEqual(before.get(newId));
    expect(await rt.tokens.get(goneId)).toEqual(before.get(goneId));
    const open = (await rt.tokens.get(openId)) as HuamiOpenTokens;
    expect(open.accessToken).not.toBe(before.get(openId)!.accessToken);
    expect(open.accessTokenExpiresAt!).toBeGreaterThan(NOW + DAY);
    expect(open.clientSecret).toBe(huami.clientSecret);
    for (const r of out.result.results) expect(r.reason ?? '').not.toContain('revoked-login-token');

    // Nothing but tokens changed: no lake object, no ledger entry.
    expect(await rt.store.list('')).toEqual([]);
    for (const id of [oldId, newId, goneId, openId]) expect(await rt.state.listLedger(id)).toEqual([]);
  });

  describe('and a sync worker renewing the same huami-open user', () => {
    // Two Lambdas: each has its own token store (and cache) over the same Secrets Manager. The simulator rotates
    // the refresh token on every refresh and refuses a superseded one with invalid_grant.
    const raceId = '1000000201';
    let race: HuamiOpenSimulator;
    let workerRt: LambdaRuntime;
    let refresherRt: LambdaRuntime;
    const clock = () => Date.parse(`${TODAY}T18:00:00Z`);

    beforeAll(async () => {
      race = await startHuamiOpenSimulator({
        seed: 9,
        today: TODAY,
        days: 3,
        users: [{ userId: raceId, tzOffsetS: 3600, device: 'amazfit' }],
      });
      // Two functions of one deployment: one clock, each its own Secrets Manager client and cache.
      workerRt = testRuntime(clock);
      refresherRt = testRuntime(clock);
      const code = race.authorize(raceId, { clientId: race.clientId, redirectUri: REDIRECT });
      const oauth = await exchangeCode(
        { code, clientId: race.clientId, clientSecret: race.clientSecret, redirectUri: REDIRECT },
        { base: race.url },
        FAST_HTTP,
      );
      const tokens: HuamiOpenTokens = {
        source: 'huami-open',
        vendorUserId: raceId,
        host: race.url,
        accessToken: oauth.accessToken,
        refreshToken: oauth.refreshToken,
        accessTokenExpiresAt: NOW + DAY,
        clientId: race.clientId,
        clientSecret: race.clientSecret,
      };
      await rt.tokens.put(raceId, tokens);
      await rt.state.putUser({ userId: raceId, source: 'huami-open', enabled: true, createdAt: NOW, tzOffsetS: 3600 });
    });
    afterAll(async () => {
      await race?.close();
    });

    /** Makes the stored access token due again (for the refresher's 7 days and the worker's 5 minutes alike). */
    async function makeDue(): Promise<void> {
      const t = (await rt.tokens.get(raceId))!;
      await rt.tokens.put(raceId, { ...t, accessTokenExpiresAt: NOW + DAY });
    }

    const refreshEvent = () => ({ ...schedulerEvent('token-refresh', `${TODAY}T04:00:00Z`), userId: raceId });
    const message = (): SyncMessage => ({
      userId: raceId,
      streams: ['band'],
      from: addDays(TODAY, -2),
      to: TODAY,
      reason: 'manual',
    });
    const refreshAnswers = () => race.requests.filter((r) => r.path === '/oauth2/refresh_token').map((r) => r.status);

    async function expectNewestWorkingSet(): Promise<void> {
      const stored = (await new SecretsManagerTokenStore({
        client: h.aws.secretsManager,
        prefix: h.secretPrefix,
        cacheTtlMs: 0,
      }).get(raceId)) as HuamiOpenTokens;
      const live = race.liveTokens(raceId);
      // rotation leaves exactly one refresh token alive: the stored one, with the newest access token
      expect(live.refreshTokens).toEqual([stored.refreshToken]);
      expect(live.accessTokens).toContain(stored.accessToken);
      expect(stored.clientSecret).toBe(race.clientSecret);
    }

    async function expectNoAuthFailure(): Promise<void> {
      const ledger = await rt.state.listLedger(raceId);
      expect(ledger.filter((e) => e.status === 'auth_failed')).toEqual([]);
      expect(ledger.filter((e) => e.stream === 'band').length).toBeGreaterThan(0);
    }

    it('the refresher rotating after the worker read the tokens does not leave the worker auth_failed', async () => {
      // Prepare: the worker reads the user's tokens, then the refresher renews them to the end before the worker
      // goes on (the refresher's schedule firing while a sync message starts).
      await makeDue();
      const refresher = handlers.tokenRefresher(refresherRt, { http: FAST_HTTP });
      let refresherResult: Awaited<ReturnType<typeof refresher>> | undefined;
      const workerTokens = new Proxy(workerRt.tokens, {
        get(target, prop, receiver) {
          if (prop !== 'get') return Reflect.get(target, prop, receiver);
          return async (userId: string) => {
            const read = await target.get(userId);
            if (userId === raceId && !refresherResult)
              refresherResult = await refresher(refreshEvent(), lambdaContext('token-refresher'));
            return read;
          };
        },
      });
      const worker = handlers.syncWorker({ ...workerRt, tokens: workerTokens }, { http: FAST_HTTP });
      const mark = race.requests.length;

      // Act
      const event = await sqsEventOf(message());
      const response = await worker(event, lambdaContext('sync-worker'));
      await settleBatch(h, event, response);

      // Assess
      expect(refresherResult?.results.map((r) => r.action)).toEqual(['refreshed']);
      expect(response?.batchItemFailures).toEqual([]);
      await expectNoAuthFailure();
      // one refresh at the vendor (the refresher's); the worker took the stored set instead of refreshing again
      expect(
        race.requests
          .slice(mark)
          .filter((r) => r.path === '/oauth2/refresh_token')
          .map((r) => r.status),
      ).toEqual([200]);
      await expectNewestWorkingSet();
    });

    it('refresher and worker started at the same moment: no auth_failed, one live token set stored', async () => {
      for (let round = 0; round < 3; round++) {
        await makeDue();
        const refresher = handlers.tokenRefresher(refresherRt, { http: FAST_HTTP });
        const worker = handlers.syncWorker(workerRt, { http: FAST_HTTP });
        const event = await sqsEventOf(message());
        const [refreshed, response] = await Promise.all([
          refresher(refreshEvent(), lambdaContext('token-refresher')),
          worker(event, lambdaContext('sync-worker')),
        ]);
        // The refresher renews or finds the user busy (the worker renews on its own); never auth-failed.
        expect(['refreshed', 'busy', 'fresh']).toContain(refreshed.results[0]?.action);
        await settleBatch(h, event, response);
        // A worker that met the refresher's lease is handed back and runs on its retry.
        if ((response?.batchItemFailures.length ?? 0) > 0) {
          const again = await receiveBatch(h, 1);
          expect(again.Records.map((r) => r.messageId)).toEqual(event.Records.map((r) => r.messageId));
          const retry = await worker(again, lambdaContext('sync-worker'));
          await settleBatch(h, again, retry);
          expect(retry?.batchItemFailures).toEqual([]);
        }
        expect(await queueDepth(h)).toBe(0);
        await expectNoAuthFailure();
        expect(refreshAnswers().filter((s) => s !== 200)).toEqual([]);
        await expectNewestWorkingSet();
      }
    });
  });

  it('refuses an event meant for another schedule', async () => {
    const refresher = handlers.tokenRefresher(rt, { http: FAST_HTTP });
    await expect(
      refresher(schedulerEvent('sync', `${TODAY}T04:00:00Z`), lambdaContext('token-refresher')),
    ).rejects.toThrow(/token-refresh schedule/);
  });
});
