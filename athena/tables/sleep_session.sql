-- zepp_lake.sleep_session: generated from lambdas/core/schema-registry.ts; do not edit.
-- Regenerate with: tsx lambdas/cli/generate-ddl.ts
-- ${LakeBucket} stands for the lake bucket name: replace it before running this in Athena.
CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake.sleep_session (
  `user_id` string     COMMENT 'vendor user id of the person',
  `local_date` date    COMMENT 'the person\'s local calendar date the row belongs to',
  `tz_offset_s` int    COMMENT 'UTC offset in seconds in force for local_date (null when the vendor gave none)',
  `night_of` date      COMMENT 'the evening date D of the night D -> D+1',
  `start_ts` timestamp COMMENT 'fell asleep, UTC',
  `end_ts` timestamp   COMMENT 'woke up, UTC',
  `deep_min` int       COMMENT 'deep sleep minutes',
  `light_min` int      COMMENT 'light sleep minutes',
  `rem_min` int        COMMENT 'REM minutes (sum of REM stages; null when the source has no stages)',
  `awake_min` int      COMMENT 'awake minutes',
  `wake_count` int     COMMENT 'times woken',
  `sleep_score` int    COMMENT 'vendor sleep score',
  `resting_hr` int     COMMENT 'resting heart rate',
  `source` string      COMMENT 'zepp-lake source id: zepp (app API) or huami-open (official Web API)'
)
COMMENT 'One row per night: the night following local_date (band_data summary.slp of day D).'
PARTITIONED BY (`month` string COMMENT 'YYYY-MM of local_date; the object key part month=YYYY-MM')
STORED AS PARQUET
LOCATION 's3://${LakeBucket}/tables/sleep_session/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.month.type' = 'date',
  'projection.month.format' = 'yyyy-MM',
  'projection.month.range' = '2014-01,NOW',
  'projection.month.interval' = '1',
  'projection.month.interval.unit' = 'MONTHS',
  'storage.location.template' = 's3://${LakeBucket}/tables/sleep_session/month=${month}/',
  'parquet.compression' = 'ZSTD'
);
