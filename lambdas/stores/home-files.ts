// What the files of the local home folder (state file, token file) share: the one lock that guards them all,
// and how a damaged file is described without quoting it (the token file holds tokens).

import { join } from 'node:path';
import { type FileLockSpec, type HeldLock, withFileLock } from './file-lock.ts';

/** The lock folder of a home folder: every change to its state or token file is made while holding it. */
export function homeLockPath(homeDir: string): string {
  return join(homeDir, 'home.lock');
}

/** Runs `fn` holding the home folder's lock; a missing home folder is created 0700 (only its owner enters). */
export function withHomeLock<T>(homeDir: string, fn: (held: HeldLock) => Promise<T>): Promise<T> {
  const spec: FileLockSpec = { lockPath: homeLockPath(homeDir), what: `the home folder ${homeDir}`, dirMode: 0o700 };
  return withFileLock(spec, fn);
}

/** Where JSON.parse gave up, without the excerpt of the text that its message carries. */
export function jsonProblem(err: unknown): string {
  const position = /at position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
  return position === undefined ? 'not valid JSON' : `not valid JSON at character ${position}`;
}
