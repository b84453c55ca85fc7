// The one rule for a user id. A user id becomes part of object keys (`tables/.../user-<id>.parquet`,
// `raw/<source>/<endpoint>/user-<id>/...`), of state keys (`<id>#<stream>`) and of secret names, so an id like
// `../x`, `a/b` or one with a NUL could reach outside the user's own prefix. Real ids are short and tame:
// Zepp and the Huami Web API send numeric strings (`1000000001`), the simulator and tests use names (`alice`).

/** A letter or digit, then up to 127 of letters, digits, `_ . @ -`; never `..`. */
const USER_ID = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;

/** A user id that would be unsafe in a key, a path or a secret name. */
export class InvalidUserIdError extends Error {
  constructor(
    readonly userId: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid user id ${describe(userId)}: ${USER_ID_RULE}`, options);
    this.name = 'InvalidUserIdError';
  }
}

export const USER_ID_RULE =
  'a user id is 1-128 letters, digits, "_", ".", "@" or "-", starts with a letter or digit and has no ".."';

/** Shown quoted and short, with control characters escaped (JSON.stringify escapes them, NUL included). */
function describe(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
}

export function isValidUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID.test(value) && !value.includes('..');
}

/** Returns `value` when it is a valid user id; throws InvalidUserIdError otherwise. */
export function assertValidUserId(value: unknown): string {
  if (isValidUserId(value)) return value;
  throw new InvalidUserIdError(typeof value === 'string' ? value : String(value));
}
