// Merging rows into a month object: by natural key, newer rows win, output sorted by the natural key so
// that the same set of rows always produces the same bytes.

import { type Cell, naturalKeyOf, type Row, type TableDef } from './schema-registry.ts';

function compareCells(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function compareByKey(def: TableDef): (a: Row, b: Row) => number {
  const keys = def.naturalKey;
  return (a, b) => {
    for (const k of keys) {
      const c = compareCells(a[k] ?? null, b[k] ?? null);
      if (c !== 0) return c;
    }
    return 0;
  };
}

/** Existing rows updated by incoming ones (incoming wins on the same natural key); sorted by the key. */
export function mergeRows(def: TableDef, existing: readonly Row[], incoming: readonly Row[]): Row[] {
  const byKey = new Map<string, Row>();
  for (const r of existing) byKey.set(naturalKeyOf(def, r), r);
  for (const r of incoming) byKey.set(naturalKeyOf(def, r), r);
  const merged = [...byKey.values()];
  // Decoders emit rows in time order and a month object is stored sorted, so the merge of a back-fill or of a
  // later window is usually in order already: one pass to check costs far less than the sort.
  const compare = compareByKey(def);
  for (let i = 1; i < merged.length; i++) {
    if (compare(merged[i - 1] as Row, merged[i] as Row) > 0) return merged.sort(compare);
  }
  return merged;
}

/** True when two rows hold the same value in every column of the table. */
export function sameRow(def: TableDef, a: Row, b: Row): boolean {
  for (const c of def.columns) {
    if ((a[c.name] ?? null) !== (b[c.name] ?? null)) return false;
  }
  return true;
}

/** Groups rows by the month (YYYY-MM) of their partition date. */
export function groupByMonth(def: TableDef, rows: readonly Row[]): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rows) {
    const d = r[def.partitionFrom];
    if (typeof d !== 'string' || d.length < 7) {
      throw new Error(`row of ${def.name} has no valid ${def.partitionFrom}: ${String(d)}`);
    }
    const m = d.slice(0, 7);
    const list = out.get(m);
    if (list) list.push(r);
    else out.set(m, [r]);
  }
  return out;
}
