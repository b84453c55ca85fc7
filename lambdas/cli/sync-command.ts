// `zepp-lake sync` and the login it needs: wire the runtime, the user's source and the engine, then report; the
// simulator's people for `sync --source sim` and the demo.

import { createHash, randomUUID } from 'node:crypto';
import { type Command, Option } from 'commander';
import { LeaseHeldError, StorageWriteError } from '../core/errors.ts';
import type { StreamName, TokenStore, UserRecord, UserTokens } from '../core/ports.ts';
import { STREAMS } from '../core/ports.ts';
import { type EngineDeps, SyncEngine, type SyncReport } from '../engine/sync-engine.ts';
import type { Runtime } from '../runtime/local.ts';
import type { HttpOptions } from '../sources/http.ts';
import { openSource, SOURCE_IDS } from '../sources/registry.ts';
import { loginWithPassword } from '../sources/zepp/password-login.ts';
import { EXIT, EXIT_CODES_HELP, STORAGE_ADVICE } from './error-advice.ts';
import { dateOption, hostUrlOption, userIdOption } from './option-parsers.ts';
import { createProgress } from './progress.ts';
import { syncReportActions } from './status-command.ts';
import { type CliWiring, isAwsBackend, type Opts } from './wiring.ts';

export interface SyncOptions {
  user?: string;
  /** Only users of this source. */
  source?: string;
  /** Sync the simulator's people (`--source sim`, the demo) instead of everyone else. */
  simulated?: boolean;
  from?: string;
  to?: string;
  host?: string;
  streams?: string;
  lagDays?: number;
  quiet?: boolean;
  /** Progress as JSON lines on stderr (for `--json`). */
  json?: boolean;
  http?: HttpOptions;
  clock?: () => number;
  /** The partner app's client secret for huami-open users whose stored tokens carry none (HUAMI_CLIENT_SECRET). */
  clientSecret?: string;
  /** Test hook: called after each durable step (throw to simulate a killed process). */
  afterStep?: EngineDeps['afterStep'];
}

/**
 * A user's line in a sync run; `busy` when another process was syncing the user, so this run left them alone;
 * `storageFailed` when the lake's storage refused one of their writes, so their run stopped there (the other
 * users' runs go on: a refused key or a full disk for one user's month loses nothing of theirs).
 */
export interface UserSyncReport extends SyncReport {
  busy?: boolean;
  storageFailed?: boolean;
}

export const BUSY_MESSAGE = 'another zepp-lake process is syncing this user now: left to it (run sync again later)';

/**
 * The tokens this process wrote first, then the token file: the simulator's tokens are only valid on the
 * simulator of the process that logged in, while another `sync --source sim` on the same home writes its own.
 * Writes go to both.
 */
export function sessionTokenStore(file: TokenStore): TokenStore {
  const mine = new Map<string, UserTokens>();
  return {
    get: async (userId) => mine.get(userId) ?? file.get(userId),
    put: async (userId, tokens) => {
      await file.put(userId, tokens);
      mine.set(userId, tokens);
    },
    delete: async (userId) => {
      mine.delete(userId);
      await file.delete(userId);
    },
    list: async () => [...new Set([...(await file.list()), ...mine.keys()])].sort(),
    getCurrent: async (userId) => {
      const own = mine.get(userId);
      return own ? { tokens: own, version: sessionVersion(own) } : file.getCurrent(userId);
    },
    putIfCurrent: async (userId, tokens, version) => {
      const own = mine.get(userId);
      if (own) {
        if (sessionVersion(own) !== version) return false;
        await file.put(userId, tokens);
        mine.set(userId, tokens);
        return true;
      }
      const written = await file.putIfCurrent(userId, tokens, version);
      if (written) mine.set(userId, tokens);
      return written;
    },
  };
}

/** The version of a token set only this process holds (the token file's versions are its own). */
function sessionVersion(tokens: UserTokens): string {
  return `session:${createHash('sha256').update(JSON.stringify(tokens)).digest('hex')}`;
}

export function parseStreams(spec: string | undefined): StreamName[] | undefined {
  if (!spec) return undefined;
  const list = spec.split(',').map((s) => s.trim());
  for (const s of list) {
    if (!(STREAMS as readonly string[]).includes(s))
      throw new Error(`unknown stream ${s}; known: ${STREAMS.join(', ')}`);
  }
  return list as StreamName[];
}

/** Stores the tokens of a fresh login and the user's state record. */
export async function rememberLogin(
  rt: Runtime,
  tokens: UserTokens,
  extra: Partial<UserRecord> = {},
): Promise<UserRecord> {
  const userId = tokens.vendorUserId;
  await rt.tokens.put(userId, tokens);
  const existing = await rt.state.getUser(userId);
  const user: UserRecord = existing ?? {
    userId,
    source: tokens.source,
    enabled: true,
    createdAt: Date.now(),
    ...extra,
  };
  if (!existing) await rt.state.putUser(user);
  return user;
}

/** A Zepp account's password login: which account, and against which host (the vendor's default when absent). */
export interface ZeppLogin {
  email: string;
  password: string;
  host?: string | undefined;
  http?: HttpOptions | undefined;
}

export async function loginZepp(rt: Runtime, { email, password, host, http }: ZeppLogin): Promise<UserRecord> {
  const login = await loginWithPassword(email, password, { base: host }, http);
  return rememberLogin(rt, {
    source: 'zepp',
    vendorUserId: login.userId,
    host,
    email,
    region: login.region,
    countryCode: login.countryCode,
    loginToken: login.loginToken,
    appToken: login.appToken,
    appTokenIssuedAt: Date.now(),
  });
}

/** One user's sync; a user another process holds is reported busy, one whose writes failed storageFailed; the run goes on. */
async function syncOneUser(rt: Runtime, engine: SyncEngine, u: UserRecord, opts: SyncOptions): Promise<UserSyncReport> {
  const tokens = await rt.tokens.get(u.userId);
  if (!tokens) {
    return {
      userId: u.userId,
      streams: {},
      authFailed: true,
      wrongRegionSuspected: false,
      errors: ['no tokens stored; run zepp-lake login'],
    };
  }
  const source = openSource(u.userId, tokens, rt.tokens, {
    host: opts.host,
    http: opts.http,
    clock: opts.clock,
    tzOffsetS: u.tzOffsetS,
    clientSecret: opts.clientSecret,
  });
  try {
    return await engine.syncUser({
      user: u,
      source,
      streams: parseStreams(opts.streams),
      from: opts.from,
      to: opts.to,
    });
  } catch (err) {
    if (err instanceof StorageWriteError) {
      return {
        userId: u.userId,
        streams: {},
        authFailed: false,
        wrongRegionSuspected: false,
        errors: [err.message],
        storageFailed: true,
      };
    }
    if (!(err instanceof LeaseHeldError)) throw err;
    return {
      userId: u.userId,
      streams: {},
      authFailed: false,
      wrongRegionSuspected: false,
      errors: [BUSY_MESSAGE],
      busy: true,
    };
  }
}

export async function syncUsers(rt: Runtime, opts: SyncOptions): Promise<UserSyncReport[]> {
  parseStreams(opts.streams); // a bad list is refused before anything runs
  const users = (await rt.state.listUsers()).filter(
    (u) =>
      u.enabled &&
      (!opts.user || u.userId === opts.user) &&
      (!opts.source || u.source === opts.source) &&
      // Naming a user picks them whatever they are; otherwise the simulator's people and real ones never mix.
      (opts.user !== undefined || Boolean(u.simulated) === Boolean(opts.simulated)),
  );
  if (opts.user && users.length === 0) throw new Error(`no user ${opts.user}; run zepp-lake login first`);
  if (users.length === 0)
    throw new Error('no users yet: run `zepp-lake login` (or `zepp-lake sync --source sim` for the simulator)');
  const progress = opts.quiet ? undefined : createProgress({ json: opts.json });
  const engine = new SyncEngine({
    store: rt.store,
    state: rt.state,
    codec: rt.codec,
    clock: opts.clock ?? Date.now,
    lagDays: opts.lagDays ?? 3,
    leaseOwner: `cli-${randomUUID()}`,
    onProgress: progress ? (e) => progress.update(e) : undefined,
    afterStep: opts.afterStep,
  });
  const reports: UserSyncReport[] = [];
  try {
    // Users in parallel (the vendor sees one request at a time per user); two at a time keeps a laptop responsive.
    const queue = [...users];
    const worker = async () => {
      try {
        for (let u = queue.shift(); u; u = queue.shift()) reports.push(await syncOneUser(rt, engine, u, opts));
      } catch (err) {
        queue.length = 0; // the run fails: start no other user, and let the other worker finish its own
        throw err;
      }
    };
    const done = await Promise.allSettled([worker(), worker()]);
    for (const d of done) if (d.status === 'rejected') throw d.reason;
  } finally {
    progress?.stop();
  }
  return reports.sort((a, b) => a.userId.localeCompare(b.userId));
}

export function formatSyncReport(r: SyncReport): string {
  const lines = [
    `user ${r.userId}${r.authFailed ? '  AUTH FAILED' : ''}${r.wrongRegionSuspected ? '  WRONG REGION?' : ''}`,
  ];
  for (const [stream, s] of Object.entries(r.streams)) {
    if (!s) continue;
    lines.push(
      `  ${stream.padEnd(10)} ${String(s.rowsWritten).padStart(9)} rows  ${String(s.written).padStart(5)} written  ${String(s.empty).padStart(5)} empty  ${String(s.failed).padStart(4)} failed${s.authFailed ? `  ${s.authFailed} auth_failed` : ''}`,
    );
  }
  for (const e of r.errors.slice(0, 5)) lines.push(`  ! ${e}`);
  if (r.errors.length > 5) lines.push(`  ! ... ${r.errors.length - 5} more (see zepp-lake status)`);
  return lines.join('\n');
}

// ------------------------------------------------------------------------------------------ the simulator's people

type Simulator = import('../../sim/index.ts').Simulator;

/**
 * Every run starts a simulator of its own. Its people are built around the UTC day they were first logged in
 * (their user records' createdAt), not around this run's day: built around the run's day, a run after UTC
 * midnight met people whose every past date (time zone changes, gaps, swims) had moved by a day, so a second
 * sync around midnight rewrote history that a replay then rebuilt otherwise. The simulator stands at this
 * run's instant, so each person's data goes on growing with the clock, day by day in their own zone.
 */
export async function withSimulator<T>(
  rt: Runtime,
  opts: { faults?: string; seed?: number },
  fn: (sim: Simulator) => Promise<T>,
): Promise<T> {
  const { startSimulator } = await import('../../sim/index.ts');
  const firstLogin = (await rt.state.listUsers()).filter((u) => u.simulated).map((u) => u.createdAt);
  const peopleDay = firstLogin.length > 0 ? new Date(Math.min(...firstLogin)).toISOString().slice(0, 10) : undefined;
  const sim = await startSimulator({ faults: opts.faults, seed: opts.seed, today: peopleDay, now: Date.now() });
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

/**
 * Logs in every simulator user (their passwords are synthetic) and remembers them in the local state. Returns the
 * runtime to sync them with: it uses the tokens of this process's own simulator, whatever another process running
 * the simulator on the same home wrote to the token file since.
 */
export async function loginSimUsers(rt: Runtime, sim: Simulator): Promise<Runtime> {
  const own: Runtime = { ...rt, tokens: sessionTokenStore(rt.tokens) };
  for (const u of sim.users) {
    const user = await loginZepp(own, { email: u.email, password: u.password, host: sim.url });
    if (!user.simulated) await rt.state.putUser({ ...user, simulated: true });
  }
  return own;
}

// ------------------------------------------------------------------------------------------ the command

/**
 * Prints the run's reports, what to do about each user's problems (from the same rules as `status`), and sets
 * the exit status: a person only can fix authorisation (3); a user another process was syncing, or whose writes
 * the storage refused, needs a later run (4).
 */
async function reportSyncRun(
  rt: Runtime,
  reports: readonly UserSyncReport[],
  opts: { json: boolean; aws: boolean },
): Promise<void> {
  const summary = [];
  for (const r of reports) {
    const problem = r.authFailed || r.wrongRegionSuspected || Object.values(r.streams).some((s) => s?.failed);
    const actions = problem ? await syncReportActions(rt.state, rt.tokens, r, { aws: opts.aws }) : [];
    summary.push({ ...r, actions });
    if (!opts.json) console.log(formatSyncReport(r));
    for (const a of actions) process.stderr.write(`zepp-lake: user ${r.userId}: ${a.message}\n`);
    if (r.storageFailed) process.stderr.write(`zepp-lake: user ${r.userId}: ${STORAGE_ADVICE}\n`);
  }
  if (opts.json) console.log(JSON.stringify({ users: summary }, null, 2));
  if (reports.some((r) => r.authFailed)) process.exitCode = EXIT.auth;
  else if (reports.some((r) => r.busy || r.storageFailed)) process.exitCode = EXIT.unavailable;
}

/** The sync options of the command's flags; `--source sim` syncs the simulator's people as zepp users. */
function syncOptionsOf(o: Opts, clientSecret: string | undefined): SyncOptions {
  const sim = o.source === 'sim';
  return {
    quiet: Boolean(o.quiet),
    json: Boolean(o.json),
    simulated: sim,
    user: o.user as string | undefined,
    from: o.from as string | undefined,
    to: o.to as string | undefined,
    streams: o.streams as string | undefined,
    lagDays: o.lagDays as number | undefined,
    host: sim ? undefined : (o.host as string | undefined),
    source: sim ? 'zepp' : (o.source as string | undefined),
    clientSecret,
  };
}

export function registerSyncCommand(program: Command, wiring: CliWiring): Command {
  return program
    .command('sync')
    .description('sync every known user (or one) into the lake')
    .addOption(
      new Option('--source <source>', `${SOURCE_IDS.join(', ')} or sim (an in-process simulator)`).choices([
        ...SOURCE_IDS,
        'sim',
      ]),
    )
    .option('--user <id>', 'only this user', userIdOption)
    .option('--from <date>', 'first day (YYYY-MM-DD); default: resume from the cursor', dateOption)
    .option('--to <date>', 'last day (YYYY-MM-DD); default: today', dateOption)
    .option('--streams <list>', `comma list of ${STREAMS.join(',')}`)
    .option('--lag-days <n>', 'days before the cursor fetched again', (v) => Number.parseInt(v, 10))
    .option('--faults <spec>', 'with --source sim: simulator faults')
    .addOption(hostUrlOption())
    .option('--quiet', 'no progress on stderr (the report and problems are still printed)')
    .option('--json', 'print one JSON summary on stdout ({users:[report + actions]}); progress as JSON lines on stderr')
    .addHelpText(
      'after',
      `${EXIT_CODES_HELP}\n  (sync: 3 when a user's authorisation failed; 4 when another process was syncing a user, left to it; failed days are retried by the next run)`,
    )
    .action(async (o: Opts, cmd: Command) => {
      const rt = wiring.runtimeOf(cmd);
      const run = async (rt: Runtime) => {
        const reports = await syncUsers(rt, syncOptionsOf(o, wiring.config.huamiClientSecret));
        await reportSyncRun(rt, reports, { json: Boolean(o.json), aws: isAwsBackend(cmd) });
      };
      if (o.source === 'sim') {
        await withSimulator(rt, { faults: o.faults as string | undefined }, async (sim) =>
          run(await loginSimUsers(rt, sim)),
        );
      } else await run(rt);
    });
}
