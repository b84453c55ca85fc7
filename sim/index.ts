// The vendor API simulator: a local HTTP server that answers like the Zepp app API for deterministic
// synthetic people, with fault injection and the ground truth a complete sync must end with.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TableRows } from '../lambdas/core/schema-registry.ts';
import { type FaultSpec, parseFaultSpec } from './faults.ts';
import { groundTruthRows } from './people/ground-truth.ts';
import { demoUsers, SimUser, type SimUserInfo, type SimUserSpec } from './people/users.ts';
import { type LoginThrottle, SimServer, type SimStats } from './zepp/server.ts';

export type { FaultRate, FaultSpec } from './faults.ts';
export { WORKOUT_TYPE_NAMES } from './people/ground-truth.ts';
export type { DeviceSpec, SimUserInfo, SimUserSpec, TzChange } from './people/users.ts';
export { HISTORY_PAGE_SIZE, type LoginThrottle, type SimStats } from './zepp/server.ts';
export { demoUsers, parseFaultSpec };

export const DEFAULT_SEED = 20240601;

export interface SimOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  seed?: number;
  /**
   * YYYY-MM-DD: the last, partial day of every user, cut at a drawn minute (a world that stands still, for tests
   * that need one date for everyone). Ignored for the cut when `now` is given; still the date the default
   * users are built around.
   */
  today?: string;
  /**
   * The instant the simulation stands at (epoch ms): each person's last day is their own local date at this
   * instant, cut there, so a person east of UTC starts a new day before UTC does, and a day's data only grows
   * as `now` moves on. Default when `today` is not given either: the real clock at start.
   */
  now?: number;
  /** Default: demoUsers(today), today defaulting to the UTC date of `now`. */
  users?: SimUserSpec[];
  faults?: FaultSpec | string;
  /** Extra delay before every answer, ms. */
  latencyMs?: number;
  /** Logins allowed per window before v2/client/login answers 429 (default 20 per 60 s); false = never. */
  loginThrottle?: LoginThrottle | false;
}

export interface Simulator {
  /** Base URL, e.g. http://127.0.0.1:40123 (every host's paths are served here). */
  url: string;
  port: number;
  users: SimUserInfo[];
  setFaults(spec: FaultSpec | string): void;
  stats(): SimStats;
  /** Every login code, login token and app token minted so far: secrets a test can look for in what was written. */
  mintedSecrets(): string[];
  /** Exact rows of every data table the lake must hold after a complete sync of [from, to] (default: everything). */
  groundTruth(userId: string, range?: { from: string; to: string }): TableRows;
  close(): Promise<void>;
}

export async function startSimulator(options: SimOptions = {}): Promise<Simulator> {
  const seed = options.seed ?? DEFAULT_SEED;
  const now = options.now ?? (options.today === undefined ? Date.now() : undefined);
  const today = options.today ?? new Date(now ?? Date.now()).toISOString().slice(0, 10);
  const specs = options.users ?? demoUsers(today);
  const users = specs.map((spec) => new SimUser(spec, seed, today, now));
  const byId = new Map(users.map((u) => [u.userId, u]));
  const sim = new SimServer({
    users,
    seed,
    faults: options.faults,
    latencyMs: options.latencyMs,
    loginThrottle: options.loginThrottle,
  });
  const server = createServer(sim.handle);
  server.keepAliveTimeout = 5_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    users: users.map((u) => u.info()),
    setFaults: (spec) => sim.faults.set(spec),
    stats: () => sim.stats(),
    mintedSecrets: () => sim.mintedSecrets(),
    groundTruth: (userId, range) => {
      const user = byId.get(userId);
      if (!user) throw new Error(`no simulated user ${userId}`);
      return groundTruthRows(user, range);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** `zepp-lake simulate`: starts the simulator, prints where and who, and runs until SIGINT / SIGTERM. */
export async function runSimulateCommand(options: { port?: number; faults?: string; seed?: number }): Promise<void> {
  const sim = await startSimulator({ port: options.port ?? 0, faults: options.faults, seed: options.seed });
  const out = process.stdout;
  out.write(`Zepp API simulator listening on ${sim.url}\n`);
  out.write(`faults: ${options.faults ?? 'none'}\n`);
  out.write('users (synthetic credentials):\n');
  for (const u of sim.users) {
    out.write(
      `  ${u.email}  password ${u.password}  user_id ${u.userId}  tz ${u.tzOffsetS}s  data ${u.firstDate}..${u.lastDate}\n`,
    );
  }
  out.write(`log in with: ZEPP_LAKE_PASSWORD=... npx zepp-lake login --email EMAIL --host ${sim.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await sim.close();
  out.write('simulator stopped\n');
}
