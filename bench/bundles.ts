// Section 4: every Lambda handler bundled the way lib/constructs/ingest-function.ts bundles it (ESM, minified,
// node22, @aws-sdk/* external, the CJS shim banner, parquet-wasm's .wasm next to the bundle), then imported
// by fresh `node` processes to time the cold start.

import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { fmtBytes, fmtMs, median } from './measure.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const INGEST_FUNCTION = join(REPO_ROOT, 'lib/constructs/ingest-function.ts');
/** Mirrors PARQUET_WASM_PATH of ingest-function.ts (importing that file would load aws-cdk-lib). */
const PARQUET_WASM_PATH = 'node_modules/parquet-wasm/node/parquet_wasm_bg.wasm';

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
  if (!source.includes(PARQUET_WASM_PATH)) problems.push(`wasm path ${PARQUET_WASM_PATH} not found`);
  for (const setting of ["target: 'node22'", 'minify: true', "externalModules: ['@aws-sdk/*']", 'OutputFormat.ESM']) {
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

function importOnce(bundle: string, env: NodeJS.ProcessEnv): Promise<ImportRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', IMPORT_SCRIPT, pathToFileURL(bundle).href], {
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
  // @aws-sdk/* stays external (the Lambda runtime provides it); here it resolves from the repository's modules.
  await symlink(join(REPO_ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...DUMMY_ENV,
    HUAMI_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  const wasmBytes = (await stat(join(REPO_ROOT, PARQUET_WASM_PATH))).size;
  lines.push(
    '  handler              JS (min)     .wasm       import median (5 fresh node)   process median   RSS after import',
  );
  // The external packages the bundles import (the SDK clients), timed alone afterwards for comparison.
  const externals = new Set<string>();
  try {
    for (const file of entries) {
      const name = file.replace(/\.ts$/, '');
      const entry = join(handlersDir, file);
      const outDir = join(work, name);
      await mkdir(outDir, { recursive: true });
      const outfile = join(outDir, 'index.mjs');
      try {
        const built = await build({
          entryPoints: [entry],
          outfile,
          bundle: true,
          platform: 'node',
          format: 'esm',
          target: 'node22',
          minify: true,
          sourcemap: true,
          external: ['@aws-sdk/*'],
          mainFields: ['module', 'main'],
          banner: { js: SHIM_LINES.join(' ') },
          logLevel: 'silent',
          metafile: true,
        });
        const output = built.metafile.outputs[relative(process.cwd(), outfile).split('\\').join('/')];
        for (const i of output?.imports ?? []) if (i.external && !isBuiltin(i.path)) externals.add(i.path);
        // As ingest-function.ts does for `usesParquet` functions: the .wasm goes only where the bundle loads it.
        const loadsWasm = (await readFile(outfile, 'utf8')).includes('parquet_wasm_bg.wasm');
        if (loadsWasm) await copyFile(join(REPO_ROOT, PARQUET_WASM_PATH), join(outDir, 'parquet_wasm_bg.wasm'));
        const jsBytes = (await stat(outfile)).size;
        const runs: ImportRun[] = [];
        for (let i = 0; i < 5; i++) runs.push(await importOnce(outfile, env));
        const placeholder = (await isPlaceholder(entry)) ? '  (placeholder handler)' : '';
        const exportsHandler = runs[0]?.handler === 'function' ? '' : '  (no `handler` export!)';
        lines.push(
          `  ${name.padEnd(18)} ${fmtBytes(jsBytes).padStart(10)}  ${(loadsWasm ? fmtBytes(wasmBytes) : 'none').padStart(10)}  ${fmtMs(median(runs.map((r) => r.importMs))).padStart(16)}  ${''.padStart(13)} ${fmtMs(median(runs.map((r) => r.processMs))).padStart(14)}   ${((median(runs.map((r) => r.rssKiB)) ?? 0) / 1024).toFixed(0).padStart(5)} MiB${placeholder}${exportsHandler}`,
        );
      } catch (err) {
        lines.push(`  ${name.padEnd(18)} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
    }
    if (externals.size > 0) {
      const only = join(work, 'externals-only.mjs');
      await writeFile(only, [...externals].map((e) => `import '${e}';`).join('\n'));
      const runs: ImportRun[] = [];
      for (let i = 0; i < 5; i++) runs.push(await importOnce(only, env));
      lines.push(
        `  the external packages alone (${[...externals].sort().join(', ')}): import median ${fmtMs(median(runs.map((r) => r.importMs)))}`,
      );
    }
  } finally {
    await unlink(join(work, 'node_modules'));
    await rm(work, { recursive: true, force: true });
  }
  lines.push(
    '  (import = the dynamic import() of index.mjs inside the fresh process; process = spawn to exit, node start included;',
  );
  lines.push(
    '   .wasm = parquet-wasm binary shipped next to the bundle, only for the handlers that read or write Parquet)',
  );
  return lines;
}
