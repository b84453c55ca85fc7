-- name: daily_overview
-- description: One row per person and local day: steps, distance and calories (daily_summary); minutes with a
--   heart rate and the day's average, minimum and maximum heart rate (activity_minute); minutes asleep in the
--   night before the day (sleep_session of the previous evening: deep + light + REM).
WITH summary AS (
  SELECT user_id, local_date, steps, distance_m, calories
  FROM zepp_lake.daily_summary
),
minutes AS (
  SELECT
    user_id,
    local_date,
    count(*) AS minutes_recorded,
    count(heart_rate) AS minutes_with_hr,
    avg(heart_rate) AS avg_hr,
    min(heart_rate) AS min_hr,
    max(heart_rate) AS max_hr
  FROM zepp_lake.activity_minute
  GROUP BY user_id, local_date
),
sleep AS (
  SELECT
    user_id,
    CAST(night_of + INTERVAL '1' DAY AS date) AS local_date,
    CASE
      WHEN deep_min IS NULL AND light_min IS NULL AND rem_min IS NULL THEN NULL
      ELSE coalesce(deep_min, 0) + coalesce(light_min, 0) + coalesce(rem_min, 0)
    END AS sleep_min
  FROM zepp_lake.sleep_session
),
days AS (
  SELECT user_id, local_date FROM summary
  UNION
  SELECT user_id, local_date FROM minutes
)
SELECT
  d.user_id,
  d.local_date,
  s.steps,
  s.distance_m,
  s.calories,
  coalesce(m.minutes_recorded, 0) AS minutes_recorded,
  coalesce(m.minutes_with_hr, 0) AS minutes_with_hr,
  round(m.avg_hr, 1) AS avg_hr,
  m.min_hr,
  m.max_hr,
  sl.sleep_min AS sleep_min_night_before
FROM days AS d
LEFT JOIN summary AS s ON s.user_id = d.user_id AND s.local_date = d.local_date
LEFT JOIN minutes AS m ON m.user_id = d.user_id AND m.local_date = d.local_date
LEFT JOIN sleep AS sl ON sl.user_id = d.user_id AND sl.local_date = d.local_date
ORDER BY d.user_id, d.local_date
