// The `zepp-lake` command (local mode): wires the local adapters to the same engine the Lambdas run. Each command
// lives in a module of its own and registers itself with `register<Name>Command(program, wiring)`; this file lists
// them, parses the configuration once per run and turns failures into advice and an exit status.

import { Command, Option } from 'commander';
import { type CliConfig, loadCliConfig } from '../runtime/cli-config.ts';
import { registerDecodeCommand } from './commands/decode.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerGenerateDdlCommand } from './commands/generate-ddl.ts';
import { registerLoginCommand } from './commands/login.ts';
import { registerReplayCommand } from './commands/replay.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerSimulateCommand } from './commands/simulate.ts';
import { adviseError, EXIT_CODES_HELP, type LoginHint } from './error-advice.ts';
import { registerExportCommand } from './export-command.ts';
import { registerExportFitCommand } from './export-fit.ts';
import { registerMcpCommand } from './mcp-command.ts';
import { bucketOption, folderOption } from './option-parsers.ts';
import { registerQueryCommand } from './query-command.ts';
import { registerStatusCommand } from './status-command.ts';
import { registerSyncCommand } from './sync-command.ts';
import { registerUsersCommand } from './users-command.ts';
import { type CliWiring, createCliWiring } from './wiring.ts';

/** The options every command takes; each one's variable is read by commander through the option's own parser. */
function globalOptions(program: Command): Command {
  return program
    .addOption(new Option('--lake <dir>', 'lake folder (tables/, raw/)').env('ZEPP_LAKE_DIR').argParser(folderOption))
    .addOption(
      new Option('--home <dir>', 'state and 0600 token file (not the lake)')
        .env('ZEPP_LAKE_HOME')
        .argParser(folderOption),
    )
    .addOption(
      new Option('--backend <backend>', 'local (folder + files) or aws (S3 + DynamoDB + Secrets Manager)')
        .choices(['local', 'aws'])
        .env('ZEPP_LAKE_BACKEND')
        .default('local'),
    )
    .addOption(
      new Option('--bucket <name>', 'with --backend aws: the lake bucket')
        .env('ZEPP_LAKE_BUCKET')
        .argParser(bucketOption),
    )
    .addOption(new Option('--table <name>', 'with --backend aws: the state table').env('ZEPP_LAKE_STATE_TABLE'));
}

/** The program with every command; without a wiring, one over this process's environment. */
export function buildProgram(wiring: CliWiring = createCliWiring(loadCliConfig())): Command {
  const program = globalOptions(new Command('zepp-lake'))
    .description('Your Zepp / Amazfit / Mi Fit history in a Parquet lake you own')
    .showHelpAfterError()
    .addHelpText('after', EXIT_CODES_HELP);
  registerDemoCommand(program, wiring);
  registerLoginCommand(program, wiring);
  registerSyncCommand(program, wiring);
  registerStatusCommand(program, wiring);
  registerQueryCommand(program, wiring);
  registerReportCommand(program, wiring);
  registerReplayCommand(program, wiring);
  registerDecodeCommand(program, wiring);
  registerSimulateCommand(program, wiring);
  registerGenerateDdlCommand(program, wiring);
  registerUsersCommand(program, wiring);
  registerExportFitCommand(registerExportCommand(program, wiring), wiring);
  registerMcpCommand(program, wiring);
  return program;
}

/** What the error advice needs to name the right login command: the options as given (never the password). */
function loginHintOf(argv: readonly string[], config: CliConfig | undefined): LoginHint {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    const inline = argv.find((a) => a.startsWith(`${name}=`));
    return i >= 0 ? argv[i + 1] : inline?.slice(name.length + 1);
  };
  return {
    email: value('--email') ?? config?.email,
    host: value('--host') ?? config?.host,
    source: value('--source'),
    clientId: value('--client-id'),
    aws: (value('--backend') ?? config?.backend) === 'aws',
  };
}

/**
 * On every subcommand too (commander copies the setting only to commands made after it): a bad option value of
 * `login` or `sync` must end with the usage status 2, not commander's own process.exit(1).
 */
function overrideExit(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) overrideExit(sub);
}

export async function main(argv: string[]): Promise<number> {
  // `zepp-lake query --json | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  let config: CliConfig | undefined;
  try {
    // Read per run, not at module load: a test sets the environment before each run.
    config = loadCliConfig();
    const program = buildProgram(createCliWiring(config));
    overrideExit(program);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    // One message per kind of failure saying what to do next, and its stable exit status (EXIT).
    const advice = adviseError(err, loginHintOf(argv, config));
    process.stderr.write(`zepp-lake: ${advice.message}\n`);
    return advice.exitCode;
  }
}

const invokedDirectly = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly || process.argv[1]?.endsWith('zepp-lake.mjs') || process.argv[1]?.endsWith('zepp-lake')) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
