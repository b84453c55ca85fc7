// The one HTTP transport of the vendor clients (Zepp and huami-open): what a vendor answer means is the
// client's business; how a request is sent, timed out, retried and redacted is this file's.
//
// Transport rules: every call has a timeout (AbortController) and a bounded retry budget with full-jitter
// exponential backoff for 429, 409/500/502/503/504, network errors, timeouts and unparseable JSON bodies
// (the simulator truncates bodies at random, as flaky proxies do), honouring `Retry-After`. Error messages go
// through `redact()`: a URL or body excerpt never carries a token out.

import { RateLimitedError, redact, UpstreamError } from '../core/errors.ts';

export interface HttpOptions {
  fetch?: typeof fetch;
  /** Per attempt, including reading the body. Default 20000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** Backoff base: attempt n waits a random time in [0, min(maxDelayMs, baseDelayMs * 2^n)). Default 500. */
  baseDelayMs?: number;
  /** Upper bound for one wait, Retry-After included. Default 30000. */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (info: { url: string; attempt: number; reason: string; delayMs: number }) => void;
}

export interface RawResponse {
  /** path + query, token-free */
  url: string;
  status: number;
  /** exact body */
  text: string;
  /** parsed JSON */
  body: unknown;
  fetchedAt: number;
}

/** Statuses worth another try: rate limit, conflicts and server-side failures (Zepp reference §7). */
const TRANSIENT_STATUSES = new Set([409, 429, 500, 502, 503, 504]);

/** HttpOptions with every default filled in; shared with the huami-open client. */
export interface ResolvedHttp {
  fetch: typeof fetch;
  timeoutMs: number;
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  onRetry?: HttpOptions['onRetry'];
}

export function resolveHttp(http: HttpOptions | undefined): ResolvedHttp {
  return {
    fetch: http?.fetch ?? globalThis.fetch,
    timeoutMs: http?.timeoutMs ?? 20_000,
    maxRetries: Math.max(0, http?.maxRetries ?? 4),
    baseDelayMs: http?.baseDelayMs ?? 500,
    maxDelayMs: http?.maxDelayMs ?? 30_000,
    sleep: http?.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: http?.random ?? Math.random,
    onRetry: http?.onRetry,
  };
}

/** A failed attempt that may succeed when repeated; `toError` builds the error thrown once the budget is spent. */
export class Transient {
  constructor(
    readonly reason: string,
    readonly toError: () => Error,
    readonly retryAfterMs?: number,
  ) {}
}

export interface Exchange {
  status: number;
  headers: Headers;
  text: string;
}

/** Milliseconds from a Retry-After header (delta seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export function backoffDelay(http: ResolvedHttp, attempt: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) return Math.min(http.maxDelayMs, retryAfterMs);
  const ceiling = Math.min(http.maxDelayMs, http.baseDelayMs * 2 ** attempt);
  return Math.floor(http.random() * ceiling);
}

/** Keeps a failure's kind and code for debugging without carrying anything that could hold a secret. */
export function sanitizedCause(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  const inner = e.cause instanceof Error ? e.cause : undefined;
  const innerCode = inner && 'code' in inner ? ` [${String((inner as { code?: unknown }).code)}]` : '';
  const detail = inner ? ` (${inner.message})${innerCode}` : '';
  const out = new Error(redact(`${e.message}${detail}`));
  out.name = e.name;
  return out;
}

/** Short, redacted excerpt of a body for an error message. */
export function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return redact(flat.length > 160 ? `${flat.slice(0, 160)}…` : flat);
}

/**
 * One HTTP attempt: a response whose status is transient becomes a Transient, as do timeouts and network
 * errors (including a body cut off mid-stream). Any other status is returned for the caller to interpret.
 */
export async function exchangeOnce(
  http: ResolvedHttp,
  url: string,
  init: RequestInit,
  displayUrl: string,
): Promise<Exchange | Transient> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), http.timeoutMs);
  try {
    const res = await http.fetch(url, { ...init, signal: controller.signal });
    const text = await res.text();
    if (TRANSIENT_STATUSES.has(res.status)) {
      const status = res.status;
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
      const what = `${displayUrl}: HTTP ${status}${text ? ` ${excerpt(text)}` : ''}`;
      return new Transient(
        `HTTP ${status}`,
        status === 429
          ? () => new RateLimitedError(redact(`${what} (still rate limited after the retries)`), retryAfterMs)
          : () => new UpstreamError(redact(`${what} (still failing after the retries)`), status),
        retryAfterMs,
      );
    }
    return { status: res.status, headers: res.headers, text };
  } catch (err) {
    const timedOut = controller.signal.aborted;
    const reason = timedOut ? `timeout after ${http.timeoutMs} ms` : `network error: ${sanitizedCause(err).message}`;
    return new Transient(
      reason,
      () =>
        new UpstreamError(redact(`${displayUrl}: ${reason} (still failing after the retries)`), undefined, {
          cause: sanitizedCause(err),
        }),
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `attempt` until it yields a value, throws, or the retry budget is spent. */
export async function withRetries<T>(
  http: ResolvedHttp,
  displayUrl: string,
  attempt: () => Promise<T | Transient>,
): Promise<T> {
  for (let n = 0; ; n++) {
    const result = await attempt();
    if (!(result instanceof Transient)) return result;
    if (n >= http.maxRetries) throw result.toError();
    const delayMs = backoffDelay(http, n, result.retryAfterMs);
    http.onRetry?.({ url: redact(displayUrl), attempt: n + 1, reason: redact(result.reason), delayMs });
    await http.sleep(delayMs);
  }
}

/** One request through the transport: each attempt under the timeout, transient failures retried by the budget. */
export function sendWithRetries(
  http: ResolvedHttp,
  request: { url: string; init: () => RequestInit; displayUrl: string },
): Promise<Exchange> {
  return withRetries(http, request.displayUrl, () =>
    exchangeOnce(http, request.url, request.init(), request.displayUrl),
  );
}

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}
