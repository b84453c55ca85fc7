import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './infra-fixture.ts';

// The real thing, as a person runs it: the pinned CLI, esbuild bundling, cdk-nag and the built-in CloudFormation
// validation, offline and without AWS credentials. One synth, shared by the assertions below.

type Json = Record<string, unknown>;

const outdir = mkdtempSync(join(tmpdir(), 'zepp-lake-synth-'));
let run: ReturnType<typeof spawnSync>;

beforeAll(() => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    // No credentials of any kind: synth must not need an AWS account.
    AWS_CONFIG_FILE: join(outdir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(outdir, 'no-aws-credentials'),
  };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
    delete env[name];
  run = spawnSync(join(REPO_ROOT, 'node_modules/.bin/cdk'), ['synth', '--quiet', '--no-notices', '-o', outdir], {
    cwd: REPO_ROOT,
    env,
    encoding: 'utf8',
    timeout: 170_000,
  });
}, 180_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const template = (stack: string): { Resources: Record<string, { Type: string; Metadata?: Json; Properties?: Json }> } =>
  JSON.parse(readFileSync(join(outdir, `${stack}.template.json`), 'utf8'));

describe('cdk synth', () => {
  it('exits 0 offline, without AWS credentials', () => {
    expect(run.error).toBeUndefined();
    expect(run.status, String(run.stderr)).toBe(0);
  });

  it('writes the storage and ingest templates', () => {
    expect(existsSync(join(outdir, 'zepp-lake-prod-storage.template.json'))).toBe(true);
    expect(existsSync(join(outdir, 'zepp-lake-prod-ingest.template.json'))).toBe(true);
  });

  it('bundles every function as index.mjs, its source map kept beside the package, with the parquet-wasm binary exactly where the bundle loads it', () => {
    const functions = Object.values(template('zepp-lake-prod-ingest').Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(5);
    const withWasm: string[] = [];
    for (const fn of functions) {
      const asset = join(outdir, String(fn.Metadata?.['aws:asset:path']));
      expect(existsSync(join(asset, 'index.mjs')), asset).toBe(true);
      // The source map stays in the cloud assembly, named by the bundle it maps (decision 0016), not in the package.
      expect(existsSync(join(asset, 'index.mjs.map')), asset).toBe(false);
      const bundleHash = createHash('sha256')
        .update(readFileSync(join(asset, 'index.mjs')))
        .digest('hex')
        .slice(0, 16);
      expect(existsSync(join(outdir, 'sourcemaps', `${bundleHash}.index.mjs.map`)), asset).toBe(true);
      // A bundle that loads the .wasm without it beside it would fail at its first cold start.
      // The binary ships brotli-compressed (decision 0016), never raw.
      const loadsWasm = readFileSync(join(asset, 'index.mjs'), 'utf8').includes('parquet_wasm_bg.wasm.br');
      expect(existsSync(join(asset, 'parquet_wasm_bg.wasm.br')), asset).toBe(loadsWasm);
      expect(existsSync(join(asset, 'parquet_wasm_bg.wasm')), asset).toBe(false);
      if (loadsWasm) withWasm.push(String(fn.Properties?.Description));
    }
    // Only the functions that read or write Parquet carry it.
    expect(withWasm.sort()).toEqual([
      'zepp-lake: fetches one window from the vendor API and merges it into the lake',
      'zepp-lake: rebuilds tables/ from raw/ without calling the vendor API (invoke by hand)',
    ]);
  });

  it('bundles every function self-contained: each index.mjs imports in a fresh node with no node_modules around it', () => {
    // The synth output lives under the OS temp folder, where no node_modules can be found: a bundle that left a
    // package external (the SDK, before 0014) fails here with ERR_MODULE_NOT_FOUND, as it would on a runtime
    // without that package. The function environment is dummy: importing a handler must need no AWS access.
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'eu-central-1',
      AWS_LAMBDA_FUNCTION_NAME: 'zepp-lake-synth-test',
      LAKE_BUCKET: 'synth-test-bucket',
      STATE_TABLE: 'synth-test-table',
      KMS_KEY_ID: 'synth-test-key',
      QUEUE_URL: 'http://127.0.0.1:9/000000000000/synth-test-queue',
      LAG_DAYS: '3',
      SECRET_PREFIX: 'zepp-lake/users/',
      HUAMI_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      POWERTOOLS_SERVICE_NAME: 'zepp-lake',
      POWERTOOLS_METRICS_NAMESPACE: 'ZeppLake',
      LOG_LEVEL: 'ERROR',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const functions = Object.values(template('zepp-lake-prod-ingest').Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(5);
    for (const fn of functions) {
      const bundle = join(outdir, String(fn.Metadata?.['aws:asset:path']), 'index.mjs');
      const imported = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          'const m = await import(process.argv[1]); console.log(typeof m.handler);',
          pathToFileURL(bundle).href,
        ],
        { cwd: outdir, env, encoding: 'utf8', timeout: 60_000 },
      );
      expect(imported.stderr, bundle).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
      expect({ status: imported.status, handler: imported.stdout.trim() }, `${bundle}: ${imported.stderr}`).toEqual({
        status: 0,
        handler: 'function',
      });
    }
  }, 120_000);

  it('reports no validation violations (cdk-nag and CloudFormation rules)', () => {
    const reportPath = join(outdir, 'validation-report.json');
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { pluginReports: { violations: unknown[] }[] };
    expect(report.pluginReports.flatMap((p) => p.violations)).toEqual([]);
  });
});
