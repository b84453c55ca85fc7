// `npm run chaos`: runs every chaos scenario over seeded runs against the simulator and freshly started
// stand-ins, prints a table (rows expected / landed / lost / duplicated, ledger failures, healed), and exits
// non-zero when a row is not lost 0 / duplicated 0 / healed yes, printing the command that reproduces each
// failing seed.
//
//   npm run chaos [-- --only NAME[,NAME]] [--seed N] [--runs N] [--short] [--workers N]
//                    [--json FILE] [--markdown FILE]

import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { startStandIns } from '../test/support/stand-ins.ts';
import type { ChaosEnv, Scenario, ScenarioOutcome } from './scenario.ts';
import { SCENARIOS } from './scenarios/index.ts';

/** The first seed of every scenario; run i uses FIRST_SEED + i, so a failing seed is stable across runs. */
export const FIRST_SEED = 1;

export interface RunResult {
  scenario: string;
  seed: number;
  ms: number;
  outcome: ScenarioOutcome;
}

export interface ScenarioRow {
  scenario: string;
  group: string;
  runs: number;
  expected: number;
  landed: number;
  lost: number;
  duplicated: number;
  failedAfterFault: number;
  failedAfterHeal: number;
  healed: boolean;
  failingSeeds: number[];
}

export interface ChaosPlanOptions {
  only?: string[];
  seed?: number;
  runs?: number;
  short?: boolean;
}

/** Which (scenario, seed) pairs to run. */
export function planRuns(
  scenarios: readonly Scenario[],
  opts: ChaosPlanOptions,
): { scenario: Scenario; seed: number }[] {
  const known = new Set(scenarios.map((s) => s.name));
  for (const name of opts.only ?? []) {
    if (!known.has(name)) throw new Error(`no scenario ${name}; known: ${[...known].join(', ')}`);
  }
  const chosen = scenarios.filter((s) => !opts.only || opts.only.includes(s.name));
  const out: { scenario: Scenario; seed: number }[] = [];
  for (const scenario of chosen) {
    if (opts.seed !== undefined) {
      out.push({ scenario, seed: opts.seed });
      continue;
    }
    const runs = opts.short ? 1 : (opts.runs ?? scenario.runs);
    for (let i = 0; i < runs; i++) out.push({ scenario, seed: FIRST_SEED + i });
  }
  return out;
}

/** A run that threw is a failed row, never a crashed runner. */
export async function runOne(scenario: Scenario, seed: number, env: ChaosEnv): Promise<RunResult> {
  const started = Date.now();
  let outcome: ScenarioOutcome;
  try {
    outcome = await scenario.run(seed, env);
  } catch (err) {
    outcome = {
      expected: 0,
      landed: 0,
      lost: 0,
      duplicated: 0,
      failedAfterFault: 0,
      failedAfterHeal: 0,
      healed: false,
      note: `the run threw: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`.slice(0, 400),
    };
  }
  return { scenario: scenario.name, seed, ms: Date.now() - started, outcome };
}

export function summarise(scenarios: readonly Scenario[], results: readonly RunResult[]): ScenarioRow[] {
  const rows: ScenarioRow[] = [];
  for (const s of scenarios) {
    const mine = results.filter((r) => r.scenario === s.name);
    if (mine.length === 0) continue;
    const sum = (f: (o: ScenarioOutcome) => number) => mine.reduce((n, r) => n + f(r.outcome), 0);
    const failing = mine.filter((r) => !passed(r.outcome)).map((r) => r.seed);
    rows.push({
      scenario: s.name,
      group: s.group,
      runs: mine.length,
      expected: sum((o) => o.expected),
      landed: sum((o) => o.landed),
      lost: sum((o) => o.lost),
      duplicated: sum((o) => o.duplicated),
      failedAfterFault: sum((o) => o.failedAfterFault),
      failedAfterHeal: sum((o) => o.failedAfterHeal),
      healed: failing.length === 0,
      failingSeeds: failing,
    });
  }
  return rows;
}

export function passed(o: ScenarioOutcome): boolean {
  return o.lost === 0 && o.duplicated === 0 && o.healed;
}

const HEADERS = ['scenario', 'runs', 'expected', 'landed', 'lost', 'duplicated', 'failed after fault', 'healed'];

function cells(r: ScenarioRow): string[] {
  return [
    r.scenario,
    String(r.runs),
    String(r.expected),
    String(r.landed),
    String(r.lost),
    String(r.duplicated),
    String(r.failedAfterFault),
    r.healed ? 'yes' : `NO (${r.failingSeeds.length})`,
  ];
}

export function formatTable(rows: readonly ScenarioRow[]): string {
  const table = [HEADERS, ...rows.map(cells)];
  const widths = HEADERS.map((_, i) => Math.max(...table.map((row) => row[i]?.length ?? 0)));
  const line = (row: string[]) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice().map(cells).map(line)].join('\n');
}

export function formatMarkdown(rows: readonly ScenarioRow[], scenarios: readonly Scenario[]): string {
  const description = new Map(scenarios.map((s) => [s.name, s.description]));
  const out = [
    `| ${HEADERS.join(' | ')} | what goes wrong |`,
    `|${HEADERS.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|---|`,
  ];
  for (const r of rows) out.push(`| ${cells(r).join(' | ')} | ${description.get(r.scenario) ?? ''} |`);
  return out.join('\n');
}

export function reproduceCommand(scenario: string, seed: number): string {
  return `npm run chaos -- --only ${scenario} --seed ${seed}`;
}

/** Runs the planned runs, `concurrency` at a time, reporting each as it ends. */
export async function runPlanned(
  planned: readonly { scenario: Scenario; seed: number }[],
  env: ChaosEnv,
  concurrency: number,
  onResult?: (r: RunResult, done: number, total: number) => void,
): Promise<RunResult[]> {
  const results: RunResult[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < planned.length; i = next++) {
      const p = planned[i];
      if (!p) break;
      const r = await runOne(p.scenario, p.seed, env);
      results.push(r);
      onResult?.(r, results.length, planned.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return results;
}

/** What the parent sends a worker process: one run to do, or the end of the work. */
type WorkerTask = { scenario: string; seed: number } | { done: true };

/**
 * Runs the planned runs in `workers` child processes (one Node process uses one core; the stand-ins' S3 lives
 * in the parent), each taking the next run as it becomes free, `concurrency` runs at a time per worker.
 */
export async function runInWorkers(
  planned: readonly { scenario: Scenario; seed: number }[],
  env: ChaosEnv,
  workers: number,
  onResult?: (r: RunResult, done: number, total: number) => void,
): Promise<RunResult[]> {
  const results: RunResult[] = [];
  let next = 0;
  const script = fileURLToPath(import.meta.url);
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const child: ChildProcess = fork(script, ['--worker'], {
        execArgv: ['--import', 'tsx', '--no-warnings'],
        env: { ...process.env, CHAOS_ENV: JSON.stringify(env) },
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      });
      // The handlers' Powertools metrics warn on stderr after every invocation without metrics: not the runner's news.
      if (child.stderr)
        createInterface({ input: child.stderr }).on('line', (line) => {
          if (!line.startsWith('No application metrics to publish')) process.stderr.write(`${line}\n`);
        });
      const give = () => {
        const p = planned[next++];
        const task: WorkerTask = p ? { scenario: p.scenario.name, seed: p.seed } : { done: true };
        child.send(task);
      };
      child.on('message', (message: RunResult | 'ready') => {
        if (message !== 'ready') {
          results.push(message);
          onResult?.(message, results.length, planned.length);
        }
        give();
      });
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`a chaos worker exited with status ${code}`)),
      );
    });
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, planned.length)) }, one));
  return results;
}

/** The child side of runInWorkers: runs what it is sent, answers each result, ends on `done`. */
async function workerMain(): Promise<void> {
  const env = JSON.parse(process.env.CHAOS_ENV ?? '{}') as ChaosEnv;
  const byName = new Map(SCENARIOS.map((s) => [s.name, s]));
  process.on('message', (task: WorkerTask) => {
    if ('done' in task) {
      process.disconnect();
      return;
    }
    const scenario = byName.get(task.scenario);
    if (!scenario) throw new Error(`no scenario ${task.scenario}`);
    runOne(scenario, task.seed, env).then((r) => process.send?.(r));
  });
  process.send?.('ready');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

interface ChaosOptions {
  only?: string;
  seed?: number;
  runs?: number;
  short?: boolean;
  workers: number;
  json?: string;
  markdown?: string;
  list?: boolean;
}

function parseChaosOptions(argv: string[]): ChaosOptions {
  return new Command()
    .name('chaos')
    .description('seeded fault scenarios against the simulator and the AWS stand-ins')
    .option('--only <names>', 'comma-separated scenario names')
    .option('--seed <n>', 'one run per scenario, with this seed', positiveInt)
    .option('--runs <n>', 'runs per scenario (default: each scenario’s own)', positiveInt)
    .option('--short', 'one run per scenario')
    .option('--workers <n>', 'worker processes, each running one seeded run at a time', positiveInt, 2)
    .option('--json <file>', 'write every run and the table as JSON')
    .option('--markdown <file>', 'write the table as Markdown')
    .option('--list', 'list the scenarios and exit')
    .parse(argv)
    .opts<ChaosOptions>();
}

function progressLine(r: RunResult, done: number, total: number): string {
  const o = r.outcome;
  const mark = passed(o) ? 'ok  ' : 'FAIL';
  return `[${String(done).padStart(String(total).length)}/${total}] ${mark} ${r.scenario} seed ${r.seed} ${(r.ms / 1000).toFixed(1)}s: lost ${o.lost}, dup ${o.duplicated}, failed ${o.failedAfterFault}->${o.failedAfterHeal}${o.note ? `; ${o.note.split('\n')[0]}` : ''}\n`;
}

/** Starts the stand-ins and a work folder, runs the planned runs in worker processes, stops and removes both. */
async function runWithStandIns(planned: ReturnType<typeof planRuns>, workers: number): Promise<RunResult[]> {
  const standIns = await startStandIns();
  const workDir = await mkdtemp(join(tmpdir(), 'zepp-lake-chaos-'));
  try {
    return await runInWorkers(planned, { endpoints: standIns.endpoints, workDir }, workers, (r, done, total) =>
      process.stdout.write(progressLine(r, done, total)),
    );
  } finally {
    await standIns
      .stop()
      .catch((err: unknown) => process.stderr.write(`could not stop the stand-ins: ${String(err)}\n`));
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Prints how to reproduce each failing run; gives the exit status. */
function reportFailing(results: readonly RunResult[]): number {
  const failing = results.filter((r) => !passed(r.outcome)).sort((a, b) => a.scenario.localeCompare(b.scenario));
  if (failing.length === 0) return 0;
  process.stdout.write(`\n${failing.length} failing run(s); reproduce with:\n`);
  for (const r of failing)
    process.stdout.write(`  ${reproduceCommand(r.scenario, r.seed)}    # ${(r.outcome.note ?? '').split('\n')[0]}\n`);
  // A failing history's note carries its (shrunk) sequence of commands after the first line.
  for (const r of failing.filter((f) => f.outcome.note?.includes('\n')))
    process.stdout.write(`\n${r.scenario} seed ${r.seed}: ${r.outcome.note}\n`);
  return 1;
}

async function main(argv: string[]): Promise<number> {
  const opts = parseChaosOptions(argv);
  if (opts.list) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(32)} ${s.group.padEnd(12)} ${s.description}\n`);
    return 0;
  }
  const planned = planRuns(SCENARIOS, {
    only: opts.only?.split(',').map((s) => s.trim()),
    seed: opts.seed,
    runs: opts.runs,
    short: opts.short,
  });
  const started = Date.now();
  process.stdout.write(`chaos: ${planned.length} runs, ${opts.workers} at a time; starting the stand-ins...\n`);
  const results = await runWithStandIns(planned, opts.workers);
  const rows = summarise(SCENARIOS, results);
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`\n${formatTable(rows)}\n\n${results.length} runs in ${seconds.toFixed(0)} s\n`);
  if (opts.json) {
    await writeFile(opts.json, `${JSON.stringify({ seconds, rows, runs: results }, null, 2)}\n`);
  }
  if (opts.markdown) await writeFile(opts.markdown, `${formatMarkdown(rows, SCENARIOS)}\n`);
  return reportFailing(results);
}

if (process.argv.includes('--worker')) {
  void workerMain();
} else if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`chaos: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
