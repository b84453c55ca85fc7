// Charts over days of a date range (bars, stacked bars, lines), pure: data in, an inline SVG string out.

import {
  COLORS,
  type DateRange,
  dateAxis,
  dateScale,
  emptyChart,
  escapeHtml,
  type Frame,
  legend,
  niceTicks,
  num,
  plotHeight,
  svgOpen,
  yAxis,
} from './report-svg.ts';

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
