import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WriteConflictError } from '../../lambdas/core/errors.ts';
import type { ObjectStore } from '../../lambdas/core/ports.ts';
import { type Row, TABLES } from '../../lambdas/core/schema-registry.ts';
import { writeTableRows } from '../../lambdas/engine/lake-writer.ts';
import { readParquet, writeParquet } from '../../lambdas/stores/parquet.ts';
import { S3ObjectStore, S3StoreError } from '../../lambdas/stores/s3-lake.ts';
import { type AwsTestClients, createAwsClients, createTestBucket } from '../support/aws-clients.ts';
import { type ConditionalS3, startConditionalS3 } from '../support/conditional-s3.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (body: Uint8Array): string => new TextDecoder().decode(body);

describe('S3ObjectStore against the S3 stand-in (fauxqs)', () => {
  let aws: AwsTestClients;
  let bucket: string;
  let store: S3ObjectStore;

  beforeAll(async () => {
    aws = createAwsClients();
    bucket = await createTestBucket(aws.s3);
    store = new S3ObjectStore({ client: aws.s3, bucket });
  });
  afterAll(() => aws.destroy());

  it('reads back what it wrote, with the ETag the write returned', async () => {
    const key = 'tables/pai/month=2024-01/user-1.parquet';
    const { etag } = await store.put(key, bytes('PAR1 hello'), { contentType: 'application/vnd.apache.parquet' });
    const stored = await store.get(key);
    expect(stored).toBeDefined();
    expect(text(stored!.body)).toBe('PAR1 hello');
    expect(stored!.etag).toBe(etag);
  });

  it('works with a client configured only by the environment, as the handlers build theirs', async () => {
    const fromEnv = new S3Client({});
    try {
      const envStore = new S3ObjectStore({ client: fromEnv, bucket });
      const { etag } = await envStore.put('env/one', bytes('via env'));
      expect((await store.get('env/one'))?.etag).toBe(etag);
    } finally {
      fromEnv.destroy();
    }
  });

  it('returns undefined for a key that does not exist', async () => {
    expect(await store.get('tables/pai/month=1999-01/user-404.parquet')).toBeUndefined();
  });

  it('overwrites an object and hands out a new ETag for new content', async () => {
    const key = 'raw/zepp/events/user-1/a.json.gz';
    const first = await store.put(key, bytes('one'));
    const second = await store.put(key, bytes('two'));
    expect(second.etag).not.toBe(first.etag);
    expect(text((await store.get(key))!.body)).toBe('two');
  });

  it('lists every key under a prefix, sorted, across several small pages', async () => {
    const paged = new S3ObjectStore({ client: aws.s3, bucket, listPageSize: 2 });
    const keys = ['list/b/3', 'list/a/1', 'list/c', 'list/a/2', 'list/b/1', 'listing-not-this'];
    await Promise.all(keys.map((key) => paged.put(key, bytes(key))));
    expect(await paged.list('list/')).toEqual(['list/a/1', 'list/a/2', 'list/b/1', 'list/b/3', 'list/c']);
    expect(await paged.list('list/a/')).toEqual(['list/a/1', 'list/a/2']);
    expect(await paged.list('nothing-here/')).toEqual([]);
  });

  it('deletes only the named keys, and accepts keys that are already gone or an empty list', async () => {
    await store.put('del/keep', bytes('k'));
    await store.put('del/drop', bytes('d'));
    await store.delete(['del/drop', 'del/never-existed']);
    await store.delete([]);
    expect(await store.list('del/')).toEqual(['del/keep']);
  });
});

// fauxqs 1.9.2 ignores If-Match / If-None-Match on PutObject (its putObject never reads them; checked by hand:
// a second put with ifNoneMatch succeeds there), so no conditional write is tested against it. The conditions
// are tested against test/support/conditional-s3.ts, an S3 endpoint on 127.0.0.1 that keeps objects and
// refuses a stale If-Match or a create over an existing key as S3 does (412), and the headers and the mapping
// of S3's other conflict answers against a recording endpoint that gives canned answers.
describe('S3ObjectStore conditional writes (an S3 endpoint that honours If-Match and If-None-Match)', () => {
  let s3: ConditionalS3;
  let client: S3Client;
  let store: S3ObjectStore;
  const codec = { write: writeParquet, read: readParquet };
  const KEY = 'tables/pai/month=2024-01/user-1.parquet';
  const paiRow = (ts: number, dailyPai: number): Row =>
    Object.fromEntries(
      TABLES.pai.columns.map((c) => [
        c.name,
        ({ user_id: '1', ts, local_date: '2024-01-15', tz_offset_s: 0, daily_pai: dailyPai, source: 'zepp' } as Row)[
          c.name
        ] ?? null,
      ]),
    );

  beforeAll(async () => {
    s3 = await startConditionalS3();
    client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    store = new S3ObjectStore({ client, bucket: 'lake' });
  });
  afterAll(async () => {
    client.destroy();
    await s3.close();
  });

  it('creates with If-None-Match, and refuses a second create of the same key, keeping the first', async () => {
    const key = 'cond/create-once';
    const created = await store.put(key, bytes('first'), { ifNoneMatch: true });
    await expect(store.put(key, bytes('second'), { ifNoneMatch: true })).rejects.toBeInstanceOf(WriteConflictError);
    expect(s3.requests.at(-1)).toMatchObject({ method: 'PUT', ifNoneMatch: '*', status: 412 });
    expect(await store.get(key)).toEqual({ body: bytes('first'), etag: created.etag });
  });

  it('replaces with the current ETag, and refuses a stale one, keeping the newer object', async () => {
    const key = 'cond/replace';
    const v1 = await store.put(key, bytes('v1'));
    const v2 = await store.put(key, bytes('v2'), { ifMatch: v1.etag });
    await expect(store.put(key, bytes('v3 from a stale read'), { ifMatch: v1.etag })).rejects.toBeInstanceOf(
      WriteConflictError,
    );
    expect(s3.requests.at(-1)).toMatchObject({ method: 'PUT', ifMatch: v1.etag, status: 412 });
    expect(await store.get(key)).toEqual({ body: bytes('v2'), etag: v2.etag });
  });

  it('lets a month-object writer that lost a race read again and merge, so neither writer loses rows', async () => {
    // Prepare: writer A reads the object, then writer B writes it before A's PUT arrives.
    await writeTableRows(store, codec, '1', { pai: [paiRow(Date.parse('2024-01-15T08:00:00Z'), 1)] });
    let raced = false;
    const racedStore: ObjectStore = {
      get: (key) => store.get(key),
      list: (prefix) => store.list(prefix),
      delete: (keys) => store.delete(keys),
      async put(key, body, options) {
        if (!raced) {
          raced = true;
          await writeTableRows(store, codec, '1', { pai: [paiRow(Date.parse('2024-01-15T09:00:00Z'), 2)] });
        }
        return store.put(key, body, options);
      },
    };

    // Act
    const before = s3.requests.length;
    const result = await writeTableRows(racedStore, codec, '1', {
      pai: [paiRow(Date.parse('2024-01-15T10:00:00Z'), 3)],
    });

    // Assess: A's first PUT carried the ETag it read and was refused; the retry holds all three rows.
    expect(result.conflictsRetried).toBe(1);
    const puts = s3.requests.slice(before).filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.status)).toEqual([200, 412, 200]);
    expect(puts[1]?.ifMatch).toBeDefined();
    const stored = s3.object(`lake/${KEY}`);
    expect(stored).toBeDefined();
    expect(readParquet('pai', new Uint8Array(stored!)).map((r) => r.daily_pai)).toEqual([1, 2, 3]);
  });
});

// The request headers, and S3's other conflict answers, against a recording endpoint with canned answers.
interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

function s3Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>R1</RequestId></Error>`;
}

describe('S3ObjectStore conditional and encrypted writes (recording S3 endpoint)', () => {
  let server: Server;
  let client: S3Client;
  const requests: RecordedRequest[] = [];
  let answer: { status: number; body: string; headers?: Record<string, string> } = { status: 200, body: '' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.writeHead(answer.status, { 'content-type': 'application/xml', ...answer.headers });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const lastRequest = (): RecordedRequest => {
    const request = requests.at(-1);
    if (!request) throw new Error('no request reached the recording endpoint');
    return request;
  };

  it('sends If-None-Match: * for a create-only write and maps 412 to WriteConflictError', async () => {
    answer = { status: 412, body: s3Error('PreconditionFailed', 'At least one of the pre-conditions did not hold') };
    const store = new S3ObjectStore({ client, bucket: 'lake' });
    const attempt = store.put('tables/pai/month=2024-01/user-1.parquet', bytes('x'), { ifNoneMatch: true });
    await expect(attempt).rejects.toBeInstanceOf(WriteConflictError);
    expect(lastRequest().method).toBe('PUT');
    expect(lastRequest().url.split('?')[0]).toBe('/lake/tables/pai/month%3D2024-01/user-1.parquet');
    expect(lastRequest().headers['if-none-match']).toBe('*');
    expect(lastRequest().headers['if-match']).toBeUndefined();
  });

  it('sends If-Match with the ETag it was given and maps 409 ConditionalRequestConflict to WriteConflictError', async () => {
    answer = { status: 409, body: s3Error('ConditionalRequestConflict', 'A conflicting operation occurred') };
    const store = new S3ObjectStore({ client, bucket: 'lake' });
    await expect(store.put('k', bytes('x'), { ifMatch: '"abc123"' })).rejects.toBeInstanceOf(WriteConflictError);
    expect(lastRequest().headers['if-match']).toBe('"abc123"');
    expect(lastRequest().headers['if-none-match']).toBeUndefined();
  });

  it('treats a 404 on an If-Match write (the object was deleted meanwhile) as a conflict', async () => {
    answer = { status: 404, body: s3Error('NoSuchKey', 'The specified key does not exist.') };
    const store = new S3ObjectStore({ client, bucket: 'lake' });
    await expect(store.put('k', bytes('x'), { ifMatch: '"gone"' })).rejects.toBeInstanceOf(WriteConflictError);
  });

  it('reports other failures as S3StoreError, not as a conflict', async () => {
    answer = { status: 403, body: s3Error('AccessDenied', 'Access Denied') };
    const store = new S3ObjectStore({ client, bucket: 'lake' });
    const attempt = store.put('k', bytes('x'), { ifNoneMatch: true });
    await expect(attempt).rejects.toBeInstanceOf(S3StoreError);
    await expect(attempt).rejects.toThrow(/AccessDenied \(HTTP 403\)/);
  });

  it('asks for SSE-KMS with the configured key and an S3 Bucket Key', async () => {
    answer = { status: 200, body: '', headers: { etag: '"e1"' } };
    const store = new S3ObjectStore({ client, bucket: 'lake', kmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/k-1' });
    expect(await store.put('k', bytes('x'))).toEqual({ etag: '"e1"' });
    expect(lastRequest().headers['x-amz-server-side-encryption']).toBe('aws:kms');
    expect(lastRequest().headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(
      'arn:aws:kms:us-east-1:111111111111:key/k-1',
    );
    expect(lastRequest().headers['x-amz-server-side-encryption-bucket-key-enabled']).toBe('true');
  });

  it('sends no encryption or condition headers when none are configured', async () => {
    answer = { status: 200, body: '', headers: { etag: '"e2"' } };
    const store = new S3ObjectStore({ client, bucket: 'lake' });
    await store.put('k', bytes('x'));
    const headers = lastRequest().headers;
    expect(headers['x-amz-server-side-encryption']).toBeUndefined();
    expect(headers['if-match']).toBeUndefined();
    expect(headers['if-none-match']).toBeUndefined();
  });

  it('deletes in DeleteObjects batches of at most 1000 keys', async () => {
    answer = { status: 200, body: '<?xml version="1.0" encoding="UTF-8"?><DeleteResult></DeleteResult>' };
    const store = new S3ObjectStore({ client, bucket: 'lake' });
    const before = requests.length;
    await store.delete(Array.from({ length: 2_345 }, (_, i) => `k/${i}`));
    const batches = requests.slice(before);
    expect(batches.map((r) => r.method)).toEqual(['POST', 'POST', 'POST']);
    expect(batches.every((r) => r.url.includes('delete'))).toBe(true);
    expect(batches.map((r) => r.body.match(/<Key>/g)?.length)).toEqual([1000, 1000, 345]);
  });

  it('fails when DeleteObjects reports keys it could not delete', async () => {
    answer = {
      status: 200,
      body: '<?xml version="1.0" encoding="UTF-8"?><DeleteResult><Error><Key>k/1</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>',
    };
    const store = new S3ObjectStore({ client, bucket: 'lake' });
    await expect(store.delete(['k/1', 'k/2'])).rejects.toThrow(/1 key\(s\): k\/1: AccessDenied/);
  });
});
