// The sync engine: one step for one user, the same code in Lambda and on a laptop.
// lease -> plan windows from the cursor -> fetch -> raw/ -> decode -> merge into month objects -> ledger -> cursor.
// A crash anywhere repeats the step on the next run and produces the same objects: every write is idempotent.
//
// The parts, each with one job:
//   sync-user.ts        the per-user order: lease, first-day probe, streams band first, wrong-region check, user
//   windowed-stream.ts  the month-window runner (band and the event streams)
//   workout-stream.ts   the workout list and details runner; workout-batch.ts lands a batch of workouts
//   ledger.ts           ledger entries, failed periods, the ingest_ledger table, storage-write failures
//   decoded-fetch.ts    what a fetch decodes to (row keys for raw/, rows per day)
//   sync-context.ts     the public types and the per-run state passed as one object

import type { EngineDeps, SyncReport, SyncRequest } from './sync-context.ts';
import { syncUser } from './sync-user.ts';

export type {
  EngineDeps,
  EngineStep,
  ProgressEvent,
  StreamReport,
  SyncReport,
  SyncRequest,
} from './sync-context.ts';

export class SyncEngine {
  constructor(private readonly deps: EngineDeps) {}

  /** One sync of one user under their lease; LeaseHeldError when another sync or replay of the user runs. */
  async syncUser(req: SyncRequest): Promise<SyncReport> {
    return syncUser(this.deps, req);
  }
}
