-- zepp_lake.spo2: generated from lambdas/core/schema-registry.ts; do not edit.
-- Regenerate with: tsx lambdas/cli/generate-ddl.ts
-- ${LakeBucket} stands for the lake bucket name: replace it before running this in Athena.
CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake.spo2 (
  `user_id` string    COMMENT 'vendor user id of the person',
  `local_date` date   COMMENT 'the person\'s local calendar date the row belongs to',
  `tz_offset_s` int   COMMENT 'UTC offset in seconds in force for local_date (null when the vendor gave none)',
  `ts` timestamp      COMMENT 'event time, UTC',
  `kind` string       COMMENT 'subType: click, osa_event, odi, ...',
  `spo2` int          COMMENT 'SpO2 %',
  `spo2_decrease` int COMMENT 'OSA event desaturation',
  `odi` double        COMMENT 'oxygen desaturation index, events/hour',
  `odi_num` int       COMMENT 'desaturation events',
  `score` int         COMMENT 'vendor score',
  `device_id` string  COMMENT 'device',
  `source` string     COMMENT 'zepp-lake source id: zepp (app API) or huami-open (official Web API)'
)
COMMENT 'Blood oxygen events: spot checks, OSA events and nightly ODI.'
PARTITIONED BY (`month` string COMMENT 'YYYY-MM of local_date; the object key part month=YYYY-MM')
STORED AS PARQUET
LOCATION 's3://${LakeBucket}/tables/spo2/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.month.type' = 'date',
  'projection.month.format' = 'yyyy-MM',
  'projection.month.range' = '2014-01,NOW',
  'projection.month.interval' = '1',
  'projection.month.interval.unit' = 'MONTHS',
  'storage.location.template' = 's3://${LakeBucket}/tables/spo2/month=${month}/',
  'parquet.compression' = 'ZSTD'
);
