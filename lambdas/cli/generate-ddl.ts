// Writes athena/tables/<table>.sql for every registry table, and the streams table of docs/architecture.md from
// core/streams.ts. Run: tsx lambdas/cli/generate-ddl.ts (or npm run gen:athena)
// The tests in test/core/athena-ddl.test.ts fail when the checked-in files differ from what this writes.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTableDdlFile } from '../core/athena-ddl.ts';
import { TABLE_NAMES, TABLES } from '../core/schema-registry.ts';
import { STREAM_DEFS, STREAMS } from '../core/streams.ts';
import { rawDecoderOf, SOURCE_IDS } from '../sources/registry.ts';
import { streamsOfEndpoints } from '../sources/source.ts';

/** The project root, so the default directory works from any working directory. */
const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** The file name and content of every table's DDL, in registry order. */
export function ddlFiles(): { file: string; sql: string }[] {
  return TABLE_NAMES.map((name) => ({ file: `${name}.sql`, sql: generateTableDdlFile(TABLES[name]) }));
}

/** Writes every table's DDL into `dir` (relative to the project root unless absolute); returns the paths written. */
export async function generateDdlFiles(dir = 'athena/tables'): Promise<string[]> {
  const target = resolve(PROJECT_ROOT, dir);
  await mkdir(target, { recursive: true });
  const written: string[] = [];
  for (const { file, sql } of ddlFiles()) {
    const path = join(target, file);
    await writeFile(path, sql, 'utf8');
    written.push(path);
  }
  return written;
}

/** The Markdown table of the streams: each one's sync message group, the tables it feeds, the sources that offer it. */
export function streamsTableMarkdown(): string {
  const offered = new Map(SOURCE_IDS.map((id) => [id, streamsOfEndpoints(rawDecoderOf(id)?.endpoints ?? {})]));
  const rows = STREAMS.map((s) => {
    const tables = STREAM_DEFS[s].tables.map((t) => `\`${t}\``).join(', ');
    const sources = SOURCE_IDS.filter((id) => offered.get(id)?.includes(s)).join(', ');
    return `| \`${s}\` | ${STREAM_DEFS[s].group} | ${tables} | ${sources} |`;
  });
  const head = ['| stream | sync message group | tables | sources |', '|---|---|---|---|'];
  return `${[...head, ...rows].join('\n')}\n`;
}

const STREAMS_SECTION = /(<!-- streams:begin[^\n]*-->\n)[\s\S]*?(<!-- streams:end -->)/;

/** The document with what stands between its streams markers replaced by the generated table. */
export function withStreamsTable(doc: string): string {
  if (!STREAMS_SECTION.test(doc)) throw new Error('no <!-- streams:begin --> ... <!-- streams:end --> markers');
  return doc.replace(STREAMS_SECTION, (_all, begin: string, end: string) => `${begin}${streamsTableMarkdown()}${end}`);
}

/** Rewrites the streams table of the document at `path` (relative to the project root unless absolute). */
export async function generateStreamsDoc(path = 'docs/architecture.md'): Promise<string> {
  const target = resolve(PROJECT_ROOT, path);
  await writeFile(target, withStreamsTable(await readFile(target, 'utf8')), 'utf8');
  return target;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const written = await generateDdlFiles();
  process.stdout.write(`wrote ${written.length} files to athena/tables\n`);
  process.stdout.write(`wrote ${await generateStreamsDoc()}\n`);
}
