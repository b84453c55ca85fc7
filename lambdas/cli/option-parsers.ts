// Option values checked where commander parses them, so every command refuses the same bad value with the
// same words and the usage exit status (2) before it opens a lake or calls a vendor.

import { InvalidArgumentError } from 'commander';
import { parseDate } from '../core/time.ts';
import { isValidUserId, USER_ID_RULE } from '../core/user-id.ts';

/** `--user <id>`: refused when it could not be a user id (`../x`, `a/b`, NUL...). */
export function userIdOption(value: string): string {
  if (!isValidUserId(value)) throw new InvalidArgumentError(USER_ID_RULE);
  return value;
}

/** `--from <date>` / `--to <date>`: a calendar day written YYYY-MM-DD (`2026-02-30` is refused). */
export function dateOption(value: string): string {
  try {
    parseDate(value);
  } catch {
    throw new InvalidArgumentError('it takes a date YYYY-MM-DD that exists in the calendar.');
  }
  return value;
}
