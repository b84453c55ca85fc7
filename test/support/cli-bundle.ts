// The CLI (and the race and replay children) precompiled once per test run, for the tests that start many child processes.
// `node --import tsx` pays ~3.5 CPU-s a start on this machine (tsx's hooks see every module, the AWS SDK's
// hundreds included); the same code bundled by esbuild, with packages left in node_modules, starts in ~1.7.
// The bundle is the project's own TypeScript, as tsx would run it: only the module format changes. Two tests
// still start `bin/zepp-lake.mjs` itself (aws-cli, mcp-local), so the shim stays covered.

import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Inside node_modules so the bundles resolve their packages (DuckDB's native module, the AWS SDK) from the checkout.
const BUNDLE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'zepp-lake-test-bundles');

/** The folder of the bundles (named to child processes by ZEPP_LAKE_TEST_BUNDLES). */
export const TEST_BUNDLE_DIR = BUNDLE_DIR;
/** `node CLI_BUNDLE --lake L ...`: the `zepp-lake` command line (lambdas/cli/main.ts). */
export const CLI_BUNDLE = join(BUNDLE_DIR, 'zepp-lake.mjs');
/** `node RACE_CHILD_BUNDLE kind lake home go name count`: test/support/local-race-child.ts. */
export const RACE_CHILD_BUNDLE = join(BUNDLE_DIR, 'local-race-child.mjs');
/** `node REPLAY_CHILD_BUNDLE --bucket B ...`: test/chaos/replay-child.ts. */
export const REPLAY_CHILD_BUNDLE = join(BUNDLE_DIR, 'replay-child.mjs');

const ENTRIES: Record<string, string> = {
  [CLI_BUNDLE]: join(REPO_ROOT, 'lambdas/cli/main.ts'),
  [RACE_CHILD_BUNDLE]: join(REPO_ROOT, 'test/support/local-race-child.ts'),
  [REPLAY_CHILD_BUNDLE]: join(REPO_ROOT, 'test/chaos/replay-child.ts'),
  // Started by the chaos harness through chaos/child-entry.ts, which finds them by ZEPP_LAKE_TEST_BUNDLES.
  [join(BUNDLE_DIR, 'sync-child.mjs')]: join(REPO_ROOT, 'chaos/sync-child.ts'),
  [join(BUNDLE_DIR, 'history-child.mjs')]: join(REPO_ROOT, 'chaos/history-child.ts'),
};

/**
 * Each module keeps its own `import.meta.url` (the queries folder and package.json are found relative to the
 * source file), except the entry's: main.ts runs `main()` only when its own URL is the script node started.
 */
function sourceUrls(entry: string): Plugin {
  return {
    name: 'source-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (args.path === entry || args.path.includes('/node_modules/')) return { contents: text, loader: 'ts' };
        const url = JSON.stringify(pathToFileURL(args.path).href);
        return { contents: text.replaceAll('import.meta.url', url), loader: 'ts', resolveDir: dirname(args.path) };
      });
    },
  };
}

/** Builds every bundle (about 0.3 s each); global setup runs it once before any test file. */
export async function buildTestBundles(): Promise<void> {
  await Promise.all(
    Object.entries(ENTRIES).map(([outfile, entry]) =>
      build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        logLevel: 'error',
        plugins: [sourceUrls(entry)],
      }),
    ),
  );
}
