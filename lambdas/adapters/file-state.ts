// Local state (users, cursors, leases, ledger) in one JSON file, written atomically
// (temp file + rename) after every change, so a killed process leaves the previous or the next state.

import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WriteConflictError } from '../core/errors.ts';
import type { Cursor, LedgerEntry, StateStore, StreamName, UserRecord } from '../core/ports.ts';
import { assertValidUserId } from '../core/user-id.ts';

interface StateFile {
  version: 1;
  users: Record<string, UserRecord>;
  cursors: Record<string, Cursor>;
  leases: Record<string, { owner: string; expiresAt: number }>;
  ledger: Record<string, LedgerEntry>;
  notifications: Record<string, number>;
}

const empty = (): StateFile => ({ version: 1, users: {}, cursors: {}, leases: {}, ledger: {}, notifications: {} });

export class JsonFileStateStore implements StateStore {
  private state: StateFile | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Serialises every operation: read-modify-write on one file must not interleave. */
  private run<T>(fn: (s: StateFile) => T | Promise<T>, write: boolean): Promise<T> {
    const next = this.chain.then(async () => {
      const s = await this.load();
      const out = await fn(s);
      if (write) await this.save(s);
      return out;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<StateFile> {
    if (this.state) return this.state;
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as StateFile;
      this.state = { ...empty(), ...parsed };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`cannot read state file ${this.path}`, { cause: err });
      }
      this.state = empty();
    }
    return this.state;
  }

  private async save(s: StateFile): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${randomUUID()}.tmp`;
    await writeFile(tmp, `${JSON.stringify(s, null, 1)}\n`);
    await rename(tmp, this.path);
  }

  getUser(userId: string): Promise<UserRecord | undefined> {
    return this.run((s) => s.users[userId], false);
  }
  putUser(user: UserRecord): Promise<void> {
    assertValidUserId(user.userId);
    return this.run((s) => {
      s.users[user.userId] = user;
    }, true);
  }
  deleteUser(userId: string): Promise<void> {
    return this.run((s) => {
      delete s.users[userId];
      for (const k of Object.keys(s.cursors)) if (k.startsWith(`${userId}#`)) delete s.cursors[k];
      for (const k of Object.keys(s.ledger)) if (k.startsWith(`${userId}#`)) delete s.ledger[k];
      delete s.leases[userId];
    }, true);
  }
  listUsers(): Promise<UserRecord[]> {
    return this.run((s) => Object.values(s.users).sort((a, b) => a.userId.localeCompare(b.userId)), false);
  }

  getCursor(userId: string, stream: StreamName): Promise<Cursor | undefined> {
    return this.run((s) => s.cursors[`${userId}#${stream}`], false);
  }
  advanceCursor(userId: string, stream: StreamName, next: Omit<Cursor, 'version'>, expectedVersion: number) {
    return this.run((s) => {
      const key = `${userId}#${stream}`;
      const current = s.cursors[key]?.version ?? 0;
      if (current !== expectedVersion) {
        throw new WriteConflictError(
          `cursor ${stream} of user ${userId} moved (version ${current}, expected ${expectedVersion})`,
        );
      }
      const cursor: Cursor = { ...next, version: expectedVersion + 1 };
      s.cursors[key] = cursor;
      return cursor;
    }, true);
  }

  acquireLease(userId: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
    return this.run((s) => {
      const lease = s.leases[userId];
      if (lease && lease.owner !== owner && lease.expiresAt > nowMs) return false;
      s.leases[userId] = { owner, expiresAt: nowMs + ttlMs };
      return true;
    }, true);
  }
  releaseLease(userId: string, owner: string): Promise<void> {
    return this.run((s) => {
      if (s.leases[userId]?.owner === owner) delete s.leases[userId];
    }, true);
  }

  putLedger(entries: readonly LedgerEntry[]): Promise<void> {
    return this.run((s) => {
      for (const e of entries) s.ledger[`${e.userId}#${e.stream}#${e.period}`] = e;
    }, true);
  }
  listLedger(userId: string, stream?: StreamName): Promise<LedgerEntry[]> {
    const prefix = stream ? `${userId}#${stream}#` : `${userId}#`;
    return this.run(
      (s) =>
        Object.entries(s.ledger)
          .filter(([k]) => k.startsWith(prefix))
          .map(([, v]) => v)
          .sort((a, b) => (a.stream + a.period).localeCompare(b.stream + b.period)),
      false,
    );
  }
}
