// The numbers of the HTML report: the named Athena queries in athena/queries/, run on DuckDB. Each runs once into
// a temporary table, which every person's charts then filter and aggregate in SQL, so the page holds only what is
// drawn (see REPORT_LIMITS).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rewriteAthenaSql } from '../core/athena-to-duckdb.ts';
import { addDays, daysBetween, parseDate } from '../core/time.ts';
import type { LakeDb } from '../stores/duckdb-query.ts';

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

export type Rows = Record<string, unknown>[];

/** A string literal for the SQL we compose (the user id and dates are the only values put in). */
function lit(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function dateLit(date: string): string {
  parseDate(date);
  return `DATE ${lit(date)}`;
}

export const numberOf = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
export const textOf = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export interface Period {
  from: string;
  to: string;
}

const inPeriod = (col: string, p: Period) => `${col} BETWEEN ${dateLit(p.from)} AND ${dateLit(p.to)}`;

export class ReportData {
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

export interface UserSpan {
  userId: string;
  firstDay: string;
  lastDay: string;
}

export async function usersOf(data: ReportData, only?: string): Promise<UserSpan[]> {
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

/** The period asked for (default the person's whole span) and the shorter one the daily charts show. */
export interface ReportPeriods {
  period: Period;
  /** At most the last REPORT_LIMITS.dailyDays days of the period. */
  chart: Period;
}

export function reportPeriods(user: UserSpan, asked: { from?: string; to?: string }): ReportPeriods {
  const period: Period = { from: asked.from ?? user.firstDay, to: asked.to ?? user.lastDay };
  if (period.from > period.to) period.from = period.to;
  const chart: Period = {
    from:
      daysBetween(period.from, period.to) >= REPORT_LIMITS.dailyDays
        ? addDays(period.to, 1 - REPORT_LIMITS.dailyDays)
        : period.from,
    to: period.to,
  };
  return { period, chart };
}

/** Everything one person's section draws, as rows of the named queries. */
export interface UserReportRows extends ReportPeriods {
  totals: Record<string, unknown>;
  daily: Rows;
  weekly: Rows;
  nights: Rows;
  stages: Rows;
  workouts: Rows;
  byType: Rows;
  withTrack: Rows;
  trackRows: Rows;
  calendar: Rows;
}

/** What a query for one person needs: the data, the person's id as an SQL literal, and the periods. */
interface UserQuery extends ReportPeriods {
  data: ReportData;
  u: string;
}

async function queryTotals({ data, u, period }: UserQuery): Promise<Record<string, unknown>> {
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
  return totals ?? {};
}

async function queryDailyAndWeekly({ data, u, chart }: UserQuery): Promise<{ daily: Rows; weekly: Rows }> {
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
  return { daily, weekly };
}

async function querySleep({ data, u, chart }: UserQuery): Promise<{ nights: Rows; stages: Rows }> {
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
  return { nights, stages };
}

async function queryWorkouts({ data, u, period }: UserQuery): Promise<{ workouts: Rows; byType: Rows }> {
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
  return { workouts, byType };
}

async function queryTracks({ data, u, period }: UserQuery): Promise<{ withTrack: Rows; trackRows: Rows }> {
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
  return { withTrack, trackRows };
}

async function queryCalendar({ data, u, chart }: UserQuery): Promise<Rows> {
  return data.run(`
    SELECT local_date, day_status, streams
    FROM ${await data.named('coverage_calendar')} AS c
    WHERE c.user_id = ${u} AND ${inPeriod('c.local_date', chart)}
    ORDER BY local_date`);
}

/** One person's rows; the queries run one after another, each named query made into its table on first use. */
export async function queryUserRows(
  data: ReportData,
  user: UserSpan,
  asked: { from?: string; to?: string },
): Promise<UserReportRows> {
  const q: UserQuery = { data, u: lit(user.userId), ...reportPeriods(user, asked) };
  const totals = await queryTotals(q);
  const dailyAndWeekly = await queryDailyAndWeekly(q);
  const sleep = await querySleep(q);
  const workouts = await queryWorkouts(q);
  const tracks = await queryTracks(q);
  const calendar = await queryCalendar(q);
  return { period: q.period, chart: q.chart, totals, ...dailyAndWeekly, ...sleep, ...workouts, ...tracks, calendar };
}
