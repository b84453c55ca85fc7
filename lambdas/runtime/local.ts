// The command line's runtime: the local stores (folder lake, JSON state file, 0600 token file), or with
// `--backend aws` the same engine against a real bucket, state table and Secrets Manager (or any stand-in named by
// AWS_ENDPOINT_URL_S3 / _DYNAMODB / _SECRETS_MANAGER). The checks of the folders and the bucket name that guard
// what the runtime opens live here too, so the command line's option parsers and the runtime say the same.

import { realpathSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ObjectStore, StateStore, TokenStore } from '../core/ports.ts';
import type { ParquetCodec } from '../engine/lake-writer.ts';
import { DynamoStateStore } from '../stores/dynamo-state.ts';
import { JsonFileStateStore } from '../stores/file-state.ts';
import { FileTokenStore } from '../stores/file-tokens.ts';
import { FolderObjectStore } from '../stores/fs-lake.ts';
import { readParquet, writeParquet } from '../stores/parquet.ts';
import { S3ObjectStore } from '../stores/s3-lake.ts';
import { SecretsManagerTokenStore } from '../stores/secrets-tokens.ts';
import { type CliConfig, loadCliConfig } from './cli-config.ts';

/** A folder's path with every symbolic link resolved, as far as the folders on the way exist. */
function realFolder(path: string): string {
  const rest: string[] = [];
  for (let existing = resolve(path); ; existing = dirname(existing)) {
    try {
      return join(realpathSync(existing), ...rest);
    } catch {
      if (dirname(existing) === existing) return resolve(path);
      rest.unshift(basename(existing));
    }
  }
}

/** `inner` is `outer` or a folder below it. */
function isWithin(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A combination of option values that cannot work; exit status 2 like any bad option value. */
export class OptionValueError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OptionValueError';
  }
}

/**
 * The lake and the home folder together: the lake must not be the home folder or inside it, where deleting a
 * user's data and the state or token files would share one folder.
 */
export function checkLocalFolders(lakeDir: string, homeDir: string): void {
  const lake = realFolder(lakeDir);
  const home = realFolder(homeDir);
  if (isWithin(lake, home)) {
    throw new OptionValueError(
      `the lake (${lake}) ${lake === home ? 'is' : 'is inside'} the home folder (${home}), which holds the state and token files: give them separate folders, e.g. --lake ./lake --home ./.zepp-lake.`,
    );
  }
}

const BUCKET_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const BUCKET_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/**
 * What is wrong with an S3 general purpose bucket name, or undefined when it is valid: 3-63 lowercase letters,
 * digits, dots and hyphens, starting and ending with a letter or digit, no `..`, not an IP address, no reserved
 * prefix or suffix (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'a bucket name has 3 to 63 characters';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return 'a bucket name has only lowercase letters, digits, "." and "-", and starts and ends with a letter or digit';
  }
  if (name.includes('..')) return 'a bucket name has no two dots in a row';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'a bucket name is not an IP address';
  const prefix = BUCKET_RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `a bucket name does not start with the reserved "${prefix}"`;
  const suffix = BUCKET_RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `a bucket name does not end with the reserved "${suffix}"`;
  return undefined;
}

export interface GlobalOptions {
  lake?: string;
  home?: string;
}

export interface Runtime {
  lakeDir: string;
  homeDir: string;
  store: ObjectStore;
  state: StateStore;
  tokens: TokenStore;
  codec: ParquetCodec;
  /** A folder DuckDB can read (the lake itself, or a local mirror of the bucket). */
  queryDir: string;
}

export const parquetCodec: ParquetCodec = { write: writeParquet, read: readParquet };

/** The folders given (an option, else its variable in the configuration), else the defaults. */
export function lakeDirOf(opts: GlobalOptions): string {
  return resolve(opts.lake ?? './lake');
}

export function homeDirOf(opts: GlobalOptions): string {
  return resolve(opts.home ?? './.zepp-lake');
}

/** The local runtime; refuses (OptionValueError) a lake inside the home folder before touching either. */
export function openLocalRuntime(opts: GlobalOptions): Runtime {
  const lakeDir = lakeDirOf(opts);
  const homeDir = homeDirOf(opts);
  checkLocalFolders(lakeDir, homeDir);
  return {
    lakeDir,
    homeDir,
    store: new FolderObjectStore(lakeDir),
    state: new JsonFileStateStore(resolve(homeDir, 'state.json')),
    tokens: new FileTokenStore(resolve(homeDir, 'tokens.json')),
    codec: parquetCodec,
    queryDir: lakeDir,
  };
}

// ------------------------------------------------------------------------------------------- --backend aws

export interface AwsRuntimeOptions {
  home?: string;
  /** Bucket name (else the configuration's ZEPP_LAKE_BUCKET). */
  bucket?: string;
  /** State table name (else the configuration's ZEPP_LAKE_STATE_TABLE). */
  table?: string;
  /** KMS key for SSE-KMS writes (else the configuration's ZEPP_LAKE_KMS_KEY_ID). */
  kmsKeyId?: string;
  region?: string;
}

/**
 * The aws backend. The command line passes the configuration it parsed for its run; a caller without one (a
 * test, a script) gets the environment's.
 */
export function openAwsRuntime(opts: AwsRuntimeOptions, config: CliConfig = loadCliConfig()): Runtime {
  const bucket = opts.bucket ?? config.bucket;
  const table = opts.table ?? config.stateTable;
  if (!bucket)
    throw new Error('--backend aws needs the lake bucket: --bucket or ZEPP_LAKE_BUCKET (see the stack outputs)');
  if (!table)
    throw new Error('--backend aws needs the state table: --table or ZEPP_LAKE_STATE_TABLE (see the stack outputs)');
  // The bucket name also names the local mirror folder that is emptied before each query: `..` must never get there.
  const problem = bucketNameProblem(bucket);
  if (problem) throw new OptionValueError(`"${bucket}" is not an S3 bucket name: ${problem} (see the stack outputs)`);
  const region = opts.region ?? config.awsRegion;
  // A local endpoint (a stand-in) only works path-style; real S3 works either way.
  const s3 = new S3Client({ region, forcePathStyle: Boolean(config.s3EndpointUrl) });
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const sm = new SecretsManagerClient({ region });
  const homeDir = homeDirOf({ home: opts.home ?? config.homeDir });
  return {
    lakeDir: `s3://${bucket}`,
    homeDir,
    store: new S3ObjectStore({ client: s3, bucket, kmsKeyId: opts.kmsKeyId ?? config.kmsKeyId }),
    state: new DynamoStateStore({ client: ddb, tableName: table }),
    tokens: new SecretsManagerTokenStore({ client: sm }),
    codec: parquetCodec,
    queryDir: resolve(homeDir, 'mirror', bucket),
  };
}

/** Copies every tables/ object to a local folder so DuckDB (which cannot reach S3 offline) can query it. */
export async function mirrorTables(store: ObjectStore, dir: string): Promise<number> {
  let n = 0;
  for (const key of await store.list('tables/')) {
    const obj = await store.get(key);
    if (!obj) continue;
    const path = join(dir, ...key.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, obj.body);
    n++;
  }
  return n;
}

/**
 * The folder DuckDB reads for this runtime (`query`, `report`, `export`): the lake folder itself, or with
 * `--backend aws` a fresh mirror of the bucket's tables/, since DuckDB cannot reach S3 offline.
 */
export async function queryableLakeDir(rt: Pick<Runtime, 'lakeDir' | 'queryDir' | 'store'>): Promise<string> {
  if (rt.lakeDir.startsWith('s3://')) {
    await rm(rt.queryDir, { recursive: true, force: true });
    // The mirror of a bucket with no tables yet is an empty lake, not a missing one.
    await mkdir(rt.queryDir, { recursive: true });
    await mirrorTables(rt.store, rt.queryDir);
  }
  return rt.queryDir;
}
