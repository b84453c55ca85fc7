// What every command of the `zepp-lake` command line is registered with: the configuration parsed for this run,
// the runtime the global options choose, and the password prompt. Each command module exposes
// `register<Name>Command(program, wiring)`; main.ts lists them.

import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { CliConfig } from '../runtime/cli-config.ts';
import { type GlobalOptions, openAwsRuntime, openLocalRuntime, type Runtime } from '../runtime/local.ts';

/** A user-facing failure: printed as one line, exit status 2. */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** A command's options as commander hands them over. */
export type Opts = Record<string, unknown>;

export interface CliWiring {
  /** The environment, parsed once for this run. */
  config: CliConfig;
  /** The runtime the global options choose: the local folders, or with `--backend aws` the bucket and table. */
  runtimeOf(cmd: Command): Runtime;
  /**
   * The runtime of a command that only reads the lake (`export`): its `--table` names a lake table, not the state
   * table, so with `--backend aws` the state table is the configuration's, or a placeholder that is never opened.
   */
  lakeRuntimeOf(cmd: Command): Runtime;
  /** Asks on the terminal without echoing the answer; refuses when stdin is no terminal. */
  promptHidden(question: string): Promise<string>;
}

type GlobalFlags = GlobalOptions & { backend?: string; bucket?: string; table?: string };

/** `--backend aws` (or ZEPP_LAKE_BACKEND=aws, which commander fills the option from). */
export function isAwsBackend(cmd: Command): boolean {
  return (cmd.optsWithGlobals() as GlobalFlags).backend === 'aws';
}

async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new CliError('no password: set ZEPP_LAKE_PASSWORD or run in a terminal');
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

export function createCliWiring(config: CliConfig): CliWiring {
  const open = (o: GlobalFlags, table: string | undefined): Runtime => {
    const home = o.home ?? config.homeDir;
    // --backend aws: the same engine against S3, DynamoDB and Secrets Manager (endpoints from AWS_ENDPOINT_URL_*).
    if (o.backend === 'aws') return openAwsRuntime({ home, bucket: o.bucket, table }, config);
    return openLocalRuntime({ lake: o.lake ?? config.lakeDir, home });
  };
  return {
    config,
    runtimeOf: (cmd) => {
      const o = cmd.optsWithGlobals() as GlobalFlags;
      return open(o, o.table);
    },
    lakeRuntimeOf: (cmd) => open(cmd.optsWithGlobals() as GlobalFlags, config.stateTable ?? 'unused-by-export'),
    promptHidden,
  };
}
