// The workout runner: list the workouts newer than the cursor (and those whose detail failed before), store the
// list's history pages in raw/, then fetch each workout's detail and land them in batches (workout-batch.ts).
// The workout rows come from the history pages; the details give samples, pauses and laps.

import { AuthExpiredError } from '../core/errors.ts';
import { fetchMovesCursor } from '../core/plan.ts';
import type { Cursor, LedgerEntry } from '../core/ports.ts';
import type { RawRecord } from '../core/raw-records.ts';
import type { Row } from '../core/schema-registry.ts';
import { addDays, localDateOf } from '../core/time.ts';
import type { WorkoutRef } from '../sources/source.ts';
import type { SourceDecodeContext } from './decode-raw.ts';
import { decodeOrError, keysAt, keysOfDecoded } from './decoded-fetch.ts';
import type { StorageTarget } from './ledger.ts';
import { once, storeRawFetch } from './raw-store.ts';
import { bandHistoryStart, durableStep, errorText, reportProgress, type StreamRun } from './sync-context.ts';
import { neighbourMonths } from './tz-timeline.ts';
import { flushWorkouts, pendingTarget, type WorkoutBatch } from './workout-batch.ts';

/** Workouts are landed this many at a time: one month-object merge and one ledger write per batch. */
const WORKOUT_FLUSH_EVERY = 40;

interface WorkoutList {
  raws: RawRecord[];
  items: WorkoutRef[];
}

export async function syncWorkoutStream(s: StreamRun): Promise<void> {
  const { run, stream, today } = s;
  const cursor = await run.deps.state.getCursor(run.user.userId, stream);
  const stopBefore = workoutStopBefore(s, cursor);
  const listed = await listWorkouts(s, stopBefore);
  if (!listed) return;
  s.sr.windows++;
  await closeAnsweredLists(s, listed.items.length);
  await loadZonesOf(s, listed.items);
  const items = itemsInRange(s, listed.items);
  const batch = await storeHistory(s, listed, items, cursor?.lastTrackId);
  batch.movesCursor = fetchMovesCursor(cursor?.lastTrackId, stopBefore, run.req.to !== undefined);
  await fetchDetails(batch, items);
  await flushWorkouts(batch);
  if (items.length === 0 && listed.raws.length > 0 && cursor?.through !== today) {
    await run.deps.state.advanceCursor(
      run.user.userId,
      stream,
      { lastTrackId: cursor?.lastTrackId, through: today, updatedAt: run.deps.clock() },
      cursor?.version ?? 0,
    );
  }
  reportProgress(s, items.length, items.length, 'done');
}

/** How far back the list is paged: the cursor less the lag, further for workouts whose detail failed earlier. */
function workoutStopBefore(s: StreamRun, cursor: Cursor | undefined): number | undefined {
  const { req, user, deps, ledger } = s.run;
  if (req.from) return Math.floor(Date.parse(`${addDays(req.from, -1)}T00:00:00Z`) / 1000);
  let stopBefore =
    cursor?.lastTrackId !== undefined && !user.wrongRegionSuspected
      ? cursor.lastTrackId - deps.lagDays * 86_400
      : undefined;
  for (const e of ledger.failedOf(s.stream)) {
    if (!e.period.startsWith('track:')) continue;
    const id = Number(e.period.slice(6));
    if (stopBefore !== undefined && id < stopBefore) stopBefore = id;
  }
  return stopBefore;
}

/** The workout list, or undefined when it failed (marked `list:<today>` in the ledger for the next run). */
async function listWorkouts(s: StreamRun, stopBefore: number | undefined): Promise<WorkoutList | undefined> {
  const { req, source, report, ledger } = s.run;
  try {
    return await source.listWorkouts(stopBefore, { from: req.from ?? s.run.firstDate, to: req.to ?? s.today });
  } catch (err) {
    const auth = err instanceof AuthExpiredError;
    report.errors.push(`workouts list: ${errorText(err)}`);
    await ledger.fail({
      stream: s.stream,
      periods: [`list:${s.today}`],
      status: auth ? 'auth_failed' : 'failed',
      error: errorText(err),
      rawKey: null,
      sr: s.sr,
    });
    if (auth) report.authFailed = true;
    return undefined;
  }
}

/** A workout list that failed on an earlier run has now answered: close its ledger entries. */
async function closeAnsweredLists(s: StreamRun, listedCount: number): Promise<void> {
  const { ledger, deps } = s.run;
  const closed: LedgerEntry[] = [...ledger.values()]
    .filter((e) => e.stream === s.stream && e.period.startsWith('list:') && e.status !== 'written')
    .map((e) => ({ ...e, status: 'written', rows: listedCount, error: null, fetchedAt: deps.clock() }));
  await ledger.write(closed);
}

/** The zones that place the listed workouts: the daily summaries of their months and the months either side. */
async function loadZonesOf(s: StreamRun, items: readonly WorkoutRef[]): Promise<void> {
  const { deps, timeline, user } = s.run;
  const months = new Set(items.map((it) => new Date(it.startMs).toISOString().slice(0, 7)));
  await timeline.load(deps.store, deps.codec, user.userId, [...months].flatMap(neighbourMonths));
}

/**
 * The listed workouts of the days the band data was asked for. The list reaches before them: it is asked from a
 * day before `from` (a workout just after local midnight east of UTC starts the UTC day before), a plain sync
 * lists the days of its lag again, and the first plain sync after a history begun with `--from` lists every
 * workout (the list so far held none: chaos history-local-zepp seed 89). Those can lie before the first day the
 * band data was asked for. A workout there has no band day of its own in the lake: it would be placed with a
 * later day's zone, wrong when the zone changed in between, and never placed again, since later syncs list from
 * the cursor (chaos history-local-zepp seeds 39 and 89). It is left to a sync that asks for its day. When the band
 * data reaches back to the person's first day, everything is kept (a phone-only workout before the first band day
 * has no other chance), and so is a workout whose detail failed before. Up to `to`, a day's margin is kept: the
 * next sync lists and places those again.
 */
function itemsInRange(s: StreamRun, items: WorkoutRef[]): WorkoutRef[] {
  const { req, timeline, ledger } = s.run;
  const toMs = req.to ? Date.parse(`${addDays(req.to, 1)}T00:00:00Z`) + 86_400_000 : Number.POSITIVE_INFINITY;
  const from = req.from ?? bandHistoryStart(s.run);
  const retried = new Set(ledger.failedOf(s.stream).map((e) => e.period));
  const onOrAfterFrom = (i: WorkoutRef) =>
    from === undefined ||
    retried.has(`track:${i.trackid}`) ||
    localDateOf(i.startMs, timeline.offsetAt(i.startMs) ?? 0) >= from;
  return items.filter((i) => i.startMs <= toMs && onOrAfterFrom(i));
}

/** Stores the history pages in raw/ and keeps their workout rows for the listed workouts. */
async function storeHistory(
  s: StreamRun,
  listed: WorkoutList,
  items: WorkoutRef[],
  lastTrackId: number | undefined,
): Promise<WorkoutBatch> {
  const { deps, timeline, user, source, ledger, report } = s.run;
  const ctx: SourceDecodeContext = {
    userId: user.userId,
    source: source.source,
    tzOffsetAt: timeline.offsetAt,
    decode: source.decode,
  };
  const history = listed.raws.map((raw) => decodeOrError(raw, ctx));
  const listTarget: StorageTarget = {
    stream: s.stream,
    periods: [`list:${s.today}`],
    what: 'workouts list',
    rawKey: null,
    sr: s.sr,
  };
  const keysOf = keysAt(ctx);
  const listKeys = once(() => keysOfDecoded(history));
  const storedLists = await ledger.storageWrite(
    () => storeRawFetch(deps.store, { records: listed.raws, keys: listKeys }, keysOf),
    listTarget,
  );
  await durableStep(s, 'raw', 'history');

  const wanted = new Set(items.map((i) => i.trackid));
  const historyRows: Row[] = [];
  for (const [i, h] of history.entries()) {
    if (h.err !== undefined) report.errors.push(`workouts history ${storedLists[i]?.key}: ${errorText(h.err)}`);
    for (const r of h.out?.rows.workout ?? []) if (wanted.has(Number(r.trackid))) historyRows.push(r);
  }
  return {
    s,
    ctx,
    keysOf,
    listTarget,
    workoutRowById: new Map(historyRows.map((r) => [Number(r.trackid), r])),
    uncertain: ledger.tzUncertainDays(),
    maxTrack: lastTrackId,
    movesCursor: true,
    pending: [],
  };
}

async function fetchDetails(b: WorkoutBatch, items: WorkoutRef[]): Promise<void> {
  for (const [i, ref] of items.entries()) {
    if (i % 10 === 0) reportProgress(b.s, i, items.length, `workout ${i}/${items.length}`);
    if ((await fetchDetail(b, ref)) === 'stop') break;
    if (b.pending.length >= WORKOUT_FLUSH_EVERY) {
      await durableStep(b.s, 'raw', `track:${ref.trackid}`);
      await flushWorkouts(b);
    }
  }
}

/** One workout's detail, stored in raw/ and queued for the next batch; 'stop' when the token expired. */
async function fetchDetail(b: WorkoutBatch, ref: WorkoutRef): Promise<'next' | 'stop'> {
  const { source, deps, ledger, report } = b.s.run;
  let raw: RawRecord;
  try {
    raw = await source.fetchWorkoutDetail(ref);
  } catch (err) {
    const auth = err instanceof AuthExpiredError;
    b.pending.push({ ref, raw: null, error: errorText(err), auth });
    if (!auth) return 'next';
    report.authFailed = true;
    return 'stop';
  }
  const decoded = decodeOrError(raw, b.ctx);
  const fetch = { records: [raw], keys: once(() => keysOfDecoded([decoded])) };
  const [stored] = await ledger.storageWrite(
    () => storeRawFetch(deps.store, fetch, b.keysOf),
    pendingTarget(b, [`track:${ref.trackid}`]),
  );
  b.pending.push({ ref, raw: stored ?? raw, decoded });
  return 'next';
}
