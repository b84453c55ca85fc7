// The zepp source's raw decoder: a stored raw record of the Zepp app API, decoded by its endpoint (used by sync
// and replay alike, through the engine's decodeRaw).

import { AuthExpiredError, MalformedPayloadError } from '../../core/errors.ts';
import type { DecodeContext } from '../../core/ports.ts';
import { appendRows, errorMessageOf, parseRawBody } from '../../core/raw-decoding.ts';
import type { RawRecord } from '../../core/raw-records.ts';
import type { DecodedRaw, RawDecoder } from '../source.ts';
import { decodeBandDay } from './decode-band-data.ts';
import { decodeEvents } from './decode-events.ts';
import { decodeWorkoutDetail, decodeWorkoutHistory } from './decode-workouts.ts';

/** band_data: each day decoded on its own, so one bad day is a reject and the rest of the month lands. */
function decodeZeppBandData(raw: RawRecord, ctx: DecodeContext): DecodedRaw {
  const body = parseRawBody(raw) as { code?: unknown; data?: unknown };
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
        message: `data[${i}]${typeof date === 'string' ? ` (${date})` : ''}: ${errorMessageOf(err)}`,
      });
    }
  });
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
