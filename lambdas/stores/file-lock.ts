// Inter-process locks for the local mode, on proper-lockfile (an atomic `mkdir` of a lock folder whose mtime
// the holder refreshes). Several `zepp-lake` processes may run on one home folder and one lake at once; each
// read-modify-write of a shared file happens under the lock, so no process writes back a stale copy.
//
// A holder killed by SIGKILL cannot remove its lock folder: once its mtime is older than LOCK_STALE_MS, the next
// process takes the lock over, so a dead process blocks the others for at most that long.

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { lock } from 'proper-lockfile';

/** A lock folder not refreshed for this long belongs to a dead process and is taken over. */
export const LOCK_STALE_MS = 10_000;
/** How long a process waits for a lock held by a live one before it gives up (longer than a stale lock lives). */
export const LOCK_WAIT_MS = 30_000;

/** The lock stayed held by another live process for LOCK_WAIT_MS. */
export class FileLockTimeoutError extends Error {
  constructor(
    readonly lockPath: string,
    what: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${what} is in use by another zepp-lake process (lock ${lockPath}, still held after ${LOCK_WAIT_MS / 1000} s)`,
      options,
    );
    this.name = 'FileLockTimeoutError';
  }
}

/** The lock was taken over while held (the process stalled past LOCK_STALE_MS): the write is not made. */
export class FileLockLostError extends Error {
  constructor(lockPath: string, options?: { cause?: unknown }) {
    super(`lost the lock ${lockPath} while holding it (this process stalled); nothing was written`, options);
    this.name = 'FileLockLostError';
  }
}

/** Handed to the critical section: `assertHeld()` right before the write it guards. */
export interface HeldLock {
  assertHeld(): void;
}

// proper-lockfile does not queue callers of one process: a second caller would poll the folder its own process
// holds. Callers of one lock path in this process wait their turn here first.
const queues = new Map<string, Promise<unknown>>();

function queued<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(lockPath) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  const tail = next.catch(() => undefined);
  queues.set(lockPath, tail);
  void tail.then(() => {
    if (queues.get(lockPath) === tail) queues.delete(lockPath);
  });
  return next;
}

export interface FileLockSpec {
  /** The lock folder; its parent folders are created when missing. */
  lockPath: string;
  /** What the lock guards, for the error when another process keeps it. */
  what: string;
  /** Mode of the parent folders created (default: the umask's). */
  dirMode?: number;
}

/** Runs `fn` while this process holds the lock folder. */
export function withFileLock<T>(spec: FileLockSpec, fn: (held: HeldLock) => Promise<T>): Promise<T> {
  const { lockPath, what } = spec;
  return queued(lockPath, async () => {
    await mkdir(dirname(lockPath), { recursive: true, mode: spec.dirMode });
    let lost: Error | undefined;
    let release: () => Promise<void>;
    try {
      release = await lock(lockPath, {
        lockfilePath: lockPath,
        realpath: false,
        stale: LOCK_STALE_MS,
        // Polls quickly at first (locks are held for milliseconds), then every 100 ms, for about LOCK_WAIT_MS.
        retries: { retries: Math.ceil(LOCK_WAIT_MS / 100), minTimeout: 5, maxTimeout: 100, factor: 1.5 },
        onCompromised: (err) => {
          lost = err;
        },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOCKED')
        throw new FileLockTimeoutError(lockPath, what, { cause: err });
      throw err;
    }
    const held: HeldLock = {
      assertHeld() {
        if (lost) throw new FileLockLostError(lockPath, { cause: lost });
      },
    };
    try {
      return await fn(held);
    } finally {
      // A compromised lock is no longer ours to remove.
      if (!lost) await release().catch(() => undefined);
    }
  });
}
