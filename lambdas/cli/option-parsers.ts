// Option values checked where commander parses them (from the command line or the environment), so every command
// refuses the same bad value with the same words and the usage exit status (2) before it opens a lake, reads or
// deletes anything, or calls a vendor.

import { homedir } from 'node:os';
import { parse, resolve } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { parseDate } from '../core/time.ts';
import { isValidUserId, USER_ID_RULE } from '../core/user-id.ts';
import { bucketNameProblem } from '../runtime/local.ts';

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

/** Hosts a plain http:// URL may name: this machine only, where nothing travels over a network. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * `--host <url>`: the base URL every vendor call goes to. Those calls carry the app token (and at login the
 * password), so the URL must be https://, except for this machine (the simulator); and it carries no user name
 * or password of its own, which would end up in error messages.
 */
export function hostOption(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('it takes a base URL such as https://api-mifit-de2.huami.com.');
  }
  if (url.username || url.password) {
    throw new InvalidArgumentError(`give the URL without a user name or password: ${url.protocol}//${url.host}`);
  }
  if (url.protocol === 'https:') return value;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return value;
  if (url.protocol === 'http:') {
    throw new InvalidArgumentError(
      `plain http:// would send your tokens unencrypted to ${url.host}: use https://${url.host}${url.pathname === '/' ? '' : url.pathname} (http:// is only for 127.0.0.1, localhost and [::1], e.g. the simulator).`,
    );
  }
  throw new InvalidArgumentError(
    `it takes an https:// URL, not ${url.protocol}// (e.g. https://${url.host || 'api-mifit-de2.huami.com'}).`,
  );
}

/** The `--host <url>` option of every command that calls a vendor (env ZEPP_LAKE_HOST, checked the same way). */
export function hostUrlOption(): Option {
  return new Option('--host <url>', 'send every vendor call to this base URL (https://; http:// only for 127.0.0.1)')
    .env('ZEPP_LAKE_HOST')
    .argParser(hostOption);
}

/**
 * `--lake <dir>` / `--home <dir>`: a folder of zepp-lake's own. Refused: `..` segments (they reach outside the
 * folder the path seems to name), a `~` the shell did not expand (it would make a folder called `~`), and the
 * file system root or the home folder itself (`users remove --delete-data` deletes in the lake; the home gets
 * the state and token files).
 */
export function folderOption(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('it takes a folder path.');
  const segments = value.split(/[\\/]+/);
  if (segments.includes('..')) {
    throw new InvalidArgumentError(
      `"${value}" has a ".." segment, which can reach outside the folder you meant: give the folder's own path (${resolve(value)}).`,
    );
  }
  if (segments[0]?.startsWith('~')) {
    throw new InvalidArgumentError(
      `"${value}" starts with a "~" that the shell did not expand (quoted, or set in a variable): write the full path, e.g. ${homedir()}${value.replace(/^~[^\\/]*/, '')}.`,
    );
  }
  const full = resolve(value);
  if (full === parse(full).root) {
    throw new InvalidArgumentError('that is the root folder itself: give a folder of its own, e.g. ./lake.');
  }
  if (full === resolve(homedir())) {
    throw new InvalidArgumentError(
      `that is your home folder itself (${full}): give a folder of its own inside it, e.g. ${resolve(homedir(), 'zepp-lake')}.`,
    );
  }
  return value;
}

/** `--bucket <name>`: the lake bucket's name as the stack outputs print it (not an s3:// URL or a path). */
export function bucketOption(value: string): string {
  const problem = bucketNameProblem(value);
  if (problem) {
    const hint = value.startsWith('s3://') ? ` (give the name alone: ${value.slice(5).split('/')[0]})` : '';
    throw new InvalidArgumentError(`"${value}" is not an S3 bucket name: ${problem}${hint}.`);
  }
  return value;
}
