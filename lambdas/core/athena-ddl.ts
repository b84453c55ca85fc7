// Athena / Glue table definitions generated from the schema registry. This is the single source for both the
// checked-in athena/tables/*.sql (Hive DDL for Athena) and the CDK Glue tables (glueColumnsOf +
// partitionProjectionOf), so the lake's Parquet schema, the Glue catalog and the DDL cannot drift apart.
//
// Partitions use projection (no crawler, no MSCK REPAIR): `month` is a yyyy-MM string from 2014-01 to NOW.
//
// The checked-in SQL cannot know the bucket name, so it uses the literal placeholder `${LakeBucket}` (see
// LAKE_BUCKET_PLACEHOLDER). Replace it with the bucket name before running the DDL in Athena, or feed the text to
// CloudFormation Fn::Sub (there, escape the projection's own `${month}` as `${!month}`).

import type { ColumnType, TableDef, TableName } from './schema-registry.ts';

export const ATHENA_DATABASE = 'zepp_lake';

/** Stands for the lake bucket name in checked-in SQL. */
export const LAKE_BUCKET_PLACEHOLDER = `\${LakeBucket}`;

/** The partition column every lake table has. */
export const PARTITION_COLUMN = {
  name: 'month',
  type: 'string',
  comment: 'YYYY-MM of local_date; the object key part month=YYYY-MM',
} as const;

/** First month the projection covers: the oldest Mi Fit / Zepp data is from 2014. */
export const PROJECTION_FIRST_MONTH = '2014-01';

const GLUE_TYPES: Readonly<Record<ColumnType, string>> = {
  string: 'string',
  int: 'int',
  bigint: 'bigint',
  double: 'double',
  timestamp: 'timestamp',
  date: 'date',
  boolean: 'boolean',
};

export interface GlueColumn {
  name: string;
  type: string;
  comment: string;
}

/** The Glue/Hive columns of a table (the partition column excluded), in registry order. */
export function glueColumnsOf(def: TableDef): GlueColumn[] {
  return def.columns.map((c) => ({ name: c.name, type: GLUE_TYPES[c.type], comment: c.comment }));
}

/** `s3://<bucket>/tables/<table>/`, the table's LOCATION. */
export function tableLocationOf(table: TableName, bucketPlaceholderOrName: string): string {
  return `s3://${bucketPlaceholderOrName}/tables/${table}/`;
}

/**
 * The table parameters for partition projection on `month` (plus the compression Athena uses when it writes
 * with CTAS/INSERT). Pass the bucket name (or a CDK token) to get the Glue `Parameters` of the table.
 */
export function partitionProjectionOf(table: TableName, bucketPlaceholderOrName: string): Record<string, string> {
  return {
    'projection.enabled': 'true',
    'projection.month.type': 'date',
    'projection.month.format': 'yyyy-MM',
    'projection.month.range': `${PROJECTION_FIRST_MONTH},NOW`,
    'projection.month.interval': '1',
    'projection.month.interval.unit': 'MONTHS',
    'storage.location.template': `${tableLocationOf(table, bucketPlaceholderOrName)}month=\${month}/`,
    'parquet.compression': 'ZSTD',
  };
}

/** A Hive DDL string literal: backslash escapes (Hive does not read '' as an escaped quote). */
function hiveString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function hiveIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

export interface DdlOptions {
  /** Database name; default zepp_lake. */
  database?: string;
  /** `s3://<bucket>/`, default `s3://${LakeBucket}/` (the placeholder). Must end with a slash. */
  locationPrefix?: string;
}

/** The Athena `CREATE EXTERNAL TABLE` statement of one registry table. */
export function generateTableDdl(def: TableDef, opts: DdlOptions = {}): string {
  const database = opts.database ?? ATHENA_DATABASE;
  const prefix = opts.locationPrefix ?? `s3://${LAKE_BUCKET_PLACEHOLDER}/`;
  if (!prefix.startsWith('s3://') || !prefix.endsWith('/')) {
    throw new Error(`locationPrefix must look like s3://bucket/ (got ${prefix})`);
  }
  const bucket = prefix.slice('s3://'.length, -1);
  const columns = glueColumnsOf(def);
  const width = Math.max(...columns.map((c) => hiveIdentifier(c.name).length + 1 + c.type.length));
  const columnLines = columns.map((c, i) => {
    const head = `${hiveIdentifier(c.name)} ${c.type}`;
    const comma = i < columns.length - 1 ? ',' : '';
    return `  ${head.padEnd(width)} COMMENT ${hiveString(c.comment)}${comma}`;
  });
  const properties = Object.entries(partitionProjectionOf(def.name, bucket)).map(
    ([key, value], i, all) => `  ${hiveString(key)} = ${hiveString(value)}${i < all.length - 1 ? ',' : ''}`,
  );
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${database}.${def.name} (`,
    ...columnLines,
    ')',
    `COMMENT ${hiveString(def.description)}`,
    `PARTITIONED BY (${hiveIdentifier(PARTITION_COLUMN.name)} ${PARTITION_COLUMN.type} COMMENT ${hiveString(PARTITION_COLUMN.comment)})`,
    'STORED AS PARQUET',
    `LOCATION ${hiveString(tableLocationOf(def.name, bucket))}`,
    'TBLPROPERTIES (',
    ...properties,
    ');',
  ].join('\n');
}

/** The content of athena/tables/<table>.sql: a header saying where it comes from, then the DDL. */
export function generateTableDdlFile(def: TableDef): string {
  return [
    `-- ${ATHENA_DATABASE}.${def.name}: generated from lambdas/core/schema-registry.ts; do not edit.`,
    '-- Regenerate with: tsx lambdas/cli/generate-ddl.ts',
    `-- ${LAKE_BUCKET_PLACEHOLDER} stands for the lake bucket name: replace it before running this in Athena.`,
    generateTableDdl(def),
    '',
  ].join('\n');
}
