// One user's ingest ledger during a sync: what each period (day, workout, workout list) came to, kept in state
// (what `status` reads) and in the lake's ingest_ledger table. Failed periods are written here so the next run
// fetches them again; the cursor never passes them.

import { LeaseHeldError, StorageWriteError } from '../core/errors.ts';
import type { LedgerEntry, StreamName, UserRecord } from '../core/ports.ts';
import type { Row } from '../core/schema-registry.ts';
import { addDays, localDateOf } from '../core/time.ts';
import { writeTableRows } from './lake-writer.ts';
import { type EngineDeps, errorText, type StreamReport } from './sync-context.ts';

type LedgerDeps = Pick<EngineDeps, 'store' | 'state' | 'codec' | 'clock' | 'log'>;

export type FailedStatus = 'failed' | 'auth_failed';

/** Periods of one stream that did not land, and why. */
export interface FailedPeriods {
  stream: StreamName;
  periods: string[];
  status: FailedStatus;
  error: string;
  rawKey: string | null;
  /** The stream's report, which counts them. */
  sr: StreamReport;
}

/** What a storage write was for: the periods that do not land when it fails. */
export interface StorageTarget {
  stream: StreamName;
  periods: string[];
  /** For the error message: `band 2026-11`, `workouts track:123..track:456`. */
  what: string;
  rawKey: string | null;
  sr: StreamReport;
}

export function ledgerRow(e: LedgerEntry): Row {
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

function isFailed(e: LedgerEntry): boolean {
  return e.status === 'failed' || e.status === 'auth_failed';
}

export class RunLedger {
  private readonly entries = new Map<string, LedgerEntry>();

  private constructor(
    private readonly deps: LedgerDeps,
    private readonly user: UserRecord,
  ) {}

  /** The user's ledger as state holds it now. */
  static async load(deps: LedgerDeps, user: UserRecord): Promise<RunLedger> {
    const ledger = new RunLedger(deps, user);
    for (const e of await deps.state.listLedger(user.userId)) ledger.entries.set(`${e.stream}#${e.period}`, e);
    return ledger;
  }

  values(): IterableIterator<LedgerEntry> {
    return this.entries.values();
  }

  /** The entries of one stream that failed (for auth or otherwise) and wait for a retry. */
  failedOf(stream: StreamName): LedgerEntry[] {
    return [...this.entries.values()].filter((e) => e.stream === stream && isFailed(e));
  }

  /** Days within one day of a band day that failed: their UTC offset is not known for sure. */
  tzUncertainDays(): Set<string> {
    const out = new Set<string>();
    for (const e of this.failedOf('band')) out.add(addDays(e.period, -1)).add(e.period).add(addDays(e.period, 1));
    return out;
  }

  /** Writes entries to state and to the ingest_ledger table; an unchanged outcome keeps its first fetched_at. */
  async write(entries: LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const merged = entries.map((e) => {
      const old = this.entries.get(`${e.stream}#${e.period}`);
      const same =
        old && old.status === e.status && old.rows === e.rows && old.rawKey === e.rawKey && old.error === e.error;
      const out = same ? { ...e, fetchedAt: old.fetchedAt } : e;
      this.entries.set(`${e.stream}#${e.period}`, out);
      return out;
    });
    const { store, codec, state } = this.deps;
    await writeTableRows(store, codec, this.user.userId, { ingest_ledger: merged.map(ledgerRow) });
    await state.putLedger(merged);
  }

  /** The ledger entries of periods that failed, counted in the stream's report. */
  failedEntries(f: FailedPeriods): LedgerEntry[] {
    const { user } = this;
    const fetchedAt = this.deps.clock();
    const entries = f.periods.map((p) => {
      const localDate = p.startsWith('track:')
        ? (this.entries.get(`${f.stream}#${p}`)?.localDate ??
          localDateOf(Number(p.slice(6)) * 1000, user.tzOffsetS ?? 0))
        : p.startsWith('list:')
          ? p.slice(5)
          : p;
      return {
        userId: user.userId,
        stream: f.stream,
        period: p,
        localDate,
        status: f.status,
        rows: 0,
        rawKey: f.rawKey,
        fetchedAt,
        error: f.error,
        source: user.source,
      };
    });
    if (f.status === 'failed') f.sr.failed += entries.length;
    else f.sr.authFailed += entries.length;
    return entries;
  }

  /** Marks periods failed in the ledger. */
  async fail(f: FailedPeriods): Promise<void> {
    await this.write(this.failedEntries(f));
  }

  /**
   * A write to the lake's storage. When it fails, the periods it was for are marked failed (state first: `status`
   * reads it, and the lake's store may be what failed; the ingest_ledger object as well if it still takes writes)
   * and the user's run stops with StorageWriteError. The cursor has not passed those periods, so the next run
   * fetches them again.
   */
  async storageWrite<T>(write: () => Promise<T>, target: StorageTarget): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (err instanceof LeaseHeldError) throw err;
      const marked = await this.markStorageFailure(target, `storage: ${errorText(err)}`);
      throw new StorageWriteError(
        `user ${this.user.userId}: the lake could not be written (${target.what}): ${errorText(err)}; ` +
          `${marked ? `${target.periods.length} period(s) are marked failed, ` : ''}the cursor stays before them and the next run fetches them again`,
        { cause: err },
      );
    }
  }

  /** True when state took the failed entries (the ingest_ledger object is tried after, and may refuse too). */
  private async markStorageFailure(target: StorageTarget, error: string): Promise<boolean> {
    const { state, store, codec, log } = this.deps;
    const userId = this.user.userId;
    const entries = this.failedEntries({ ...target, status: 'failed', error });
    let marked = false;
    try {
      await state.putLedger(entries);
      for (const e of entries) this.entries.set(`${e.stream}#${e.period}`, e);
      marked = true;
      await writeTableRows(store, codec, userId, { ingest_ledger: entries.map(ledgerRow) });
    } catch (again) {
      log?.('error', 'failed periods not recorded', { userId, error: errorText(again) });
    }
    return marked;
  }
}
