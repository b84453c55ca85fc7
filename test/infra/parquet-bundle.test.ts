// The Parquet codec as the sync worker and replay ship it (decision 0016): parquet-wasm through the shim that
// loads its brotli-compressed binary, bundled with the functions' aliases into a temp folder that holds only the
// bundle and the .br (no node_modules), then run in a fresh node: it must write rows and read them back.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeBuiltinAliases } from '../../lib/constructs/node-builtins.ts';
import { brotliParquetWasm, PARQUET_WASM_BROTLI, parquetWasmAlias } from '../../lib/constructs/parquet-wasm-lambda.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'zepp-lake-parquet-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the Parquet codec as the Lambda functions bundle it', () => {
  it('loads the brotli-compressed binary beside the bundle, writes rows and reads them back', async () => {
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `export { parquetCodec } from ${JSON.stringify(join(REPO_ROOT, 'lambdas/runtime/aws-parquet.ts'))};\n`,
    );
    const outfile = join(dir, 'out', 'index.mjs');
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      mainFields: ['module', 'main'],
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; globalThis.require = __cr(import.meta.url);",
      },
      alias: { ...nodeBuiltinAliases(REPO_ROOT), ...parquetWasmAlias(REPO_ROOT) },
      logLevel: 'silent',
    });
    copyFileSync(brotliParquetWasm(REPO_ROOT), join(dir, 'out', PARQUET_WASM_BROTLI));
    // Not the raw binary: the bundle must find what the functions ship.
    expect(existsSync(join(dir, 'out', 'parquet_wasm_bg.wasm'))).toBe(false);
    const script = [
      "const { parquetCodec } = await import('./index.mjs');",
      "const rows = [{ user_id: '1', ts: 1767225600000, local_date: '2026-01-01', tz_offset_s: 3600, activity_kind: 1,",
      "  kind_raw: 1, intensity: 20, steps: 12, heart_rate: 61, device_id: 'd', source: 'zepp' }];",
      "const bytes = await parquetCodec.write('activity_minute', rows);",
      "const back = await parquetCodec.read('activity_minute', bytes);",
      'console.log(JSON.stringify({ size: bytes.length, back }));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(dir, 'out'),
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { size: number; back: Record<string, unknown>[] };
    expect(out.size).toBeGreaterThan(100);
    expect(out.back).toEqual([
      {
        user_id: '1',
        ts: 1767225600000,
        local_date: '2026-01-01',
        tz_offset_s: 3600,
        activity_kind: 1,
        kind_raw: 1,
        intensity: 20,
        steps: 12,
        heart_rate: 61,
        device_id: 'd',
        source: 'zepp',
      },
    ]);
  }, 120_000);
});
