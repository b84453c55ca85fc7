// The real system a history runs against: the vendor simulator with its people, and either the local mode (a
// folder lake, the JSON state file and the 0600 token file in a home folder of the history's own) or the AWS
// path (a bucket on fauxqs, a state table on DynamoDB Local, a secret prefix on the Secrets Manager emulator, an
// SQS queue on fauxqs, and the real Lambda handlers over them). Every command of a history runs at a clock 16
// minutes after the previous one's: past a lease's lifetime, as the next scheduled run would be.

import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SourceId } from '../../lambdas/core/ports.ts';
import type { LambdaRuntime } from '../../lambdas/runtime/aws-parquet.ts';
import { openLocalRuntime, parquetCodec, type Runtime } from '../../lambdas/runtime/local.ts';
import type { SecretsManagerTokenStore } from '../../lambdas/stores/secrets-tokens.ts';
import { SqsSyncQueue } from '../../lambdas/stores/sqs-queue.ts';
import { openChaosRuntime } from '../harness.ts';
import type { ChaosEnv } from '../scenario.ts';
import { startVendor, type Vendor } from './vendor.ts';

export type Mode = 'local' | 'aws';

/** The queue and the Lambda runtime of the AWS path. */
export interface AwsSide {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  /** What every handler of the stack gets (lambdas/runtime/aws-parquet.ts), over this history's resources. */
  lambda: LambdaRuntime;
  bucket: string;
  table: string;
  secretPrefix: string;
}

export interface World {
  mode: Mode;
  vendor: Vendor;
  /** The runtime of `zepp-lake ...` (local) or `zepp-lake ... --backend aws`. */
  rt: Runtime;
  /** Another process's runtime over the same home folder and lake (local); the same adapters on AWS. */
  another(): Runtime;
  /** The clock of the command running now. */
  now(): number;
  /** Moves the clock to the next command and returns it. */
  tick(): number;
  aws?: AwsSide;
  env: ChaosEnv;
  /** A scratch folder of this history (child process files). */
  dir: string;
  close(): Promise<void>;
}

export interface WorldOptions {
  mode: Mode;
  source: SourceId;
  seed: number;
  people: number;
  env: ChaosEnv;
}

const STEP_MS = 16 * 60_000;

async function openQueue(env: ChaosEnv, tag: string): Promise<{ sqs: SQSClient; queueUrl: string; queueArn: string }> {
  const sqs = new SQSClient({
    region: env.endpoints.region,
    endpoint: env.endpoints.sqs,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const created = await sqs.send(new CreateQueueCommand({ QueueName: tag }));
  const queueUrl = created.QueueUrl;
  if (!queueUrl) throw new Error('CreateQueue returned no queue URL');
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return { sqs, queueUrl, queueArn: attrs.Attributes?.QueueArn ?? `arn:aws:sqs:us-east-1:000000000000:${tag}` };
}

/** What every world has, whatever its mode: the vendor, the stepped clock, the stand-ins and its folder. */
type WorldBase = Pick<World, 'vendor' | 'now' | 'tick' | 'env' | 'dir'>;

export async function openWorld(opts: WorldOptions): Promise<World> {
  const vendor = await startVendor({ source: opts.source, seed: opts.seed, people: opts.people });
  let at = Date.parse(`${vendor.today}T08:30:00Z`) - STEP_MS;
  const now = () => at;
  const tick = () => {
    at += STEP_MS;
    return at;
  };
  const tag = `h-${opts.mode}-${opts.source}-${opts.seed}`;
  try {
    const dir = await mkdtemp(join(opts.env.workDir, `${tag}-`));
    const base: WorldBase = { vendor, now, tick, env: opts.env, dir };
    return opts.mode === 'local' ? openLocalWorld(base) : await openAwsWorld(base, tag);
  } catch (err) {
    await vendor.close();
    throw err;
  }
}

/** The local mode: a folder lake and a JSON state file; another process opens the same folders. */
function openLocalWorld(base: WorldBase): World {
  const dirs = { lake: join(base.dir, 'lake'), home: join(base.dir, 'home') };
  return {
    ...base,
    mode: 'local',
    rt: openLocalRuntime(dirs),
    another: () => openLocalRuntime(dirs),
    async close() {
      await base.vendor.close();
      await rm(base.dir, { recursive: true, force: true });
    },
  };
}

/** The AWS mode: the stand-ins' bucket, table, secrets and a queue, and the Lambda runtime the handlers take. */
async function openAwsWorld(base: WorldBase, tag: string): Promise<World> {
  const { env, vendor } = base;
  const rt = await openChaosRuntime(env, tag);
  const queue = await openQueue(env, `${tag}-${rt.bucket.slice(-8)}`);
  const dynamodb = new DynamoDBClient({
    region: env.endpoints.region,
    endpoint: env.endpoints.dynamodb,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const someone = vendor.people[0]?.id ?? 'x';
  const secretPrefix = (rt.tokens as SecretsManagerTokenStore).secretName(someone).slice(0, -someone.length);
  const lambda: LambdaRuntime = {
    dynamodb: async () => dynamodb,
    config: {
      lakeBucket: rt.bucket,
      stateTable: rt.table,
      queueUrl: queue.queueUrl,
      lagDays: 3,
      secretPrefix,
      huamiPublicKey: vendor.huami?.publicKeyPem ?? '',
    },
    store: rt.store,
    state: rt.state,
    tokens: rt.tokens,
    queue: new SqsSyncQueue({ client: queue.sqs, queueUrl: queue.queueUrl }),
    codec: parquetCodec,
    clock: base.now,
  };
  return {
    ...base,
    mode: 'aws',
    rt,
    another: () => rt,
    aws: { ...queue, lambda, bucket: rt.bucket, table: rt.table, secretPrefix },
    async close() {
      queue.sqs.destroy();
      dynamodb.destroy();
      await rt.close();
      await vendor.close();
      await rm(base.dir, { recursive: true, force: true });
    },
  };
}
