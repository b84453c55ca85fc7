// Local token store: one JSON file, mode 0600, holding each user's tokens. The only place outside
// Secrets Manager where a token may live; never printed, and never quoted in an error.
//
// Several `zepp-lake` processes may log in, add and remove users at once: every change is a read-modify-write
// under the home folder's inter-process lock, and the file is replaced atomically by a temp file with a unique
// name that is created 0600 (write-file-atomic opens it with that mode), so no moment shows a token to others.
// The home folder is created 0700.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { TokenStore, UserTokens, VersionedTokens } from '../core/ports.ts';
import { assertValidUserId } from '../core/user-id.ts';
import { jsonProblem, withHomeLock } from './home-files.ts';

/** The token file cannot be used; the message names the file and the fix, never its content. */
export class TokenFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenFileError';
  }
}

export class FileTokenStore implements TokenStore {
  constructor(readonly path: string) {}

  private async readAll(): Promise<Record<string, UserTokens>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return {};
      throw new TokenFileError(`cannot read the token file ${this.path} (${code ?? (err as Error).name})`, {
        cause: err,
      });
    }
    const fix = 'move it aside and log in again (`zepp-lake login` or `zepp-lake users add`)';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      // No cause: the parser's message quotes the file, which holds tokens.
      throw new TokenFileError(`the token file ${this.path} is damaged (${jsonProblem(err)}): ${fix}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new TokenFileError(`the token file ${this.path} does not hold tokens by user id: ${fix}`);
    }
    return parsed as Record<string, UserTokens>;
  }

  /** Reads, changes and replaces the file while holding the home folder's lock; `fn` false = leave it as it is. */
  private change(fn: (all: Record<string, UserTokens>) => boolean | undefined): Promise<boolean> {
    return withHomeLock(dirname(this.path), async (held) => {
      const all = await this.readAll();
      if (fn(all) === false) return false;
      held.assertHeld();
      await writeFileAtomic(this.path, `${JSON.stringify(all, null, 1)}\n`, { mode: 0o600 });
      return true;
    });
  }

  async get(userId: string): Promise<UserTokens | undefined> {
    return (await this.readAll())[userId];
  }
  async put(userId: string, tokens: UserTokens): Promise<void> {
    assertValidUserId(userId);
    await this.change((all) => {
      all[userId] = tokens;
      return true;
    });
  }
  async delete(userId: string): Promise<void> {
    await this.change((all) => {
      delete all[userId];
      return true;
    });
  }
  async list(): Promise<string[]> {
    return Object.keys(await this.readAll()).sort();
  }
  async getCurrent(userId: string): Promise<VersionedTokens | undefined> {
    const tokens = (await this.readAll())[userId];
    return tokens && { tokens, version: versionOf(tokens) };
  }
  /** Compare-and-set on the user's entry, under the home folder's lock, so it is atomic across processes. */
  async putIfCurrent(userId: string, tokens: UserTokens, version: string): Promise<boolean> {
    assertValidUserId(userId);
    return this.change((all) => {
      const stored = all[userId];
      if (!stored || versionOf(stored) !== version) return false;
      all[userId] = tokens;
      return true;
    });
  }
}

/** A user's entry's version: a hash of its JSON, so any change to the stored tokens changes it. */
function versionOf(tokens: UserTokens): string {
  return createHash('sha256').update(JSON.stringify(tokens)).digest('hex');
}
