import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_NAMES, TABLES } from '../../lambdas/core/schema-registry.ts';
import { parseNamedQuery, readNamedQueries } from '../../lib/constructs/athena-workspace.ts';
import { pascalCase } from '../../lib/constructs/glue-tables.ts';
import { DEFAULT_QUERIES_DIR, StorageStack } from '../../lib/storage-stack.ts';
import { composeTestApp, newTestApp } from './infra-fixture.ts';

type Json = Record<string, unknown>;

// One synthesized app for the whole file: the prod stage, as cdk.json configures it.
let storage: StorageStack;
let template: Template;
let resources: Record<
  string,
  { Type: string; Properties: Json; DeletionPolicy?: string; UpdateReplacePolicy?: string }
>;

beforeAll(() => {
  ({ storage } = composeTestApp({ stage: 'prod' }));
  template = Template.fromStack(storage);
  resources = template.toJSON().Resources;
});

const keyArn = { 'Fn::GetAtt': ['LakeKey', 'Arn'] };

describe('StorageStack stateful resources', () => {
  it('keeps the logical ids of the key, buckets and state table fixed', () => {
    expect(resources.LakeKey?.Type).toBe('AWS::KMS::Key');
    expect(resources.LakeBucket?.Type).toBe('AWS::S3::Bucket');
    expect(resources.AccessLogBucket?.Type).toBe('AWS::S3::Bucket');
    expect(resources.StateTable?.Type).toBe('AWS::DynamoDB::Table');
    expect(resources.GlueDatabase?.Type).toBe('AWS::Glue::Database');
    expect(resources.AthenaWorkGroup?.Type).toBe('AWS::Athena::WorkGroup');
  });

  it('retains every resource that holds data when the stack or resource goes away', () => {
    for (const id of ['LakeKey', 'LakeBucket', 'AccessLogBucket', 'StateTable']) {
      expect(resources[id]?.DeletionPolicy, id).toBe('Retain');
      expect(resources[id]?.UpdateReplacePolicy, id).toBe('Retain');
    }
  });

  it('turns on termination protection for prod only', () => {
    expect(storage.terminationProtection).toBe(true);
    const dev = composeTestApp({ stage: 'dev' });
    expect(dev.storage.terminationProtection).toBe(false);
  });
});

describe('StorageStack KMS key', () => {
  it('rotates its key material', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('lets CloudWatch alarms publish to topics encrypted with it', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Effect: 'Allow',
          }),
        ]),
      },
    });
  });
});

describe('StorageStack lake bucket', () => {
  it('encrypts with the lake key and an S3 bucket key', () => {
    expect(resources.LakeBucket?.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn } },
      ],
    });
  });

  it('blocks all public access and keeps versions', () => {
    expect(resources.LakeBucket?.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('logs server access to the access-log bucket', () => {
    expect(resources.LakeBucket?.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: 'AccessLogBucket' },
      LogFilePrefix: 'lake/',
    });
  });

  it('expires old versions and athena results, and tiers raw/ responses', () => {
    const rules = (resources.LakeBucket?.Properties.LifecycleConfiguration as { Rules: Json[] }).Rules;
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
        expect.objectContaining({
          Prefix: 'raw/',
          Transitions: [{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 0 }],
        }),
        expect.objectContaining({ Prefix: 'athena-results/', ExpirationInDays: 7 }),
      ]),
    );
  });

  it.each(['LakeBucket', 'AccessLogBucket'])('%s denies plain HTTP and TLS older than 1.2', (bucket) => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });

  it('keeps the access-log bucket private with S3-managed encryption (log delivery cannot use KMS)', () => {
    expect(resources.AccessLogBucket?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });
});

describe('StorageStack state table', () => {
  it('has the pk/sk string keys, on-demand billing, PITR, the lake key and a ttl attribute', () => {
    expect(resources.StateTable?.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      DeletionProtectionEnabled: true,
    });
  });
});

describe('StorageStack Glue catalog', () => {
  const bucketName = () => storage.resolve(storage.lakeBucket.bucketName);

  it('defines the zepp_lake database and one table per registry table', () => {
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'zepp_lake' } });
    template.resourceCountIs('AWS::Glue::Table', TABLE_NAMES.length);
  });

  // Written out here rather than taken from partitionProjectionOf, which built the template under test: Athena's
  // projection must read `month=YYYY-MM` keys from 2014 on, one month at a time, under the table's prefix.
  it.each([
    ...TABLE_NAMES,
  ])('%s: projects month=YYYY-MM partitions from 2014-01 to now under tables/<table>/', (name) => {
    const input = resources[`GlueTable${pascalCase(name)}`]?.Properties.TableInput as Json;
    expect(input.Parameters).toEqual({
      EXTERNAL: 'TRUE',
      classification: 'parquet',
      'projection.enabled': 'true',
      'projection.month.type': 'date',
      'projection.month.format': 'yyyy-MM',
      'projection.month.range': '2014-01,NOW',
      'projection.month.interval': '1',
      'projection.month.interval.unit': 'MONTHS',
      'storage.location.template': { 'Fn::Join': ['', ['s3://', bucketName(), `/tables/${name}/month=\${month}/`]] },
      'parquet.compression': 'ZSTD',
    });
  });

  /** Athena's name of each registry column type, stated independently of athena-ddl.ts. */
  const ATHENA_TYPE = {
    string: 'string',
    int: 'int',
    bigint: 'bigint',
    double: 'double',
    timestamp: 'timestamp',
    date: 'date',
    boolean: 'boolean',
  };

  it.each([
    ...TABLE_NAMES,
  ])('%s: columns are the registry columns with their Athena types, partitioned by month, stored as Parquet', (name) => {
    const input = resources[`GlueTable${pascalCase(name)}`]?.Properties.TableInput as Json;
    const descriptor = input.StorageDescriptor as Json;
    expect(input).toMatchObject({ Name: name, TableType: 'EXTERNAL_TABLE' });
    expect(input.PartitionKeys).toEqual([expect.objectContaining({ Name: 'month', Type: 'string' })]);
    expect(descriptor.Columns).toEqual(
      TABLES[name].columns.map((c) => ({ Name: c.name, Type: ATHENA_TYPE[c.type], Comment: c.comment })),
    );
    expect(descriptor).toMatchObject({
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      Location: { 'Fn::Join': ['', ['s3://', bucketName(), `/tables/${name}/`]] },
    });
  });
});

describe('StorageStack Athena workgroup', () => {
  it('runs engine v3 with enforced, KMS-encrypted results under athena-results/ and a 1 GiB scan limit', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'zepp-lake-prod',
      WorkGroupConfiguration: {
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 1024 ** 3,
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: 'LakeBucket' }, '/athena-results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: keyArn },
        },
      },
    });
  });

  it('has one named query per file in athena/queries', () => {
    const files = (() => {
      try {
        return readdirSync(DEFAULT_QUERIES_DIR).filter((f) => f.endsWith('.sql'));
      } catch {
        return [];
      }
    })();
    template.resourceCountIs('AWS::Athena::NamedQuery', files.length);
  });

  it('names each query from its `-- name:` line, or its file name, in the zepp_lake database and the workgroup', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zepp-lake-queries-'));
    writeFileSync(
      join(dir, 'daily-overview.sql'),
      '-- name: Daily overview\n-- description: steps and sleep per day\nSELECT 1',
    );
    writeFileSync(join(dir, 'resting-hr.sql'), 'SELECT 2');
    writeFileSync(join(dir, 'notes.txt'), 'not a query');
    const stack = new StorageStack(newTestApp(), 'QueriesUnderTest', { stage: 'test', queriesDir: dir });
    const queries = Template.fromStack(stack);

    queries.resourceCountIs('AWS::Athena::NamedQuery', 2);
    queries.hasResourceProperties('AWS::Athena::NamedQuery', {
      Name: 'Daily overview',
      Description: 'steps and sleep per day',
      Database: 'zepp_lake',
      WorkGroup: { Ref: 'AthenaWorkGroup' },
      QueryString: Match.stringLikeRegexp('SELECT 1'),
    });
    queries.hasResourceProperties('AWS::Athena::NamedQuery', { Name: 'resting-hr', QueryString: 'SELECT 2' });
  });
});

describe('named query files', () => {
  it('reads no queries from a folder that does not exist', () => {
    expect(readNamedQueries(join(tmpdir(), 'zepp-lake-no-such-folder'))).toEqual([]);
  });

  it('joins an indented multi-line description into one line', () => {
    const query = parseNamedQuery(
      'sleep',
      '-- name: sleep_by_night\n-- description: One row per night:\n--   stages summed.\n-- other comment\nSELECT 1',
    );
    expect(query).toMatchObject({ name: 'sleep_by_night', description: 'One row per night: stages summed.' });
    expect(query.sql).toContain('SELECT 1');
  });

  it("cuts a description to Athena's 1024 characters", () => {
    const query = parseNamedQuery('long', `-- description: ${'x'.repeat(2000)}\nSELECT 1`);
    expect(query.description).toHaveLength(1024);
  });

  it('fails on a name longer than Athena allows, naming the file', () => {
    expect(() => parseNamedQuery('long', `-- name: ${'n'.repeat(129)}\nSELECT 1`)).toThrow(
      'named query long.sql: name must be at most 128 characters, got 129',
    );
  });

  it('fails on an empty query file, naming it', () => {
    expect(() => parseNamedQuery('empty', '  \n')).toThrow('named query empty.sql is empty');
  });
});

describe('StorageStack exports', () => {
  it('exports the lake under fixed names that the ingest stack imports', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Export?: { Name: string } }>;
    const names = Object.values(outputs).map((o) => o.Export?.Name);
    for (const name of ['LakeBucketName', 'LakeBucketArn', 'LakeKeyArn', 'StateTableName', 'StateTableArn']) {
      expect(names).toContain(`zepp-lake-prod-storage:${name}`);
    }
    expect(Stack.of(storage).stackName).toBe('zepp-lake-prod-storage');
  });
});
