// `zepp-lake simulate`: the vendor API simulator on its own (loaded only when the command runs).

import type { Command } from 'commander';
import type { CliWiring, Opts } from '../wiring.ts';

export function registerSimulateCommand(program: Command, _wiring: CliWiring): Command {
  return program
    .command('simulate')
    .description('run the vendor API simulator on its own')
    .option('--port <n>', 'port (0 = any free port)', (v) => Number.parseInt(v, 10), 0)
    .option('--faults <spec>', 'e.g. 429:0.1,500:0.05,slow:0.02,truncate:0.02,expire-legacy:once,wrong-region')
    .option('--seed <n>', 'data seed', (v) => Number.parseInt(v, 10))
    .action(async (o: Opts) => {
      const { runSimulateCommand } = await import('../../../sim/index.ts');
      await runSimulateCommand({
        port: o.port as number,
        faults: o.faults as string | undefined,
        seed: o.seed as number | undefined,
      });
    });
}
