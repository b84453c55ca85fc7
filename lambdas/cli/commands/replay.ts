// `zepp-lake replay`: rebuild the tables from raw/ without calling the API, under the same per-user lease as sync.

import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { LeaseHeldError } from '../../core/errors.ts';
import { type ReplayReport, replayUser } from '../../engine/replay.ts';
import type { Runtime } from '../../runtime/local.ts';
import { rawDecoderOf } from '../../sources/registry.ts';
import { dateOption, userIdOption } from '../option-parsers.ts';
import { createProgress } from '../progress.ts';
import type { CliWiring, Opts } from '../wiring.ts';

interface ReplayOptions {
  user?: string;
  from?: string;
  to?: string;
  quiet?: boolean;
  json?: boolean;
}

/** The users that have raw objects, sorted. */
async function usersWithRaw(rt: Runtime): Promise<string[]> {
  const users = new Set<string>();
  for (const k of await rt.store.list('raw/')) {
    const m = /\/user-([^/]+)\//.exec(k);
    if (m?.[1]) users.add(m[1]);
  }
  return [...users].sort();
}

/**
 * Replays every user with raw objects (or the one asked for). The lease sync takes: a user that another process
 * syncs or replays now is left alone and named at the end.
 */
async function replayUsers(rt: Runtime, o: ReplayOptions): Promise<void> {
  const progress = createProgress({ quiet: Boolean(o.quiet), json: Boolean(o.json), verb: 'replay' });
  const reports: ReplayReport[] = [];
  const lease = { state: rt.state, owner: `cli-replay-${randomUUID()}`, clock: Date.now };
  const held: LeaseHeldError[] = [];
  for (const userId of await usersWithRaw(rt)) {
    if (o.user && o.user !== userId) continue;
    const u = await rt.state.getUser(userId);
    const r = await replayUser({
      decoders: rawDecoderOf,
      store: rt.store,
      lease,
      onProgress: ({ phase, done, total }) =>
        progress.update({ userId, stream: phase === 'read' ? 'raw objects read' : 'raw objects decoded', done, total }),
      codec: rt.codec,
      userId,
      from: o.from,
      to: o.to,
      tzOffsetS: u?.tzOffsetS,
    }).catch((err: unknown) => {
      if (!(err instanceof LeaseHeldError)) throw err;
      held.push(err);
      return undefined;
    });
    if (!r) continue;
    reports.push(r);
    if (o.json) continue;
    console.log(
      `replayed user ${userId}: ${r.rawObjects} raw objects, ${r.rows} rows, ${r.objectsWritten} objects written`,
    );
    for (const rej of r.rejects.slice(0, 5)) console.log(`  ! ${rej}`);
  }
  progress.stop();
  if (o.json) console.log(JSON.stringify({ users: reports }, null, 2));
  if (held.length === 1) throw held[0];
  if (held.length > 1) throw new LeaseHeldError(`${held.map((e) => e.message).join('; ')}`, { cause: held[0] });
}

export function registerReplayCommand(program: Command, wiring: CliWiring): Command {
  return program
    .command('replay')
    .description('rebuild the tables from raw/ without calling the API')
    .option('--user <id>', 'only this user', userIdOption)
    .option('--from <date>', 'first local date to rebuild', dateOption)
    .option('--to <date>', 'last local date to rebuild', dateOption)
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print one JSON summary on stdout ({users:[replay report]}); progress as JSON lines on stderr')
    .action(async (o: Opts, cmd: Command) => replayUsers(wiring.runtimeOf(cmd), o as ReplayOptions));
}
