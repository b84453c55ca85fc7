// Storing raw responses so that replay can always rebuild what the syncs wrote. Sync merges every response into
// the month objects by natural key and never deletes a row, so the lake is the fold of every response ever
// fetched, in fetch order. A stored response may therefore disappear (be overwritten or deleted) only when a
// response fetched later yields every row key it yields: then it can no longer change the fold. Everything else
// stays, under a key of its own if need be (docs/decisions/0008-raw-keyed-by-window.md).

import type { ObjectStore } from '../core/ports.ts';
import {
  decodeRawRecord,
  encodeRawRecord,
  type RawRecord,
  variantRawKey,
  windowOfRecord,
} from '../core/raw-records.ts';
import { naturalKeyOf, TABLE_NAMES, type TableRows, tableDef } from '../core/schema-registry.ts';

/** The row keys (`<table> <natural key>`) a response gives the fold. */
export type RowKeys = ReadonlySet<string>;
/** The row keys of a stored response: the rows it decodes to now (none when it does not decode). */
export type RowKeysOf = (raw: RawRecord) => RowKeys;

export function rowKeysOf(rows: TableRows): Set<string> {
  const out = new Set<string>();
  for (const t of TABLE_NAMES) {
    const list = rows[t];
    if (!list) continue;
    const def = tableDef(t);
    for (const r of list) out.add(`${t}\u0002${naturalKeyOf(def, r)}`);
  }
  return out;
}

function isSubset(a: RowKeys, b: RowKeys): boolean {
  for (const k of a) if (!b.has(k)) return false;
  return true;
}

function readRecord(body: Uint8Array, key: string): RawRecord | undefined {
  try {
    return decodeRawRecord(body, key);
  } catch {
    return undefined; // not a raw record at all: it gives the fold nothing
  }
}

/**
 * One fetch: a window's pages, a workout list's pages or one workout's detail, and the row keys they yield (asked
 * for only when something stored might be replaced: a back-fill never needs them).
 */
export interface RawFetch {
  records: readonly RawRecord[];
  keys: () => RowKeys;
}

/** `compute` run once, on the first call. */
export function once<T>(compute: () => T): () => T {
  let value: { v: T } | undefined;
  return () => {
    value ??= { v: compute() };
    return value.v;
  };
}

/**
 * Stores a fetch's responses. Each goes under its own key unless a different response is stored there that
 * yields a row the fetch does not: then the whole fetch goes under variant keys (`~<fetchedAt>`), and both stay.
 * A response already stored byte for byte is not written again. Returns the records with the keys they are under.
 */
export async function storeRawFetch(store: ObjectStore, fetch: RawFetch, keysOf: RowKeysOf): Promise<RawRecord[]> {
  const writes: RawRecord[] = [];
  let keepOld = false;
  for (const raw of fetch.records) {
    const existing = await store.get(raw.key);
    const old = existing ? readRecord(existing.body, raw.key) : undefined;
    if (old && old.text === raw.text && old.status === raw.status && old.url === raw.url) continue;
    if (old && !isSubset(keysOf(old), fetch.keys())) keepOld = true;
    writes.push(raw);
  }
  const stored = keepOld
    ? fetch.records.map((r) => ({ ...r, key: variantRawKey(r.key, r.fetchedAt) }))
    : [...fetch.records];
  const toWrite = keepOld ? stored : writes;
  for (const raw of toWrite) await store.put(raw.key, encodeRawRecord(raw), { contentType: 'application/gzip' });
  return stored;
}

function within(inner: { from: string; to: string }, outer: { from: string; to: string }): boolean {
  return inner.from >= outer.from && inner.to <= outer.to;
}

/**
 * Deletes the stored responses of the same endpoint and month that a windowed fetch has made redundant: fetched
 * no later, for a window inside the fetch's, yielding no row key the fetch does not yield (so an empty or cut
 * answer never removes one with data). Call it only once the fetch is stored and its rows are in the lake.
 * Keeps raw/ from growing by a copy of the current month every day. Returns the keys deleted.
 */
export async function removeSupersededRaw(store: ObjectStore, fetch: RawFetch, keysOf: RowKeysOf): Promise<string[]> {
  const first = fetch.records[0];
  const window = first ? windowOfRecord(first) : undefined;
  if (!first || !window) return [];
  const fetchedAt = Math.max(...fetch.records.map((r) => r.fetchedAt));
  // `.../user-<id>/<YYYY-MM>` lists the month's folder and the month-named keys of older lakes alike.
  const userPrefix = first.key.slice(0, first.key.indexOf('/', first.key.indexOf('/user-') + 1) + 1);
  const own = new Set(fetch.records.map((r) => r.key));
  const redundant: string[] = [];
  for (const key of await store.list(`${userPrefix}${window.from.slice(0, 7)}`)) {
    if (own.has(key)) continue;
    const obj = await store.get(key);
    const old = obj ? readRecord(obj.body, key) : undefined;
    const oldWindow = old ? windowOfRecord(old) : undefined;
    if (!old || !oldWindow || old.endpoint !== first.endpoint || old.fetchedAt > fetchedAt) continue;
    if (within(oldWindow, window) && isSubset(keysOf(old), fetch.keys())) redundant.push(key);
  }
  if (redundant.length > 0) await store.delete(redundant);
  return redundant;
}
