// Section 5: the Huami Subscriptions webhook under a burst. A 127.0.0.1 HTTP server turns each request into a
// Lambda Function URL event and invokes the real handler (`createWebhookHandler` of lambdas/handlers/webhook.ts,
// middy chain included) over a runtime of local parts: the JSON state store records the notification hashes,
// the lake is a temp folder, and the SQS client is an in-memory stand-in that accepts every batch. While that
// handler is still a placeholder, the server runs the core (handleWebhookRequest) with the same parts instead.
// The huami-open simulator signs and sends 200 notifications at once, then 20 of them again (replays).

import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { JsonFileStateStore } from '../lambdas/adapters/file-state.ts';
import { FileTokenStore } from '../lambdas/adapters/file-tokens.ts';
import { FolderObjectStore } from '../lambdas/adapters/fs-lake.ts';
import { SqsSyncQueue } from '../lambdas/adapters/sqs-sync-queue.ts';
import { handleWebhookRequest } from '../lambdas/core/webhook-flow.ts';
import { startHuamiOpenSimulator } from '../sim/huami-open.ts';
import { fmtMs, line, percentile } from './measure.ts';

const BURST = 200;
const REPLAYS = 20;
/** Huami gives up on an answer after 2 s. */
const VENDOR_DEADLINE_MS = 2_000;
const WEBHOOK_HANDLER = fileURLToPath(new URL('../lambdas/handlers/webhook.ts', import.meta.url));

/** What the server does with one request: status code plus the outcome it can tell. */
type Respond = (rawBody: Uint8Array, headers: Record<string, string | undefined>) => Promise<number>;

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function countBy<T>(items: readonly T[], key: (t: T) => string): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1);
  return [...counts.entries()]
    .sort()
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
}

function latencyLine(label: string, ms: readonly number[]): string {
  const within = ms.filter((m) => m <= VENDOR_DEADLINE_MS).length;
  return line(
    label,
    `p50 ${fmtMs(percentile(ms, 50))}, p99 ${fmtMs(percentile(ms, 99))}, max ${fmtMs(Math.max(...ms))}; ${within}/${ms.length} within 2 s`,
  );
}

function functionUrlEvent(rawBody: Uint8Array, headers: Record<string, string | undefined>): LambdaFunctionURLEvent {
  const now = Date.now();
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) clean[k.toLowerCase()] = v;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: clean,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'bench',
      domainName: 'bench.lambda-url.eu-central-1.on.aws',
      domainPrefix: 'bench',
      http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    body: Buffer.from(rawBody).toString('base64'),
    isBase64Encoded: true,
  };
}

function lambdaContext(): Context {
  const fail = () => {
    throw new Error('not used');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'zepp-lake-webhook-bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-central-1:000000000000:function:zepp-lake-webhook-bench',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/zepp-lake-webhook-bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 10_000,
    done: fail,
    fail,
    succeed: fail,
  };
}

interface Parts {
  state: JsonFileStateStore;
  queued: { count: number };
}

/** The deployed handler over local parts; undefined when it is still a placeholder. */
async function realHandler(dir: string, publicKeyPem: string, parts: Parts): Promise<Respond | undefined> {
  if ((await readFile(WEBHOOK_HANDLER, 'utf8')).includes('not implemented yet')) return undefined;
  // The module builds its default runtime from the environment on import (no network, no credentials needed):
  // give it the variables the stack sets, and quiet the per-request log lines and metric flushes.
  const env: Record<string, string> = {
    AWS_REGION: 'eu-central-1',
    LAKE_BUCKET: 'bench-lake',
    STATE_TABLE: 'bench-state',
    QUEUE_URL: 'http://127.0.0.1:9/000000000000/bench-queue',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // This machine runs Node 20; the functions run on 22. The SDK's one-off warning about it is not a figure.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const [k, v] of Object.entries(env)) process.env[k] ??= v;
  const { createWebhookHandler } = await import('../lambdas/handlers/webhook.ts');
  const { loadConfig } = await import('../lambdas/shared/config.ts');
  const sqs = {
    send: async (command: { input: { Entries?: { Id?: string }[] } }) => {
      const entries = command.input.Entries ?? [];
      parts.queued.count += entries.length;
      return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] };
    },
  } as unknown as SQSClient;
  const config = loadConfig({ ...env, HUAMI_PUBLIC_KEY: publicKeyPem });
  const handler = createWebhookHandler({
    config,
    store: new FolderObjectStore(join(dir, 'lake')),
    state: parts.state,
    tokens: new FileTokenStore(join(dir, 'tokens.json')),
    queue: new SqsSyncQueue({ client: sqs, queueUrl: config.queueUrl }),
    clock: Date.now,
  });
  return async (rawBody, headers) => {
    const result = await handler(functionUrlEvent(rawBody, headers), lambdaContext());
    return result.statusCode ?? 500;
  };
}

/** The core path with the same parts, for as long as the handler is a placeholder. */
function coreHandler(publicKeyPem: string, parts: Parts): Respond {
  return async (rawBody, headers) =>
    (
      await handleWebhookRequest(
        { rawBody, headers },
        {
          publicKeyPem,
          recordNotification: (hash) => parts.state.recordNotification(hash, Date.now(), 30 * 86_400_000),
          enqueueSync: async () => {
            parts.queued.count++;
          },
          keepMalformed: async () => {},
          countSignatureFailure: () => {},
        },
      )
    ).statusCode;
}

/** Section 5. */
export async function benchWebhook(): Promise<string[]> {
  const lines: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'zepp-lake-webhook-'));
  const huami = await startHuamiOpenSimulator({ users: 3 });
  const parts: Parts = {
    state: new JsonFileStateStore(join(dir, 'state.json')),
    queued: { count: 0 },
  };
  // The handler drops notifications of users this deployment does not hold: hold the simulator's users.
  for (const u of huami.users) {
    await parts.state.putUser({ userId: u.userId, source: 'huami-open', enabled: true, createdAt: Date.now() });
  }
  let respond = await realHandler(dir, huami.publicKeyPem, parts).catch((err: unknown) => {
    lines.push(`  ! the real handler could not be set up (${err instanceof Error ? err.message : String(err)})`);
    return undefined;
  });
  if (respond) {
    lines.push('  driving lambdas/handlers/webhook.ts (createWebhookHandler, middy chain) with Function URL events');
  } else {
    lines.push('  lambdas/handlers/webhook.ts is not usable: driving the core handleWebhookRequest instead');
    respond = coreHandler(huami.publicKeyPem, parts);
  }
  const handle = respond;
  const serverMs: number[] = [];
  const server = createServer((req, res) => {
    const started = performance.now();
    readBody(req)
      .then((rawBody) => handle(rawBody, req.headers as Record<string, string | undefined>))
      .catch(() => 500)
      .then((status) => {
        serverMs.push(performance.now() - started);
        res.writeHead(status).end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  // Powertools Metrics warns on stderr after every invocation that added no metric (a replay): counted, not shown.
  const EMPTY_METRICS = 'No application metrics to publish';
  let emptyMetricWarnings = 0;
  const stderrWrite = process.stderr.write;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (String(chunk).includes(EMPTY_METRICS)) {
      emptyMetricWarnings++;
      return true;
    }
    return (stderrWrite as (...a: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    // One request first, so the key parse and the state file's first write are not in the burst figures.
    await huami.notify(url, huami.makeNotification(huami.users[0]?.userId ?? '1000000101'));
    const queuedBefore = parts.queued.count;
    serverMs.length = 0;

    const t0 = performance.now();
    const burst = await huami.notifyBurst(url, BURST);
    const burstMs = performance.now() - t0;
    const burstServerMs = serverMs.splice(0);
    const queuedByBurst = parts.queued.count - queuedBefore;
    const replays = await Promise.all(burst.slice(0, REPLAYS).map((b) => huami.notify(url, b.notification)));
    const queuedByReplays = parts.queued.count - queuedBefore - queuedByBurst;

    lines.push(
      line(
        `burst of ${BURST} signed notifications`,
        `all sent at once, whole burst ${fmtMs(burstMs)} (signing included); statuses ${countBy(burst, (b) => String(b.status))}`,
      ),
    );
    lines.push(
      latencyLine(
        '  answer time seen by the sender',
        burst.map((b) => b.ms),
      ),
    );
    lines.push(latencyLine('  time inside the server', burstServerMs));
    lines.push(
      line(
        `${REPLAYS} replays of burst notifications`,
        `statuses ${countBy(replays, (r) => String(r.status))}; sync messages queued by them: ${queuedByReplays}`,
      ),
    );
    lines.push(
      latencyLine(
        '  answer time seen by the sender',
        replays.map((r) => r.ms),
      ),
    );
    lines.push(
      line(
        'sync messages queued by the burst',
        `${queuedByBurst} (for ${BURST} new notifications, one message per stream group a notification touches)`,
      ),
    );
    if (emptyMetricWarnings > 0) {
      lines.push(
        line(
          'handler warnings on stderr',
          `${emptyMetricWarnings} x "${EMPTY_METRICS}" (one per invocation without a metric)`,
        ),
      );
    }
  } finally {
    process.stderr.write = stderrWrite;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await huami.close();
    await rm(dir, { recursive: true, force: true });
  }
  return lines;
}
