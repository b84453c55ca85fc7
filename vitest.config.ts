import { defineConfig } from 'vitest/config';

/**
 * Files that run in one module graph per worker (isolate: false): they import the app and only read it, so a
 * second file in the same worker may reuse the modules the first evaluated. None of them writes process.env,
 * spies on or mocks a module or a global, fakes the clock or talks to the stand-ins. Re-importing the app (the
 * AWS SDK, DuckDB, Arrow, aws-cdk-lib) in a fresh process for each of these ~55 files cost ~40 CPU-s a run.
 * A file that starts doing any of that belongs in the isolated project (the default: every file not listed).
 */
const SHARED_MODULE_FILES = [
  'test/core/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/sim/**/*.test.ts',
  'test/sources/**/*.test.ts',
  'test/infra/**/*.test.ts',
  'test/runtime/{aws-wiring,cli-config,config,env-readers}.test.ts',
  'test/stores/{duckdb-query,file-state,fs-lake,parquet}.test.ts',
  'test/engine/{month-edge-rows,retry-policy,storage-faults,user-removal,window-cursor,workout-before-from}.test.ts',
];

export default defineConfig({
  test: {
    // A cap for a hung test, not a speed check (that is npm run bench): four files at once on two cores stretch
    // a 20 s end-to-end test well past a minute when the machine is shared.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most files wait on child processes, sockets and the stand-ins rather than compute: four at a time on two
    // cores halves the run (Vitest's default is one fewer worker than cores: one, on the 2-core CI machine). Every
    // file keeps to its own temp folders, tables, queues and simulator ports, so files never share state.
    maxWorkers: 4,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'shared-modules', include: SHARED_MODULE_FILES, isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'isolated',
          include: ['test/**/*.test.ts'],
          exclude: SHARED_MODULE_FILES,
          // Only these files use the stand-ins and the prebuilt bundles: a run of shared-module files alone
          // starts no JVM.
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
