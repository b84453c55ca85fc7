// How a chaos child script is started. Under the test suite, whose global setup bundles each child once
// (test/support/cli-bundle.ts) and names the folder in ZEPP_LAKE_TEST_BUNDLES, the bundle is started: the
// same source, at about half the CPU of a `node --import tsx` start. Everywhere else (npm run chaos), tsx.

import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The node arguments that run `script` (a path from the repository root, e.g. chaos/sync-child.ts). */
export function childEntryArgs(script: string): string[] {
  const bundles = process.env.ZEPP_LAKE_TEST_BUNDLES;
  const bundle = bundles ? join(bundles, basename(script).replace(/\.ts$/, '.mjs')) : undefined;
  return bundle && existsSync(bundle) ? [bundle] : ['--import', 'tsx', script];
}
