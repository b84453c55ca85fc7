// `zepp-lake mcp`: a read-only Model Context Protocol server over stdio on the lake, so an assistant (Claude
// Desktop, any MCP client) can answer questions about the history in it. Local: DuckDB over the lake folder,
// sealed. `--backend aws`: Athena in the stack's workgroup, whose per-query scan limit applies.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Runtime } from '../runtime/local.ts';
import { AthenaSqlRunner } from '../stores/athena-query.ts';
import { athenaLakeSql, type LakeSql, localLakeSql } from './mcp/lake-sql.ts';
import { createLakeMcpServer, serveStdio } from './mcp/server.ts';
import { collectStatusReport, formatStatus } from './status-command.ts';
import { type CliWiring, isAwsBackend } from './wiring.ts';

export const MCP_DEFAULT_MAX_ROWS = 200;
export const MCP_DEFAULT_TIMEOUT_S = 30;

function positiveInteger(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`it takes a whole number 1-${max}.`);
    return n;
  };
}

interface McpOptions {
  maxRows: number;
  timeout: number;
  workgroup?: string;
}

function lakeSqlOf(rt: Runtime, o: McpOptions, aws: boolean): LakeSql {
  if (!aws) {
    if (!existsSync(join(rt.lakeDir, 'tables'))) {
      throw new Error(
        `no lake at ${rt.lakeDir} (it has no tables/ folder): give --lake DIR, the folder that \`zepp-lake sync\` fills`,
      );
    }
    return localLakeSql(rt.lakeDir);
  }
  if (!o.workgroup) {
    throw new Error(
      'mcp --backend aws needs the Athena workgroup: --workgroup or ZEPP_LAKE_WORKGROUP (zepp-lake-<stage>)',
    );
  }
  // The SDK finds the region, credentials and any AWS_ENDPOINT_URL_ATHENA itself, as for the other clients.
  const runner = new AthenaSqlRunner({ client: new AthenaClient({}), workGroup: o.workgroup });
  return athenaLakeSql(runner, o.workgroup);
}

export function registerMcpCommand(program: Command, wiring: CliWiring): Command {
  return program
    .command('mcp')
    .description('read-only Model Context Protocol server over stdio on the lake, for assistants (see README)')
    .option('--max-rows <n>', 'rows per answer at most', positiveInteger(10_000), MCP_DEFAULT_MAX_ROWS)
    .option('--timeout <seconds>', 'time per query at most', positiveInteger(3600), MCP_DEFAULT_TIMEOUT_S)
    .addOption(
      new Option('--workgroup <name>', 'with --backend aws: the Athena workgroup (zepp-lake-<stage>)').env(
        'ZEPP_LAKE_WORKGROUP',
      ),
    )
    .action(async (o: McpOptions, cmd: Command) => {
      const aws = isAwsBackend(cmd);
      const rt = wiring.runtimeOf(cmd);
      const sql = lakeSqlOf(rt, o, aws);
      const server = await createLakeMcpServer({
        sql,
        caps: { maxRows: o.maxRows, timeoutMs: o.timeout * 1000 },
        // A fresh runtime per call: the local state file is cached by its store, and a sync may run meanwhile.
        async statusText(userId) {
          const now = wiring.runtimeOf(cmd);
          const report = await collectStatusReport(now.state, { tokens: now.tokens, user: userId, aws });
          if (userId && report.users.length === 0)
            return `no user ${userId} in ${aws ? 'the state table' : now.homeDir}`;
          return formatStatus(report);
        },
      });
      process.stderr.write(`zepp-lake mcp: serving ${sql.engine} over stdio (read-only)\n`);
      await serveStdio(server);
    });
}
