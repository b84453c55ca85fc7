// Section 3, the parent side: runs bench/backfill-child.ts in its own Node process against the simulator
// (which stays in this process, so the child's peak RSS is the sync's own) and formats what it reports.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SimUserSpec, Simulator } from '../sim/index.ts';
import type { BackfillResult } from './backfill-child.ts';
import { fmtBytes, fmtInt, fmtMs, line, perSecond } from './measure.ts';

const CHILD = fileURLToPath(new URL('./backfill-child.ts', import.meta.url));
const CHILD_TIMEOUT_MS = 150_000;

function runChild(sim: Simulator, spec: SimUserSpec): Promise<{ result: BackfillResult; processMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, BENCH_SIM_URL: sim.url, BENCH_EMAIL: spec.email, BENCH_PASSWORD: spec.password },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`back-fill child still running after ${CHILD_TIMEOUT_MS / 1000} s; killed`));
    }, CHILD_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const processMs = performance.now() - started;
      const json = out
        .split('\n')
        .find((l) => l.startsWith('BENCH_RESULT '))
        ?.slice('BENCH_RESULT '.length);
      if (code !== 0 || !json) {
        reject(new Error(`back-fill child exited with ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
        return;
      }
      resolve({ result: JSON.parse(json) as BackfillResult, processMs });
    });
  });
}

/** Section 3. */
export async function benchBackfill(sim: Simulator, spec: SimUserSpec, days: number): Promise<string[]> {
  const before = sim.stats();
  const { result: r, processMs } = await runChild(sim, spec);
  const after = sim.stats();
  const requests = Object.entries(after.requests).reduce((n, [k, v]) => n + v - (before.requests[k] ?? 0), 0);
  const lines: string[] = [];
  lines.push(line('user', `${spec.name} cut to ${days} days (${spec.firstDate} .. today), all 6 streams`));
  lines.push(
    line(
      'wall time of syncUsers',
      `${fmtMs(r.wallMs)}  (login ${fmtMs(r.loginMs)}; child process incl. tsx start ${fmtMs(processMs)})`,
    ),
  );
  lines.push(line('simulator requests', fmtInt(requests)));
  lines.push(
    line('rows written', `${fmtInt(r.rowsWritten)}  (${fmtInt(perSecond(r.rowsWritten, r.wallMs))} rows/s end to end)`),
  );
  lines.push(
    line(
      'rows per stream',
      Object.entries(r.rowsPerStream)
        .map(([s, n]) => `${s} ${fmtInt(n)}`)
        .join(', '),
    ),
  );
  lines.push(
    line(
      'ledger days',
      `${r.ledger.written} written, ${r.ledger.empty} empty, ${r.ledger.failed} failed, ${r.ledger.authFailed} auth_failed; ${r.errors.length} errors`,
    ),
  );
  for (const e of r.errors.slice(0, 3)) lines.push(`    ! ${e}`);
  lines.push(line('lake bytes per user-year, tables/', `${fmtBytes(r.tablesBytes)}  (Parquet)`));
  lines.push(line('lake bytes per user-year, raw/', `${fmtBytes(r.rawBytes)}  (${r.rawObjects} gzip JSON objects)`));
  const maxObjects = Math.max(0, ...Object.values(r.objectsPerTable));
  lines.push(line('objects per table (max)', `${maxObjects}  (one per month touched; a 365-day year spans 13 months)`));
  lines.push('  per table                                        objects        rows        bytes');
  for (const table of Object.keys(r.objectsPerTable).sort()) {
    lines.push(
      `    ${table.padEnd(44)} ${String(r.objectsPerTable[table]).padStart(7)} ${fmtInt(r.rowsPerTable[table] ?? 0).padStart(11)} ${fmtBytes(r.bytesPerTable[table] ?? 0).padStart(12)}`,
    );
  }
  lines.push(
    line('peak RSS of the sync process', `${(r.maxRssKiB / 1024).toFixed(0)} MiB  (process.resourceUsage().maxRSS)`),
  );
  return lines;
}
