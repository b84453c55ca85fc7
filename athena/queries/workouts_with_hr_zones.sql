-- name: workouts_with_hr_zones
-- description: One row per workout: type, duration, distance, calories, heart rate, and the seconds spent in
--   each heart rate zone from workout_sample. Zones are shares of the person's highest heart rate seen in any
--   workout (workout.max_hr or a sample): below zone 1 < 50 %, zone 1 50-60 %, zone 2 60-70 %, zone 3 70-80 %,
--   zone 4 80-90 %, zone 5 >= 90 %. Each heart rate sample counts until the next one, at most 10 s (longer gaps
--   are pauses or dropouts); the last sample of a workout counts 1 s.
WITH hr_samples AS (
  SELECT
    user_id,
    trackid,
    heart_rate,
    least(coalesce(date_diff('second', ts, lead(ts) OVER (PARTITION BY user_id, trackid ORDER BY ts)), 1), 10) AS seconds
  FROM zepp_lake.workout_sample
  WHERE heart_rate IS NOT NULL
),
observed_hr AS (
  SELECT user_id, max_hr AS hr FROM zepp_lake.workout WHERE max_hr IS NOT NULL
  UNION ALL
  SELECT user_id, heart_rate AS hr FROM hr_samples
),
person_max_hr AS (
  SELECT user_id, max(hr) AS max_hr
  FROM observed_hr
  GROUP BY user_id
),
zones AS (
  SELECT
    s.user_id,
    s.trackid,
    count(*) AS hr_samples,
    sum(CASE WHEN 10 * s.heart_rate < 5 * p.max_hr THEN s.seconds ELSE 0 END) AS below_zone1_s,
    sum(CASE WHEN 10 * s.heart_rate >= 5 * p.max_hr AND 10 * s.heart_rate < 6 * p.max_hr THEN s.seconds ELSE 0 END) AS zone1_s,
    sum(CASE WHEN 10 * s.heart_rate >= 6 * p.max_hr AND 10 * s.heart_rate < 7 * p.max_hr THEN s.seconds ELSE 0 END) AS zone2_s,
    sum(CASE WHEN 10 * s.heart_rate >= 7 * p.max_hr AND 10 * s.heart_rate < 8 * p.max_hr THEN s.seconds ELSE 0 END) AS zone3_s,
    sum(CASE WHEN 10 * s.heart_rate >= 8 * p.max_hr AND 10 * s.heart_rate < 9 * p.max_hr THEN s.seconds ELSE 0 END) AS zone4_s,
    sum(CASE WHEN 10 * s.heart_rate >= 9 * p.max_hr THEN s.seconds ELSE 0 END) AS zone5_s
  FROM hr_samples AS s
  JOIN person_max_hr AS p ON p.user_id = s.user_id
  GROUP BY s.user_id, s.trackid
)
SELECT
  w.user_id,
  w.trackid,
  w.local_date,
  w.start_ts,
  w.end_ts,
  w.workout_type,
  w.workout_type_name,
  w.duration_s,
  w.distance_m,
  w.calories,
  w.avg_hr,
  w.max_hr,
  p.max_hr AS zone_max_hr,
  coalesce(z.hr_samples, 0) AS hr_samples,
  coalesce(z.below_zone1_s, 0) AS below_zone1_s,
  coalesce(z.zone1_s, 0) AS zone1_s,
  coalesce(z.zone2_s, 0) AS zone2_s,
  coalesce(z.zone3_s, 0) AS zone3_s,
  coalesce(z.zone4_s, 0) AS zone4_s,
  coalesce(z.zone5_s, 0) AS zone5_s
FROM zepp_lake.workout AS w
LEFT JOIN zones AS z ON z.user_id = w.user_id AND z.trackid = w.trackid
LEFT JOIN person_max_hr AS p ON p.user_id = w.user_id
ORDER BY w.user_id, w.start_ts
