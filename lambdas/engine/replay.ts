// Rebuilds a user's tables from raw/ alone, with no API call: the way to apply a better decoder to the whole
// history. The same rule as sync (docs/decisions/0008-raw-keyed-by-window.md): every stored response is folded into
// the month objects in fetch order, merged by natural key, so replay gives exactly the rows the syncs wrote.
//
// Safe as sync is: under the user's lease (renewed between writes), each month object is replaced by a
// conditional write over the current one (never deleted first), and objects no response supports any more are
// deleted only after everything else is written. A crash leaves every object old or new; a re-run finishes.
// Rows on days (or of workouts) that no stored response covers cannot be rebuilt and are kept as they are.
//
// Order: band data first, month by month (it carries the time zones the other streams are placed with), then
// the other windowed streams, then workout rows from the lists, then workout samples detail by detail.

import { monthsBetween } from '../core/plan.ts';
import type { ObjectStore } from '../core/ports.ts';
import { STREAM_TABLES } from '../core/ports.ts';
import { decodeRawRecord, type RawRecord, windowOfRecord } from '../core/raw-records.ts';
import {
  monthObjectKey,
  naturalKeyOf,
  type Row,
  TABLE_NAMES,
  type TableName,
  type TableRows,
  tableDef,
} from '../core/schema-registry.ts';
import { addDays, eachDay, localDateOf } from '../core/time.ts';
import { assertValidUserId } from '../core/user-id.ts';
import type { EndpointRole, RawDecoderLookup } from '../sources/source.ts';
import { decodeRaw } from './decode-raw.ts';
import { type ParquetCodec, replaceMonthObject } from './lake-writer.ts';
import { type LeaseOptions, UserLease } from './lease.ts';
import { TzTimeline } from './tz-timeline.ts';

export interface ReplayOptions {
  store: ObjectStore;
  codec: ParquetCodec;
  userId: string;
  /** The per-user lease sync takes too: a replay never runs beside a sync (or another replay) of the user. */
  lease: LeaseOptions;
  /** The reader of each source (sources/registry.ts rawDecoderOf): a user's raw records may span sources. */
  decoders: RawDecoderLookup;
  /** Keep only rows whose local_date is in [from, to]; the rows and month objects outside are left as they are. */
  from?: string;
  to?: string;
  tzOffsetS?: number;
  /**
   * Progress: `read` counts the raw objects fetched, `decode` the raw objects decoded and written to the month
   * objects. Both totals are the user's raw object count.
   */
  onProgress?: (e: ReplayProgress) => void;
}

export interface ReplayProgress {
  phase: 'read' | 'decode';
  done: number;
  total: number;
}

export interface ReplayReport {
  userId: string;
  rawObjects: number;
  /** Rows rebuilt from raw/ (in the range). */
  rows: number;
  objectsWritten: number;
  /** Month objects no stored response supports any more. */
  objectsDeleted: number;
  rejects: string[];
}

const BAND_TABLES = STREAM_TABLES.band;
const EVENT_TABLES: readonly TableName[] = [
  ...STREAM_TABLES.stress,
  ...STREAM_TABLES.spo2,
  ...STREAM_TABLES.pai,
  ...STREAM_TABLES.readiness,
];

/** A stored response and its place in fetch order. */
interface Held {
  raw: RawRecord;
  order: number;
}

type Fold = Map<TableName, Map<string, Row>>;

export async function listUserRawKeys(store: ObjectStore, userId: string): Promise<string[]> {
  const keys = await store.list('raw/');
  return keys.filter((k) => k.includes(`/user-${userId}/`));
}

export async function replayUser(opts: ReplayOptions): Promise<ReplayReport> {
  const userId = assertValidUserId(opts.userId);
  const lease = new UserLease(opts.lease, userId, 'replay');
  await lease.acquire();
  try {
    return await new Replay(opts, userId, lease).run();
  } finally {
    await lease.release();
  }
}

function monthOf(row: Row): string {
  return String(row.local_date).slice(0, 7);
}

function trackidOf(raw: RawRecord): number {
  const fromParams = raw.params?.trackid;
  if (typeof fromParams === 'number') return fromParams;
  return Number(/\/(\d+)(?:~\d+)?\.json\.gz$/.exec(raw.key)?.[1] ?? Number.NaN);
}

/** Appends to the list under `key`, creating it. */
function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function foldInto(fold: Fold, table: TableName, row: Row): void {
  let rows = fold.get(table);
  if (!rows) {
    rows = new Map();
    fold.set(table, rows);
  }
  rows.set(naturalKeyOf(tableDef(table), row), row);
}

class Replay {
  private readonly report: ReplayReport;
  private readonly rejects = new Set<string>();
  private readonly timeline: TzTimeline;
  /** Days each windowed table has a stored response for (its rows there are rebuilt, not kept). */
  private readonly coveredDays = new Map<TableName, Set<string>>();
  /** Workouts with a stored detail (sync writes a workout's rows only once its detail landed). */
  private readonly detailTrackids = new Set<number>();
  /** Months of the user's existing data objects, per table (in the range). */
  private readonly existing = new Map<TableName, Set<string>>();
  private readonly emptied = new Set<string>();
  private readonly decoded = new Set<string>();
  private total = 0;

  constructor(
    private readonly opts: ReplayOptions,
    private readonly userId: string,
    private readonly lease: UserLease,
  ) {
    this.report = { userId, rawObjects: 0, rows: 0, objectsWritten: 0, objectsDeleted: 0, rejects: [] };
    this.timeline = new TzTimeline(opts.tzOffsetS ?? null);
  }

  async run(): Promise<ReplayReport> {
    const records = await this.read();
    this.report.rawObjects = records.length;
    this.total = records.length;
    this.indexCoverage(records);
    await this.listExisting();
    const streamOf = (h: Held) => this.roleOf(h.raw)?.stream;
    for (const h of records) {
      if (streamOf(h) === undefined) this.reject(h, `no stream of ${h.raw.source} reads endpoint ${h.raw.endpoint}`);
    }
    await this.replayWindowed(
      records.filter((h) => streamOf(h) === 'band'),
      BAND_TABLES,
    );
    await this.replayWindowed(
      records.filter((h) => streamOf(h) !== undefined && streamOf(h) !== 'band' && streamOf(h) !== 'workouts'),
      EVENT_TABLES,
    );
    const workouts = records.filter((h) => streamOf(h) === 'workouts');
    await this.replayWorkoutRows(workouts.filter((h) => !this.roleOf(h.raw)?.detail));
    await this.replayWorkoutSamples(workouts.filter((h) => this.roleOf(h.raw)?.detail));
    await this.deleteEmptied();
    this.opts.onProgress?.({ phase: 'decode', done: this.total, total: this.total });
    this.report.rejects = [...this.rejects];
    return this.report;
  }

  /** Every stored response of the user, in fetch order. An unreadable one stops the replay before any write. */
  private async read(): Promise<Held[]> {
    const { store, userId, onProgress } = this.opts;
    const keys = await listUserRawKeys(store, userId);
    const raws: RawRecord[] = [];
    for (const [i, key] of keys.entries()) {
      const obj = await store.get(key);
      if (obj) raws.push(decodeRawRecord(obj.body, key));
      onProgress?.({ phase: 'read', done: i + 1, total: keys.length });
    }
    raws.sort((a, b) => a.fetchedAt - b.fetchedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return raws.map((raw, order) => ({ raw, order }));
  }

  private indexCoverage(records: readonly Held[]): void {
    for (const { raw } of records) {
      const role = this.roleOf(raw);
      const stream = role?.stream;
      if (stream === 'workouts') {
        if (role?.detail) this.detailTrackids.add(trackidOf(raw));
        continue;
      }
      const w = windowOfRecord(raw);
      if (!stream || !w) continue;
      for (const t of STREAM_TABLES[stream]) {
        let days = this.coveredDays.get(t);
        if (!days) {
          days = new Set();
          this.coveredDays.set(t, days);
        }
        for (const d of eachDay(w.from, w.to)) days.add(d);
      }
    }
  }

  private async listExisting(): Promise<void> {
    for (const t of TABLE_NAMES) {
      if (t === 'ingest_ledger') continue;
      const months = new Set<string>();
      for (const key of await this.opts.store.list(`tables/${t}/`)) {
        const m = /\/month=(\d{4}-\d{2})\/user-([^/]+)\.parquet$/.exec(key);
        if (m?.[2] === this.userId && m[1] && this.monthInRange(m[1])) months.add(m[1]);
      }
      this.existing.set(t, months);
    }
  }

  private inRange(date: unknown): boolean {
    const { from, to } = this.opts;
    return typeof date === 'string' && (!from || date >= from) && (!to || date <= to);
  }

  private monthInRange(month: string): boolean {
    const { from, to } = this.opts;
    return (!from || month >= from.slice(0, 7)) && (!to || month <= to.slice(0, 7));
  }

  /** A row the stored responses rebuild (so it is replaced by the fold), rather than one kept as it is. */
  private rebuilt(table: TableName, row: Row): boolean {
    if (!this.inRange(row.local_date)) return false;
    if (table === 'workout' || table === 'workout_sample') return this.detailTrackids.has(Number(row.trackid));
    return this.coveredDays.get(table)?.has(String(row.local_date)) ?? false;
  }

  /** Every day of the month (in the range) is covered: no row of the current object can be kept. */
  private coversWholeMonth(table: TableName, month: string): boolean {
    if (table === 'workout' || table === 'workout_sample') return false;
    const days = this.coveredDays.get(table);
    const next = addDays(`${month}-28`, 4).slice(0, 7);
    for (let d = `${month}-01`; d < `${next}-01`; d = addDays(d, 1))
      if (!days?.has(d) || !this.inRange(d)) return false;
    return true;
  }

  private coversMonth(table: TableName, month: string): boolean {
    for (const d of this.coveredDays.get(table) ?? []) if (d.startsWith(month) && this.inRange(d)) return true;
    return false;
  }

  /** What a stored response is, by its source's endpoint list (undefined: no registered source reads it). */
  private roleOf(raw: RawRecord): EndpointRole | undefined {
    const endpoints = this.opts.decoders(raw.source)?.endpoints;
    return endpoints && Object.hasOwn(endpoints, raw.endpoint) ? endpoints[raw.endpoint] : undefined;
  }

  private reject(h: Held, message: string): void {
    this.rejects.add(`${h.raw.key}: ${message}`);
  }

  private decode(h: Held): TableRows {
    try {
      const out = decodeRaw(h.raw, {
        userId: this.userId,
        source: h.raw.source,
        tzOffsetAt: this.timeline.offsetAt,
        decode: this.opts.decoders(h.raw.source)?.decode,
      });
      for (const rej of out.rejects) this.reject(h, rej.message);
      return out.rows;
    } catch (err) {
      this.reject(h, err instanceof Error ? err.message : String(err));
      return {};
    } finally {
      if (!this.decoded.has(h.raw.key)) {
        this.decoded.add(h.raw.key);
        this.opts.onProgress?.({ phase: 'decode', done: this.decoded.size, total: this.total });
      }
    }
  }

  /** Replaces one month object with the fold's rows plus the rows it keeps (out of range, or not covered). */
  private async write(table: TableName, month: string, rows: readonly Row[]): Promise<void> {
    await this.lease.renew();
    const target = { table, month, userId: this.userId };
    const keep = this.coversWholeMonth(table, month) ? null : (r: Row) => !this.rebuilt(table, r);
    const outcome = await replaceMonthObject(this.opts, target, rows, keep);
    this.report.rows += rows.length;
    if (outcome === 'written') this.report.objectsWritten++;
    if (outcome === 'emptied') this.emptied.add(monthObjectKey(table, month, this.userId));
  }

  /**
   * Rows for an object already replaced in this run (a placement the flush order did not foresee): merged on top of
   * what was written, or onto the rows it keeps if it was to be deleted. Keys never repeat across what was
   * written and these rows (they come from other responses), so the fold stays exact.
   */
  private async writeLate(table: TableName, rows: readonly Row[]): Promise<void> {
    const byMonth = new Map<string, Fold>();
    for (const r of rows) {
      const fold = byMonth.get(monthOf(r)) ?? new Map();
      byMonth.set(monthOf(r), fold);
      foldInto(fold, table, r);
    }
    for (const [month, fold] of byMonth) {
      const list = [...(fold.get(table)?.values() ?? [])];
      const key = monthObjectKey(table, month, this.userId);
      const wasEmptied = this.emptied.delete(key);
      await this.lease.renew();
      const target = { table, month, userId: this.userId };
      const keep = wasEmptied ? (r: Row) => !this.rebuilt(table, r) : () => true;
      const outcome = await replaceMonthObject(this.opts, target, list, keep);
      this.report.rows += list.length;
      if (outcome === 'written') this.report.objectsWritten++;
    }
  }

  /** Windowed responses, month by month: each month's responses folded in fetch order, then its objects replaced. */
  private async replayWindowed(records: readonly Held[], tables: readonly TableName[]): Promise<void> {
    const byMonth = new Map<string, Held[]>();
    const loose: { order: number; rows: TableRows }[] = [];
    for (const h of records) {
      const w = windowOfRecord(h.raw);
      // A response without its window (none is written so) is decoded whole, its rows placed by their dates.
      if (!w) loose.push({ order: h.order, rows: this.decode(h) });
      else for (const m of monthsBetween(w.from, w.to)) if (this.monthInRange(m)) pushTo(byMonth, m, h);
    }
    const months = new Set(byMonth.keys());
    for (const part of loose) for (const t of tables) for (const r of part.rows[t] ?? []) months.add(monthOf(r));
    for (const t of tables) for (const m of this.existing.get(t) ?? []) if (this.coversMonth(t, m)) months.add(m);
    const strays = new Map<TableName, Row[]>();
    for (const month of [...months].sort()) {
      const parts = (byMonth.get(month) ?? []).map((h) => ({ order: h.order, rows: this.decode(h) }));
      parts.push(...loose);
      parts.sort((a, b) => a.order - b.order);
      const fold: Fold = new Map();
      for (const part of parts) {
        for (const t of TABLE_NAMES) {
          for (const r of part.rows[t] ?? []) {
            if (monthOf(r) !== month || !this.inRange(r.local_date)) continue;
            if (tables.includes(t)) foldInto(fold, t, r);
            else pushTo(strays, t, r);
          }
        }
      }
      for (const t of tables) {
        const rows = [...(fold.get(t)?.values() ?? [])];
        if (rows.length > 0 || this.existing.get(t)?.has(month)) await this.write(t, month, rows);
      }
      for (const r of fold.get('daily_summary')?.values() ?? [])
        this.timeline.add(r.local_date as string, r.tz_offset_s as number);
    }
    for (const [t, rows] of strays) await this.writeLate(t, rows);
  }

  /** Workout rows come from the lists, for the workouts whose detail is stored, the newest list winning. */
  private async replayWorkoutRows(lists: readonly Held[]): Promise<void> {
    const byMonth = new Map<string, Fold>();
    for (const h of lists) {
      for (const r of this.decode(h).workout ?? []) {
        if (!this.detailTrackids.has(Number(r.trackid)) || !this.inRange(r.local_date)) continue;
        const fold = byMonth.get(monthOf(r)) ?? new Map();
        byMonth.set(monthOf(r), fold);
        foldInto(fold, 'workout', r);
      }
    }
    const months = new Set([...byMonth.keys(), ...(this.existing.get('workout') ?? [])]);
    for (const month of [...months].sort())
      await this.write('workout', month, [...(byMonth.get(month)?.get('workout')?.values() ?? [])]);
  }

  /**
   * Workout samples, detail by detail in trackid order. A detail's rows lie within a day of its start, so a month
   * is replaced as soon as the details reach two days past it: one month of samples in memory, not the history.
   */
  private async replayWorkoutSamples(details: readonly Held[]): Promise<void> {
    const ordered = [...details].sort((a, b) => trackidOf(a.raw) - trackidOf(b.raw) || a.order - b.order);
    const pending = new Map<string, Fold>();
    const waiting = new Set(this.existing.get('workout_sample') ?? []);
    const done = new Set<string>();
    const flushBefore = async (limit: string | undefined) => {
      for (const month of [...new Set([...pending.keys(), ...waiting])].sort()) {
        if (limit !== undefined && month >= limit) break;
        await this.write('workout_sample', month, [...(pending.get(month)?.get('workout_sample')?.values() ?? [])]);
        pending.delete(month);
        waiting.delete(month);
        done.add(month);
      }
    };
    for (const h of ordered) {
      const late: Row[] = [];
      for (const r of this.decode(h).workout_sample ?? []) {
        if (!this.inRange(r.local_date)) continue;
        if (done.has(monthOf(r))) {
          late.push(r);
          continue;
        }
        const fold = pending.get(monthOf(r)) ?? new Map();
        pending.set(monthOf(r), fold);
        foldInto(fold, 'workout_sample', r);
      }
      if (late.length > 0) await this.writeLate('workout_sample', late);
      const trackid = trackidOf(h.raw);
      if (Number.isFinite(trackid)) await flushBefore(addDays(localDateOf(trackid * 1000, 0), -2).slice(0, 7));
    }
    await flushBefore(undefined);
  }

  /** Last: the objects no stored response supports any more, once every other object is written. */
  private async deleteEmptied(): Promise<void> {
    if (this.emptied.size === 0) return;
    await this.lease.renew();
    await this.opts.store.delete([...this.emptied].sort());
    this.report.objectsDeleted = this.emptied.size;
  }
}
