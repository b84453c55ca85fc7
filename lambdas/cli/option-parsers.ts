// Option values checked where commander parses them (from the command line or the environment), so every command
// refuses the same bad value with the same words and the usage exit status (2) before it opens a lake, reads or
// deletes anything, or calls a vendor.

import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, parse, relative, resolve } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
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

/** A folder's path with every symbolic link resolved, as far as the folders on the way exist. */
function realFolder(path: string): string {
  const rest: string[] = [];
  for (let existing = resolve(path); ; existing = dirname(existing)) {
    try {
      return join(realpathSync(existing), ...rest);
    } catch {
      if (dirname(existing) === existing) return resolve(path);
      rest.unshift(basename(existing));
    }
  }
}

/** `inner` is `outer` or a folder below it. */
function isWithin(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A combination of option values that cannot work; exit status 2 like any bad option value. */
export class OptionValueError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OptionValueError';
  }
}

/**
 * The lake and the home folder together: the lake must not be the home folder or inside it, where deleting a
 * user's data and the state or token files would share one folder.
 */
export function checkLocalFolders(lakeDir: string, homeDir: string): void {
  const lake = realFolder(lakeDir);
  const home = realFolder(homeDir);
  if (isWithin(lake, home)) {
    throw new OptionValueError(
      `the lake (${lake}) ${lake === home ? 'is' : 'is inside'} the home folder (${home}), which holds the state and token files: give them separate folders, e.g. --lake ./lake --home ./.zepp-lake.`,
    );
  }
}

const BUCKET_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const BUCKET_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/**
 * What is wrong with an S3 general purpose bucket name, or undefined when it is valid: 3-63 lowercase letters,
 * digits, dots and hyphens, starting and ending with a letter or digit, no `..`, not an IP address, no reserved
 * prefix or suffix (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'a bucket name has 3 to 63 characters';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return 'a bucket name has only lowercase letters, digits, "." and "-", and starts and ends with a letter or digit';
  }
  if (name.includes('..')) return 'a bucket name has no two dots in a row';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'a bucket name is not an IP address';
  const prefix = BUCKET_RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `a bucket name does not start with the reserved "${prefix}"`;
  const suffix = BUCKET_RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `a bucket name does not end with the reserved "${suffix}"`;
  return undefined;
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
