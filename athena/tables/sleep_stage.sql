-- zepp_lake.sleep_stage: generated from lambdas/core/schema-registry.ts; do not edit.
-- Regenerate with: tsx lambdas/cli/generate-ddl.ts
-- ${LakeBucket} stands for the lake bucket name: replace it before running this in Athena.
CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake.sleep_stage (
  `user_id` string     COMMENT 'vendor user id of the person',
  `local_date` date    COMMENT 'the person\'s local calendar date the row belongs to',
  `tz_offset_s` int    COMMENT 'UTC offset in seconds in force for local_date (null when the vendor gave none)',
  `night_of` date      COMMENT 'the evening date D of the night D -> D+1',
  `start_ts` timestamp COMMENT 'segment start, UTC',
  `end_ts` timestamp   COMMENT 'segment end (exclusive), UTC',
  `stage` string       COMMENT 'light, deep, rem, awake or unknown',
  `mode` int           COMMENT 'the raw stage mode (4 light, 5 deep, 7 awake, 8 REM)',
  `source` string      COMMENT 'zepp-lake source id: zepp (app API) or huami-open (official Web API)'
)
COMMENT 'One row per sleep stage segment (slp.stage[]; minutes may run past 1440 into the next day).'
PARTITIONED BY (`month` string COMMENT 'YYYY-MM of local_date; the object key part month=YYYY-MM')
STORED AS PARQUET
LOCATION 's3://${LakeBucket}/tables/sleep_stage/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.month.type' = 'date',
  'projection.month.format' = 'yyyy-MM',
  'projection.month.range' = '2014-01,NOW',
  'projection.month.interval' = '1',
  'projection.month.interval.unit' = 'MONTHS',
  'storage.location.template' = 's3://${LakeBucket}/tables/sleep_stage/month=${month}/',
  'parquet.compression' = 'ZSTD'
);
