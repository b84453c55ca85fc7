// Reading vendor values: numbers that arrive as numbers or strings ("12", "722.0"), sentinels that mean
// "no data", JSON-in-a-string and base64 blobs. Every failure is a MalformedPayloadError naming the field.

import { AuthExpiredError, MalformedPayloadError, redact } from './errors.ts';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A number from a number or a numeric string; null/undefined/'' -> null; anything else is malformed. */
export function num(value: unknown, field: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw new MalformedPayloadError(field, `not a finite number: ${value}`);
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return null;
    const n = Number(text);
    if (Number.isFinite(n)) return n;
    throw new MalformedPayloadError(field, `not a number: ${JSON.stringify(value.slice(0, 40))}`);
  }
  throw new MalformedPayloadError(field, `expected a number, got ${typeof value}`);
}

/** Like num, but a missing value is malformed too. */
export function requiredNum(value: unknown, field: string): number {
  const n = num(value, field);
  if (n === null) throw new MalformedPayloadError(field, 'missing');
  return n;
}

/** num, with the given sentinel values ("not available") mapped to null. */
export function numOrNull(value: unknown, field: string, sentinels: readonly number[]): number | null {
  const n = num(value, field);
  return n === null || sentinels.includes(n) ? null : n;
}

/** A non-empty string or null; numbers are stringified (vendor ids come either way). */
export function str(value: unknown, field: string): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new MalformedPayloadError(field, `expected a string, got ${typeof value}`);
}

/** A JSON value given either as a JSON string or already parsed; '' and absent -> undefined. */
export function jsonField(value: unknown, field: string): unknown {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (cause) {
    throw new MalformedPayloadError(field, 'not valid JSON', { cause });
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 (padded, standard alphabet): a truncated or corrupted blob is malformed, not garbage. */
export function base64Bytes(value: unknown, field: string): Buffer {
  if (value === null || value === undefined) return Buffer.alloc(0);
  if (typeof value !== 'string')
    throw new MalformedPayloadError(field, `expected a base64 string, got ${typeof value}`);
  if (value.length % 4 !== 0 || !BASE64.test(value)) {
    throw new MalformedPayloadError(field, `not valid base64 (length ${value.length})`);
  }
  return Buffer.from(value, 'base64');
}

/** What a legacy `*.json` envelope's `code` means (reference §7): the one reader of that envelope. */
export type LegacyEnvelopeKind = 'ok' | 'auth' | 'mutex' | 'parameter' | 'other';

const LEGACY_AUTH_CODES: ReadonlySet<number> = new Set([0, 100302]);
const LEGACY_PARAMETER_CODES: ReadonlySet<number> = new Set([50000, 103001]);

/**
 * What a legacy envelope `code` means: 1 success; 0/100302 the app token is not valid; -1 another device logged
 * in; 50000/103001 a parameter error.
 */
export function legacyCodeKind(code: number): LegacyEnvelopeKind {
  if (code === 1) return 'ok';
  if (LEGACY_AUTH_CODES.has(code)) return 'auth';
  if (code === -1) return 'mutex';
  if (LEGACY_PARAMETER_CODES.has(code)) return 'parameter';
  return 'other';
}

/** Legacy `*.json` envelope check for a decoder: success passes, an invalid token is AuthExpiredError, else malformed. */
export function checkLegacyEnvelope(body: JsonObject): void {
  const code = num(body.code, 'code');
  const kind = code === null ? 'other' : legacyCodeKind(code);
  if (kind === 'ok') return;
  const message = typeof body.message === 'string' ? redact(body.message).slice(0, 200) : '';
  if (kind === 'auth') {
    throw new AuthExpiredError(`the vendor rejected the app token (code ${code}${message ? `: ${message}` : ''})`);
  }
  throw new MalformedPayloadError('code', `expected 1 (success), got ${String(code)}${message ? `: ${message}` : ''}`);
}
