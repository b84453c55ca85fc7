// Window planning: which calendar months a sync step fetches for a (user, stream).
//
// Windows are whole calendar months (the last one ends today). Month-aligned windows put every raw response
// under its month (raw/.../<YYYY-MM>/<from>_<to>.json.gz, so a re-fetch of the same window lands on its own key
// and a narrower one never on a wider one's: docs/decisions/0008-raw-keyed-by-window.md), and they match the
// month objects of the lake, so one window rewrites each affected object once.
// Back-fill runs oldest first: the cursor is then one high-water mark (`through`) and a run stopped
// anywhere resumes exactly where it stopped (docs/decisions/0002-backfill-oldest-first.md).

import { addDays, monthOfDate } from './time.ts';

export interface SyncWindow {
  /** YYYY-MM */
  month: string;
  /** first day fetched (YYYY-MM-DD) */
  from: string;
  /** last day fetched, inclusive */
  to: string;
}

export interface PlanInput {
  /** Last date fully committed, if any. */
  through?: string;
  /** The person's "today" (YYYY-MM-DD in their zone). */
  today: string;
  /** Days before `through` fetched again for late-synced data. */
  lagDays: number;
  /** First day of the back-fill. */
  firstDate: string;
  /** Optional explicit bounds from the command line. */
  from?: string;
  to?: string;
  /** Months with a failed or auth_failed ledger entry, retried even when behind the cursor. */
  retryMonths?: readonly string[];
}

function monthStart(month: string): string {
  return `${month}-01`;
}

function monthEnd(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return addDays(`${next}-01`, -1);
}

export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let m = monthOfDate(from);
  const last = monthOfDate(to);
  while (m <= last) {
    out.push(m);
    m = monthOfDate(addDays(monthEnd(m), 1));
  }
  return out;
}

/** The windows of one sync step, oldest first; every window is a whole month clipped to [first day, end]. */
export function planSyncWindows(input: PlanInput): SyncWindow[] {
  const end = input.to && input.to < input.today ? input.to : input.today;
  const first = input.from && input.from < input.firstDate ? input.from : input.firstDate;
  let start: string;
  if (input.from) start = input.from;
  else if (input.through) start = addDays(input.through, -input.lagDays);
  else start = first;
  if (start < first) start = first;
  const months = new Set<string>(start <= end ? monthsBetween(start, end) : []);
  // Months with failed days are fetched again whole, even before the first day (a failed probe can have
  // planned them); once they answer they end written or empty.
  const retry = new Set((input.retryMonths ?? []).filter((m) => monthStart(m) <= end));
  for (const m of retry) months.add(m);
  return [...months].sort().map((month) => {
    const from = monthStart(month) < first && !retry.has(month) ? first : monthStart(month);
    const last = monthEnd(month);
    return { month, from, to: last < end ? last : end };
  });
}

/**
 * Whether a fetch may move a stream's cursor, a high-water mark the next plain sync starts from (less the lag):
 * only when what it fetched joins what the cursor already covers (`nextFrom` at or before `reached`, the first day
 * or trackid the cursor does not cover yet). A bounded fetch (`--to`, a webhook's window) past the cursor, or before
 * any cursor exists, must leave it: the plain syncs after it would skip the days between.
 */
export function fetchMovesCursor<T extends string | number>(
  reached: T | undefined,
  nextFrom: T | undefined,
  bounded: boolean,
): boolean {
  if (reached === undefined) return !bounded;
  return nextFrom === undefined || nextFrom <= reached;
}

export { monthEnd, monthStart };
