// The Athena side of the lake: a workgroup (engine v3, results encrypted under `athena-results/`, a
// per-query scan limit) and one named query per file in athena/queries, read at synth time so the SQL
// that the DuckDB tests run is the SQL that ships.

import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as athena from 'aws-cdk-lib/aws-athena';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { readNamedQueryHeaders } from '../../lambdas/core/named-query-headers.ts';
import { pascalCase } from './glue-tables.ts';
import { pinLogicalId } from './logical-ids.ts';

export interface AthenaWorkspaceProps {
  readonly bucket: s3.IBucket;
  readonly encryptionKey: kms.IKey;
  readonly databaseName: string;
  /** Workgroups have no generated names; one per stage keeps stages apart. */
  readonly workGroupName: string;
  /** Folder of `*.sql` files that become named queries. */
  readonly queriesDir: string;
  /**
   * A query that would scan more than this is cancelled (Athena bills per byte scanned).
   * @default 1 GiB
   */
  readonly bytesScannedCutoffPerQuery?: number;
}

export interface NamedQueryFile {
  /** File name without `.sql`. */
  readonly file: string;
  /** From a `-- name: ...` line, else the file name. */
  readonly name: string;
  /** From a `-- description: ...` line, if any. */
  readonly description?: string;
  readonly sql: string;
}

const ONE_GIB = 1024 ** 3;

export class AthenaWorkspace extends Construct {
  public readonly workGroup: athena.CfnWorkGroup;
  public readonly namedQueries: readonly athena.CfnNamedQuery[];

  constructor(scope: Construct, id: string, props: AthenaWorkspaceProps) {
    super(scope, id);

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName,
      description: 'zepp-lake queries over the Glue tables of the lake',
      state: 'ENABLED',
      // Lets CloudFormation delete the workgroup even when it holds query history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        // Clients cannot override the result location or turn off encryption.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery ?? ONE_GIB,
        resultConfiguration: {
          outputLocation: `s3://${props.bucket.bucketName}/athena-results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.encryptionKey.keyArn },
        },
      },
    });
    pinLogicalId(this.workGroup, 'AthenaWorkGroup');

    this.namedQueries = readNamedQueries(props.queriesDir).map((query) => {
      const named = new athena.CfnNamedQuery(this, `Query${pascalCase(query.file)}`, {
        name: query.name,
        ...(query.description !== undefined ? { description: query.description } : {}),
        database: props.databaseName,
        workGroup: this.workGroup.ref,
        queryString: query.sql,
      });
      named.node.addDependency(this.workGroup);
      return named;
    });
  }
}

/** Every `*.sql` file of the folder, sorted by file name; a missing folder has none. */
export function readNamedQueries(dir: string): NamedQueryFile[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.sql'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return files.sort().map((f) => parseNamedQuery(basename(f, '.sql'), readFileSync(join(dir, f), 'utf8')));
}

/**
 * Reads a query file. Its leading `--` comment block may hold `-- name: ...` and `-- description: ...`; a header
 * value continues on the following comment lines that are indented (`--   more text`).
 */
export function parseNamedQuery(file: string, text: string): NamedQueryFile {
  const sql = text.trim();
  if (sql === '') throw new Error(`named query ${file}.sql is empty; write the SQL or remove the file`);

  const headers = readNamedQueryHeaders(sql);
  const name = headers.name || file;
  if (name.length > MAX_NAME_LENGTH) {
    throw new Error(`named query ${file}.sql: name must be at most ${MAX_NAME_LENGTH} characters, got ${name.length}`);
  }
  const description = headers.description ? truncate(headers.description, MAX_DESCRIPTION_LENGTH) : undefined;
  return { file, name, ...(description !== undefined ? { description } : {}), sql };
}

// Athena's limits for AWS::Athena::NamedQuery.
const MAX_NAME_LENGTH = 128;
const MAX_DESCRIPTION_LENGTH = 1024;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
