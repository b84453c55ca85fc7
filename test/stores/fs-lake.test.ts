// The folder lake (FolderObjectStore): S3's conditional writes (If-Match / If-None-Match) as one compare-and-write
// step, keys that stay inside the lake, and listings without temp files or lock folders. Two store objects stand
// for two processes here; test/e2e/local-processes.test.ts races real processes.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WriteConflictError } from '../../lambdas/core/errors.ts';
import { FolderObjectStore } from '../../lambdas/stores/fs-lake.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (body: Uint8Array | undefined): string | undefined => body && new TextDecoder().decode(body);
const KEY = 'tables/pai/month=2026-01/user-alice.parquet';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zepp-lake-folder-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('FolderObjectStore', () => {
  it('writes only when the condition holds: If-None-Match on a new key, If-Match on the etag read', async () => {
    const store = new FolderObjectStore(dir);
    const first = await store.put(KEY, bytes('one'), { ifNoneMatch: true });
    await expect(store.put(KEY, bytes('two'), { ifNoneMatch: true })).rejects.toBeInstanceOf(WriteConflictError);
    await expect(store.put(KEY, bytes('two'), { ifMatch: 'not-the-etag' })).rejects.toBeInstanceOf(WriteConflictError);
    await expect(
      store.put('tables/pai/month=2026-02/user-alice.parquet', bytes('x'), { ifMatch: first.etag }),
    ).rejects.toBeInstanceOf(WriteConflictError);
    expect(text((await store.get(KEY))?.body)).toBe('one');
    const second = await store.put(KEY, bytes('two'), { ifMatch: first.etag });
    expect(second.etag).not.toBe(first.etag);
    expect(await store.get(KEY)).toEqual({ body: bytes('two'), etag: second.etag });
    await expect(store.put(KEY, bytes('three'), { ifMatch: first.etag })).rejects.toBeInstanceOf(WriteConflictError);
  });

  it('refuses keys that would leave the lake folder', async () => {
    const store = new FolderObjectStore(dir);
    for (const key of ['../escape', '/etc/x', 'raw/../../x']) {
      await expect(store.put(key, bytes('x')), key).rejects.toThrow(/invalid object key/);
      await expect(store.get(key), key).rejects.toThrow(/invalid object key/);
    }
  });

  it('lists objects only: no temp file and no lock folder, under the prefix, sorted', async () => {
    const store = new FolderObjectStore(dir);
    await store.put(KEY, bytes('a'));
    await store.put('raw/zepp/band_data/user-alice/2026-01.json.gz', bytes('b'));
    await writeFile(join(dir, 'tables', 'pai', 'month=2026-01', 'user-bob.parquet.1234.tmp'), 'half');
    await mkdir(join(dir, '.locks', 'stale.lock'), { recursive: true });
    expect(await store.list('')).toEqual(['raw/zepp/band_data/user-alice/2026-01.json.gz', KEY]);
    expect(await store.list('tables/')).toEqual([KEY]);
    await store.delete([KEY, 'tables/none']);
    expect(await store.list('tables/')).toEqual([]);
  });

  it('lets exactly one of many conditional writers of the same version win, from several stores at once', async () => {
    const stores = [new FolderObjectStore(dir), new FolderObjectStore(dir), new FolderObjectStore(dir)];
    const base = await stores[0]!.put(KEY, bytes('0'));
    const attempts = await Promise.allSettled(
      stores.flatMap((s, n) => [1, 2].map((i) => s.put(KEY, bytes(`${n}-${i}`), { ifMatch: base.etag }))),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const a of attempts) if (a.status === 'rejected') expect(a.reason).toBeInstanceOf(WriteConflictError);
  });

  it('loses no increment of several stores doing read, If-Match write, retry on conflict', async () => {
    const stores = [new FolderObjectStore(dir), new FolderObjectStore(dir)];
    const increment = async (s: FolderObjectStore): Promise<void> => {
      for (;;) {
        const current = await s.get(KEY);
        const n = Number(text(current?.body) ?? '0');
        try {
          await s.put(KEY, bytes(String(n + 1)), current ? { ifMatch: current.etag } : { ifNoneMatch: true });
          return;
        } catch (err) {
          if (!(err instanceof WriteConflictError)) throw err;
        }
      }
    };
    await Promise.all(
      stores.map(async (s) => {
        for (let i = 0; i < 25; i++) await increment(s);
      }),
    );
    expect(text((await stores[0]!.get(KEY))?.body)).toBe('50');
  });
});
