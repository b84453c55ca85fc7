// Local state (users, cursors, leases, ledger) in one JSON file that several `zepp-lake`
// processes may share. Every change is a read-modify-write under the home folder's inter-process lock: the file
// is read afresh under the lock (a process never writes back a stale copy, and two processes never both win a
// lease), then replaced atomically (unique temp name, fsync, rename; write-file-atomic), so a killed process
// leaves the previous or the next state.

import { randomUUID } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { WriteConflictError } from '../core/errors.ts';
import type { Cursor, LedgerEntry, StateStore, StreamName, UserRecord } from '../core/ports.ts';
import { assertValidUserId } from '../core/user-id.ts';
import { jsonProblem, withHomeLock } from './home-files.ts';

interface StateFile {
  version: 1;
  /** A new random id on every write: with the file's inode and times it tells a copy in memory is still current. */
  writeId?: string;
  users: Record<string, UserRecord>;
  cursors: Record<string, Cursor>;
  leases: Record<string, { owner: string; expiresAt: number }>;
  ledger: Record<string, LedgerEntry>;
}

const SECTIONS = ['users', 'cursors', 'leases', 'ledger'] as const;

const empty = (): StateFile => ({ version: 1, users: {}, cursors: {}, leases: {}, ledger: {} });

/** The state file cannot be used as it is; the message names the file and the fix, never its content. */
export class StateFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateFileError';
  }
}

/** Room for `{"version": 1, "writeId": "<uuid>"` at the start of the file. */
const HEAD_BYTES = 96;

/**
 * Which version of the file this is, from one handle: the stat and the write id at the start of the text. A file
 * system may reuse an inode at once and keep coarse times, so the stat alone could take a new version for the one
 * cached; the write id (a UUID written first) cannot. A file without one (never written here) is always parsed.
 */
async function versionOf(file: FileHandle): Promise<string | undefined> {
  const st: BigIntStats = await file.stat({ bigint: true });
  const head = Buffer.alloc(HEAD_BYTES);
  const { bytesRead } = await file.read(head, 0, HEAD_BYTES, 0);
  const writeId = /"writeId":\s*"([0-9a-f-]{36})"/.exec(head.subarray(0, bytesRead).toString('utf8'))?.[1];
  return writeId && `${writeId}:${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

export class JsonFileStateStore implements StateStore {
  /** The last parsed copy and the file version it came from: parsing a large ledger is the costly part. */
  private cached: { version: string; state: StateFile } | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Serialises this process's operations; writes also take the inter-process lock. */
  private run<T>(fn: (s: StateFile) => T, write: boolean): Promise<T> {
    const next = this.chain.then(() => (write ? this.change(fn) : this.load().then(fn)));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private change<T>(fn: (s: StateFile) => T): Promise<T> {
    return withHomeLock(dirname(this.path), async (held) => {
      const s = await this.load();
      try {
        const out = fn(s);
        held.assertHeld();
        const { version, writeId, ...rest } = s;
        const next: StateFile = { version, writeId: randomUUID(), ...rest }; // the write id first: see versionOf
        // Compact: the file is rewritten at every durable step of a sync (hundreds of times for a back-fill, the
        // whole ledger each time), and indented JSON took 2.6x as long to build and was 19% larger.
        await writeFileAtomic(this.path, `${JSON.stringify(next)}\n`, { mode: 0o600 });
        // Under the lock nobody else replaces the file: the copy in memory is the version just written.
        const written = await open(this.path, 'r');
        try {
          const current = await versionOf(written);
          this.cached = current === undefined ? undefined : { version: current, state: next };
        } finally {
          await written.close();
        }
        return out;
      } catch (err) {
        this.cached = undefined; // `fn` may have changed the copy before the write failed
        throw err;
      }
    });
  }

  /** The file as it is now: the cached copy when the file is still the same version, else read and parsed. */
  private async load(): Promise<StateFile> {
    let file: FileHandle;
    try {
      file = await open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new StateFileError(`cannot read the state file ${this.path} (${(err as NodeJS.ErrnoException).code})`, {
          cause: err,
        });
      }
      this.cached = undefined;
      return empty();
    }
    try {
      // Through one handle: the text read and the version it is belong to the same file.
      const version = await versionOf(file);
      if (version !== undefined && this.cached?.version === version) return this.cached.state;
      const state = this.parse(await file.readFile('utf8'));
      this.cached = version === undefined ? undefined : { version, state };
      return state;
    } finally {
      await file.close();
    }
  }

  private parse(text: string): StateFile {
    const fix =
      'move it aside and run `zepp-lake login` (or `users add`) again; the lake keeps your data and the next sync fetches the rest again';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      // The parser's message quotes the file; only where it broke is passed on.
      throw new StateFileError(`the state file ${this.path} is damaged (${jsonProblem(err)}): ${fix}`);
    }
    const p = parsed as Partial<StateFile> | null;
    const sectionOk = (k: (typeof SECTIONS)[number]) =>
      p?.[k] === undefined || (typeof p[k] === 'object' && p[k] !== null && !Array.isArray(p[k]));
    if (typeof p !== 'object' || p === null || Array.isArray(p) || p.version !== 1 || !SECTIONS.every(sectionOk)) {
      throw new StateFileError(`the state file ${this.path} is not a zepp-lake state file (version 1): ${fix}`);
    }
    // A file written before 0.2 may hold a `notifications` section (webhook hashes, now Powertools records on
    // AWS only): it is dropped at the next write.
    const { notifications: _legacy, ...rest } = p as Partial<StateFile> & { notifications?: unknown };
    return { ...empty(), ...rest } as StateFile;
  }

  getUser(userId: string): Promise<UserRecord | undefined> {
    return this.run((s) => s.users[userId], false);
  }
  putUser(user: UserRecord): Promise<void> {
    return this.run((s) => {
      s.users[assertValidUserId(user.userId)] = user;
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
