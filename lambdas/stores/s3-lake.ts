// The lake on S3: the ObjectStore port over one bucket.
//
// Conditional writes use S3's own If-Match / If-None-Match on PutObject, which S3 enforces atomically; a lost
// race comes back as 412 PreconditionFailed (or 409 ConditionalRequestConflict when two conditional writes
// overlap) and is reported as WriteConflictError. We do not emulate the check with a HEAD before the PUT:
// that would not be atomic and would hide the race it claims to catch. Consequence for local runs: the S3
// stand-in used by the tests (fauxqs 1.9.2) ignores these headers, so there conflicts are NOT detected; the
// adapter tests prove instead that the headers are sent and that the 412/409 answers map to WriteConflictError.

import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { WriteConflictError } from '../core/errors.ts';
import type { ObjectStore, PutOptions, StoredObject } from '../core/ports.ts';

/** DeleteObjects accepts at most this many keys per request. */
const DELETE_BATCH = 1000;

export interface S3ObjectStoreOptions {
  client: S3Client;
  bucket: string;
  /** When set, every put is SSE-KMS with this key and an S3 Bucket Key (fewer KMS calls, lower cost). */
  kmsKeyId?: string;
  /** Keys per ListObjectsV2 page (S3's maximum and default is 1000); smaller values are for tests. */
  listPageSize?: number;
}

/** An S3 request that failed; names the operation, bucket and key, never a body. */
export class S3StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'S3StoreError';
  }
}

function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NoSuchKey' || error.name === 'NotFound' || statusOf(error) === 404)
  );
}

function isConditionFailure(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  const status = statusOf(error);
  return (
    error.name === 'PreconditionFailed' ||
    error.name === 'ConditionalRequestConflict' ||
    status === 412 ||
    status === 409
  );
}

export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly kmsKeyId: string | undefined;
  private readonly listPageSize: number;

  constructor(options: S3ObjectStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.kmsKeyId = options.kmsKeyId;
    this.listPageSize = options.listPageSize ?? 1000;
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) throw new S3StoreError(`GetObject s3://${this.bucket}/${key} returned no body`);
      if (!out.ETag) throw new S3StoreError(`GetObject s3://${this.bucket}/${key} returned no ETag`);
      return { body: await out.Body.transformToByteArray(), etag: out.ETag };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if (error instanceof S3StoreError) throw error;
      throw new S3StoreError(`GetObject s3://${this.bucket}/${key} failed: ${describe(error)}`, { cause: error });
    }
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<{ etag: string }> {
    const input: PutObjectCommandInput = {
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ContentLength: body.byteLength,
      ContentType: options.contentType ?? 'application/octet-stream',
    };
    if (options.ifMatch !== undefined) input.IfMatch = options.ifMatch;
    if (options.ifNoneMatch) input.IfNoneMatch = '*';
    if (this.kmsKeyId !== undefined) {
      input.ServerSideEncryption = 'aws:kms';
      input.SSEKMSKeyId = this.kmsKeyId;
      input.BucketKeyEnabled = true;
    }
    const conditional = options.ifMatch !== undefined || options.ifNoneMatch === true;
    try {
      const out = await this.client.send(new PutObjectCommand(input));
      if (!out.ETag) throw new S3StoreError(`PutObject s3://${this.bucket}/${key} returned no ETag`);
      return { etag: out.ETag };
    } catch (error) {
      // With If-Match, a missing object means the version we read is gone: that is a lost race as well.
      if (conditional && (isConditionFailure(error) || (options.ifMatch !== undefined && isNotFound(error)))) {
        throw new WriteConflictError(`conditional write of s3://${this.bucket}/${key} lost: ${describe(error)}`, {
          cause: error,
        });
      }
      if (error instanceof S3StoreError) throw error;
      throw new S3StoreError(`PutObject s3://${this.bucket}/${key} failed: ${describe(error)}`, { cause: error });
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.client
        .send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            MaxKeys: this.listPageSize,
            ContinuationToken: continuationToken,
          }),
        )
        .catch((error: unknown) => {
          throw new S3StoreError(`ListObjectsV2 s3://${this.bucket}/${prefix} failed: ${describe(error)}`, {
            cause: error,
          });
        });
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
    // S3 already lists in UTF-8 byte order; sorting again keeps the port's promise for any stand-in.
    return keys.sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const out = await this.client
        .send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        )
        .catch((error: unknown) => {
          throw new S3StoreError(`DeleteObjects in s3://${this.bucket} failed: ${describe(error)}`, { cause: error });
        });
      // DeleteObjects answers 200 even when single keys fail; those come back in Errors.
      const failures = out.Errors ?? [];
      if (failures.length > 0) {
        const sample = failures
          .slice(0, 3)
          .map((f) => `${f.Key}: ${f.Code}`)
          .join(', ');
        throw new S3StoreError(`DeleteObjects in s3://${this.bucket} failed for ${failures.length} key(s): ${sample}`);
      }
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof S3ServiceException) return `${error.name} (HTTP ${error.$metadata.httpStatusCode ?? '?'})`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
