// Writes decoded rows into the month objects of the lake: read the object, merge by natural key, write the
// whole object back with a conditional write. Same rows in -> same bytes -> no write at all.

import { WriteConflictError } from '../core/errors.ts';
import { compareByKey, groupByMonth, mergeRows } from '../core/merge.ts';
import type { ObjectStore } from '../core/ports.ts';
import {
  monthObjectKey,
  type Row,
  TABLE_NAMES,
  type TableName,
  type TableRows,
  tableDef,
} from '../core/schema-registry.ts';
import { assertValidUserId } from '../core/user-id.ts';

/**
 * The Parquet codec, injected so the engine does not pick the writer. It may answer with a promise: the Lambdas
 * load the writer and its WebAssembly on first use, so that a cold start that writes nothing does not pay for them.
 */
export interface ParquetCodec {
  write(table: TableName, rows: readonly Row[]): Uint8Array | Promise<Uint8Array>;
  read(table: TableName, bytes: Uint8Array): Row[] | Promise<Row[]>;
}

export interface LakeWriteResult {
  objectsWritten: number;
  objectsUnchanged: number;
  rowsIn: number;
  conflictsRetried: number;
}

const MAX_CONFLICT_RETRIES = 5;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.length === b.length &&
    Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0
  );
}

export async function writeTableRows(
  store: ObjectStore,
  codec: ParquetCodec,
  userId: string,
  rows: TableRows,
): Promise<LakeWriteResult> {
  assertValidUserId(userId); // the id is part of every object key written below
  const result: LakeWriteResult = { objectsWritten: 0, objectsUnchanged: 0, rowsIn: 0, conflictsRetried: 0 };
  for (const table of TABLE_NAMES) {
    const list = rows[table];
    if (!list || list.length === 0) continue;
    const def = tableDef(table);
    for (const r of list) {
      if (r.user_id !== userId) throw new Error(`row of ${table} belongs to user ${String(r.user_id)}, not ${userId}`);
    }
    result.rowsIn += list.length;
    for (const [month, monthRows] of groupByMonth(def, list)) {
      const key = monthObjectKey(table, month, userId);
      for (let attempt = 0; ; attempt++) {
        const existing = await store.get(key);
        const merged = mergeRows(def, existing ? await codec.read(table, existing.body) : [], monthRows);
        const bytes = await codec.write(table, merged);
        if (existing && sameBytes(existing.body, bytes)) {
          result.objectsUnchanged++;
          break;
        }
        try {
          await store.put(key, bytes, existing ? { ifMatch: existing.etag } : { ifNoneMatch: true });
          result.objectsWritten++;
          break;
        } catch (err) {
          // Another writer changed the object between our read and write: read again and re-merge.
          if (!(err instanceof WriteConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw err;
          result.conflictsRetried++;
        }
      }
    }
  }
  return result;
}

/** Where month objects live and how they are encoded. */
export interface MonthObjects {
  store: ObjectStore;
  codec: ParquetCodec;
}

/** One month object: a table's rows of one user in one month. */
export interface MonthObjectRef {
  table: TableName;
  month: string;
  userId: string;
}

export type ReplaceOutcome = 'written' | 'unchanged' | 'emptied' | 'absent';

/**
 * Replaces one month object with `rows` (unique by natural key) plus the rows of the current object that `keep`
 * accepts (`null`: none, so the current object is not even decoded), `rows` winning on the same natural key, by a
 * conditional write over the object read: it is never deleted first, so a reader (or a crash) sees the old object
 * or the new one. An object left with no row is not written: `emptied` (the caller deletes it once everything
 * else is written) or `absent`.
 */
export async function replaceMonthObject(
  lake: MonthObjects,
  target: MonthObjectRef,
  rows: readonly Row[],
  keep: ((row: Row) => boolean) | null,
): Promise<ReplaceOutcome> {
  const { store, codec } = lake;
  const { table, month, userId } = target;
  const def = tableDef(table);
  const key = monthObjectKey(table, month, assertValidUserId(userId));
  for (let attempt = 0; ; attempt++) {
    const existing = await store.get(key);
    const kept = existing && keep ? (await codec.read(table, existing.body)).filter(keep) : [];
    const merged = kept.length === 0 ? [...rows].sort(compareByKey(def)) : mergeRows(def, kept, rows);
    if (merged.length === 0) return existing ? 'emptied' : 'absent';
    const bytes = await codec.write(table, merged);
    if (existing && sameBytes(existing.body, bytes)) return 'unchanged';
    try {
      await store.put(key, bytes, existing ? { ifMatch: existing.etag } : { ifNoneMatch: true });
      return 'written';
    } catch (err) {
      if (!(err instanceof WriteConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw err;
    }
  }
}

/** Reads one month object of a user, [] when it does not exist. */
export async function readMonthRows(lake: MonthObjects, target: MonthObjectRef): Promise<Row[]> {
  const obj = await lake.store.get(monthObjectKey(target.table, target.month, target.userId));
  return obj ? await lake.codec.read(target.table, obj.body) : [];
}
