// `zepp-lake report`: a self-contained HTML page with charts of every person in the lake.

import { join } from 'node:path';
import type { Command } from 'commander';
import { queryableLakeDir } from '../../runtime/local.ts';
import { dateOption, userIdOption } from '../option-parsers.ts';
import { writeHtmlReport } from '../report-html.ts';
import { CliError, type CliWiring, type Opts } from '../wiring.ts';

export function registerReportCommand(program: Command, wiring: CliWiring): Command {
  return program
    .command('report')
    .description('write a self-contained HTML page with charts of every person in the lake (opens offline)')
    .option('--out <file>', 'the HTML file (default: <lake>/report.html)')
    .option('--user <id>', 'only this user', userIdOption)
    .option('--from <date>', 'first day (YYYY-MM-DD); default: the first day with data', dateOption)
    .option('--to <date>', 'last day (YYYY-MM-DD); default: the last day with data', dateOption)
    .action(async (o: Opts, cmd: Command) => {
      const rt = wiring.runtimeOf(cmd);
      const remote = rt.lakeDir.startsWith('s3://');
      let page: string;
      try {
        page = await writeHtmlReport({
          lakeDir: await queryableLakeDir(rt),
          out: (o.out as string | undefined) ?? (remote ? 'report.html' : join(rt.lakeDir, 'report.html')),
          userId: o.user as string | undefined,
          from: o.from as string | undefined,
          to: o.to as string | undefined,
        });
      } catch (err) {
        throw new CliError(`report failed: ${(err as Error).message}`, { cause: err });
      }
      console.log(page);
    });
}
