// Wires the AWS adapters for the command line (`--backend aws`): the same engine against a real bucket,
// state table and Secrets Manager, or any stand-in named by AWS_ENDPOINT_URL_S3 / _DYNAMODB / _SECRETS_MANAGER.

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { bucketNameProblem, OptionValueError } from '../cli/option-parsers.ts';
import type { ObjectStore } from '../core/ports.ts';
import { DynamoStateStore } from '../stores/dynamo-state.ts';
import { S3ObjectStore } from '../stores/s3-lake.ts';
import { SecretsManagerTokenStore } from '../stores/secrets-tokens.ts';
import { homeDirOf, parquetCodec, type Runtime } from './local.ts';

export interface AwsRuntimeOptions {
  home?: string;
  /** Bucket name (env ZEPP_LAKE_BUCKET). */
  bucket?: string;
  /** State table name (env ZEPP_LAKE_STATE_TABLE). */
  table?: string;
  /** KMS key for SSE-KMS writes (env ZEPP_LAKE_KMS_KEY_ID). */
  kmsKeyId?: string;
  region?: string;
}

export function openAwsRuntime(opts: AwsRuntimeOptions): Runtime {
  const bucket = opts.bucket ?? process.env.ZEPP_LAKE_BUCKET;
  const table = opts.table ?? process.env.ZEPP_LAKE_STATE_TABLE;
  if (!bucket)
    throw new Error('--backend aws needs the lake bucket: --bucket or ZEPP_LAKE_BUCKET (see the stack outputs)');
  if (!table)
    throw new Error('--backend aws needs the state table: --table or ZEPP_LAKE_STATE_TABLE (see the stack outputs)');
  // The bucket name also names the local mirror folder that is emptied before each query: `..` must never get there.
  const problem = bucketNameProblem(bucket);
  if (problem) throw new OptionValueError(`"${bucket}" is not an S3 bucket name: ${problem} (see the stack outputs)`);
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  // A local endpoint (a stand-in) only works path-style; real S3 works either way.
  const s3 = new S3Client({ region, forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const sm = new SecretsManagerClient({ region });
  const homeDir = homeDirOf({ home: opts.home });
  return {
    lakeDir: `s3://${bucket}`,
    homeDir,
    store: new S3ObjectStore({ client: s3, bucket, kmsKeyId: opts.kmsKeyId ?? process.env.ZEPP_LAKE_KMS_KEY_ID }),
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
