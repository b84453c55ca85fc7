import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
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
  },
});
