// What every huami-open decoder shares: the decode context, the items list, the configured zone, dates,
// integers and the row's common columns (see decode.ts for the mapping). Pure.

import { MalformedPayloadError } from '../../core/errors.ts';
import type { DecodeContext } from '../../core/ports.ts';
import type { Row } from '../../core/schema-registry.ts';
import { parseDate } from '../../core/time.ts';
import { isObject, type JsonObject, num } from '../../core/vendor-values.ts';

export interface HuamiOpenDecodeContext extends DecodeContext {
  /** The user's UTC offset in seconds, from configuration (the official API never says it). */
  tzOffsetS?: number;
  /** For resource 'events': the eventType of the request path (`/users/-/events/{eventType}`). */
  eventType?: string;
}

export const SOURCE = 'huami-open';
export const MINUTE_MS = 60_000;
export const HR_SENTINELS = [0, 254, 255] as const;

export function itemsOf(body: unknown): JsonObject[] {
  const list = Array.isArray(body) ? body : isObject(body) ? body.items : undefined;
  if (!Array.isArray(list)) throw new MalformedPayloadError('items', 'expected {items:[...]}');
  return list.map((item, i) => {
    if (!isObject(item)) throw new MalformedPayloadError(`items[${i}]`, 'expected an object');
    return item;
  });
}

/** Configured offset: `tz` for the column (null when unknown), `off` to compute with (0 when unknown). */
export function zoneOf(ctx: HuamiOpenDecodeContext, atMs?: number): { tz: number | null; off: number } {
  const tz = ctx.tzOffsetS ?? (atMs !== undefined ? (ctx.tzOffsetAt?.(atMs) ?? null) : null);
  return { tz, off: tz ?? 0 };
}

export function dateOf(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new MalformedPayloadError(field, 'expected a YYYY-MM-DD date');
  try {
    parseDate(value);
  } catch (cause) {
    throw new MalformedPayloadError(field, `not a date: ${JSON.stringify(value.slice(0, 20))}`, { cause });
  }
  return value;
}

export function int(value: unknown, field: string): number | null {
  const n = num(value, field);
  return n === null ? null : Math.round(n);
}

export function required(value: number | null, field: string): number {
  if (value === null) throw new MalformedPayloadError(field, 'missing');
  return value;
}

/** Epoch seconds (or ms when > 1e12) -> ms. */
export function secondsToMs(value: number): number {
  return Math.abs(value) > 1e12 ? value : value * 1000;
}

export function base(ctx: HuamiOpenDecodeContext, localDate: string, tz: number | null): Row {
  return { user_id: ctx.userId, local_date: localDate, tz_offset_s: tz };
}
