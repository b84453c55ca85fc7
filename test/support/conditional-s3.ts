// A small S3 endpoint on 127.0.0.1 that honours conditional writes the way S3 does, for the tests of the code
// that relies on them (fauxqs 1.9.2 ignores If-Match and If-None-Match on PutObject). Path-style GetObject and
// PutObject only, objects in memory, ETag = the quoted MD5 of the body (as S3 gives for a single-part upload):
//   PUT with If-None-Match: *  on an existing key  -> 412 PreconditionFailed
//   PUT with If-Match: <etag>  on a missing key    -> 404 NoSuchKey
//   PUT with If-Match: <etag>  that is not current -> 412 PreconditionFailed
// Every request is recorded (method, path, the condition headers and the answer).

import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConditionalS3Request {
  method: string;
  path: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  status: number;
}

export interface ConditionalS3 {
  endpoint: string;
  requests: ConditionalS3Request[];
  /** The stored body of a key as the client named it (`bucket/key`, URL-decoded). */
  object(bucketAndKey: string): Buffer | undefined;
  close(): Promise<void>;
}

const s3Error = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;

export async function startConditionalS3(): Promise<ConditionalS3> {
  const objects = new Map<string, { body: Buffer; etag: string }>();
  const requests: ConditionalS3Request[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '').replace(/^\//, '');
      const ifMatch = req.headers['if-match'];
      const ifNoneMatch = req.headers['if-none-match'];
      const answer = (status: number, body: string | Buffer, headers: Record<string, string> = {}) => {
        requests.push({ method: req.method ?? '', path, ifMatch, ifNoneMatch, status });
        res.writeHead(status, { 'content-type': 'application/xml', ...headers });
        res.end(body);
      };
      const current = objects.get(path);
      if (req.method === 'GET') {
        if (!current) return answer(404, s3Error('NoSuchKey', 'The specified key does not exist.'));
        return answer(200, current.body, { 'content-type': 'application/octet-stream', etag: current.etag });
      }
      if (req.method !== 'PUT') return answer(501, s3Error('NotImplemented', `${req.method} is not emulated`));
      if (ifNoneMatch === '*' && current) {
        return answer(
          412,
          s3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'),
        );
      }
      if (ifMatch !== undefined && !current)
        return answer(404, s3Error('NoSuchKey', 'The specified key does not exist.'));
      if (ifMatch !== undefined && current && ifMatch !== current.etag) {
        return answer(
          412,
          s3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'),
        );
      }
      const body = Buffer.concat(chunks);
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      objects.set(path, { body, etag });
      return answer(200, '', { etag });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    object: (bucketAndKey) => objects.get(bucketAndKey)?.body,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
