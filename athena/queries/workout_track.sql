-- name: workout_track
-- description: One row per workout with GPS: its positions (workout_sample rows with lat and lon) in time order
--   as two arrays, lats and lons, thinned for plotting to at most 500 points: every k-th position with
--   k = ceil(positions / 499), plus the last. gps_points is the number of positions before thinning; the
--   bounding box is of the thinned track.
WITH points AS (
  SELECT
    user_id,
    trackid,
    ts,
    lat,
    lon,
    row_number() OVER (PARTITION BY user_id, trackid ORDER BY ts) AS point_no,
    count(*) OVER (PARTITION BY user_id, trackid) AS gps_points
  FROM zepp_lake.workout_sample
  WHERE lat IS NOT NULL AND lon IS NOT NULL
),
kept AS (
  SELECT user_id, trackid, ts, lat, lon, gps_points
  FROM points
  WHERE (point_no - 1) % CAST(ceiling(CAST(gps_points AS double) / 499) AS bigint) = 0 OR point_no = gps_points
)
SELECT
  user_id,
  trackid,
  max(gps_points) AS gps_points,
  count(*) AS track_points,
  min(lat) AS min_lat,
  max(lat) AS max_lat,
  min(lon) AS min_lon,
  max(lon) AS max_lon,
  array_agg(lat ORDER BY ts) AS lats,
  array_agg(lon ORDER BY ts) AS lons
FROM kept
GROUP BY user_id, trackid
ORDER BY user_id, trackid
