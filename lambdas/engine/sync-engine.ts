// The sync engine: one step for one user, the same code in Lambda and on a laptop.
// lease -> plan windows from the cursor -> fetch -> raw/ -> decode -> merge into month objects -> ledger -> cursor.
// A crash anywhere repeats the step on the next run and produces the same objects: every write is idempotent.

import { AuthExpiredError, LeaseHeldError, redact, StorageWriteError } from '../core/errors.ts';
import { fetchMovesCursor, planSyncWindows, type SyncWindow } from '../core/plan.ts';
import {
  type Cursor,
  type DecodeContext,
  type LedgerEntry,
  type LedgerStatus,
  type ObjectStore,
  STREAM_TABLES,
  type StateStore,
  type StreamName,
  type UserRecord,
} from '../core/ports.ts';
import type { Row, TableRows } from '../core/schema-registry.ts';
import { addDays, eachDay, localDateOf } from '../core/time.ts';
import { assertValidUserId } from '../core/user-id.ts';
import { appendRows, decodeRaw } from './decode-raw.ts';
import { type ParquetCodec, writeTableRows } from './lake-writer.ts';
import { UserLease } from './lease.ts';
import type { RawRecord } from './raw-records.ts';
import { once, type RawFetch, removeSupersededRaw, rowKeysOf, storeRawFetch } from './raw-store.ts';
import type { DecodedRaw, SyncSource, WindowedStream, WorkoutRef } from './source.ts';
import { TzTimeline } from './tz-timeline.ts';

export type EngineStep = 'raw' | 'lake' | 'ledger' | 'cursor';

export interface ProgressEvent {
  userId: string;
  stream: StreamName;
  done: number;
  total: number;
  label: string;
}

export interface EngineDeps {
  store: ObjectStore;
  state: StateStore;
  codec: ParquetCodec;
  clock: () => number;
  lagDays: number;
  leaseOwner: string;
  leaseTtlMs?: number;
  onProgress?: (e: ProgressEvent) => void;
  /** Called after each durable step; tests throw here to simulate a process killed at that point. */
  afterStep?: (step: EngineStep, info: { userId: string; stream: StreamName; period: string }) => void | Promise<void>;
  /** Structured log sink (never given tokens). */
  log?: (level: 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>) => void;
}

export interface SyncRequest {
  user: UserRecord;
  source: SyncSource;
  streams?: readonly StreamName[];
  from?: string;
  to?: string;
}

export interface StreamReport {
  windows: number;
  rowsWritten: number;
  objectsWritten: number;
  written: number;
  empty: number;
  failed: number;
  authFailed: number;
}

export interface SyncReport {
  userId: string;
  streams: Partial<Record<StreamName, StreamReport>>;
  authFailed: boolean;
  wrongRegionSuspected: boolean;
  errors: string[];
}

const DEFAULT_FIRST_DATE = '2015-01-01';
/** UTC-12 (Baker Island): no one's calendar day starts later. */
const EARLIEST_UTC_OFFSET_S = -12 * 3600;
const WORKOUT_FLUSH_EVERY = 40;

function newStreamReport(): StreamReport {
  return { windows: 0, rowsWritten: 0, objectsWritten: 0, written: 0, empty: 0, failed: 0, authFailed: 0 };
}

function errorText(err: unknown): string {
  return redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 1000);
}

/** A response decoded, or what its decoder threw. */
type Decoded = { out: DecodedRaw; err?: undefined } | { out?: undefined; err: unknown };

function decodeOrError(raw: RawRecord, ctx: DecodeContext): Decoded {
  try {
    return { out: decodeRaw(raw, ctx) };
  } catch (err) {
    return { err };
  }
}

/** The row keys the decoded responses of one fetch yield. */
function keysOfDecoded(decoded: readonly Decoded[]): Set<string> {
  const keys = new Set<string>();
  for (const d of decoded) for (const k of d.out ? rowKeysOf(d.out.rows) : []) keys.add(k);
  return keys;
}

function countRows(rows: TableRows): number {
  let n = 0;
  for (const list of Object.values(rows)) n += list?.length ?? 0;
  return n;
}

/** Rows of the stream's tables per local date. */
function rowsPerDay(stream: StreamName, rows: TableRows): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of STREAM_TABLES[stream]) {
    for (const r of rows[t] ?? []) {
      const d = r.local_date as string;
      out.set(d, (out.get(d) ?? 0) + 1);
    }
  }
  return out;
}

function ledgerRow(e: LedgerEntry): Row {
  return {
    user_id: e.userId,
    local_date: e.localDate,
    stream: e.stream,
    period: e.period,
    status: e.status,
    rows: e.rows,
    raw_key: e.rawKey,
    fetched_at: e.fetchedAt,
    error: e.error,
    source: e.source,
  };
}

/** What a storage write was for: the periods that do not land when it fails. */
interface StorageTarget {
  user: UserRecord;
  stream: StreamName;
  periods: string[];
  /** For the error message: `band 2026-11`, `workouts track:123..track:456`. */
  what: string;
  rawKey: string | null;
  ledger: Map<string, LedgerEntry>;
  sr: StreamReport;
}

export class SyncEngine {
  /** The lease of each user this engine is syncing (one engine may sync several users at once). */
  private readonly leases = new Map<string, UserLease>();

  constructor(private readonly deps: EngineDeps) {}

  private async step(step: EngineStep, userId: string, stream: StreamName, period: string): Promise<void> {
    await this.deps.afterStep?.(step, { userId, stream, period });
    // Every durable step renews the lease before the next one, so a worker that stalled past its lease (and
    // another worker took the user over) stops here instead of writing on behind the new holder's back.
    await this.holdLease(userId);
  }

  /** Renews this run's lease of the user (lease.ts); LeaseHeldError when another run holds it now. */
  private async holdLease(userId: string): Promise<void> {
    const lease = this.leases.get(userId);
    if (!lease) throw new LeaseHeldError(`user ${userId}: this run does not hold the lease`);
    await lease.renew();
  }

  /**
   * A write to the lake's storage. When it fails, the periods it was for are marked failed (state first: `status`
   * reads it, and the lake's store may be what failed; the ingest_ledger object as well if it still takes writes)
   * and the user's run stops with StorageWriteError. The cursor has not passed those periods, so the next run
   * fetches them again.
   */
  private async storageWrite<T>(write: () => Promise<T>, target: StorageTarget): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (err instanceof LeaseHeldError) throw err;
      const { user, stream, periods } = target;
      const error = `storage: ${errorText(err)}`;
      const entries = this.failedEntries(
        stream,
        periods,
        'failed',
        error,
        target.rawKey,
        target.ledger,
        target.sr,
        user,
      );
      let marked = false;
      try {
        await this.deps.state.putLedger(entries);
        for (const e of entries) target.ledger.set(`${e.stream}#${e.period}`, e);
        marked = true;
        await writeTableRows(this.deps.store, this.deps.codec, user.userId, { ingest_ledger: entries.map(ledgerRow) });
      } catch (again) {
        this.deps.log?.('error', 'failed periods not recorded', { userId: user.userId, error: errorText(again) });
      }
      throw new StorageWriteError(
        `user ${user.userId}: the lake could not be written (${target.what}): ${errorText(err)}; ` +
          `${marked ? `${periods.length} period(s) are marked failed, ` : ''}the cursor stays before them and the next run fetches them again`,
        { cause: err },
      );
    }
  }

  /** The row keys a stored response yields under the window's decode context (none when it does not decode). */
  private keysAt(ctx: DecodeContext): (raw: RawRecord) => Set<string> {
    return (raw) => {
      try {
        return rowKeysOf(decodeRaw(raw, ctx).rows);
      } catch {
        return new Set();
      }
    };
  }

  /** Writes ledger entries to state and to the ingest_ledger table; an unchanged outcome keeps its first fetched_at. */
  private async writeLedger(userId: string, entries: LedgerEntry[], previous: Map<string, LedgerEntry>): Promise<void> {
    if (entries.length === 0) return;
    const merged = entries.map((e) => {
      const old = previous.get(`${e.stream}#${e.period}`);
      const same =
        old && old.status === e.status && old.rows === e.rows && old.rawKey === e.rawKey && old.error === e.error;
      const out = same ? { ...e, fetchedAt: old.fetchedAt } : e;
      previous.set(`${e.stream}#${e.period}`, out);
      return out;
    });
    await writeTableRows(this.deps.store, this.deps.codec, userId, { ingest_ledger: merged.map(ledgerRow) });
    await this.deps.state.putLedger(merged);
  }

  async syncUser(req: SyncRequest): Promise<SyncReport> {
    const { user, source } = req;
    const { state, clock } = this.deps;
    const userId = assertValidUserId(user.userId);
    const report: SyncReport = { userId, streams: {}, authFailed: false, wrongRegionSuspected: false, errors: [] };
    const lease = new UserLease(
      { state, owner: this.deps.leaseOwner, clock, ttlMs: this.deps.leaseTtlMs },
      userId,
      'sync',
    );
    await lease.acquire();
    this.leases.set(userId, lease);
    try {
      const timeline = new TzTimeline(user.tzOffsetS ?? null);
      const streams = (req.streams ?? source.streams).filter((s) => source.streams.includes(s));
      const todayAt = (): string => localDateOf(clock(), timeline.latest() ?? user.tzOffsetS ?? 0);
      let firstDate = user.firstDate;
      let probeAuthError: string | undefined;
      if (!firstDate && !req.from && source.discoverFirstDate) {
        try {
          const found = await source.discoverFirstDate(todayAt());
          firstDate = found?.date;
          const stored = found?.certain ? await state.getUser(userId) : undefined;
          if (found?.certain && stored) await state.putUser({ ...stored, firstDate: found.date });
        } catch (err) {
          if (!(err instanceof AuthExpiredError)) throw err;
          probeAuthError = errorText(err);
          report.authFailed = true;
          report.errors.push(`first-day probe: ${probeAuthError}`);
        }
      }
      const ledger = new Map<string, LedgerEntry>();
      for (const e of await state.listLedger(userId)) ledger.set(`${e.stream}#${e.period}`, e);
      // Band data first: it tells the time zones that workouts and events are placed with.
      const ordered = [...streams].sort((a, b) => (a === 'band' ? -1 : b === 'band' ? 1 : 0));
      if (probeAuthError !== undefined)
        await this.failUnprobed(
          user,
          ordered,
          probeAuthError,
          ledger,
          report,
          localDateOf(clock(), EARLIEST_UTC_OFFSET_S),
        );
      for (const stream of ordered) {
        if (report.authFailed) break;
        const sr = newStreamReport();
        report.streams[stream] = sr;
        await this.holdLease(userId);
        if (stream === 'workouts') {
          await this.syncWorkouts(req, timeline, ledger, sr, report, firstDate ?? DEFAULT_FIRST_DATE, todayAt());
        } else {
          await this.syncWindowed(
            req,
            stream,
            timeline,
            ledger,
            sr,
            report,
            firstDate ?? DEFAULT_FIRST_DATE,
            todayAt(),
          );
        }
      }
      await this.checkWrongRegion(req, report);
      // The user as stored now: a user removed while this run went on stays removed (never written back).
      const fresh = await state.getUser(userId);
      const clean = !report.authFailed && report.errors.length === 0;
      if (fresh) {
        await state.putUser({
          ...fresh,
          wrongRegionSuspected: report.wrongRegionSuspected,
          ...(clean ? { lastSuccessAt: clock() } : {}),
        });
      }
      return report;
    } finally {
      this.leases.delete(userId);
      await lease.release();
    }
  }

  private async syncWindowed(
    req: SyncRequest,
    stream: WindowedStream,
    timeline: TzTimeline,
    ledger: Map<string, LedgerEntry>,
    sr: StreamReport,
    report: SyncReport,
    firstDate: string,
    today: string,
  ): Promise<void> {
    const { user, source } = req;
    const userId = user.userId;
    const cursor = await this.deps.state.getCursor(userId, stream);
    const retryMonths = new Set<string>();
    for (const e of ledger.values()) {
      if (e.stream === stream && (e.status === 'failed' || e.status === 'auth_failed'))
        retryMonths.add(e.localDate.slice(0, 7));
    }
    // After a run that suspected a wrong-region host, its `empty` days may hold data: plan from the first day again.
    const windows = planSyncWindows({
      through: user.wrongRegionSuspected ? undefined : cursor?.through,
      today,
      lagDays: this.deps.lagDays,
      firstDate,
      from: req.from,
      to: req.to,
      retryMonths: [...retryMonths],
    });
    let version = cursor?.version ?? 0;
    let through = cursor?.through;
    for (const [i, w] of windows.entries()) {
      this.deps.onProgress?.({ userId, stream, done: i, total: windows.length, label: w.month });
      sr.windows++;
      const days = eachDay(w.from, w.to);
      let raws: RawRecord[];
      try {
        raws = await source.fetchWindow(stream, w);
      } catch (err) {
        const auth = err instanceof AuthExpiredError;
        await this.failPeriods(
          userId,
          stream,
          days,
          auth ? 'auth_failed' : 'failed',
          errorText(err),
          null,
          ledger,
          sr,
          user,
        );
        report.errors.push(`${stream} ${w.month}: ${errorText(err)}`);
        this.deps.log?.('warn', 'window failed', { userId, stream, month: w.month, error: errorText(err) });
        if (auth) {
          report.authFailed = true;
          return;
        }
        continue;
      }
      if (stream !== 'band') await timeline.load(this.deps.store, this.deps.codec, userId, neighbourMonths(w));
      const ctx: DecodeContext = { userId, source: source.source, tzOffsetAt: timeline.offsetAt };
      // Decoded before raw/ is written: what the fetch yields decides whether it may replace what is stored.
      const decoded = raws.map((raw) => decodeOrError(raw, ctx));
      const keys = once(() => keysOfDecoded(decoded));
      const target: StorageTarget = {
        user,
        stream,
        periods: days,
        what: `${stream} ${w.month}`,
        rawKey: null,
        ledger,
        sr,
      };
      const stored = await this.storageWrite(
        () => storeRawFetch(this.deps.store, { records: raws, keys }, this.keysAt(ctx)),
        target,
      );
      const fetched: RawFetch = { records: stored, keys };
      target.rawKey = stored[0]?.key ?? null;
      await this.step('raw', userId, stream, w.month);

      const rows: TableRows = {};
      const rejects = new Map<string, string>();
      let wholeWindowError: string | undefined;
      for (const [i, d] of decoded.entries()) {
        if (d.out) {
          appendRows(rows, d.out.rows);
          for (const r of d.out.rejects) {
            if (r.period) rejects.set(r.period, r.message);
            else wholeWindowError = r.message;
          }
          continue;
        }
        wholeWindowError = errorText(d.err);
        if (d.err instanceof AuthExpiredError) {
          await this.failPeriods(
            userId,
            stream,
            days,
            'auth_failed',
            wholeWindowError,
            stored[i]?.key ?? null,
            ledger,
            sr,
            user,
          );
          report.authFailed = true;
          report.errors.push(`${stream} ${w.month}: ${wholeWindowError}`);
          return;
        }
      }
      if (stream === 'band')
        for (const r of rows.daily_summary ?? []) timeline.add(r.local_date as string, r.tz_offset_s as number);
      // Rows placed with a guessed time zone (their band day failed) are held back and the day is retried.
      const uncertain = stream === 'band' ? new Set<string>() : tzUncertainDays(ledger);
      if (uncertain.size > 0) {
        for (const t of STREAM_TABLES[stream]) {
          const list = rows[t];
          if (list) rows[t] = list.filter((r) => !uncertain.has(r.local_date as string));
        }
        for (const d of days)
          if (uncertain.has(d) && !rejects.has(d))
            rejects.set(d, `band data near ${d} did not land yet; its time zone is needed to place this day`);
      }
      const written = await this.storageWrite(
        () => writeTableRows(this.deps.store, this.deps.codec, userId, rows),
        target,
      );
      sr.rowsWritten += countRows(rows);
      sr.objectsWritten += written.objectsWritten;
      await this.step('lake', userId, stream, w.month);
      await this.removeRedundantRaw(userId, fetched, ctx);

      const perDay = rowsPerDay(stream, rows);
      const rawKey = target.rawKey;
      const fetchedAt = stored[0]?.fetchedAt ?? this.deps.clock();
      const entries: LedgerEntry[] = days.map((day) => {
        const n = perDay.get(day) ?? 0;
        const error = rejects.get(day) ?? wholeWindowError ?? null;
        const status: LedgerStatus = error ? 'failed' : n > 0 ? 'written' : 'empty';
        return {
          userId,
          stream,
          period: day,
          localDate: day,
          status,
          rows: n,
          rawKey,
          fetchedAt,
          error,
          source: source.source,
        };
      });
      for (const e of entries) sr[e.status === 'written' ? 'written' : e.status === 'empty' ? 'empty' : 'failed']++;
      if (wholeWindowError || rejects.size)
        report.errors.push(`${stream} ${w.month}: ${wholeWindowError ?? [...rejects.values()][0]}`);
      await this.storageWrite(() => this.writeLedger(userId, entries, ledger), target);
      await this.step('ledger', userId, stream, w.month);

      // The cursor is a high-water mark; failed days stay in the ledger and are retried from there.
      if (fetchMovesCursor(through && addDays(through, 1), w.from, req.to !== undefined)) {
        const nextThrough = through && through > w.to ? through : w.to;
        const next: Omit<Cursor, 'version'> = { through: nextThrough, updatedAt: this.deps.clock() };
        version = (await this.deps.state.advanceCursor(userId, stream, next, version)).version;
        through = nextThrough;
      }
      await this.step('cursor', userId, stream, w.month);
    }
    this.deps.onProgress?.({ userId, stream, done: windows.length, total: windows.length, label: 'done' });
  }

  /** Raw responses the new fetch made redundant go (raw-store.ts); a failure here loses nothing, so it only warns. */
  private async removeRedundantRaw(userId: string, fetched: RawFetch, ctx: DecodeContext): Promise<void> {
    try {
      await removeSupersededRaw(this.deps.store, fetched, this.keysAt(ctx));
    } catch (err) {
      this.deps.log?.('warn', 'redundant raw responses not removed', { userId, error: errorText(err) });
    }
  }

  /**
   * The token died during the first-day probe, before any stream: without an entry the ledger would not say so,
   * and `status` would read "never synced" instead of "log in again". One auth_failed entry per stream on
   * `today` (a workout list's period is `list:<date>`), written in one ledger write, which the next good run
   * re-fetches and replaces. The caller dates it at EARLIEST_UTC_OFFSET_S: the person's zone may be unknown yet.
   */
  private async failUnprobed(
    user: UserRecord,
    streams: readonly StreamName[],
    error: string,
    ledger: Map<string, LedgerEntry>,
    report: SyncReport,
    today: string,
  ): Promise<void> {
    const entries = streams.flatMap((stream) => {
      const sr = newStreamReport();
      report.streams[stream] = sr;
      const period = stream === 'workouts' ? `list:${today}` : today;
      return this.failedEntries(stream, [period], 'auth_failed', error, null, ledger, sr, user);
    });
    await this.writeLedger(user.userId, entries, ledger);
  }

  private async failPeriods(
    userId: string,
    stream: StreamName,
    periods: string[],
    status: 'failed' | 'auth_failed',
    error: string,
    rawKey: string | null,
    ledger: Map<string, LedgerEntry>,
    sr: StreamReport,
    user: UserRecord,
  ): Promise<void> {
    await this.writeLedger(
      userId,
      this.failedEntries(stream, periods, status, error, rawKey, ledger, sr, user),
      ledger,
    );
  }

  /** The ledger entries of periods that failed, counted in the stream's report. */
  private failedEntries(
    stream: StreamName,
    periods: string[],
    status: 'failed' | 'auth_failed',
    error: string,
    rawKey: string | null,
    ledger: Map<string, LedgerEntry>,
    sr: StreamReport,
    user: UserRecord,
  ): LedgerEntry[] {
    const fetchedAt = this.deps.clock();
    const entries = periods.map((p) => {
      const localDate = p.startsWith('track:')
        ? (ledger.get(`${stream}#${p}`)?.localDate ?? localDateOf(Number(p.slice(6)) * 1000, user.tzOffsetS ?? 0))
        : p.startsWith('list:')
          ? p.slice(5)
          : p;
      return {
        userId: user.userId,
        stream,
        period: p,
        localDate,
        status,
        rows: 0,
        rawKey,
        fetchedAt,
        error,
        source: user.source,
      };
    });
    if (status === 'failed') sr.failed += entries.length;
    else sr.authFailed += entries.length;
    return entries;
  }

  private async syncWorkouts(
    req: SyncRequest,
    timeline: TzTimeline,
    ledger: Map<string, LedgerEntry>,
    sr: StreamReport,
    report: SyncReport,
    firstDate: string,
    today: string,
  ): Promise<void> {
    const { user, source } = req;
    const userId = user.userId;
    const stream: StreamName = 'workouts';
    const cursor = await this.deps.state.getCursor(userId, stream);
    const lagS = this.deps.lagDays * 86_400;
    let stopBefore =
      cursor?.lastTrackId !== undefined && !req.from && !user.wrongRegionSuspected
        ? cursor.lastTrackId - lagS
        : undefined;
    // Workouts whose detail failed earlier: page back far enough to fetch them again.
    for (const e of ledger.values()) {
      if (
        e.stream === stream &&
        (e.status === 'failed' || e.status === 'auth_failed') &&
        e.period.startsWith('track:')
      ) {
        const id = Number(e.period.slice(6));
        if (stopBefore !== undefined && id < stopBefore) stopBefore = id;
      }
    }
    if (req.from) stopBefore = Math.floor(Date.parse(`${addDays(req.from, -1)}T00:00:00Z`) / 1000);
    const movesCursor = fetchMovesCursor(cursor?.lastTrackId, stopBefore, req.to !== undefined);
    let listed: { raws: RawRecord[]; items: WorkoutRef[] };
    try {
      listed = await source.listWorkouts(stopBefore, { from: req.from ?? firstDate, to: req.to ?? today });
    } catch (err) {
      const auth = err instanceof AuthExpiredError;
      report.errors.push(`workouts list: ${errorText(err)}`);
      const period = `list:${today}`;
      await this.failPeriods(
        userId,
        stream,
        [period],
        auth ? 'auth_failed' : 'failed',
        errorText(err),
        null,
        ledger,
        sr,
        user,
      );
      if (auth) report.authFailed = true;
      return;
    }
    sr.windows++;
    // A workout list that failed on an earlier run has now answered: close its ledger entries.
    const closedLists: LedgerEntry[] = [];
    for (const e of ledger.values()) {
      if (e.stream === stream && e.period.startsWith('list:') && e.status !== 'written') {
        closedLists.push({
          ...e,
          status: 'written',
          rows: listed.items.length,
          error: null,
          fetchedAt: this.deps.clock(),
        });
      }
    }
    await this.writeLedger(userId, closedLists, ledger);
    const toMs = req.to ? Date.parse(`${addDays(req.to, 1)}T00:00:00Z`) + 86_400_000 : Number.POSITIVE_INFINITY;
    const items = listed.items.filter((i) => i.startMs <= toMs);
    const months = new Set<string>();
    for (const it of items) months.add(new Date(it.startMs).toISOString().slice(0, 7));
    await timeline.load(
      this.deps.store,
      this.deps.codec,
      userId,
      [...months].flatMap((m) => neighbourMonths({ month: m })),
    );
    const ctx: DecodeContext = { userId, source: source.source, tzOffsetAt: timeline.offsetAt };
    const history = listed.raws.map((raw) => decodeOrError(raw, ctx));
    const listTarget: StorageTarget = {
      user,
      stream,
      periods: [`list:${today}`],
      what: 'workouts list',
      rawKey: null,
      ledger,
      sr,
    };
    const listKeys = once(() => keysOfDecoded(history));
    const keysOf = this.keysAt(ctx);
    const storedLists = await this.storageWrite(
      () => storeRawFetch(this.deps.store, { records: listed.raws, keys: listKeys }, keysOf),
      listTarget,
    );
    await this.step('raw', userId, stream, 'history');

    // Workout rows come from the history pages; keep only the listed (new or re-read) ones.
    const wanted = new Set(items.map((i) => i.trackid));
    const historyRows: Row[] = [];
    for (const [i, h] of history.entries()) {
      if (h.err !== undefined) report.errors.push(`workouts history ${storedLists[i]?.key}: ${errorText(h.err)}`);
      for (const r of h.out?.rows.workout ?? []) if (wanted.has(Number(r.trackid))) historyRows.push(r);
    }
    const workoutRowById = new Map(historyRows.map((r) => [Number(r.trackid), r]));

    const uncertain = tzUncertainDays(ledger);
    let maxTrack = cursor?.lastTrackId;
    let pending: { ref: WorkoutRef; raw: RawRecord | null; decoded?: Decoded; error?: string; auth?: boolean }[] = [];
    /** The periods still to land if a storage write fails now, and what it was for. */
    const pendingTarget = (more: string[] = []): StorageTarget => {
      const periods = [...pending.map((p) => `track:${p.ref.trackid}`), ...more];
      return { ...listTarget, periods, what: `workouts ${periods[0]}..${periods.at(-1)}` };
    };
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const rows: TableRows = { workout: [] };
      const entries: LedgerEntry[] = [];
      for (const p of pending) {
        const wrow = workoutRowById.get(p.ref.trackid);
        const period = `track:${p.ref.trackid}`;
        const localDate =
          (wrow?.local_date as string | undefined) ?? localDateOf(p.ref.startMs, timeline.offsetAt(p.ref.startMs) ?? 0);
        let error = p.error ?? null;
        if (!error && uncertain.has(localDate))
          error = `band data near ${localDate} did not land yet; its time zone is needed to place this workout`;
        if (wrow && !error) rows.workout?.push(wrow);
        let n = wrow && !error ? 1 : 0;
        if (p.raw && !error) {
          const decoded = p.decoded?.out;
          if (decoded) {
            n += countRows(decoded.rows);
            // Every table the detail gives (samples, pauses, laps); the workout row comes from the history page.
            appendRows(rows, { ...decoded.rows, workout: [] });
          } else error = errorText(p.decoded?.err);
        }
        const status: LedgerStatus = p.auth ? 'auth_failed' : error ? 'failed' : n > 0 ? 'written' : 'empty';
        entries.push({
          userId,
          stream,
          period,
          localDate,
          status,
          rows: n,
          rawKey: p.raw?.key ?? null,
          fetchedAt: p.raw?.fetchedAt ?? this.deps.clock(),
          error,
          source: source.source,
        });
        sr[
          status === 'written'
            ? 'written'
            : status === 'empty'
              ? 'empty'
              : status === 'failed'
                ? 'failed'
                : 'authFailed'
        ]++;
        if (error) report.errors.push(`workout ${p.ref.trackid}: ${error}`);
      }
      const target = pendingTarget();
      const written = await this.storageWrite(
        () => writeTableRows(this.deps.store, this.deps.codec, userId, rows),
        target,
      );
      sr.rowsWritten += countRows(rows);
      sr.objectsWritten += written.objectsWritten;
      const last = pending[pending.length - 1]!.ref.trackid;
      await this.step('lake', userId, stream, `track:${last}`);
      await this.storageWrite(() => this.writeLedger(userId, entries, ledger), target);
      await this.step('ledger', userId, stream, `track:${last}`);
      // Advance only over workouts that landed, in order; a failure stays in the ledger for a retry.
      const landedMax = Math.max(
        ...pending.filter((p) => !p.error && !p.auth).map((p) => p.ref.trackid),
        maxTrack ?? 0,
      );
      if (movesCursor && (maxTrack === undefined || landedMax > maxTrack)) {
        const cur = await this.deps.state.getCursor(userId, stream);
        await this.deps.state.advanceCursor(
          userId,
          stream,
          { lastTrackId: landedMax, through: today, updatedAt: this.deps.clock() },
          cur?.version ?? 0,
        );
        maxTrack = landedMax;
        await this.step('cursor', userId, stream, `track:${last}`);
      }
      pending = [];
    };

    for (const [i, ref] of items.entries()) {
      if (i % 10 === 0)
        this.deps.onProgress?.({ userId, stream, done: i, total: items.length, label: `workout ${i}/${items.length}` });
      let raw: RawRecord | undefined;
      try {
        raw = await source.fetchWorkoutDetail(ref);
      } catch (err) {
        const auth = err instanceof AuthExpiredError;
        pending.push({ ref, raw: null, error: errorText(err), auth });
        if (auth) {
          report.authFailed = true;
          break;
        }
      }
      if (raw) {
        const decoded = decodeOrError(raw, ctx);
        const fetch = { records: [raw], keys: once(() => keysOfDecoded([decoded])) };
        const [stored] = await this.storageWrite(
          () => storeRawFetch(this.deps.store, fetch, keysOf),
          pendingTarget([`track:${ref.trackid}`]),
        );
        pending.push({ ref, raw: stored ?? raw, decoded });
      }
      if (pending.length >= WORKOUT_FLUSH_EVERY) {
        await this.step('raw', userId, stream, `track:${ref.trackid}`);
        await flush();
      }
    }
    await flush();
    if (items.length === 0 && listed.raws.length > 0 && cursor?.through !== today) {
      await this.deps.state.advanceCursor(
        userId,
        stream,
        { lastTrackId: cursor?.lastTrackId, through: today, updatedAt: this.deps.clock() },
        cursor?.version ?? 0,
      );
    }
    this.deps.onProgress?.({ userId, stream, done: items.length, total: items.length, label: 'done' });
  }

  /**
   * Every stream answered empty while the devices show recent activity, and the window asked for holds the days
   * around that activity (which must have data): the account most likely lives in another region. An empty
   * window away from the activity (before the first day, or a month the band was not worn) proves nothing.
   */
  private async checkWrongRegion(req: SyncRequest, report: SyncReport): Promise<void> {
    const counts = Object.values(report.streams);
    if (counts.length === 0 || report.authFailed) return;
    const anyWritten = counts.some((s) => s && s.written > 0);
    const anyEmpty = counts.some((s) => s && s.empty > 0);
    if (anyWritten || !anyEmpty || !req.source.lastDeviceActivity) return;
    try {
      const last = await req.source.lastDeviceActivity();
      if (last === null || this.deps.clock() - last >= 30 * 86_400_000) return;
      // A day either side: the device's clock zone may not be the user's, and a sync after midnight uploads the
      // day before.
      const lastDay = localDateOf(last, req.user.tzOffsetS ?? 0);
      const windowHoldsActivity =
        (req.from === undefined || req.from <= addDays(lastDay, 1)) &&
        (req.to === undefined || req.to >= addDays(lastDay, -1));
      if (windowHoldsActivity) {
        report.wrongRegionSuspected = true;
        const msg =
          'every stream came back empty although a device synced in the last 30 days: the account most likely lives in another region; set the data host for this user (--host, e.g. https://api-mifit-de2.huami.com or https://api-mifit-us2.huami.com)';
        report.errors.push(msg);
        this.deps.log?.('error', 'wrong region suspected', { userId: req.user.userId });
      }
    } catch (err) {
      this.deps.log?.('warn', 'device list failed', { userId: req.user.userId, error: errorText(err) });
    }
  }
}

/** Days within one day of a band day that failed: their UTC offset is not known for sure. */
function tzUncertainDays(ledger: Map<string, LedgerEntry>): Set<string> {
  const out = new Set<string>();
  for (const e of ledger.values()) {
    if (e.stream !== 'band' || (e.status !== 'failed' && e.status !== 'auth_failed')) continue;
    out.add(addDays(e.period, -1)).add(e.period).add(addDays(e.period, 1));
  }
  return out;
}

function neighbourMonths(w: Pick<SyncWindow, 'month'>): string[] {
  const first = `${w.month}-01`;
  const prev = addDays(first, -1).slice(0, 7);
  const next = addDays(first, 32).slice(0, 7);
  return [prev, w.month, next];
}
