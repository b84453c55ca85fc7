// `zepp-lake report`: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched) with the
// charts of each person in the lake. The numbers come from the named Athena queries in athena/queries/, run on
// DuckDB: each runs once into a temporary table, which every person's charts then filter and aggregate in SQL,
// so the page holds only what is drawn (daily charts of at most 365 days, 30 nights of stages, 30 workouts
// listed, 6 tracks of at most 500 points).

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { rewriteAthenaSql } from '../core/athena-to-duckdb.ts';
import { addDays, daysBetween, parseDate } from '../core/time.ts';
import { type LakeDb, openLakeDb } from '../stores/duckdb-query.ts';
import { QUERIES_DIR } from './query-command.ts';
import {
  barChart,
  type CalendarDay,
  COLORS,
  COVERAGE_STATUSES,
  type CoverageStatus,
  coverageCalendar,
  escapeHtml,
  lineChart,
  SLEEP_STAGE_COLORS,
  type SleepNight,
  sleepNights,
  stackedBarChart,
  type TrackPoint,
  trackPlot,
  zoneBar,
} from './report-charts.ts';

export interface HtmlReportOptions {
  /** A lake folder DuckDB can read (`tables/` below it). */
  lakeDir: string;
  /** Folder of the named queries (`<name>.sql`); default athena/queries. */
  queriesDir?: string;
  /** Only this person; default everyone in the lake. */
  userId?: string;
  /** First day of the period (YYYY-MM-DD); default the person's first day. */
  from?: string;
  /** Last day of the period; default the person's last day with data. */
  to?: string;
  title?: string;
  /** Printed as the time the page was made; default now. */
  generatedAt?: Date;
}

/** Caps that keep the page small on a big lake. */
export const REPORT_LIMITS = {
  dailyDays: 365,
  stageNights: 30,
  workoutsListed: 30,
  tracks: 6,
  trackPoints: 500,
} as const;

/** Named queries the page is built from. */
export const REPORT_QUERIES = [
  'daily_overview',
  'resting_hr_by_week',
  'sleep_by_night',
  'sleep_stages',
  'workouts_with_hr_zones',
  'workout_track',
  'coverage_calendar',
] as const;
type ReportQuery = (typeof REPORT_QUERIES)[number];

type Rows = Record<string, unknown>[];

/** A string literal for the SQL we compose (the user id and dates are the only values put in). */
function lit(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function dateLit(date: string): string {
  parseDate(date);
  return `DATE ${lit(date)}`;
}

const numberOf = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const textOf = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const int = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US');

interface Period {
  from: string;
  to: string;
}

class ReportData {
  private readonly tables = new Map<ReportQuery, Promise<string>>();

  constructor(
    private readonly db: LakeDb,
    private readonly queriesDir: string,
  ) {}

  /**
   * The result of a named query, as a temporary table: each query runs once per page, then every person's
   * charts filter its rows.
   */
  named(name: ReportQuery): Promise<string> {
    let table = this.tables.get(name);
    if (table === undefined) {
      table = (async () => {
        const text = (await readFile(join(this.queriesDir, `${name}.sql`), 'utf8')).trim().replace(/;\s*$/, '');
        await this.db.query(`CREATE TEMP TABLE report_${name} AS\n${rewriteAthenaSql(text)}`);
        return `report_${name}`;
      })();
      this.tables.set(name, table);
    }
    return table;
  }

  run(athenaSql: string): Promise<Rows> {
    return this.db.query(rewriteAthenaSql(athenaSql));
  }
}

interface UserSpan {
  userId: string;
  firstDay: string;
  lastDay: string;
}

async function usersOf(data: ReportData, only?: string): Promise<UserSpan[]> {
  const rows = await data.run(`
    SELECT user_id, min(local_date) AS first_day, max(local_date) AS last_day
    FROM (
      SELECT user_id, local_date FROM zepp_lake.daily_summary
      UNION ALL
      SELECT user_id, local_date FROM zepp_lake.ingest_ledger
    ) AS days
    ${only === undefined ? '' : `WHERE user_id = ${lit(only)}`}
    GROUP BY user_id
    ORDER BY user_id`);
  return rows.map((r) => ({ userId: textOf(r.user_id), firstDay: textOf(r.first_day), lastDay: textOf(r.last_day) }));
}

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

async function userSection(data: ReportData, user: UserSpan, opts: HtmlReportOptions): Promise<string> {
  const u = lit(user.userId);
  const period: Period = { from: opts.from ?? user.firstDay, to: opts.to ?? user.lastDay };
  if (period.from > period.to) period.from = period.to;
  // Daily charts show at most the last 365 days of the period.
  const chart: Period = {
    from:
      daysBetween(period.from, period.to) >= REPORT_LIMITS.dailyDays
        ? addDays(period.to, 1 - REPORT_LIMITS.dailyDays)
        : period.from,
    to: period.to,
  };
  const inPeriod = (col: string, p: Period) => `${col} BETWEEN ${dateLit(p.from)} AND ${dateLit(p.to)}`;

  const [totals] = await data.run(`
    SELECT
      (SELECT count(*) FROM ${await data.named('daily_overview')} AS d
        WHERE d.user_id = ${u} AND d.steps IS NOT NULL AND ${inPeriod('d.local_date', period)}) AS days,
      (SELECT sum(d.steps) FROM ${await data.named('daily_overview')} AS d
        WHERE d.user_id = ${u} AND ${inPeriod('d.local_date', period)}) AS steps,
      (SELECT count(*) FROM ${await data.named('sleep_by_night')} AS n
        WHERE n.user_id = ${u} AND ${inPeriod('n.night_of', period)}) AS nights,
      (SELECT count(*) FROM ${await data.named('workouts_with_hr_zones')} AS w
        WHERE w.user_id = ${u} AND ${inPeriod('w.local_date', period)}) AS workouts,
      (SELECT sum(w.distance_m) FROM ${await data.named('workouts_with_hr_zones')} AS w
        WHERE w.user_id = ${u} AND ${inPeriod('w.local_date', period)}) AS workout_distance_m,
      (SELECT count(*) FROM ${await data.named('coverage_calendar')} AS c
        WHERE c.user_id = ${u} AND c.day_status IN ('failed', 'auth_failed') AND ${inPeriod('c.local_date', period)}) AS failed_days,
      (SELECT max_by(s.goal_steps, s.local_date) FROM zepp_lake.daily_summary AS s
        WHERE s.user_id = ${u} AND ${inPeriod('s.local_date', period)}) AS goal_steps`);
  const t = totals ?? {};

  const daily = await data.run(`
    SELECT local_date, steps, distance_m
    FROM ${await data.named('daily_overview')} AS d
    WHERE d.user_id = ${u} AND ${inPeriod('d.local_date', chart)}
    ORDER BY local_date`);

  const weekly = await data.run(`
    WITH rest AS (
      SELECT week_start, sleep_resting_hr, minute_hr_p05
      FROM ${await data.named('resting_hr_by_week')} AS r
      WHERE r.user_id = ${u} AND ${inPeriod('r.week_start', { from: addDays(chart.from, -6), to: chart.to })}
    ),
    peak AS (
      SELECT CAST(date_trunc('week', local_date) AS date) AS week_start, max(max_hr) AS max_hr
      FROM ${await data.named('daily_overview')} AS d
      WHERE d.user_id = ${u} AND ${inPeriod('d.local_date', chart)}
      GROUP BY CAST(date_trunc('week', local_date) AS date)
    )
    SELECT coalesce(rest.week_start, peak.week_start) AS week_start, rest.sleep_resting_hr, rest.minute_hr_p05, peak.max_hr
    FROM rest FULL OUTER JOIN peak ON rest.week_start = peak.week_start
    ORDER BY 1`);

  const nights = await data.run(`
    SELECT night_of,
      coalesce(deep_min, stage_deep_min) AS deep_min,
      coalesce(light_min, stage_light_min) AS light_min,
      coalesce(rem_min, stage_rem_min) AS rem_min,
      coalesce(awake_min, stage_awake_min) AS awake_min,
      sleep_score
    FROM ${await data.named('sleep_by_night')} AS n
    WHERE n.user_id = ${u} AND ${inPeriod('n.night_of', chart)}
    ORDER BY night_of`);

  const stageFrom = addDays(chart.to, 1 - REPORT_LIMITS.stageNights);
  const stages = await data.run(`
    SELECT night_of, stage, start_min_after_18h, end_min_after_18h
    FROM ${await data.named('sleep_stages')} AS s
    WHERE s.user_id = ${u} AND ${inPeriod('s.night_of', { from: stageFrom > chart.from ? stageFrom : chart.from, to: chart.to })}
    ORDER BY night_of, start_ts`);

  const workouts = await data.run(`
    SELECT w.trackid, w.start_ts, w.workout_type_name, w.duration_s, w.distance_m, w.calories, w.avg_hr, w.max_hr,
      w.below_zone1_s, w.zone1_s, w.zone2_s, w.zone3_s, w.zone4_s, w.zone5_s, o.tz_offset_s
    FROM ${await data.named('workouts_with_hr_zones')} AS w
    JOIN zepp_lake.workout AS o ON o.user_id = w.user_id AND o.trackid = w.trackid
    WHERE w.user_id = ${u} AND ${inPeriod('w.local_date', period)}
    ORDER BY w.start_ts DESC
    LIMIT ${REPORT_LIMITS.workoutsListed}`);

  const byType = await data.run(`
    SELECT workout_type_name, count(*) AS workouts, sum(distance_m) AS distance_m, sum(duration_s) AS duration_s
    FROM ${await data.named('workouts_with_hr_zones')} AS w
    WHERE w.user_id = ${u} AND ${inPeriod('w.local_date', period)}
    GROUP BY workout_type_name
    ORDER BY count(*) DESC, workout_type_name`);

  const withTrack = await data.run(`
    SELECT w.trackid, w.start_ts, w.workout_type_name, w.distance_m, w.duration_s, w.tz_offset_s
    FROM zepp_lake.workout AS w
    WHERE w.user_id = ${u} AND ${inPeriod('w.local_date', period)}
      AND EXISTS (SELECT 1 FROM zepp_lake.workout_sample AS s
                  WHERE s.user_id = w.user_id AND s.trackid = w.trackid AND s.lat IS NOT NULL)
    ORDER BY w.start_ts DESC
    LIMIT ${REPORT_LIMITS.tracks}`);
  const trackIds = withTrack.map((w) => Number(w.trackid)).filter((id) => Number.isSafeInteger(id));
  const trackRows = trackIds.length
    ? await data.run(`
        SELECT trackid, lats, lons
        FROM ${await data.named('workout_track')} AS t
        WHERE t.user_id = ${u} AND t.trackid IN (${trackIds.join(', ')})`)
    : [];

  const calendar = await data.run(`
    SELECT local_date, day_status, streams
    FROM ${await data.named('coverage_calendar')} AS c
    WHERE c.user_id = ${u} AND ${inPeriod('c.local_date', chart)}
    ORDER BY local_date`);

  // ---- render
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
  const statList = stats
    .map(([k, v, id]) => `<div><dt>${escapeHtml(k)}</dt><dd data-stat="${id}">${escapeHtml(v)}</dd></div>`)
    .join('');
  const chartNote =
    chart.from === period.from
      ? ''
      : `Daily charts show the last ${REPORT_LIMITS.dailyDays} days: ${chart.from} → ${chart.to}.`;

  const goal = numberOf(t.goal_steps);
  const stepsSvg = barChart(
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

  const week = (key: string) =>
    weekly.map((w) => ({ date: textOf(w.week_start), value: numberOf(w[key]) })).filter((p) => p.date >= chart.from);
  const hrSvg = lineChart(
    [
      { name: 'resting HR (sleep, weekly mean)', color: COLORS.restingHr, points: week('sleep_resting_hr') },
      { name: '5th percentile of minute HR', color: COLORS.minuteHrP05, dashed: true, points: week('minute_hr_p05') },
      { name: 'max HR of the week', color: COLORS.maxHr, points: week('max_hr') },
    ],
    { range: chart, label: `Heart rate by week of user ${user.userId}`, yLabel: 'heart rate, bpm' },
  );

  const hours = (v: unknown) => {
    const n = numberOf(v);
    return n === null ? null : n / 60;
  };
  const sleepSvg = stackedBarChart(
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
  const stagesSvg = sleepNights([...stageNights.values()], {
    label: `Sleep stages of the last ${REPORT_LIMITS.stageNights} nights of user ${user.userId}`,
  });

  const typeRows = byType
    .map(
      (r) =>
        `<tr><td>${escapeHtml(typeName(r.workout_type_name))}</td><td class="num">${int(numberOf(r.workouts))}</td>` +
        `<td class="num">${km(numberOf(r.distance_m))}</td><td class="num">${duration(numberOf(r.duration_s))}</td></tr>`,
    )
    .join('');
  const workoutRows = workouts
    .map((w) => {
      const zones = ['below_zone1_s', 'zone1_s', 'zone2_s', 'zone3_s', 'zone4_s', 'zone5_s'].map(
        (k) => numberOf(w[k]) ?? 0,
      );
      return (
        `<tr class="workout" data-trackid="${escapeHtml(w.trackid)}"><td>${escapeHtml(localTime(textOf(w.start_ts), numberOf(w.tz_offset_s)))}</td>` +
        `<td>${escapeHtml(typeName(w.workout_type_name))}</td><td class="num">${duration(numberOf(w.duration_s))}</td>` +
        `<td class="num">${km(numberOf(w.distance_m))}</td><td class="num">${int(numberOf(w.calories))}</td>` +
        `<td class="num">${int(numberOf(w.avg_hr))}</td><td class="num">${int(numberOf(w.max_hr))}</td><td>${zoneBar(zones)}</td></tr>`
      );
    })
    .join('');
  const workoutCount = numberOf(t.workouts) ?? 0;
  const workoutTable = workouts.length
    ? `<div class="split"><table class="types"><thead><tr><th>type</th><th class="num">workouts</th><th class="num">distance</th><th class="num">moving time</th></tr></thead><tbody>${typeRows}</tbody></table></div>` +
      `<table class="workouts"><thead><tr><th>start (local)</th><th>type</th><th class="num">duration</th><th class="num">distance</th>` +
      `<th class="num">kcal</th><th class="num">avg HR</th><th class="num">max HR</th><th>HR zones</th></tr></thead><tbody>${workoutRows}</tbody></table>`
    : '<p class="empty">No workouts in this period.</p>';

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
  const tracks = withTrack
    .map((w) => {
      const id = Number(w.trackid);
      const caption = `${typeName(w.workout_type_name)} · ${localTime(textOf(w.start_ts), numberOf(w.tz_offset_s))} · ${km(numberOf(w.distance_m))} · ${duration(numberOf(w.duration_s))}`;
      return `<figure class="track" data-trackid="${id}">${trackPlot(pointsByTrack.get(id) ?? [], {
        label: `GPS track of ${caption}`,
        maxPoints: REPORT_LIMITS.trackPoints,
      })}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
    })
    .join('');

  const calendarDays: CalendarDay[] = calendar.map((c) => {
    const status = textOf(c.day_status);
    return {
      date: textOf(c.local_date),
      status: (COVERAGE_STATUSES as readonly string[]).includes(status) ? (status as CoverageStatus) : 'not_asked',
      detail: textOf(c.streams).replace(/,/g, ', '),
    };
  });
  const calendarSvg = coverageCalendar(calendarDays, {
    range: chart,
    label: `Ingest coverage by day of user ${user.userId}`,
  });

  return (
    `<section class="user" id="user-${escapeHtml(user.userId)}" data-user="${escapeHtml(user.userId)}">` +
    `<h2>User ${escapeHtml(user.userId)}</h2><dl class="stats">${statList}</dl>` +
    (chartNote ? `<p class="note">${escapeHtml(chartNote)}</p>` : '') +
    card('Daily steps', 'daily_overview: steps of each local day; dashed line: the latest step goal.', stepsSvg) +
    card(
      'Heart rate by week',
      'resting_hr_by_week: mean nightly resting heart rate and the 5th percentile of minute heart rates; daily_overview: the highest heart rate of the week.',
      hrSvg,
    ) +
    card(
      'Sleep per night',
      'sleep_by_night: minutes in each stage, stacked, by the evening the night began.',
      sleepSvg,
    ) +
    card(
      `Sleep stages, last ${REPORT_LIMITS.stageNights} nights`,
      'sleep_stages: each night is one row from 18:00 to 12:00 local time, so a night across midnight stays one bar.',
      stagesSvg,
    ) +
    card(
      'Workouts',
      `workouts_with_hr_zones: ${int(workoutCount)} workouts in the period; the latest ${Math.min(workoutCount, REPORT_LIMITS.workoutsListed)} listed. HR zones are shares of the highest heart rate seen.`,
      workoutTable,
    ) +
    card(
      'Latest GPS tracks',
      `workout_track: positions of the latest ${withTrack.length} workouts with GPS, at most ${REPORT_LIMITS.trackPoints} points each, north up (no map).`,
      tracks ? `<div class="tracks">${tracks}</div>` : '<p class="empty">No workout with GPS in this period.</p>',
    ) +
    card(
      'Coverage',
      'coverage_calendar: what the ingest ledger says about each day, over every stream fetched by day.',
      calendarSvg,
    ) +
    '</section>'
  );
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#1f2937;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main,footer{max-width:1010px;margin:0 auto;padding:0 16px}
header{padding-top:24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:20px;margin:32px 0 10px;padding-top:8px;border-top:2px solid #d1d5db}
h3{font-size:15px;margin:0 0 2px}
.sub{color:#6b7280;margin:0 0 10px}
nav{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0 0}
nav a{background:#fff;border:1px solid #d1d5db;border-radius:999px;padding:3px 12px;color:#1d4ed8;text-decoration:none}
nav a:hover{background:#eff6ff}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:14px 16px;margin:12px 0;box-shadow:0 1px 2px rgba(0,0,0,.04)}
.note{color:#6b7280;margin:0 0 8px;font-size:12.5px}
.card svg.chart{display:block;max-width:100%;height:auto}
.stats{display:flex;flex-wrap:wrap;gap:10px;margin:0}
.stats div{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:6px 12px}
.stats dt{color:#6b7280;font-size:12px}
.stats dd{margin:0;font-weight:600;font-size:16px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid #f0f1f3;text-align:left;white-space:nowrap}
th{color:#6b7280;font-weight:600;border-bottom:1px solid #d1d5db}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
table.types{width:auto;margin-bottom:12px}
.tracks{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
figure{margin:0}
figcaption{font-size:12px;color:#4b5563;margin-top:4px}
.empty{color:#6b7280;font-style:italic}
footer{color:#6b7280;font-size:12px;padding:24px 16px 40px}
`;

/** The whole page; see the file comment. */
export async function buildHtmlReport(opts: HtmlReportOptions): Promise<string> {
  for (const d of [opts.from, opts.to]) if (d !== undefined) parseDate(d);
  const db = await openLakeDb(opts.lakeDir);
  let sections: string[];
  let users: UserSpan[];
  try {
    const data = new ReportData(db, opts.queriesDir ?? QUERIES_DIR);
    users = await usersOf(data, opts.userId);
    sections = [];
    for (const user of users) sections.push(await userSection(data, user, opts));
  } finally {
    db.close();
  }
  const title = opts.title ?? 'zepp-lake report';
  const generated = (opts.generatedAt ?? new Date()).toISOString().slice(0, 16).replace('T', ' ');
  const nav = users.map((u) => `<a href="#user-${escapeHtml(u.userId)}">User ${escapeHtml(u.userId)}</a>`).join('');
  const body = sections.length
    ? sections.join('\n')
    : `<p class="empty">${escapeHtml(
        opts.userId === undefined
          ? 'The lake has no data yet: run `zepp-lake sync` first.'
          : `The lake has no data for user ${opts.userId}.`,
      )}</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${escapeHtml(`${users.length} ${users.length === 1 ? 'person' : 'people'} · made ${generated} UTC from the Parquet lake with the named Athena queries on DuckDB`)}</p>
<nav>${nav}</nav>
</header>
<main>
${body}
</main>
<footer>Queries: ${REPORT_QUERIES.map((q) => `athena/queries/${q}.sql`).join(', ')}. Everything on this page is in this one file: it loads nothing.</footer>
</body>
</html>
`;
}

/** Builds the page and writes it to `out` (folders created); returns the file's absolute path. */
export async function writeHtmlReport(opts: HtmlReportOptions & { out: string }): Promise<string> {
  const html = await buildHtmlReport(opts);
  const path = resolve(opts.out);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, html);
  return path;
}
