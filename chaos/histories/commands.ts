// The commands a history is made of, on either path (local or AWS): syncs (plain, `--from`, `--from/--to`), replays
// (whole and `--from/--to`), users added and removed (and added again), tokens the vendor ends early, a login
// the vendor refuses, and two of those at once as two processes would run them on one home folder and lake.
// Each command runs the real code the command line runs, at the world's clock, and records in the model what the
// lake now owes (model.ts). fast-check's commands() draws sequences of them and shrinks a failing one.

import type fc from 'fast-check';
import { syncUsers, type UserSyncReport } from '../../lambdas/cli/sync-command.ts';
import { removeUser } from '../../lambdas/cli/users-command.ts';
import { LeaseHeldError } from '../../lambdas/core/errors.ts';
import { replayUser } from '../../lambdas/engine/replay.ts';
import type { Runtime } from '../../lambdas/runtime/local.ts';
import { rawDecoderOf } from '../../lambdas/sources/registry.ts';
import { CHAOS_HTTP } from '../harness.ts';
import {
  added,
  type DayRange,
  describeRange,
  type HistoryModel,
  type PersonModel,
  personModel,
  removed,
  syncStarted,
} from './model.ts';
import type { World } from './world.ts';

/** A person of the history (by index) or every person. */
export type Who = number | 'all';

export function errorLine(err: unknown): string {
  return (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 300);
}

function whoText(m: HistoryModel | undefined, who: Who): string {
  if (who === 'all') return 'everyone';
  return m ? personModel(m, who).person.name : `p${who}`;
}

function existing(m: HistoryModel, who: Who): PersonModel[] {
  const people = who === 'all' ? m.people : [personModel(m, who)];
  return people.filter((p) => p.exists);
}

/**
 * One command: `apply` does it on a runtime and says in a few words what happened. `run` moves the clock first
 * and logs the line; a concurrent pair runs two `apply`s at one clock.
 */
export abstract class HistoryCommand implements fc.AsyncCommand<HistoryModel, World> {
  abstract check(m: Readonly<HistoryModel>): boolean;
  abstract apply(m: HistoryModel, w: World, rt: Runtime): Promise<string>;
  abstract toString(): string;

  async run(m: HistoryModel, w: World): Promise<void> {
    w.tick();
    const before = await authFailedCounts(m, w);
    const started = Date.now();
    const said = await this.apply(m, w, w.rt);
    m.log.push(`${this.toString()}: ${said} (${Date.now() - started} ms)`);
    await checkNoSpuriousAuthFailure(m, w, before, this.toString());
  }
}

/** auth_failed ledger entries per person who exists and still has a working login. */
async function authFailedCounts(m: HistoryModel, w: World): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const p of m.people) {
    if (!p.exists || p.revoked) continue;
    const ledger = await w.rt.state.listLedger(p.person.id);
    out.set(p.person.id, ledger.filter((e) => e.status === 'auth_failed').length);
  }
  return out;
}

/**
 * A person whose login (consent) holds must never be told to log in again: a token race (a refresh-token rotation,
 * two processes re-minting at once) that ends in auth_failed is a lost user, even if a later login heals the days.
 */
async function checkNoSpuriousAuthFailure(
  m: HistoryModel,
  w: World,
  before: Map<string, number>,
  command: string,
): Promise<void> {
  const after = await authFailedCounts(m, w);
  for (const [id, n] of after) {
    const was = before.get(id);
    if (was !== undefined && n > was) {
      const p = m.people.find((q) => q.person.id === id);
      m.problems.push(
        `${command}: ${n - was} day(s) of ${p?.person.name ?? id} became auth_failed although the login holds`,
      );
    }
  }
}

// ---------------------------------------------------------------- sync

export class SyncCommand extends HistoryCommand {
  constructor(
    readonly who: Who,
    readonly range?: DayRange,
  ) {
    super();
  }
  check(m: Readonly<HistoryModel>): boolean {
    return existing(m as HistoryModel, this.who).length > 0;
  }
  toString(): string {
    return `sync ${whoText(undefined, this.who)}${describeRange(this.range)}`;
  }
  async apply(m: HistoryModel, w: World, rt: Runtime): Promise<string> {
    const user = this.who === 'all' ? undefined : personModel(m, this.who).person.id;
    let reports: UserSyncReport[];
    try {
      reports = await syncUsers(rt, {
        quiet: true,
        clock: () => w.now(),
        http: CHAOS_HTTP,
        ...(user ? { user } : {}),
        ...(this.range ? { from: this.range.from, ...(this.range.to ? { to: this.range.to } : {}) } : {}),
      });
    } catch (err) {
      // A user removed by the other process of a concurrent pair before this one listed them.
      const gone = typeof this.who === 'number' && !personModel(m, this.who).exists;
      if (gone && /^no user /.test(err instanceof Error ? err.message : '')) return 'the user was gone';
      m.problems.push(`${this.toString()} threw ${errorLine(err)}`);
      return `threw ${errorLine(err)}`;
    }
    return reports.map((r) => this.account(m, r)).join('; ');
  }
  private account(m: HistoryModel, r: UserSyncReport): string {
    const p = m.people.find((q) => q.person.id === r.userId);
    if (r.busy) return `${p?.person.name} busy`;
    if (Object.keys(r.streams).length === 0) return `${p?.person.name} not synced (${r.errors[0] ?? 'no streams'})`;
    if (p) syncStarted(p, this.range, m.today);
    const rows = Object.values(r.streams).reduce((n, s) => n + (s?.rowsWritten ?? 0), 0);
    return `${p?.person.name} ${rows} rows${r.authFailed ? ' AUTH FAILED' : ''}${r.errors.length ? `, ${r.errors.length} error(s)` : ''}`;
  }
}

// ---------------------------------------------------------------- replay

/** The users `zepp-lake replay` walks: everyone with raw responses in the lake. */
async function rawUsers(rt: Runtime): Promise<string[]> {
  const users = new Set<string>();
  for (const k of await rt.store.list('raw/')) {
    const m = /\/user-([^/]+)\//.exec(k);
    if (m?.[1]) users.add(m[1]);
  }
  return [...users].sort();
}

export class ReplayCommand extends HistoryCommand {
  constructor(
    readonly who: Who,
    readonly range?: { from: string; to: string },
  ) {
    super();
  }
  check(): boolean {
    return true;
  }
  toString(): string {
    return `replay ${whoText(undefined, this.who)}${describeRange(this.range)}`;
  }
  async apply(m: HistoryModel, w: World, rt: Runtime): Promise<string> {
    if (w.aws && rt === w.rt) return replayOnAws(this, m, w);
    const ids = this.who === 'all' ? await rawUsers(rt) : [personModel(m, this.who).person.id];
    const lease = { state: rt.state, owner: `history-replay-${w.now()}-${Math.random()}`, clock: () => w.now() };
    const said: string[] = [];
    for (const userId of ids) {
      const name = m.people.find((p) => p.person.id === userId)?.person.name ?? userId;
      try {
        const u = await rt.state.getUser(userId);
        const r = await replayUser({
          decoders: rawDecoderOf,
          store: rt.store,
          codec: rt.codec,
          userId,
          lease,
          ...(this.range ?? {}),
          ...(u?.tzOffsetS !== undefined ? { tzOffsetS: u.tzOffsetS } : {}),
        });
        said.push(`${name} ${r.rows} rows`);
        if (r.rejects.length > 0) m.problems.push(`${this.toString()}: replay rejected ${r.rejects[0]}`);
      } catch (err) {
        if (err instanceof LeaseHeldError) said.push(`${name} busy`);
        else {
          m.problems.push(`${this.toString()} threw ${errorLine(err)}`);
          said.push(`${name} threw`);
        }
      }
    }
    return said.join('; ') || 'nothing to replay';
  }
}

/** The replay Lambda, invoked for one user or for everyone. */
async function replayOnAws(c: ReplayCommand, m: HistoryModel, w: World): Promise<string> {
  const { invokeReplay } = await import('./aws-ops.ts');
  const userId = c.who === 'all' ? undefined : personModel(m, c.who).person.id;
  try {
    const out = await invokeReplay(w, { ...(userId ? { userId } : {}), ...(c.range ?? {}) });
    for (const r of out.reports) {
      if (r.rejects.length > 0) m.problems.push(`${c.toString()}: replay rejected ${r.rejects[0]}`);
    }
    return out.reports.map((r) => `${r.userId} ${r.rows} rows`).join('; ') || 'nothing to replay';
  } catch (err) {
    if (err instanceof LeaseHeldError) return 'busy';
    m.problems.push(`${c.toString()} threw ${errorLine(err)}`);
    return `threw ${errorLine(err)}`;
  }
}

// ---------------------------------------------------------------- users

export class RemoveCommand extends HistoryCommand {
  constructor(
    readonly who: number,
    readonly deleteData: boolean,
  ) {
    super();
  }
  check(m: Readonly<HistoryModel>): boolean {
    return personModel(m as HistoryModel, this.who).exists;
  }
  toString(): string {
    return `users remove p${this.who}${this.deleteData ? ' --delete-data' : ''}`;
  }
  async apply(m: HistoryModel, w: World, rt: Runtime): Promise<string> {
    const p = personModel(m, this.who);
    try {
      const r = await removeUser(rt, p.person.id, { deleteData: this.deleteData, clock: () => w.now() });
      removed(p, this.deleteData);
      return `removed${this.deleteData ? `, ${r.deletedObjects} objects deleted` : ''}`;
    } catch (err) {
      if (err instanceof LeaseHeldError) return 'refused: the user is being synced';
      m.problems.push(`${this.toString()} threw ${errorLine(err)}`);
      return `threw ${errorLine(err)}`;
    }
  }
}

export class AddCommand extends HistoryCommand {
  constructor(readonly who: number) {
    super();
  }
  check(m: Readonly<HistoryModel>): boolean {
    const p = personModel(m as HistoryModel, this.who);
    return !p.exists || p.revoked;
  }
  toString(): string {
    return `users add p${this.who}`;
  }
  async apply(m: HistoryModel, w: World, rt: Runtime): Promise<string> {
    const p = personModel(m, this.who);
    const again = p.exists ? 'logged in again' : 'added';
    await w.vendor.addUser(rt, p.person);
    added(p);
    return again;
  }
}

export class ExpireTokenCommand extends HistoryCommand {
  constructor(readonly who: number) {
    super();
  }
  check(m: Readonly<HistoryModel>): boolean {
    return personModel(m as HistoryModel, this.who).exists;
  }
  toString(): string {
    return `vendor ends p${this.who}'s access token`;
  }
  async apply(m: HistoryModel, w: World): Promise<string> {
    w.vendor.expireAccess(personModel(m, this.who).person);
    return 'expired';
  }
}

export class RevokeLoginCommand extends HistoryCommand {
  constructor(readonly who: number) {
    super();
  }
  check(m: Readonly<HistoryModel>): boolean {
    const p = personModel(m as HistoryModel, this.who);
    return p.exists && !p.revoked;
  }
  toString(): string {
    return `p${this.who} changes the password (withdraws consent)`;
  }
  async apply(m: HistoryModel, w: World, rt: Runtime): Promise<string> {
    const p = personModel(m, this.who);
    await w.vendor.revokeLogin(rt, p.person);
    p.revoked = true;
    return 'revoked';
  }
}

// ---------------------------------------------------------------- two at once

/** Two commands started at once, as two processes (local: two runtimes over one home folder and lake). */
export class ConcurrentCommand extends HistoryCommand {
  constructor(
    readonly first: HistoryCommand,
    readonly second: HistoryCommand,
  ) {
    super();
  }
  check(m: Readonly<HistoryModel>): boolean {
    return this.first.check(m) && this.second.check(m);
  }
  toString(): string {
    return `at once [${this.first} | ${this.second}]`;
  }
  async apply(m: HistoryModel, w: World, rt: Runtime): Promise<string> {
    const [a, b] = await Promise.all([this.first.apply(m, w, rt), this.second.apply(m, w, w.another())]);
    return `${a} | ${b}`;
  }
}
