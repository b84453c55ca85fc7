-- zepp_lake.pai: generated from lambdas/core/schema-registry.ts; do not edit.
-- Regenerate with: tsx lambdas/cli/generate-ddl.ts
-- ${LakeBucket} stands for the lake bucket name: replace it before running this in Athena.
CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake.pai (
  `user_id` string         COMMENT 'vendor user id of the person',
  `local_date` date        COMMENT 'the person\'s local calendar date the row belongs to',
  `tz_offset_s` int        COMMENT 'UTC offset in seconds in force for local_date (null when the vendor gave none)',
  `ts` timestamp           COMMENT 'event time, UTC',
  `daily_pai` double       COMMENT 'PAI earned that day',
  `total_pai` double       COMMENT 'rolling 7-day PAI',
  `rest_hr` int            COMMENT 'resting heart rate',
  `max_hr` int             COMMENT 'maximum heart rate',
  `low_zone_pai` double    COMMENT 'PAI in the low zone',
  `medium_zone_pai` double COMMENT 'PAI in the medium zone',
  `high_zone_pai` double   COMMENT 'PAI in the high zone',
  `low_zone_min` int       COMMENT 'minutes in the low zone',
  `medium_zone_min` int    COMMENT 'minutes in the medium zone',
  `high_zone_min` int      COMMENT 'minutes in the high zone',
  `total_steps` int        COMMENT 'steps',
  `total_calories` int     COMMENT 'kcal',
  `source` string          COMMENT 'zepp-lake source id: zepp (app API) or huami-open (official Web API)'
)
COMMENT 'Daily PAI (PaiHealthInfo events).'
PARTITIONED BY (`month` string COMMENT 'YYYY-MM of local_date; the object key part month=YYYY-MM')
STORED AS PARQUET
LOCATION 's3://${LakeBucket}/tables/pai/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.month.type' = 'date',
  'projection.month.format' = 'yyyy-MM',
  'projection.month.range' = '2014-01,NOW',
  'projection.month.interval' = '1',
  'projection.month.interval.unit' = 'MONTHS',
  'storage.location.template' = 's3://${LakeBucket}/tables/pai/month=${month}/',
  'parquet.compression' = 'ZSTD'
);
