// Decoders for the official partner "Huami Web API" (source `huami-open`, seed 003, reference §2.4) onto
// the same lake tables as the app API. Pure: no I/O, no clock.
//
// Public API
//   type HuamiOpenResource = 'profile' | 'devices' | 'activities' | 'sleep' | 'heartrates' | 'motionInMinute'
//                          | 'minutes' | 'sports' | 'sportDetail' | 'PaiSummary' | 'events'
//   interface HuamiOpenDecodeContext extends DecodeContext { tzOffsetS?: number; eventType?: string }
//   decodeHuamiOpen(resource, body, ctx): TableRows
//   decodeHuamiOpenMinutes(heartrates, motionInMinute, ctx): TableRows   (same as resource 'minutes')
//
// Time zone. The official API gives local dates and minute indexes, never the person's UTC offset. The
// offset comes from configuration (`ctx.tzOffsetS`, the user's `tzOffsetS`), and every row says so in
// `tz_offset_s`. Without it, local times are read as UTC and `tz_offset_s` is null. Instant-based resources
// (sports, events) fall back to `ctx.tzOffsetAt(ts)` when `tzOffsetS` is absent.
//
// Mapping (where the official API gives less than the app API, the column stays null; nothing is invented):
// - activities -> daily_summary: one row per `date`; hourly items (interval=hourly) of one date are summed.
//   steps, distance_m=distance, calories, run_distance_m=runDistance, run_calories=runCalories,
//   walk_min=walkTime, run_min=runTime, synced_ts=max(lastSyncTime)*1000; goal_steps, max_hr, device_id null.
// - sleep -> an item with any of deepSleepTime/shallowSleepTime/wakeTime/sleepScore (interval=daily) is a
//   sleep_session of the night following `date` (night_of = local_date = date); an item with only
//   start/stop/mode (interval=hourly) is a sleep_stage. `start`/`stop`: |v| < 1e8 is a minute index from
//   midnight(date) (0-2879 for amazfit devices; the doc's own example has -9, read the same way), otherwise a
//   timestamp (mifit devices; seconds, or ms when > 1e12). Session: start_ts = at(start), end_ts = at(stop)
//   (the wake-up minute). Stage minutes are inclusive, as in the app API: end_ts = at(stop) + 1 minute for a
//   minute index. deep_min=deepSleepTime, light_min=shallowSleepTime, awake_min=wakeTime,
//   sleep_score=sleepScore; rem_min, wake_count, resting_hr null (the official daily sleep has no REM total).
//   stage: 4 light, 5 deep, 7 awake, 8 rem, else unknown; mode = raw.
// - heartrates + motionInMinute -> activity_minute, merged by (date, minute): ts = midnight(date) + minute.
//   heart_rate = heartRateData (0, 254, 255 -> null); intensity = activeness, steps = steps.
//   activity_kind and kind_raw stay null: the official motion `mode` (0 silent, 1 walk, 2 run, 3 not worn,
//   4 deep sleep...) is a different code space from the app's kind byte, and the table has no column for it,
//   so it is not stored. A minute is emitted when it has a motion item or a heart rate. Decode the two
//   responses together (resource 'minutes', body {heartrates, motionInMinute}); decoding one alone gives rows
//   whose other columns are null, which would overwrite a merged row with the same key.
// - sports -> workout: trackid=trackId, start_ts/end_ts = startTime/endTime s, duration_s=sportTime,
//   distance_m, calories, avg_hr=averageHeartRate, avg_pace_s_per_m = 1/averagePace (the doc's averagePace
//   is m/s: distance/sportTime), avg_cadence=averageStepFrequency, ascent_m/descent_m=altitudeAscend/Descend,
//   device_id = track_source = device (sportDetail needs it back); workout_type null (the official `type` is a
//   name, e.g. OUTDOOR_RUN, kept in workout_type_name); total_steps, max_hr, min_hr null.
// - sportDetail -> workout_sample: the camelCase names of detail.json's delta series (docs/decoding-rules.md):
//   samplingTime (GPS time deltas), latitudeLongitude,
//   altitude, heartRate, distance, gait, speed, decoded by the shared series decoders of decode-workouts.ts
//   (errors name the official field). pressure_pa null (no air pressure series in the official API).
//   `pause` -> workout_pause and `lapPace` -> workout_lap, the app API's `pause` and `lap` formats
//   (decode-workout-segments.ts); kilometerPace / milePace stay in raw/ like the app API's kilo_pace.
// - PaiSummary -> pai: ts = timestamp, local_date = the date part of calendarDay. The doc's example says
//   "2019-12-27 +0000" with a timestamp of 2019-12-27 00:00 +08:00, so the " +0000" suffix is not trusted:
//   tz_offset_s is ctx.tzOffsetS.
// - events/{eventType} -> by eventType (the request's `ctx.eventType` first, since the doc's items carry a
//   placeholder eventType, else the item's): PaiHealthInfo -> pai, all_day_stress -> stress,
//   blood_oxygen -> spo2, readiness -> readiness, decoded by decode-events.ts (the app events rules) with
//   tz = ctx.tzOffsetS; others give no rows; a PaiHealthInfo item without any PAI value gives no row.
// - profile, devices -> no rows (validated only).

export type HuamiOpenResource =
  | 'profile'
  | 'devices'
  | 'activities'
  | 'sleep'
  | 'heartrates'
  | 'motionInMinute'
  | 'minutes'
  | 'sports'
  | 'sportDetail'
  | 'PaiSummary'
  | 'events';

export const HUAMI_OPEN_RESOURCES: readonly HuamiOpenResource[] = [
  'profile',
  'devices',
  'activities',
  'sleep',
  'heartrates',
  'motionInMinute',
  'minutes',
  'sports',
  'sportDetail',
  'PaiSummary',
  'events',
];

import { MalformedPayloadError } from '../../core/errors.ts';
import { assertRowsFit } from '../../core/row-guard.ts';
import type { TableRows } from '../../core/schema-registry.ts';
import { isObject } from '../../core/vendor-values.ts';
import { decodeActivities, decodeHuamiOpenMinutes } from './decode-activity.ts';
import { type HuamiOpenDecodeContext, itemsOf } from './decode-common.ts';
import { decodeOpenEvents, decodePaiSummary } from './decode-pai-events.ts';
import { decodeSleep } from './decode-sleep.ts';
import { decodeSportDetail, decodeSports } from './decode-sports.ts';

export { decodeHuamiOpenMinutes } from './decode-activity.ts';
export type { HuamiOpenDecodeContext } from './decode-common.ts';

export function decodeHuamiOpen(resource: HuamiOpenResource, body: unknown, ctx: HuamiOpenDecodeContext): TableRows {
  return assertRowsFit(decodeResource(resource, body, ctx));
}

function decodeResource(resource: HuamiOpenResource, body: unknown, ctx: HuamiOpenDecodeContext): TableRows {
  switch (resource) {
    case 'profile':
      if (!isObject(body)) throw new MalformedPayloadError('body', 'expected the profile object');
      return {};
    case 'devices':
      itemsOf(body);
      return {};
    case 'activities':
      return { daily_summary: decodeActivities(body, ctx) };
    case 'sleep':
      return decodeSleep(body, ctx);
    case 'heartrates':
      return decodeHuamiOpenMinutes(body, undefined, ctx);
    case 'motionInMinute':
      return decodeHuamiOpenMinutes(undefined, body, ctx);
    case 'minutes': {
      if (!isObject(body)) throw new MalformedPayloadError('body', 'expected {heartrates, motionInMinute}');
      return decodeHuamiOpenMinutes(body.heartrates, body.motionInMinute, ctx);
    }
    case 'sports':
      return { workout: decodeSports(body, ctx) };
    case 'sportDetail':
      return decodeSportDetail(body, ctx);
    case 'PaiSummary':
      return { pai: decodePaiSummary(body, ctx) };
    case 'events':
      return decodeOpenEvents(body, ctx);
    default:
      throw new MalformedPayloadError('resource', `unknown huami-open resource ${String(resource)}`);
  }
}
