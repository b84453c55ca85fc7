// One user's sync, in order: take the lease, find the first day (when unknown), run the streams band first, check
// for a wrong-region account, record the user's outcome, release the lease.

import { AuthExpiredError } from '../core/errors.ts';
import type { LedgerEntry, SourceId, StreamName } from '../core/ports.ts';
import { addDays, EARLIEST_UTC_OFFSET_S, latestDateBegun, localDateOf } from '../core/time.ts';
import { assertValidUserId } from '../core/user-id.ts';
import { UserLease } from './lease.ts';
import { RunLedger } from './ledger.ts';
import {
  type EngineDeps,
  errorText,
  newStreamReport,
  type StreamRun,
  type SyncReport,
  type SyncRequest,
  type SyncRun,
} from './sync-context.ts';
import { TzTimeline } from './tz-timeline.ts';
import { syncWindowedStream } from './windowed-stream.ts';
import { syncWorkoutStream } from './workout-stream.ts';

const DEFAULT_FIRST_DATE = '2015-01-01';
/** Sources whose band records carry the person's UTC offset (Zepp's summary.tz); huami-open's is configured. */
const ZONE_IN_BAND_RECORDS: ReadonlySet<SourceId> = new Set(['zepp']);
/** A device synced within this long is "recent activity" for the wrong-region check. */
const RECENT_ACTIVITY_MS = 30 * 86_400_000;

/** The first-day probe's outcome: the day found, or the expired token's error text. */
interface FirstDay {
  date?: string;
  authError?: string;
}

export async function syncUser(deps: EngineDeps, req: SyncRequest): Promise<SyncReport> {
  const { user } = req;
  const userId = assertValidUserId(user.userId);
  const report: SyncReport = { userId, streams: {}, authFailed: false, wrongRegionSuspected: false, errors: [] };
  const { state, clock } = deps;
  const lease = new UserLease({ state, owner: deps.leaseOwner, clock, ttlMs: deps.leaseTtlMs }, userId, 'sync');
  await lease.acquire();
  try {
    const timeline = new TzTimeline(user.tzOffsetS ?? null);
    const partial = { deps, req, user, source: req.source, lease, timeline, report };
    const first = await probeFirstDate({ ...partial, todayAt: () => todayAt(partial) });
    const ledger = await RunLedger.load(deps, user);
    const run: SyncRun = { ...partial, ledger, firstDate: first.date ?? DEFAULT_FIRST_DATE };
    await runStreams(run, first.authError);
    await checkWrongRegion(run);
    await recordUser(run);
    return report;
  } finally {
    await lease.release();
  }
}

/** Today in the person's zone as far as it is known (the newest band record's, else the configured one). */
function todayAt(run: Pick<SyncRun, 'deps' | 'user' | 'timeline'>): string {
  return localDateOf(run.deps.clock(), run.timeline.latest() ?? run.user.tzOffsetS ?? 0);
}

/**
 * Band data is asked for through the latest date begun anywhere, not through "today" in the zone known so
 * far (UTC before this run's band data, then the newest record's): a person east of that zone (anyone
 * east of UTC, a traveller the day they fly east) has begun a day whose events and workouts are fetched
 * (event requests are padded, the workout list is not dated), and without that day's band record they
 * were placed with yesterday's zone. On the day the zone changed that put them on the wrong date, in
 * the wrong month when the day was the 1st; the next sync placed them right and the merge kept both
 * copies, which replay (placing them once) did not: replay differed from sync between that person's
 * midnight and UTC's. A day that has not begun for the person answers empty and is fetched again.
 */
function lastDayOf(run: SyncRun, stream: StreamName): string {
  if (stream === 'band' && ZONE_IN_BAND_RECORDS.has(run.source.source)) return latestDateBegun(run.deps.clock());
  return todayAt(run);
}

/** The first day with data, found by the source's probe when neither the user nor the request says it. */
async function probeFirstDate(
  run: Pick<SyncRun, 'deps' | 'req' | 'user' | 'source' | 'report'> & { todayAt: () => string },
): Promise<FirstDay> {
  const { deps, req, user, source, report } = run;
  if (user.firstDate || req.from || !source.discoverFirstDate) return { date: user.firstDate };
  try {
    const found = await source.discoverFirstDate(run.todayAt());
    const stored = found?.certain ? await deps.state.getUser(user.userId) : undefined;
    if (found?.certain && stored) await deps.state.putUser({ ...stored, firstDate: found.date });
    return { date: found?.date };
  } catch (err) {
    if (!(err instanceof AuthExpiredError)) throw err;
    const authError = errorText(err);
    report.authFailed = true;
    report.errors.push(`first-day probe: ${authError}`);
    return { authError };
  }
}

/** The request's streams the source has, band first: it tells the time zones workouts and events are placed with. */
async function runStreams(run: SyncRun, probeAuthError: string | undefined): Promise<void> {
  const { req, source, report } = run;
  const streams = (req.streams ?? source.streams).filter((s) => source.streams.includes(s));
  const ordered = [...streams].sort((a, b) => (a === 'band' ? -1 : b === 'band' ? 1 : 0));
  if (probeAuthError !== undefined) await failUnprobed(run, ordered, probeAuthError);
  for (const stream of ordered) {
    if (report.authFailed) break;
    const sr = newStreamReport();
    report.streams[stream] = sr;
    await run.lease.renew();
    const s: StreamRun = { run, stream, sr, today: lastDayOf(run, stream) };
    if (stream === 'workouts') await syncWorkoutStream(s);
    else await syncWindowedStream({ ...s, stream });
  }
}

/**
 * The token died during the first-day probe, before any stream: without an entry the ledger would not say so,
 * and `status` would read "never synced" instead of "log in again". One auth_failed entry per stream on
 * `today` (a workout list's period is `list:<date>`), written in one ledger write, which the next good run
 * re-fetches and replaces. Dated at EARLIEST_UTC_OFFSET_S: the person's zone may be unknown yet.
 */
async function failUnprobed(run: SyncRun, streams: readonly StreamName[], error: string): Promise<void> {
  const today = localDateOf(run.deps.clock(), EARLIEST_UTC_OFFSET_S);
  const entries: LedgerEntry[] = streams.flatMap((stream) => {
    const sr = newStreamReport();
    run.report.streams[stream] = sr;
    const period = stream === 'workouts' ? `list:${today}` : today;
    return run.ledger.failedEntries({ stream, periods: [period], status: 'auth_failed', error, rawKey: null, sr });
  });
  await run.ledger.write(entries);
}

/**
 * Every stream answered empty while the devices show recent activity, and the window asked for holds the days
 * around that activity (which must have data): the account most likely lives in another region. An empty
 * window away from the activity (before the first day, or a month the band was not worn) proves nothing.
 */
async function checkWrongRegion(run: SyncRun): Promise<void> {
  const { req, report, deps } = run;
  const counts = Object.values(report.streams);
  if (counts.length === 0 || report.authFailed) return;
  const anyWritten = counts.some((s) => s && s.written > 0);
  const anyEmpty = counts.some((s) => s && s.empty > 0);
  if (anyWritten || !anyEmpty || !req.source.lastDeviceActivity) return;
  try {
    const last = await req.source.lastDeviceActivity();
    if (last === null || deps.clock() - last >= RECENT_ACTIVITY_MS) return;
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
      deps.log?.('error', 'wrong region suspected', { userId: req.user.userId });
    }
  } catch (err) {
    deps.log?.('warn', 'device list failed', { userId: req.user.userId, error: errorText(err) });
  }
}

/** The user as stored now gets the run's outcome: a user removed while this run went on stays removed. */
async function recordUser(run: SyncRun): Promise<void> {
  const { deps, report } = run;
  const fresh = await deps.state.getUser(report.userId);
  const clean = !report.authFailed && report.errors.length === 0;
  if (!fresh) return;
  await deps.state.putUser({
    ...fresh,
    wrongRegionSuspected: report.wrongRegionSuspected,
    ...(clean ? { lastSuccessAt: deps.clock() } : {}),
  });
}
