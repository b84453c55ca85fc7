// Decodes a stored raw record with the decoder of its source and endpoint. Used by sync and by replay,
// so a replay gives exactly the tables a sync gave.

import { decodeBandDay } from '../core/decode-band-data.ts';
import { decodeEvents } from '../core/decode-events.ts';
import { decodeWorkoutDetail, decodeWorkoutHistory } from '../core/decode-workouts.ts';
import { AuthExpiredError, MalformedPayloadError } from '../core/errors.ts';
import type { DecodeContext } from '../core/ports.ts';
import { TABLE_NAMES, type TableRows } from '../core/schema-registry.ts';
import type { RawRecord } from './raw-records.ts';
import type { DecodedRaw, RawDecoder } from './source.ts';

export function appendRows(into: TableRows, from: TableRows): void {
  for (const t of TABLE_NAMES) {
    const rows = from[t];
    if (!rows || rows.length === 0) continue;
    const list = into[t];
    if (list) for (const r of rows) list.push(r);
    else into[t] = [...rows];
  }
}

function parseBody(raw: RawRecord): unknown {
  try {
    return JSON.parse(raw.text);
  } catch (err) {
    throw new MalformedPayloadError(raw.endpoint, `response is not JSON (${raw.text.length} bytes)`, { cause: err });
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** band_data: each day decoded on its own, so one bad day is a reject and the rest of the month lands. */
function decodeZeppBandData(raw: RawRecord, ctx: DecodeContext): DecodedRaw {
  const body = parseBody(raw) as { code?: unknown; data?: unknown };
  const code = Number(body?.code);
  if (code === 0 || code === 100302) throw new AuthExpiredError('band_data: the app token was rejected');
  if (code !== 1) throw new MalformedPayloadError('code', `band_data answered code ${String(body?.code)}`);
  if (!Array.isArray(body.data)) throw new MalformedPayloadError('data', 'band_data has no data array');
  const out: DecodedRaw = { rows: {}, rejects: [] };
  body.data.forEach((day: unknown, i: number) => {
    const date = (day as { date_time?: unknown })?.date_time;
    try {
      appendRows(out.rows, decodeBandDay(day, ctx));
    } catch (err) {
      if (!(err instanceof MalformedPayloadError)) throw err;
      out.rejects.push({
        period: typeof date === 'string' ? date : undefined,
        message: `data[${i}]${typeof date === 'string' ? ` (${date})` : ''}: ${messageOf(err)}`,
      });
    }
  });
  return out;
}

export const decodeZeppRaw: RawDecoder = (raw, ctx) => {
  if (raw.endpoint === 'band_data') return decodeZeppBandData(raw, ctx);
  const body = parseBody(raw);
  if (raw.endpoint === 'workout_history') {
    return { rows: { workout: decodeWorkoutHistory(body, ctx).rows }, rejects: [] };
  }
  if (raw.endpoint === 'workout_detail') {
    return { rows: decodeWorkoutDetail(body, undefined, ctx), rejects: [] };
  }
  if (raw.endpoint.startsWith('events/')) return { rows: decodeEvents(body, ctx), rejects: [] };
  throw new MalformedPayloadError('endpoint', `no decoder for zepp endpoint ${raw.endpoint}`);
};

const decoders = new Map<string, RawDecoder>([['zepp', decodeZeppRaw]]);

/** Lets a second source register its decoder (huami-open). */
export function registerRawDecoder(source: string, decoder: RawDecoder): void {
  decoders.set(source, decoder);
}

/**
 * Decodes a raw record. Rows of a windowed fetch are clipped to the window's local dates: the request is
 * padded to cover every UTC offset, and the days outside belong to (and are fetched with) their own window.
 * Sync and replay share this, so both keep exactly the same rows.
 */
export function decodeRaw(raw: RawRecord, ctx: DecodeContext): DecodedRaw {
  const d = decoders.get(raw.source);
  if (!d) throw new MalformedPayloadError('source', `no decoder for source ${raw.source}`);
  const out = d(raw, ctx);
  const from = raw.params?.from;
  const to = raw.params?.to;
  if (typeof from !== 'string' || typeof to !== 'string') return out;
  for (const t of TABLE_NAMES) {
    const list = out.rows[t];
    if (list) out.rows[t] = list.filter((r) => (r.local_date as string) >= from && (r.local_date as string) <= to);
  }
  return out;
}
