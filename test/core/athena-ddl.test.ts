import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The Hive parser alone: the package root loads all eight ANTLR grammars, which makes the import ~5x slower.
import { HiveSQL } from 'dt-sql-parser/dist/parser/hive/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import { ddlFiles, generateDdlFiles, streamsTableMarkdown, withStreamsTable } from '../../lambdas/cli/generate-ddl.ts';
import {
  generateTableDdl,
  generateTableDdlFile,
  glueColumnsOf,
  LAKE_BUCKET_PLACEHOLDER,
  partitionProjectionOf,
} from '../../lambdas/core/athena-ddl.ts';
import { TABLE_NAMES, TABLES } from '../../lambdas/core/schema-registry.ts';
import { STREAM_TABLES, STREAMS } from '../../lambdas/core/streams.ts';

const TABLES_DIR = new URL('../../athena/tables/', import.meta.url);

describe('athena/tables/*.sql', () => {
  it('has exactly one checked-in file per registry table', () => {
    const files = readdirSync(TABLES_DIR)
      .filter((f) => f.endsWith('.sql'))
      .sort();
    expect(files).toEqual(TABLE_NAMES.map((t) => `${t}.sql`).sort());
  });

  it.each(TABLE_NAMES)('%s.sql equals what the registry generates', (table) => {
    const checkedIn = readFileSync(new URL(`${table}.sql`, TABLES_DIR), 'utf8');
    expect(
      checkedIn === generateTableDdlFile(TABLES[table]),
      `athena/tables/${table}.sql is stale: run \`tsx lambdas/cli/generate-ddl.ts\` and commit the result`,
    ).toBe(true);
  });

  it('is accepted by the Hive DDL grammar (dt-sql-parser HiveSQL), placeholder and all', () => {
    const hive = new HiveSQL();
    for (const { file, sql } of ddlFiles()) {
      expect(hive.validate(sql), file).toEqual([]);
    }
    // The validator does reject broken DDL, so the empty error lists above mean something.
    expect(hive.validate('CREATE EXTERNAL TABLE x (a string COMMENT) STORED AS PARQUET').length).toBeGreaterThan(0);
  });
});

describe('generateDdlFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zepp-lake-ddl-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one file per table with the generated DDL', async () => {
    const written = await generateDdlFiles(dir);
    expect(written.map((p) => p.slice(dir.length + 1))).toEqual(TABLE_NAMES.map((t) => `${t}.sql`));
    for (const table of TABLE_NAMES) {
      expect(readFileSync(join(dir, `${table}.sql`), 'utf8')).toBe(generateTableDdlFile(TABLES[table]));
    }
  });
});

describe('the streams table of docs/architecture.md', () => {
  it('equals what core/streams.ts and the source registry generate', () => {
    const checkedIn = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
    expect(
      withStreamsTable(checkedIn) === checkedIn,
      'the streams table of docs/architecture.md is stale: run `npm run gen:athena` and commit the result',
    ).toBe(true);
  });

  it('has a row per stream naming its tables, and replaces only what stands between the markers', () => {
    const table = streamsTableMarkdown();
    for (const s of STREAMS) {
      const row = table.split('\n').find((line) => line.startsWith(`| \`${s}\` |`));
      for (const t of STREAM_TABLES[s]) expect(row, s).toContain(`\`${t}\``);
    }
    const doc = 'before\n<!-- streams:begin note -->\n| stale |\n<!-- streams:end -->\nafter\n';
    expect(withStreamsTable(doc)).toBe(`before\n<!-- streams:begin note -->\n${table}<!-- streams:end -->\nafter\n`);
    expect(() => withStreamsTable('no markers')).toThrow(/streams:begin/);
  });
});

describe('generateTableDdl', () => {
  it('declares every registry column with its Hive type and comment, partitioned by month', () => {
    const ddl = generateTableDdl(TABLES.workout);
    expect(ddl).toMatch(/^CREATE EXTERNAL TABLE IF NOT EXISTS zepp_lake\.workout \(\n/);
    expect(ddl).toContain('  `trackid` bigint');
    expect(ddl).toMatch(/`start_ts` timestamp +COMMENT 'start, UTC',/);
    expect(ddl).toMatch(/`distance_m` double +COMMENT 'distance, metres',/);
    expect(ddl).toMatch(/`local_date` date +COMMENT 'the person\\'s local calendar date the row belongs to',/);
    expect(ddl).toContain("COMMENT 'One row per workout (sport/run/history.json summary items).'");
    expect(ddl).toContain('PARTITIONED BY (`month` string COMMENT');
    expect(ddl).toContain('STORED AS PARQUET');
    expect(ddl).toContain(`LOCATION 's3://${LAKE_BUCKET_PLACEHOLDER}/tables/workout/'`);
    expect(ddl).toContain(
      `'storage.location.template' = 's3://${LAKE_BUCKET_PLACEHOLDER}/tables/workout/month=\${month}/'`,
    );
    expect(ddl).toContain("'projection.month.range' = '2014-01,NOW'");
    expect(ddl).toContain("'parquet.compression' = 'ZSTD'");
    expect(ddl.endsWith(');')).toBe(true);
    for (const column of TABLES.workout.columns) expect(ddl).toContain(`\`${column.name}\` `);
  });

  it('takes the database and the bucket from the options', () => {
    const ddl = generateTableDdl(TABLES.spo2, { database: 'other_db', locationPrefix: 's3://my-lake-bucket/' });
    expect(ddl).toContain('CREATE EXTERNAL TABLE IF NOT EXISTS other_db.spo2 (');
    expect(ddl).toContain("LOCATION 's3://my-lake-bucket/tables/spo2/'");
    expect(ddl).toContain(`'storage.location.template' = 's3://my-lake-bucket/tables/spo2/month=\${month}/'`);
    expect(ddl).not.toContain(LAKE_BUCKET_PLACEHOLDER);
    expect(() => generateTableDdl(TABLES.spo2, { locationPrefix: 'my-lake-bucket' })).toThrow(/s3:\/\/bucket\//);
  });
});

describe('glueColumnsOf / partitionProjectionOf (what the CDK Glue tables use)', () => {
  it('lists the registry columns with Glue types and comments Glue accepts (at most 255 characters)', () => {
    expect(glueColumnsOf(TABLES.ingest_ledger)).toEqual(
      TABLES.ingest_ledger.columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
    );
    for (const table of TABLE_NAMES) {
      for (const column of glueColumnsOf(TABLES[table])) {
        expect(column.type).toMatch(/^(string|int|bigint|double|timestamp|date|boolean)$/);
        expect(column.comment.length, `${table}.${column.name}`).toBeLessThanOrEqual(255);
      }
      expect(TABLES[table].description.length, table).toBeLessThanOrEqual(2048);
    }
  });

  it('gives the projection parameters for a real bucket name', () => {
    expect(partitionProjectionOf('pai', 'lake-123')).toEqual({
      'projection.enabled': 'true',
      'projection.month.type': 'date',
      'projection.month.format': 'yyyy-MM',
      'projection.month.range': '2014-01,NOW',
      'projection.month.interval': '1',
      'projection.month.interval.unit': 'MONTHS',
      'storage.location.template': `s3://lake-123/tables/pai/month=\${month}/`,
      'parquet.compression': 'ZSTD',
    });
  });
});
