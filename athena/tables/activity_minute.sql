-- zepp_lake.activity_minute: generated from lambdas/core/schema-registry.ts; do not edit.
-- Regenerate with: tsx lambdas/cli/generate-ddl.ts
-- ${LakeBucket} stands for the lake bucket name: replace it before running this in Athena.
CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake.activity_minute (
  `user_id` string    COMMENT 'vendor user id of the person',
  `ts` timestamp      COMMENT 'start of the minute, UTC',
  `local_date` date   COMMENT 'the person\'s local calendar date the row belongs to',
  `tz_offset_s` int   COMMENT 'UTC offset in seconds in force for local_date (null when the vendor gave none)',
  `activity_kind` int COMMENT 'low nibble of the kind byte (Huami raw activity type; 1 activity, 2 run, 3 not worn, 9 light sleep, 11 deep sleep...)',
  `kind_raw` int      COMMENT 'the whole kind byte as sent, flags included',
  `intensity` int     COMMENT 'activity intensity byte',
  `steps` int         COMMENT 'steps in the minute',
  `heart_rate` int    COMMENT 'bpm; null when the byte is 0, 254 or 255',
  `device_id` string  COMMENT 'device or device source that recorded the day',
  `source` string     COMMENT 'zepp-lake source id: zepp (app API) or huami-open (official Web API)'
)
COMMENT 'One row per minute with data: activity kind, intensity, steps and heart rate (band_data detail).'
PARTITIONED BY (`month` string COMMENT 'YYYY-MM of local_date; the object key part month=YYYY-MM')
STORED AS PARQUET
LOCATION 's3://${LakeBucket}/tables/activity_minute/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.month.type' = 'date',
  'projection.month.format' = 'yyyy-MM',
  'projection.month.range' = '2014-01,NOW',
  'projection.month.interval' = '1',
  'projection.month.interval.unit' = 'MONTHS',
  'storage.location.template' = 's3://${LakeBucket}/tables/activity_minute/month=${month}/',
  'parquet.compression' = 'ZSTD'
);
