// The benchmark's data: one person with exactly a year of history in the Zepp simulator, and that year's
// vendor responses fetched once over real HTTP (through the same ZeppApi + ZeppSource the sync uses), so the
// decode and write figures are measured on what the engine really receives, without the network in them.

import { AuthExpiredError } from '../lambdas/core/errors.ts';
import { planSyncWindows, type SyncWindow } from '../lambdas/core/plan.ts';
import type { RawRecord } from '../lambdas/core/raw-records.ts';
import { STREAM_GROUPS } from '../lambdas/core/streams.ts';
import { addDays } from '../lambdas/core/time.ts';
import type { HttpOptions } from '../lambdas/sources/http.ts';
import type { WindowedStream } from '../lambdas/sources/source.ts';
import { ZeppApi } from '../lambdas/sources/zepp/client.ts';
import { loginWithPassword } from '../lambdas/sources/zepp/password-login.ts';
import { ZeppSource } from '../lambdas/sources/zepp/source.ts';
import { demoUsers, type SimUserSpec, type Simulator } from '../sim/index.ts';

/** Exactly 365 local days, today included. */
export const YEAR_DAYS = 365;

/** alice (DST, device switch, readiness, a pool swim, workouts every other day) cut to one year. */
export function yearUserSpec(today: string): SimUserSpec {
  const alice = demoUsers(today).find((u) => u.name === 'alice');
  if (!alice) throw new Error('the simulator no longer has a demo user alice');
  return { ...alice, firstDate: addDays(today, -(YEAR_DAYS - 1)) };
}

/** No waiting between retries: the simulator runs without faults, so retries would only hide a bug. */
export const BENCH_HTTP: HttpOptions = { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 30_000 };

export interface YearCorpus {
  userId: string;
  windows: SyncWindow[];
  /** One band_data response per month window, as the sync fetches them. */
  band: RawRecord[];
  /** Events responses per stream (one or more pages per month window). */
  events: Record<Exclude<WindowedStream, 'band'>, RawRecord[]>;
  /** history.json pages. */
  history: RawRecord[];
  /** detail.json of every workout of the year. */
  details: RawRecord[];
  /** Total response bytes (UTF-8) fetched. */
  bytes: number;
  fetchMs: number;
}

export async function fetchYearCorpus(sim: Simulator, spec: SimUserSpec, today: string): Promise<YearCorpus> {
  const started = performance.now();
  const login = await loginWithPassword(spec.email, spec.password, { base: sim.url }, BENCH_HTTP);
  const api = new ZeppApi({
    userId: login.userId,
    auth: {
      current: async () => login.appToken,
      refresh: async () => {
        throw new AuthExpiredError('the benchmark does not refresh tokens');
      },
    },
    hosts: { base: sim.url },
    http: BENCH_HTTP,
  });
  const source = new ZeppSource(api, login.userId);
  const windows = planSyncWindows({ today, lagDays: 3, firstDate: spec.firstDate });
  const band: RawRecord[] = [];
  const events = Object.fromEntries(
    STREAM_GROUPS.events.map((stream) => [stream, [] as RawRecord[]]),
  ) as YearCorpus['events'];
  for (const w of windows) {
    band.push(...(await source.fetchWindow('band', w)));
    for (const stream of Object.keys(events) as (keyof typeof events)[]) {
      events[stream].push(...(await source.fetchWindow(stream, w)));
    }
  }
  const listed = await source.listWorkouts(undefined);
  const details: RawRecord[] = [];
  // A few in flight at a time: the simulator builds each track on demand.
  const queue = listed.items.filter((w) => w.startMs >= Date.parse(`${addDays(spec.firstDate, -1)}T00:00:00Z`));
  const worker = async () => {
    for (let ref = queue.shift(); ref; ref = queue.shift()) details.push(await source.fetchWorkoutDetail(ref));
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  details.sort((a, b) => Number(a.params?.trackid) - Number(b.params?.trackid));
  const all = [...band, ...Object.values(events).flat(), ...listed.raws, ...details];
  return {
    userId: login.userId,
    windows,
    band,
    events,
    history: listed.raws,
    details,
    bytes: all.reduce((n, r) => n + Buffer.byteLength(r.text), 0),
    fetchMs: performance.now() - started,
  };
}
