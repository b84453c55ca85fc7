// Pure date helpers. Local dates are computed from a UTC instant and a fixed UTC offset in seconds.

const DAY_MS = 86_400_000;

/** The largest UTC offset a decoder accepts, seconds: real zones run from -12:00 to +14:00; 18 h is ISO 8601's bound. */
export const MAX_UTC_OFFSET_S = 18 * 3600;
/** UTC-12 (Baker Island): no one's calendar day starts later. */
export const EARLIEST_UTC_OFFSET_S = -12 * 3600;
/** UTC+14 (Kiribati): no one's calendar day starts earlier. */
export const LATEST_UTC_OFFSET_S = 14 * 3600;

/** 'YYYY-MM-DD' of the instant `epochMs` at UTC offset `offsetS`. */
export function localDateOf(epochMs: number, offsetS: number): string {
  return new Date(epochMs + offsetS * 1000).toISOString().slice(0, 10);
}

/** Epoch ms of local midnight starting `date` at offset `offsetS`. */
export function localMidnightMs(date: string, offsetS: number): number {
  return parseDate(date) - offsetS * 1000;
}

/** Epoch ms of `date` 00:00 UTC; throws on anything but a real YYYY-MM-DD. */
export function parseDate(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new RangeError(`not a calendar date: ${date}`);
  }
  return ms;
}

/** The latest calendar date that has begun somewhere on Earth at `epochMs` (UTC+14's date). */
export function latestDateBegun(epochMs: number): string {
  return localDateOf(epochMs, LATEST_UTC_OFFSET_S);
}

export function addDays(date: string, days: number): string {
  return new Date(parseDate(date) + days * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((parseDate(to) - parseDate(from)) / DAY_MS);
}

/** Inclusive list of dates from..to. */
export function eachDay(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

export function monthOfDate(date: string): string {
  return date.slice(0, 7);
}
