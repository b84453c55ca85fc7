// Decodes a stored raw record with the decoder of its source and endpoint. Used by sync and by replay,
// so a replay gives exactly the tables a sync gave.

import { MalformedPayloadError } from '../core/errors.ts';
import type { DecodeContext } from '../core/ports.ts';
import type { RawRecord } from '../core/raw-records.ts';
import { TABLE_NAMES, type TableRows } from '../core/schema-registry.ts';
import { decodeHuamiOpen, type HuamiOpenDecodeContext, type HuamiOpenResource } from '../sources/huami-open/decode.ts';
import type { DecodedRaw, RawDecoder } from '../sources/source.ts';
import { decodeBandDataDays } from '../sources/zepp/decode-band-data.ts';
import { decodeEvents } from '../sources/zepp/decode-events.ts';
import { decodeWorkoutDetail, decodeWorkoutHistory } from '../sources/zepp/decode-workouts.ts';

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
  const { days, rejects } = decodeBandDataDays(parseBody(raw), ctx);
  const out: DecodedRaw = { rows: {}, rejects: [] };
  for (const day of days) appendRows(out.rows, day.rows);
  for (const r of rejects) out.rejects.push({ period: r.period, message: messageOf(r.error) });
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

/** huami-open raw endpoints (see huami-open-source.ts) -> the decoder's resource. */
const HUAMI_OPEN_ENDPOINTS: Readonly<Record<string, HuamiOpenResource>> = {
  activities: 'activities',
  sleep: 'sleep',
  'sleep-hourly': 'sleep',
  minutes: 'minutes',
  sports: 'sports',
  sportDetail: 'sportDetail',
  PaiSummary: 'PaiSummary',
  devices: 'devices',
  profile: 'profile',
};

/** Resources whose items each carry their local `date`: decoded a day at a time, so one bad day is a reject. */
const HUAMI_OPEN_DAILY = new Set<HuamiOpenResource>(['activities', 'sleep', 'minutes']);

/** The items of a `{items:[...]}` body grouped by their `date`; undefined when the shape is not that. */
function itemsByDate(body: unknown): Map<string, unknown[]> | undefined {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return undefined;
  const out = new Map<string, unknown[]>();
  for (const item of items) {
    const date = (item as { date?: unknown } | null)?.date;
    if (typeof date !== 'string') return undefined;
    const list = out.get(date);
    if (list) list.push(item);
    else out.set(date, [item]);
  }
  return out;
}

/**
 * The official API carries no UTC offset: the engine's timeline gives the user's configured offset (its
 * fallback is UserRecord.tzOffsetS); the offset the source stamped into the raw params when it fetched is
 * the fallback, so a replay without a configured offset places the rows where the sync did.
 */
function huamiOpenZone(raw: RawRecord, ctx: DecodeContext): number | undefined {
  const p = raw.params ?? {};
  const anchor =
    typeof p.trackid === 'number'
      ? p.trackid * 1000
      : typeof p.from === 'string'
        ? Date.parse(`${p.from}T12:00:00Z`)
        : undefined;
  const fromCtx = anchor !== undefined ? ctx.tzOffsetAt?.(anchor) : undefined;
  if (typeof fromCtx === 'number') return fromCtx;
  return typeof p.tzOffsetS === 'number' ? p.tzOffsetS : undefined;
}

export const decodeHuamiOpenRaw: RawDecoder = (raw, ctx) => {
  const isEvents = raw.endpoint.startsWith('events/');
  const resource: HuamiOpenResource | undefined = isEvents ? 'events' : HUAMI_OPEN_ENDPOINTS[raw.endpoint];
  if (!resource) throw new MalformedPayloadError('endpoint', `no decoder for huami-open endpoint ${raw.endpoint}`);
  const body = parseBody(raw);
  const hctx: HuamiOpenDecodeContext = {
    ...ctx,
    tzOffsetS: huamiOpenZone(raw, ctx),
    ...(isEvents ? { eventType: raw.endpoint.slice('events/'.length) } : {}),
  };
  if (!HUAMI_OPEN_DAILY.has(resource)) return { rows: decodeHuamiOpen(resource, body, hctx), rejects: [] };
  // Day by day: split every body of the record by date and decode each date on its own.
  const parts = resource === 'minutes' ? (body as Record<string, unknown> | null) : { single: body };
  if (!parts || typeof parts !== 'object') return { rows: decodeHuamiOpen(resource, body, hctx), rejects: [] };
  const grouped = new Map<string, Map<string, unknown[]>>();
  for (const [name, part] of Object.entries(parts)) {
    const byDate = itemsByDate(part);
    // Not a dated item list: decode the record whole (the decoder names the bad field).
    if (!byDate) return { rows: decodeHuamiOpen(resource, body, hctx), rejects: [] };
    grouped.set(name, byDate);
  }
  const dates = new Set<string>();
  for (const byDate of grouped.values()) for (const d of byDate.keys()) dates.add(d);
  const out: DecodedRaw = { rows: {}, rejects: [] };
  for (const date of [...dates].sort()) {
    const dayBody =
      resource === 'minutes'
        ? Object.fromEntries([...grouped].map(([name, byDate]) => [name, { items: byDate.get(date) ?? [] }]))
        : { items: grouped.get('single')?.get(date) ?? [] };
    try {
      appendRows(out.rows, decodeHuamiOpen(resource, dayBody, hctx));
    } catch (err) {
      if (!(err instanceof MalformedPayloadError)) throw err;
      out.rejects.push({ period: date, message: `${raw.endpoint} ${date}: ${messageOf(err)}` });
    }
  }
  return out;
};

const decoders = new Map<string, RawDecoder>([
  ['zepp', decodeZeppRaw],
  ['huami-open', decodeHuamiOpenRaw],
]);

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
