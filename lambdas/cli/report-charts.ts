// Pure chart renderers for the HTML report: plain data in, an inline SVG string out. No DOM, no I/O and no
// external references (no xmlns either: inline <svg> in HTML needs none), so the page opens offline and the
// functions are tested as strings. Every text that reaches the markup goes through escapeHtml.

import { addDays, daysBetween, parseDate } from '../core/time.ts';

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

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const plotWidth = (f: Frame) => f.width - f.left - f.right;
const plotHeight = (f: Frame) => f.height - f.top - f.bottom;

/** Days of the range as equal slots across the plot. */
function dateScale(range: DateRange, f: Frame) {
  const days = Math.max(1, daysBetween(range.from, range.to) + 1);
  const slot = plotWidth(f) / days;
  return { days, slot, x: (date: string) => f.left + daysBetween(range.from, date) * slot };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function monthLabel(date: string, withYear: boolean): string {
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

function svgOpen(f: Frame, label: string, cls: string): string {
  return (
    `<svg class="chart ${cls}" role="img" aria-label="${escapeHtml(label)}" viewBox="0 0 ${f.width} ${f.height}" ` +
    `width="${f.width}" height="${f.height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="11">` +
    `<title>${escapeHtml(label)}</title>`
  );
}

/** Y gridlines with labels, and the rotated axis title (with its unit). */
function yAxis(f: Frame, ticks: number[], y: (v: number) => number, title: string): string {
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
function dateAxis(f: Frame, range: DateRange): string {
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

function emptyChart(label: string, message: string, width = 960, height = 60): string {
  const f: Frame = { width, height, left: 0, right: 0, top: 0, bottom: 0 };
  return (
    `${svgOpen(f, label, 'empty')}` +
    `<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="6" fill="#f9fafb" stroke="${COLORS.grid}"/>` +
    `<text x="${width / 2}" y="${height / 2}" dy="0.32em" text-anchor="middle" fill="${COLORS.muted}">${escapeHtml(message)}</text></svg>`
  );
}

export interface DailyValue {
  /** YYYY-MM-DD */
  date: string;
  value: number | null;
  /** Tooltip; default "<date>: <value>". */
  title?: string;
}

export interface BarChartOptions {
  range: DateRange;
  /** Accessible name of the chart. */
  label: string;
  /** Y axis title with its unit, e.g. "steps per day". */
  yLabel: string;
  color?: string;
  /** A dashed horizontal reference line, e.g. the step goal. */
  reference?: { value: number; name: string };
  width?: number;
  height?: number;
}

/** One bar per day on a date axis; days without a value leave a gap. */
export function barChart(data: readonly DailyValue[], opts: BarChartOptions): string {
  const shown = data.filter((d) => d.value !== null && d.date >= opts.range.from && d.date <= opts.range.to);
  if (shown.length === 0) return emptyChart(opts.label, 'No data in this period');
  const f: Frame = { width: opts.width ?? 960, height: opts.height ?? 220, left: 56, right: 12, top: 24, bottom: 26 };
  const scale = dateScale(opts.range, f);
  const max = Math.max(...shown.map((d) => d.value as number), opts.reference?.value ?? 0);
  const ticks = niceTicks(0, max);
  const top = ticks[ticks.length - 1] ?? max;
  const y = (v: number) => f.top + plotHeight(f) * (1 - v / top);
  const color = opts.color ?? COLORS.steps;
  const barW = Math.max(0.6, scale.slot * 0.8);
  const bars = shown.map((d) => {
    const v = d.value as number;
    const title = d.title ?? `${d.date}: ${v.toLocaleString('en-US')}`;
    return `<rect class="bar" x="${num(scale.x(d.date) + (scale.slot - barW) / 2)}" y="${num(y(v))}" width="${num(barW)}" height="${num(y(0) - y(v))}" fill="${color}"><title>${escapeHtml(title)}</title></rect>`;
  });
  const ref = opts.reference
    ? `<line x1="${f.left}" x2="${f.width - f.right}" y1="${num(y(opts.reference.value))}" y2="${num(y(opts.reference.value))}" stroke="${COLORS.goal}" stroke-width="1.5" stroke-dasharray="5 4"/>`
    : '';
  const legendItems: { name: string; color: string; dashed?: boolean }[] = [{ name: opts.yLabel, color }];
  if (opts.reference) legendItems.push({ name: opts.reference.name, color: COLORS.goal, dashed: true });
  return (
    `${svgOpen(f, opts.label, 'bar-chart')}${yAxis(f, ticks, y, opts.yLabel)}${bars.join('')}${ref}` +
    `${dateAxis(f, opts.range)}${legend(legendItems, f.left + 4, 10)}</svg>`
  );
}

export interface StackedDailyValue {
  date: string;
  /** One value per key (null = none); stacked bottom-up in key order. */
  parts: readonly (number | null)[];
  title?: string;
}

export interface StackedBarChartOptions extends Omit<BarChartOptions, 'color' | 'reference'> {
  keys: readonly { name: string; color: string }[];
}

/** One stacked bar per day, e.g. the sleep stages of each night. */
export function stackedBarChart(data: readonly StackedDailyValue[], opts: StackedBarChartOptions): string {
  const shown = data.filter(
    (d) => d.date >= opts.range.from && d.date <= opts.range.to && d.parts.some((p) => p !== null && p > 0),
  );
  if (shown.length === 0) return emptyChart(opts.label, 'No data in this period');
  const f: Frame = { width: opts.width ?? 960, height: opts.height ?? 220, left: 56, right: 12, top: 24, bottom: 26 };
  const scale = dateScale(opts.range, f);
  const total = (d: StackedDailyValue) => d.parts.reduce<number>((s, p) => s + (p ?? 0), 0);
  const ticks = niceTicks(0, Math.max(...shown.map(total)));
  const top = ticks[ticks.length - 1] ?? 1;
  const y = (v: number) => f.top + plotHeight(f) * (1 - v / top);
  const barW = Math.max(0.6, scale.slot * 0.8);
  const bars = shown.map((d) => {
    let acc = 0;
    const x = num(scale.x(d.date) + (scale.slot - barW) / 2);
    const rects = d.parts.map((p, i) => {
      if (p === null || p <= 0) return '';
      const y0 = y(acc);
      acc += p;
      return `<rect x="${x}" y="${num(y(acc))}" width="${num(barW)}" height="${num(y0 - y(acc))}" fill="${opts.keys[i]?.color ?? COLORS.axis}"/>`;
    });
    const title =
      d.title ?? `${d.date}: ${d.parts.map((p, i) => `${opts.keys[i]?.name ?? i} ${num(p ?? 0)}`).join(', ')}`;
    return `<g class="bar"><title>${escapeHtml(title)}</title>${rects.join('')}</g>`;
  });
  return (
    `${svgOpen(f, opts.label, 'stacked-bar-chart')}${yAxis(f, ticks, y, opts.yLabel)}${bars.join('')}` +
    `${dateAxis(f, opts.range)}${legend(opts.keys, f.left + 4, 10)}</svg>`
  );
}

export interface LineSeries {
  name: string;
  color: string;
  dashed?: boolean;
  /** Points on the date axis; a null value breaks the line. */
  points: readonly { date: string; value: number | null }[];
}

export interface LineChartOptions {
  range: DateRange;
  label: string;
  yLabel: string;
  width?: number;
  height?: number;
}

/** Lines with dots on a date axis (e.g. weekly heart rate); the y axis fits the data, not zero. */
export function lineChart(series: readonly LineSeries[], opts: LineChartOptions): string {
  const inRange = (p: { date: string; value: number | null }) =>
    p.value !== null && Number.isFinite(p.value) && p.date >= opts.range.from && p.date <= opts.range.to;
  const values = series.flatMap((s) => s.points.filter(inRange).map((p) => p.value as number));
  if (values.length === 0) return emptyChart(opts.label, 'No data in this period');
  const f: Frame = { width: opts.width ?? 960, height: opts.height ?? 240, left: 56, right: 12, top: 24, bottom: 26 };
  const scale = dateScale(opts.range, f);
  const ticks = niceTicks(Math.min(...values), Math.max(...values));
  const lo = ticks[0] ?? 0;
  const hi = ticks[ticks.length - 1] ?? 1;
  const y = (v: number) => f.top + plotHeight(f) * (1 - (v - lo) / (hi - lo || 1));
  const lines = series.map((s) => {
    let d = '';
    let pen = false;
    const dots: string[] = [];
    for (const p of s.points) {
      if (!inRange(p)) {
        pen = false;
        continue;
      }
      const x = num(scale.x(p.date) + scale.slot / 2);
      const yy = num(y(p.value as number));
      d += `${pen ? 'L' : 'M'}${x} ${yy}`;
      pen = true;
      dots.push(
        `<circle cx="${x}" cy="${yy}" r="2.2" fill="${s.color}"><title>${escapeHtml(`${s.name}, week of ${p.date}: ${num(p.value as number)}`)}</title></circle>`,
      );
    }
    const dash = s.dashed ? ' stroke-dasharray="5 4"' : '';
    return `<g class="series" data-series="${escapeHtml(s.name)}"><path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${dash}/>${dots.join('')}</g>`;
  });
  return (
    `${svgOpen(f, opts.label, 'line-chart')}${yAxis(f, ticks, y, opts.yLabel)}${lines.join('')}` +
    `${dateAxis(f, opts.range)}${legend(series, f.left + 4, 10)}</svg>`
  );
}

/** Sleep axis: minutes after 18:00 local on the evening of the night, up to 12:00 the next day. */
export const SLEEP_AXIS_MINUTES = 18 * 60;

export interface SleepSegment {
  stage: string;
  /** Minutes after 18:00 local time on the night's evening (may exceed 360 = midnight). */
  startMin: number;
  endMin: number;
}

export interface SleepNight {
  /** The evening date D of the night D -> D+1. */
  night: string;
  segments: readonly SleepSegment[];
}

/** "HH:MM" local time of a position on the sleep axis. */
export function clockTime(minAfter18: number): string {
  const total = (((18 * 60 + Math.floor(minAfter18)) % 1440) + 1440) % 1440;
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

function weekdayOf(date: string): string {
  const ms = Date.parse(`${date}T00:00:00Z`);
  return Number.isNaN(ms) ? '' : (WEEKDAYS[new Date(ms).getUTCDay()] ?? '');
}

export interface SleepNightsOptions {
  label: string;
  width?: number;
  /** Height of one night's row, pixels. */
  rowHeight?: number;
}

/**
 * One row per night on a local clock from 18:00 to 12:00 the next day: a night that crosses midnight is one
 * span (class night-span) from its first segment's start to its last segment's end, with the stage segments
 * drawn over it.
 */
export function sleepNights(nights: readonly SleepNight[], opts: SleepNightsOptions): string {
  const withSegments = nights.filter((n) => n.segments.length > 0);
  if (withSegments.length === 0) return emptyChart(opts.label, 'No sleep stages in this period');
  const rowH = opts.rowHeight ?? 14;
  const f: Frame = {
    width: opts.width ?? 960,
    height: 24 + withSegments.length * rowH + 26,
    left: 104,
    right: 22,
    top: 24,
    bottom: 26,
  };
  const pw = plotWidth(f);
  const clip = (m: number) => Math.min(SLEEP_AXIS_MINUTES, Math.max(0, m));
  const x = (m: number) => f.left + (clip(m) / SLEEP_AXIS_MINUTES) * pw;
  const parts: string[] = [];
  for (let m = 0; m <= SLEEP_AXIS_MINUTES; m += 120) {
    const xx = num(x(m));
    parts.push(
      `<line x1="${xx}" x2="${xx}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="${m === 360 ? COLORS.axis : COLORS.grid}"${m === 360 ? ' stroke-dasharray="3 3"' : ''}/>` +
        `<text x="${xx}" y="${f.height - f.bottom + 16}" text-anchor="middle" fill="${COLORS.muted}">${clockTime(m)}</text>`,
    );
  }
  withSegments.forEach((n, i) => {
    const top = f.top + i * rowH;
    const barY = num(top + 2);
    const barH = num(rowH - 4);
    const start = Math.min(...n.segments.map((s) => s.startMin));
    const end = Math.max(...n.segments.map((s) => s.endMin));
    const asleep = n.segments.filter((s) => s.stage !== 'awake').reduce((sum, s) => sum + (s.endMin - s.startMin), 0);
    const title = `night of ${n.night}: ${clockTime(start)} to ${clockTime(end)}, ${num(asleep / 60)} h asleep`;
    parts.push(
      `<g class="night" data-night="${escapeHtml(n.night)}"><title>${escapeHtml(title)}</title>` +
        `<text x="${f.left - 6}" y="${num(top + rowH / 2)}" dy="0.32em" text-anchor="end" fill="${COLORS.ink}">${escapeHtml(`${weekdayOf(n.night)} ${n.night}`)}</text>` +
        `<rect class="night-span" data-night="${escapeHtml(n.night)}" x="${num(x(start))}" y="${barY}" width="${num(x(end) - x(start))}" height="${barH}" rx="2" fill="${COLORS.nightSpan}" stroke="${COLORS.axis}" stroke-width="0.5"/>`,
    );
    for (const s of n.segments) {
      const w = x(s.endMin) - x(s.startMin);
      if (w <= 0) continue;
      const color = SLEEP_STAGE_COLORS[s.stage] ?? SLEEP_STAGE_COLORS.unknown;
      parts.push(
        `<rect class="stage" data-stage="${escapeHtml(s.stage)}" x="${num(x(s.startMin))}" y="${barY}" width="${num(w)}" height="${barH}" fill="${color}"/>`,
      );
    }
    parts.push('</g>');
  });
  const keys = ['deep', 'light', 'rem', 'awake'].map((s) => ({
    name: s === 'rem' ? 'REM' : s,
    color: SLEEP_STAGE_COLORS[s] ?? COLORS.axis,
  }));
  return `${svgOpen(f, opts.label, 'sleep-nights')}${parts.join('')}${legend(keys, f.left + 4, 10)}</svg>`;
}

export interface TrackPoint {
  lat: number;
  lon: number;
}

export interface ProjectedTrack {
  points: { x: number; y: number }[];
  /** Metres on the ground per SVG unit (0 when the track has no extent). */
  metresPerUnit: number;
}

const METRES_PER_DEGREE = 111_320;

/**
 * Equirectangular projection around the track's mean latitude, north up, scaled to fit the box with `pad`
 * units of margin and centred; the same scale on both axes, so shapes keep their proportions.
 */
export function projectTrack(points: readonly TrackPoint[], width: number, height: number, pad = 10): ProjectedTrack {
  if (points.length === 0) return { points: [], metresPerUnit: 0 };
  const lat0 = points.reduce((s, p) => s + p.lat, 0) / points.length;
  const k = Math.cos((lat0 * Math.PI) / 180);
  const xs = points.map((p) => p.lon * k);
  const ys = points.map((p) => p.lat);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const minY = Math.min(...ys);
  const maxY = Math.max(...ys);
  const spanX = maxX - minX;
  const spanY = maxY - minY;
  const span = Math.max(spanX / (width - 2 * pad), spanY / (height - 2 * pad));
  if (span === 0) return { points: points.map(() => ({ x: width / 2, y: height / 2 })), metresPerUnit: 0 };
  const scale = 1 / span;
  const offX = (width - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  return {
    points: xs.map((xv, i) => ({ x: offX + (xv - minX) * scale, y: offY + (maxY - (ys[i] as number)) * scale })),
    metresPerUnit: METRES_PER_DEGREE / scale,
  };
}

/** Every k-th point (and the last) so that at most `max` remain. */
export function thinPoints<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const step = Math.ceil(points.length / (max - 1));
  const out = points.filter((_, i) => i % step === 0);
  const last = points[points.length - 1];
  if (last !== undefined && out[out.length - 1] !== last) out.push(last);
  return out;
}

export interface TrackPlotOptions {
  label: string;
  width?: number;
  height?: number;
  /** At most this many points are drawn (default 500). */
  maxPoints?: number;
}

/** The GPS track as a polyline (no map tiles), with start and end marks and a scale bar. */
export function trackPlot(points: readonly TrackPoint[], opts: TrackPlotOptions): string {
  const width = opts.width ?? 300;
  const height = opts.height ?? 220;
  const usable = thinPoints(
    points.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon)),
    opts.maxPoints ?? 500,
  );
  if (usable.length < 2) return emptyChart(opts.label, 'No GPS track', width, height);
  const f: Frame = { width, height, left: 0, right: 0, top: 0, bottom: 0 };
  const { points: xy, metresPerUnit } = projectTrack(usable, width, height - 18, 12);
  const first = xy[0] as { x: number; y: number };
  const last = xy[xy.length - 1] as { x: number; y: number };
  let bar = '';
  if (metresPerUnit > 0) {
    const target = (width / 4) * metresPerUnit;
    const metres = niceTicks(0, target, 1)[1] ?? target;
    const len = metres / metresPerUnit;
    const text = metres >= 1000 ? `${num(metres / 1000)} km` : `${num(metres)} m`;
    bar =
      `<path d="M10 ${height - 10}v4h${num(len)}v-4" fill="none" stroke="${COLORS.muted}"/>` +
      `<text x="${num(14 + len)}" y="${height - 7}" fill="${COLORS.muted}">${text}</text>`;
  }
  return (
    `${svgOpen(f, opts.label, 'track')}<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="6" fill="#f8fafc" stroke="${COLORS.grid}"/>` +
    `<polyline class="track-line" points="${xy.map((p) => `${num(p.x)},${num(p.y)}`).join(' ')}" fill="none" stroke="${COLORS.track}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>` +
    `<circle cx="${num(first.x)}" cy="${num(first.y)}" r="4" fill="${COLORS.trackStart}"><title>start</title></circle>` +
    `<circle cx="${num(last.x)}" cy="${num(last.y)}" r="4" fill="${COLORS.trackEnd}"><title>end</title></circle>` +
    `${bar}</svg>`
  );
}

export interface CalendarDay {
  date: string;
  status: CoverageStatus;
  /** Tooltip detail, e.g. "band:written, stress:empty". */
  detail?: string;
}

export interface CoverageCalendarOptions {
  range: DateRange;
  label: string;
}

const STATUS_NAMES: Readonly<Record<CoverageStatus, string>> = {
  written: 'written',
  empty: 'empty (API had nothing)',
  failed: 'failed',
  auth_failed: 'auth failed',
  not_asked: 'not asked',
};

/**
 * A calendar of the range: one column per week (Monday first), one cell per day coloured by its ledger status;
 * days without a row count as not asked.
 */
export function coverageCalendar(days: readonly CalendarDay[], opts: CoverageCalendarOptions): string {
  const cell = 12;
  const gap = 2;
  const byDate = new Map(days.map((d) => [d.date, d]));
  const firstMonday = addDays(opts.range.from, -((new Date(parseDate(opts.range.from)).getUTCDay() + 6) % 7));
  const weeks = Math.floor(daysBetween(firstMonday, opts.range.to) / 7) + 1;
  const left = 34;
  const top = 18;
  const f: Frame = {
    width: Math.max(left + weeks * (cell + gap) + 8, 560),
    height: top + 7 * (cell + gap) + 30,
    left,
    right: 8,
    top,
    bottom: 30,
  };
  const parts: string[] = [];
  ['Mon', 'Wed', 'Fri'].forEach((d, i) => {
    parts.push(
      `<text x="${left - 6}" y="${top + i * 2 * (cell + gap) + cell / 2}" dy="0.32em" text-anchor="end" fill="${COLORS.muted}">${d}</text>`,
    );
  });
  const monthLabels: { col: number; date: string }[] = [];
  for (let d = opts.range.from; d <= opts.range.to; d = addDays(d, 1)) {
    const index = daysBetween(firstMonday, d);
    const col = Math.floor(index / 7);
    const row = index % 7;
    const x = left + col * (cell + gap);
    const y = top + row * (cell + gap);
    if (d === opts.range.from || d.endsWith('-01'))
      monthLabels.push({ col: d.endsWith('-01') && row > 0 ? col + 1 : col, date: d });
    const day = byDate.get(d);
    const status: CoverageStatus = day?.status ?? 'not_asked';
    const tip = `${d}: ${STATUS_NAMES[status]}${day?.detail ? ` (${day.detail})` : ''}`;
    parts.push(
      `<rect class="cal-day" data-status="${status}" x="${x}" y="${y}" width="${cell}" height="${cell}" rx="2" fill="${COVERAGE_COLORS[status]}" stroke="${COLORS.grid}" stroke-width="0.6"><title>${escapeHtml(tip)}</title></rect>`,
    );
  }
  // A month is named above its first full week; a label too close to its neighbour (a short first month) is left out.
  let freeFrom = Number.NEGATIVE_INFINITY;
  monthLabels.forEach((m, i) => {
    const next = monthLabels[i + 1];
    const withYear = freeFrom < 0 || m.date.slice(5, 7) === '01';
    const span = withYear ? 5 : 3;
    if (m.col < freeFrom || (next !== undefined && next.col - m.col < span)) return;
    parts.push(
      `<text x="${left + m.col * (cell + gap)}" y="${top - 6}" fill="${COLORS.muted}">${monthLabel(m.date, withYear)}</text>`,
    );
    freeFrom = m.col + span;
  });
  const keys = COVERAGE_STATUSES.map((s) => ({ name: STATUS_NAMES[s], color: COVERAGE_COLORS[s] }));
  return `${svgOpen(f, opts.label, 'coverage-calendar')}${parts.join('')}${legend(keys, left, f.height - 12)}</svg>`;
}

/** A small stacked bar of the seconds in each heart-rate zone (below zone 1 first). */
export function zoneBar(seconds: readonly number[], width = 120, height = 10): string {
  const total = seconds.reduce((s, v) => s + Math.max(0, v), 0);
  if (total <= 0) return '';
  let x = 0;
  const rects = seconds.map((s, i) => {
    const w = (Math.max(0, s) / total) * width;
    const r =
      w > 0
        ? `<rect x="${num(x)}" y="0" width="${num(w)}" height="${height}" fill="${ZONE_COLORS[i] ?? COLORS.axis}"/>`
        : '';
    x += w;
    return r;
  });
  const tip = seconds.map((s, i) => `${i === 0 ? 'below Z1' : `Z${i}`} ${Math.round(s / 60)} min`).join(', ');
  return `<svg class="zones" role="img" aria-label="${escapeHtml(tip)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeHtml(tip)}</title>${rects.join('')}</svg>`;
}
