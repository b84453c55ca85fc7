// A Lambda Function URL request (payload format 2.0) as Lambda delivers it to the webhook: lower-case header
// names, the body as text or base64 (binary content types), the request context of a public URL.

import { randomUUID } from 'node:crypto';
import type { LambdaFunctionURLEvent } from 'aws-lambda';

export function functionUrlEvent(
  body: string | Buffer,
  headers: Record<string, string>,
  options: { method?: string; base64?: boolean } = {},
): LambdaFunctionURLEvent {
  const text = Buffer.isBuffer(body) ? body.toString(options.base64 ? 'base64' : 'utf8') : body;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      host: 'abcdefghij.lambda-url.us-east-1.on.aws',
      'user-agent': 'Huami-Push/1.0',
      'x-forwarded-proto': 'https',
      ...headers,
    },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghij',
      domainName: 'abcdefghij.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abcdefghij',
      http: {
        method: options.method ?? 'POST',
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'Huami-Push/1.0',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: '20/Nov/2026:18:00:00 +0000',
      timeEpoch: Date.now(),
    },
    body: text,
    isBase64Encoded: options.base64 ?? false,
  };
}
