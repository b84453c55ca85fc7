// Timing and formatting helpers of the benchmark. Figures only: nothing here asserts anything.

import { performance } from 'node:perf_hooks';

export interface Timing {
  /** Every timed repetition, ms, in run order. */
  runs: number[];
  min: number;
  median: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The value below which `p` (0-100) percent of the samples fall (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/**
 * Runs `fn` once untimed (JIT warm-up), then at least `minRuns` timed times and until `minTotalMs` have passed
 * (never more than `maxRuns`). The median is what the figures use: a 2-core VM has noisy neighbours.
 */
export async function timeRepeated(
  fn: () => unknown | Promise<unknown>,
  opts: { minRuns?: number; maxRuns?: number; minTotalMs?: number; warmup?: boolean } = {},
): Promise<Timing> {
  const minRuns = opts.minRuns ?? 3;
  const maxRuns = opts.maxRuns ?? 10;
  const minTotalMs = opts.minTotalMs ?? 1_000;
  if (opts.warmup !== false) await fn();
  const runs: number[] = [];
  let total = 0;
  while (runs.length < maxRuns && (runs.length < minRuns || total < minTotalMs)) {
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    runs.push(ms);
    total += ms;
  }
  return { runs, min: Math.min(...runs), median: median(runs) };
}

export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : Number.NaN;
}

/** 1234567.8 -> "1 234 568" (thin groups keep big rates readable in a terminal). */
export function fmtInt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function fmtBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

export function fmtRatio(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(x >= 10 ? 1 : 2)}x` : String(x);
}

/** Left-aligned label column, so the numbers of one section line up. */
export function line(label: string, value: string): string {
  return `  ${label.padEnd(44)} ${value}`;
}
