import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { HISTORY_FAMILIES } from '/work/wt/chaos-histories/chaos/histories/families.ts';
import { describeHistory, runHistory } from '/work/wt/chaos-histories/chaos/histories/history.ts';
import { HISTORY_TODAY } from '/work/wt/chaos-histories/chaos/histories/vendor.ts';
import { startStandIns } from '/work/wt/chaos-histories/test/support/stand-ins.ts';

const [name, seedText] = process.argv.slice(2);
const family = HISTORY_FAMILIES.find((f) => f.name === name)!;
const needsAws = family.mode === 'aws';
const standIns = needsAws ? await startStandIns() : undefined;
const env = { endpoints: standIns?.endpoints ?? ({} as never), workDir: await mkdtemp(join(tmpdir(), 'probe-')) };
for (const seed of seedText.split(',').map(Number)) {
  const [cmds] = fc.sample(
    fc.commands(family.commands({ today: HISTORY_TODAY, people: family.people }), {
      maxCommands: family.maxCommands,
      size: 'max',
    }),
    { seed, numRuns: 1 },
  );
  const t = Date.now();
  const c = process.cpuUsage();
  const run = await runHistory(family, seed, env, cmds);
  console.log(
    `seed ${seed}: ${Date.now() - t} ms cpu ${Math.round((process.cpuUsage(c).user + process.cpuUsage(c).system) / 1000)} ms`,
    JSON.stringify({ ...run.outcome, note: undefined }),
  );
  console.log(describeHistory(run));
  if (run.outcome.note) console.log('NOTE', run.outcome.note);
}
await standIns?.stop();
