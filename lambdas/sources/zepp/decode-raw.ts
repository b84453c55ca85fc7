// The zepp source's raw decoder: a stored raw record of the Zepp app API, decoded by its endpoint (used by sync
// and replay alike, through the engine's decodeRaw).

import { MalformedPayloadError } from '../../core/errors.ts';
import type { DecodeContext } from '../../core/ports.ts';
import { appendRows, errorMessageOf, parseRawBody } from '../../core/raw-decoding.ts';
import type { RawRecord } from '../../core/raw-records.ts';
import type { DecodedRaw, RawDecoder } from '../source.ts';
import { decodeBandDataDays } from './decode-band-data.ts';
import { decodeEvents } from './decode-events.ts';
import { decodeWorkoutDetail, decodeWorkoutHistory } from './decode-workouts.ts';

/** band_data: each day decoded on its own, so one bad day is a reject and the rest of the month lands. */
function decodeZeppBandData(raw: RawRecord, ctx: DecodeContext): DecodedRaw {
  const { days, rejects } = decodeBandDataDays(parseRawBody(raw), ctx);
  const out: DecodedRaw = { rows: {}, rejects: [] };
  for (const day of days) appendRows(out.rows, day.rows);
  for (const r of rejects) out.rejects.push({ period: r.period, message: errorMessageOf(r.error) });
  return out;
}

export const decodeZeppRaw: RawDecoder = (raw, ctx) => {
  if (raw.endpoint === 'band_data') return decodeZeppBandData(raw, ctx);
  const body = parseRawBody(raw);
  if (raw.endpoint === 'workout_history') {
    return { rows: { workout: decodeWorkoutHistory(body, ctx).rows }, rejects: [] };
  }
  if (raw.endpoint === 'workout_detail') {
    return { rows: decodeWorkoutDetail(body, undefined, ctx), rejects: [] };
  }
  if (raw.endpoint.startsWith('events/')) return { rows: decodeEvents(body, ctx), rejects: [] };
  throw new MalformedPayloadError('endpoint', `no decoder for zepp endpoint ${raw.endpoint}`);
};
