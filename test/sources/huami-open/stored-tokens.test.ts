// renewHuamiOpenTokens against the huami-open simulator (which rotates refresh tokens and refuses superseded
// ones) and the real 0600 token file: the branches a lease makes rare but a lost lease or a new consent can reach.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenStore, VersionedTokens } from '../../../lambdas/core/ports.ts';
import {
  exchangeCode,
  OAuthGrantRefusedError,
  refreshAccessToken,
} from '../../../lambdas/sources/huami-open/client.ts';
import { type HuamiOpenTokens, renewHuamiOpenTokens } from '../../../lambdas/sources/huami-open/stored-tokens.ts';
import { FileTokenStore } from '../../../lambdas/stores/file-tokens.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../../sim/huami-open/simulator.ts';
import { FAST_HTTP } from '../../support/local-lake.ts';

const REDIRECT = 'https://zepp-lake.example/callback';
const DAY = 86_400_000;
let sim: HuamiOpenSimulator;
let dir: string;
let store: FileTokenStore;

beforeAll(async () => {
  sim = await startHuamiOpenSimulator({ seed: 4, today: '2026-11-20', days: 2, users: 2 });
  dir = await mkdtemp(join(tmpdir(), 'zepp-lake-tokens-'));
  store = new FileTokenStore(join(dir, 'tokens.json'));
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

/** A consent stored as `users add` stores it, its access token due (it expires in a minute). */
async function consented(userId: string): Promise<HuamiOpenTokens> {
  const code = sim.authorize(userId, { clientId: sim.clientId, redirectUri: REDIRECT });
  const oauth = await exchangeCode(
    { code, clientId: sim.clientId, clientSecret: sim.clientSecret, redirectUri: REDIRECT },
    { base: sim.url },
    FAST_HTTP,
  );
  const tokens: HuamiOpenTokens = {
    source: 'huami-open',
    vendorUserId: userId,
    host: sim.url,
    accessToken: oauth.accessToken,
    refreshToken: oauth.refreshToken,
    accessTokenExpiresAt: Date.now() + 60_000,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
  };
  await store.put(userId, tokens);
  return tokens;
}

/** What another process does when it renews: refresh at the vendor and store the new set. */
async function renewedElsewhere(userId: string, from: HuamiOpenTokens): Promise<HuamiOpenTokens> {
  const next = await refreshAccessToken(
    { refreshToken: from.refreshToken!, clientId: sim.clientId, clientSecret: sim.clientSecret },
    { base: sim.url },
    FAST_HTTP,
  );
  const tokens = {
    ...from,
    accessToken: next.accessToken,
    refreshToken: next.refreshToken,
    accessTokenExpiresAt: next.expiresAt,
  };
  await store.put(userId, tokens);
  return tokens;
}

const deps = (tokens: TokenStore = store) => ({ tokens, now: Date.now, marginMs: 5 * 60_000, http: FAST_HTTP });

/** The store, except that its first getCurrent answers with `stale` (a read made before another process wrote). */
function firstReadStale(stale: VersionedTokens): TokenStore {
  let served = false;
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'getCurrent') return Reflect.get(target, prop, receiver);
      return async (userId: string) => {
        if (served) return target.getCurrent(userId);
        served = true;
        return stale;
      };
    },
  });
}

describe('renewHuamiOpenTokens', () => {
  it('renews a due set at the vendor and stores the rotated tokens', async () => {
    const userId = sim.users[0]!.userId;
    const start = await consented(userId);
    const { tokens, renewed } = await renewHuamiOpenTokens(deps(), userId, start.accessToken);
    expect(renewed).toBe(true);
    expect(await store.get(userId)).toEqual(tokens);
    expect(sim.liveTokens(userId).refreshTokens).toEqual([tokens.refreshToken]);
    expect(tokens.accessTokenExpiresAt).toBeGreaterThan(Date.now() + 80 * DAY);
  });

  it('takes the set another process stored instead of renewing again', async () => {
    const userId = sim.users[0]!.userId;
    const start = await consented(userId);
    const theirs = await renewedElsewhere(userId, start);
    const refreshes = sim.requests.filter((r) => r.path === '/oauth2/refresh_token').length;
    const { tokens, renewed } = await renewHuamiOpenTokens(deps(), userId, start.accessToken);
    expect(renewed).toBe(false);
    expect(tokens).toEqual(theirs);
    expect(sim.requests.filter((r) => r.path === '/oauth2/refresh_token').length).toBe(refreshes);
  });

  it('reads again on invalid_grant and takes the newer set another process stored meanwhile', async () => {
    const userId = sim.users[0]!.userId;
    const start = await consented(userId);
    const stale = (await store.getCurrent(userId))!;
    const theirs = await renewedElsewhere(userId, start);
    // this renewal read the store before the other process wrote: it spends the superseded refresh token
    const { tokens, renewed } = await renewHuamiOpenTokens(deps(firstReadStale(stale)), userId, start.accessToken);
    expect(renewed).toBe(false);
    expect(tokens).toEqual(theirs);
    expect(sim.requests.at(-1)).toMatchObject({ path: '/oauth2/refresh_token', status: 400 });
    expect(await store.get(userId)).toEqual(theirs);
  });

  it('declares the consent lost only when the stored refresh token itself is refused', async () => {
    const userId = sim.users[1]!.userId;
    const start = await consented(userId);
    sim.revokeConsent(userId);
    const err = await renewHuamiOpenTokens(deps(), userId, start.accessToken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthGrantRefusedError);
    expect(String((err as Error).message)).toMatch(/authorize zepp-lake again/);
    expect(await store.get(userId)).toEqual(start);
  });

  it('puts its new set on top of a write that kept the spent refresh token, and keeps a new consent', async () => {
    const userId = sim.users[0]!.userId;
    // someone rewrote the entry (the same tokens, another field) between this renewal's read and its write
    let start = await consented(userId);
    let stale = (await store.getCurrent(userId))!;
    await store.put(userId, { ...start, redirectUri: 'http://127.0.0.1:9/callback' });
    const first = await renewHuamiOpenTokens(deps(firstReadStale(stale)), userId, start.accessToken);
    expect(first.renewed).toBe(true);
    expect(first.tokens.redirectUri).toBe('http://127.0.0.1:9/callback');
    expect(await store.get(userId)).toEqual(first.tokens);
    expect(sim.liveTokens(userId).refreshTokens).toContain(first.tokens.refreshToken);

    // the person authorized again between the read and the write: the new consent stays
    start = await consented(userId);
    stale = (await store.getCurrent(userId))!;
    const consentAgain = await consented(userId);
    const second = await renewHuamiOpenTokens(deps(firstReadStale(stale)), userId, start.accessToken);
    expect(second.renewed).toBe(false);
    expect(second.tokens).toEqual(consentAgain);
    expect(await store.get(userId)).toEqual(consentAgain);
  });
});
