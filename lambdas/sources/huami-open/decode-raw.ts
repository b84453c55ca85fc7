// The huami-open source's raw decoder: a stored raw record of the official Web API, decoded by its endpoint
// (used by sync and replay alike, through the engine's decodeRaw).

import { MalformedPayloadError } from '../../core/errors.ts';
import type { DecodeContext } from '../../core/ports.ts';
import { appendRows, errorMessageOf, parseRawBody } from '../../core/raw-decoding.ts';
import type { RawRecord } from '../../core/raw-records.ts';
import type { DecodedRaw, RawDecoder } from '../source.ts';
import { decodeHuamiOpen, type HuamiOpenDecodeContext, type HuamiOpenResource } from './decode.ts';

/** huami-open raw endpoints (see source.ts) -> the decoder's resource. */
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
  const body = parseRawBody(raw);
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
      out.rejects.push({ period: date, message: `${raw.endpoint} ${date}: ${errorMessageOf(err)}` });
    }
  }
  return out;
};
