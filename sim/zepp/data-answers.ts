// The data answers of the Zepp app API simulator (reference §3-§5, sim/README.md "Endpoints"): band_data, the
// workout history and detail, events and devices of a synthetic person, and the shapes faults give them.

import { addDays } from '../../lambdas/core/time.ts';
import type { FaultDecision, FaultInjector } from '../faults.ts';
import { MINUTES_PER_DAY } from '../people/day-plan.ts';
import { EVENT_TYPES, eventsBetween } from '../people/events.ts';
import { isDate, type SimUser } from '../people/users.ts';
import { encodeLaps } from '../people/workout-laps.ts';
import { workoutModel } from '../people/workouts.ts';
import { encodeHistoryItem, encodeMinuteBlobs, encodeSummary, encodeWorkoutDetail } from './encoders.ts';

export const HISTORY_PAGE_SIZE = 200;
export const JSON_TYPE = 'application/json;charset=UTF-8';

export interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export const json = (status: number, value: unknown, headers?: Record<string, string>): Answer => ({
  status,
  body: JSON.stringify(value),
  headers: { 'content-type': JSON_TYPE, ...headers },
});

export const legacyOk = (data: unknown): Answer => json(200, { code: 1, message: 'success', data });
export const legacyParamError = (message: string): Answer => json(400, { code: 50000, message });
export const restError = (status: number, code: number, message: string): Answer => json(status, { code, message });

/** `wrong-region`: what another region's host answers, an empty answer of the endpoint's shape. */
export function emptyAnswer(endpoint: string): Answer {
  switch (endpoint) {
    case 'band_data':
      return legacyOk([]);
    case 'history':
      return legacyOk({ next: -1, summary: [] });
    case 'detail':
      return legacyOk({});
    default:
      return json(200, { items: [] });
  }
}

export function bandDataAnswer(user: SimUser, q: URLSearchParams): Answer {
  const from = q.get('from_date') ?? '';
  const to = q.get('to_date') ?? '';
  const queryType = q.get('query_type') ?? 'summary';
  if (!isDate(from) || !isDate(to) || from > to)
    return legacyParamError('from_date/to_date must be YYYY-MM-DD, from <= to');
  if (queryType !== 'summary' && queryType !== 'detail')
    return legacyParamError('query_type must be summary or detail');
  const userid = q.get('userid');
  if (userid && userid !== user.userId) return legacyParamError('userid does not match the token');
  const days: Record<string, unknown>[] = [];
  for (const date of user.dataDays(from, to)) {
    const plan = user.plan(date);
    const element: Record<string, unknown> = {
      uid: user.userId,
      data_type: 0,
      date_time: date,
      source: plan.device.source,
      summary: encodeSummary(user.summary(date)),
      uuid: 'null',
    };
    if (queryType === 'detail') {
      const m = user.dayMinutes(date);
      const minutes = new Array(MINUTES_PER_DAY);
      for (let i = 0; i < MINUTES_PER_DAY; i++) {
        minutes[i] = { kindByte: m.kind[i]!, intensity: m.intensity[i]!, steps: m.steps[i]!, hrByte: m.hr[i]! };
      }
      const blobs = encodeMinuteBlobs(minutes);
      element.data = blobs.data;
      element.data_hr = blobs.data_hr;
    }
    if (plan.device.sendsDeviceId) element.device_id = plan.device.deviceId;
    days.push(element);
  }
  return legacyOk(days);
}

/**
 * Newest first, HISTORY_PAGE_SIZE a page. `trackid` (or `stopTrackId`) is an inclusive cursor: the page
 * holds workouts with trackid <= it; `next` is the trackid of the next page's first item, or -1.
 */
export function historyAnswer(user: SimUser, q: URLSearchParams, faults: FaultInjector): Answer {
  const cursorText = q.get('trackid') ?? q.get('stopTrackId');
  const cursor = cursorText === null || cursorText === '' ? Number.POSITIVE_INFINITY : Number(cursorText);
  if (Number.isNaN(cursor)) return legacyParamError('trackid must be a number');
  const all = user.workouts();
  let start = 0;
  while (start < all.length && all[start]!.plan.trackid > cursor) start++;
  const size = faults.historyPageSize ?? HISTORY_PAGE_SIZE;
  const page = all.slice(start, start + size);
  // repeat-trackid: the next page starts with this page's last item again (an overlap of one).
  const nextIndex = faults.repeatTrackId && page.length > 1 ? start + page.length - 1 : start + size;
  const nextItem = start + page.length < all.length ? all[nextIndex] : undefined;
  const items = page.map((w) => historyItem(user, w));
  if (faults.repeatTrackId && nextItem) faults.count('repeat-trackid');
  return legacyOk({ next: nextItem ? nextItem.plan.trackid : -1, summary: items });
}

export function detailAnswer(user: SimUser, q: URLSearchParams): Answer {
  const trackid = Number(q.get('trackid'));
  if (!Number.isSafeInteger(trackid) || trackid <= 0) return legacyParamError('trackid must be a number');
  const found = user.findWorkout(trackid);
  if (!found) return legacyParamError(`no track ${trackid}`);
  const model = workoutModel(user, found);
  return legacyOk(
    encodeWorkoutDetail({ ...model.detail, laps: encodeLaps(model.detail.laps), source: model.device.trackSource }),
  );
}

/** Items with from <= timestamp <= to (ms), oldest first, at most `limit` (default 1000). */
export function eventsAnswer(user: SimUser, uid: string, q: URLSearchParams): Answer {
  if (uid !== user.userId && uid !== '-' && uid !== 'me') return restError(403, 403, 'forbidden');
  const eventType = q.get('eventType') ?? '';
  const from = Number(q.get('from'));
  const to = Number(q.get('to'));
  const limit = q.get('limit') === null ? 1000 : Number(q.get('limit'));
  if (!eventType || !Number.isFinite(from) || !Number.isFinite(to) || !(limit > 0) || q.get('from') === null) {
    return restError(400, 400, 'eventType, from, to (ms) and limit are required');
  }
  if (!(EVENT_TYPES as readonly string[]).includes(eventType)) return json(200, { items: [] });
  return json(200, { items: eventsBetween(user, eventType, from, to).slice(0, limit) });
}

export function devicesAnswer(user: SimUser, uid: string): Answer {
  if (uid !== user.userId && uid !== '-' && uid !== 'me') return restError(403, 403, 'forbidden');
  const devices = user.spec.devices;
  const items = devices.map((d, i) => {
    const next = devices[i + 1];
    const lastDay = next ? addDays(next.from, -1) : user.today;
    let lastSync = 0;
    for (let day = lastDay; day >= d.from; day = addDays(day, -1)) {
      if (user.plan(day).hasData) {
        lastSync = user.plan(day).sync;
        break;
      }
    }
    return {
      deviceId: d.deviceId,
      macAddress: d.mac,
      serialNumber: d.sn,
      deviceSource: d.source,
      deviceType: 0,
      firmwareVersion: 'V1.0.9.12',
      productionSource: '256',
      activeStatus: next ? 0 : 1,
      bindingDate: Date.parse(`${d.from}T08:00:00Z`),
      displayName: d.name,
      lastDataSyncTime: lastSync,
      additionalInfo: JSON.stringify({
        auth_key: '',
        hardwareVersion: 'V0.1',
        productVersion: '256',
        sn: d.sn,
        deviceName: d.name,
      }),
    };
  });
  return json(200, { items });
}

/**
 * A 200 body that is valid JSON but breaks the payload's shape: a band day's summary that is not base64
 * JSON (that day fails to decode), a legacy `data` that is not what the endpoint sends, events `items`
 * that are not a list.
 */
export function malformedBody(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof body !== 'object' || body === null) return text;
  const record = body as Record<string, unknown>;
  if ('code' in record) {
    const data = record.data;
    if (Array.isArray(data) && data.length > 0 && typeof data[0] === 'object' && data[0] !== null) {
      (data[0] as Record<string, unknown>).summary = '%%% not base64 json %%%';
    } else {
      record.data = 'corrupt';
    }
    return JSON.stringify(record);
  }
  return JSON.stringify({ ...record, items: 'corrupt' });
}

function historyItem(
  user: SimUser,
  w: { plan: { trackid: number; type: number }; date: string },
): Record<string, unknown> {
  const model = workoutModel(user, w as Parameters<typeof workoutModel>[1]);
  const swim = model.plan.type === 14;
  return {
    ...encodeHistoryItem({
      trackid: model.plan.trackid,
      type: model.plan.type,
      source: model.device.trackSource,
      endTime: model.endTime,
      runTimeS: model.runTimeS,
      distanceM: model.distanceM,
      calories: model.calories,
      totalSteps: model.totalSteps,
      avgHr: model.avgHr,
      maxHr: model.maxHr ?? (swim ? 0 : null),
      minHr: model.minHr ?? (swim ? 0 : null),
      avgPace: Number(model.avgPace),
      avgCadence: model.avgCadence,
      ascentM: model.ascentM,
      descentM: model.descentM,
      bindDevice: model.device.bindDevice,
    }),
    // Keys the real items carry that nothing decodes; swims fill theirs like the 2022 capture.
    swolf: swim ? 48 : 0,
    total_strokes: swim ? Math.round(model.distanceM / 1.7) : 0,
    total_trips: swim ? Math.round(model.distanceM / 25) : 0,
    swim_pool_length: swim ? 25 : 0,
    swim_style: swim ? 2 : 0,
    sport_mode: 0,
    lap_distance: -1,
    max_altitude: swim ? -20000 : -1,
    min_altitude: swim ? -20000 : -1,
    anaerobic_te: -1,
    heartrate_setting_type: -1,
  };
}

/** The answer a fault that replaces the whole response gives (429, 500, 502, 503); undefined for the others. */
export function failureAnswer(decision: FaultDecision): Answer | undefined {
  switch (decision.fault) {
    case '429':
      return json(
        429,
        { message: 'Too Many Requests' },
        decision.retryAfterS === null ? undefined : { 'retry-after': String(decision.retryAfterS) },
      );
    case '500':
      return json(500, { code: -1, message: 'Internal Server Error' });
    case '502':
      return {
        status: 502,
        body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
        headers: { 'content-type': 'text/html' },
      };
    case '503':
      return {
        status: 503,
        body: '<html><body><h1>503 Service Unavailable</h1></body></html>',
        headers: { 'content-type': 'text/html' },
      };
    default:
      return undefined;
  }
}
