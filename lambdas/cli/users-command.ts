// `zepp-lake users add|list|remove`: the people whose history is synced, on whatever runtime the command
// line gives (local folder + files, or AWS). A zepp user logs in with e-mail and password; a huami-open user
// grants consent through the official OAuth2 authorization code flow, and only the resulting tokens are kept.

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { type Command, Option } from 'commander';
import { UpstreamError } from '../core/errors.ts';
import type { SourceId, UserRecord } from '../core/ports.ts';
import { UserLease } from '../engine/lease.ts';
import type { Runtime } from '../runtime/local.ts';
import type { HttpOptions } from '../sources/http.ts';
import {
  buildAuthorizeUrl,
  exchangeCode,
  HUAMI_OPEN_SCOPES,
  HuamiOpenApi,
  type HuamiOpenHosts,
  type OAuthTokens,
} from '../sources/huami-open/client.ts';
import type { HuamiOpenTokens } from '../sources/registry.ts';
import { hostUrlOption } from './option-parsers.ts';
import { loginZepp } from './sync-command.ts';
import type { CliWiring, Opts } from './wiring.ts';

/** A user-facing mistake in the users command (bad state, refused consent, timeout). */
export class UsersCommandError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsersCommandError';
  }
}

// ------------------------------------------------------------------------------------------ zepp

export async function addZeppUser(
  rt: Runtime,
  o: { email: string; password: string; host?: string; tzOffsetS?: number; http?: HttpOptions },
): Promise<UserRecord> {
  const user = await loginZepp(rt, { email: o.email, password: o.password, host: o.host, http: o.http });
  if (o.tzOffsetS === undefined || user.tzOffsetS === o.tzOffsetS) return user;
  const updated = { ...user, tzOffsetS: o.tzOffsetS };
  await rt.state.putUser(updated);
  return updated;
}

// ------------------------------------------------------------------------------------------ huami-open OAuth2

export const DEFAULT_CALLBACK_PATH = '/callback';

/** The authorization code of a pasted line: a bare code, or the whole redirect URL (whose `state` must match). */
export function codeFromPaste(text: string, expectedState: string): string {
  const line = text.trim();
  if (line === '') throw new UsersCommandError('no authorization code given');
  if (!/^https?:\/\//i.test(line) && !line.includes('code=')) return line;
  const url = new URL(line.includes('://') ? line : `http://paste.invalid/?${line.replace(/^[?#/]+/, '')}`);
  // The consent page may put the answer in the query or (single-page app) in the fragment.
  const params = new URLSearchParams(url.search || url.hash.replace(/^#\/?\??/, ''));
  const error = params.get('error');
  if (error) throw new UsersCommandError(`the authorization was refused: ${error}`);
  const code = params.get('code');
  if (!code) throw new UsersCommandError('the pasted URL has no code parameter');
  const state = params.get('state');
  if (state !== null && state !== expectedState) {
    throw new UsersCommandError('the pasted URL carries another state: it does not answer this authorization');
  }
  return code;
}

export interface CodeListener {
  /** http://127.0.0.1:<port><path> */
  redirectUri: string;
  /** Resolves with the code of the first redirect whose `state` matches; rejects on a refusal or the timeout. */
  code: Promise<string>;
  close(): Promise<void>;
}

const PAGE = (text: string) =>
  `<!doctype html><meta charset="utf-8"><title>zepp-lake</title><p>${text.replace(/[<>&]/g, '')}</p>`;

/**
 * A one-shot redirect listener on 127.0.0.1: the browser comes back to it with `?code&state` after consent.
 * A request with another state is answered 400 and ignored (a stale tab or a forged redirect).
 */
export async function listenForCode(o: {
  port: number;
  state: string;
  path?: string;
  timeoutMs?: number;
}): Promise<CodeListener> {
  const path = o.path ?? DEFAULT_CALLBACK_PATH;
  let settle: { resolve: (code: string) => void; reject: (err: Error) => void } | undefined;
  const code = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  code.catch(() => {}); // a listener closed before anyone waits must not raise an unhandled rejection
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const answer = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE(text));
    };
    if (url.pathname !== path) return answer(404, 'not found');
    if (url.searchParams.get('state') !== o.state) {
      return answer(400, 'zepp-lake: this redirect does not answer the pending authorization (state mismatch).');
    }
    const error = url.searchParams.get('error');
    if (error) {
      answer(200, 'zepp-lake: the authorization was refused. You can close this tab.');
      settle?.reject(new UsersCommandError(`the authorization was refused: ${error}`));
      return;
    }
    const value = url.searchParams.get('code');
    if (!value) return answer(400, 'zepp-lake: the redirect has no code.');
    answer(200, 'zepp-lake: authorized. You can close this tab and return to the terminal.');
    settle?.resolve(value);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const timer = setTimeout(
    () => settle?.reject(new UsersCommandError('no redirect arrived in time; run users add again')),
    o.timeoutMs ?? 10 * 60_000,
  );
  return {
    redirectUri: `http://127.0.0.1:${port}${path}`,
    code,
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface AddHuamiOpenOptions {
  clientId: string;
  clientSecret: string;
  /** Default: the listener's URL with --listen, else http://127.0.0.1:8421/callback (paste the code back). */
  redirectUri?: string;
  scopes?: readonly string[];
  /** A code obtained already (its authorization used the same redirect URI). */
  code?: string;
  /** Listen for the redirect on this 127.0.0.1 port (0 = any free port). */
  listenPort?: number;
  /** One base URL for the consent page, token and data calls (the simulator); default the real hosts. */
  host?: string;
  /** The person's UTC offset in seconds; default the profile's, if it says, else this machine's. */
  tzOffsetS?: number;
  http?: HttpOptions;
  /** Reads the pasted code (or redirect URL) when neither `code` nor `listenPort` is given. */
  readCode?: () => Promise<string>;
  /** Where the instructions go (the authorize URL holds no secret). */
  print: (line: string) => void;
  timeoutMs?: number;
  /** Test seam for the state value. */
  newState?: () => string;
  now?: () => number;
}

export interface AddedUser {
  user: UserRecord;
  tzSource: 'option' | 'profile' | 'machine';
}

const DEFAULT_REDIRECT = `http://127.0.0.1:8421${DEFAULT_CALLBACK_PATH}`;

/** A `timeZone` / `timezone` / `tz` in the profile, if the API ever sends one: seconds, or `GMT+1:00` / `+01:00`. */
export function tzFromProfile(profile: unknown): number | undefined {
  if (typeof profile !== 'object' || profile === null) return undefined;
  const p = profile as Record<string, unknown>;
  for (const key of ['tzOffsetS', 'timeZoneOffset', 'timezoneOffset', 'timeZone', 'timezone', 'tz']) {
    const v = p[key];
    if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 14 * 3600) return v;
    if (typeof v === 'string') {
      const m = /^(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(v.trim());
      if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60);
    }
  }
  return undefined;
}

/** The whole consent flow: authorize URL -> code -> tokens -> profile -> token store + user record. */
export async function addHuamiOpenUser(rt: Runtime, o: AddHuamiOpenOptions): Promise<AddedUser> {
  const state = o.newState?.() ?? randomBytes(16).toString('hex');
  const hosts: HuamiOpenHosts | undefined = o.host ? { base: o.host } : undefined;
  let listener: CodeListener | undefined;
  try {
    let redirectUri = o.redirectUri ?? DEFAULT_REDIRECT;
    if (o.code === undefined && o.listenPort !== undefined) {
      const path = o.redirectUri ? new URL(o.redirectUri).pathname : DEFAULT_CALLBACK_PATH;
      listener = await listenForCode({ port: o.listenPort, state, path, timeoutMs: o.timeoutMs });
      redirectUri = o.redirectUri ?? listener.redirectUri;
    }
    const code = o.code ?? (await askForCode(o, { state, redirectUri, listener }));
    const tokens = await exchangeCode(
      { code, clientId: o.clientId, clientSecret: o.clientSecret, redirectUri },
      hosts,
      o.http,
    );
    const profile = await readProfile(tokens, hosts, o.http);
    const { tzOffsetS, tzSource } = chooseTimeZone(o, profile);
    const user = await storeHuamiOpenUser(rt, o, { userId: profileUserId(profile), tokens, redirectUri, tzOffsetS });
    return { user, tzSource };
  } finally {
    await listener?.close();
  }
}

/** Shows the authorize URL, then waits for the redirect (with a listener) or for the pasted code. */
async function askForCode(
  o: AddHuamiOpenOptions,
  pending: { state: string; redirectUri: string; listener: CodeListener | undefined },
): Promise<string> {
  const url = buildAuthorizeUrl({
    clientId: o.clientId,
    redirectUri: pending.redirectUri,
    scopes: o.scopes ?? HUAMI_OPEN_SCOPES,
    state: pending.state,
    authBase: o.host,
  });
  o.print('Open this URL in a browser, sign in and allow access:');
  o.print(`  ${url}`);
  if (pending.listener) {
    o.print(`Waiting for the redirect on ${pending.listener.redirectUri} ...`);
    return pending.listener.code;
  }
  if (!o.readCode) throw new UsersCommandError('no way to read the code: pass --code or --listen');
  o.print('Then paste the code (or the whole URL the browser was sent to):');
  return codeFromPaste(await o.readCode(), pending.state);
}

/** The profile, read with the fresh access token (nothing is stored before the profile names the user). */
async function readProfile(
  tokens: OAuthTokens,
  hosts: HuamiOpenHosts | undefined,
  http: HttpOptions | undefined,
): Promise<{ userId?: unknown }> {
  const api = new HuamiOpenApi(
    { current: async () => tokens.accessToken, refresh: async () => tokens.accessToken },
    { hosts, http },
  );
  return (await api.get('profile')).body as { userId?: unknown };
}

/** The profile's userId; it names the token entry and the lake's partitions, so only [A-Za-z0-9_-] passes. */
function profileUserId(profile: { userId?: unknown }): string {
  const userId =
    typeof profile?.userId === 'string' || typeof profile?.userId === 'number' ? String(profile.userId) : '';
  if (!/^[A-Za-z0-9_-]+$/.test(userId)) throw new UpstreamError('the profile has no usable userId');
  return userId;
}

/** The person's UTC offset: the option's, else the profile's, else this machine's. */
function chooseTimeZone(
  o: AddHuamiOpenOptions,
  profile: unknown,
): { tzOffsetS: number; tzSource: AddedUser['tzSource'] } {
  const fromProfile = tzFromProfile(profile);
  const machine = -new Date((o.now ?? Date.now)()).getTimezoneOffset() * 60;
  const tzSource: AddedUser['tzSource'] =
    o.tzOffsetS !== undefined ? 'option' : fromProfile !== undefined ? 'profile' : 'machine';
  return { tzOffsetS: o.tzOffsetS ?? fromProfile ?? machine, tzSource };
}

/** Stores the tokens, then creates the user record or enables the existing one with the chosen offset. */
async function storeHuamiOpenUser(
  rt: Runtime,
  o: AddHuamiOpenOptions,
  grant: { userId: string; tokens: OAuthTokens; redirectUri: string; tzOffsetS: number },
): Promise<UserRecord> {
  const { userId, tokens, redirectUri, tzOffsetS } = grant;
  const stored: HuamiOpenTokens = {
    source: 'huami-open',
    vendorUserId: userId,
    host: o.host,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessTokenExpiresAt: tokens.expiresAt,
    clientId: o.clientId,
    redirectUri,
    clientSecret: o.clientSecret,
  };
  await rt.tokens.put(userId, stored);
  const existing = await rt.state.getUser(userId);
  const user: UserRecord = existing
    ? { ...existing, source: 'huami-open', enabled: true, tzOffsetS }
    : { userId, source: 'huami-open', enabled: true, createdAt: (o.now ?? Date.now)(), tzOffsetS };
  await rt.state.putUser(user);
  return user;
}

// ------------------------------------------------------------------------------------------ list / remove

export interface UserListing {
  userId: string;
  source: SourceId;
  enabled: boolean;
  tzOffsetS: number | null;
  hasTokens: boolean;
  lastSuccessAt: number | null;
  wrongRegionSuspected: boolean;
}

export async function listUsers(rt: Runtime): Promise<UserListing[]> {
  const withTokens = new Set(await rt.tokens.list());
  return (await rt.state.listUsers())
    .map((u) => ({
      userId: u.userId,
      source: u.source,
      enabled: u.enabled,
      tzOffsetS: u.tzOffsetS ?? null,
      hasTokens: withTokens.has(u.userId),
      lastSuccessAt: u.lastSuccessAt ?? null,
      wrongRegionSuspected: u.wrongRegionSuspected ?? false,
    }))
    .sort((a, b) => a.userId.localeCompare(b.userId));
}

export function formatUserList(users: readonly UserListing[]): string {
  if (users.length === 0) return '(no users; add one with zepp-lake users add)';
  return users
    .map((u) =>
      [
        u.userId.padEnd(14),
        u.source.padEnd(11),
        u.enabled ? 'enabled ' : 'disabled',
        u.hasTokens ? 'tokens ' : 'NO TOKENS',
        `tz ${u.tzOffsetS ?? '?'}`,
        u.lastSuccessAt ? `last sync ${new Date(u.lastSuccessAt).toISOString()}` : 'never synced',
        u.wrongRegionSuspected ? 'WRONG REGION?' : '',
      ]
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The lake objects of one user: their month objects under tables/ and their raw responses under raw/. */
export async function userObjectKeys(rt: Runtime, userId: string): Promise<string[]> {
  const tables = (await rt.store.list('tables/')).filter((k) => k.endsWith(`/user-${userId}.parquet`));
  const raw = (await rt.store.list('raw/')).filter((k) => k.includes(`/user-${userId}/`));
  return [...tables, ...raw];
}

export async function removeUser(
  rt: Runtime,
  userId: string,
  o: { deleteData?: boolean; clock?: () => number } = {},
): Promise<{ deletedObjects: number }> {
  const known = (await rt.state.getUser(userId)) !== undefined || (await rt.tokens.get(userId)) !== undefined;
  if (!known) throw new UsersCommandError(`no user ${userId}; \`zepp-lake users list\` shows the users`);
  // Under the user's lease: a sync or replay running now would otherwise write the user (and their objects)
  // back after the removal. The state store's deleteUser drops the lease with the rest.
  const lease = new UserLease(
    // The clock the syncs of this lake run on (Date.now; the chaos histories run every part on one simulated clock).
    { state: rt.state, owner: `users-remove-${randomUUID()}`, clock: o.clock ?? Date.now },
    userId,
    'removal',
  );
  await lease.acquire();
  try {
    await rt.tokens.delete(userId);
    await rt.state.deleteUser(userId);
  } catch (err) {
    await lease.release();
    throw err;
  }
  if (!o.deleteData) return { deletedObjects: 0 };
  const keys = await userObjectKeys(rt, userId);
  for (let i = 0; i < keys.length; i += 1000) await rt.store.delete(keys.slice(i, i + 1000));
  return { deletedObjects: keys.length };
}

// ------------------------------------------------------------------------------------------ command line

function parseOffset(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || Math.abs(n) > 14 * 3600)
    throw new UsersCommandError(`--tz-offset must be seconds within ±50400, got ${v}`);
  return n;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsersCommandError(`--listen must be a port (0 = any), got ${v}`);
  return n;
}

/** One line from stdin (a pasted code or redirect URL); stdin may be a terminal or a pipe. */
function readLine(): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let done = false;
    rl.once('line', (line) => {
      done = true;
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      if (!done) reject(new UsersCommandError('no code on stdin'));
    });
  });
}

const say = (line: string) => process.stderr.write(`${line}\n`);

/** `users add --source zepp`: the password from the configuration (ZEPP_LAKE_PASSWORD) or the prompt. */
async function addZeppUserCommand(rt: Runtime, o: Opts, wiring: CliWiring): Promise<void> {
  const email = o.email as string | undefined;
  if (!email) throw new UsersCommandError('no e-mail: pass --email or set ZEPP_LAKE_EMAIL');
  const password = wiring.config.password ?? (await wiring.promptHidden('Zepp password: '));
  const user = await addZeppUser(rt, {
    email,
    password,
    host: o.host as string | undefined,
    tzOffsetS: o.tzOffset as number | undefined,
  });
  console.log(`added zepp user ${user.userId}`);
}

/** `users add --source huami-open`: the client secret from the configuration (HUAMI_CLIENT_SECRET) or the prompt. */
async function addHuamiOpenUserCommand(rt: Runtime, o: Opts, wiring: CliWiring): Promise<void> {
  const clientId = o.clientId as string | undefined;
  if (!clientId) throw new UsersCommandError('huami-open needs --client-id');
  const clientSecret =
    wiring.config.huamiClientSecret ?? (process.stdin.isTTY ? await wiring.promptHidden('client secret: ') : undefined);
  if (!clientSecret) throw new UsersCommandError('no client secret: set HUAMI_CLIENT_SECRET or run in a terminal');
  const scopes = (o.scopes as string | undefined)
    ?.split(/[,;\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const added = await addHuamiOpenUser(rt, {
    clientId,
    clientSecret,
    redirectUri: o.redirectUri as string | undefined,
    scopes,
    code: o.code as string | undefined,
    listenPort: o.listen as number | undefined,
    host: o.host as string | undefined,
    tzOffsetS: o.tzOffset as number | undefined,
    readCode: readLine,
    print: say,
  });
  const tz = added.user.tzOffsetS ?? 0;
  if (added.tzSource === 'machine') {
    say(`the official API does not say the person's time zone: using this machine's UTC offset (${tz} s);`);
    say('add the user again with --tz-offset SECONDS if that is not where they live');
  }
  console.log(`added huami-open user ${added.user.userId} (UTC offset ${tz} s); tokens stored`);
}

/** How `users add` authorises a person, per source: a vendor's login flow lives here until plug-ins carry one. */
const ADD_FLOWS: Readonly<Record<string, (rt: Runtime, o: Opts, wiring: CliWiring) => Promise<void>>> = {
  zepp: addZeppUserCommand,
  'huami-open': addHuamiOpenUserCommand,
};

function registerUsersAdd(users: Command, wiring: CliWiring): void {
  users
    .command('add')
    .description('add a user: zepp (e-mail + password) or huami-open (OAuth2 consent)')
    .addOption(
      new Option('--source <source>', Object.keys(ADD_FLOWS).join(' or '))
        .choices(Object.keys(ADD_FLOWS))
        .makeOptionMandatory(),
    )
    .addOption(new Option('--email <email>', 'zepp: account e-mail').env('ZEPP_LAKE_EMAIL'))
    .option('--client-id <id>', 'huami-open: the partner app client id')
    .option('--redirect-uri <uri>', 'huami-open: the redirect URI registered for the client')
    .option('--scopes <list>', `huami-open: comma list (default ${HUAMI_OPEN_SCOPES.join(',')})`)
    .option('--code <code>', 'huami-open: an authorization code obtained already')
    .option('--listen <port>', 'huami-open: catch the redirect on 127.0.0.1:PORT (0 = any free port)', parsePort)
    .option(
      '--tz-offset <seconds>',
      'the person’s UTC offset in seconds (default: profile, else this machine)',
      parseOffset,
    )
    .addOption(hostUrlOption())
    .action(async (o: Opts, cmd: Command) => {
      const rt = wiring.runtimeOf(cmd);
      await ADD_FLOWS[o.source as string]?.(rt, o, wiring);
    });
}

/** Adds `users add|list|remove` to the program. */
export function registerUsersCommand(program: Command, wiring: CliWiring): Command {
  const users = program.command('users').description('add, list and remove the people whose history is synced');
  registerUsersAdd(users, wiring);

  users
    .command('list')
    .description('list the users, their source and whether tokens are stored')
    .option('--json', 'print JSON')
    .action(async (o: Opts, cmd: Command) => {
      const list = await listUsers(wiring.runtimeOf(cmd));
      console.log(o.json ? JSON.stringify(list, null, 2) : formatUserList(list));
    });

  users
    .command('remove')
    .description('forget a user: their tokens and state (and with --delete-data their tables/ and raw/ objects)')
    .argument('<id>', 'the user id')
    .option('--delete-data', 'also delete the user’s objects under tables/ and raw/')
    .action(async (id: string, o: Opts, cmd: Command) => {
      const r = await removeUser(wiring.runtimeOf(cmd), id, { deleteData: Boolean(o.deleteData) });
      console.log(
        `removed user ${id}${o.deleteData ? `; deleted ${r.deletedObjects} objects` : ' (lake objects kept; --delete-data removes them)'}`,
      );
    });
  return users;
}
