// One racing process for the multi-process tests of the local stores: it opens the real local runtime on a home
// folder and a lake, prints `ready`, waits until the test creates the `go` file (so every child starts its writes
// at the same moment, after its slow start-up), does one kind of write many times, and prints one JSON line of
// what it did.
//
//   tsx test/support/local-race-child.ts <kind> <lake> <home> <goFile> <name> <count>
//
// kinds: `hold` (take the home folder's lock, say `ready` and never let go: the test SIGKILLs it),
// `home` (login-like: token + user record, then a cursor advance and a ledger entry per item),
// `lease` (load the state, wait for go, try to take one user's lease), `cas` (increment a counter object in the
// lake with If-Match, retrying on a conflict, as the engine's month merge does).

import { existsSync } from 'node:fs';
import { WriteConflictError } from '../../lambdas/core/errors.ts';
import { openLocalRuntime } from '../../lambdas/runtime/local.ts';
import { withHomeLock } from '../../lambdas/stores/home-files.ts';

const [kind, lake, home, goFile, name, countText] = process.argv.slice(2);
if (!kind || !lake || !home || !goFile || !name || !countText)
  throw new Error('usage: <kind> <lake> <home> <go> <name> <count>');
const count = Number(countText);
const rt = openLocalRuntime({ lake, home });

/** Says `ready` on stdout, then waits for the test's go file. */
async function go(): Promise<void> {
  process.stdout.write('ready\n');
  while (!existsSync(goFile as string)) await new Promise((r) => setTimeout(r, 2));
}

async function homeWrites(): Promise<unknown> {
  await go();
  for (let i = 0; i < count; i++) {
    const userId = `${name}-${i}`;
    await rt.tokens.put(userId, { source: 'zepp', vendorUserId: userId, appToken: `app-${userId}` });
    await rt.state.putUser({ userId, source: 'zepp', enabled: true, createdAt: i });
    await rt.state.advanceCursor(userId, 'band', { through: '2026-01-31', updatedAt: i }, 0);
    await rt.state.putLedger([
      {
        userId,
        stream: 'band',
        period: '2026-01-31',
        localDate: '2026-01-31',
        status: 'written',
        rows: i,
        rawKey: null,
        fetchedAt: i,
        error: null,
        source: 'zepp',
      },
    ]);
  }
  return { wrote: count };
}

async function leaseRace(): Promise<unknown> {
  await rt.state.listUsers(); // the state is read before the race, as a running sync has read it
  await go();
  return { held: await rt.state.acquireLease('shared', `owner-${name}`, Date.now(), 60_000) };
}

async function casIncrements(): Promise<unknown> {
  const key = 'tables/counter/month=2026-01/user-shared.parquet';
  await go();
  let conflicts = 0;
  for (let i = 0; i < count; i++) {
    for (;;) {
      const current = await rt.store.get(key);
      const n = current ? Number(new TextDecoder().decode(current.body)) : 0;
      const body = new TextEncoder().encode(String(n + 1));
      try {
        await rt.store.put(key, body, current ? { ifMatch: current.etag } : { ifNoneMatch: true });
        break;
      } catch (err) {
        if (!(err instanceof WriteConflictError)) throw err;
        conflicts++;
      }
    }
  }
  return { increments: count, conflicts };
}

async function holdHomeLock(): Promise<unknown> {
  return withHomeLock(home as string, async () => {
    process.stdout.write('ready\n');
    await new Promise(() => setInterval(() => {}, 1_000)); // holds the lock until killed
  });
}

const kinds: Record<string, () => Promise<unknown>> = {
  hold: holdHomeLock,
  home: homeWrites,
  lease: leaseRace,
  cas: casIncrements,
};
const run = kinds[kind];
if (!run) throw new Error(`unknown kind ${kind}`);
process.stdout.write(`${JSON.stringify(await run())}\n`);
