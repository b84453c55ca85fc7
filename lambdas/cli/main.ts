// The `zepp-lake` command (local mode): wires the local adapters to the same engine the Lambdas run.

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { LeaseHeldError, MalformedPayloadError } from '../core/errors.ts';
import { formatRowForJson } from '../core/format-row.ts';
import { type Row, TABLE_NAMES, type TableName } from '../core/schema-registry.ts';
import { replayUser } from '../engine/replay.ts';
import {
  type GlobalOptions,
  openAwsRuntime,
  openLocalRuntime,
  queryableLakeDir,
  type Runtime,
} from '../runtime/local.ts';
import { decodeHuamiOpen, HUAMI_OPEN_RESOURCES, type HuamiOpenResource } from '../sources/huami-open/decode.ts';
import { rawDecoderOf } from '../sources/registry.ts';
import { DECODE_ENDPOINTS, type DecodeEndpoint, decodePayload } from '../sources/zepp/decode-payload.ts';
import { adviseError, EXIT, EXIT_CODES_HELP, type LoginHint, STORAGE_ADVICE } from './error-advice.ts';
import { registerExportCommand } from './export-command.ts';
import { registerExportFitCommand } from './export-fit.ts';
import { registerMcpCommand } from './mcp-command.ts';
import { bucketOption, dateOption, folderOption, hostUrlOption, userIdOption } from './option-parsers.ts';
import { createProgress } from './progress.ts';
import { formatTable, readNamedQuery, runAthenaSql } from './query-command.ts';
import { buildReport } from './report.ts';
import { writeHtmlReport } from './report-html.ts';
import { collectStatusReport, formatStatus, statusExitCode, syncReportActions } from './status-command.ts';
import { formatSyncReport, loginZepp, sessionTokenStore, syncUsers } from './sync-command.ts';
import { registerUsersCommand } from './users-command.ts';

/** A user-facing failure: printed as one line, exit status 2. */
class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

type Opts = GlobalOptions & Record<string, unknown>;

function runtimeOf(cmd: Command): Runtime {
  const o = cmd.optsWithGlobals() as GlobalOptions & { backend?: string; bucket?: string; table?: string };
  // --backend aws: the same engine against S3, DynamoDB and Secrets Manager (endpoints from AWS_ENDPOINT_URL_*).
  if (o.backend === 'aws') return openAwsRuntime({ home: o.home, bucket: o.bucket, table: o.table });
  return openLocalRuntime(o);
}

async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new CliError('no password: set ZEPP_LAKE_PASSWORD or run in a terminal');
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

/**
 * Every run starts a simulator of its own. Its people are built around the UTC day they were first logged in
 * (their user records' createdAt), not around this run's day: built around the run's day, a run after UTC
 * midnight met people whose every past date (time zone changes, gaps, swims) had moved by a day, so a second
 * sync around midnight rewrote history that a replay then rebuilt otherwise. The simulator stands at this
 * run's instant, so each person's data goes on growing with the clock, day by day in their own zone.
 */
async function withSimulator<T>(
  rt: Runtime,
  opts: { faults?: string; seed?: number },
  fn: (sim: import('../../sim/index.ts').Simulator) => Promise<T>,
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
async function loginSimUsers(rt: Runtime, sim: import('../../sim/index.ts').Simulator): Promise<Runtime> {
  const own: Runtime = { ...rt, tokens: sessionTokenStore(rt.tokens) };
  for (const u of sim.users) {
    const user = await loginZepp(own, u.email, u.password, sim.url);
    if (!user.simulated) await rt.state.putUser({ ...user, simulated: true });
  }
  return own;
}

function readInput(file: string): Promise<string> {
  if (file === '-') {
    return new Promise((resolve, reject) => {
      let text = '';
      process.stdin.setEncoding('utf8');
      process.stdin.on('data', (d) => {
        text += d;
      });
      process.stdin.on('end', () => resolve(text));
      process.stdin.on('error', reject);
    });
  }
  // fatal: bytes that are not UTF-8 are refused, not silently turned into U+FFFD and decoded.
  return readFile(file).then((bytes) => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
}

async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readInput(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_ENCODING_INVALID_ENCODED_DATA') throw new CliError(`${file}: not valid UTF-8`);
    throw new CliError(`${file}: cannot read (${code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

export function decodeFile(
  endpoint: string,
  body: unknown,
  opts: { summary?: unknown; user?: string },
): { table: TableName; row: Row }[] {
  if (endpoint.startsWith('huami-open-')) {
    const resource = endpoint.slice('huami-open-'.length) as HuamiOpenResource;
    if (!HUAMI_OPEN_RESOURCES.includes(resource)) {
      throw new CliError(
        `unknown endpoint ${endpoint}; known: ${[...DECODE_ENDPOINTS, ...HUAMI_OPEN_RESOURCES.map((r) => `huami-open-${r}`)].join(', ')}`,
      );
    }
    const tables = decodeHuamiOpen(resource, body, { userId: opts.user ?? 'unknown', source: 'huami-open' });
    const out: { table: TableName; row: Row }[] = [];
    for (const t of TABLE_NAMES) for (const row of tables[t] ?? []) out.push({ table: t, row });
    return out;
  }
  if (!(DECODE_ENDPOINTS as readonly string[]).includes(endpoint)) {
    throw new CliError(`unknown endpoint ${endpoint}; known: ${DECODE_ENDPOINTS.join(', ')}, huami-open-<resource>`);
  }
  return decodePayload(endpoint as DecodeEndpoint, body, { userId: opts.user, summary: opts.summary });
}

export function buildProgram(): Command {
  const program = new Command('zepp-lake')
    .description('Your Zepp / Amazfit / Mi Fit history in a Parquet lake you own')
    .addOption(new Option('--lake <dir>', 'lake folder (tables/, raw/)').env('ZEPP_LAKE_DIR').argParser(folderOption))
    .addOption(
      new Option('--home <dir>', 'state and 0600 token file (not the lake)')
        .env('ZEPP_LAKE_HOME')
        .argParser(folderOption),
    )
    .addOption(
      new Option('--backend <backend>', 'local (folder + files) or aws (S3 + DynamoDB + Secrets Manager)')
        .choices(['local', 'aws'])
        .env('ZEPP_LAKE_BACKEND')
        .default('local'),
    )
    .addOption(
      new Option('--bucket <name>', 'with --backend aws: the lake bucket')
        .env('ZEPP_LAKE_BUCKET')
        .argParser(bucketOption),
    )
    .addOption(new Option('--table <name>', 'with --backend aws: the state table').env('ZEPP_LAKE_STATE_TABLE'))
    .showHelpAfterError()
    .addHelpText('after', EXIT_CODES_HELP);

  program
    .command('demo')
    .description('simulator + sync of the demo accounts into the lake + report (what `npm start` runs)')
    .option('--faults <spec>', 'simulator faults, e.g. 429:0.05,500:0.02')
    .option('--quiet', 'no progress on stderr')
    .action(async (o: Opts, cmd: Command) => {
      const rt = runtimeOf(cmd);
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
      console.log(
        `\nsynced in ${((tSync - t0) / 1000).toFixed(1)} s, report in ${((performance.now() - tSync) / 1000).toFixed(1)} s`,
      );
      console.log(`try: npx zepp-lake query --name daily_overview   |   npx zepp-lake status`);
      const page = await writeHtmlReport({ lakeDir: rt.queryDir, out: join(rt.lakeDir, 'report.html') });
      console.log(`\nOpen ${page} in a browser`);
    });

  program
    .command('login')
    .description('log in to a Zepp account and store its tokens in the 0600 token file')
    .addOption(new Option('--email <email>', 'account e-mail').env('ZEPP_LAKE_EMAIL'))
    .addOption(hostUrlOption())
    .action(async (o: Opts, cmd: Command) => {
      const rt = runtimeOf(cmd);
      const email = o.email as string | undefined;
      if (!email) throw new CliError('no e-mail: pass --email or set ZEPP_LAKE_EMAIL');
      const password = process.env.ZEPP_LAKE_PASSWORD ?? (await promptHidden('Zepp password: '));
      const user = await loginZepp(rt, email, password, o.host as string | undefined);
      console.log(`logged in: user ${user.userId}; tokens stored in ${rt.homeDir}/tokens.json (mode 0600)`);
    });

  program
    .command('sync')
    .description('sync every known user (or one) into the lake')
    .addOption(
      new Option('--source <source>', 'zepp, huami-open or sim (an in-process simulator)').choices([
        'zepp',
        'huami-open',
        'sim',
      ]),
    )
    .option('--user <id>', 'only this user', userIdOption)
    .option('--from <date>', 'first day (YYYY-MM-DD); default: resume from the cursor', dateOption)
    .option('--to <date>', 'last day (YYYY-MM-DD); default: today', dateOption)
    .option('--streams <list>', 'comma list of band,workouts,stress,spo2,pai,readiness')
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
      const rt = runtimeOf(cmd);
      const run = async (rt: Runtime) => {
        const reports = await syncUsers(rt, {
          quiet: Boolean(o.quiet),
          json: Boolean(o.json),
          simulated: o.source === 'sim',
          user: o.user as string | undefined,
          from: o.from as string | undefined,
          to: o.to as string | undefined,
          streams: o.streams as string | undefined,
          lagDays: o.lagDays as number | undefined,
          host: o.source === 'sim' ? undefined : (o.host as string | undefined),
          source: o.source === 'sim' ? 'zepp' : (o.source as string | undefined),
        });
        const aws = (cmd.optsWithGlobals() as { backend?: string }).backend === 'aws';
        const summary = [];
        for (const r of reports) {
          // What to do about this run's problems, from the same rules as `status`.
          const problem = r.authFailed || r.wrongRegionSuspected || Object.values(r.streams).some((s) => s?.failed);
          const actions = problem ? await syncReportActions(rt.state, rt.tokens, r, { aws }) : [];
          summary.push({ ...r, actions });
          if (!o.json) console.log(formatSyncReport(r));
          for (const a of actions) process.stderr.write(`zepp-lake: user ${r.userId}: ${a.message}\n`);
          if (r.storageFailed) process.stderr.write(`zepp-lake: user ${r.userId}: ${STORAGE_ADVICE}\n`);
        }
        if (o.json) console.log(JSON.stringify({ users: summary }, null, 2));
        // A person only can fix authorisation (3); a user another process was syncing, or whose writes the storage
        // refused, needs a later run (4).
        if (reports.some((r) => r.authFailed)) process.exitCode = EXIT.auth;
        else if (reports.some((r) => r.busy || r.storageFailed)) process.exitCode = EXIT.unavailable;
      };
      if (o.source === 'sim') {
        await withSimulator(rt, { faults: o.faults as string | undefined }, async (sim) =>
          run(await loginSimUsers(rt, sim)),
        );
      } else await run(rt);
    });

  program
    .command('status')
    .description('per user and stream: cursor, last sync, written / empty / failed days, oldest gap, auth, what to do')
    .option(
      '--json',
      'print one JSON object: {generatedAt, users:[{userId, source, auth, needsAction, actions, streams}]}',
    )
    .option('--user <id>', 'only this user', userIdOption)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (o: Opts, cmd: Command) => {
      const rt = runtimeOf(cmd);
      const aws = (cmd.optsWithGlobals() as { backend?: string }).backend === 'aws';
      const report = await collectStatusReport(rt.state, {
        tokens: rt.tokens,
        user: o.user as string | undefined,
        aws,
      });
      if (o.user && report.users.length === 0) {
        throw new CliError(`no user ${o.user as string}; \`zepp-lake users list\` shows the users`);
      }
      console.log(o.json ? JSON.stringify(report, null, 2) : formatStatus(report));
      process.exitCode = statusExitCode(report.users);
    });

  program
    .command('query')
    .description('run Athena SQL on DuckDB over the lake')
    .argument('[sql]', 'the SQL text')
    .option('--name <name>', 'a named query from athena/queries/')
    .option('--json', 'one JSON object per row')
    .showHelpAfterError(
      `(the SQL is one argument: put it in quotes, e.g. zepp-lake query "SELECT count(*) FROM workout")`,
    )
    .action(async (sql: string | undefined, o: Opts, cmd: Command) => {
      const rt = runtimeOf(cmd);
      const text = o.name ? await readNamedQuery(o.name as string) : sql;
      if (!text) throw new CliError('give SQL text or --name NAME');
      let rows: Record<string, unknown>[];
      try {
        rows = await runAthenaSql(await queryableLakeDir(rt), text);
      } catch (err) {
        throw new CliError(`query failed: ${(err as Error).message}`);
      }
      if (o.json) for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
      else console.log(formatTable(rows, 200));
    });

  program
    .command('report')
    .description('write a self-contained HTML page with charts of every person in the lake (opens offline)')
    .option('--out <file>', 'the HTML file (default: <lake>/report.html)')
    .option('--user <id>', 'only this user', userIdOption)
    .option('--from <date>', 'first day (YYYY-MM-DD); default: the first day with data', dateOption)
    .option('--to <date>', 'last day (YYYY-MM-DD); default: the last day with data', dateOption)
    .action(async (o: Opts, cmd: Command) => {
      const rt = runtimeOf(cmd);
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
        throw new CliError(`report failed: ${(err as Error).message}`);
      }
      console.log(page);
    });

  program
    .command('replay')
    .description('rebuild the tables from raw/ without calling the API')
    .option('--user <id>', 'only this user', userIdOption)
    .option('--from <date>', 'first local date to rebuild', dateOption)
    .option('--to <date>', 'last local date to rebuild', dateOption)
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print one JSON summary on stdout ({users:[replay report]}); progress as JSON lines on stderr')
    .action(async (o: Opts, cmd: Command) => {
      const rt = runtimeOf(cmd);
      const progress = createProgress({ quiet: Boolean(o.quiet), json: Boolean(o.json), verb: 'replay' });
      const reports = [];
      // The lease sync takes: a user that another process syncs or replays now is left alone and named at the end.
      const lease = { state: rt.state, owner: `cli-replay-${randomUUID()}`, clock: Date.now };
      const held: LeaseHeldError[] = [];
      const users = new Set<string>();
      for (const k of await rt.store.list('raw/')) {
        const m = /\/user-([^/]+)\//.exec(k);
        if (m?.[1]) users.add(m[1]);
      }
      for (const userId of [...users].sort()) {
        if (o.user && o.user !== userId) continue;
        const u = await rt.state.getUser(userId);
        const r = await replayUser({
          decoders: rawDecoderOf,
          store: rt.store,
          lease,
          onProgress: ({ phase, done, total }) =>
            progress.update({
              userId,
              stream: phase === 'read' ? 'raw objects read' : 'raw objects decoded',
              done,
              total,
            }),
          codec: rt.codec,
          userId,
          from: o.from as string | undefined,
          to: o.to as string | undefined,
          tzOffsetS: u?.tzOffsetS,
        }).catch((err: unknown) => {
          if (!(err instanceof LeaseHeldError)) throw err;
          held.push(err);
          return undefined;
        });
        if (!r) continue;
        reports.push(r);
        if (o.json) continue;
        console.log(
          `replayed user ${userId}: ${r.rawObjects} raw objects, ${r.rows} rows, ${r.objectsWritten} objects written`,
        );
        for (const rej of r.rejects.slice(0, 5)) console.log(`  ! ${rej}`);
      }
      progress.stop();
      if (o.json) console.log(JSON.stringify({ users: reports }, null, 2));
      if (held.length === 1) throw held[0];
      if (held.length > 1) throw new LeaseHeldError(`${held.map((e) => e.message).join('; ')}`, { cause: held[0] });
    });

  program
    .command('decode')
    .description('decode one vendor payload into NDJSON rows')
    .argument('<endpoint>', `${DECODE_ENDPOINTS.join(' | ')} | huami-open-<resource>`)
    .argument('<file>', 'the payload (- for stdin)')
    .option('--summary <file>', 'workout-detail: the history item for the workout row')
    .option('--user <id>', 'user id for the rows', userIdOption)
    .action(async (endpoint: string, file: string, o: Opts) => {
      const body = await readJsonFile(file);
      const summary = o.summary ? await readJsonFile(o.summary as string) : undefined;
      let rows: { table: TableName; row: Row }[];
      try {
        rows = decodeFile(endpoint, body, { summary, user: o.user as string | undefined });
      } catch (err) {
        if (err instanceof MalformedPayloadError) throw new CliError(`${file}: ${err.message}`);
        throw err;
      }
      // All rows are decoded before the first is printed: bad input gives no partial output.
      process.stdout.write(
        rows.map(({ table, row }) => JSON.stringify(formatRowForJson(table, row))).join('\n') +
          (rows.length ? '\n' : ''),
      );
    });

  program
    .command('simulate')
    .description('run the vendor API simulator on its own')
    .option('--port <n>', 'port (0 = any free port)', (v) => Number.parseInt(v, 10), 0)
    .option('--faults <spec>', 'e.g. 429:0.1,500:0.05,slow:0.02,truncate:0.02,expire-legacy:once,wrong-region')
    .option('--seed <n>', 'data seed', (v) => Number.parseInt(v, 10))
    .action(async (o: Opts) => {
      const { runSimulateCommand } = await import('../../sim/index.ts');
      await runSimulateCommand({
        port: o.port as number,
        faults: o.faults as string | undefined,
        seed: o.seed as number | undefined,
      });
    });

  program
    .command('generate-ddl')
    .description('write athena/tables/*.sql from the schema registry')
    .action(async () => {
      const { generateDdlFiles } = await import('./generate-ddl.ts');
      for (const f of await generateDdlFiles()) console.log(`wrote ${f}`);
    });

  registerUsersCommand(program, { runtimeOf, promptHidden });
  registerExportFitCommand(registerExportCommand(program));
  registerMcpCommand(program, { runtimeOf });

  return program;
}

/** What the error advice needs to name the right login command: the options as given (never the password). */
function loginHintOf(argv: readonly string[]): LoginHint {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    const inline = argv.find((a) => a.startsWith(`${name}=`));
    return i >= 0 ? argv[i + 1] : inline?.slice(name.length + 1);
  };
  return {
    email: value('--email') ?? process.env.ZEPP_LAKE_EMAIL,
    host: value('--host') ?? process.env.ZEPP_LAKE_HOST,
    source: value('--source'),
    clientId: value('--client-id'),
    aws: (value('--backend') ?? process.env.ZEPP_LAKE_BACKEND) === 'aws',
  };
}

export async function main(argv: string[]): Promise<number> {
  // `zepp-lake query --json | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = buildProgram();
  // On every subcommand too (commander copies the setting only to commands made after it): a bad option value
  // of `login` or `sync` must end with the usage status 2, not commander's own process.exit(1).
  const overrideExit = (cmd: Command): void => {
    cmd.exitOverride();
    for (const sub of cmd.commands) overrideExit(sub);
  };
  overrideExit(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    // One message per kind of failure saying what to do next, and its stable exit status (EXIT).
    const advice = adviseError(err, loginHintOf(argv));
    process.stderr.write(`zepp-lake: ${advice.message}\n`);
    return advice.exitCode;
  }
}

const invokedDirectly = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly || process.argv[1]?.endsWith('zepp-lake.mjs') || process.argv[1]?.endsWith('zepp-lake')) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
