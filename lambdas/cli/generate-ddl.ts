// Writes athena/tables/<table>.sql for every registry table. Run: tsx lambdas/cli/generate-ddl.ts
// The test in test/core/athena-ddl.test.ts fails when the checked-in files differ from what this writes.

import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTableDdlFile } from '../core/athena-ddl.ts';
import { TABLE_NAMES, TABLES } from '../core/schema-registry.ts';

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

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const written = await generateDdlFiles();
  process.stdout.write(`wrote ${written.length} files to athena/tables\n`);
}
