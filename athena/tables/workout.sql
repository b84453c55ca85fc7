-- zepp_lake.workout: generated from lambdas/core/schema-registry.ts; do not edit.
-- Regenerate with: tsx lambdas/cli/generate-ddl.ts
-- ${LakeBucket} stands for the lake bucket name: replace it before running this in Athena.
CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake.workout (
  `user_id` string           COMMENT 'vendor user id of the person',
  `local_date` date          COMMENT 'the person\'s local calendar date the row belongs to',
  `tz_offset_s` int          COMMENT 'UTC offset in seconds in force for local_date (null when the vendor gave none)',
  `trackid` bigint           COMMENT 'workout id = start, epoch seconds',
  `workout_type` int         COMMENT 'vendor type code (1 run, 6 walk, 8 treadmill, 9 cycle, 14 pool swim...)',
  `workout_type_name` string COMMENT 'readable type',
  `start_ts` timestamp       COMMENT 'start, UTC',
  `end_ts` timestamp         COMMENT 'end, UTC',
  `duration_s` int           COMMENT 'moving time, seconds (excludes pauses)',
  `distance_m` double        COMMENT 'distance, metres',
  `calories` double          COMMENT 'kcal',
  `total_steps` int          COMMENT 'steps',
  `avg_hr` double            COMMENT 'average heart rate',
  `max_hr` int               COMMENT 'maximum heart rate',
  `min_hr` int               COMMENT 'minimum heart rate',
  `avg_pace_s_per_m` double  COMMENT 'average pace, seconds per metre',
  `avg_cadence` double       COMMENT 'steps per minute',
  `ascent_m` double          COMMENT 'altitude ascended',
  `descent_m` double         COMMENT 'altitude descended',
  `device_id` string         COMMENT 'bound device',
  `track_source` string      COMMENT 'the vendor source string, needed to fetch the detail',
  `source` string            COMMENT 'zepp-lake source id: zepp (app API) or huami-open (official Web API)'
)
COMMENT 'One row per workout (sport/run/history.json summary items).'
PARTITIONED BY (`month` string COMMENT 'YYYY-MM of local_date; the object key part month=YYYY-MM')
STORED AS PARQUET
LOCATION 's3://${LakeBucket}/tables/workout/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.month.type' = 'date',
  'projection.month.format' = 'yyyy-MM',
  'projection.month.range' = '2014-01,NOW',
  'projection.month.interval' = '1',
  'projection.month.interval.unit' = 'MONTHS',
  'storage.location.template' = 's3://${LakeBucket}/tables/workout/month=${month}/',
  'parquet.compression' = 'ZSTD'
);
