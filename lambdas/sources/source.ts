// What the engine needs from a vendor source. One implementation per API (zepp-source.ts,
// huami-open-source.ts); the engine never speaks HTTP itself.

import type { SyncWindow } from '../core/plan.ts';
import type { DecodeContext, SourceId, StreamName } from '../core/ports.ts';
import type { RawRecord } from '../core/raw-records.ts';
import type { TableRows } from '../core/schema-registry.ts';

export type WindowedStream = Exclude<StreamName, 'workouts'>;

export interface WorkoutRef {
  trackid: number;
  startMs: number;
  /** What the detail call needs besides the trackid (the vendor's `source` string, a device id...). */
  params: Record<string, string>;
}

export interface DecodeReject {
  /** The ledger period the failure belongs to (a day or track:<id>); undefined = the whole raw record. */
  period?: string;
  message: string;
}

export interface DecodedRaw {
  rows: TableRows;
  rejects: DecodeReject[];
}

export interface SyncSource {
  readonly source: SourceId;
  readonly streams: readonly StreamName[];
  fetchWindow(stream: WindowedStream, window: SyncWindow): Promise<RawRecord[]>;
  /** Pages the workout list newest first, stopping once items are older than `stopBeforeTrackId`. */
  listWorkouts(
    stopBeforeTrackId: number | undefined,
    window: { from: string; to: string },
  ): Promise<{ raws: RawRecord[]; items: WorkoutRef[] }>;
  fetchWorkoutDetail(ref: WorkoutRef): Promise<RawRecord>;
  /** Epoch ms of the newest device activity the vendor reports (for the wrong-region check), if it can tell. */
  lastDeviceActivity?(): Promise<number | null>;
  /** The first day the account has data, if the API can tell cheaply. */
  discoverFirstDate?(today: string): Promise<{ date: string; certain: boolean } | undefined>;
}

/** Pure decoding of a stored raw record, shared by sync and replay. */
export type RawDecoder = (raw: RawRecord, ctx: DecodeContext) => DecodedRaw;
