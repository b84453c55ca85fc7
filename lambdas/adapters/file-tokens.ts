// Local token store: one JSON file, mode 0600, holding each user's tokens. The only place outside
// Secrets Manager where a token may live; never printed.

import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TokenStore, UserTokens, VersionedTokens } from '../core/ports.ts';
import { assertValidUserId } from '../core/user-id.ts';

export class FileTokenStore implements TokenStore {
  constructor(readonly path: string) {}

  private async readAll(): Promise<Record<string, UserTokens>> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as Record<string, UserTokens>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      // Do not echo the file content: it holds tokens.
      throw new Error(`cannot read the token file ${this.path} (${(err as Error).name})`);
    }
  }

  private async writeAll(all: Record<string, UserTokens>): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, `${JSON.stringify(all, null, 1)}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.path);
  }

  async get(userId: string): Promise<UserTokens | undefined> {
    return (await this.readAll())[userId];
  }
  async put(userId: string, tokens: UserTokens): Promise<void> {
    assertValidUserId(userId);
    const all = await this.readAll();
    all[userId] = tokens;
    await this.writeAll(all);
  }
  async delete(userId: string): Promise<void> {
    const all = await this.readAll();
    delete all[userId];
    await this.writeAll(all);
  }
  async list(): Promise<string[]> {
    return Object.keys(await this.readAll()).sort();
  }
  async getCurrent(userId: string): Promise<VersionedTokens | undefined> {
    const tokens = (await this.readAll())[userId];
    return tokens && { tokens, version: versionOf(tokens) };
  }
  /** Compare-and-set on the user's entry; atomic across processes only under the home folder's lock. */
  async putIfCurrent(userId: string, tokens: UserTokens, version: string): Promise<boolean> {
    assertValidUserId(userId);
    const all = await this.readAll();
    const stored = all[userId];
    if (!stored || versionOf(stored) !== version) return false;
    all[userId] = tokens;
    await this.writeAll(all);
    return true;
  }
}

/** A user's entry's version: a hash of its JSON, so any change to the stored tokens changes it. */
function versionOf(tokens: UserTokens): string {
  return createHash('sha256').update(JSON.stringify(tokens)).digest('hex');
}
