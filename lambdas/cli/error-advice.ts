// What the command line says when something goes wrong: one message per kind of failure that names what
// happened and what to do next, and a stable exit status per kind. Messages are redacted before printing.

import {
  AuthExpiredError,
  LeaseHeldError,
  LoginError,
  MalformedPayloadError,
  RateLimitedError,
  redact,
  StorageWriteError,
  UpstreamError,
  WriteConflictError,
} from '../core/errors.ts';
import type { SourceId } from '../core/ports.ts';
import { FileLockLostError, FileLockTimeoutError, LOCK_STALE_MS } from '../stores/file-lock.ts';

/**
 * Exit statuses of every `zepp-lake` command:
 * 0 ok; 1 needs attention (`status`: failed days, lost authorisation, wrong region, no recent sync);
 * 2 usage or input error (bad option or value, unknown user, wrong e-mail or password, wrong host, or any
 * unexpected error); 3 the stored authorisation no longer works (a revoked login token, expired or revoked
 * huami-open consent, no tokens): log in again; 4 temporarily unavailable (login or API throttled, vendor
 * or network down, another sync or replay of the user running, the lake's storage refusing writes): try again later.
 */
export const EXIT = { ok: 0, needsAttention: 1, usage: 2, auth: 3, unavailable: 4 } as const;

export const EXIT_CODES_HELP = `
Exit status:
  0  ok
  1  needs attention (status: failed days, lost authorisation, wrong region or no recent sync)
  2  usage or input error (bad option, unknown user, wrong e-mail or password, wrong host, unexpected error)
  3  the stored authorisation no longer works: log in again (login token revoked, consent expired, no tokens)
  4  temporarily unavailable (throttled, vendor or network down, another sync or replay running, the lake's
     storage refusing writes): try again later`;

export interface Advice {
  exitCode: number;
  /** One line (or two): what happened, then what to do. Already redacted. */
  message: string;
}

/** What to do when the lake's storage refused a write (a whole command, or one user's run in a sync). */
export const STORAGE_ADVICE =
  "the lake's storage refused a write: check that the lake folder or bucket can be written (disk space, permissions), then run the command again; nothing already fetched is lost";

export const REGION_HOSTS = 'https://api-mifit-de2.huami.com (EU) or https://api-mifit-us2.huami.com (US)';

/** What a stored-authorisation failure means, from the error text the engine recorded (or threw). */
export type AuthProblem = 'revoked' | 'consent_expired' | 'no_tokens' | 'expired';

export function classifyAuthError(text: string): AuthProblem {
  if (/consent|authorize/i.test(text)) return 'consent_expired';
  if (/no tokens|has no (app|login|huami-open) token|no client secret/i.test(text)) return 'no_tokens';
  if (/login token .*no longer works/i.test(text)) return 'revoked';
  return 'expired';
}

export interface LoginHint {
  userId?: string;
  source?: SourceId | string;
  email?: string;
  host?: string;
  clientId?: string;
  /** `--backend aws`: users live in a deployed stack and are added with `users add --backend aws`. */
  aws?: boolean;
}

/** The command that gives the user working credentials again. */
export function loginCommand(h: LoginHint): string {
  const host = h.host ? ` --host ${h.host}` : '';
  if (h.source === 'huami-open') {
    return `zepp-lake users add${h.aws ? ' --backend aws' : ''} --source huami-open --client-id ${h.clientId ?? '<client id>'}${host}`;
  }
  const email = `--email ${h.email ?? '<your e-mail>'}`;
  return h.aws ? `zepp-lake users add --backend aws --source zepp ${email}${host}` : `zepp-lake login ${email}${host}`;
}

/** One sentence per auth problem, ending with the command to run. */
export function authAdvice(problem: AuthProblem, h: LoginHint): string {
  const cmd = `\`${loginCommand(h)}\``;
  switch (problem) {
    case 'consent_expired':
      return `the huami-open consent expired or was revoked: authorize zepp-lake again with ${cmd}`;
    case 'no_tokens':
      return `no working credentials are stored${h.userId ? ` for user ${h.userId}` : ''}: run ${cmd}`;
    case 'revoked':
      return `the stored login token no longer works (password changed or the account was logged out): run ${cmd} again`;
    case 'expired':
      return `the vendor refused the stored token: run ${cmd} again`;
  }
}

function hostOf(message: string): string | undefined {
  return /https?:\/\/[^\s/]+/.exec(message)?.[0];
}

function loginAdvice(err: LoginError, msg: string): Advice {
  switch (err.code) {
    case '0113':
      return {
        exitCode: EXIT.usage,
        message: `${msg}\n  the account lives in another region: run \`zepp-lake login --host <region host>\` with ${REGION_HOSTS}`,
      };
    case '0115':
      return { exitCode: EXIT.usage, message: `${msg}\n  the vendor disabled this account; check it in the Zepp app` };
    case '0117':
      return { exitCode: EXIT.usage, message: `${msg}\n  check the e-mail (--email or ZEPP_LAKE_EMAIL)` };
    case '0106':
      return { exitCode: EXIT.unavailable, message: `${msg}\n  run the same command again in a minute` };
    default:
      return {
        exitCode: EXIT.usage,
        message:
          `${msg}\n  the vendor did not accept this e-mail and password; check both (--email or ZEPP_LAKE_EMAIL, ` +
          'ZEPP_LAKE_PASSWORD or the prompt) and run the command again; several failures in a row can get the login throttled for a while',
      };
  }
}

function rateLimitAdvice(err: RateLimitedError, raw: string, msg: string): Advice {
  const isLogin = /client\/login|registrations|app_tokens|oauth/i.test(raw);
  const wait = err.retryAfterMs ? ` (the vendor asked for ${Math.ceil(err.retryAfterMs / 1000)} s)` : '';
  const advice = isLogin
    ? `the vendor is throttling logins${wait}: wait a few minutes, then run the command once more; do not retry in a loop (every fresh login can also log your phone app out)`
    : `the vendor is throttling requests${wait}: wait a few minutes and run the command again; days already fetched are kept`;
  return { exitCode: EXIT.unavailable, message: `${msg}\n  ${advice}` };
}

function upstreamAdvice(err: UpstreamError, raw: string, msg: string, hint: LoginHint): Advice {
  const host = hostOf(raw) ?? hint.host;
  if (/network error|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|fetch failed|timeout/i.test(raw)) {
    return {
      exitCode: EXIT.unavailable,
      message: `${msg}\n  cannot reach ${host ?? 'the vendor'}: check the network connection, and --host / ZEPP_LAKE_HOST if you set one; then run the command again`,
    };
  }
  if (err.status !== undefined && err.status >= 500) {
    return {
      exitCode: EXIT.unavailable,
      message: `${msg}\n  the vendor's servers are failing: run the command again later; nothing is lost`,
    };
  }
  return {
    exitCode: EXIT.usage,
    message: `${msg}\n  the host did not answer like the vendor API: check --host / ZEPP_LAKE_HOST (region hosts: ${REGION_HOSTS})`,
  };
}

/** Errors of this machine's side (the lease, local storage, file locks, a concurrent writer); else undefined. */
function localAdvice(err: unknown, msg: string): Advice | undefined {
  if (err instanceof LeaseHeldError) {
    return {
      exitCode: EXIT.unavailable,
      message: `${msg}\n  another sync or replay of this user is running: let it finish (a crashed worker's lease expires after 15 minutes)`,
    };
  }
  if (err instanceof StorageWriteError) {
    return {
      exitCode: EXIT.unavailable,
      message: `${msg}\n  ${STORAGE_ADVICE}`,
    };
  }
  if (err instanceof FileLockTimeoutError || err instanceof FileLockLostError) {
    return {
      exitCode: EXIT.unavailable,
      message: `${msg}\n  another zepp-lake process keeps using it: let it finish, then run the command again (a lock left by a killed process is taken over after ${LOCK_STALE_MS / 1000} s)`,
    };
  }
  if (err instanceof WriteConflictError) {
    return {
      exitCode: EXIT.unavailable,
      message: `${msg}\n  another process wrote at the same time: run the command again`,
    };
  }
  return undefined;
}

function adviceFor(err: unknown, raw: string, msg: string, hint: LoginHint): Advice {
  if (err instanceof LoginError) return loginAdvice(err, msg);
  if (err instanceof RateLimitedError) return rateLimitAdvice(err, raw, msg);
  if (err instanceof AuthExpiredError) {
    return { exitCode: EXIT.auth, message: `${msg}\n  ${authAdvice(classifyAuthError(raw), hint)}` };
  }
  if (err instanceof UpstreamError) return upstreamAdvice(err, raw, msg, hint);
  if (err instanceof MalformedPayloadError) {
    return {
      exitCode: EXIT.usage,
      message: `${msg}\n  the answer is not what the vendor API sends: check --host / ZEPP_LAKE_HOST; if the host is right, the vendor changed its API (please open an issue)`,
    };
  }
  return localAdvice(err, msg) ?? { exitCode: EXIT.usage, message: msg };
}

/** Maps any error that reached the top of a command to its message and exit status. */
export function adviseError(err: unknown, hint: LoginHint = {}): Advice {
  const raw = err instanceof Error ? err.message : String(err);
  const out = adviceFor(err, raw, redact(raw), hint);
  return { exitCode: out.exitCode, message: redact(out.message) };
}
