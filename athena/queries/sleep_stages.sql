-- name: sleep_stages
-- description: One row per sleep stage segment (sleep_stage), placed on the local clock of its night: the
--   minutes from 18:00 local time on the evening night_of to the segment's start and end (tz_offset_s of the
--   night), so a night that crosses midnight is one span from e.g. 270 (22:30) to 765 (06:45 the next morning).
SELECT
  user_id,
  night_of,
  start_ts,
  end_ts,
  stage,
  tz_offset_s,
  CAST(date_diff('second', start_ts, end_ts) AS double) / 60 AS minutes,
  CAST(date_diff('second', CAST(night_of AS timestamp), start_ts) + coalesce(tz_offset_s, 0) AS double) / 60 - 1080
    AS start_min_after_18h,
  CAST(date_diff('second', CAST(night_of AS timestamp), end_ts) + coalesce(tz_offset_s, 0) AS double) / 60 - 1080
    AS end_min_after_18h
FROM zepp_lake.sleep_stage
ORDER BY user_id, start_ts
