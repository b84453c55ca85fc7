// `zepp-lake status`: per user and stream, the cursor, the ledger coverage, the oldest gap and the last errors,
// the state of the user's authorisation, and one line per problem saying what to do. It reads only the
// StateStore and TokenStore ports, so it answers the same for the local files and for a deployed stack.

import type { Command } from 'commander';
import type { LedgerEntry, StateStore, TokenStore, UserRecord, UserTokens } from '../core/ports.ts';
import { STREAMS } from '../core/ports.ts';
import { isStale } from '../core/staleness.ts';
import { type AuthProblem, authAdvice, classifyAuthError, EXIT_CODES_HELP, REGION_HOSTS } from './error-advice.ts';
import { userIdOption } from './option-parsers.ts';
import { CliError, type CliWiring, isAwsBackend, type Opts } from './wiring.ts';

/** `ok`, or why the stored authorisation does not work (see AuthProblem). */
export type AuthState = 'ok' | AuthProblem;

export interface Gap {
  /** YYYY-MM-DD, YYYY-MM, track:<trackid> or list:<date> (the ledger's period). */
  period: string;
  localDate: string;
  status: 'failed' | 'auth_failed';
  error: string | null;
}

export interface StreamStatus {
  stream: string;
  through: string | null;
  lastTrackId: number | null;
  /** When the stream's cursor last moved (ISO), i.e. its last successful window. */
  cursorUpdatedAt: string | null;
  written: number;
  empty: number;
  failed: number;
  authFailed: number;
  firstPeriod: string | null;
  lastPeriod: string | null;
  /** The oldest period still failed or auth_failed. */
  oldestGap: Gap | null;
  lastErrors: { period: string; error: string }[];
}

export type ActionCode = 'retry_failed' | 'login_again' | 'resync_auth_failed' | 'wrong_region' | 'stale';

export interface StatusAction {
  code: ActionCode;
  message: string;
}

export interface UserStatus {
  userId: string;
  source: string;
  /** One of the simulator's people (`npm start`): a plain `sync` leaves them alone. */
  simulated: boolean;
  enabled: boolean;
  firstDate: string | null;
  lastSuccessAt: string | null;
  auth: AuthState;
  wrongRegionSuspected: boolean;
  /** The oldest gap over every stream. */
  oldestGap: (Gap & { stream: string }) | null;
  needsAction: boolean;
  actions: StatusAction[];
  streams: StreamStatus[];
}

export interface StatusReport {
  generatedAt: string;
  users: UserStatus[];
}

export interface StatusOptions {
  tokens?: TokenStore;
  /** Only this user. */
  user?: string;
  now?: number;
  /** Runtime is `--backend aws` (advice names `users add --backend aws`). */
  aws?: boolean;
  /** No successful sync for longer than this needs attention (default STALE_AFTER_MS, 2 days). */
  staleAfterMs?: number;
}

function oldestOf<T extends { localDate: string; period: string }>(list: readonly T[]): T | undefined {
  return [...list].sort((a, b) => a.localDate.localeCompare(b.localDate) || a.period.localeCompare(b.period))[0];
}

function iso(ms: number | undefined): string | null {
  return ms ? new Date(ms).toISOString() : null;
}

/**
 * The authorisation state: no stored tokens, else what the newest auth_failed ledger entry says, unless the
 * tokens were renewed after it (a Zepp app token issued later): then `ok`, and the gap is only waiting for a sync.
 */
function authStateOf(
  tokens: UserTokens | undefined,
  authFailed: readonly LedgerEntry[],
  tokensKnown: boolean,
): { auth: AuthState; renewedSinceFailure: boolean } {
  if (tokensKnown) {
    const none = tokens?.source === 'huami-open' ? !tokens.refreshToken && !tokens.accessToken : !tokens?.loginToken;
    if (!tokens || none) return { auth: 'no_tokens', renewedSinceFailure: false };
  }
  const newest = [...authFailed].sort((a, b) => b.fetchedAt - a.fetchedAt)[0];
  if (!newest) return { auth: 'ok', renewedSinceFailure: false };
  if (tokens?.appTokenIssuedAt && tokens.appTokenIssuedAt > newest.fetchedAt) {
    return { auth: 'ok', renewedSinceFailure: true };
  }
  return { auth: classifyAuthError(newest.error ?? ''), renewedSinceFailure: false };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "3 days", "2 days and 1 workout": what a list of ledger periods is, in words. */
export function describePeriods(entries: readonly { period: string }[]): string {
  const workouts = entries.filter((e) => e.period.startsWith('track:')).length;
  const lists = entries.filter((e) => e.period.startsWith('list:')).length;
  const months = entries.filter((e) => /^\d{4}-\d{2}$/.test(e.period)).length;
  const days = entries.length - workouts - lists - months;
  const parts = [
    days ? plural(days, 'day') : '',
    months ? plural(months, 'month') : '',
    workouts ? plural(workouts, 'workout') : '',
    lists ? plural(lists, 'workout list', 'workout lists') : '',
  ].filter(Boolean);
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : (parts[0] ?? 'nothing');
}

/** One status per stream that has a cursor or ledger entries, in STREAMS order. */
async function streamStatuses(
  state: StateStore,
  userId: string,
  ledger: readonly LedgerEntry[],
): Promise<StreamStatus[]> {
  const streams: StreamStatus[] = [];
  for (const stream of STREAMS) {
    const entries = ledger.filter((e) => e.stream === stream);
    const cursor = await state.getCursor(userId, stream);
    if (!cursor && entries.length === 0) continue;
    const count = (s: LedgerEntry['status']) => entries.filter((e) => e.status === s).length;
    const periods = entries.map((e) => e.period).sort();
    const gaps = entries.filter((e) => e.status === 'failed' || e.status === 'auth_failed');
    const oldest = oldestOf(gaps);
    streams.push({
      stream,
      through: cursor?.through ?? null,
      lastTrackId: cursor?.lastTrackId ?? null,
      cursorUpdatedAt: iso(cursor?.updatedAt),
      written: count('written'),
      empty: count('empty'),
      failed: count('failed'),
      authFailed: count('auth_failed'),
      firstPeriod: periods[0] ?? null,
      lastPeriod: periods[periods.length - 1] ?? null,
      oldestGap: oldest
        ? {
            period: oldest.period,
            localDate: oldest.localDate,
            status: oldest.status as Gap['status'],
            error: oldest.error,
          }
        : null,
      lastErrors: gaps
        .filter((e) => e.error)
        .sort((a, b) => a.fetchedAt - b.fetchedAt || a.period.localeCompare(b.period))
        .slice(-3)
        .map((e) => ({ period: e.period, error: e.error ?? '' })),
    });
  }
  return streams;
}

/** What the actions of one person are decided from. */
interface ActionFacts {
  u: UserRecord;
  ledger: readonly LedgerEntry[];
  tokens: UserTokens | undefined;
  auth: UserStatus['auth'];
  renewedSinceFailure: boolean;
  opts: StatusOptions;
  now: number;
}

/** What the person should do next, most urgent first; `stale` only when nothing else is asked. */
function statusActions({ u, ledger, tokens, auth, renewedSinceFailure, opts, now }: ActionFacts): StatusAction[] {
  const authFailedEntries = ledger.filter((e) => e.status === 'auth_failed');
  const hint = {
    userId: u.userId,
    source: u.source,
    email: tokens?.email,
    host: tokens?.host,
    clientId: tokens?.clientId,
    aws: opts.aws,
  };
  const sync = `\`zepp-lake sync --user ${u.userId}${opts.aws ? ' --backend aws' : ''}\``;

  const actions: StatusAction[] = [];
  if (auth !== 'ok') actions.push({ code: 'login_again', message: authAdvice(auth, hint) });
  else if (renewedSinceFailure && authFailedEntries.length > 0) {
    actions.push({
      code: 'resync_auth_failed',
      message: `the credentials were renewed after ${describePeriods(authFailedEntries)} failed to authorise: run ${sync} to fetch them`,
    });
  }
  const failed = ledger.filter((e) => e.status === 'failed');
  if (failed.length > 0) {
    const first = oldestOf(failed);
    actions.push({
      code: 'retry_failed',
      message: `${describePeriods(failed)} failed (oldest: ${first?.stream} ${first?.period}); the next sync fetches them again, or run ${sync} to retry now`,
    });
  }
  if (u.wrongRegionSuspected) {
    actions.push({
      code: 'wrong_region',
      message: `every stream came back empty although a device synced recently: the account most likely lives in another region; log in through its host, e.g. \`zepp-lake login --email ${tokens?.email ?? '<your e-mail>'} --host <region host>\` with ${REGION_HOSTS}`,
    });
  }
  // The alarm's rule (core/staleness.ts): the simulator's people are never synced by a plain `sync`, so they
  // cannot go stale.
  if (actions.length === 0 && isStale(u, now, opts.staleAfterMs)) {
    actions.push({
      code: 'stale',
      message: u.lastSuccessAt
        ? `no successful sync since ${iso(u.lastSuccessAt)}: run ${sync}${opts.aws ? ' (and check the sync worker alarms: the schedule should have run)' : ''}`
        : `never synced successfully: run ${sync}`,
    });
  }
  return actions;
}

export async function collectUserStatus(
  state: StateStore,
  u: UserRecord,
  opts: StatusOptions = {},
): Promise<UserStatus> {
  const now = opts.now ?? Date.now();
  const ledger = await state.listLedger(u.userId);
  const streams = await streamStatuses(state, u.userId, ledger);

  let tokens: UserTokens | undefined;
  let tokensKnown = false;
  if (opts.tokens) {
    tokens = await opts.tokens.get(u.userId);
    tokensKnown = true;
  }
  const authFailedEntries = ledger.filter((e) => e.status === 'auth_failed');
  const { auth, renewedSinceFailure } = authStateOf(tokens, authFailedEntries, tokensKnown);
  const actions = statusActions({ u, ledger, tokens, auth, renewedSinceFailure, opts, now });

  const allGaps = streams.filter((s) => s.oldestGap).map((s) => ({ ...(s.oldestGap as Gap), stream: s.stream }));
  return {
    userId: u.userId,
    source: u.source,
    simulated: u.simulated ?? false,
    enabled: u.enabled,
    firstDate: u.firstDate ?? null,
    lastSuccessAt: iso(u.lastSuccessAt),
    auth,
    wrongRegionSuspected: u.wrongRegionSuspected ?? false,
    oldestGap: oldestOf(allGaps) ?? null,
    needsAction: u.enabled && actions.length > 0,
    actions,
    streams,
  };
}

export async function collectStatusReport(state: StateStore, opts: StatusOptions = {}): Promise<StatusReport> {
  const users = (await state.listUsers())
    .filter((u) => !opts.user || u.userId === opts.user)
    .sort((a, b) => a.userId.localeCompare(b.userId));
  const out: UserStatus[] = [];
  for (const u of users) out.push(await collectUserStatus(state, u, opts));
  return { generatedAt: new Date(opts.now ?? Date.now()).toISOString(), users: out };
}

/** The users' statuses alone (kept for callers of the first version). */
export async function collectStatus(state: StateStore, opts: StatusOptions = {}): Promise<UserStatus[]> {
  return (await collectStatusReport(state, opts)).users;
}

/** 0 when nothing needs the user, 1 otherwise (see EXIT in error-advice.ts). */
export function statusExitCode(users: readonly UserStatus[]): number {
  return users.some((u) => u.needsAction) ? 1 : 0;
}

/** Columns padded to their widest cell; `right` columns are right-aligned (numbers). */
export function alignColumns(rows: readonly (readonly string[])[], right: ReadonlySet<number>, indent = ''): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    for (const [i, cell] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows.map(
    (r) =>
      indent +
      r
        .map((cell, i) => (right.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
  );
}

/** The stream's newest errors, identical texts folded into one line with their first and last period. */
function errorLines(s: StreamStatus): string[] {
  const groups = new Map<string, { error: string; periods: string[] }>();
  for (const e of s.lastErrors) {
    // Errors that differ only in the dates they name are one problem.
    const key = e.error.replace(/\d{4}-\d{2}(-\d{2})?/g, '#');
    const g = groups.get(key) ?? { error: e.error, periods: [] };
    g.periods.push(e.period);
    g.error = e.error;
    groups.set(key, g);
  }
  return [...groups.values()].map(({ error, periods }) => {
    const span = periods.length > 1 ? `${periods[0]} .. ${periods.at(-1)}` : (periods[0] ?? '');
    return `${span}: ${error}`;
  });
}

function ago(isoText: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(isoText)) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 2 * 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

const AUTH_TEXT: Record<AuthState, string> = {
  ok: 'ok',
  revoked: 'LOGIN TOKEN REVOKED',
  consent_expired: 'CONSENT EXPIRED',
  no_tokens: 'NO TOKENS',
  expired: 'TOKEN REFUSED',
};

export function formatStatus(input: StatusReport | readonly UserStatus[], now = Date.now()): string {
  const users = 'users' in input ? input.users : input;
  if (users.length === 0) return 'no users yet: run `zepp-lake login` or `zepp-lake sync --source sim`';
  const lines: string[] = [];
  for (const u of users) {
    if (lines.length > 0) lines.push('');
    const last = u.lastSuccessAt ? `${u.lastSuccessAt} (${ago(u.lastSuccessAt, now)})` : 'never';
    lines.push(
      `user ${u.userId} (${u.source}${u.simulated ? ', simulated' : ''}${u.enabled ? '' : ', disabled'})  auth ${AUTH_TEXT[u.auth]}  last success ${last}  first day ${u.firstDate ?? '?'}`,
    );
    if (u.wrongRegionSuspected) lines.push('  ! WRONG REGION? every stream is empty although a device synced recently');
    if (u.streams.length > 0) {
      const rows = [
        [
          'stream',
          'through',
          'last trackid',
          'cursor moved',
          'written',
          'empty',
          'failed',
          'auth_failed',
          'oldest gap',
        ],
        ...u.streams.map((s) => [
          s.stream,
          s.through ?? '-',
          s.lastTrackId === null ? '-' : String(s.lastTrackId),
          s.cursorUpdatedAt ? s.cursorUpdatedAt.slice(0, 16).replace('T', ' ') : '-',
          String(s.written),
          String(s.empty),
          String(s.failed),
          String(s.authFailed),
          s.oldestGap ? `${s.oldestGap.period} (${s.oldestGap.status})` : '-',
        ]),
      ];
      lines.push(...alignColumns(rows, new Set([4, 5, 6, 7]), '  '));
    } else lines.push('  nothing synced yet');
    for (const s of u.streams) for (const e of errorLines(s)) lines.push(`  ! ${s.stream} ${e}`);
    if (u.actions.length > 0) {
      lines.push('  what to do:');
      for (const a of u.actions) lines.push(`  - ${a.message}`);
    }
  }
  const attention = users.filter((u) => u.needsAction).length;
  lines.push(
    '',
    attention ? `${plural(attention, 'user')} ${attention === 1 ? 'needs' : 'need'} attention` : 'all users ok',
  );
  return lines.join('\n');
}

/**
 * What to do after one sync run: the `status` actions of the user (failed days, auth, wrong region), plus the
 * run's own auth failure when it left nothing in the ledger (e.g. refused before the first window).
 */
export async function syncReportActions(
  state: StateStore,
  tokens: TokenStore,
  report: { userId: string; authFailed: boolean; wrongRegionSuspected: boolean; errors: readonly string[] },
  opts: { aws?: boolean } = {},
): Promise<StatusAction[]> {
  const user = await state.getUser(report.userId);
  if (!user) return [];
  const status = await collectUserStatus(state, user, { tokens, aws: opts.aws });
  const actions = status.actions.filter((a) => a.code !== 'stale');
  if (report.authFailed && !actions.some((a) => a.code === 'login_again')) {
    const t = await tokens.get(report.userId);
    const problem = t ? classifyAuthError(report.errors.join('\n')) : 'no_tokens';
    actions.unshift({
      code: 'login_again',
      message: authAdvice(problem, {
        userId: user.userId,
        source: user.source,
        email: t?.email,
        host: t?.host,
        clientId: t?.clientId,
        aws: opts.aws,
      }),
    });
  }
  return actions;
}

export function registerStatusCommand(program: Command, wiring: CliWiring): Command {
  return program
    .command('status')
    .description('per user and stream: cursor, last sync, written / empty / failed days, oldest gap, auth, what to do')
    .option(
      '--json',
      'print one JSON object: {generatedAt, users:[{userId, source, auth, needsAction, actions, streams}]}',
    )
    .option('--user <id>', 'only this user', userIdOption)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (o: Opts, cmd: Command) => {
      const rt = wiring.runtimeOf(cmd);
      const report = await collectStatusReport(rt.state, {
        tokens: rt.tokens,
        user: o.user as string | undefined,
        aws: isAwsBackend(cmd),
      });
      if (o.user && report.users.length === 0) {
        throw new CliError(`no user ${o.user as string}; \`zepp-lake users list\` shows the users`);
      }
      console.log(o.json ? JSON.stringify(report, null, 2) : formatStatus(report));
      process.exitCode = statusExitCode(report.users);
    });
}
