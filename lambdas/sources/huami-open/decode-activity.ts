// huami-open activities -> daily_summary, and heartrates + motionInMinute -> activity_minute (see decode.ts). Pure.

import { MalformedPayloadError } from '../../core/errors.ts';
import { assertRowsFit } from '../../core/row-guard.ts';
import type { Row, TableRows } from '../../core/schema-registry.ts';
import { parseDate } from '../../core/time.ts';
import { type JsonObject, num, numOrNull } from '../../core/vendor-values.ts';
import {
  base,
  dateOf,
  HR_SENTINELS,
  type HuamiOpenDecodeContext,
  int,
  itemsOf,
  MINUTE_MS,
  required,
  SOURCE,
  secondsToMs,
  zoneOf,
} from './decode-common.ts';

const ACTIVITY_SUMS = [
  ['steps', 'steps'],
  ['distance_m', 'distance'],
  ['calories', 'calories'],
  ['run_distance_m', 'runDistance'],
  ['run_calories', 'runCalories'],
  ['walk_min', 'walkTime'],
  ['run_min', 'runTime'],
] as const;

export function decodeActivities(body: unknown, ctx: HuamiOpenDecodeContext): Row[] {
  const { tz } = zoneOf(ctx);
  const byDate = new Map<string, Row>();
  itemsOf(body).forEach((item, i) => {
    const f = (k: string) => `items[${i}].${k}`;
    const date = dateOf(item.date, f('date'));
    let row = byDate.get(date);
    if (!row) {
      row = { ...base(ctx, date, tz), goal_steps: null, max_hr: null, device_id: null, synced_ts: null };
      for (const [column] of ACTIVITY_SUMS) row[column] = null;
      row.source = SOURCE;
      byDate.set(date, row);
    }
    for (const [column, key] of ACTIVITY_SUMS) {
      const v = int(item[key], f(key));
      if (v !== null) row[column] = ((row[column] as number | null) ?? 0) + v;
    }
    const sync = num(item.lastSyncTime, f('lastSyncTime'));
    if (sync !== null) row.synced_ts = Math.max((row.synced_ts as number | null) ?? 0, secondsToMs(sync));
  });
  return [...byDate.values()].sort((a, b) => String(a.local_date).localeCompare(String(b.local_date)));
}

/** heartrates + motionInMinute merged by minute onto activity_minute. Either body may be undefined. */
export function decodeHuamiOpenMinutes(
  heartrates: unknown,
  motionInMinute: unknown,
  ctx: HuamiOpenDecodeContext,
): TableRows {
  const { tz, off } = zoneOf(ctx);
  const rows = new Map<number, Row>();
  const rowAt = (date: string, minute: number): Row => {
    const ts = parseDate(date) - off * 1000 + minute * MINUTE_MS;
    let row = rows.get(ts);
    if (!row) {
      row = {
        user_id: ctx.userId,
        ts,
        local_date: date,
        tz_offset_s: tz,
        activity_kind: null,
        kind_raw: null,
        intensity: null,
        steps: null,
        heart_rate: null,
        device_id: null,
        source: SOURCE,
      };
      rows.set(ts, row);
    }
    return row;
  };
  const minuteOf = (item: JsonObject, f: (k: string) => string): number => {
    const m = required(num(item.minute, f('minute')), f('minute'));
    if (!Number.isInteger(m) || m < 0 || m > 1439) throw new MalformedPayloadError(f('minute'), `not 0-1439: ${m}`);
    return m;
  };
  if (motionInMinute !== undefined) {
    itemsOf(motionInMinute).forEach((item, i) => {
      const f = (k: string) => `motionInMinute.items[${i}].${k}`;
      const row = rowAt(dateOf(item.date, f('date')), minuteOf(item, f));
      row.intensity = int(item.activeness, f('activeness'));
      row.steps = int(item.steps, f('steps'));
    });
  }
  if (heartrates !== undefined) {
    itemsOf(heartrates).forEach((item, i) => {
      const f = (k: string) => `heartrates.items[${i}].${k}`;
      const date = dateOf(item.date, f('date'));
      const minute = minuteOf(item, f);
      const hr = numOrNull(item.heartRateData, f('heartRateData'), HR_SENTINELS);
      if (hr === null) return; // "if didn't wear ... heart rate would be 0": no row of its own
      rowAt(date, minute).heart_rate = Math.round(hr);
    });
  }
  const list = [...rows.values()].sort((a, b) => (a.ts as number) - (b.ts as number));
  return assertRowsFit(list.length > 0 ? { activity_minute: list } : {});
}
