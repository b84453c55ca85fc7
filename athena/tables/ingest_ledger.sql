-- zepp_lake.ingest_ledger: generated from lambdas/core/schema-registry.ts; do not edit.
-- Regenerate with: tsx lambdas/cli/generate-ddl.ts
-- ${LakeBucket} stands for the lake bucket name: replace it before running this in Athena.
CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake.ingest_ledger (
  `user_id` string       COMMENT 'vendor user id of the person',
  `local_date` date      COMMENT 'first day of the period',
  `stream` string        COMMENT 'band, workouts, stress, spo2, pai, readiness',
  `period` string        COMMENT 'YYYY-MM-DD (a day), YYYY-MM (a month) or track:<trackid>',
  `status` string        COMMENT 'written, empty, failed or auth_failed',
  `rows` int             COMMENT 'rows written for the period',
  `raw_key` string       COMMENT 'the raw response the rows came from',
  `fetched_at` timestamp COMMENT 'when the API answered',
  `error` string         COMMENT 'what went wrong (never a token)',
  `source` string        COMMENT 'zepp-lake source id: zepp (app API) or huami-open (official Web API)'
)
COMMENT 'What the engine was asked for and how each (user, stream, period) ended.'
PARTITIONED BY (`month` string COMMENT 'YYYY-MM of local_date; the object key part month=YYYY-MM')
STORED AS PARQUET
LOCATION 's3://${LakeBucket}/tables/ingest_ledger/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.month.type' = 'date',
  'projection.month.format' = 'yyyy-MM',
  'projection.month.range' = '2014-01,NOW',
  'projection.month.interval' = '1',
  'projection.month.interval.unit' = 'MONTHS',
  'storage.location.template' = 's3://${LakeBucket}/tables/ingest_ledger/month=${month}/',
  'parquet.compression' = 'ZSTD'
);
