// How the functions that read or write Parquet (sync worker, replay) ship parquet-wasm: its WebAssembly
// brotli-compressed beside index.mjs, loaded by the shim in parquet-wasm-lambda/ (esbuild alias). The 4.7 MiB
// binary is 1.1 MiB so (quality 11), which brings those packages under 3 MB (decision 0016).
// Kept free of aws-cdk-lib so that bench/bundles.ts and the tests bundle the same way.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';

/** parquet-wasm's wasm binary (identical in its node/esm/bundler builds). */
export const PARQUET_WASM_PATH = 'node_modules/parquet-wasm/esm/parquet_wasm_bg.wasm';

/** The compressed binary's name beside index.mjs, as the shim reads it. */
export const PARQUET_WASM_BROTLI = 'parquet_wasm_bg.wasm.br';

/** esbuild's `alias` option: parquet-wasm -> the shim that loads the compressed binary. */
export function parquetWasmAlias(repoRoot: string): Record<string, string> {
  return { 'parquet-wasm': join(repoRoot, 'lib/constructs/parquet-wasm-lambda/index.mjs') };
}

/**
 * The path of the brotli-compressed binary, made once per parquet-wasm version (named by its hash, under
 * node_modules/.cache): quality 11 takes ~12 s, and every synth bundles two functions that ship it.
 */
export function brotliParquetWasm(repoRoot: string): string {
  const wasm = readFileSync(join(repoRoot, PARQUET_WASM_PATH));
  const hash = createHash('sha256').update(wasm).digest('hex').slice(0, 16);
  const dir = join(repoRoot, 'node_modules/.cache/zepp-lake');
  const path = join(dir, `parquet_wasm_bg.${hash}.wasm.br`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const compressed = brotliCompressSync(wasm, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: wasm.length },
  });
  // Written aside and renamed: two synths at once never see half a file.
  const part = `${path}.${process.pid}.part`;
  writeFileSync(part, compressed);
  renameSync(part, path);
  return path;
}
