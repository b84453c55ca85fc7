// Progress of long operations (sync back-fills, replay, export) on stderr, so stdout stays for results:
// a bar per user and stream with counts and ETA on a terminal; a plain line at the start, every 25 %, every
// `plainIntervalMs` and at the end otherwise (CI, pipes, log files); JSON lines with `json`; nothing with `quiet`.

import cliProgress from 'cli-progress';

/** One step of a long operation. The engine's ProgressEvent is one of these. */
export interface ProgressUpdate {
  /** Omitted for operations that are not per user. */
  userId?: string;
  /** What is being counted: a stream, a table, `raw objects`... */
  stream: string;
  done: number;
  total: number;
  label?: string;
}

export interface ProgressSink {
  update(e: ProgressUpdate): void;
  /** An informational line (not a result): printed on stderr unless quiet, above the bars on a terminal. */
  note(text: string): void;
  stop(): void;
}

export interface ProgressOptions {
  /** Where progress goes (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Print nothing at all. */
  quiet?: boolean;
  /** Progress as JSON lines (`{"progress":...}`) instead of bars or text; stdout is never touched. */
  json?: boolean;
  /** The operation's name in plain lines, e.g. `sync`, `replay`, `export` (default `sync`). */
  verb?: string;
  /** Without a terminal: at most this long between two lines of the same counter (default 10 s). */
  plainIntervalMs?: number;
  /** Test hook for the ETA. */
  now?: () => number;
}

interface Counter {
  startedAt: number;
  startDone: number;
  lastPct: number;
  lastAt: number;
  finished: boolean;
}

const SILENT: ProgressSink = { update() {}, note() {}, stop() {} };

/** Seconds left at the pace seen so far for this counter; undefined until there is a pace. */
function etaSeconds(c: Counter, done: number, total: number, now: number): number | undefined {
  const progressed = done - c.startDone;
  if (progressed <= 0 || done >= total) return done >= total ? 0 : undefined;
  return (((now - c.startedAt) / progressed) * (total - done)) / 1000;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The counters of one progress sink, by user and stream: each remembers when and where it started. */
class Counters {
  private readonly counters = new Map<string, Counter>();

  constructor(readonly now: () => number) {}

  key(e: ProgressUpdate): string {
    return e.userId ? `${e.userId}/${e.stream}` : e.stream;
  }

  of(key: string, done: number): Counter {
    let c = this.counters.get(key);
    if (!c) {
      c = { startedAt: this.now(), startDone: done, lastPct: -1, lastAt: 0, finished: false };
      this.counters.set(key, c);
    }
    return c;
  }
}

/** Without a terminal (or with `json`): a line at the start, every 25 %, every `interval` and at the end. */
function plainProgress(opts: ProgressOptions, out: NodeJS.WriteStream, counters: Counters): ProgressSink {
  const verb = opts.verb ?? 'sync';
  const interval = opts.plainIntervalMs ?? 10_000;
  return {
    update(e) {
      const key = counters.key(e);
      const c = counters.of(key, e.done);
      const t = counters.now();
      const pct = e.total > 0 ? Math.min(100, Math.floor((e.done / e.total) * 100)) : 100;
      const end = e.done >= e.total;
      // The start, every 25 %, at least every `interval`, and the end (once), so logs stay short.
      const due = c.lastPct < 0 || (end ? !c.finished : pct >= c.lastPct + 25 || t - c.lastAt >= interval);
      if (!due) return;
      c.lastPct = pct;
      c.lastAt = t;
      c.finished = end;
      const eta = etaSeconds(c, e.done, e.total, t);
      if (opts.json) {
        out.write(
          `${JSON.stringify({ progress: verb, userId: e.userId, stream: e.stream, done: e.done, total: e.total, label: e.label, etaS: eta === undefined ? null : Math.round(eta) })}\n`,
        );
        return;
      }
      const etaText = end ? '' : eta === undefined ? '' : `, eta ${formatDuration(eta)}`;
      out.write(`${verb} ${key}: ${e.done}/${e.total}${e.label ? ` ${e.label}` : ''} (${pct}%${etaText})\n`);
    },
    note(text) {
      if (opts.json) out.write(`${JSON.stringify({ note: text })}\n`);
      else out.write(`${text}\n`);
    },
    stop() {},
  };
}

/** On a terminal: one bar per counter, with our ETA. */
function barProgress(out: NodeJS.WriteStream, counters: Counters): ProgressSink {
  const multi = new cliProgress.MultiBar(
    {
      // The ETA is ours (the pace since this counter started), not cli-progress's, which shows NULL at first.
      format: ' {name} |{bar}| {value}/{total} {label}{left}',
      hideCursor: true,
      clearOnComplete: false,
      stream: out,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    update(e) {
      const key = counters.key(e);
      const c = counters.of(key, e.done);
      const secondsLeft = etaSeconds(c, e.done, e.total, counters.now());
      const eta = secondsLeft === undefined || e.done >= e.total ? '' : ` eta ${formatDuration(secondsLeft)}`;
      let bar = bars.get(key);
      if (!bar) {
        bar = multi.create(e.total, e.done, { name: key.padEnd(22), label: e.label ?? '', left: eta });
        bars.set(key, bar);
      }
      bar.setTotal(e.total);
      bar.update(e.done, { label: e.label ?? '', left: eta });
    },
    note(text) {
      multi.log(`${text}\n`);
    },
    stop() {
      multi.stop();
    },
  };
}

export function createProgress(opts: ProgressOptions = {}): ProgressSink {
  if (opts.quiet) return SILENT;
  const out = opts.stream ?? process.stderr;
  const counters = new Counters(opts.now ?? Date.now);
  return opts.json || !out.isTTY ? plainProgress(opts, out, counters) : barProgress(out, counters);
}
