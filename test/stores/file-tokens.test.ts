// The local token file (FileTokenStore): what each operation does, the 0600 file in a 0700 folder, a damaged file
// refused without quoting a token, and several writers at once (two store objects stand for two processes here;
// test/e2e/local-processes.test.ts races real processes).

import fs from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UserTokens } from '../../lambdas/core/ports.ts';
import { InvalidUserIdError } from '../../lambdas/core/user-id.ts';
import { FileTokenStore, TokenFileError } from '../../lambdas/stores/file-tokens.ts';

const realOpen = fs.open;

let dir: string;
let home: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zepp-lake-tokens-'));
  home = join(dir, 'home');
  path = join(home, 'tokens.json');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const tokens = (userId: string, appToken = `app-${userId}`): UserTokens => ({
  source: 'zepp',
  vendorUserId: userId,
  loginToken: `login-${userId}`,
  appToken,
});

describe('FileTokenStore: operations', () => {
  it('keeps, lists, replaces and forgets tokens by user id', async () => {
    const t = new FileTokenStore(path);
    expect(await t.list()).toEqual([]);
    expect(await t.get('alice')).toBeUndefined();
    await t.put('bob', tokens('bob'));
    await t.put('alice', tokens('alice'));
    expect(await t.list()).toEqual(['alice', 'bob']);
    expect(await t.get('alice')).toEqual(tokens('alice'));
    await t.put('alice', tokens('alice', 'app-2'));
    expect((await t.get('alice'))?.appToken).toBe('app-2');
    await t.delete('bob');
    await t.delete('nobody');
    expect(await t.list()).toEqual(['alice']);
    expect(await new FileTokenStore(path).get('alice')).toEqual(tokens('alice', 'app-2'));
  });

  it('refuses a user id that could leave its key, and writes nothing', async () => {
    const t = new FileTokenStore(path);
    await expect(t.put('../x', tokens('x'))).rejects.toBeInstanceOf(InvalidUserIdError);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('FileTokenStore: modes', () => {
  let umask: number;
  beforeEach(() => {
    umask = process.umask(0); // with no umask, a file or folder created without a mode would be open to all
  });
  afterEach(() => {
    process.umask(umask);
  });

  it('creates the home folder 0700 and the token file 0600, and leaves no temp file', async () => {
    await new FileTokenStore(path).put('alice', tokens('alice'));
    expect((await stat(home)).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(home)).toEqual(['tokens.json']);
  });

  it('creates every file it writes with mode 0600 in the open call itself, never wider for a moment', async () => {
    const opened: { path: string; flags: unknown; mode: unknown }[] = [];
    const spy = vi.spyOn(fs, 'open').mockImplementation(((...args: unknown[]) => {
      if (String(args[0]).startsWith(home)) opened.push({ path: String(args[0]), flags: args[1], mode: args[2] });
      return Reflect.apply(realOpen, fs, args);
    }) as typeof fs.open);
    try {
      await new FileTokenStore(path).put('alice', tokens('alice'));
      await new FileTokenStore(path).put('bob', tokens('bob'));
    } finally {
      spy.mockRestore();
    }
    const created = opened.filter((o) => o.flags === 'w');
    expect(created.length).toBeGreaterThanOrEqual(2);
    for (const o of created) expect({ path: o.path, mode: o.mode }).toEqual({ path: o.path, mode: 0o600 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('replaces a token file that had been opened to others by a 0600 one on the next write', async () => {
    await mkdir(home, { recursive: true });
    await writeFile(path, JSON.stringify({ alice: tokens('alice') }), { mode: 0o644 });
    await chmod(path, 0o644);
    await new FileTokenStore(path).put('bob', tokens('bob'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await new FileTokenStore(path).list()).toEqual(['alice', 'bob']);
  });
});

describe('FileTokenStore: a damaged file', () => {
  const SECRET = 'app-token-never-printed-5d1c';

  it('is refused with the file and the fix named, no token quoted, and left as it was', async () => {
    await mkdir(home, { recursive: true });
    const damaged = `{"alice":{"source":"zepp","appToken":"${SECRET}"`;
    await writeFile(path, damaged, { mode: 0o600 });
    const t = new FileTokenStore(path);
    for (const attempt of [() => t.get('alice'), () => t.list(), () => t.put('bob', tokens('bob'))]) {
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TokenFileError);
      const e = err as TokenFileError;
      expect(e.name).toBe('TokenFileError');
      expect(e.message).toContain(path);
      expect(e.message).toContain('is damaged (not valid JSON');
      expect(e.message).toContain('log in again');
      expect(`${e.message} ${String(e.cause)} ${e.stack}`).not.toContain(SECRET);
    }
    expect(await readFile(path, 'utf8')).toBe(damaged);
  });

  it('refuses JSON that does not hold tokens by user id', async () => {
    await mkdir(home, { recursive: true });
    for (const text of ['[]', 'null', '"x"']) {
      await writeFile(path, text);
      await expect(new FileTokenStore(path).list(), text).rejects.toThrow(/does not hold tokens by user id/);
    }
  });
});

describe('FileTokenStore: several writers at once', () => {
  it('keeps every token put by two stores at the same time', async () => {
    const stores = [new FileTokenStore(path), new FileTokenStore(path)];
    const results = await Promise.allSettled(
      stores.flatMap((t, n) => Array.from({ length: 15 }, (_, i) => t.put(`u${n}-${i}`, tokens(`u${n}-${i}`)))),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const all = await new FileTokenStore(path).list();
    expect(all).toHaveLength(30);
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 15; i++) expect(await stores[0]?.get(`u${n}-${i}`)).toEqual(tokens(`u${n}-${i}`));
  });

  it('keeps tokens put by one store while another removes a different user', async () => {
    const first = new FileTokenStore(path);
    const second = new FileTokenStore(path);
    await first.put('gone', tokens('gone'));
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => first.put(`u${i}`, tokens(`u${i}`))),
      second.delete('gone'),
    ]);
    expect(await second.list()).toEqual(Array.from({ length: 10 }, (_, i) => `u${i}`).sort());
  });
});
