// Typed errors shared by core, adapters and handlers. None of them ever carries a token.

/** A vendor payload that cannot be decoded: names the field that was wrong. */
export class MalformedPayloadError extends Error {
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${message}`, options);
    this.name = 'MalformedPayloadError';
  }
}

/** The token was rejected (legacy code 0/100302, REST 401 code 102, OAuth invalid_grant). */
export class AuthExpiredError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthExpiredError';
  }
}

/** The vendor kept answering 429 after the bounded retries. */
export class RateLimitedError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RateLimitedError';
  }
}

/** 5xx, timeouts, connection errors and unexpected statuses after the bounded retries. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}

/** Bad credentials or a login the vendor refused (wrong password, error_code 0106/0113/0115/0117). */
export class LoginError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LoginError';
  }
}

/** A conditional write lost a race (S3 If-Match / If-None-Match, DynamoDB condition). */
export class WriteConflictError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WriteConflictError';
  }
}

/** Another worker holds the user's lease. */
export class LeaseHeldError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LeaseHeldError';
  }
}

/**
 * A write to the lake's own storage (a raw response, a month object, the ledger) failed: the user's run stopped
 * there, its days are marked failed where the state store still takes entries, and the next run fetches them again.
 */
export class StorageWriteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageWriteError';
  }
}

const SECRET_PATTERNS: RegExp[] = [
  /((?:app_?token|login_?token|access_?token|refresh_?token|token|password|access|client_secret|signature)["']?\s*[:=]\s*["']?)[^"'&\s,;}]+/gi,
  // A login or OAuth `code` is a secret; a vendor status code (`"code":-50000`, `error_code`, `countryCode`) is
  // not, and hiding it would hide why a call failed.
  /((?<![\w-])code["']?\s*[:=]\s*["']?)(?!-?\d{1,6}(?![^"'&\s,;}]))[^"'&\s,;}]+/gi,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]+/g,
  /(apptoken:\s*)\S+/gi,
];

/** Removes anything that looks like a token, password, code or signature from a message. */
export function redact(text: string): string {
  let out = text;
  for (const p of SECRET_PATTERNS) out = out.replace(p, '$1[redacted]');
  return out;
}
