// `zepp-lake generate-ddl`: athena/tables/*.sql from the schema registry and the streams table of
// docs/architecture.md from core/streams.ts (the writer is loaded only when run).

import type { Command } from 'commander';
import type { CliWiring } from '../wiring.ts';

export function registerGenerateDdlCommand(program: Command, _wiring: CliWiring): Command {
  return program
    .command('generate-ddl')
    .description('write athena/tables/*.sql from the schema registry, and the streams table of docs/architecture.md')
    .action(async () => {
      const { generateDdlFiles, generateStreamsDoc } = await import('../generate-ddl.ts');
      for (const f of await generateDdlFiles()) console.log(`wrote ${f}`);
      console.log(`wrote ${await generateStreamsDoc()}`);
    });
}
