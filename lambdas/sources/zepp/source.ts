// The Zepp app API as a sync source: month windows of band_data and events, paged workout history and
// per-workout detail. Every response becomes a RawRecord keyed by what was fetched (the window, the page's trackids,
// the workout) before anything decodes it.

import { AuthExpiredError, MalformedPayloadError } from '../../core/errors.ts';
import type { SyncWindow } from '../../core/plan.ts';
import { type RawRecord, rawKey, windowRawName } from '../../core/raw-records.ts';
import { parseDate } from '../../core/time.ts';
import type { RawResponse } from '../http.ts';
import { type SyncSource, streamsOfEndpoints, type WindowedStream, type WorkoutRef } from '../source.ts';
import type { ZeppApi } from './client.ts';
import { decodeZeppRaw } from './decode-raw.ts';
import { ZEPP_ENDPOINTS, ZEPP_EVENT_TYPES } from './endpoints.ts';

/** Events are asked for by instant; pad a day so every UTC offset (-12 h .. +14 h) is covered. */
const PAD_MS = 86_400_000;
const EVENTS_LIMIT = 1000;
const MAX_EVENT_PAGES = 50;

export class ZeppSource implements SyncSource {
  readonly source = 'zepp' as const;
  readonly streams = streamsOfEndpoints(ZEPP_ENDPOINTS);
  readonly decode = decodeZeppRaw;

  constructor(
    private readonly api: ZeppApi,
    private readonly userId: string,
    /** The engine's clock stamps the raw records, so a replayed or repeated run is reproducible. */
    private readonly clock: () => number = Date.now,
  ) {}

  private record(endpoint: string, name: string, res: RawResponse, params?: RawRecord['params']): RawRecord {
    return {
      source: 'zepp',
      endpoint,
      userId: this.userId,
      key: rawKey('zepp', endpoint, this.userId, name),
      url: res.url,
      status: res.status,
      fetchedAt: this.clock(),
      text: res.text,
      params,
    };
  }

  async fetchWindow(stream: WindowedStream, w: SyncWindow): Promise<RawRecord[]> {
    if (stream === 'band') {
      const res = await this.api.getBandData(w.from, w.to, 'detail');
      return [this.record('band_data', windowRawName(w), res, { from: w.from, to: w.to })];
    }
    const eventType = ZEPP_EVENT_TYPES[stream];
    if (!eventType) throw new Error(`zepp has no stream ${stream}`);
    const toMs = parseDate(w.to) + 2 * PAD_MS - 1;
    let fromMs = parseDate(w.from) - PAD_MS;
    const out: RawRecord[] = [];
    for (let page = 1; page <= MAX_EVENT_PAGES; page++) {
      const res = await this.api.getEvents(eventType, fromMs, toMs, { limit: EVENTS_LIMIT });
      out.push(this.record(`events/${eventType}`, windowRawName(w, page), res, { from: w.from, to: w.to }));
      const items = (res.body as { items?: unknown })?.items;
      if (!Array.isArray(items)) throw new MalformedPayloadError('items', `events ${eventType} answered without items`);
      // No paging cursor exists: when a page is full, continue after its newest item.
      if (items.length < EVENTS_LIMIT) break;
      const newest = Math.max(...items.map((i) => Number((i as { timestamp?: unknown }).timestamp) || 0));
      if (!(newest >= fromMs)) break;
      fromMs = newest + 1;
    }
    return out;
  }

  async listWorkouts(stopBeforeTrackId: number | undefined): Promise<{ raws: RawRecord[]; items: WorkoutRef[] }> {
    const raws: RawRecord[] = [];
    const byId = new Map<number, WorkoutRef>();
    let trackid: number | undefined;
    for (let page = 0; page < 10_000; page++) {
      const res = await this.api.getWorkoutHistory(trackid);
      const data = (res.body as { data?: { next?: unknown; summary?: unknown } })?.data;
      if (!data || !Array.isArray(data.summary))
        throw new MalformedPayloadError('data.summary', 'history.json has no summary list');
      const items = data.summary as { trackid?: unknown; source?: unknown }[];
      const ids = items.map((i) => Number(i.trackid)).filter((n) => Number.isFinite(n));
      const name = ids.length ? `${Math.max(...ids)}_${Math.min(...ids)}` : `empty-${trackid ?? 'latest'}`;
      raws.push(this.record('workout_history', name, res, trackid === undefined ? {} : { trackid }));
      let reachedStop = false;
      for (const item of items) {
        const id = Number(item.trackid);
        if (!Number.isFinite(id)) throw new MalformedPayloadError('data.summary[].trackid', 'not a number');
        if (stopBeforeTrackId !== undefined && id < stopBeforeTrackId) {
          reachedStop = true;
          continue;
        }
        byId.set(id, { trackid: id, startMs: id * 1000, params: { source: String(item.source ?? '') } });
      }
      const next = Number(data.next);
      if (reachedStop || !Number.isFinite(next) || next === -1 || items.length === 0) break;
      if (trackid !== undefined && next === trackid) break; // a server that repeats its cursor must not loop us forever
      trackid = next;
    }
    return { raws, items: [...byId.values()].sort((a, b) => a.trackid - b.trackid) };
  }

  async fetchWorkoutDetail(ref: WorkoutRef): Promise<RawRecord> {
    const res = await this.api.getWorkoutDetail(ref.trackid, ref.params.source ?? '');
    return this.record('workout_detail', String(ref.trackid), res, { trackid: ref.trackid });
  }

  async lastDeviceActivity(): Promise<number | null> {
    const res = await this.api.getDevices();
    const items = (res.body as { items?: unknown })?.items;
    if (!Array.isArray(items)) return null;
    let newest: number | null = null;
    for (const d of items as Record<string, unknown>[]) {
      for (const k of ['lastDataSyncTime', 'lastSyncTime', 'bindingDate', 'last_sync_time']) {
        const v = Number(d[k]);
        if (Number.isFinite(v) && v > 0) {
          const ms = v > 1e12 ? v : v * 1000;
          if (newest === null || ms > newest) newest = ms;
        }
      }
    }
    return newest;
  }

  /**
   * Cheap probe with query_type=summary, a year at a time, for the account's first day with data. A probe
   * that fails answers "maybe from this year on" (never later than the truth), marked as not certain.
   */
  async discoverFirstDate(today: string): Promise<{ date: string; certain: boolean } | undefined> {
    const lastYear = Number(today.slice(0, 4));
    for (let y = 2015; y <= lastYear; y++) {
      const to = y === lastYear ? today : `${y}-12-31`;
      let res: RawResponse | undefined;
      // The probe decides how far back to go: worth a few more tries than a data call.
      for (let attempt = 0; attempt < 3 && !res; attempt++) {
        try {
          res = await this.api.getBandData(`${y}-01-01`, to, 'summary');
        } catch (err) {
          if (err instanceof AuthExpiredError) throw err;
        }
      }
      if (!res) return { date: `${y}-01-01`, certain: false };
      const data = (res.body as { data?: { date_time?: unknown }[] })?.data;
      if (Array.isArray(data) && data.length > 0) {
        const dates = data.map((d) => String(d.date_time)).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d));
        const first = dates.sort()[0];
        if (first) return { date: first, certain: true };
      }
    }
    return undefined;
  }
}
