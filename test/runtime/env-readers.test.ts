// Only the runtimes read the environment: everything else under lambdas/ gets its configuration from the typed
// object runtime/ parsed (runtime/config.ts for the Lambdas, runtime/cli-config.ts for the command line).

import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LAMBDAS = fileURLToPath(new URL('../../lambdas/', import.meta.url));

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(path)));
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) files.push(path);
  }
  return files;
}

describe('environment readers', () => {
  it('finds the files it scans, the runtimes among them', async () => {
    const files = (await sourceFiles(LAMBDAS)).map((f) => relative(LAMBDAS, f).split('\\').join('/'));
    expect(files).toContain('runtime/cli-config.ts');
    expect(files).toContain('cli/main.ts');
  });

  it('no file under lambdas/ outside runtime/ reads process.env', async () => {
    const readers: string[] = [];
    for (const file of await sourceFiles(LAMBDAS)) {
      const path = relative(LAMBDAS, file).split('\\').join('/');
      if (path.startsWith('runtime/')) continue;
      const text = await readFile(file, 'utf8');
      // Any spelling of the access: process.env.X, process.env[X], process['env'], a destructured { env }.
      if (/process\s*(\.|\?\.)\s*env\b|process\s*\[\s*['"`]env['"`]\s*\]|\{\s*env\s*\}\s*=\s*process\b/.test(text)) {
        readers.push(path);
      }
    }
    expect(
      readers,
      'read the value from the runtime configuration (runtime/cli-config.ts or runtime/config.ts)',
    ).toEqual([]);
  });
});
