// huami-open sleep -> sleep_session (daily items) and sleep_stage (hourly items); see decode.ts. Pure.

import { MalformedPayloadError } from '../../core/errors.ts';
import type { Row, TableRows } from '../../core/schema-registry.ts';
import { parseDate } from '../../core/time.ts';
import { num } from '../../core/vendor-values.ts';
import {
  base,
  dateOf,
  type HuamiOpenDecodeContext,
  int,
  itemsOf,
  MINUTE_MS,
  required,
  SOURCE,
  secondsToMs,
  zoneOf,
} from './decode-common.ts';

const STAGE_NAMES: Readonly<Record<number, string>> = { 4: 'light', 5: 'deep', 7: 'awake', 8: 'rem' };

/** A `start`/`stop` value: minute index from midnight(date) or a timestamp. */
function sleepInstant(value: number, midnightMs: number): { ms: number; isMinute: boolean } {
  if (Math.abs(value) < 1e8) return { ms: midnightMs + value * MINUTE_MS, isMinute: true };
  return { ms: secondsToMs(value), isMinute: false };
}

export function decodeSleep(body: unknown, ctx: HuamiOpenDecodeContext): TableRows {
  const { tz, off } = zoneOf(ctx);
  const sessions: Row[] = [];
  const stages: Row[] = [];
  itemsOf(body).forEach((item, i) => {
    const f = (k: string) => `items[${i}].${k}`;
    const date = dateOf(item.date, f('date'));
    const midnight = parseDate(date) - off * 1000;
    const start = num(item.start, f('start'));
    const stop = num(item.stop, f('stop'));
    const deep = int(item.deepSleepTime, f('deepSleepTime'));
    const light = int(item.shallowSleepTime, f('shallowSleepTime'));
    const awake = int(item.wakeTime, f('wakeTime'));
    const score = int(item.sleepScore, f('sleepScore'));
    const isSession = deep !== null || light !== null || awake !== null || score !== null;
    if (isSession) {
      const slept = (deep ?? 0) + (light ?? 0) > 0 || (start !== null && stop !== null && start !== stop);
      if (!slept) return; // an empty night: the API answers zeros for nights without sleep
      sessions.push({
        ...base(ctx, date, tz),
        night_of: date,
        start_ts: start === null ? null : sleepInstant(start, midnight).ms,
        end_ts: stop === null ? null : sleepInstant(stop, midnight).ms,
        deep_min: deep,
        light_min: light,
        rem_min: null,
        awake_min: awake,
        wake_count: null,
        sleep_score: score,
        resting_hr: null,
        source: SOURCE,
      });
      return;
    }
    const mode = int(item.mode, f('mode'));
    if (mode === null) throw new MalformedPayloadError(f('mode'), 'an item needs sleep totals or a stage mode');
    const from = sleepInstant(required(start, f('start')), midnight);
    const to = sleepInstant(required(stop, f('stop')), midnight);
    stages.push({
      ...base(ctx, date, tz),
      night_of: date,
      start_ts: from.ms,
      end_ts: to.isMinute ? to.ms + MINUTE_MS : to.ms,
      stage: STAGE_NAMES[mode] ?? 'unknown',
      mode,
      source: SOURCE,
    });
  });
  const out: TableRows = {};
  if (sessions.length > 0) out.sleep_session = sessions;
  if (stages.length > 0) out.sleep_stage = stages;
  return out;
}
