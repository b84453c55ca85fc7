// The sync engine's public types and the per-run state its parts share: one `SyncRun` per user per sync, passed
// as one object instead of the eight or nine parameters each step would otherwise take.

import { redact } from '../core/errors.ts';
import type { ObjectStore, StateStore, StreamName, UserRecord } from '../core/ports.ts';
import type { SyncSource } from '../sources/source.ts';
import type { ParquetCodec } from './lake-writer.ts';
import type { UserLease } from './lease.ts';
import type { RunLedger } from './ledger.ts';
import type { TzTimeline } from './tz-timeline.ts';

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

/** One user's sync in progress: what every part of the engine reads and adds to. */
export interface SyncRun {
  deps: EngineDeps;
  req: SyncRequest;
  user: UserRecord;
  source: SyncSource;
  lease: UserLease;
  timeline: TzTimeline;
  ledger: RunLedger;
  report: SyncReport;
  /** The first day to fetch from when no cursor says otherwise. */
  firstDate: string;
}

/** One stream of a run: the run, the stream, its report and the last day to ask for. */
export interface StreamRun {
  run: SyncRun;
  stream: StreamName;
  sr: StreamReport;
  today: string;
}

export function newStreamReport(): StreamReport {
  return { windows: 0, rowsWritten: 0, objectsWritten: 0, written: 0, empty: 0, failed: 0, authFailed: 0 };
}

export function errorText(err: unknown): string {
  return redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 1000);
}

/**
 * After a durable step: the crash hook, then the lease renewed before the next step, so a worker that stalled
 * past its lease (and another worker took the user over) stops here instead of writing on behind the new
 * holder's back.
 */
export async function durableStep(s: StreamRun, step: EngineStep, period: string): Promise<void> {
  const { run } = s;
  await run.deps.afterStep?.(step, { userId: run.user.userId, stream: s.stream, period });
  await run.lease.renew();
}

export function reportProgress(s: StreamRun, done: number, total: number, label: string): void {
  s.run.deps.onProgress?.({ userId: s.run.user.userId, stream: s.stream, done, total, label });
}

/**
 * The first day the band data was ever asked for (any outcome, from the user's ledger), when that is after the
 * person's first day: the history began with `--from`. Undefined when the band data reaches back to the first day.
 * A day before it has no band record in the lake, so its zone is unknown: the other streams leave it to a sync
 * that asks for it rather than place its rows with a later day's zone (chaos history-local-zepp seed 89).
 */
export function bandHistoryStart(run: Pick<SyncRun, 'ledger' | 'firstDate'>): string | undefined {
  let first: string | undefined;
  for (const e of run.ledger.values())
    if (e.stream === 'band' && /^\d{4}-\d{2}-\d{2}$/.test(e.period) && (first === undefined || e.period < first))
      first = e.period;
  return first !== undefined && first > run.firstDate ? first : undefined;
}
