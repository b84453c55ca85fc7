-- zepp_lake.stress: generated from lambdas/core/schema-registry.ts; do not edit.
-- Regenerate with: tsx lambdas/cli/generate-ddl.ts
-- ${LakeBucket} stands for the lake bucket name: replace it before running this in Athena.
CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake.stress (
  `user_id` string   COMMENT 'vendor user id of the person',
  `local_date` date  COMMENT 'the person\'s local calendar date the row belongs to',
  `tz_offset_s` int  COMMENT 'UTC offset in seconds in force for local_date (null when the vendor gave none)',
  `ts` timestamp     COMMENT 'reading time, or the day start for kind=day',
  `kind` string      COMMENT 'reading or day',
  `value` int        COMMENT 'stress 1-100 (reading); average (day)',
  `min_stress` int   COMMENT 'day minimum',
  `max_stress` int   COMMENT 'day maximum',
  `relax_pct` int    COMMENT 'share of the day relaxed, %',
  `normal_pct` int   COMMENT 'share normal, %',
  `medium_pct` int   COMMENT 'share medium, %',
  `high_pct` int     COMMENT 'share high, %',
  `device_id` string COMMENT 'device',
  `source` string    COMMENT 'zepp-lake source id: zepp (app API) or huami-open (official Web API)'
)
COMMENT 'Stress: every 5-minute reading (kind \'reading\') and the day\'s aggregates (kind \'day\').'
PARTITIONED BY (`month` string COMMENT 'YYYY-MM of local_date; the object key part month=YYYY-MM')
STORED AS PARQUET
LOCATION 's3://${LakeBucket}/tables/stress/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.month.type' = 'date',
  'projection.month.format' = 'yyyy-MM',
  'projection.month.range' = '2014-01,NOW',
  'projection.month.interval' = '1',
  'projection.month.interval.unit' = 'MONTHS',
  'storage.location.template' = 's3://${LakeBucket}/tables/stress/month=${month}/',
  'parquet.compression' = 'ZSTD'
);
