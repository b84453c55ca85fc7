// huami-open sports -> workout, and sportDetail -> workout_sample, workout_pause and workout_lap (see decode.ts),
// with the app API's series and segment decoders. Pure.

import { decodeLapRows, decodePauseRows, samplesBySecond } from '../../core/decode-workout-segments.ts';
import { MalformedPayloadError } from '../../core/errors.ts';
import { saneMs } from '../../core/row-guard.ts';
import type { Row, TableRows } from '../../core/schema-registry.ts';
import { localDateOf } from '../../core/time.ts';
import { isObject, num, numOrNull, str } from '../../core/vendor-values.ts';
import {
  decodeDistanceSeries,
  decodeGaitSeries,
  decodeGpsSeries,
  decodeHeartRateSeries,
  decodeSpeedSeries,
} from '../zepp/decode-workouts.ts';
import {
  base,
  type HuamiOpenDecodeContext,
  int,
  itemsOf,
  required,
  SOURCE,
  secondsToMs,
  zoneOf,
} from './decode-common.ts';

export function decodeSports(body: unknown, ctx: HuamiOpenDecodeContext): Row[] {
  return itemsOf(body).map((item, i) => {
    const f = (k: string) => `items[${i}].${k}`;
    const trackid = required(num(item.trackId, f('trackId')), f('trackId'));
    const startTime = num(item.startTime, f('startTime'));
    const startMs = saneMs(secondsToMs(startTime ?? trackid), f(startTime === null ? 'trackId' : 'startTime'));
    const end = num(item.endTime, f('endTime'));
    const pace = num(item.averagePace, f('averagePace'));
    const device = str(item.device, f('device'));
    const { tz, off } = zoneOf(ctx, startMs);
    return {
      ...base(ctx, localDateOf(startMs, off), tz),
      trackid,
      workout_type: null,
      workout_type_name: str(item.type, f('type')),
      start_ts: startMs,
      end_ts: end === null ? null : secondsToMs(end),
      duration_s: int(item.sportTime, f('sportTime')),
      distance_m: num(item.distance, f('distance')),
      calories: num(item.calories, f('calories')),
      total_steps: null,
      avg_hr: numOrNull(item.averageHeartRate, f('averageHeartRate'), [0, -1]),
      max_hr: null,
      min_hr: null,
      avg_pace_s_per_m: pace === null || pace <= 0 ? null : 1 / pace,
      avg_cadence: numOrNull(item.averageStepFrequency, f('averageStepFrequency'), [-1]),
      ascent_m: numOrNull(item.altitudeAscend, f('altitudeAscend'), [-1]),
      descent_m: numOrNull(item.altitudeDescend, f('altitudeDescend'), [-1]),
      device_id: device,
      track_source: device,
      source: SOURCE,
    };
  });
}

/** The app API's series names, as the shared series decoders report them, -> the official names. */
const OFFICIAL_SERIES_NAMES: Readonly<Record<string, string>> = {
  time: 'samplingTime',
  longitude_latitude: 'latitudeLongitude',
  heart_rate: 'heartRate',
};

/** Runs a shared series decoder and reports a bad field under its official (camelCase) name. */
function withOfficialNames<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (!(err instanceof MalformedPayloadError)) throw err;
    const field = err.field.replace(/^[a-z_]+/, (name) => OFFICIAL_SERIES_NAMES[name] ?? name);
    throw new MalformedPayloadError(field, err.message.slice(err.field.length + 2), { cause: err });
  }
}

export function decodeSportDetail(body: unknown, ctx: HuamiOpenDecodeContext): TableRows {
  if (!isObject(body)) throw new MalformedPayloadError('body', 'expected the sportDetail object');
  const trackid = required(num(body.trackId, 'trackId'), 'trackId');
  const { tz, off } = zoneOf(ctx, saneMs(trackid * 1000, 'trackId'));
  const localDate = localDateOf(trackid * 1000, off);
  const segment = { user_id: ctx.userId, local_date: localDate, tz_offset_s: tz, trackid, source: SOURCE };
  const { at, rows: samples } = samplesBySecond(segment);
  // The same delta encodings as detail.json under camelCase names; `samplingTime` is the GPS `time`.
  const gpsFields = { time: body.samplingTime, longitude_latitude: body.latitudeLongitude, altitude: body.altitude };
  for (const p of withOfficialNames(() => decodeGpsSeries(gpsFields, trackid))) {
    const row = at(p.t);
    row.lat = p.lat;
    row.lon = p.lon;
    row.altitude_m = p.altitudeM;
  }
  for (const s of withOfficialNames(() => decodeHeartRateSeries(body.heartRate, trackid))) at(s.t).heart_rate = s.hr;
  for (const s of withOfficialNames(() => decodeDistanceSeries(body.distance, trackid))) at(s.t).distance_m = s.meters;
  for (const s of withOfficialNames(() => decodeGaitSeries(body.gait, trackid))) {
    const row = at(s.t);
    row.steps = s.steps;
    row.stride_cm = s.strideCm;
    row.cadence = s.cadence;
  }
  for (const s of withOfficialNames(() => decodeSpeedSeries(body.speed, trackid))) at(s.t).speed = s.mps;
  const rows: TableRows = {
    workout_sample: samples(),
  };
  const pauses = decodePauseRows(body.pause, 'pause', segment);
  if (pauses.length > 0) rows.workout_pause = pauses;
  const laps = decodeLapRows(body.lapPace, 'lapPace', segment);
  if (laps.length > 0) rows.workout_lap = laps;
  return rows;
}
