-- zepp_lake.workout_pause: generated from lambdas/core/schema-registry.ts; do not edit.
-- Regenerate with: tsx lambdas/cli/generate-ddl.ts
-- ${LakeBucket} stands for the lake bucket name: replace it before running this in Athena.
CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake.workout_pause (
  `user_id` string      COMMENT 'vendor user id of the person',
  `local_date` date     COMMENT 'local date the workout started (pauses live with their workout)',
  `tz_offset_s` int     COMMENT 'UTC offset in seconds in force for local_date (null when the vendor gave none)',
  `trackid` bigint      COMMENT 'workout id',
  `pause_index` int     COMMENT 'position in the vendor\'s pause series, from 0',
  `start_ts` timestamp  COMMENT 'the pause began, UTC',
  `end_ts` timestamp    COMMENT 'the pause ended (start + duration), UTC; null when no duration was sent',
  `duration_s` double   COMMENT 'length of the pause, seconds',
  `start_gps_index` int COMMENT 'index of the GPS point where it began (null for the vendor -1)',
  `end_gps_index` int   COMMENT 'index of the GPS point where it ended (null for the vendor -1)',
  `pause_type` int      COMMENT 'vendor pause type: 2 manual, 3 auto (documented); 1 and 0 seen, meaning unknown',
  `source` string       COMMENT 'zepp-lake source id: zepp (app API) or huami-open (official Web API)'
)
COMMENT 'One row per pause of a workout (detail.json `pause`, sportDetail `pause`); stored in the workout\'s start month.'
PARTITIONED BY (`month` string COMMENT 'YYYY-MM of local_date; the object key part month=YYYY-MM')
STORED AS PARQUET
LOCATION 's3://${LakeBucket}/tables/workout_pause/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.month.type' = 'date',
  'projection.month.format' = 'yyyy-MM',
  'projection.month.range' = '2014-01,NOW',
  'projection.month.interval' = '1',
  'projection.month.interval.unit' = 'MONTHS',
  'storage.location.template' = 's3://${LakeBucket}/tables/workout_pause/month=${month}/',
  'parquet.compression' = 'ZSTD'
);
