// A sync whose Zepp app token has expired re-mints it without losing a newer stored set: when the person logged in
// again (in another terminal) or the refresher re-minted while the sync ran, the sync uses the stored tokens and
// leaves them as they are, instead of writing back its own start-of-run copy over them.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserTokens } from '../../../lambdas/core/ports.ts';
import { openZeppSource } from '../../../lambdas/sources/registry.ts';
import { loginWithPassword } from '../../../lambdas/sources/zepp/password-login.ts';
import { FileTokenStore } from '../../../lambdas/stores/file-tokens.ts';
import { type Simulator, startSimulator } from '../../../sim/index.ts';
import { shortSimUser } from '../../handlers/lambda-harness.ts';
import { FAST_HTTP } from '../../support/local-lake.ts';

const TODAY = '2026-11-20';

describe('Zepp app-token re-mint during a sync', () => {
  let sim: Simulator;
  let dir: string;
  let store: FileTokenStore;
  const spec = shortSimUser(TODAY, 'remint', 10);

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [spec] });
    dir = await mkdtemp(join(tmpdir(), 'zepp-lake-remint-'));
    store = new FileTokenStore(join(dir, 'home', 'tokens.json'));
  });
  afterAll(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function login(): Promise<UserTokens> {
    const l = await loginWithPassword(spec.email, spec.password, { base: sim.url }, FAST_HTTP);
    return {
      source: 'zepp',
      vendorUserId: l.userId,
      host: sim.url,
      email: spec.email,
      loginToken: l.loginToken,
      appToken: l.appToken,
      appTokenIssuedAt: Date.parse(`${TODAY}T08:00:00Z`),
    };
  }

  it('uses the tokens of a login made during the sync and keeps them stored', async () => {
    // Prepare: the sync starts with a set whose app token the vendor no longer accepts...
    const first = await login();
    const started: UserTokens = { ...first, appToken: 'expired-app-token' };
    await store.put(spec.userId, started);
    const source = openZeppSource(spec.userId, started, store, { http: FAST_HTTP });
    // ...and the person logs in again in another terminal before the sync meets the refusal.
    const fresh = await login();
    await store.put(spec.userId, fresh);

    // Act
    const raws = await source.fetchWindow('band', { month: '2026-11', from: '2026-11-15', to: '2026-11-16' });

    // Assess: the window came back, and the fresh login's tokens are what is stored.
    expect(raws).toHaveLength(1);
    expect(JSON.parse(raws[0]!.text).code).toBe(1);
    expect(await store.get(spec.userId)).toEqual(fresh);
  });

  it('mints a new app token from the stored login token when nothing newer is stored, and stores it', async () => {
    // Prepare
    const tokens = { ...(await login()), appToken: 'expired-app-token' };
    await store.put(spec.userId, tokens);
    const source = openZeppSource(spec.userId, tokens, store, { http: FAST_HTTP });

    // Act
    await source.fetchWindow('band', { month: '2026-11', from: '2026-11-15', to: '2026-11-15' });

    // Assess
    const stored = await store.get(spec.userId);
    expect(stored?.loginToken).toBe(tokens.loginToken);
    expect(stored?.appToken).not.toBe('expired-app-token');
  });
});
