// A sync worker in a process of its own, for the crash scenarios: the CLI's AWS wiring (S3, DynamoDB and Secrets
// Manager through AWS_ENDPOINT_URL_*) and the same engine, syncing one person. When it reaches the kill point it
// was given (chaos/child-harness.ts KillPoint) it prints one marker line and stops dead, holding every socket and
// its lease, until the parent SIGKILLs it: the crash is a real process death at that exact point, not an exception.
//
//   node --import tsx chaos/sync-child.ts --bucket B --table T --secret-prefix P --user ID
//        --clock-offset MS --lease-ttl MS --kill '{"at":"step","step":"lake","stream":"band","nth":1}'

import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ObjectStore, StreamName } from '../lambdas/core/ports.ts';
import { DynamoStateStore } from '../lambdas/stores/dynamo-state.ts';
import { S3ObjectStore } from '../lambdas/stores/s3-lake.ts';
import { SecretsManagerTokenStore } from '../lambdas/stores/secrets-tokens.ts';
import { chaosClock, KILL_MARKER, type KillPoint, syncWith, watchStreams } from './child-harness.ts';

const { values } = parseArgs({
  options: {
    bucket: { type: 'string' },
    table: { type: 'string' },
    'secret-prefix': { type: 'string' },
    user: { type: 'string' },
    'clock-offset': { type: 'string' },
    'lease-ttl': { type: 'string' },
    kill: { type: 'string' },
  },
});

function required(name: keyof typeof values): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new Error(`sync-child needs --${name}`);
  return v;
}

const kill = JSON.parse(required('kill')) as KillPoint;
const region = process.env.AWS_REGION;
const s3 = new S3Client({ region, forcePathStyle: true });
const dynamodb = new DynamoDBClient({ region });
const documentClient = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
const secretsManager = new SecretsManagerClient({ region });

let stream: StreamName | undefined;
const counts = new Map<string, number>();
/** Counts one event of the current stream; true when it is the kill point's. */
function count(kind: string, of: StreamName | undefined): number {
  const key = `${kind}#${of ?? '-'}`;
  const n = (counts.get(key) ?? 0) + 1;
  counts.set(key, n);
  return n;
}

/** Prints the marker and never returns; the parent kills the process while it waits here. */
async function stopHere(what: string): Promise<never> {
  process.stdout.write(`${KILL_MARKER}${what}\n`);
  setInterval(() => undefined, 1 << 30);
  return new Promise<never>(() => undefined);
}

const s3Store = new S3ObjectStore({ client: s3, bucket: required('bucket') });
const store: ObjectStore = {
  get: (key) => s3Store.get(key),
  list: (prefix) => s3Store.list(prefix),
  delete: (keys) => s3Store.delete(keys),
  async put(key, body, options) {
    const isLedger = key.startsWith('tables/ingest_ledger/');
    const isData = key.startsWith('tables/') && !isLedger;
    const n = isData ? count('table-put', stream) : isLedger ? count('ledger-object', stream) : 0;
    const hit = kill.stream === stream && kill.nth === n;
    if (isData && hit && kill.at === 'table-put' && kill.when === 'before') await stopHere(`before PUT ${key}`);
    const out = await s3Store.put(key, body, options);
    if (isData && hit && kill.at === 'table-put' && kill.when === 'after') await stopHere(`after PUT ${key}`);
    if (isLedger && hit && kill.at === 'ledger-object') await stopHere(`after PUT ${key}`);
    return out;
  },
};

// Every DynamoDB call goes through the base client's middleware; the ledger items go in BatchWriteItem calls.
dynamodb.middlewareStack.add(
  (next, context) => async (args) => {
    const out = await next(args);
    if (/^BatchWrite(Item)?Command$/.test(String(context.commandName))) {
      const n = count('ledger-batch', stream);
      if (kill.at === 'ledger-batch' && kill.stream === stream && kill.nth === n)
        await stopHere(`after BatchWriteItem ${n} of ${stream}`);
    }
    return out;
  },
  { step: 'initialize', name: 'chaosKillPoint' },
);

const state = new DynamoStateStore({ client: documentClient, tableName: required('table') });
const tokens = new SecretsManagerTokenStore({
  client: secretsManager,
  prefix: required('secret-prefix'),
  cacheTtlMs: 0,
});

try {
  const report = await syncWith(
    { store, state, tokens, clock: chaosClock(Number(required('clock-offset'))) },
    required('user'),
    {
      leaseOwner: `sync-child-${process.pid}`,
      leaseTtlMs: Number(required('lease-ttl')),
      wrapSource: (source) =>
        watchStreams(source, (s) => {
          stream = s;
        }),
      async afterStep(step, info) {
        const n = count(`step-${step}`, info.stream);
        if (kill.at === 'step' && kill.step === step && kill.stream === info.stream && kill.nth === n)
          await stopHere(`after ${step} of ${info.stream} ${info.period}`);
      },
    },
  );
  process.stdout.write(`CHAOS-DONE ${JSON.stringify({ errors: report.errors.length, counts: [...counts] })}\n`);
  s3.destroy();
  documentClient.destroy();
  dynamodb.destroy();
  secretsManager.destroy();
} catch (err) {
  process.stderr.write(`sync-child failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
  process.exitCode = 1;
}
