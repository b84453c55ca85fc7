// The official partner "Huami Web API" (source `huami-open`) as a sync source of the same engine: month
// windows of activities, sleep (daily totals and hourly stages), minutes (heartrates + motionInMinute stored
// as one record, since the decoder merges them by minute), stress events and the PAI summary; workouts are the
// sports list by month plus one sportDetail per trackId. No call asks for more than one calendar month (the
// API never promises a longer range whole; the client refuses one). Every response becomes a RawRecord keyed by
// what was fetched (`raw/huami-open/<resource>/user-<id>/<YYYY-MM>/<from>_<to>.json.gz`, sports by month,
// sportDetail by trackId) before anything decodes it.
//
// What the official API does not have stays out of `streams` (endpoints.ts): it documents no SpO2 or readiness
// resource (only events/{eventType} with PaiHealthInfo as its example), so spo2 and readiness are not synced from it.

import { AuthExpiredError, MalformedPayloadError } from '../../core/errors.ts';
import { monthEnd, monthStart, monthsBetween, type SyncWindow } from '../../core/plan.ts';
import { type RawRecord, rawKey, windowRawName } from '../../core/raw-records.ts';
import { addDays, localDateOf } from '../../core/time.ts';
import { type SyncSource, streamsOfEndpoints, type WindowedStream, type WorkoutRef } from '../source.ts';
import type { HuamiOpenApi, HuamiOpenApiResource, HuamiOpenParams, RawResponse } from './client.ts';
import { decodeHuamiOpenRaw } from './decode-raw.ts';
import { HUAMI_OPEN_RAW_ENDPOINTS } from './endpoints.ts';

/** Where the first-day probe starts: before it, no Huami band synced data to this API. */
const FIRST_PROBED_DAY = '2015-01-01';

export interface HuamiOpenSourceOptions {
  /** The user's configured UTC offset (UserRecord.tzOffsetS): sent as `timezone` and stamped into raw params. */
  tzOffsetS?: number;
  /** The engine's clock stamps the raw records, so a replayed or repeated run is reproducible. */
  clock?: () => number;
}

/** `GMT+1:00`, `GMT-8:00`, `GMT+5:30`: the form of the official doc's `timezone` examples. */
export function huamiTimezoneParam(offsetS: number): string {
  const sign = offsetS < 0 ? '-' : '+';
  const abs = Math.abs(Math.round(offsetS / 60));
  return `GMT${sign}${Math.floor(abs / 60)}:${String(abs % 60).padStart(2, '0')}`;
}

function itemsOf(res: RawResponse, what: string): Record<string, unknown>[] {
  const items = (res.body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) throw new MalformedPayloadError('items', `${what} answered without an items list`);
  return items as Record<string, unknown>[];
}

export class HuamiOpenSource implements SyncSource {
  readonly source = 'huami-open' as const;
  readonly streams = streamsOfEndpoints(HUAMI_OPEN_RAW_ENDPOINTS);
  readonly decode = decodeHuamiOpenRaw;
  private readonly clock: () => number;

  constructor(
    private readonly api: HuamiOpenApi,
    private readonly userId: string,
    private readonly options: HuamiOpenSourceOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  private params(extra: Record<string, string | number>): Record<string, string | number> {
    const tz = this.options.tzOffsetS;
    return tz === undefined ? extra : { ...extra, tzOffsetS: tz };
  }

  private record(
    endpoint: string,
    name: string,
    res: Pick<RawResponse, 'url' | 'status' | 'text'>,
    params: Record<string, string | number>,
  ): RawRecord {
    return {
      source: 'huami-open',
      endpoint,
      userId: this.userId,
      key: rawKey('huami-open', endpoint, this.userId, name),
      url: res.url,
      status: res.status,
      fetchedAt: this.clock(),
      text: res.text,
      params: this.params(params),
    };
  }

  private get(resource: HuamiOpenApiResource, query: HuamiOpenParams, withZone = false): Promise<RawResponse> {
    const tz = this.options.tzOffsetS;
    const params = withZone && tz !== undefined ? { ...query, timezone: huamiTimezoneParam(tz) } : query;
    return this.api.get(resource, params);
  }

  /**
   * One resource over `from..to`, asked one calendar month at a time (the API does not promise a longer range
   * whole). A window inside one month is one call and its answer as sent; a longer one is joined by items.
   */
  private async getRange(
    resource: HuamiOpenApiResource,
    range: { from: string; to: string },
    query: HuamiOpenParams,
    withZone = false,
  ): Promise<RawResponse> {
    const parts: RawResponse[] = [];
    for (const month of monthsBetween(range.from, range.to)) {
      const startDate = monthStart(month) > range.from ? monthStart(month) : range.from;
      const endDate = monthEnd(month) < range.to ? monthEnd(month) : range.to;
      parts.push(await this.get(resource, { ...query, startDate, endDate }, withZone));
    }
    const [first] = parts;
    if (parts.length === 1 && first) return first;
    const items = parts.flatMap((p) => itemsOf(p, resource));
    const text = JSON.stringify({ items });
    return { url: parts.map((p) => p.url).join(' + '), status: 200, text, body: { items }, fetchedAt: Date.now() };
  }

  async fetchWindow(stream: WindowedStream, w: SyncWindow): Promise<RawRecord[]> {
    const range = { from: w.from, to: w.to };
    const window = { from: w.from, to: w.to };
    switch (stream) {
      case 'band': {
        const activities = await this.getRange('activities', range, { interval: 'daily' });
        const sleep = await this.getRange('sleep', range, { interval: 'daily' });
        const stages = await this.getRange('sleep', range, { interval: 'hourly' });
        const heartrates = await this.getRange('heartrates', range, { type: 'ALL' }, true);
        const motion = await this.getRange('motionInMinute', range, {});
        // One record for both minute resources: the decoder merges them by minute, and decoding one alone
        // would give rows whose other columns are null.
        const minutes = {
          url: `${heartrates.url} + ${motion.url}`,
          status: 200,
          text: `{"heartrates":${heartrates.text},"motionInMinute":${motion.text}}`,
        };
        const name = windowRawName(w);
        return [
          this.record('activities', name, activities, window),
          this.record('sleep', name, sleep, window),
          this.record('sleep-hourly', name, stages, window),
          this.record('minutes', name, minutes, window),
        ];
      }
      case 'stress': {
        const res = await this.getRange('events', range, { eventType: 'all_day_stress' }, true);
        return [this.record('events/all_day_stress', windowRawName(w), res, window)];
      }
      case 'pai': {
        const res = await this.getRange('PaiSummary', range, {});
        return [this.record('PaiSummary', windowRawName(w), res, window)];
      }
      default:
        throw new Error(`huami-open has no stream ${stream}`);
    }
  }

  /**
   * Lists sports a whole calendar month at a time (a stable raw key that a later run overwrites with a
   * superset), from the month of `stopBeforeTrackId` (or of the window's first day) to the window's end.
   */
  async listWorkouts(
    stopBeforeTrackId: number | undefined,
    window: { from: string; to: string },
  ): Promise<{ raws: RawRecord[]; items: WorkoutRef[] }> {
    let start = window.from;
    if (stopBeforeTrackId !== undefined) {
      // Any UTC offset puts the local date within a day of the UTC date.
      const stopDate = addDays(localDateOf(stopBeforeTrackId * 1000, 0), -1);
      if (stopDate > start) start = stopDate;
    }
    const raws: RawRecord[] = [];
    const byId = new Map<number, WorkoutRef>();
    if (start > window.to) return { raws, items: [] };
    for (const month of monthsBetween(start, window.to)) {
      const from = monthStart(month);
      const to = monthEnd(month);
      const res = await this.get('sports', { startDate: from, endDate: to, sportCategory: 'all' }, true);
      raws.push(this.record('sports', month, res, { from, to }));
      itemsOf(res, 'sports').forEach((item, i) => {
        const trackid = Number(item.trackId);
        if (!Number.isInteger(trackid) || trackid <= 0)
          throw new MalformedPayloadError(`items[${i}].trackId`, `not a track id: ${JSON.stringify(item.trackId)}`);
        if (stopBeforeTrackId !== undefined && trackid < stopBeforeTrackId) return;
        const startS = Number(item.startTime);
        byId.set(trackid, {
          trackid,
          startMs: (Number.isFinite(startS) && startS > 0 ? startS : trackid) * 1000,
          params: { device: typeof item.device === 'string' ? item.device : '' },
        });
      });
    }
    return { raws, items: [...byId.values()].sort((a, b) => a.trackid - b.trackid) };
  }

  async fetchWorkoutDetail(ref: WorkoutRef): Promise<RawRecord> {
    const query: HuamiOpenParams = { trackId: ref.trackid };
    if (ref.params.device) query.device = ref.params.device;
    const res = await this.get('sportDetail', query);
    return this.record('sportDetail', String(ref.trackid), res, { trackid: ref.trackid });
  }

  async lastDeviceActivity(): Promise<number | null> {
    const res = await this.get('devices', {});
    const items = (res.body as { items?: unknown } | null)?.items;
    if (!Array.isArray(items)) return null;
    let newest: number | null = null;
    for (const d of items as Record<string, unknown>[]) {
      const v = Number(d.lastDataSyncTime);
      if (!Number.isFinite(v) || v <= 0) continue;
      const ms = v > 1e12 ? v : v * 1000;
      if (newest === null || ms > newest) newest = ms;
    }
    return newest;
  }

  /**
   * The first day with data: daily activities one calendar month at a time, walked forward from 2015-01 and
   * stopped at the first month with items. Never more than a month per call (a cut answer would pass for an
   * empty stretch and skip the person's first months); the cost is one small call per month before the first
   * data, so at most 12 a year since 2015, once per user.
   */
  async discoverFirstDate(today: string): Promise<{ date: string; certain: boolean } | undefined> {
    for (const month of monthsBetween(FIRST_PROBED_DAY, today)) {
      const from = monthStart(month);
      const to = monthEnd(month) < today ? monthEnd(month) : today;
      let res: RawResponse;
      try {
        res = await this.get('activities', { startDate: from, endDate: to, interval: 'daily' });
      } catch (err) {
        if (err instanceof AuthExpiredError) throw err;
        return { date: from, certain: false };
      }
      const items = (res.body as { items?: unknown } | null)?.items;
      if (!Array.isArray(items) || items.length === 0) continue;
      const dates = items
        .map((i) => String((i as { date?: unknown }).date))
        .filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d))
        .sort();
      if (dates[0]) return { date: dates[0], certain: true };
    }
    return undefined;
  }
}
