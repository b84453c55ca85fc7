// `replay` in a process of its own, for the replay crash test: the CLI's AWS wiring (S3 and DynamoDB through
// AWS_ENDPOINT_URL_*) and the engine's replay of one person. When it reaches its kill point (the n-th PUT of a data
// month object, or the n-th delete of month objects, before or after it) it prints one marker line and stops dead,
// holding its lease, until the parent SIGKILLs it: a real process death at that exact point.
//
//   node --import tsx test/chaos/replay-child.ts --bucket B --table T --user ID --clock-offset MS --lease-ttl MS
//        --kill '{"op":"put","when":"before","nth":1}'

import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ObjectStore } from '../../lambdas/core/ports.ts';
import { replayUser } from '../../lambdas/engine/replay.ts';
import { parquetCodec } from '../../lambdas/runtime/local.ts';
import { rawDecoderOf } from '../../lambdas/sources/registry.ts';
import { DynamoStateStore } from '../../lambdas/stores/dynamo-state.ts';
import { S3ObjectStore } from '../../lambdas/stores/s3-lake.ts';
import { REPLAY_KILL_MARKER, type ReplayKillPoint } from './replay-kill-point.ts';

const { values } = parseArgs({
  options: {
    bucket: { type: 'string' },
    table: { type: 'string' },
    user: { type: 'string' },
    'clock-offset': { type: 'string' },
    'lease-ttl': { type: 'string' },
    kill: { type: 'string' },
  },
});

function required(name: keyof typeof values): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new Error(`replay-child needs --${name}`);
  return v;
}

const kill = JSON.parse(required('kill')) as ReplayKillPoint;
const region = process.env.AWS_REGION;
const s3 = new S3Client({ region, forcePathStyle: true });
const dynamodb = new DynamoDBClient({ region });
const documentClient = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
const offset = Number(required('clock-offset'));
const clock = () => Date.now() + offset;

async function stopHere(what: string): Promise<never> {
  process.stdout.write(`${REPLAY_KILL_MARKER}${what}\n`);
  setInterval(() => undefined, 1 << 30);
  return new Promise<never>(() => undefined);
}

const counts = { put: 0, delete: 0 };
async function around<T>(op: ReplayKillPoint['op'], what: string, call: () => Promise<T>): Promise<T> {
  const n = ++counts[op];
  const hit = kill.op === op && kill.nth === n;
  if (hit && kill.when === 'before') await stopHere(`before ${op} ${n} (${what})`);
  const out = await call();
  if (hit && kill.when === 'after') await stopHere(`after ${op} ${n} (${what})`);
  return out;
}

const s3Store = new S3ObjectStore({ client: s3, bucket: required('bucket') });
const isData = (key: string) => key.startsWith('tables/') && !key.startsWith('tables/ingest_ledger/');
const store: ObjectStore = {
  get: (key) => s3Store.get(key),
  list: (prefix) => s3Store.list(prefix),
  put: (key, body, options) =>
    isData(key) ? around('put', key, () => s3Store.put(key, body, options)) : s3Store.put(key, body, options),
  delete: (keys) =>
    keys.some(isData) ? around('delete', keys.join(' '), () => s3Store.delete(keys)) : s3Store.delete(keys),
};

try {
  const report = await replayUser({
    decoders: rawDecoderOf,
    store,
    codec: parquetCodec,
    userId: required('user'),
    lease: {
      state: new DynamoStateStore({ client: documentClient, tableName: required('table') }),
      owner: `replay-child-${process.pid}`,
      clock,
      ttlMs: Number(required('lease-ttl')),
    },
  });
  process.stdout.write(`REPLAY-DONE ${JSON.stringify({ counts, objectsWritten: report.objectsWritten })}\n`);
  s3.destroy();
  documentClient.destroy();
  dynamodb.destroy();
} catch (err) {
  process.stderr.write(`replay-child failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
  process.exitCode = 1;
}
