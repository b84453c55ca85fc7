// Commands that run in processes of their own: a local sync or replay SIGKILLed at a point of its run, two local
// syncs (or a sync and a replay) started at once on one home folder and lake, and an AWS sync worker SIGKILLed at a
// point of its run (chaos/sync-child.ts). Slower than the in-process commands (each child starts its own Node), so
// only the process families use them.

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Runtime } from '../../lambdas/runtime/local.ts';
import { childEntryArgs } from '../child-entry.ts';
import type { ChaosRun, KillPoint } from '../child-harness.ts';
import { runSyncChild } from '../child-harness.ts';
import type { ChaosRuntime } from '../harness.ts';
import { HISTORY_DONE_MARKER, HISTORY_KILL_MARKER, type LocalKillPoint } from './child-protocol.ts';
import { HistoryCommand, type Who } from './commands.ts';
import { type DayRange, describeRange, type HistoryModel, personModel, syncStarted } from './model.ts';
import type { World } from './world.ts';

const REPO = new URL('../..', import.meta.url).pathname;
const CHILD_TIMEOUT_MS = 240_000;

export interface LocalChildSpec {
  op: 'sync' | 'replay';
  who: Who;
  range?: DayRange;
  kill?: LocalKillPoint;
}

interface ChildOutcome {
  killed: boolean;
  /** What the child printed at its kill point. */
  marker?: string;
  /** The child's result line (when it ran to the end). */
  result?: unknown;
  stderr: string;
}

interface StartedChild {
  ready: Promise<void>;
  done: Promise<ChildOutcome>;
}

function startLocalChild(m: HistoryModel, w: World, spec: LocalChildSpec, goFile?: string): StartedChild {
  if (w.mode !== 'local') throw new Error('local child processes need the local mode');
  const dirs = { lake: w.rt.lakeDir, home: w.rt.homeDir };
  const args = [...childEntryArgs('chaos/history-child.ts'), '--lake', dirs.lake, '--home', dirs.home];
  args.push('--op', spec.op, '--clock', String(w.now()));
  if (spec.who !== 'all') args.push('--user', personModel(m, spec.who).person.id);
  if (spec.range) args.push('--from', spec.range.from, ...(spec.range.to ? ['--to', spec.range.to] : []));
  if (spec.kill) args.push('--kill', JSON.stringify(spec.kill));
  if (goFile) args.push('--go', goFile);
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
  });
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let marker: string | undefined;
  let result: unknown;
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    if (line === 'ready') markReady();
    if (line.startsWith(HISTORY_DONE_MARKER)) result = JSON.parse(line.slice(HISTORY_DONE_MARKER.length));
    if (marker === undefined && line.startsWith(HISTORY_KILL_MARKER)) {
      marker = line.slice(HISTORY_KILL_MARKER.length);
      child.kill('SIGKILL');
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  const done = new Promise<ChildOutcome>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (_code, signal) => {
      clearTimeout(timer);
      markReady(); // a child that died before it was ready must not hold the other back
      lines.close();
      resolve({ killed: marker !== undefined && signal === 'SIGKILL', marker, result, stderr });
    });
  });
  return { ready, done };
}

/** What a finished (not killed) child did, for the model and the log. */
function account(m: HistoryModel, spec: LocalChildSpec, out: ChildOutcome): string {
  if (out.killed) {
    // A killed sync may have fetched any part of its range: the heal owes the rest.
    if (spec.op === 'sync') for (const p of started(m, spec.who)) syncStarted(p, spec.range, m.today);
    return `SIGKILLed ${out.marker}`;
  }
  const result = out.result as
    | { threw?: string }
    | { userId: string; busy?: boolean; streams?: number; rows?: number; errors?: string[] }[]
    | undefined;
  if (!result || !Array.isArray(result)) {
    m.problems.push(`a ${spec.op} process failed: ${(result as { threw?: string })?.threw ?? out.stderr.slice(-300)}`);
    return 'failed';
  }
  const said: string[] = [];
  for (const r of result) {
    const p = m.people.find((q) => q.person.id === r.userId);
    if (r.busy) said.push(`${p?.person.name} busy`);
    else if (spec.op === 'sync' && p && (r.streams ?? 0) > 0) {
      syncStarted(p, spec.range, m.today);
      said.push(`${p.person.name} synced${r.errors?.length ? ` (${r.errors[0]})` : ''}`);
    } else said.push(`${p?.person.name ?? r.userId} ${spec.op === 'replay' ? `${r.rows} rows` : 'not synced'}`);
  }
  return said.join(', ') || 'nothing to do';
}

function started(m: HistoryModel, who: Who) {
  return (who === 'all' ? m.people : [personModel(m, who)]).filter((p) => p.exists);
}

function describeChild(spec: LocalChildSpec): string {
  const who = spec.who === 'all' ? 'everyone' : `p${spec.who}`;
  const kill = spec.kill
    ? spec.kill.at === 'step'
      ? ` SIGKILLed after ${spec.kill.step ?? 'any'} step ${spec.kill.nth}`
      : ` SIGKILLed ${spec.kill.when} tables PUT ${spec.kill.nth}`
    : '';
  return `${spec.op} ${who}${describeRange(spec.range)} in a process${kill}`;
}

/** A local sync or replay in a process of its own, SIGKILLed when it reaches its kill point. */
export class KilledProcessCommand extends HistoryCommand {
  constructor(readonly spec: LocalChildSpec) {
    super();
  }
  check(m: Readonly<HistoryModel>): boolean {
    return this.spec.op === 'replay' || started(m as HistoryModel, this.spec.who).length > 0;
  }
  toString(): string {
    return describeChild(this.spec);
  }
  async apply(m: HistoryModel, w: World): Promise<string> {
    return account(m, this.spec, await startLocalChild(m, w, this.spec).done);
  }
}

/** Two local processes started at the same moment on one home folder and lake. */
export class TwoProcessesCommand extends HistoryCommand {
  constructor(
    readonly first: LocalChildSpec,
    readonly second: LocalChildSpec,
  ) {
    super();
  }
  check(m: Readonly<HistoryModel>): boolean {
    const ok = (s: LocalChildSpec) => s.op === 'replay' || started(m as HistoryModel, s.who).length > 0;
    return ok(this.first) && ok(this.second);
  }
  toString(): string {
    return `two processes at once [${describeChild(this.first)} | ${describeChild(this.second)}]`;
  }
  async apply(m: HistoryModel, w: World, _rt: Runtime): Promise<string> {
    const go = join(w.dir, `go-${w.now()}`);
    const a = startLocalChild(m, w, this.first, go);
    const b = startLocalChild(m, w, this.second, go);
    await Promise.all([a.ready, b.ready]);
    await writeFile(go, 'go');
    const [ra, rb] = await Promise.all([a.done, b.done]);
    return `${account(m, this.first, ra)} | ${account(m, this.second, rb)}`;
  }
}

/** An AWS sync worker of one person (chaos/sync-child.ts), SIGKILLed at a point of its run. */
export class KilledWorkerCommand extends HistoryCommand {
  constructor(
    readonly who: number,
    readonly kill: KillPoint,
  ) {
    super();
  }
  check(m: Readonly<HistoryModel>): boolean {
    return personModel(m as HistoryModel, this.who).exists;
  }
  toString(): string {
    const k = this.kill;
    const where =
      k.at === 'step'
        ? `after ${k.step} of ${k.stream} window ${k.nth}`
        : k.at === 'table-put'
          ? `${k.when} data PUT ${k.nth} of ${k.stream}`
          : k.at === 'ledger-object'
            ? `after ingest_ledger PUT ${k.nth} of ${k.stream}`
            : `after ledger BatchWriteItem ${k.nth} of ${k.stream}`;
    return `a worker syncing p${this.who} is SIGKILLed ${where}`;
  }
  async apply(m: HistoryModel, w: World): Promise<string> {
    const p = personModel(m, this.who);
    const rt = w.rt as ChaosRuntime;
    if (!w.aws) throw new Error('a worker process needs the AWS side');
    const run = {
      env: w.env,
      rt,
      userId: p.person.id,
      secretPrefix: w.aws.secretPrefix,
      clockOffsetMs: w.now() - Date.now(),
    } as unknown as ChaosRun;
    const out = await runSyncChild(run, this.kill, 15 * 60_000);
    syncStarted(p, undefined, m.today);
    if (out.killed) return `SIGKILLed ${out.marker ?? ''}`;
    if (out.code !== 0) m.problems.push(`${this.toString()}: the worker process failed: ${out.stderr.slice(-300)}`);
    return `ran to the end (exit ${out.code})`;
  }
}
