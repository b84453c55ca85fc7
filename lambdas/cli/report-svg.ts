// The SVG parts every chart of the HTML report shares (colours, escaping, axes, legend). The charts are
// pure renderers: plain data in, an inline SVG string out. No DOM, no I/O and no
// external references (no xmlns either: inline <svg> in HTML needs none), so the page opens offline and the
// functions are tested as strings. Every text that reaches the markup goes through escapeHtml.

import { addDays, daysBetween } from '../core/time.ts';

/** The report's colours, shared by the charts and their legends so a stage or status looks the same everywhere. */
export const COLORS = {
  ink: '#1f2937',
  muted: '#6b7280',
  grid: '#e5e7eb',
  axis: '#9ca3af',
  steps: '#2563eb',
  goal: '#f59e0b',
  restingHr: '#0f766e',
  minuteHrP05: '#64748b',
  maxHr: '#dc2626',
  track: '#2563eb',
  trackStart: '#16a34a',
  trackEnd: '#dc2626',
  nightSpan: '#eef2f7',
} as const;

export const SLEEP_STAGE_COLORS: Readonly<Record<string, string>> = {
  deep: '#1e3a8a',
  light: '#60a5fa',
  rem: '#a855f7',
  awake: '#f59e0b',
  unknown: '#9ca3af',
};

export const COVERAGE_STATUSES = ['written', 'empty', 'failed', 'auth_failed', 'not_asked'] as const;
export type CoverageStatus = (typeof COVERAGE_STATUSES)[number];

export const COVERAGE_COLORS: Readonly<Record<CoverageStatus, string>> = {
  written: '#16a34a',
  empty: '#cbd5e1',
  failed: '#f97316',
  auth_failed: '#dc2626',
  not_asked: '#ffffff',
};

/** Heart rate zone colours, below zone 1 first. */
export const ZONE_COLORS = ['#cbd5e1', '#93c5fd', '#22c55e', '#eab308', '#f97316', '#dc2626'] as const;

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text or attribute value -> markup-safe text (null and undefined become ''). */
export function escapeHtml(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** A coordinate with at most one decimal: enough for the screen, and it keeps the page small. */
export function num(n: number): string {
  const r = Math.round(n * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

/** "Nice" axis ticks (1, 2 or 5 x 10^k steps) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max <= min) max = min + 1;
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = first; v < max + step * 0.999; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  return ticks;
}

function formatTick(v: number): string {
  if (Math.abs(v) >= 10_000) return `${num(v / 1000)}k`;
  return num(v);
}

export interface DateRange {
  /** First day shown, YYYY-MM-DD. */
  from: string;
  /** Last day shown, YYYY-MM-DD (inclusive). */
  to: string;
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const plotWidth = (f: Frame) => f.width - f.left - f.right;
export const plotHeight = (f: Frame) => f.height - f.top - f.bottom;

/** Days of the range as equal slots across the plot. */
export function dateScale(range: DateRange, f: Frame) {
  const days = Math.max(1, daysBetween(range.from, range.to) + 1);
  const slot = plotWidth(f) / days;
  return { days, slot, x: (date: string) => f.left + daysBetween(range.from, date) * slot };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function monthLabel(date: string, withYear: boolean): string {
  const m = MONTHS[Number(date.slice(5, 7)) - 1] ?? date.slice(5, 7);
  return withYear ? `${m} ${date.slice(0, 4)}` : m;
}

function nextMonthStart(date: string): string {
  return `${addDays(`${date.slice(0, 7)}-01`, 32).slice(0, 7)}-01`;
}

/** The first day of every month inside the range (fewer when the range is long). */
function monthStarts(range: DateRange): string[] {
  const out: string[] = [];
  let d = `${range.from.slice(0, 7)}-01`;
  if (d < range.from) d = nextMonthStart(d);
  for (; d <= range.to; d = nextMonthStart(d)) out.push(d);
  const months = daysBetween(range.from, range.to) / 30.4;
  return months > 14 ? out.filter((_, i) => i % Math.ceil(months / 12) === 0) : out;
}

export function svgOpen(f: Frame, label: string, cls: string): string {
  return (
    `<svg class="chart ${cls}" role="img" aria-label="${escapeHtml(label)}" viewBox="0 0 ${f.width} ${f.height}" ` +
    `width="${f.width}" height="${f.height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="11">` +
    `<title>${escapeHtml(label)}</title>`
  );
}

/** Y gridlines with labels, and the rotated axis title (with its unit). */
export function yAxis(f: Frame, ticks: number[], y: (v: number) => number, title: string): string {
  const parts = ticks.map((t) => {
    const yy = num(y(t));
    return (
      `<line x1="${f.left}" x2="${f.width - f.right}" y1="${yy}" y2="${yy}" stroke="${COLORS.grid}"/>` +
      `<text x="${f.left - 6}" y="${yy}" dy="0.32em" text-anchor="end" fill="${COLORS.muted}">${formatTick(t)}</text>`
    );
  });
  const cy = num(f.top + plotHeight(f) / 2);
  parts.push(
    `<text class="axis-title" transform="translate(12 ${cy}) rotate(-90)" text-anchor="middle" fill="${COLORS.muted}">${escapeHtml(title)}</text>`,
  );
  return parts.join('');
}

/** Month ticks under a date axis. */
export function dateAxis(f: Frame, range: DateRange): string {
  const scale = dateScale(range, f);
  const base = f.height - f.bottom;
  const parts = [`<line x1="${f.left}" x2="${f.width - f.right}" y1="${base}" y2="${base}" stroke="${COLORS.axis}"/>`];
  monthStarts(range).forEach((d, i) => {
    const x = num(scale.x(d));
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${base}" y2="${base + 4}" stroke="${COLORS.axis}"/>` +
        `<text x="${x}" y="${base + 16}" text-anchor="middle" fill="${COLORS.muted}">${monthLabel(d, i === 0 || d.slice(5, 7) === '01')}</text>`,
    );
  });
  return parts.join('');
}

/** A legend row: coloured swatches with names, starting at (x, y). */
export function legend(
  items: readonly { name: string; color: string; dashed?: boolean }[],
  x: number,
  y: number,
): string {
  let at = x;
  const parts: string[] = ['<g class="legend">'];
  for (const item of items) {
    parts.push(
      item.dashed
        ? `<line x1="${num(at)}" x2="${num(at + 14)}" y1="${y}" y2="${y}" stroke="${item.color}" stroke-width="2" stroke-dasharray="4 3"/>`
        : `<rect x="${num(at)}" y="${y - 5}" width="14" height="10" rx="2" fill="${item.color}" stroke="${COLORS.axis}" stroke-width="0.5"/>`,
      `<text x="${num(at + 18)}" y="${y}" dy="0.32em" fill="${COLORS.ink}">${escapeHtml(item.name)}</text>`,
    );
    at += 30 + item.name.length * 6.4;
  }
  parts.push('</g>');
  return parts.join('');
}

export function emptyChart(label: string, message: string, width = 960, height = 60): string {
  const f: Frame = { width, height, left: 0, right: 0, top: 0, bottom: 0 };
  return (
    `${svgOpen(f, label, 'empty')}` +
    `<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="6" fill="#f9fafb" stroke="${COLORS.grid}"/>` +
    `<text x="${width / 2}" y="${height / 2}" dy="0.32em" text-anchor="middle" fill="${COLORS.muted}">${escapeHtml(message)}</text></svg>`
  );
}
