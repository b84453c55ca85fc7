-- name: sleep_by_night
-- description: One row per person and night (night_of = the evening date D of the night D -> D+1): the
--   session from sleep_session (times, vendor minutes, score, resting HR) next to the minutes of each stage
--   summed from the sleep_stage segments.
WITH stages AS (
  SELECT
    user_id,
    night_of,
    count(*) AS stage_segments,
    CAST(sum(CASE WHEN stage = 'deep' THEN date_diff('second', start_ts, end_ts) ELSE 0 END) AS double) / 60 AS stage_deep_min,
    CAST(sum(CASE WHEN stage = 'light' THEN date_diff('second', start_ts, end_ts) ELSE 0 END) AS double) / 60 AS stage_light_min,
    CAST(sum(CASE WHEN stage = 'rem' THEN date_diff('second', start_ts, end_ts) ELSE 0 END) AS double) / 60 AS stage_rem_min,
    CAST(sum(CASE WHEN stage = 'awake' THEN date_diff('second', start_ts, end_ts) ELSE 0 END) AS double) / 60 AS stage_awake_min,
    CAST(sum(CASE WHEN stage NOT IN ('deep', 'light', 'rem', 'awake') THEN date_diff('second', start_ts, end_ts) ELSE 0 END) AS double) / 60 AS stage_unknown_min
  FROM zepp_lake.sleep_stage
  GROUP BY user_id, night_of
),
nights AS (
  SELECT user_id, night_of FROM zepp_lake.sleep_session
  UNION
  SELECT user_id, night_of FROM stages
)
SELECT
  n.user_id,
  n.night_of,
  s.start_ts,
  s.end_ts,
  date_diff('minute', s.start_ts, s.end_ts) AS in_bed_min,
  s.deep_min,
  s.light_min,
  s.rem_min,
  s.awake_min,
  s.wake_count,
  s.sleep_score,
  s.resting_hr,
  coalesce(st.stage_segments, 0) AS stage_segments,
  st.stage_deep_min,
  st.stage_light_min,
  st.stage_rem_min,
  st.stage_awake_min,
  st.stage_unknown_min
FROM nights AS n
LEFT JOIN zepp_lake.sleep_session AS s ON s.user_id = n.user_id AND s.night_of = n.night_of
LEFT JOIN stages AS st ON st.user_id = n.user_id AND st.night_of = n.night_of
ORDER BY n.user_id, n.night_of
