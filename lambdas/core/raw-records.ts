// Raw vendor responses as stored under raw/: gzip JSON holding the exact response text plus where and
// when it came from. `replay` rebuilds every table from these without calling the API.
//
// A windowed response is keyed by the window actually fetched, `raw/<source>/<endpoint>/user-<id>/<YYYY-MM>/
// <from>_<to>.json.gz` (later pages `.p2`...), so a narrower fetch never lands on a wider one's key
// (docs/decisions/0008-raw-keyed-by-window.md). Lakes written before hold month-named keys (`<YYYY-MM>.json.gz`,
// with the window in `params`): everything here reads both.

import { gunzipSync, gzipSync } from 'node:zlib';
import type { SourceId } from './ports.ts';
import { assertValidUserId } from './user-id.ts';

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

/** The name (rawKey's `name`) of a window's response: `<YYYY-MM>/<from>_<to>`, page 2 on `.p<page>`. */
export function windowRawName(w: { month: string; from: string; to: string }, page = 1): string {
  return `${w.month}/${w.from}_${w.to}${page > 1 ? `.p${page}` : ''}`;
}

/**
 * The key a response gets when the one stored under its own key must stay (it holds rows the new one lacks):
 * the fetch time is added to the name, before the page suffix (`..._<to>~<fetchedAt>.p2.json.gz`).
 */
export function variantRawKey(key: string, fetchedAt: number): string {
  const m = /^(.*?)((?:\.p\d+)?\.json\.gz)$/.exec(key);
  if (!m) throw new Error(`not a raw object key: ${key}`);
  return `${m[1]}~${fetchedAt}${m[2]}`;
}

/** The window a windowed response was fetched for (from its params, in new and month-named records alike). */
export function windowOfRecord(raw: RawRecord): { from: string; to: string } | undefined {
  const from = raw.params?.from;
  const to = raw.params?.to;
  return typeof from === 'string' && typeof to === 'string' ? { from, to } : undefined;
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
