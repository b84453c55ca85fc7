import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  createLambdaServices,
  dispatcherServices,
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

describe('per-handler wiring', () => {
  it('wraps every client it builds, and builds only the clients the handler uses', () => {
    const cases: [string, (w: LambdaWiring) => unknown, string[]][] = [
      ['dispatcher', dispatcherServices, ['dynamodb', 'sqs']],
      ['token refresher', tokenRefresherServices, ['dynamodb', 'secrets']],
      // The lake's S3 client is built on first use (see the next test), so it is not among these.
      ['webhook', webhookServices, ['dynamodb', 'sqs']],
      ['replay', replayRuntime, ['dynamodb']],
      ['sync worker', syncWorkerRuntime, ['dynamodb', 'secrets', 'sqs']],
    ];
    for (const [name, wire, expected] of cases) {
      const { tracing, wrapped } = recordingTracing();
      const services = wire({ config: CONFIG, tracing }) as { tracing?: LambdaTracing };
      expect(kinds(wrapped), name).toEqual(expected);
      expect(services.tracing, name).toBe(tracing);
    }
  });

  it('wraps the S3 client of the lake, built on first use', async () => {
    const { tracing, wrapped } = recordingTracing();
    const { s3ObjectStore } = await import('../../lambdas/runtime/aws-s3.ts');
    s3ObjectStore({ config: CONFIG, tracing });
    expect(kinds(wrapped)).toEqual(['s3']);
  });

  it('wraps nothing when tracing is off', () => {
    const { tracing, wrapped } = recordingTracing();
    // The recording tracer exists but is not handed to the wiring: nothing may reach it.
    const services = createLambdaServices(CONFIG);
    expect(services.tracing).toBeUndefined();
    expect(wrapped).toEqual([]);
    expect(createLambdaServices(CONFIG, tracing).tracing).toBe(tracing);
    expect(kinds(wrapped)).toEqual(['dynamodb', 'secrets', 'sqs']);
  });
});
