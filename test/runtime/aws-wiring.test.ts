import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createLambdaServices,
  dispatcherServices,
  type LambdaServices,
  type LambdaWiring,
  lambdaWiring,
  tokenRefresherServices,
  webhookServices,
} from '../../lambdas/runtime/aws.ts';
import { replayRuntime, syncWorkerRuntime } from '../../lambdas/runtime/aws-parquet.ts';
import { type LambdaConfig, loadConfig } from '../../lambdas/runtime/config.ts';
import { type LambdaTracing, loadTracing, tracingMiddlewares } from '../../lambdas/runtime/tracing.ts';

const ENV = { LAKE_BUCKET: 'lake', STATE_TABLE: 'state', QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/1/sync' };
const CONFIG: LambdaConfig = loadConfig(ENV);

/** A tracer that records the clients it is given, so a test sees which clients a wiring wrapped. */
function recordingTracing(): { tracing: LambdaTracing; wrapped: unknown[] } {
  const wrapped: unknown[] = [];
  const tracing: LambdaTracing = {
    tracer: {
      captureAWSv3Client: <T>(client: T): T => {
        wrapped.push(client);
        return client;
      },
    },
    middleware: { before: () => undefined },
  };
  return { tracing, wrapped };
}

const kinds = (clients: unknown[]): string[] =>
  clients
    .map((c) => {
      if (c instanceof DynamoDBClient) return 'dynamodb';
      if (c instanceof S3Client) return 's3';
      if (c instanceof SecretsManagerClient) return 'secrets';
      if (c instanceof SQSClient) return 'sqs';
      return 'other';
    })
    .sort();

describe('tracing configuration', () => {
  it('is on where Lambda runs with active tracing, unless Powertools tracing is switched off', () => {
    expect(loadConfig(ENV).tracing).toBe(false);
    expect(loadConfig({ ...ENV, _X_AMZN_TRACE_ID: 'Root=1-abc' }).tracing).toBe(true);
    expect(loadConfig({ ...ENV, AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000' }).tracing).toBe(true);
    expect(loadConfig({ ...ENV, _X_AMZN_TRACE_ID: 'Root=1-abc', POWERTOOLS_TRACE_ENABLED: 'false' }).tracing).toBe(
      false,
    );
  });

  it('loads no tracer and adds no middleware when tracing is off', async () => {
    expect(await loadTracing({ tracing: false })).toBeUndefined();
    expect(tracingMiddlewares(undefined)).toEqual([]);
    const wiring = await lambdaWiring(ENV);
    expect(wiring).toEqual({ config: CONFIG });
    expect(dispatcherServices(wiring).tracing).toBeUndefined();
  });

  it('loads the Powertools tracer and its handler middleware when tracing is on', async () => {
    const tracing = await loadTracing({ tracing: true });
    expect(typeof tracing?.tracer.captureAWSv3Client).toBe('function');
    expect(typeof tracing?.middleware.before).toBe('function');
    expect(tracingMiddlewares(tracing)).toEqual([tracing?.middleware]);
  });
});

/** Every adapter a wiring returns, called once: each call builds (once) the client behind it. */
async function touchEveryAdapter(services: Record<string, unknown>): Promise<void> {
  const calls: Promise<unknown>[] = [];
  const s = services as Partial<Pick<LambdaServices, 'state' | 'tokens' | 'queue' | 'store' | 'dynamodb'>>;
  if (s.state) calls.push(s.state.getUser('u1'));
  if (s.tokens) calls.push(s.tokens.get('u1'));
  if (s.queue) calls.push(s.queue.retryLater('receipt', 1));
  if (s.store) calls.push(s.store.get('k'));
  if (s.dynamodb) calls.push(s.dynamodb());
  // Nothing listens on the endpoints: the calls fail, after their clients were built.
  await Promise.allSettled(calls);
}

describe('per-handler wiring', () => {
  beforeEach(() => {
    for (const service of ['S3', 'DYNAMODB', 'SQS', 'SECRETS_MANAGER']) {
      vi.stubEnv(`AWS_ENDPOINT_URL_${service}`, 'http://127.0.0.1:9');
    }
    vi.stubEnv('AWS_REGION', 'eu-central-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    vi.stubEnv('AWS_MAX_ATTEMPTS', '1');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('builds no client at wiring; each on first use, once, wrapped, and only those the handler uses', async () => {
    const cases: [string, (w: LambdaWiring) => unknown, string[]][] = [
      ['dispatcher', dispatcherServices, ['dynamodb', 'sqs']],
      ['token refresher', tokenRefresherServices, ['dynamodb', 'secrets']],
      ['webhook', webhookServices, ['dynamodb', 's3', 'sqs']],
      ['replay', replayRuntime, ['dynamodb', 's3']],
      ['sync worker', syncWorkerRuntime, ['dynamodb', 's3', 'secrets', 'sqs']],
    ];
    for (const [name, wire, expected] of cases) {
      const { tracing, wrapped } = recordingTracing();
      const services = wire({ config: CONFIG, tracing }) as Record<string, unknown> & { tracing?: LambdaTracing };
      expect(kinds(wrapped), `${name} at wiring`).toEqual([]);
      expect(services.tracing, name).toBe(tracing);
      await touchEveryAdapter(services);
      await touchEveryAdapter(services);
      expect(kinds(wrapped), name).toEqual(expected);
    }
  });

  it('shares one DynamoDB client between the state table and the notification records', async () => {
    const { tracing, wrapped } = recordingTracing();
    const services = webhookServices({ config: CONFIG, tracing });
    await services.state.getUser('u1').catch(() => undefined);
    const client = await services.dynamodb();
    expect(wrapped.filter((c) => c instanceof DynamoDBClient)).toEqual([client]);
  });

  it('wraps nothing when tracing is off', async () => {
    const { tracing, wrapped } = recordingTracing();
    // The recording tracer exists but is not handed to the wiring: nothing may reach it.
    const services = createLambdaServices(CONFIG);
    await touchEveryAdapter(services as unknown as Record<string, unknown>);
    expect(services.tracing).toBeUndefined();
    expect(wrapped).toEqual([]);
    const traced = createLambdaServices(CONFIG, tracing);
    expect(traced.tracing).toBe(tracing);
    await touchEveryAdapter(traced as unknown as Record<string, unknown>);
    expect(kinds(wrapped)).toEqual(['dynamodb', 's3', 'secrets', 'sqs']);
  });
});
