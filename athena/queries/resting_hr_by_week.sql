-- name: resting_hr_by_week
-- description: Weekly resting heart rate per person (weeks start on Monday): the average of the nightly
--   resting_hr from sleep_session, next to the 5th percentile of the minute heart rates (activity_minute), a
--   vendor-independent estimate. The percentile is approximate (approx_percentile).
WITH nights AS (
  SELECT user_id, CAST(date_trunc('week', night_of) AS date) AS week_start, resting_hr
  FROM zepp_lake.sleep_session
  WHERE resting_hr IS NOT NULL
),
sleep_week AS (
  SELECT user_id, week_start, avg(resting_hr) AS sleep_resting_hr, count(*) AS nights
  FROM nights
  GROUP BY user_id, week_start
),
minutes AS (
  SELECT user_id, CAST(date_trunc('week', local_date) AS date) AS week_start, heart_rate
  FROM zepp_lake.activity_minute
  WHERE heart_rate IS NOT NULL
),
minute_week AS (
  SELECT
    user_id,
    week_start,
    approx_percentile(heart_rate, 0.05) AS minute_hr_p05,
    count(*) AS minutes_with_hr
  FROM minutes
  GROUP BY user_id, week_start
),
weeks AS (
  SELECT user_id, week_start FROM sleep_week
  UNION
  SELECT user_id, week_start FROM minute_week
)
SELECT
  w.user_id,
  w.week_start,
  round(s.sleep_resting_hr, 1) AS sleep_resting_hr,
  coalesce(s.nights, 0) AS nights_with_resting_hr,
  m.minute_hr_p05,
  coalesce(m.minutes_with_hr, 0) AS minutes_with_hr
FROM weeks AS w
LEFT JOIN sleep_week AS s ON s.user_id = w.user_id AND s.week_start = w.week_start
LEFT JOIN minute_week AS m ON m.user_id = w.user_id AND m.week_start = w.week_start
ORDER BY w.user_id, w.week_start
