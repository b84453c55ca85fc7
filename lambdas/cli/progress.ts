// Progress for long back-fills: a bar per user and stream on a terminal, plain lines otherwise (CI, pipes).

import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../engine/sync-engine.ts';

export interface ProgressSink {
  update(e: ProgressEvent): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  if (!stream.isTTY) {
    const lastPrinted = new Map<string, number>();
    return {
      update(e) {
        const key = `${e.userId}/${e.stream}`;
        const pct = e.total ? Math.floor((e.done / e.total) * 100) : 100;
        const prev = lastPrinted.get(key) ?? -1;
        // Plain lines: the start, every 25 %, and the end, so logs stay short.
        if (pct === 100 ? prev !== 100 : pct >= prev + 25 || prev < 0) {
          lastPrinted.set(key, pct);
          stream.write(`sync ${key}: ${e.done}/${e.total} ${e.label}\n`);
        }
      },
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar(
    { format: ' {name} |{bar}| {value}/{total} {label}', hideCursor: true, clearOnComplete: false, stream },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    update(e) {
      const key = `${e.userId}/${e.stream}`;
      let bar = bars.get(key);
      if (!bar) {
        bar = multi.create(e.total, e.done, { name: key.padEnd(22), label: e.label });
        bars.set(key, bar);
      }
      bar.setTotal(e.total);
      bar.update(e.done, { label: e.label });
    },
    stop() {
      multi.stop();
    },
  };
}
