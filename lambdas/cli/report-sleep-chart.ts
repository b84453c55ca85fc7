// The sleep-stage chart: one row per night on an 18:00-12:00 local clock, pure: data in, an inline SVG string out.

import {
  COLORS,
  emptyChart,
  escapeHtml,
  type Frame,
  legend,
  num,
  plotWidth,
  SLEEP_STAGE_COLORS,
  svgOpen,
  WEEKDAYS,
} from './report-svg.ts';

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
