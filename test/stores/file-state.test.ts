// The local state file (JsonFileStateStore): what each operation does, the modes it creates files with, a damaged
// file refused with a clear error that does not quote it, and several writers on one file (two store objects stand
// for two processes here; test/e2e/local-processes.test.ts races real processes).

import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WriteConflictError } from '../../lambdas/core/errors.ts';
import type { LedgerEntry, UserRecord } from '../../lambdas/core/ports.ts';
import { InvalidUserIdError } from '../../lambdas/core/user-id.ts';
import { JsonFileStateStore, StateFileError } from '../../lambdas/stores/file-state.ts';

let dir: string;
let home: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zepp-lake-state-'));
  home = join(dir, 'home');
  path = join(home, 'state.json');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const user = (userId: string, extra: Partial<UserRecord> = {}): UserRecord => ({
  userId,
  source: 'zepp',
  enabled: true,
  createdAt: 1,
  ...extra,
});

const entry = (userId: string, stream: LedgerEntry['stream'], period: string): LedgerEntry => ({
  userId,
  stream,
  period,
  localDate: period.slice(0, 10),
  status: 'written',
  rows: 3,
  rawKey: null,
  fetchedAt: 5,
  error: null,
  source: 'zepp',
});

describe('JsonFileStateStore: operations', () => {
  it('keeps users, lists them by id, and refuses an id that could leave its prefix', async () => {
    const s = new JsonFileStateStore(path);
    expect(await s.listUsers()).toEqual([]);
    await s.putUser(user('bob'));
    await s.putUser(user('alice', { tzOffsetS: 3600 }));
    expect(await s.getUser('alice')).toEqual(user('alice', { tzOffsetS: 3600 }));
    expect(await s.getUser('carol')).toBeUndefined();
    expect((await s.listUsers()).map((u) => u.userId)).toEqual(['alice', 'bob']);
    await expect(s.putUser(user('../x'))).rejects.toBeInstanceOf(InvalidUserIdError);
  });

  it('advances a cursor only from the version it was read at', async () => {
    const s = new JsonFileStateStore(path);
    expect(await s.getCursor('alice', 'band')).toBeUndefined();
    const first = await s.advanceCursor('alice', 'band', { through: '2026-01-31', updatedAt: 10 }, 0);
    expect(first).toEqual({ through: '2026-01-31', updatedAt: 10, version: 1 });
    await expect(s.advanceCursor('alice', 'band', { through: '2026-02-28', updatedAt: 11 }, 0)).rejects.toBeInstanceOf(
      WriteConflictError,
    );
    expect(await s.getCursor('alice', 'band')).toEqual(first);
    expect(await s.advanceCursor('alice', 'band', { through: '2026-02-28', updatedAt: 12 }, 1)).toMatchObject({
      version: 2,
    });
    expect(await s.getCursor('alice', 'stress')).toBeUndefined();
  });

  it('gives a lease to one owner until it expires or is released by that owner', async () => {
    const s = new JsonFileStateStore(path);
    expect(await s.acquireLease('alice', 'w1', 1_000, 500)).toBe(true);
    expect(await s.acquireLease('alice', 'w2', 1_400, 500)).toBe(false);
    expect(await s.acquireLease('alice', 'w1', 1_400, 500)).toBe(true); // renewed by its holder, now until 1 900
    expect(await s.acquireLease('alice', 'w2', 1_800, 500)).toBe(false);
    expect(await s.acquireLease('bob', 'w2', 1_800, 500)).toBe(true);
    await s.releaseLease('alice', 'w2'); // not w2's to release
    expect(await s.acquireLease('alice', 'w3', 1_850, 500)).toBe(false);
    await s.releaseLease('alice', 'w1');
    expect(await s.acquireLease('alice', 'w3', 1_850, 500)).toBe(true);
    expect(await s.acquireLease('alice', 'w4', 2_350, 500)).toBe(true); // w3's expired at 2 350
  });

  it('keeps one ledger entry per user, stream and period, listed by stream and period', async () => {
    const s = new JsonFileStateStore(path);
    await s.putLedger([entry('alice', 'stress', '2026-01-02'), entry('alice', 'band', '2026-01-02')]);
    await s.putLedger([entry('alice', 'band', '2026-01-01'), { ...entry('alice', 'band', '2026-01-02'), rows: 9 }]);
    await s.putLedger([entry('bob', 'band', '2026-01-01')]);
    const all = await s.listLedger('alice');
    expect(all.map((e) => `${e.stream} ${e.period} ${e.rows}`)).toEqual([
      'band 2026-01-01 3',
      'band 2026-01-02 9',
      'stress 2026-01-02 3',
    ]);
    expect((await s.listLedger('alice', 'stress')).map((e) => e.period)).toEqual(['2026-01-02']);
    expect(await s.listLedger('carol')).toEqual([]);
  });

  it('forgets a user with their cursors, ledger and lease, and nobody else', async () => {
    const s = new JsonFileStateStore(path);
    for (const id of ['al', 'alice']) {
      await s.putUser(user(id));
      await s.advanceCursor(id, 'band', { through: '2026-01-31', updatedAt: 1 }, 0);
      await s.putLedger([entry(id, 'band', '2026-01-31')]);
      expect(await s.acquireLease(id, 'w1', 1_000, 60_000)).toBe(true);
    }
    await s.deleteUser('al');
    expect(await s.getUser('al')).toBeUndefined();
    expect(await s.getCursor('al', 'band')).toBeUndefined();
    expect(await s.listLedger('al')).toEqual([]);
    expect(await s.acquireLease('al', 'w2', 1_000, 60_000)).toBe(true);
    expect(await s.getUser('alice')).toEqual(user('alice'));
    expect(await s.getCursor('alice', 'band')).toMatchObject({ version: 1 });
    expect(await s.listLedger('alice')).toHaveLength(1);
    expect(await s.acquireLease('alice', 'w2', 1_000, 60_000)).toBe(false);
  });

  it('reads a file that still holds the old webhook hashes and drops them at the next write', async () => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(
      path,
      JSON.stringify({ version: 1, users: {}, cursors: {}, leases: {}, ledger: {}, notifications: { h1: 5 } }),
    );
    const s = new JsonFileStateStore(path);
    await s.putUser(user('alice'));
    const onDisk = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(onDisk.users as object)).toEqual(['alice']);
    expect(onDisk).not.toHaveProperty('notifications');
  });

  it('is read back by a store opened later on the same file', async () => {
    const s = new JsonFileStateStore(path);
    await s.putUser(user('alice'));
    await s.advanceCursor('alice', 'band', { through: '2026-01-31', updatedAt: 1 }, 0);
    const again = new JsonFileStateStore(path);
    expect(await again.getUser('alice')).toEqual(user('alice'));
    expect(await again.getCursor('alice', 'band')).toMatchObject({ through: '2026-01-31', version: 1 });
  });
});

describe('JsonFileStateStore: files and modes', () => {
  let umask: number;
  beforeEach(() => {
    umask = process.umask(0); // with no umask, a file or folder created without a mode would be open to all
  });
  afterEach(() => {
    process.umask(umask);
  });

  it('creates the home folder 0700 and the state file 0600, and leaves no temp file', async () => {
    await new JsonFileStateStore(path).putUser(user('alice'));
    expect((await stat(home)).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(home)).sort()).toEqual(['state.json']);
  });
});

describe('JsonFileStateStore: a damaged file', () => {
  const MARKER = 'do-not-echo-7f3a';

  it('is refused with the file and the fix named, its content not quoted, and left as it was', async () => {
    await new JsonFileStateStore(path).putUser(user('alice'));
    const damaged = `{"version":1,"users":{"alice":${MARKER}`;
    await writeFile(path, damaged);
    const s = new JsonFileStateStore(path);
    const err = await s.getUser('alice').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StateFileError);
    const e = err as StateFileError;
    expect(e.name).toBe('StateFileError');
    expect(e.message).toContain(path);
    expect(e.message).toContain('is damaged (not valid JSON');
    expect(e.message).toContain('move it aside');
    expect(JSON.stringify({ message: e.message, cause: String(e.cause), stack: e.stack })).not.toContain(MARKER);
    await expect(s.putUser(user('bob'))).rejects.toBeInstanceOf(StateFileError);
    expect(await readFile(path, 'utf8')).toBe(damaged);
  });

  it('refuses JSON that is not a state file (an array, another version, a section of the wrong kind)', async () => {
    await mkdir(home, { recursive: true });
    for (const text of ['[]', 'null', '{"version":2}', '{"version":1,"users":[]}']) {
      await writeFile(path, text);
      await expect(new JsonFileStateStore(path).listUsers(), text).rejects.toThrow(/is not a zepp-lake state file/);
    }
  });
});

describe('JsonFileStateStore: several writers on one file', () => {
  it('loses no write of another store made after this one had read the file', async () => {
    const first = new JsonFileStateStore(path);
    const second = new JsonFileStateStore(path);
    await first.putUser(user('alice'));
    expect(await second.listUsers()).toHaveLength(1); // the second store has read the file now
    await first.putUser(user('bob'));
    await first.advanceCursor('bob', 'band', { through: '2026-01-31', updatedAt: 1 }, 0);
    await second.putUser(user('carol'));
    await second.putLedger([entry('carol', 'band', '2026-01-31')]);
    const fresh = new JsonFileStateStore(path);
    expect((await fresh.listUsers()).map((u) => u.userId)).toEqual(['alice', 'bob', 'carol']);
    expect(await fresh.getCursor('bob', 'band')).toMatchObject({ version: 1 });
    expect(await fresh.listLedger('carol')).toHaveLength(1);
    expect((await first.listUsers()).map((u) => u.userId)).toEqual(['alice', 'bob', 'carol']);
  });

  it('never gives one lease to two stores that had both read the file before', async () => {
    const first = new JsonFileStateStore(path);
    const second = new JsonFileStateStore(path);
    expect(await first.listUsers()).toEqual([]);
    expect(await second.listUsers()).toEqual([]);
    expect(await first.acquireLease('alice', 'process-1', 1_000, 60_000)).toBe(true);
    expect(await second.acquireLease('alice', 'process-2', 1_000, 60_000)).toBe(false);
  });

  it('applies a cursor advance once when two stores advance from the same version', async () => {
    const first = new JsonFileStateStore(path);
    const second = new JsonFileStateStore(path);
    expect(await first.getCursor('alice', 'band')).toBeUndefined();
    expect(await second.getCursor('alice', 'band')).toBeUndefined();
    await first.advanceCursor('alice', 'band', { through: '2026-01-31', updatedAt: 1 }, 0);
    await expect(
      second.advanceCursor('alice', 'band', { through: '2026-01-15', updatedAt: 2 }, 0),
    ).rejects.toBeInstanceOf(WriteConflictError);
    expect(await new JsonFileStateStore(path).getCursor('alice', 'band')).toMatchObject({ through: '2026-01-31' });
  });

  it('keeps every write of two stores writing at the same time', async () => {
    const stores = [new JsonFileStateStore(path), new JsonFileStateStore(path)];
    await Promise.all(
      stores.map((s, n) =>
        Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            s.putUser(user(`u${n}-${i}`)).then(() => s.putLedger([entry(`u${n}-${i}`, 'band', '2026-01-01')])),
          ),
        ),
      ),
    );
    const fresh = new JsonFileStateStore(path);
    expect(await fresh.listUsers()).toHaveLength(40);
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 20; i++) expect(await fresh.listLedger(`u${n}-${i}`)).toHaveLength(1);
  });
});
