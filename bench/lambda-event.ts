// The Lambda side of a webhook invocation, shared by the benchmark's parent (bench/webhook.ts) and its webhook
// instances (bench/webhook-instance.ts): the Function URL event of a notification and a Lambda context.

import { randomUUID } from 'node:crypto';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';

export type WebhookHandler = (event: LambdaFunctionURLEvent, context: Context) => Promise<{ statusCode?: number }>;

/** A signed notification as Huami sends it: the raw body and its headers. */
export interface SignedNotification {
  body: Buffer;
  headers: Record<string, string>;
}

export function functionUrlEvent(
  rawBody: Uint8Array,
  headers: Record<string, string | undefined>,
): LambdaFunctionURLEvent {
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

export function lambdaContext(): Context {
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
