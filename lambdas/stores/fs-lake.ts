// The lake as a local folder with the same keys as the S3 bucket (tables/, raw/). Writes go to a temp
// file and are renamed into place, so a crash never leaves half an object; the etag is a content hash.
//
// Several processes may write one lake at once. Every write and delete of a key happens under that key's
// inter-process lock (a lock folder under `.locks/`, outside tables/ and raw/), so a conditional put
// (If-Match / If-None-Match) compares and writes as one step, as S3 does, instead of check-then-write.

import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { WriteConflictError } from '../core/errors.ts';
import type { ObjectStore, PutOptions, StoredObject } from '../core/ports.ts';
import { withFileLock } from './file-lock.ts';

/** The folder of the per-key lock folders, beside tables/ and raw/ (never listed: it holds no files). */
export const LAKE_LOCKS_DIR = '.locks';

function etagOf(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

export class FolderObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  private pathOf(key: string): string {
    if (key.includes('..') || key.startsWith('/')) throw new Error(`invalid object key: ${key}`);
    return join(this.root, ...key.split('/'));
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const body = new Uint8Array(await readFile(this.pathOf(key)));
      return { body, etag: etagOf(body) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Runs `fn` holding the key's lock, which every process writing or deleting this key takes too. */
  private withKeyLock<T>(key: string, fn: (held: { assertHeld(): void }) => Promise<T>): Promise<T> {
    const name = createHash('sha256').update(key).digest('hex').slice(0, 40);
    return withFileLock(
      { lockPath: join(this.root, LAKE_LOCKS_DIR, `${name}.lock`), what: `the lake object ${key}` },
      fn,
    );
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
    const path = this.pathOf(key);
    return this.withKeyLock(key, async (held) => {
      if (options.ifMatch !== undefined || options.ifNoneMatch) {
        const current = await this.get(key);
        if (options.ifNoneMatch && current) throw new WriteConflictError(`object exists: ${key}`);
        if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) {
          throw new WriteConflictError(`object changed since it was read: ${key}`);
        }
      }
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${randomUUID()}.tmp`;
      try {
        await writeFile(tmp, body);
        held.assertHeld();
        await rename(tmp, path);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      return { etag: etagOf(body) };
    });
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (!e.name.endsWith('.tmp')) {
          const key = relative(this.root, full).split(sep).join('/');
          if (key.startsWith(prefix)) out.push(key);
        }
      }
    };
    // Walk only the deepest folder the prefix names, not the whole lake.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(folder ? this.pathOf(folder) : this.root);
    return out.sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) {
      const path = this.pathOf(k);
      await this.withKeyLock(k, () => rm(path, { force: true }));
    }
  }
}
