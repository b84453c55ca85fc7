-- zepp_lake.workout_sample: generated from lambdas/core/schema-registry.ts; do not edit.
-- Regenerate with: tsx lambdas/cli/generate-ddl.ts
-- ${LakeBucket} stands for the lake bucket name: replace it before running this in Athena.
CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake.workout_sample (
  `user_id` string     COMMENT 'vendor user id of the person',
  `local_date` date    COMMENT 'local date the workout started (samples live with their workout)',
  `tz_offset_s` int    COMMENT 'UTC offset in seconds in force for local_date (null when the vendor gave none)',
  `trackid` bigint     COMMENT 'workout id',
  `ts` timestamp       COMMENT 'the second, UTC',
  `lat` double         COMMENT 'latitude, degrees',
  `lon` double         COMMENT 'longitude, degrees',
  `altitude_m` double  COMMENT 'GPS altitude, metres',
  `heart_rate` int     COMMENT 'bpm',
  `distance_m` double  COMMENT 'cumulative distance, metres',
  `steps` int          COMMENT 'cumulative steps',
  `stride_cm` int      COMMENT 'stride length',
  `cadence` int        COMMENT 'steps per minute',
  `speed` double       COMMENT 'speed, m/s',
  `pressure_pa` double COMMENT 'air pressure',
  `source` string      COMMENT 'zepp-lake source id: zepp (app API) or huami-open (official Web API)'
)
COMMENT 'One row per (workout, second) joining every series of detail.json; stored in the workout\'s start month.'
PARTITIONED BY (`month` string COMMENT 'YYYY-MM of local_date; the object key part month=YYYY-MM')
STORED AS PARQUET
LOCATION 's3://${LakeBucket}/tables/workout_sample/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.month.type' = 'date',
  'projection.month.format' = 'yyyy-MM',
  'projection.month.range' = '2014-01,NOW',
  'projection.month.interval' = '1',
  'projection.month.interval.unit' = 'MONTHS',
  'storage.location.template' = 's3://${LakeBucket}/tables/workout_sample/month=${month}/',
  'parquet.compression' = 'ZSTD'
);
