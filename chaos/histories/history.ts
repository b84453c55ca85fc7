// One history, end to end: a fresh world (the vendor simulator with its people, and a local home folder and lake
// or a bucket, table, secret prefix and queue on the AWS stand-ins), every person added, the commands fast-check
// drew, the heal (the next scheduled run), and the check of the lake against the vendor's ground truth. A history
// family is a chaos Scenario: seed N runs the one history fast-check draws from seed N (numRuns 1), so
// `npm run chaos -- --only FAMILY --seed N` replays it exactly; a failing one is shrunk (within a time budget) and
// the shrunk sequence of commands is printed with the failure.

import fc from 'fast-check';
import type { SourceId } from '../../lambdas/core/ports.ts';
import type { ChaosEnv, Scenario, ScenarioOutcome } from '../scenario.ts';
import { countFailed, heal, measure } from './check.ts';
import { AddCommand, errorLine, type HistoryCommand } from './commands.ts';
import { type HistoryModel, newModel } from './model.ts';
import { type Mode, openWorld, type World } from './world.ts';

/** What the command arbitraries of a family draw from: the vendor's today and how many people there are. */
export interface HistoryContext {
  today: string;
  people: number;
}

export interface HistoryFamily {
  /** `history-...`: the table row and `--only NAME`. */
  name: string;
  /** One sentence for the README: what the histories of the family do. */
  description: string;
  runs: number;
  mode: Mode;
  source: SourceId;
  people: number;
  /** Commands per history, at most. */
  maxCommands: number;
  commands(ctx: HistoryContext): fc.Arbitrary<HistoryCommand>[];
}

/** How long a failing history may be shrunk before the smallest failing sequence found so far is reported. */
const SHRINK_BUDGET_MS = Number(process.env.CHAOS_SHRINK_MS ?? 120_000);

interface HistoryRun {
  outcome: ScenarioOutcome;
  model: HistoryModel;
}

/** Runs one sequence of commands on a fresh world, heals and measures it. Throws only when the world cannot be built. */
export async function runHistory(
  { family, seed, env }: { family: HistoryFamily; seed: number; env: ChaosEnv },
  commands: Iterable<fc.AsyncCommand<HistoryModel, World>>,
  opts: { afterHeal?: (w: World) => Promise<void> } = {},
): Promise<HistoryRun> {
  const world: World = await openWorld({
    mode: family.mode,
    source: family.source,
    seed,
    people: family.people,
    env,
  });
  const model = newModel(world.vendor.people, world.vendor.today);
  try {
    for (let i = 0; i < family.people; i++) await new AddCommand(i).run(model, world);
    try {
      await fc.asyncModelRun(() => ({ model, real: world }), commands);
    } catch (err) {
      model.problems.push(`a command threw ${errorLine(err)}`);
    }
    const failedAfterFault = await countFailed(world, model);
    await heal(world, model);
    // Only the tests use this: they damage a healed lake to see the check bite.
    await opts.afterHeal?.(world);
    return { outcome: await measure(world, model, failedAfterFault), model };
  } finally {
    await world.close();
  }
}

function passed(o: ScenarioOutcome): boolean {
  return o.lost === 0 && o.duplicated === 0 && o.healed;
}

/** The commands of a failing history, one a line, with what each did (the model's log). */
export function describeHistory(run: HistoryRun): string {
  return run.model.log.map((line, i) => `${String(i + 1).padStart(3)}. ${line}`).join('\n');
}

/** The arbitrary of a family's command sequences (the people are those the seed gives; see vendor.ts). */
function commandsOf(family: HistoryFamily, ctx: HistoryContext) {
  return fc.commands(family.commands(ctx), { maxCommands: family.maxCommands, size: 'max' });
}

export interface HistoryScenarioOptions {
  /** Shrink a failing history (default: yes, within SHRINK_BUDGET_MS). */
  shrink?: boolean;
}

/** The chaos Scenario of a family: seed N is the history fast-check draws from seed N. */
export function historyScenario(family: HistoryFamily, today: string, opts: HistoryScenarioOptions = {}): Scenario {
  return {
    name: family.name,
    group: 'history',
    description: family.description,
    runs: family.runs,
    async run(seed: number, env: ChaosEnv): Promise<ScenarioOutcome> {
      let first: HistoryRun | undefined;
      let smallest: HistoryRun | undefined;
      /** When shrinking stops: a candidate drawn after it passes without running, so the smallest failure stands. */
      let shrinkUntil = Number.POSITIVE_INFINITY;
      const property = fc.asyncProperty(commandsOf(family, { today, people: family.people }), async (cmds) => {
        if (first && Date.now() > shrinkUntil) return true;
        const run = await runHistory({ family, seed, env }, cmds);
        first ??= run;
        if (passed(run.outcome)) return true;
        if (smallest === undefined) shrinkUntil = Date.now() + SHRINK_BUDGET_MS;
        smallest = run;
        return false;
      });
      const details = await fc.check(property, { seed, numRuns: 1, endOnFailure: opts.shrink === false });
      if (!first) throw new Error(`the history could not run: ${errorLine(details.errorInstance)}`);
      if (!details.failed && passed(first.outcome)) return first.outcome;
      const shrunk = smallest ?? first;
      const history = `history of seed ${seed}${shrunk === first ? '' : ' (shrunk)'}:\n${describeHistory(shrunk)}`;
      return { ...first.outcome, healed: false, note: `${first.outcome.note ?? 'failed'}\n${history}` };
    },
  };
}
