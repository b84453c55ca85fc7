// Runs the real `zepp-lake` command line in-process against a temp runtime, capturing what it prints.

import { vi } from 'vitest';
import { main } from '../../lambdas/cli/main.ts';
import { openLocalRuntime, type Runtime } from '../../lambdas/runtime/local.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `zepp-lake --lake <lakeDir> --home <homeDir> ...args`; `whileRunning` gets the stderr written so far (to
 * act on a prompt or a printed URL before the command ends).
 */
export async function runCli(
  rt: Pick<Runtime, 'lakeDir' | 'homeDir'>,
  args: string[],
  whileRunning?: (stderr: () => string) => Promise<void>,
): Promise<CliRun> {
  let stderr = '';
  let stdout = '';
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const logSpy = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    stdout += `${parts.join(' ')}\n`;
  });
  // Some commands write stdout directly (NDJSON rows, files to `-`), not through console.log.
  const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  // A command that calls process.exit ends the real process with that status, whatever main() returns after
  // (vitest turns the call into an exception, which main() would map to its own status): report the real one.
  let exitedWith: number | undefined;
  const exitSpy = vi.spyOn(process, 'exit').mockImplementation((code?: string | number | null) => {
    exitedWith ??= Number(code ?? 0);
    throw new Error(`process.exit(${code}) called`);
  });
  const exitCode = process.exitCode;
  try {
    const running = main(['node', 'zepp-lake', '--lake', rt.lakeDir, '--home', rt.homeDir, ...args]);
    if (whileRunning) await whileRunning(() => stderr);
    const code = await running;
    return { code: exitedWith ?? code, stderr, stdout };
  } finally {
    process.exitCode = exitCode;
    exitSpy.mockRestore();
    errSpy.mockRestore();
    logSpy.mockRestore();
    outSpy.mockRestore();
  }
}

/** The command ran with its own state store over the same files (the JSON state caches): open them afresh. */
export function reopen<T extends Runtime & { cleanup(): Promise<void> }>(rt: T): T {
  return { ...rt, ...openLocalRuntime({ lake: rt.lakeDir, home: rt.homeDir }) };
}

export async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
