// `npm run bench`: figures and ratios of zepp-lake measured in one run on this machine. Not a test: nothing
// here passes or fails on a time; a section that breaks prints why and the others still run.
//
//   npm run bench                   print the figures
//   npm run bench -- --write-doc    also rewrite docs/benchmarks.md with them

import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { addDays } from '../lambdas/core/time.ts';
import { type Simulator, startSimulator } from '../sim/index.ts';
import { benchBackfill } from './backfill.ts';
import { benchBundles } from './bundles.ts';
import { benchDecode, benchWrite, type DecodeFigures } from './decode-write.ts';
import { fmtMs } from './measure.ts';
import { fetchYearCorpus, YEAR_DAYS, type YearCorpus, yearUserSpec } from './sim-corpus.ts';
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
  write: `*decode + write*: per month window, decode its band days and write every band table's month objects with our writer (\`writeParquet\` in \`lambdas/adapters/parquet.ts\`: apache-arrow + parquet-wasm, ZSTD), i.e. the CPU part of a back-fill, without the lake I/O and without merging with an existing object. *same rows*: the year's \`activity_minute\` rows (sorted by natural key) written as one file by our writer and by \`parquetjs-lite\` 0.8.7, the baseline of \`/work/shared/reference/parquet-writers.md\` (GZIP, its default V2 pages and 4 096-row groups, loaded with \`createRequire\` because it is CommonJS only). parquetjs-lite is timed once after a one-month warm-up (it takes seconds); parquet-wasm is the median of at least 3 runs. The ratio is parquetjs-lite time / parquet-wasm time and parquetjs-lite bytes / parquet-wasm bytes.`,
  backfill: `A first sync (back-fill) of the ${YEAR_DAYS}-day user over real HTTP against the simulator, through the real CLI path: \`loginZepp\` then \`syncUsers\` with a temp local runtime (folder lake, JSON state file, token file), default HTTP settings, all six streams, first day found by the engine's probe. It runs in a child process (\`bench/backfill-child.ts\`) so that the peak RSS (\`process.resourceUsage().maxRSS\`) is the sync's own; the simulator stays in the parent. *wall time* is \`syncUsers\` alone; *lake bytes* are what a user-year costs on disk / S3, Parquet under \`tables/\` and gzip JSON of every vendor response under \`raw/\`; *objects per table* is at most one per month touched (13 for a 365-day window that starts mid-month).`,
  bundles: `Each \`lambdas/handlers/*.ts\` bundled as \`lib/constructs/ingest-function.ts\` does it (esbuild, ESM, minify, target node22, \`@aws-sdk/*\` external, the CJS shim banner, source map; parquet-wasm's \`.wasm\` copied next to \`index.mjs\` when the bundle loads it, as \`usesParquet\` does), into a temp folder. *JS* is \`index.mjs\` (the source map not counted); *.wasm* is the parquet-wasm binary the function ships: only the sync worker and replay write Parquet, the others wire themselves from \`lambdas/shared/aws-services.ts\` and carry none. The last line imports only the packages the bundles leave external (the SDK clients, resolved here from the repository's \`node_modules\`), to show how much of the import is the SDK. *import median*: five fresh \`node\` processes each \`import()\` the bundle with dummy function environment (no AWS credentials, no network); the time is the import alone, measured inside the process; *process* is spawn to exit (Node start-up included). Lambda's own init adds the runtime's start and, for the SDK, its copy from the runtime, so these are lower bounds; and this machine runs Node 20 while the functions run on Node 22.`,
  webhook: `The webhook path under a burst. A 127.0.0.1 HTTP server turns each request into a Lambda Function URL event (body base64-encoded, as a Function URL passes it) and invokes the real handler, \`createWebhookHandler\` of \`lambdas/handlers/webhook.ts\` with its middy chain (Powertools logger and metrics), over a runtime of local parts: a \`JsonFileStateStore\` in a temp folder records the notification hashes (atomic insert-if-absent), the lake is a temp folder, and the SQS client is an in-memory stand-in that accepts every batch. (While that handler was a placeholder the section ran the core \`handleWebhookRequest\` with the same parts; it still falls back to that if the handler cannot be set up.) The huami-open simulator signs each body with its RSA key (before the clock starts) and sends 200 notifications at once, then 20 of them again, which must be answered 204 as replays without queuing a second sync. *seen by the sender*: request to end of response in the simulator's \`notify\`; *inside the server*: request arrival to answer. All 200 run in one Node process and the JSON state store serialises its writes (one atomic file rewrite per hash), so the burst queues on it; in AWS each concurrent request gets its own Lambda instance and DynamoDB's conditional put does not queue that way, while cold starts (section 4) add to the first answers. Huami waits at most 2 s for an answer.`,
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

function renderDoc(sections: Section[], startedAt: Date, totalMs: number, loads: string, busy: boolean): string {
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

async function main(): Promise<void> {
  const writeDoc = process.argv.includes('--write-doc');
  const startedAt = new Date();
  const t0 = performance.now();
  const loadAtStart = load();
  const loadAtStartValue = loadavg()[0] ?? 0;
  process.stdout.write(`zepp-lake benchmark, ${startedAt.toISOString()}\n${machine()}\n${loadAtStart} at start\n`);

  const today = startedAt.toISOString().slice(0, 10);
  const spec = yearUserSpec(today);
  let sim: Simulator | undefined;
  let corpus: YearCorpus | undefined;
  let decoded: DecodeFigures | undefined;
  const sections: Section[] = [];
  try {
    sections.push(
      await section('Decode throughput (simulator user-year)', ABOUT.decode, async () => {
        sim = await startSimulator({ today, users: [spec] });
        corpus = await fetchYearCorpus(sim, spec, today);
        decoded = await benchDecode(corpus);
        return decoded.lines;
      }),
    );
    sections.push(
      await section('Write path: decode + Parquet, parquet-wasm vs parquetjs-lite', ABOUT.write, async () => {
        if (!decoded) throw new Error('needs the decoded year of section 1');
        return benchWrite(decoded);
      }),
    );
    // Free the year held in memory before the child runs (the parent's memory is not measured, the machine's is).
    decoded = undefined;
    corpus = undefined;
    sections.push(
      await section(`User-year back-fill over HTTP (${YEAR_DAYS} days, syncUsers)`, ABOUT.backfill, async () => {
        sim ??= await startSimulator({ today, users: [spec] });
        return benchBackfill(sim, spec, YEAR_DAYS);
      }),
    );
  } finally {
    await (sim as Simulator | undefined)?.close();
  }
  sections.push(
    await section('Lambda bundles: size and cold import', ABOUT.bundles, async () => {
      return benchBundles();
    }),
  );
  sections.push(
    await section('Webhook under a burst of 200 signed notifications', ABOUT.webhook, async () => {
      return benchWebhook();
    }),
  );
  const totalMs = performance.now() - t0;
  const failed = sections.filter((s) => s.failed).length;
  const loadAtEnd = load();
  process.stdout.write(
    `\n${loadAtEnd} at the end\nbenchmark done in ${fmtMs(totalMs)}${failed ? `; ${failed} section(s) failed` : ''} (first day ${addDays(today, -(YEAR_DAYS - 1))})\n`,
  );
  if (writeDoc) {
    await writeFile(
      DOC_PATH,
      renderDoc(
        sections,
        startedAt,
        totalMs,
        `${loadAtStart} at start, ${loadAtEnd.replace(/^load average /, '')} at the end`,
        Math.max(loadAtStartValue, loadavg()[0] ?? 0) > cpus().length,
      ),
    );
    process.stdout.write(`wrote ${DOC_PATH}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
