// The short report `npm start` prints after a sync: what landed, from the lake itself (DuckDB) and the ledger.

import { rewriteAthenaSql } from '../core/athena-to-duckdb.ts';
import { openLakeDb } from '../stores/duckdb-query.ts';
import { formatTable, listNamedQueries, readNamedQuery } from './query-command.ts';

const OVERVIEW_SQL = `
SELECT s.user_id,
       count(*) AS days,
       min(s.local_date) AS first_day,
       max(s.local_date) AS last_day,
       sum(s.steps) AS steps,
       (SELECT count(*) FROM zepp_lake.activity_minute m WHERE m.user_id = s.user_id AND m.heart_rate IS NOT NULL) AS minutes_with_hr,
       (SELECT count(*) FROM zepp_lake.sleep_session n WHERE n.user_id = s.user_id) AS nights,
       (SELECT count(*) FROM zepp_lake.workout w WHERE w.user_id = s.user_id) AS workouts,
       (SELECT count(*) FROM zepp_lake.workout_sample ws WHERE ws.user_id = s.user_id) AS workout_samples
FROM zepp_lake.daily_summary s
GROUP BY s.user_id
ORDER BY s.user_id`;

const GAPS_SQL = `
SELECT user_id, stream, status, count(*) AS periods, min(period) AS first_period, max(period) AS last_period
FROM zepp_lake.ingest_ledger
WHERE status IN ('failed', 'auth_failed')
GROUP BY user_id, stream, status
ORDER BY user_id, stream`;

export async function buildReport(lakeDir: string): Promise<string> {
  const db = await openLakeDb(lakeDir);
  const out: string[] = [];
  try {
    out.push('== What landed (per user) ==');
    out.push(formatTable(await db.query(rewriteAthenaSql(OVERVIEW_SQL))));
    const trend = rewriteAthenaSql(await readNamedQuery('resting_hr_by_week'));
    const weeks = await db.query(trend);
    out.push('', '== Resting heart rate, last 4 weeks per user (athena/queries/resting_hr_by_week.sql) ==');
    const byUser = new Map<string, Record<string, unknown>[]>();
    for (const w of weeks) byUser.set(String(w.user_id), [...(byUser.get(String(w.user_id)) ?? []), w]);
    out.push(formatTable([...byUser.values()].flatMap((list) => list.slice(-4))));
    const gaps = await db.query(rewriteAthenaSql(GAPS_SQL));
    out.push('', '== Coverage gaps from the ledger ==');
    out.push(gaps.length ? formatTable(gaps) : 'none: every day asked for is written or empty');
    out.push('', '== Named queries (athena/queries/*.sql, run on DuckDB) ==');
    for (const name of await listNamedQueries()) {
      const t0 = performance.now();
      const rows = await db.query(rewriteAthenaSql(await readNamedQuery(name)));
      out.push(
        `  ${name.padEnd(26)} ${String(rows.length).padStart(7)} rows  ${(performance.now() - t0).toFixed(0)} ms`,
      );
    }
  } finally {
    db.close();
  }
  return out.join('\n');
}
