// The Glue catalog of the lake: database `zepp_lake` and one external Parquet table per registry table.
// Columns and partition projection come from the schema registry (via lambdas/core/athena-ddl.ts), so
// Athena, DuckDB and the Parquet writer all read the same definition. Projection means no crawler and
// no MSCK REPAIR: Athena computes the `month=YYYY-MM` locations itself.

import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  ATHENA_DATABASE,
  glueColumnsOf,
  PARTITION_COLUMN,
  partitionProjectionOf,
  tableLocationOf,
} from '../../lambdas/core/athena-ddl.ts';
import { TABLE_NAMES, TABLES, type TableName } from '../../lambdas/core/schema-registry.ts';
import { pinLogicalId } from './logical-ids.ts';

export interface GlueTablesProps {
  /** The lake bucket; tables live under `tables/<table>/`. */
  readonly bucket: s3.IBucket;
  /**
   * Glue database name; the named queries and the docs use it.
   * @default 'zepp_lake'
   */
  readonly databaseName?: string;
}

const PARQUET = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serdeInfo: {
    serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    parameters: { 'serialization.format': '1' },
  },
} as const;

export class GlueTables extends Construct {
  public readonly database: glue.CfnDatabase;
  public readonly databaseName: string;
  public readonly tables: Readonly<Record<TableName, glue.CfnTable>>;

  constructor(scope: Construct, id: string, props: GlueTablesProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    this.databaseName = props.databaseName ?? ATHENA_DATABASE;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId,
      databaseInput: {
        name: this.databaseName,
        description:
          'zepp-lake: Zepp / Amazfit wearable history, one table per stream (see lambdas/core/schema-registry.ts)',
      },
    });
    pinLogicalId(this.database, 'GlueDatabase');

    const tables: Partial<Record<TableName, glue.CfnTable>> = {};
    for (const name of TABLE_NAMES) {
      const def = TABLES[name];
      const table = new glue.CfnTable(this, pascalCase(name), {
        catalogId,
        databaseName: this.databaseName,
        tableInput: {
          name,
          description: def.description,
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            EXTERNAL: 'TRUE',
            classification: 'parquet',
            ...partitionProjectionOf(name, props.bucket.bucketName),
          },
          partitionKeys: [{ ...PARTITION_COLUMN }],
          storageDescriptor: {
            columns: glueColumnsOf(def),
            location: tableLocationOf(name, props.bucket.bucketName),
            ...PARQUET,
          },
        },
      });
      table.node.addDependency(this.database);
      pinLogicalId(table, `GlueTable${pascalCase(name)}`);
      tables[name] = table;
    }
    this.tables = tables as Record<TableName, glue.CfnTable>;
  }
}

/** `activity_minute` -> `ActivityMinute`, for construct and logical ids. */
export function pascalCase(snakeOrKebab: string): string {
  return snakeOrKebab
    .split(/[_\-\s]+/)
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
