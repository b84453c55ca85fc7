// The model of a history: what the lake owes each simulated person after the commands that ran, independent of
// how the engine plans its fetches. A person is owed every day a sync, a replayed sync or a processed webhook was
// asked for, from the day they were (last) added on:
// - `sync --from F --to T` owes F..T;
// - a plain sync owes everything from where this person's lake begins to today: the first day of data, or, when
//   the first sync after the person was added named `--from F`, that F (a first sync's --from is where the
//   back-fill starts, design.md);
// - a webhook notification that was acknowledged for an existing person owes its window (UTC date of the
//   resource +-1 day, as the Huami doc's resourceTime allows for any zone).
// A removal forgets what is owed (the person starts over when added again); with --delete-data the person's lake
// objects go too, so rows kept from before are checked only for being right, never for being complete.

import type { StreamName } from '../../lambdas/core/ports.ts';
import { addDays, eachDay } from '../../lambdas/core/time.ts';
import type { Person } from './vendor.ts';

export interface DayRange {
  from: string;
  /** Absent: an open-ended `--from` (to today). */
  to?: string;
}

/** Days owed for some streams (absent: every stream). */
export interface Owed extends DayRange {
  streams?: readonly StreamName[];
}

export interface PersonModel {
  person: Person;
  /** In the state store now (added, not removed). */
  exists: boolean;
  /** The vendor refuses the stored login token / refresh token until the person logs in (consents) again. */
  revoked: boolean;
  /** Where the lake of this incarnation begins: the first sync's --from, or the first day of data. */
  backfillFrom?: string;
  /** Ranges owed since the person was last added. */
  owed: Owed[];
  /** A plain or open-ended (`--from` only) sync ran since the person was added: backfillFrom is set. */
  synced: boolean;
  /** The last removal deleted the person's lake objects (`users remove --delete-data`). */
  dataDeleted: boolean;
}

/** A notification the vendor still has to get a 2xx for: it redelivers until then (at-least-once). */
export interface PendingNotification {
  body: string;
  personIndex: number;
  /** The local date of the changed data. */
  day: string;
  eventType: string;
  /** Not before this real time (ms): an in-progress record of a delivery that died expires then. */
  notBefore: number;
}

export interface HistoryModel {
  today: string;
  people: PersonModel[];
  pending: PendingNotification[];
  /** Webhook messages that must reach the queue and a worker: messageKey(...) of each acknowledged notification. */
  expectedMessages: Set<string>;
  /** messageKey(...) of every webhook message a worker finished. */
  seenMessages: Set<string>;
  /** Bodies of the notifications answered 2xx at least once. */
  acknowledged: Set<string>;
  /** One line per command, in order, with what it did (the history as it ran). */
  log: string[];
  /** Facts that did not hold while the history ran (a command's own check). */
  problems: string[];
}

export function newModel(people: readonly Person[], today: string): HistoryModel {
  return {
    today,
    people: people.map((person) => ({
      person,
      exists: false,
      revoked: false,
      owed: [],
      synced: false,
      dataDeleted: false,
    })),
    pending: [],
    expectedMessages: new Set(),
    seenMessages: new Set(),
    acknowledged: new Set(),
    log: [],
    problems: [],
  };
}

export function personModel(m: HistoryModel, index: number): PersonModel {
  const p = m.people[index % m.people.length];
  if (!p) throw new Error(`no person ${index}`);
  return p;
}

/** The person was added (again): a new incarnation owes nothing yet. */
export function added(p: PersonModel): void {
  if (!p.exists) {
    p.owed = [];
    p.backfillFrom = undefined;
    p.synced = false;
  }
  p.exists = true;
  p.revoked = false;
}

export function removed(p: PersonModel, deleteData: boolean): void {
  p.exists = false;
  p.dataDeleted = deleteData;
  p.owed = [];
  p.backfillFrom = undefined;
  p.synced = false;
}

/**
 * A sync of the person started (and was not refused for a held lease): it owes the range it was asked for. A
 * window (`--from F --to T`, a webhook's) owes F..T; a plain sync owes from where this incarnation's lake begins
 * to today, which the first plain or open-ended (`--from F`) sync decides.
 */
export function syncStarted(
  p: PersonModel,
  range: { from: string; to?: string } | undefined,
  today: string,
  streams?: readonly StreamName[],
): void {
  if (!p.exists) return;
  if (range?.to !== undefined) {
    p.owed.push({ from: range.from, to: range.to, ...(streams ? { streams } : {}) });
    return;
  }
  if (!p.synced) p.backfillFrom = range?.from ?? p.person.firstDate;
  p.synced = true;
  p.owed.push({
    from: range?.from ?? p.backfillFrom ?? p.person.firstDate,
    to: today,
    ...(streams ? { streams } : {}),
  });
}

/** Every day of `stream` the lake owes the person now, within their data (firstDate..today). */
export function owedDays(p: PersonModel, today: string, stream: StreamName): Set<string> {
  const out = new Set<string>();
  if (!p.exists) return out;
  for (const r of p.owed) {
    if (r.streams && !r.streams.includes(stream)) continue;
    const from = r.from < p.person.firstDate ? p.person.firstDate : r.from;
    const to = r.to === undefined || r.to > today ? today : r.to;
    if (from <= to) for (const d of eachDay(from, to)) out.add(d);
  }
  return out;
}

/** A range around a day, clipped to nothing: the UTC date +-1 of a notification's resource time. */
export function windowAround(day: string): Required<DayRange> {
  return { from: addDays(day, -1), to: addDays(day, 1) };
}

export function describeRange(r: DayRange | undefined): string {
  if (!r) return '';
  return r.to === undefined ? ` --from ${r.from}` : ` --from ${r.from} --to ${r.to}`;
}

/** A webhook message as the model names it: whose, which window, which streams. */
export function messageKey(userId: string, range: Required<DayRange>, streams: readonly string[]): string {
  return `${userId} ${range.from}..${range.to} ${[...streams].sort().join(',')}`;
}
