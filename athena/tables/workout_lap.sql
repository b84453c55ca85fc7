-- zepp_lake.workout_lap: generated from lambdas/core/schema-registry.ts; do not edit.
-- Regenerate with: tsx lambdas/cli/generate-ddl.ts
-- ${LakeBucket} stands for the lake bucket name: replace it before running this in Athena.
CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake.workout_lap (
  `user_id` string           COMMENT 'vendor user id of the person',
  `local_date` date          COMMENT 'local date the workout started (laps live with their workout)',
  `tz_offset_s` int          COMMENT 'UTC offset in seconds in force for local_date (null when the vendor gave none)',
  `trackid` bigint           COMMENT 'workout id',
  `lap_index` int            COMMENT 'position in the vendor\'s lap series, from 0',
  `vendor_index` int         COMMENT 'the lap index as the vendor sent it',
  `duration_s` double        COMMENT 'lap time, seconds (run_time: without pauses)',
  `distance_m` double        COMMENT 'lap distance, metres',
  `geohash` string           COMMENT 'geohash the vendor gives the lap',
  `avg_hr` double            COMMENT 'average heart rate of the lap (null for the vendor -1)',
  `end_ts` timestamp         COMMENT 'the lap ended: workout start + the offset the vendor sends, UTC',
  `altitude_m` double        COMMENT 'absolute altitude, metres (null for the vendor -2000000)',
  `ascent_m` double          COMMENT 'altitude gained in the lap, metres',
  `descent_m` double         COMMENT 'altitude lost in the lap, metres',
  `avg_pace_s_per_m` double  COMMENT 'average pace, s/m (the 19-field form only; Huami SDK name avgPace)',
  `max_pace_s_per_m` double  COMMENT 'best pace, s/m (19-field form; maxPace)',
  `ascent_distance_m` double COMMENT 'distance climbing, metres (19-field form; ascendDistance)',
  `avg_stroke_speed` double  COMMENT 'swim stroke rate (19-field form; avgStrokeSpeed, unit unverified)',
  `stroke_time` double       COMMENT 'swim strokes (19-field form; strokeTime, meaning unverified)',
  `stroke_efficiency` double COMMENT 'swim stroke efficiency (19-field form; strokeEfficiency)',
  `calories` double          COMMENT 'kcal (19-field form; calorie)',
  `avg_frequency` double     COMMENT 'average step frequency (19-field form; avgFrequency)',
  `avg_cadence` double       COMMENT 'average cadence (19-field form; avgCadence)',
  `lap_type` int             COMMENT 'vendor lap type (19-field form; type, meaning unverified)',
  `source` string            COMMENT 'zepp-lake source id: zepp (app API) or huami-open (official Web API)'
)
COMMENT 'One row per lap of a workout (detail.json `lap`, sportDetail `lapPace`); stored in the workout\'s start month.'
PARTITIONED BY (`month` string COMMENT 'YYYY-MM of local_date; the object key part month=YYYY-MM')
STORED AS PARQUET
LOCATION 's3://${LakeBucket}/tables/workout_lap/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.month.type' = 'date',
  'projection.month.format' = 'yyyy-MM',
  'projection.month.range' = '2014-01,NOW',
  'projection.month.interval' = '1',
  'projection.month.interval.unit' = 'MONTHS',
  'storage.location.template' = 's3://${LakeBucket}/tables/workout_lap/month=${month}/',
  'parquet.compression' = 'ZSTD'
);
