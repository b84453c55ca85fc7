// Writes decoded rows into the month objects of the lake: read the object, merge by natural key, write the
// whole object back with a conditional write. Same rows in -> same bytes -> no write at all.

import { WriteConflictError } from '../core/errors.ts';
import { compareByKey, groupByMonth, mergeRows } from '../core/merge.ts';
import { type ObjectStore, STREAM_TABLES, STREAMS } from '../core/ports.ts';
import {
  monthObjectKey,
  naturalKeyOf,
  type Row,
  TABLE_NAMES,
  type TableName,
  type TableRows,
  tableDef,
} from '../core/schema-registry.ts';
import { addDays } from '../core/time.ts';
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

/**
 * Tables whose rows get their local date from a timestamp and the person's time zone as known when they are
 * written (the band stream's rows carry the vendor's own day; the ledger names its day).
 */
const PLACED_BY_TIME_ZONE: ReadonlySet<TableName> = new Set(
  STREAMS.filter((s) => s !== 'band').flatMap((s) => STREAM_TABLES[s]),
);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.length === b.length &&
    Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0
  );
}

/**
 * Reads a month object, applies `change` to its rows (undefined: the object is absent) and writes the result back
 * over what was read (a conditional write, read again and re-applied when another writer got there first).
 * `change` answering undefined, or the same bytes, writes nothing.
 */
async function updateMonthObject(
  lake: { store: ObjectStore; codec: ParquetCodec },
  target: { table: TableName; key: string; result: LakeWriteResult },
  change: (current: Row[] | undefined) => Row[] | undefined,
): Promise<void> {
  const { store, codec } = lake;
  const { table, key, result } = target;
  for (let attempt = 0; ; attempt++) {
    const existing = await store.get(key);
    const rows = change(existing ? await codec.read(table, existing.body) : undefined);
    if (!rows) return;
    const bytes = await codec.write(table, rows);
    if (existing && sameBytes(existing.body, bytes)) {
      result.objectsUnchanged++;
      return;
    }
    try {
      await store.put(key, bytes, existing ? { ifMatch: existing.etag } : { ifNoneMatch: true });
      result.objectsWritten++;
      return;
    } catch (err) {
      // Another writer changed the object between our read and write: read again and re-merge.
      if (!(err instanceof WriteConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw err;
      result.conflictsRetried++;
    }
  }
}

/**
 * A row keeps one place. One written on a month's first (last) day may have been written before on the previous
 * (next) month's last (first) day, by a sync that did not know yet that the time zone changed at midnight (it had
 * fetched that one day alone): that copy, same natural key, goes. Only the month's edge days can move across it, so
 * only their keys are looked for, and only in the neighbour month's object.
 */
async function dropCopiesAcrossMonthEdge(
  lake: { store: ObjectStore; codec: ParquetCodec },
  written: { table: TableName; month: string; userId: string; rows: readonly Row[] },
  result: LakeWriteResult,
): Promise<void> {
  const def = tableDef(written.table);
  const first = `${written.month}-01`;
  const last = addDays(addDays(first, 32).slice(0, 7).concat('-01'), -1);
  const edges = [
    { day: first, neighbour: addDays(first, -1).slice(0, 7) },
    { day: last, neighbour: addDays(last, 1).slice(0, 7) },
  ];
  for (const { day, neighbour } of edges) {
    const keys = new Set(written.rows.filter((r) => r[def.partitionFrom] === day).map((r) => naturalKeyOf(def, r)));
    if (keys.size === 0) continue;
    const key = monthObjectKey(written.table, neighbour, written.userId);
    await updateMonthObject(lake, { table: written.table, key, result }, (current) => {
      const kept = current?.filter((r) => !keys.has(naturalKeyOf(def, r)));
      return kept && kept.length < (current?.length ?? 0) ? kept : undefined;
    });
  }
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
      await updateMonthObject({ store, codec }, { table, key, result }, (current) =>
        mergeRows(def, current ?? [], monthRows),
      );
      if (PLACED_BY_TIME_ZONE.has(table))
        await dropCopiesAcrossMonthEdge({ store, codec }, { table, month, userId, rows: monthRows }, result);
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
