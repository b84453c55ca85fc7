// The pure heart of `npx zepp-lake decode <endpoint> FILE`: picks the decoder for an app-API payload and
// returns its rows in a stable order (table name, then natural key), so the output is diffable.

import { MalformedPayloadError } from '../../core/errors.ts';
import type { DecodeContext } from '../../core/ports.ts';
import { type Cell, type Row, type TableName, type TableRows, tableDef } from '../../core/schema-registry.ts';
import { isObject, type JsonObject } from '../../core/vendor-values.ts';
import { decodeBandDataResponse, decodeBandDay } from './decode-band-data.ts';
import { decodeEvents } from './decode-events.ts';
import { decodeWorkoutDetail, decodeWorkoutHistory } from './decode-workouts.ts';

export const DECODE_ENDPOINTS = ['band-data', 'workout-history', 'workout-detail', 'events'] as const;
export type DecodeEndpoint = (typeof DECODE_ENDPOINTS)[number];

export interface DecodePayloadOptions {
  /** The lake user id; default: the payload's `uid` / `userId`, or 'unknown' (workouts carry none). */
  userId?: string;
  /** workout-detail: the history item (or a whole history response holding it) for the workout row. */
  summary?: unknown;
}

const UNKNOWN_USER = 'unknown';

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) {
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return undefined;
}

function userIdFromPayload(endpoint: DecodeEndpoint, body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  if (endpoint === 'band-data') {
    const first = Array.isArray(body.data) ? (body.data[0] as unknown) : undefined;
    return firstString(body.uid, isObject(first) ? first.uid : undefined);
  }
  if (endpoint === 'events') {
    const first = Array.isArray(body.items) ? (body.items[0] as unknown) : undefined;
    return firstString(body.userId, isObject(first) ? first.userId : undefined);
  }
  return undefined;
}

/** The history item for `trackid` out of an item or a whole history response. */
function summaryItemFor(summary: unknown, detail: unknown): unknown {
  if (!isObject(summary) || !isObject(summary.data) || !Array.isArray(summary.data.summary)) return summary;
  const items = summary.data.summary as unknown[];
  const data = isObject(detail) && isObject(detail.data) ? detail.data : (detail as JsonObject);
  const trackid = isObject(data) ? String(data.trackid) : undefined;
  const match = items.find((item) => isObject(item) && String(item.trackid) === trackid);
  if (match === undefined) throw new MalformedPayloadError('summary', `no history item for trackid ${trackid}`);
  return match;
}

function decodeTables(endpoint: DecodeEndpoint, body: unknown, ctx: DecodeContext, summary: unknown): TableRows {
  switch (endpoint) {
    case 'band-data': {
      if (isObject(body) && !('code' in body) && 'date_time' in body) return decodeBandDay(body, ctx);
      // The whole response as sync decodes it; the command refuses it when any day does not decode.
      const merged: TableRows = {};
      for (const day of decodeBandDataResponse(body, ctx).days) {
        for (const [table, rows] of Object.entries(day.rows) as [TableName, Row[]][]) {
          const list = merged[table] ?? [];
          for (const row of rows) list.push(row);
          merged[table] = list;
        }
      }
      return merged;
    }
    case 'workout-history':
      return { workout: decodeWorkoutHistory(body, ctx).rows };
    case 'workout-detail':
      return decodeWorkoutDetail(body, summary === undefined ? undefined : summaryItemFor(summary, body), ctx);
    case 'events':
      return decodeEvents(body, ctx);
    default:
      throw new RangeError(`unknown endpoint ${String(endpoint)}; known: ${DECODE_ENDPOINTS.join(', ')}`);
  }
}

function compareCells(a: Cell | undefined, b: Cell | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/** Decodes one payload of `endpoint` into rows ordered by table name, then natural key. */
export function decodePayload(
  endpoint: DecodeEndpoint,
  body: unknown,
  opts: DecodePayloadOptions = {},
): { table: TableName; row: Row }[] {
  const userId = opts.userId ?? userIdFromPayload(endpoint, body) ?? UNKNOWN_USER;
  const ctx: DecodeContext = { userId, source: 'zepp', tzOffsetAt: undefined };
  const tables = decodeTables(endpoint, body, ctx, opts.summary);
  const out: { table: TableName; row: Row }[] = [];
  for (const table of (Object.keys(tables) as TableName[]).sort()) {
    const key = tableDef(table).naturalKey;
    const rows = [...(tables[table] ?? [])].sort((a, b) => {
      for (const k of key) {
        const c = compareCells(a[k], b[k]);
        if (c !== 0) return c;
      }
      return 0;
    });
    for (const row of rows) out.push({ table, row });
  }
  return out;
}
