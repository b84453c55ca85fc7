// The person's UTC offset over time, learned from the `tz` of their daily summaries. Workouts and events
// carry no zone of their own, so their local date comes from here.

import type { ObjectStore } from '../core/ports.ts';
import { addDays } from '../core/time.ts';
import { type ParquetCodec, readMonthRows } from './lake-writer.ts';

const DAY_MS = 86_400_000;

/** Days since the epoch of a YYYY-MM-DD date. */
function dayIndexOf(date: string): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

export class TzTimeline {
  // Keyed by day index (not date strings): offsetAt runs once per decoded event reading, hundreds of thousands of times.
  private readonly byDay = new Map<number, number>();
  private sorted: number[] | undefined;
  private readonly loadedMonths = new Set<string>();

  constructor(private readonly fallback: number | null) {}

  add(date: string, offsetS: number): void {
    this.byDay.set(dayIndexOf(date), offsetS);
    this.sorted = undefined;
  }

  /** Loads the daily summaries of the given months from the lake. */
  async load(store: ObjectStore, codec: ParquetCodec, userId: string, months: Iterable<string>): Promise<void> {
    for (const m of months) {
      if (this.loadedMonths.has(m)) continue;
      this.loadedMonths.add(m);
      for (const r of await readMonthRows({ store, codec }, { table: 'daily_summary', month: m, userId })) {
        if (typeof r.local_date === 'string' && typeof r.tz_offset_s === 'number')
          this.add(r.local_date, r.tz_offset_s);
      }
    }
  }

  /**
   * Offset in force at an instant: that of the summary day with the latest local midnight at or before it
   * (so a DST night or a flight belongs to the day that has started), else the earliest known day, else the fallback.
   */
  offsetAt = (epochMs: number): number | null => {
    const utcDay = Math.floor(epochMs / DAY_MS);
    // Offsets are within +-14 h, so the day that has started is one of these three, or an earlier one.
    for (let d = utcDay + 1; d >= utcDay - 1; d--) {
      const o = this.byDay.get(d);
      if (o !== undefined && d * DAY_MS - o * 1000 <= epochMs) return o;
    }
    if (this.byDay.size === 0) return this.fallback;
    if (!this.sorted) this.sorted = [...this.byDay.keys()].sort((a, b) => a - b);
    const days = this.sorted;
    let lo = 0;
    let hi = days.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((days[mid] as number) <= utcDay - 2) lo = mid + 1;
      else hi = mid;
    }
    const near = lo > 0 ? days[lo - 1] : days[0];
    return near === undefined ? this.fallback : (this.byDay.get(near) ?? this.fallback);
  };

  /** The most recent known offset (for "today" in the person's zone). */
  latest(): number | null {
    if (this.byDay.size === 0) return this.fallback;
    if (!this.sorted) this.sorted = [...this.byDay.keys()].sort((a, b) => a - b);
    return this.byDay.get(this.sorted[this.sorted.length - 1] as number) ?? this.fallback;
  }
}

/** A month and the months either side: the zones that may place its records (a record near midnight on the 1st). */
export function neighbourMonths(month: string): string[] {
  const first = `${month}-01`;
  const prev = addDays(first, -1).slice(0, 7);
  const next = addDays(first, 32).slice(0, 7);
  return [prev, month, next];
}
