// Rebuilds a user's tables from raw/ alone, with no API call: the way to apply a better decoder to the
// whole history. Band data goes first because it carries the time zones the other streams are placed with.

import type { ObjectStore, SourceId } from '../core/ports.ts';
import { monthObjectKey, TABLE_NAMES, type TableRows } from '../core/schema-registry.ts';
import { assertValidUserId } from '../core/user-id.ts';
import { appendRows, decodeRaw } from './decode-raw.ts';
import { type ParquetCodec, writeTableRows } from './lake-writer.ts';
import { decodeRawRecord, type RawRecord } from './raw-records.ts';
import { TzTimeline } from './tz-timeline.ts';

export interface ReplayOptions {
  store: ObjectStore;
  codec: ParquetCodec;
  userId: string;
  /** Keep only rows whose local_date is in [from, to]; the month objects outside are left as they are. */
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
  rows: number;
  objectsWritten: number;
  rejects: string[];
}

const FLUSH_ROWS = 400_000;

export async function listUserRawKeys(store: ObjectStore, userId: string): Promise<string[]> {
  const keys = await store.list('raw/');
  return keys.filter((k) => k.includes(`/user-${userId}/`));
}

export async function replayUser(opts: ReplayOptions): Promise<ReplayReport> {
  const { store, codec } = opts;
  const userId = assertValidUserId(opts.userId);
  const report: ReplayReport = { userId, rawObjects: 0, rows: 0, objectsWritten: 0, rejects: [] };
  const raws: RawRecord[] = [];
  const keys = await listUserRawKeys(store, userId);
  for (const [i, key] of keys.entries()) {
    const obj = await store.get(key);
    if (obj) raws.push(decodeRawRecord(obj.body, key));
    opts.onProgress?.({ phase: 'read', done: i + 1, total: keys.length });
  }
  report.rawObjects = raws.length;
  const isBand = (r: RawRecord) => r.endpoint === 'band_data' || r.endpoint === 'activities' || r.endpoint === 'sleep';
  raws.sort((a, b) => Number(isBand(b)) - Number(isBand(a)) || a.fetchedAt - b.fetchedAt || a.key.localeCompare(b.key));
  const inRange = (d: unknown) => typeof d === 'string' && (!opts.from || d >= opts.from) && (!opts.to || d <= opts.to);

  // A full replay starts from empty objects so that rows no raw response supports disappear.
  if (!opts.from && !opts.to) {
    const stale: string[] = [];
    for (const t of TABLE_NAMES) {
      if (t === 'ingest_ledger') continue;
      for (const k of await store.list(`tables/${t}/`)) if (k.endsWith(`/user-${userId}.parquet`)) stale.push(k);
    }
    await store.delete(stale);
  }
  const timeline = new TzTimeline(opts.tzOffsetS ?? null);
  let pending: TableRows = {};
  let pendingCount = 0;
  const flush = async () => {
    for (const t of TABLE_NAMES) {
      const list = pending[t];
      if (list) pending[t] = list.filter((r) => inRange(r.local_date));
    }
    const res = await writeTableRows(store, codec, userId, pending);
    report.objectsWritten += res.objectsWritten;
    report.rows += res.rowsIn;
    pending = {};
    pendingCount = 0;
  };
  let bandDone = false;
  for (const [i, raw] of raws.entries()) {
    opts.onProgress?.({ phase: 'decode', done: i, total: raws.length });
    if (!isBand(raw) && !bandDone) {
      await flush();
      bandDone = true;
    }
    try {
      const decoded = decodeRaw(raw, { userId, source: raw.source as SourceId, tzOffsetAt: timeline.offsetAt });
      for (const r of decoded.rows.daily_summary ?? []) timeline.add(r.local_date as string, r.tz_offset_s as number);
      appendRows(pending, decoded.rows);
      for (const r of Object.values(decoded.rows)) pendingCount += r?.length ?? 0;
      for (const rej of decoded.rejects) report.rejects.push(`${raw.key}: ${rej.message}`);
    } catch (err) {
      report.rejects.push(`${raw.key}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (pendingCount >= FLUSH_ROWS) await flush();
  }
  await flush();
  opts.onProgress?.({ phase: 'decode', done: raws.length, total: raws.length });
  return report;
}

export { monthObjectKey };
