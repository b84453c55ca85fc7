// huami-open PaiSummary -> pai, and events/{eventType} -> pai, stress, spo2 or readiness with the app API's
// events decoder (see decode.ts). Pure.

import type { Row, TableRows } from '../../core/schema-registry.ts';
import { type JsonObject, num } from '../../core/vendor-values.ts';
import { decodeEvents } from '../zepp/decode-events.ts';
import {
  base,
  dateOf,
  type HuamiOpenDecodeContext,
  int,
  itemsOf,
  required,
  SOURCE,
  secondsToMs,
  zoneOf,
} from './decode-common.ts';

const PAI_FIELDS = [
  ['daily_pai', 'dailyPai', false],
  ['total_pai', 'totalPai', false],
  ['rest_hr', 'restHr', true],
  ['max_hr', 'maxHr', true],
  ['low_zone_pai', 'lowZonePai', false],
  ['medium_zone_pai', 'mediumZonePai', false],
  ['high_zone_pai', 'highZonePai', false],
  ['low_zone_min', 'lowZoneMinutes', true],
  ['medium_zone_min', 'mediumZoneMinutes', true],
  ['high_zone_min', 'highZoneMinutes', true],
  ['total_steps', 'totalStep', true],
  ['total_calories', 'totalCal', true],
] as const;

function paiValues(item: JsonObject, f: (k: string) => string): Row {
  const row: Row = {};
  for (const [column, key, isInt] of PAI_FIELDS) row[column] = isInt ? int(item[key], f(key)) : num(item[key], f(key));
  return row;
}

export function decodePaiSummary(body: unknown, ctx: HuamiOpenDecodeContext): Row[] {
  const { tz } = zoneOf(ctx);
  return itemsOf(body).map((item, i) => {
    const f = (k: string) => `items[${i}].${k}`;
    const day = typeof item.calendarDay === 'string' ? item.calendarDay.slice(0, 10) : undefined;
    const localDate = dateOf(day, f('calendarDay'));
    const ts = required(num(item.timestamp, f('timestamp')), f('timestamp'));
    return { ...base(ctx, localDate, tz), ts: secondsToMs(ts), ...paiValues(item, f), source: SOURCE };
  });
}

const PAI_VALUE_COLUMNS = PAI_FIELDS.map(([column]) => column);

/**
 * events/{eventType}: the app API's event rules (decode-events.ts) with the request's eventType (the doc's
 * items carry a placeholder) and the configured offset. A PAI item without any PAI value gives no row.
 */
export function decodeOpenEvents(body: unknown, ctx: HuamiOpenDecodeContext): TableRows {
  const items = itemsOf(body).map((item) => (ctx.eventType ? { ...item, eventType: ctx.eventType } : item));
  const tzOffsetS = ctx.tzOffsetS;
  const rows = decodeEvents(
    { items },
    {
      userId: ctx.userId,
      source: SOURCE,
      tzOffsetAt: tzOffsetS !== undefined ? () => tzOffsetS : ctx.tzOffsetAt,
    },
  );
  if (rows.pai) {
    rows.pai = rows.pai.filter((row) => PAI_VALUE_COLUMNS.some((column) => row[column] !== null));
    if (rows.pai.length === 0) delete rows.pai;
  }
  return rows;
}
