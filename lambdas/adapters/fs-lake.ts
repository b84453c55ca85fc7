// The lake as a local folder with the same keys as the S3 bucket (tables/, raw/). Writes go to a temp
// file and are renamed into place, so a crash never leaves half an object; the etag is a content hash.

import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { WriteConflictError } from '../core/errors.ts';
import type { ObjectStore, PutOptions, StoredObject } from '../core/ports.ts';

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

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
    const path = this.pathOf(key);
    if (options.ifMatch !== undefined || options.ifNoneMatch) {
      // A folder has one writer per machine in practice; the check still catches a second process.
      const current = await this.get(key);
      if (options.ifNoneMatch && current) throw new WriteConflictError(`object exists: ${key}`);
      if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) {
        throw new WriteConflictError(`object changed since it was read: ${key}`);
      }
    }
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, path);
    return { etag: etagOf(body) };
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
    for (const k of keys) await rm(this.pathOf(k), { force: true });
  }
}
