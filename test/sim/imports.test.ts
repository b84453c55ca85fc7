// The simulator stands for the vendor, and its ground truth is written from the reference: it must not import the
// project's vendor code, least of all a decoder, or a misread field would agree with itself (issue 16 item 5).

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SIM = join(ROOT, 'sim');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative module specifiers of static imports, re-exports and dynamic imports, resolved from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/\bfrom\s+'([^']+)'/g),
    ...text.matchAll(/\bimport\s*\(\s*'([^']+)'\s*\)/g),
    ...text.matchAll(/^import\s+'([^']+)'/gm),
  ].map((m) => m[1]!);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => relative(ROOT, resolve(dirname(file), s)));
}

/** Vendor code (sources: clients, auth, decoders) or any decoder anywhere. */
const isForbidden = (path: string) =>
  path.startsWith('lambdas/sources/') || /(^|\/)decode[^/]*\.ts$/.test(path) || path.startsWith('lambdas/engine/');

describe('sim/ imports', () => {
  const files = tsFiles(SIM);

  it('finds the simulator files and their imports (the scan itself works)', () => {
    expect(files.map((f) => relative(ROOT, f))).toContain('sim/huami-open/ground-truth.ts');
    expect(importsOf(join(SIM, 'people/ground-truth.ts'))).toContain('lambdas/core/schema-registry.ts');
    expect(isForbidden('lambdas/sources/zepp/decode-workouts.ts')).toBe(true);
    expect(isForbidden('lambdas/core/decode-huami-open.ts')).toBe(true);
  });

  it('no file under sim/ imports a decoder, a source or the engine', () => {
    const offending = files.flatMap((file) =>
      importsOf(file)
        .filter(isForbidden)
        .map((target) => `${relative(ROOT, file)} -> ${target}`),
    );
    expect(offending).toEqual([]);
  });
});
