// Raw vendor responses as stored under raw/: gzip JSON holding the exact response text plus where and
// when it came from. `replay` rebuilds every table from these without calling the API.

import { gunzipSync, gzipSync } from 'node:zlib';
import type { ObjectStore, SourceId } from '../core/ports.ts';
import { assertValidUserId } from '../core/user-id.ts';

export interface RawRecord {
  source: SourceId;
  /** band_data, workout_history, workout_detail, events/<eventType>, or a huami-open resource */
  endpoint: string;
  userId: string;
  /** raw/<source>/<endpoint>/user-<id>/<name>.json.gz */
  key: string;
  /** Path and query, never a token. */
  url: string;
  status: number;
  fetchedAt: number;
  /** The exact response body. */
  text: string;
  /** What the engine asked for (window, trackid...), used when decoding. */
  params?: Record<string, string | number>;
}

export function rawKey(source: SourceId, endpoint: string, userId: string, name: string): string {
  assertValidUserId(userId); // the id is a path segment of the key
  return `raw/${source}/${endpoint}/user-${userId}/${name}.json.gz`;
}

export function encodeRawRecord(raw: RawRecord): Uint8Array {
  // mtime 0 in the gzip header (Node writes 0) keeps the bytes a pure function of the record.
  return new Uint8Array(gzipSync(Buffer.from(JSON.stringify(raw)), { level: 6 }));
}

export function decodeRawRecord(bytes: Uint8Array, key: string): RawRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(gunzipSync(bytes).toString('utf8'));
  } catch (err) {
    throw new Error(`raw object ${key} is not gzip JSON`, { cause: err });
  }
  const r = parsed as Partial<RawRecord>;
  if (typeof r.text !== 'string' || typeof r.endpoint !== 'string' || typeof r.userId !== 'string') {
    throw new Error(`raw object ${key} lacks text/endpoint/userId`);
  }
  return { ...(r as RawRecord), key };
}

/** Stores a raw record; an identical response already stored under the key is kept (with its first fetch time). */
export async function putRawRecord(store: ObjectStore, raw: RawRecord): Promise<void> {
  const existing = await store.get(raw.key);
  if (existing) {
    try {
      const old = decodeRawRecord(existing.body, raw.key);
      if (old.text === raw.text && old.status === raw.status && old.url === raw.url) return;
    } catch {
      // An unreadable old object is simply replaced.
    }
  }
  await store.put(raw.key, encodeRawRecord(raw), { contentType: 'application/gzip' });
}
