// Fault injection for the simulator: which failure (if any) a data request meets. Decisions come from a
// seeded PRNG in request order, so a run with the same requests meets the same faults.

import { Rng } from './people/rng.ts';

/** A probability per eligible request, `'once'`, or `{count: N}` (the next N eligible requests). */
export type FaultRate = number | 'once' | { count: number };

export const RATE_FAULTS = [
  '429',
  '500',
  '502',
  '503',
  '5xx',
  'slow',
  'truncate',
  'expire-legacy',
  'expire-rest',
  'malformed',
] as const;
export type RateFault = (typeof RATE_FAULTS)[number];

export interface FaultSpec {
  '429'?: FaultRate;
  '500'?: FaultRate;
  '502'?: FaultRate;
  '503'?: FaultRate;
  /** One of 500/502/503, picked by the PRNG. */
  '5xx'?: FaultRate;
  /** Answer after `slowMs` (past a client timeout). */
  slow?: FaultRate;
  /** Send only the first half of the JSON body (with a matching Content-Length). */
  truncate?: FaultRate;
  /** Revoke the user's app tokens on a legacy `*.json` request: 200 `{code:0}` until re-minted. */
  'expire-legacy'?: FaultRate;
  /** Revoke the user's app tokens on a REST `/users/...` request: 401 `{code:102}` until re-minted. */
  'expire-rest'?: FaultRate;
  /** Answer 200 with valid JSON whose payload is broken (a summary that is not base64 JSON, items that are not a list). */
  malformed?: FaultRate;
  /** 429s come without a `Retry-After` header (the client must back off on its own). */
  'no-retry-after'?: boolean;
  /** Every workout history page after the first starts again with the previous page's last trackid. */
  'repeat-trackid'?: boolean;
  /** Workouts per history page (default HISTORY_PAGE_SIZE, 200); small pages make paging faults reachable. */
  historyPageSize?: number;
  /** Data calls answer success with nothing in them; the devices list still shows recent activity. */
  'wrong-region'?: boolean;
  /** Answer 500 `{code:-50000}` when the `appPlatform` / `appname` headers are missing. */
  'require-app-headers'?: boolean;
  /** Delay of a `slow` answer, ms (default 3000). */
  slowMs?: number;
  /** `Retry-After` of a 429, seconds (default 1). */
  retryAfterS?: number;
  /** Seed of the fault PRNG (default: the simulator's seed). */
  seed?: number;
}

export type FaultKind = 'legacy' | 'rest';

/** What the server should do with one data request. */
export type FaultDecision =
  | { fault: 'none' }
  | { fault: '429'; retryAfterS: number | null }
  | { fault: '500' | '502' | '503' }
  | { fault: 'slow'; delayMs: number }
  | { fault: 'truncate' }
  | { fault: 'malformed' }
  | { fault: 'expire-legacy' | 'expire-rest' };

function parseRate(name: string, value: string | undefined): FaultRate {
  if (value === undefined || value === '' || value === 'once') return 'once';
  if (/^\d+$/.test(value)) return { count: Number(value) };
  const p = Number(value);
  if (!Number.isFinite(p) || p < 0 || p > 1) throw new RangeError(`fault ${name}: bad rate ${value}`);
  return p;
}

/**
 * `429:0.1,500:0.05,slow:0.02,truncate:0.02,expire-legacy:once,expire-rest:2,wrong-region,slow-ms:3000,retry-after:2`.
 * A value with a dot (or 0/1 written as 0.0/1.0) is a rate, `once` or an integer is a count, no value means once.
 */
export function parseFaultSpec(spec: string): FaultSpec {
  const out: FaultSpec = {};
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    if (part === '' || part === 'none') continue;
    const colon = part.indexOf(':');
    const name = colon < 0 ? part : part.slice(0, colon);
    const value = colon < 0 ? undefined : part.slice(colon + 1);
    if (
      name === 'wrong-region' ||
      name === 'require-app-headers' ||
      name === 'no-retry-after' ||
      name === 'repeat-trackid'
    ) {
      out[name] = value === undefined || value === 'true' || value === 'on';
    } else if (name === 'slow-ms' || name === 'retry-after' || name === 'seed' || name === 'history-page') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new RangeError(`fault option ${name}: bad value ${value}`);
      if (name === 'history-page' && n < 2)
        throw new RangeError(`fault option history-page: needs 2 or more, got ${n}`);
      if (name === 'slow-ms') out.slowMs = n;
      else if (name === 'retry-after') out.retryAfterS = n;
      else if (name === 'history-page') out.historyPageSize = n;
      else out.seed = n;
    } else if ((RATE_FAULTS as readonly string[]).includes(name)) {
      out[name as RateFault] = parseRate(name, value);
    } else {
      throw new RangeError(
        `unknown fault ${name}; known: ${[...RATE_FAULTS, 'wrong-region', 'require-app-headers', 'no-retry-after', 'repeat-trackid', 'history-page'].join(', ')}`,
      );
    }
  }
  return out;
}

/** Which rate faults apply to which request kind, in the order they are drawn. */
const ORDER: readonly RateFault[] = [
  'expire-legacy',
  'expire-rest',
  '429',
  '500',
  '502',
  '503',
  '5xx',
  'slow',
  'truncate',
  'malformed',
];

export class FaultInjector {
  private spec: FaultSpec = {};
  private rng: Rng;
  private readonly remaining = new Map<RateFault, number>();
  readonly fired: Record<string, number> = {};
  constructor(spec: FaultSpec | string | undefined, seed: number) {
    this.rng = new Rng(seed);
    this.set(spec ?? {});
  }

  /** Replaces the spec; count modes start again, the PRNG is reseeded only when the spec names a seed. */
  set(spec: FaultSpec | string): void {
    this.spec = typeof spec === 'string' ? parseFaultSpec(spec) : { ...spec };
    if (this.spec.seed !== undefined) this.rng = new Rng(this.spec.seed);
    this.remaining.clear();
    for (const name of ORDER) {
      const rate = this.spec[name];
      if (rate === 'once') this.remaining.set(name, 1);
      else if (typeof rate === 'object') this.remaining.set(name, rate.count);
    }
  }

  get wrongRegion(): boolean {
    return this.spec['wrong-region'] === true;
  }

  get requireAppHeaders(): boolean {
    return this.spec['require-app-headers'] === true;
  }

  get repeatTrackId(): boolean {
    return this.spec['repeat-trackid'] === true;
  }

  /** Workouts per history page, when the spec overrides the server's default. */
  get historyPageSize(): number | undefined {
    return this.spec.historyPageSize;
  }

  count(name: string): void {
    this.fired[name] = (this.fired[name] ?? 0) + 1;
  }

  private fires(name: RateFault): boolean {
    const rate = this.spec[name];
    if (rate === undefined) return false;
    if (typeof rate === 'number') return this.rng.next() < rate;
    const left = this.remaining.get(name) ?? 0;
    if (left <= 0) return false;
    this.remaining.set(name, left - 1);
    return true;
  }

  /** The fault for one data request of the given kind; counted in `fired`. */
  decide(kind: FaultKind): FaultDecision {
    for (const name of ORDER) {
      if (name === 'expire-legacy' && kind !== 'legacy') continue;
      if (name === 'expire-rest' && kind !== 'rest') continue;
      if (!this.fires(name)) continue;
      const decision = this.toDecision(name);
      this.count(decision.fault);
      return decision;
    }
    return { fault: 'none' };
  }

  private toDecision(name: RateFault): FaultDecision {
    switch (name) {
      case '429':
        return { fault: '429', retryAfterS: this.spec['no-retry-after'] ? null : (this.spec.retryAfterS ?? 1) };
      case '5xx':
        return { fault: this.rng.pick(['500', '502', '503'] as const) };
      case '500':
      case '502':
      case '503':
        return { fault: name };
      case 'slow':
        return { fault: 'slow', delayMs: this.spec.slowMs ?? 3000 };
      case 'truncate':
        return { fault: 'truncate' };
      case 'malformed':
        return { fault: 'malformed' };
      case 'expire-legacy':
      case 'expire-rest':
        return { fault: name };
    }
  }
}
