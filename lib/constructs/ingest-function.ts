// The Lambda defaults of zepp-lake, in one place: Node.js 22 on arm64, an ESM bundle (minified, with source
// maps) that ships parquet-wasm's .wasm next to it when the handler uses Parquet, Powertools environment, X-Ray, a log group with
// retention, and a role of its own that starts with nothing but "write my logs".

import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from './metric-names.ts';
import { acknowledgeWildcards } from './nag-findings.ts';
import { nodeBuiltinEsbuildArgs } from './node-builtins.ts';
import { brotliParquetWasm, PARQUET_WASM_BROTLI, parquetWasmAlias } from './parquet-wasm-lambda.ts';

export interface IngestFunctionProps {
  /** Handler file, relative to the repository root, e.g. `lambdas/handlers/sync-worker.ts`; exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  /**
   * Memory, MiB (more memory also means more CPU for decoding and Parquet).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Environment added to the common Powertools variables.
   * @default - only the common variables
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Concurrent executions reserved (and capped) for this function.
   * @default - the unreserved account pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Powertools log level.
   * @default 'INFO'
   */
  readonly logLevel?: string;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The handler reads or writes Parquet: parquet-wasm's .wasm is shipped next to the bundle. Handlers that do
   * not (they import lambdas/runtime/aws.ts, not aws-parquet.ts) leave it out: 4.7 MiB less to deploy.
   * @default false
   */
  readonly usesParquet?: boolean;
}

/** The repository root: the lock file, node_modules and the handler entries live there. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// parquet-wasm's Node build is CommonJS and loads `${__dirname}/parquet_wasm_bg.wasm` with `require('fs')`.
// An ESM bundle has neither `require` nor `__dirname`, so the banner provides both as globals pointing at the
// bundle's own folder (globals, not top-level consts, so they cannot collide with a bundled module's own
// `const __dirname`). Assigned, not `??=`: a host process may already have a global `__dirname` of its own.
const ESM_CJS_SHIM = [
  "import { createRequire as __zlCreateRequire } from 'node:module';",
  "import { dirname as __zlDirname } from 'node:path';",
  "import { fileURLToPath as __zlFileUrlToPath } from 'node:url';",
  'globalThis.require = __zlCreateRequire(import.meta.url);',
  'globalThis.__filename = __zlFileUrlToPath(import.meta.url);',
  'globalThis.__dirname = __zlDirname(globalThis.__filename);',
].join(' ');

export class IngestFunction extends Construct {
  public readonly fn: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: IngestFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      // The stack is stateless; old logs age out through the retention anyway.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Our own role instead of the default one with the AWSLambdaBasicExecutionRole managed policy: that
    // policy lets the function write to every log group of the account; this role writes only to its own.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `zepp-lake ${id}`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      entry: `${REPO_ROOT}${props.entry}`,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: props.logLevel ?? 'INFO',
        ...props.environment,
      },
      bundling: bundlingOptions(props.usesParquet === true),
    });

    acknowledgeWildcards(this.role, [
      {
        finding: 'Resource::*',
        reason:
          'X-Ray tracing (Tracing.ACTIVE) adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions',
      },
    ]);
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the project is built and tested for (design.md); move to the next LTS together with the local test runtime',
    });
  }
}

/**
 * The source map leaves the package for the cloud assembly, named by the bundle it maps:
 * `cdk.out/sourcemaps/<first 16 hex of index.mjs's sha256>.index.mjs.map`. Shipped, with `--enable-source-maps`,
 * Node read and parsed it at every cold start (17-110 ms, decision 0016) and it was 1-2 MiB of each package; kept
 * here, a stack trace from the logs (`index.mjs:1:<column>`) still maps offline against the map of its bundle.
 * A `node -e` one-liner (single quotes only: the shell command wraps it in double quotes) so that it runs wherever
 * the bundling runs, with no shell tools assumed.
 */
const KEEP_SOURCE_MAP_OUT_OF_PACKAGE = [
  "const f = require('node:fs'), p = require('node:path'), c = require('node:crypto');",
  'const dir = process.argv[1];',
  "const hash = c.createHash('sha256').update(f.readFileSync(p.join(dir, 'index.mjs'))).digest('hex').slice(0, 16);",
  "const out = p.join(dir, '..', 'sourcemaps');",
  'f.mkdirSync(out, { recursive: true });',
  "f.renameSync(p.join(dir, 'index.mjs.map'), p.join(out, hash + '.index.mjs.map'));",
].join(' ');

/**
 * One ESM file per handler with everything in it; `usesParquet` also ships parquet-wasm's binary beside it,
 * brotli-compressed (parquet-wasm-lambda.ts: 1.1 MiB instead of 4.7, decision 0016).
 */
function bundlingOptions(usesParquet: boolean): nodejs.BundlingOptions {
  return {
    format: nodejs.OutputFormat.ESM,
    target: 'node22',
    minify: true,
    sourceMap: true,
    // The SDK clients each handler uses are bundled, tree-shaken and minified with it: the runtime's own SDK
    // is a full copy of every package loaded from its layer at init, which cost ~300 ms of each cold start
    // (docs/decisions/0014-parquet-writer.md, "bundles"). Nothing is left external.
    bundleAwsSDK: true,
    externalModules: [],
    // The source map names the bundled files without embedding them, and leaves the package after bundling
    // (KEEP_SOURCE_MAP_OUT_OF_PACKAGE): no runtime reads it.
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: ESM_CJS_SHIM,
    // Node's built-ins through CommonJS shims, loaded with the code that uses them (node-builtins.ts says why), and
    // parquet-wasm through the shim that loads its compressed binary.
    esbuildArgs: { ...nodeBuiltinEsbuildArgs(REPO_ROOT), ...parquetWasmEsbuildArgs() },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => [
        `node -e "${KEEP_SOURCE_MAP_OUT_OF_PACKAGE}" "${outputDir}"`,
        ...(usesParquet ? [`cp "${brotliParquetWasm(REPO_ROOT)}" "${outputDir}/${PARQUET_WASM_BROTLI}"`] : []),
      ],
    },
  };
}

function parquetWasmEsbuildArgs(): Record<string, string> {
  const args: Record<string, string> = {};
  for (const [name, target] of Object.entries(parquetWasmAlias(REPO_ROOT))) args[`--alias:${name}`] = target;
  return args;
}
