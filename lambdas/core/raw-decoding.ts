// What every source's raw decoder shares: a raw record's body read as JSON, the rows of several decodes joined,
// and a decoder's failure in words for a reject. Pure.

import { MalformedPayloadError } from './errors.ts';
import type { RawRecord } from './raw-records.ts';
import { TABLE_NAMES, type TableRows } from './schema-registry.ts';

export function appendRows(into: TableRows, from: TableRows): void {
  for (const t of TABLE_NAMES) {
    const rows = from[t];
    if (!rows || rows.length === 0) continue;
    const list = into[t];
    if (list) for (const r of rows) list.push(r);
    else into[t] = [...rows];
  }
}

export function parseRawBody(raw: RawRecord): unknown {
  try {
    return JSON.parse(raw.text);
  } catch (err) {
    throw new MalformedPayloadError(raw.endpoint, `response is not JSON (${raw.text.length} bytes)`, { cause: err });
  }
}

export function errorMessageOf(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
