// Raw never shrinks (issue 14 item 1), huami-open: any history of full and partial syncs replays to exactly the
// month objects the syncs wrote.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { exchangeCode } from '../../lambdas/sources/huami-open/client.ts';
import type { HuamiOpenTokens } from '../../lambdas/sources/registry.ts';
import { type HuamiOpenSimulator, startHuamiOpenSimulator } from '../../sim/huami-open/simulator.ts';
import { FAST_HTTP } from '../support/local-lake.ts';
import { EXAMPLES, HISTORY_DAYS, historyArb, type Rt, replayEqualsSyncs, TODAY } from '../support/replay-histories.ts';

describe('replay equals what the syncs wrote, for any history of full and partial syncs', () => {
  let huami: HuamiOpenSimulator;
  beforeAll(async () => {
    huami = await startHuamiOpenSimulator({
      seed: 11,
      today: TODAY,
      days: HISTORY_DAYS,
      users: [{ userId: '1000000211', tzOffsetS: 3600, device: 'amazfit' }],
    });
  });
  afterAll(async () => {
    await huami?.close();
  });

  it('huami-open', async () => {
    const user = huami.users[0]!;
    const prepare = async (rt: Rt) => {
      const redirectUri = 'http://127.0.0.1:1/callback';
      const code = huami.authorize(user.userId, { clientId: huami.clientId, redirectUri });
      const oauth = await exchangeCode(
        { code, clientId: huami.clientId, clientSecret: huami.clientSecret, redirectUri },
        { base: huami.url },
        FAST_HTTP,
      );
      const tokens: HuamiOpenTokens = {
        source: 'huami-open',
        vendorUserId: user.userId,
        host: huami.url,
        accessToken: oauth.accessToken,
        refreshToken: oauth.refreshToken,
        accessTokenExpiresAt: Date.parse(`${TODAY}T18:00:00Z`) + 30 * 86_400_000,
        clientId: huami.clientId,
        clientSecret: huami.clientSecret,
        redirectUri,
      };
      await rt.tokens.put(user.userId, tokens);
      await rt.state.putUser({
        userId: user.userId,
        source: 'huami-open',
        enabled: true,
        createdAt: 0,
        tzOffsetS: user.tzOffsetS,
      });
      return user.userId;
    };
    await fc.assert(
      fc.asyncProperty(historyArb(false), (steps) => replayEqualsSyncs(steps, prepare, () => undefined)),
      {
        numRuns: 4,
        seed: 15,
        endOnFailure: true,
        examples: EXAMPLES.filter((e) => e.every((s) => !s.wrongRegion)).map((e) => [e]),
      },
    );
  }, 600_000);
});
