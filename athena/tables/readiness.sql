-- zepp_lake.readiness: generated from lambdas/core/schema-registry.ts; do not edit.
-- Regenerate with: tsx lambdas/cli/generate-ddl.ts
-- ${LakeBucket} stands for the lake bucket name: replace it before running this in Athena.
CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake.readiness (
  `user_id` string      COMMENT 'vendor user id of the person',
  `local_date` date     COMMENT 'the person\'s local calendar date the row belongs to',
  `tz_offset_s` int     COMMENT 'UTC offset in seconds in force for local_date (null when the vendor gave none)',
  `ts` timestamp        COMMENT 'the day the score describes (or the event time), UTC',
  `kind` string         COMMENT 'subType, e.g. watch_score',
  `readiness_score` int COMMENT 'rdnsScore',
  `hrv_ms` int          COMMENT 'sleep HRV',
  `resting_hr` int      COMMENT 'sleep resting heart rate',
  `hrv_score` int       COMMENT 'HRV score',
  `rhr_score` int       COMMENT 'resting HR score',
  `skin_temp_score` int COMMENT 'skin temperature score',
  `physical_score` int  COMMENT 'phyScore',
  `mental_score` int    COMMENT 'mentScore',
  `status` int          COMMENT 'vendor status code',
  `source` string       COMMENT 'zepp-lake source id: zepp (app API) or huami-open (official Web API)'
)
COMMENT 'Readiness scores (readiness events; 255 and 32767 mean no data and become null).'
PARTITIONED BY (`month` string COMMENT 'YYYY-MM of local_date; the object key part month=YYYY-MM')
STORED AS PARQUET
LOCATION 's3://${LakeBucket}/tables/readiness/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.month.type' = 'date',
  'projection.month.format' = 'yyyy-MM',
  'projection.month.range' = '2014-01,NOW',
  'projection.month.interval' = '1',
  'projection.month.interval.unit' = 'MONTHS',
  'storage.location.template' = 's3://${LakeBucket}/tables/readiness/month=${month}/',
  'parquet.compression' = 'ZSTD'
);
