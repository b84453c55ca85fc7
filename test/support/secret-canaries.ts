// Secret-leak detection for the leak tests: known secret values ("canaries") and every obvious encoding of them,
// looked for in whatever a run left behind (output, error messages, state, lake objects, metrics). A finding names
// the artefact, the secret's label and the encoding, never the secret itself, so a failing test prints no secret.

import { gunzipSync } from 'node:zlib';
import { TABLE_NAMES, type TableName } from '../../lambdas/core/schema-registry.ts';
import { readParquet } from '../../lambdas/stores/parquet.ts';

export interface Artefact {
  /** What it is, e.g. `stdout of sync` or `lake raw/zepp/band_data/user-1/2026-11.json.gz`. */
  name: string;
  text: string;
}

interface Needle {
  label: string;
  encoding: string;
  text: string;
}

/** Shorter needles could match by chance (a base64 run of a short value); every canary here is far longer. */
const MIN_NEEDLE = 8;

/**
 * The value's base64 as it appears inside the base64 of a longer text, for each of the three byte alignments:
 * only the 4-character groups made of the value's bytes alone, which are the same whatever surrounds it.
 */
function base64Runs(value: Buffer, alphabet: 'base64' | 'base64url'): string[] {
  const out: string[] = [];
  for (let lead = 0; lead < 3; lead++) {
    const padded = Buffer.concat([Buffer.alloc(lead), value]);
    const encoded = padded.toString(alphabet);
    const start = lead === 0 ? 0 : 4;
    const end = Math.floor(padded.length / 3) * 4;
    if (end - start >= MIN_NEEDLE) out.push(encoded.slice(start, end));
  }
  return out;
}

/** The plain value and its obvious encodings: URL (both styles), base64, base64url, hex, JSON string escaping. */
export function encodingsOf(value: string): { encoding: string; text: string }[] {
  const bytes = Buffer.from(value, 'utf8');
  const candidates: { encoding: string; text: string }[] = [
    { encoding: 'plain', text: value },
    { encoding: 'URL-encoded', text: encodeURIComponent(value) },
    { encoding: 'form-URL-encoded', text: new URLSearchParams({ v: value }).toString().slice(2) },
    { encoding: 'double URL-encoded', text: encodeURIComponent(encodeURIComponent(value)) },
    { encoding: 'JSON-escaped', text: JSON.stringify(value).slice(1, -1) },
    { encoding: 'hex', text: bytes.toString('hex') },
    { encoding: 'HEX', text: bytes.toString('hex').toUpperCase() },
    ...base64Runs(bytes, 'base64').map((text) => ({ encoding: 'base64', text })),
    ...base64Runs(bytes, 'base64url').map((text) => ({ encoding: 'base64url', text })),
  ];
  const seen = new Set<string>();
  return candidates.filter((c) => {
    if (c.text.length < MIN_NEEDLE || seen.has(c.text)) return false;
    seen.add(c.text);
    return true;
  });
}

export class SecretCanaries {
  private readonly needles: Needle[] = [];
  private readonly values = new Set<string>();

  /** Registers a secret under a label (the label, never the value, is what a finding shows). */
  add(label: string, value: string | undefined): void {
    if (value === undefined || value.length < MIN_NEEDLE || this.values.has(value)) return;
    this.values.add(value);
    for (const e of encodingsOf(value)) this.needles.push({ label, encoding: e.encoding, text: e.text });
  }

  get size(): number {
    return this.values.size;
  }

  /** `<artefact>: <secret label> (<encoding>)` for every canary found; empty when nothing leaked. */
  findLeaks(artefacts: Iterable<Artefact>): string[] {
    const out = new Set<string>();
    for (const a of artefacts) {
      for (const n of this.needles) {
        if (a.text.includes(n.text)) out.add(`${a.name}: ${n.label} (${n.encoding})`);
      }
    }
    return [...out].sort();
  }
}

/**
 * What an object of the lake holds, as text to search: the bytes themselves (latin1, so any byte sequence is kept),
 * and decoded forms: gunzipped raw JSON, and the rows of a Parquet object (whose pages are ZSTD-compressed).
 */
export function objectArtefacts(key: string, bytes: Uint8Array, where: string): Artefact[] {
  const out: Artefact[] = [{ name: `${where} ${key} (bytes)`, text: Buffer.from(bytes).toString('latin1') }];
  if (key.endsWith('.gz')) {
    out.push({ name: `${where} ${key} (gunzipped)`, text: gunzipSync(bytes).toString('utf8') });
  }
  const table = /(?:^|\/)tables\/([^/]+)\//.exec(key)?.[1];
  if (key.endsWith('.parquet') && table && (TABLE_NAMES as readonly string[]).includes(table)) {
    const rows = readParquet(table as TableName, bytes);
    out.push({
      name: `${where} ${key} (Parquet rows)`,
      text: JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    });
  } else if (!key.endsWith('.gz')) {
    out.push({ name: `${where} ${key} (utf8)`, text: Buffer.from(bytes).toString('utf8') });
  }
  return out;
}

/** Everything written to stdout and stderr (and the console) while capturing, line by line. */
export class OutputCapture {
  readonly chunks: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  private restore: (() => void) | undefined;

  /** Starts capturing; `echo` also passes the output on (off by default: a leak test's output may hold secrets). */
  start(echo = false): void {
    if (this.restore) return;
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const consoleMethods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
    const savedConsole = consoleMethods.map((m) => [m, console[m]] as const);
    const patch = (stream: 'stdout' | 'stderr', original: typeof process.stdout.write) =>
      ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        this.chunks.push({ stream, text: typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8') });
        const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        if (echo) return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
        callback?.();
        return true;
      }) as typeof process.stdout.write;
    process.stdout.write = patch('stdout', out);
    process.stderr.write = patch('stderr', err);
    for (const m of consoleMethods) {
      console[m] = (...parts: unknown[]) => {
        this.chunks.push({
          stream: m === 'log' || m === 'info' || m === 'debug' ? 'stdout' : 'stderr',
          text: `${parts.map((p) => (typeof p === 'string' ? p : (JSON.stringify(p) ?? String(p)))).join(' ')}\n`,
        });
      };
    }
    this.restore = () => {
      process.stdout.write = out;
      process.stderr.write = err;
      for (const [m, f] of savedConsole) console[m] = f;
    };
  }

  stop(): void {
    this.restore?.();
    this.restore = undefined;
  }

  text(stream?: 'stdout' | 'stderr'): string {
    return this.chunks
      .filter((c) => stream === undefined || c.stream === stream)
      .map((c) => c.text)
      .join('');
  }

  /** One artefact per line: log lines (Powertools JSON), EMF metric lines, printed reports. */
  artefacts(what: string): Artefact[] {
    const out: Artefact[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      this.text(stream)
        .split('\n')
        .forEach((line, i) => {
          if (line.trim() === '') return;
          const kind = line.includes('"_aws"') ? 'EMF metrics line' : 'line';
          out.push({ name: `${what} ${stream} ${kind} ${i + 1}`, text: line });
        });
    }
    return out;
  }
}

/** Every message of an error and of its causes, with names and stacks: what a logger serialising it could print. */
export function errorArtefacts(name: string, err: unknown): Artefact[] {
  const out: Artefact[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof Error) {
      out.push({ name: `${name} (cause depth ${depth})`, text: `${e.name}: ${e.message}\n${e.stack ?? ''}` });
      e = e.cause;
    } else {
      out.push({ name: `${name} (cause depth ${depth})`, text: String(e) });
      break;
    }
  }
  return out;
}
