// The token refresher with the Scheduler's event, against the Secrets Manager emulator and both simulators:
// old Zepp app tokens are re-minted from the login token, huami-open access tokens near expiry are refreshed,
// and a token that cannot be renewed is reported and counted without touching any data.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuthorizeUrl, exchangeCode } from '../../lambdas/adapters/huami-open-api.ts';
import type { HuamiOpenTokens } from '../../lambdas/cli/open-source.ts';
import { loginZepp } from '../../lambdas/cli/sync-command.ts';
import type { UserTokens } from '../../lambdas/core/ports.ts';
import type { LambdaRuntime } from '../../lambdas/shared/aws-runtime.ts';
import { METRIC } from '../../lambdas/shared/metric-names.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../sim/huami-open.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { FAST_HTTP } from '../support/local-lake.ts';
import {
  captureMetrics,
  cliRuntimeOver,
  type HandlerEnv,
  lambdaContext,
  metricTotal,
  schedulerEvent,
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
    for (const u of zepp.users) await loginZepp(cliRuntimeOver(rt), u.email, u.password, zepp.url, FAST_HTTP);
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

  it('refuses an event meant for another schedule', async () => {
    const refresher = handlers.tokenRefresher(rt, { http: FAST_HTTP });
    await expect(
      refresher(schedulerEvent('sync', `${TODAY}T04:00:00Z`), lambdaContext('token-refresher')),
    ).rejects.toThrow(/token-refresh schedule/);
  });
});
