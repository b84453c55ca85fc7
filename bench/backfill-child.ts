// Section 3, the child process: logs the year user into a temp local runtime and back-fills it through the
// real CLI path (`syncUsers`) against the simulator the parent runs, then prints one JSON line with what it
// measured. A process of its own, so that its peak RSS is the sync's and not the benchmark's.
//
// Input (env): BENCH_SIM_URL, BENCH_EMAIL, BENCH_PASSWORD (the simulator's synthetic credentials).

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loginZepp, syncUsers } from '../lambdas/cli/sync-command.ts';
import { parquetRowCount } from '../lambdas/stores/parquet.ts';
import { walk as filesUnder, tempRuntime } from '../test/support/local-lake.ts';

export interface BackfillResult {
  wallMs: number;
  loginMs: number;
  rowsWritten: number;
  rowsPerStream: Record<string, number>;
  /** Rows per table, read from the Parquet footers of the lake. */
  rowsPerTable: Record<string, number>;
  objectsPerTable: Record<string, number>;
  bytesPerTable: Record<string, number>;
  tablesBytes: number;
  rawBytes: number;
  rawObjects: number;
  ledger: { written: number; empty: number; failed: number; authFailed: number };
  errors: string[];
  maxRssKiB: number;
}

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (this file is started by bench/run.ts)`);
  return v;
}

async function main(): Promise<void> {
  const url = need('BENCH_SIM_URL');
  const rt = await tempRuntime();
  try {
    const t0 = performance.now();
    await loginZepp(rt, { email: need('BENCH_EMAIL'), password: need('BENCH_PASSWORD'), host: url });
    const t1 = performance.now();
    const reports = await syncUsers(rt, { host: url, quiet: true });
    const wallMs = performance.now() - t1;

    const result: BackfillResult = {
      wallMs,
      loginMs: t1 - t0,
      rowsWritten: 0,
      rowsPerStream: {},
      rowsPerTable: {},
      objectsPerTable: {},
      bytesPerTable: {},
      tablesBytes: 0,
      rawBytes: 0,
      rawObjects: 0,
      ledger: { written: 0, empty: 0, failed: 0, authFailed: 0 },
      errors: [],
      maxRssKiB: 0,
    };
    for (const r of reports) {
      result.errors.push(...r.errors);
      for (const [stream, s] of Object.entries(r.streams)) {
        if (!s) continue;
        result.rowsWritten += s.rowsWritten;
        result.rowsPerStream[stream] = (result.rowsPerStream[stream] ?? 0) + s.rowsWritten;
        result.ledger.written += s.written;
        result.ledger.empty += s.empty;
        result.ledger.failed += s.failed;
        result.ledger.authFailed += s.authFailed;
      }
    }
    const tablesDir = join(rt.lakeDir, 'tables');
    for (const f of await filesUnder(tablesDir)) {
      const table = f.slice(tablesDir.length + 1).split(/[\\/]/)[0] ?? '?';
      const size = (await stat(f)).size;
      result.tablesBytes += size;
      result.bytesPerTable[table] = (result.bytesPerTable[table] ?? 0) + size;
      result.objectsPerTable[table] = (result.objectsPerTable[table] ?? 0) + 1;
      result.rowsPerTable[table] =
        (result.rowsPerTable[table] ?? 0) + parquetRowCount(new Uint8Array(await readFile(f)));
    }
    for (const f of await filesUnder(join(rt.lakeDir, 'raw'))) {
      result.rawBytes += (await stat(f)).size;
      result.rawObjects++;
    }
    // ru_maxrss is in KiB on Linux.
    result.maxRssKiB = process.resourceUsage().maxRSS;
    process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
  } finally {
    await rt.cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`backfill child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
