// What one fetch decodes to, before and after raw/ is written: the decode decides whether a stored response may be
// replaced (raw-store.ts), and the rows it yields are counted per table and per day for the ledger.

import { STREAM_TABLES, type StreamName } from '../core/ports.ts';
import type { RawRecord } from '../core/raw-records.ts';
import type { TableRows } from '../core/schema-registry.ts';
import type { DecodedRaw } from '../sources/source.ts';
import { decodeRaw, type SourceDecodeContext } from './decode-raw.ts';
import { type RowKeysOf, rowKeysOf } from './raw-store.ts';

/** A response decoded, or what its decoder threw. */
export type Decoded = { out: DecodedRaw; err?: undefined } | { out?: undefined; err: unknown };

export function decodeOrError(raw: RawRecord, ctx: SourceDecodeContext): Decoded {
  try {
    return { out: decodeRaw(raw, ctx) };
  } catch (err) {
    return { err };
  }
}

/** The row keys the decoded responses of one fetch yield. */
export function keysOfDecoded(decoded: readonly Decoded[]): Set<string> {
  const keys = new Set<string>();
  for (const d of decoded) for (const k of d.out ? rowKeysOf(d.out.rows) : []) keys.add(k);
  return keys;
}

/** The row keys a stored response yields under the window's decode context (none when it does not decode). */
export function keysAt(ctx: SourceDecodeContext): RowKeysOf {
  return (raw) => {
    try {
      return rowKeysOf(decodeRaw(raw, ctx).rows);
    } catch {
      return new Set();
    }
  };
}

export function countRows(rows: TableRows): number {
  let n = 0;
  for (const list of Object.values(rows)) n += list?.length ?? 0;
  return n;
}

/** Rows of the stream's tables per local date. */
export function rowsPerDay(stream: StreamName, rows: TableRows): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of STREAM_TABLES[stream]) {
    for (const r of rows[t] ?? []) {
      const d = r.local_date as string;
      out.set(d, (out.get(d) ?? 0) + 1);
    }
  }
  return out;
}
