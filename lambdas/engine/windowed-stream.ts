// The month-window runner for band data and the event streams (stress, spo2, pai, readiness): plan windows from
// the cursor and the failed days, then per window fetch -> raw/ -> decode -> merge into month objects -> ledger
// -> cursor, each a durable step. A failed window is marked in the ledger and the next window goes on; an
// expired token stops the stream (and the run).

import { AuthExpiredError } from '../core/errors.ts';
import { fetchMovesCursor, planSyncWindows, type SyncWindow } from '../core/plan.ts';
import { type Cursor, type LedgerEntry, type LedgerStatus, STREAM_TABLES } from '../core/ports.ts';
import type { RawRecord } from '../core/raw-records.ts';
import type { TableRows } from '../core/schema-registry.ts';
import { addDays, eachDay } from '../core/time.ts';
import type { WindowedStream } from '../sources/source.ts';
import { appendRows, type SourceDecodeContext } from './decode-raw.ts';
import { countRows, type Decoded, decodeOrError, keysAt, keysOfDecoded, rowsPerDay } from './decoded-fetch.ts';
import { writeTableRows } from './lake-writer.ts';
import type { StorageTarget } from './ledger.ts';
import { once, type RawFetch, removeSupersededRaw, storeRawFetch } from './raw-store.ts';
import { bandHistoryStart, durableStep, errorText, reportProgress, type StreamRun } from './sync-context.ts';
import { neighbourMonths } from './tz-timeline.ts';

export interface WindowedRun extends StreamRun {
  stream: WindowedStream;
}

/** Where the stream's cursor stands, advanced window by window. */
interface CursorMark {
  version: number;
  through: string | undefined;
}

/** One window fetched and stored in raw/, on its way to the lake. */
interface FetchedWindow {
  window: SyncWindow;
  days: string[];
  ctx: SourceDecodeContext;
  decoded: Decoded[];
  fetched: RawFetch;
  target: StorageTarget;
}

/** What a window's responses decode to: rows, the days a decoder refused, and an error for the whole window. */
interface WindowRows {
  rows: TableRows;
  rejects: Map<string, string>;
  wholeWindowError?: string;
}

type WindowOutcome = 'next' | 'stop';

export async function syncWindowedStream(s: WindowedRun): Promise<void> {
  const { run, stream } = s;
  const cursor = await run.deps.state.getCursor(run.user.userId, stream);
  // After a run that suspected a wrong-region host, its `empty` days may hold data: plan from the first day again.
  // The other streams start no earlier than the band data's history (bandHistoryStart): a plain sync's lag, or
  // a first back-fill of one stream, would otherwise reach days whose zone the lake does not know.
  const windows = planSyncWindows({
    through: run.user.wrongRegionSuspected ? undefined : cursor?.through,
    today: s.today,
    lagDays: run.deps.lagDays,
    firstDate: (stream !== 'band' && bandHistoryStart(run)) || run.firstDate,
    from: run.req.from,
    to: run.req.to,
    retryMonths: [...new Set(run.ledger.failedOf(stream).map((e) => e.localDate.slice(0, 7)))],
  });
  const mark: CursorMark = { version: cursor?.version ?? 0, through: cursor?.through };
  for (const [i, w] of windows.entries()) {
    reportProgress(s, i, windows.length, w.month);
    s.sr.windows++;
    if ((await syncWindow(s, w, mark)) === 'stop') return;
  }
  reportProgress(s, windows.length, windows.length, 'done');
}

async function syncWindow(s: WindowedRun, w: SyncWindow, mark: CursorMark): Promise<WindowOutcome> {
  const days = eachDay(w.from, w.to);
  let raws: RawRecord[];
  try {
    raws = await s.run.source.fetchWindow(s.stream, w);
  } catch (err) {
    return failWindow(s, w, days, err);
  }
  const fw = await storeWindowRaw(s, { window: w, days, raws });
  const wr = windowRows(fw);
  if ('authError' in wr) {
    const { ledger, report } = s.run;
    const rawKey = fw.fetched.records[wr.index]?.key ?? null;
    await ledger.fail({
      stream: s.stream,
      periods: days,
      status: 'auth_failed',
      error: wr.authError,
      rawKey,
      sr: s.sr,
    });
    report.authFailed = true;
    report.errors.push(`${s.stream} ${w.month}: ${wr.authError}`);
    return 'stop';
  }
  await landWindow(s, fw, wr);
  await advanceCursor(s, w, mark);
  return 'next';
}

/** The window's fetch failed (after the source's retries): its days are marked failed for the next run. */
async function failWindow(s: WindowedRun, w: SyncWindow, days: string[], err: unknown): Promise<WindowOutcome> {
  const { run, stream } = s;
  const auth = err instanceof AuthExpiredError;
  const status = auth ? 'auth_failed' : 'failed';
  await run.ledger.fail({ stream, periods: days, status, error: errorText(err), rawKey: null, sr: s.sr });
  run.report.errors.push(`${stream} ${w.month}: ${errorText(err)}`);
  run.deps.log?.('warn', 'window failed', { userId: run.user.userId, stream, month: w.month, error: errorText(err) });
  if (!auth) return 'next';
  run.report.authFailed = true;
  return 'stop';
}

/** Decodes the responses (what they yield decides whether they may replace what is stored), then writes raw/. */
async function storeWindowRaw(
  s: WindowedRun,
  w: { window: SyncWindow; days: string[]; raws: RawRecord[] },
): Promise<FetchedWindow> {
  const { run, stream } = s;
  const { deps, timeline, user } = run;
  if (stream !== 'band') await timeline.load(deps.store, deps.codec, user.userId, neighbourMonths(w.window.month));
  const ctx: SourceDecodeContext = {
    userId: user.userId,
    source: run.source.source,
    tzOffsetAt: timeline.offsetAt,
    decode: run.source.decode,
  };
  const decoded = w.raws.map((raw) => decodeOrError(raw, ctx));
  const keys = once(() => keysOfDecoded(decoded));
  const what = `${stream} ${w.window.month}`;
  const target: StorageTarget = { stream, periods: w.days, what, rawKey: null, sr: s.sr };
  const stored = await run.ledger.storageWrite(
    () => storeRawFetch(deps.store, { records: w.raws, keys }, keysAt(ctx)),
    target,
  );
  target.rawKey = stored[0]?.key ?? null;
  await durableStep(s, 'raw', w.window.month);
  return { window: w.window, days: w.days, ctx, decoded, fetched: { records: stored, keys }, target };
}

/** The rows of the window's responses; stops at an expired token (its response index, for the ledger's raw key). */
function windowRows(fw: FetchedWindow): WindowRows | { authError: string; index: number } {
  const out: WindowRows = { rows: {}, rejects: new Map() };
  for (const [i, d] of fw.decoded.entries()) {
    if (d.out) {
      appendRows(out.rows, d.out.rows);
      for (const r of d.out.rejects) {
        if (r.period) out.rejects.set(r.period, r.message);
        else out.wholeWindowError = r.message;
      }
      continue;
    }
    out.wholeWindowError = errorText(d.err);
    if (d.err instanceof AuthExpiredError) return { authError: out.wholeWindowError, index: i };
  }
  return out;
}

/** Rows placed with a guessed time zone (their band day failed) are held back and the day is retried. */
function holdBackUncertain(s: WindowedRun, days: string[], wr: WindowRows): void {
  if (s.stream === 'band') return;
  const uncertain = s.run.ledger.tzUncertainDays();
  if (uncertain.size === 0) return;
  for (const t of STREAM_TABLES[s.stream]) {
    const list = wr.rows[t];
    if (list) wr.rows[t] = list.filter((r) => !uncertain.has(r.local_date as string));
  }
  for (const d of days)
    if (uncertain.has(d) && !wr.rejects.has(d))
      wr.rejects.set(d, `band data near ${d} did not land yet; its time zone is needed to place this day`);
}

/** Rows into the month objects, then the window's days into the ledger. */
async function landWindow(s: WindowedRun, fw: FetchedWindow, wr: WindowRows): Promise<void> {
  const { run, stream, sr } = s;
  const { deps, ledger, timeline, user } = run;
  const month = fw.window.month;
  if (stream === 'band')
    for (const r of wr.rows.daily_summary ?? []) timeline.add(r.local_date as string, r.tz_offset_s as number);
  holdBackUncertain(s, fw.days, wr);
  const written = await ledger.storageWrite(
    () => writeTableRows(deps.store, deps.codec, user.userId, wr.rows),
    fw.target,
  );
  sr.rowsWritten += countRows(wr.rows);
  sr.objectsWritten += written.objectsWritten;
  await durableStep(s, 'lake', month);
  await removeRedundantRaw(s, fw);

  const entries = windowEntries(s, fw, wr);
  if (wr.wholeWindowError || wr.rejects.size)
    run.report.errors.push(`${stream} ${month}: ${wr.wholeWindowError ?? [...wr.rejects.values()][0]}`);
  await ledger.storageWrite(() => ledger.write(entries), fw.target);
  await durableStep(s, 'ledger', month);
}

/** One ledger entry per day of the window, counted in the stream's report. */
function windowEntries(s: WindowedRun, fw: FetchedWindow, wr: WindowRows): LedgerEntry[] {
  const { run, stream, sr } = s;
  const perDay = rowsPerDay(stream, wr.rows);
  const rawKey = fw.target.rawKey;
  const fetchedAt = fw.fetched.records[0]?.fetchedAt ?? run.deps.clock();
  const entries: LedgerEntry[] = fw.days.map((day) => {
    const n = perDay.get(day) ?? 0;
    const error = wr.rejects.get(day) ?? wr.wholeWindowError ?? null;
    const status: LedgerStatus = error ? 'failed' : n > 0 ? 'written' : 'empty';
    const source = run.source.source;
    return {
      userId: run.user.userId,
      stream,
      period: day,
      localDate: day,
      status,
      rows: n,
      rawKey,
      fetchedAt,
      error,
      source,
    };
  });
  for (const e of entries) sr[e.status === 'written' ? 'written' : e.status === 'empty' ? 'empty' : 'failed']++;
  return entries;
}

/** Raw responses the new fetch made redundant go (raw-store.ts); a failure here loses nothing, so it only warns. */
async function removeRedundantRaw(s: WindowedRun, fw: FetchedWindow): Promise<void> {
  const { deps, user } = s.run;
  try {
    await removeSupersededRaw(deps.store, fw.fetched, keysAt(fw.ctx));
  } catch (err) {
    deps.log?.('warn', 'redundant raw responses not removed', { userId: user.userId, error: errorText(err) });
  }
}

/**
 * The cursor is a high-water mark; failed days stay in the ledger and are retried from there. A bounded fetch
 * (`--to`, a webhook's window) that does not join what the cursor covers leaves it (core/plan.ts fetchMovesCursor):
 * the plain syncs after it would otherwise skip the days between.
 */
async function advanceCursor(s: WindowedRun, w: SyncWindow, mark: CursorMark): Promise<void> {
  const { deps, user, req } = s.run;
  if (fetchMovesCursor(mark.through && addDays(mark.through, 1), w.from, req.to !== undefined)) {
    const nextThrough = mark.through && mark.through > w.to ? mark.through : w.to;
    const next: Omit<Cursor, 'version'> = { through: nextThrough, updatedAt: deps.clock() };
    mark.version = (await deps.state.advanceCursor(user.userId, s.stream, next, mark.version)).version;
    mark.through = nextThrough;
  }
  await durableStep(s, 'cursor', w.month);
}
