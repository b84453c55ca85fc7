-- name: coverage_report
-- description: Ingest coverage per person, stream and month from ingest_ledger: how many periods ended
--   written, empty, failed and auth_failed, and, for streams fetched by day, the days missing: days between the
--   stream's first and last requested day that have no written or empty ledger row (never asked for, or
--   failed). A day missing here and not explained by a failed row is a gap the engine must not leave.
WITH ledger AS (
  SELECT user_id, stream, period, status, local_date, month
  FROM zepp_lake.ingest_ledger
),
counts AS (
  SELECT
    user_id,
    stream,
    month,
    sum(CASE WHEN status = 'written' THEN 1 ELSE 0 END) AS written,
    sum(CASE WHEN status = 'empty' THEN 1 ELSE 0 END) AS empty,
    sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed,
    sum(CASE WHEN status = 'auth_failed' THEN 1 ELSE 0 END) AS auth_failed
  FROM ledger
  GROUP BY user_id, stream, month
),
day_range AS (
  SELECT user_id, stream, min(local_date) AS first_day, max(local_date) AS last_day
  FROM ledger
  WHERE length(period) = 10
  GROUP BY user_id, stream
),
calendar AS (
  SELECT r.user_id, r.stream, CAST(t.calendar_day AS date) AS day
  FROM day_range AS r
  CROSS JOIN UNNEST(sequence(r.first_day, r.last_day, INTERVAL '1' DAY)) AS t (calendar_day)
),
covered AS (
  SELECT DISTINCT user_id, stream, local_date
  FROM ledger
  WHERE length(period) = 10 AND status IN ('written', 'empty')
),
missing AS (
  SELECT
    c.user_id,
    c.stream,
    substr(CAST(c.day AS varchar), 1, 7) AS month,
    count(*) AS days_missing,
    array_join(array_agg(CAST(c.day AS varchar) ORDER BY c.day), ',') AS missing_days
  FROM calendar AS c
  LEFT JOIN covered AS v ON v.user_id = c.user_id AND v.stream = c.stream AND v.local_date = c.day
  WHERE v.local_date IS NULL
  GROUP BY c.user_id, c.stream, substr(CAST(c.day AS varchar), 1, 7)
),
keys AS (
  SELECT user_id, stream, month FROM counts
  UNION
  SELECT user_id, stream, month FROM missing
)
SELECT
  k.user_id,
  k.stream,
  k.month,
  coalesce(n.written, 0) AS written,
  coalesce(n.empty, 0) AS empty,
  coalesce(n.failed, 0) AS failed,
  coalesce(n.auth_failed, 0) AS auth_failed,
  coalesce(m.days_missing, 0) AS days_missing,
  coalesce(m.missing_days, '') AS missing_days
FROM keys AS k
LEFT JOIN counts AS n ON n.user_id = k.user_id AND n.stream = k.stream AND n.month = k.month
LEFT JOIN missing AS m ON m.user_id = k.user_id AND m.stream = k.stream AND m.month = k.month
ORDER BY k.user_id, k.stream, k.month
