// The ingest coverage calendar: one cell per day coloured by its ledger status, pure: data in, SVG out.

import { addDays, daysBetween, parseDate } from '../core/time.ts';
import {
  COLORS,
  COVERAGE_COLORS,
  COVERAGE_STATUSES,
  type CoverageStatus,
  type DateRange,
  escapeHtml,
  type Frame,
  legend,
  monthLabel,
  svgOpen,
} from './report-svg.ts';

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
