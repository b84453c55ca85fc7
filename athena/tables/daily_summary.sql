-- zepp_lake.daily_summary: generated from lambdas/core/schema-registry.ts; do not edit.
-- Regenerate with: tsx lambdas/cli/generate-ddl.ts
-- ${LakeBucket} stands for the lake bucket name: replace it before running this in Athena.
CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake.daily_summary (
  `user_id` string      COMMENT 'vendor user id of the person',
  `local_date` date     COMMENT 'the person\'s local calendar date the row belongs to',
  `tz_offset_s` int     COMMENT 'UTC offset in seconds in force for local_date (null when the vendor gave none)',
  `steps` int           COMMENT 'total steps',
  `distance_m` int      COMMENT 'distance, metres',
  `calories` int        COMMENT 'kcal',
  `run_distance_m` int  COMMENT 'running distance, metres',
  `run_calories` int    COMMENT 'running kcal',
  `walk_min` int        COMMENT 'walking minutes',
  `run_min` int         COMMENT 'running minutes',
  `goal_steps` int      COMMENT 'daily step goal',
  `max_hr` int          COMMENT 'daily maximum heart rate, when the vendor reports it',
  `device_id` string    COMMENT 'device or device source id',
  `synced_ts` timestamp COMMENT 'when the device last synced this day',
  `source` string       COMMENT 'zepp-lake source id: zepp (app API) or huami-open (official Web API)'
)
COMMENT 'One row per local day with the daily totals (band_data summary.stp).'
PARTITIONED BY (`month` string COMMENT 'YYYY-MM of local_date; the object key part month=YYYY-MM')
STORED AS PARQUET
LOCATION 's3://${LakeBucket}/tables/daily_summary/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.month.type' = 'date',
  'projection.month.format' = 'yyyy-MM',
  'projection.month.range' = '2014-01,NOW',
  'projection.month.interval' = '1',
  'projection.month.interval.unit' = 'MONTHS',
  'storage.location.template' = 's3://${LakeBucket}/tables/daily_summary/month=${month}/',
  'parquet.compression' = 'ZSTD'
);
