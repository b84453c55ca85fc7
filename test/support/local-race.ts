// Runs racing child processes (test/support/local-race-child.ts) on one home folder and lake: starts them all,
// waits until every one says it is ready, then lets them go at once and collects what each did.

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RACE_CHILD_BUNDLE } from './cli-bundle.ts';

export interface RaceResult {
  code: number | null;
  /** The child's JSON line. */
  result: Record<string, unknown> | undefined;
  stderr: string;
}

export interface RaceSpec {
  kind: 'home' | 'lease' | 'cas';
  lake: string;
  home: string;
  /** Child names (one process each). */
  names: readonly string[];
  count: number;
}

export async function race(spec: RaceSpec): Promise<RaceResult[]> {
  const goFile = join(dirname(spec.home), `go-${randomUUID()}`);
  const children = spec.names.map((name) => {
    const child = spawn(
      process.execPath,
      [RACE_CHILD_BUNDLE, spec.kind, spec.lake, spec.home, goFile, name, String(spec.count)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    child.stdout.on('data', (d) => {
      stdout += String(d);
      if (stdout.startsWith('ready\n')) markReady();
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const done = new Promise<RaceResult>((resolve) => {
      child.on('close', (code) => {
        markReady(); // a child that died before it was ready must not hold the others back
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        resolve({ code, result: line ? (JSON.parse(line) as Record<string, unknown>) : undefined, stderr });
      });
    });
    return { ready, done };
  });
  await Promise.all(children.map((c) => c.ready));
  await mkdir(dirname(goFile), { recursive: true });
  await writeFile(goFile, 'go');
  return Promise.all(children.map((c) => c.done));
}

/** A child process holding the home folder's lock (kind `hold`), ready; `kill()` SIGKILLs it and resolves on exit. */
export async function startLockHolder(
  lake: string,
  home: string,
): Promise<{ pid: number; kill(): Promise<NodeJS.Signals | null> }> {
  const child = spawn(process.execPath, [RACE_CHILD_BUNDLE, 'hold', lake, home, '-', 'holder', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      if (String(d).includes('ready')) resolve();
    });
    child.on('exit', () => reject(new Error(`the lock holder ended before it held the lock: ${stderr}`)));
  });
  return {
    pid: child.pid as number,
    kill: () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}
