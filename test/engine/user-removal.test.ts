// A person removed with `users remove` stays removed: the removal takes the user's lease (a sync or replay running
// now makes it wait for them, exit 4), and a sync that reaches its end after a removal does not write the user back.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import { removeUser } from '../../lambdas/cli/users-command.ts';
import { LeaseHeldError } from '../../lambdas/core/errors.ts';
import { type Simulator, startSimulator } from '../../sim/index.ts';
import { shortSimUser } from '../handlers/lambda-harness.ts';
import { FAST_HTTP, loginAll, tempRuntime } from '../support/local-lake.ts';

const TODAY = '2026-11-20';
const NOON = Date.parse(`${TODAY}T12:00:00Z`);

describe('removing a user while they sync', () => {
  let sim: Simulator;
  const spec = shortSimUser(TODAY, 'leaving', 8);

  beforeAll(async () => {
    sim = await startSimulator({ today: TODAY, users: [spec] });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('refuses the removal while a sync holds the user, and removes once it is done', async () => {
    // Prepare
    const rt = await tempRuntime();
    try {
      await loginAll(rt, sim);
      expect(await rt.state.acquireLease(spec.userId, 'a-running-sync', Date.now(), 60_000)).toBe(true);

      // Act
      const refused = await removeUser(rt, spec.userId).catch((err: unknown) => err);
      await rt.state.releaseLease(spec.userId, 'a-running-sync');
      await removeUser(rt, spec.userId);

      // Assess
      expect(refused).toBeInstanceOf(LeaseHeldError);
      expect(await rt.state.getUser(spec.userId)).toBeUndefined();
      expect(await rt.tokens.get(spec.userId)).toBeUndefined();
    } finally {
      await rt.cleanup();
    }
  });

  it('does not write back a user whose record was deleted while the sync ran', async () => {
    // Prepare
    const rt = await tempRuntime();
    try {
      await loginAll(rt, sim);
      let removed = false;

      // Act: the user's record disappears half-way (a removal by a process that did not wait for the lease).
      await syncUsers(rt, {
        user: spec.userId,
        from: '2026-11-14',
        quiet: true,
        http: FAST_HTTP,
        clock: () => NOON,
        afterStep: async (step) => {
          if (step === 'lake' && !removed) {
            removed = true;
            await rt.state.deleteUser(spec.userId);
          }
        },
      });

      // Assess
      expect(removed).toBe(true);
      expect(await rt.state.getUser(spec.userId)).toBeUndefined();
      expect((await rt.state.listUsers()).map((u) => u.userId)).toEqual([]);
    } finally {
      await rt.cleanup();
    }
  });
});
