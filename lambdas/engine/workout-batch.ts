// A batch of fetched workouts landed together: their rows into the month objects, their ledger entries, then the
// workout cursor over those that landed, in order. A workout that failed stays in the ledger for the next run.

import type { LedgerEntry, LedgerStatus } from '../core/ports.ts';
import type { RawRecord } from '../core/raw-records.ts';
import type { Row, TableRows } from '../core/schema-registry.ts';
import { localDateOf } from '../core/time.ts';
import type { WorkoutRef } from '../sources/source.ts';
import { appendRows, type SourceDecodeContext } from './decode-raw.ts';
import { countRows, type Decoded } from './decoded-fetch.ts';
import { writeTableRows } from './lake-writer.ts';
import type { StorageTarget } from './ledger.ts';
import type { RowKeysOf } from './raw-store.ts';
import { durableStep, errorText, type StreamReport, type StreamRun } from './sync-context.ts';

/** A workout fetched (or whose fetch failed), waiting for its batch to land. */
export interface PendingWorkout {
  ref: WorkoutRef;
  raw: RawRecord | null;
  decoded?: Decoded;
  error?: string;
  auth?: boolean;
}

/** The workout stream's state while details are fetched and landed. */
export interface WorkoutBatch {
  s: StreamRun;
  ctx: SourceDecodeContext;
  keysOf: RowKeysOf;
  listTarget: StorageTarget;
  /** The workout rows of the history pages, by trackid. */
  workoutRowById: Map<number, Row>;
  /** Days whose UTC offset is not known for sure (band data near them failed). */
  uncertain: Set<string>;
  /** The newest trackid the cursor has passed. */
  maxTrack: number | undefined;
  /** Whether this run may move the track cursor (core/plan.ts fetchMovesCursor: not a bounded fetch past it). */
  movesCursor: boolean;
  pending: PendingWorkout[];
}

const STATUS_COUNTER: Record<LedgerStatus, keyof StreamReport> = {
  written: 'written',
  empty: 'empty',
  failed: 'failed',
  auth_failed: 'authFailed',
};

/** The periods still to land if a storage write fails now (the pending workouts and `more`), and what it was for. */
export function pendingTarget(b: WorkoutBatch, more: string[] = []): StorageTarget {
  const periods = [...b.pending.map((p) => `track:${p.ref.trackid}`), ...more];
  return { ...b.listTarget, periods, what: `workouts ${periods[0]}..${periods.at(-1)}` };
}

/** Lands the pending workouts: rows, ledger, cursor, each a durable step. */
export async function flushWorkouts(b: WorkoutBatch): Promise<void> {
  if (b.pending.length === 0) return;
  const { s } = b;
  const { deps, ledger, user } = s.run;
  const rows: TableRows = { workout: [] };
  const entries = b.pending.map((p) => workoutEntry(b, p, rows));
  const target = pendingTarget(b);
  const written = await ledger.storageWrite(() => writeTableRows(deps.store, deps.codec, user.userId, rows), target);
  s.sr.rowsWritten += countRows(rows);
  s.sr.objectsWritten += written.objectsWritten;
  const last = `track:${b.pending[b.pending.length - 1]!.ref.trackid}`;
  await durableStep(s, 'lake', last);
  await ledger.storageWrite(() => ledger.write(entries), target);
  await durableStep(s, 'ledger', last);
  await advanceTrackCursor(b, last);
  b.pending = [];
}

/** One workout's ledger entry; its rows go into `rows`, its outcome into the reports. */
function workoutEntry(b: WorkoutBatch, p: PendingWorkout, rows: TableRows): LedgerEntry {
  const { s } = b;
  const { timeline, deps, report, user, source } = s.run;
  const wrow = b.workoutRowById.get(p.ref.trackid);
  const localDate =
    (wrow?.local_date as string | undefined) ?? localDateOf(p.ref.startMs, timeline.offsetAt(p.ref.startMs) ?? 0);
  let error = p.error ?? null;
  if (!error && b.uncertain.has(localDate))
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
  s.sr[STATUS_COUNTER[status]]++;
  if (error) report.errors.push(`workout ${p.ref.trackid}: ${error}`);
  return {
    userId: user.userId,
    stream: s.stream,
    period: `track:${p.ref.trackid}`,
    localDate,
    status,
    rows: n,
    rawKey: p.raw?.key ?? null,
    fetchedAt: p.raw?.fetchedAt ?? deps.clock(),
    error,
    source: source.source,
  };
}

/** Advances only over workouts that landed, in order; a failure stays in the ledger for a retry. */
async function advanceTrackCursor(b: WorkoutBatch, last: string): Promise<void> {
  const { s } = b;
  const { deps, user } = s.run;
  const landed = b.pending.filter((p) => !p.error && !p.auth).map((p) => p.ref.trackid);
  const landedMax = Math.max(...landed, b.maxTrack ?? 0);
  if (!b.movesCursor || (b.maxTrack !== undefined && landedMax <= b.maxTrack)) return;
  const cur = await deps.state.getCursor(user.userId, s.stream);
  await deps.state.advanceCursor(
    user.userId,
    s.stream,
    { lastTrackId: landedMax, through: s.today, updatedAt: deps.clock() },
    cur?.version ?? 0,
  );
  b.maxTrack = landedMax;
  await durableStep(s, 'cursor', last);
}
