-- name: coverage_calendar
-- description: One row per person and calendar day, from the first to the last day any stream was asked for
--   (ingest_ledger rows of day periods): how many streams ended written, empty, failed and auth_failed that day,
--   and the day's status: auth_failed or failed when any stream did, else written when any stream wrote rows,
--   else empty; not_asked when no stream has a ledger row for the day. streams lists stream:status pairs.
WITH days AS (
  SELECT user_id, stream, local_date, status
  FROM zepp_lake.ingest_ledger
  WHERE length(period) = 10
),
day_range AS (
  SELECT user_id, min(local_date) AS first_day, max(local_date) AS last_day
  FROM days
  GROUP BY user_id
),
calendar AS (
  SELECT r.user_id, CAST(t.calendar_day AS date) AS day
  FROM day_range AS r
  CROSS JOIN UNNEST(sequence(r.first_day, r.last_day, INTERVAL '1' DAY)) AS t (calendar_day)
),
per_day AS (
  SELECT
    user_id,
    local_date,
    sum(CASE WHEN status = 'written' THEN 1 ELSE 0 END) AS written,
    sum(CASE WHEN status = 'empty' THEN 1 ELSE 0 END) AS empty,
    sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed,
    sum(CASE WHEN status = 'auth_failed' THEN 1 ELSE 0 END) AS auth_failed,
    array_join(array_agg(stream || ':' || status ORDER BY stream), ',') AS streams
  FROM days
  GROUP BY user_id, local_date
)
SELECT
  c.user_id,
  c.day AS local_date,
  CASE
    WHEN p.local_date IS NULL THEN 'not_asked'
    WHEN p.auth_failed > 0 THEN 'auth_failed'
    WHEN p.failed > 0 THEN 'failed'
    WHEN p.written > 0 THEN 'written'
    ELSE 'empty'
  END AS day_status,
  coalesce(p.written, 0) AS written,
  coalesce(p.empty, 0) AS empty,
  coalesce(p.failed, 0) AS failed,
  coalesce(p.auth_failed, 0) AS auth_failed,
  coalesce(p.streams, '') AS streams
FROM calendar AS c
LEFT JOIN per_day AS p ON p.user_id = c.user_id AND p.local_date = c.day
ORDER BY c.user_id, c.day
