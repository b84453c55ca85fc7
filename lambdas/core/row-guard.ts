// The last check a decoder makes before it hands rows to the engine: every cell must fit its registry
// column (the Parquet writer would otherwise fail a whole month object, or Athena would read garbage).
// A value the vendor sent that cannot be stored is a malformed payload, named by table and column, so the
// day lands in the ledger as failed instead of as a row with an impossible value.

import { MalformedPayloadError } from './errors.ts';
import { type ColumnDef, type Row, type TableName, type TableRows, tableDef } from './schema-registry.ts';

/**
 * The instants the lake accepts: from the Unix epoch (a device with an unset clock says 1970, which is still
 * storable and visibly wrong) to 2100. Outside, a date needs a 5-digit or negative year and breaks partitions.
 */
export const EARLIEST_MS = 0;
export const LATEST_MS = Date.UTC(2100, 0, 1);
const EARLIEST_DATE = '1969-12-31'; // a local date one day either side of the instants, for UTC offsets
const LATEST_DATE = '2100-01-01';
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
/** Equal to no cell. */
const NOT_YET = Symbol('not yet');
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `ms` is an instant in epoch ms the lake can hold. */
export function isSaneMs(ms: unknown): ms is number {
  return Number.isSafeInteger(ms) && (ms as number) >= EARLIEST_MS && (ms as number) < LATEST_MS;
}

/** An instant in epoch ms the lake can hold; anything else is malformed and names `field`. */
export function saneMs(ms: number, field: string): number {
  if (!isSaneMs(ms)) {
    throw new MalformedPayloadError(field, `time ${String(ms).slice(0, 24)} ms is outside 1970-01-01..2100-01-01`);
  }
  return ms;
}

/** Why `value` does not fit `column`, or undefined when it does. */
function misfit(column: ColumnDef, value: unknown): string | undefined {
  if (value === null || value === undefined) return column.nullable ? undefined : 'is missing';
  switch (column.type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'is not a string';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'is not a boolean';
    case 'date':
      return typeof value === 'string' && DATE.test(value) && value >= EARLIEST_DATE && value <= LATEST_DATE
        ? undefined
        : 'is not a date in 1970..2100';
    case 'int':
      return Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX
        ? undefined
        : 'is not a 32-bit integer';
    case 'bigint':
      return Number.isSafeInteger(value) ? undefined : 'is not a safe integer';
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'is not a finite number';
    case 'timestamp':
      return isSaneMs(value) ? undefined : 'is not a time in 1970..2100';
  }
}

/** Throws MalformedPayloadError (`<table>.<column>`) at the first cell that does not fit; returns `rows`. */
export function assertRowsFit<T extends TableRows>(rows: T): T {
  for (const [table, list] of Object.entries(rows) as [TableName, Row[] | undefined][]) {
    if (!list || list.length === 0) continue;
    // Column by column, remembering the last value that fitted: a year of minutes is ~500k rows whose user,
    // date, device and source repeat, so the date pattern runs once per day instead of once per minute.
    for (const column of tableDef(table).columns) {
      const name = column.name;
      let lastFit: unknown = NOT_YET;
      for (let i = 0; i < list.length; i++) {
        const value = (list[i] as Row)[name];
        if (value === lastFit) continue;
        const problem = misfit(column, value);
        if (problem !== undefined) {
          const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value).slice(0, 40);
          throw new MalformedPayloadError(`${table}.${name}`, `${shown} ${problem} (row ${i})`);
        }
        lastFit = value;
      }
    }
  }
  return rows;
}
