// One person's section of the HTML report: the stats line and one card per chart, rendered from the rows
// report-queries.ts fetched. Pure: rows in, markup out.

import { type CalendarDay, coverageCalendar } from './report-coverage-chart.ts';
import { barChart, lineChart, stackedBarChart } from './report-daily-charts.ts';
import { numberOf, REPORT_LIMITS, textOf, type UserReportRows, type UserSpan } from './report-queries.ts';
import { type SleepNight, sleepNights } from './report-sleep-chart.ts';
import { COLORS, COVERAGE_STATUSES, type CoverageStatus, escapeHtml, SLEEP_STAGE_COLORS } from './report-svg.ts';
import { type TrackPoint, trackPlot, zoneBar } from './report-workout-charts.ts';

const int = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US');

function localTime(isoUtc: string, tzOffsetS: number | null): string {
  const ms = Date.parse(isoUtc);
  if (Number.isNaN(ms)) return '';
  return new Date(ms + (tzOffsetS ?? 0) * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

function duration(seconds: number | null): string {
  if (seconds === null) return '–';
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min`;
}

function km(metres: number | null): string {
  return metres === null || metres <= 0 ? '–' : `${(metres / 1000).toFixed(2)} km`;
}

const typeName = (v: unknown) => textOf(v).replace(/_/g, ' ') || 'workout';

function card(title: string, note: string, body: string): string {
  return `<section class="card"><h3>${escapeHtml(title)}</h3>${note ? `<p class="note">${escapeHtml(note)}</p>` : ''}${body}</section>`;
}

function statList({ period, totals: t }: UserReportRows): string {
  const days = numberOf(t.days) ?? 0;
  const stats: [string, string, string][] = [
    ['period', `${period.from} → ${period.to}`, 'period'],
    ['days with data', int(days), 'days'],
    ['steps per day', int(days ? (numberOf(t.steps) ?? 0) / days : null), 'steps-per-day'],
    ['nights', int(numberOf(t.nights)), 'nights'],
    ['workouts', int(numberOf(t.workouts)), 'workouts'],
    ['workout distance', km(numberOf(t.workout_distance_m)), 'workout-distance'],
    ['days failed', int(numberOf(t.failed_days)), 'failed-days'],
  ];
  return stats
    .map(([k, v, id]) => `<div><dt>${escapeHtml(k)}</dt><dd data-stat="${id}">${escapeHtml(v)}</dd></div>`)
    .join('');
}

function stepsChart({ daily, chart, totals }: UserReportRows, user: UserSpan): string {
  const goal = numberOf(totals.goal_steps);
  return barChart(
    daily.map((d) => ({
      date: textOf(d.local_date),
      value: numberOf(d.steps),
      title: `${textOf(d.local_date)}: ${int(numberOf(d.steps))} steps, ${km(numberOf(d.distance_m))}`,
    })),
    {
      range: chart,
      label: `Daily steps of user ${user.userId}`,
      yLabel: 'steps per day',
      color: COLORS.steps,
      reference: goal ? { value: goal, name: `goal ${int(goal)}` } : undefined,
    },
  );
}

function heartRateChart({ weekly, chart }: UserReportRows, user: UserSpan): string {
  const week = (key: string) =>
    weekly.map((w) => ({ date: textOf(w.week_start), value: numberOf(w[key]) })).filter((p) => p.date >= chart.from);
  return lineChart(
    [
      { name: 'resting HR (sleep, weekly mean)', color: COLORS.restingHr, points: week('sleep_resting_hr') },
      { name: '5th percentile of minute HR', color: COLORS.minuteHrP05, dashed: true, points: week('minute_hr_p05') },
      { name: 'max HR of the week', color: COLORS.maxHr, points: week('max_hr') },
    ],
    { range: chart, label: `Heart rate by week of user ${user.userId}`, yLabel: 'heart rate, bpm' },
  );
}

function sleepChart({ nights, chart }: UserReportRows, user: UserSpan): string {
  const hours = (v: unknown) => {
    const n = numberOf(v);
    return n === null ? null : n / 60;
  };
  return stackedBarChart(
    nights.map((n) => {
      const parts = [hours(n.deep_min), hours(n.light_min), hours(n.rem_min), hours(n.awake_min)];
      const asleep = (parts[0] ?? 0) + (parts[1] ?? 0) + (parts[2] ?? 0);
      const score = numberOf(n.sleep_score);
      return {
        date: textOf(n.night_of),
        parts,
        title: `night of ${textOf(n.night_of)}: ${asleep.toFixed(1)} h asleep (deep ${int(numberOf(n.deep_min))}, light ${int(numberOf(n.light_min))}, REM ${int(numberOf(n.rem_min))}, awake ${int(numberOf(n.awake_min))} min)${score === null ? '' : `, score ${score}`}`,
      };
    }),
    {
      range: chart,
      label: `Sleep per night of user ${user.userId}`,
      yLabel: 'sleep, hours',
      keys: [
        { name: 'deep', color: SLEEP_STAGE_COLORS.deep ?? COLORS.axis },
        { name: 'light', color: SLEEP_STAGE_COLORS.light ?? COLORS.axis },
        { name: 'REM', color: SLEEP_STAGE_COLORS.rem ?? COLORS.axis },
        { name: 'awake', color: SLEEP_STAGE_COLORS.awake ?? COLORS.axis },
      ],
    },
  );
}

function stagesChart({ stages }: UserReportRows, user: UserSpan): string {
  const stageNights = new Map<string, SleepNight & { segments: SleepNight['segments'][number][] }>();
  for (const s of stages) {
    const night = textOf(s.night_of);
    const start = numberOf(s.start_min_after_18h);
    const end = numberOf(s.end_min_after_18h);
    if (start === null || end === null) continue;
    let entry = stageNights.get(night);
    if (!entry) {
      entry = { night, segments: [] };
      stageNights.set(night, entry);
    }
    entry.segments.push({ stage: textOf(s.stage), startMin: start, endMin: end });
  }
  return sleepNights([...stageNights.values()], {
    label: `Sleep stages of the last ${REPORT_LIMITS.stageNights} nights of user ${user.userId}`,
  });
}

function workoutRow(w: Record<string, unknown>): string {
  const zones = ['below_zone1_s', 'zone1_s', 'zone2_s', 'zone3_s', 'zone4_s', 'zone5_s'].map(
    (k) => numberOf(w[k]) ?? 0,
  );
  return (
    `<tr class="workout" data-trackid="${escapeHtml(w.trackid)}"><td>${escapeHtml(localTime(textOf(w.start_ts), numberOf(w.tz_offset_s)))}</td>` +
    `<td>${escapeHtml(typeName(w.workout_type_name))}</td><td class="num">${duration(numberOf(w.duration_s))}</td>` +
    `<td class="num">${km(numberOf(w.distance_m))}</td><td class="num">${int(numberOf(w.calories))}</td>` +
    `<td class="num">${int(numberOf(w.avg_hr))}</td><td class="num">${int(numberOf(w.max_hr))}</td><td>${zoneBar(zones)}</td></tr>`
  );
}

function workoutTable({ workouts, byType }: UserReportRows): string {
  const typeRows = byType
    .map(
      (r) =>
        `<tr><td>${escapeHtml(typeName(r.workout_type_name))}</td><td class="num">${int(numberOf(r.workouts))}</td>` +
        `<td class="num">${km(numberOf(r.distance_m))}</td><td class="num">${duration(numberOf(r.duration_s))}</td></tr>`,
    )
    .join('');
  const workoutRows = workouts.map(workoutRow).join('');
  return workouts.length
    ? `<div class="split"><table class="types"><thead><tr><th>type</th><th class="num">workouts</th><th class="num">distance</th><th class="num">moving time</th></tr></thead><tbody>${typeRows}</tbody></table></div>` +
        `<table class="workouts"><thead><tr><th>start (local)</th><th>type</th><th class="num">duration</th><th class="num">distance</th>` +
        `<th class="num">kcal</th><th class="num">avg HR</th><th class="num">max HR</th><th>HR zones</th></tr></thead><tbody>${workoutRows}</tbody></table>`
    : '<p class="empty">No workouts in this period.</p>';
}

function trackFigures({ withTrack, trackRows }: UserReportRows): string {
  const pointsByTrack = new Map<number, TrackPoint[]>();
  for (const r of trackRows) {
    const lats = Array.isArray(r.lats) ? r.lats : [];
    const lons = Array.isArray(r.lons) ? r.lons : [];
    const points: TrackPoint[] = [];
    lats.forEach((lat, i) => {
      const lon = lons[i];
      if (typeof lat === 'number' && typeof lon === 'number') points.push({ lat, lon });
    });
    pointsByTrack.set(Number(r.trackid), points);
  }
  return withTrack
    .map((w) => {
      const id = Number(w.trackid);
      const caption = `${typeName(w.workout_type_name)} · ${localTime(textOf(w.start_ts), numberOf(w.tz_offset_s))} · ${km(numberOf(w.distance_m))} · ${duration(numberOf(w.duration_s))}`;
      return `<figure class="track" data-trackid="${id}">${trackPlot(pointsByTrack.get(id) ?? [], {
        label: `GPS track of ${caption}`,
        maxPoints: REPORT_LIMITS.trackPoints,
      })}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
    })
    .join('');
}

function calendarChart({ calendar, chart }: UserReportRows, user: UserSpan): string {
  const calendarDays: CalendarDay[] = calendar.map((c) => {
    const status = textOf(c.day_status);
    return {
      date: textOf(c.local_date),
      status: (COVERAGE_STATUSES as readonly string[]).includes(status) ? (status as CoverageStatus) : 'not_asked',
      detail: textOf(c.streams).replace(/,/g, ', '),
    };
  });
  return coverageCalendar(calendarDays, {
    range: chart,
    label: `Ingest coverage by day of user ${user.userId}`,
  });
}

/** The cards under the stats line, in page order. */
function cards(rows: UserReportRows, user: UserSpan): string {
  const workoutCount = numberOf(rows.totals.workouts) ?? 0;
  const tracks = trackFigures(rows);
  return (
    card(
      'Daily steps',
      'daily_overview: steps of each local day; dashed line: the latest step goal.',
      stepsChart(rows, user),
    ) +
    card(
      'Heart rate by week',
      'resting_hr_by_week: mean nightly resting heart rate and the 5th percentile of minute heart rates; daily_overview: the highest heart rate of the week.',
      heartRateChart(rows, user),
    ) +
    card(
      'Sleep per night',
      'sleep_by_night: minutes in each stage, stacked, by the evening the night began.',
      sleepChart(rows, user),
    ) +
    card(
      `Sleep stages, last ${REPORT_LIMITS.stageNights} nights`,
      'sleep_stages: each night is one row from 18:00 to 12:00 local time, so a night across midnight stays one bar.',
      stagesChart(rows, user),
    ) +
    card(
      'Workouts',
      `workouts_with_hr_zones: ${int(workoutCount)} workouts in the period; the latest ${Math.min(workoutCount, REPORT_LIMITS.workoutsListed)} listed. HR zones are shares of the highest heart rate seen.`,
      workoutTable(rows),
    ) +
    card(
      'Latest GPS tracks',
      `workout_track: positions of the latest ${rows.withTrack.length} workouts with GPS, at most ${REPORT_LIMITS.trackPoints} points each, north up (no map).`,
      tracks ? `<div class="tracks">${tracks}</div>` : '<p class="empty">No workout with GPS in this period.</p>',
    ) +
    card(
      'Coverage',
      'coverage_calendar: what the ingest ledger says about each day, over every stream fetched by day.',
      calendarChart(rows, user),
    )
  );
}

/** One person's `<section>`: heading, stats, the note when the daily charts are cut short, and the cards. */
export function renderUserSection(rows: UserReportRows, user: UserSpan): string {
  const { period, chart } = rows;
  const chartNote =
    chart.from === period.from
      ? ''
      : `Daily charts show the last ${REPORT_LIMITS.dailyDays} days: ${chart.from} → ${chart.to}.`;
  return (
    `<section class="user" id="user-${escapeHtml(user.userId)}" data-user="${escapeHtml(user.userId)}">` +
    `<h2>User ${escapeHtml(user.userId)}</h2><dl class="stats">${statList(rows)}</dl>` +
    (chartNote ? `<p class="note">${escapeHtml(chartNote)}</p>` : '') +
    cards(rows, user) +
    '</section>'
  );
}
