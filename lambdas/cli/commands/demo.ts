// `zepp-lake demo`: the simulator, a sync of its accounts into the lake and the report (what `npm start` runs).

import { join } from 'node:path';
import type { Command } from 'commander';
import { createProgress } from '../progress.ts';
import { buildReport } from '../report.ts';
import { writeHtmlReport } from '../report-html.ts';
import { formatSyncReport, loginSimUsers, syncUsers, withSimulator } from '../sync-command.ts';
import type { CliWiring, Opts } from '../wiring.ts';

const seconds = (ms: number) => (ms / 1000).toFixed(1);

export function registerDemoCommand(program: Command, wiring: CliWiring): Command {
  return program
    .command('demo')
    .description('simulator + sync of the demo accounts into the lake + report (what `npm start` runs)')
    .option('--faults <spec>', 'simulator faults, e.g. 429:0.05,500:0.02')
    .option('--quiet', 'no progress on stderr')
    .action(async (o: Opts, cmd: Command) => {
      const rt = wiring.runtimeOf(cmd);
      const t0 = performance.now();
      const notes = createProgress({ quiet: Boolean(o.quiet), verb: 'demo' });
      notes.note(`zepp-lake demo: simulated accounts -> ${rt.lakeDir}`);
      await withSimulator(rt, { faults: o.faults as string | undefined }, async (sim) => {
        notes.note(`simulator on ${sim.url} with ${sim.users.length} users`);
        const simRt = await loginSimUsers(rt, sim);
        const reports = await syncUsers(simRt, {
          quiet: Boolean(o.quiet),
          simulated: true,
          http: { maxRetries: 6, baseDelayMs: 50, timeoutMs: 10_000 },
        });
        for (const r of reports) console.log(formatSyncReport(r));
      });
      const tSync = performance.now();
      console.log('');
      console.log(await buildReport(rt.queryDir));
      console.log(`\nsynced in ${seconds(tSync - t0)} s, report in ${seconds(performance.now() - tSync)} s`);
      console.log(`try: npx zepp-lake query --name daily_overview   |   npx zepp-lake status`);
      const page = await writeHtmlReport({ lakeDir: rt.queryDir, out: join(rt.lakeDir, 'report.html') });
      console.log(`\nOpen ${page} in a browser`);
    });
}
