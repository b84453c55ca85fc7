// The vendor side of a history: a simulator of one source (the Zepp app API of sim/ or the official Huami Web API of
// sim/huami-open/simulator.ts) holding one or two small simulated people, what a person does at the vendor (log in or grant
// consent again, change the password, withdraw consent), the tokens the vendor ends early, and the ground truth a
// complete lake must hold for each person.

import { loginZepp } from '../../lambdas/cli/sync-command.ts';
import { addHuamiOpenUser } from '../../lambdas/cli/users-command.ts';
import type { SourceId, UserRecord } from '../../lambdas/core/ports.ts';
import type { TableRows } from '../../lambdas/core/schema-registry.ts';
import { addDays } from '../../lambdas/core/time.ts';
import type { Runtime } from '../../lambdas/runtime/local.ts';
import type { HttpOptions } from '../../lambdas/sources/http.ts';
import {
  type HuamiNotificationBody,
  type HuamiOpenSimulator,
  startHuamiOpenSimulator,
} from '../../sim/huami-open/simulator.ts';
import { type SimUserSpec, type Simulator, startSimulator } from '../../sim/index.ts';
import { Rng, seedOf } from '../../sim/people/users.ts';
import { CHAOS_HTTP, chaosDevice } from '../harness.ts';

/**
 * The simulators' "today" for every history: early in a month, so every person's few days of data cross a month end, and in the
 * future, because DynamoDB Local deletes items whose `ttl` (a lease's expiry) has passed by the real clock.
 */
export const HISTORY_TODAY = '2031-04-03';
/**
 * UTC offsets of the simulated people, within +-8 h: every command of a history runs between 08:30 and 16:00 UTC
 * (16 minutes apart), when every person's local date is HISTORY_TODAY.
 */
const TZ_OFFSETS = [-28_800, -18_000, -10_800, 0, 3_600, 7_200, 19_800, 28_800];
const REDIRECT_URI = 'http://127.0.0.1:8421/callback';

export interface Person {
  /** The vendor's user id, the lake's user id. */
  id: string;
  /** Short name for the printed histories: p0, p1. */
  name: string;
  tzOffsetS: number;
  /** First local date with data. */
  firstDate: string;
}

export interface Vendor {
  source: SourceId;
  url: string;
  people: Person[];
  today: string;
  /** Every row of every data table the vendor holds for the person (days firstDate..today). */
  truth(personId: string): TableRows;
  /** `zepp-lake login` / `users add --source huami-open`: tokens and the user record into the runtime. */
  addUser(rt: Runtime, person: Person): Promise<UserRecord>;
  /** The vendor ends the person's short-lived token early (app token / OAuth access token). */
  expireAccess(person: Person): void;
  /** A password change or withdrawn consent: nothing works until the person logs in (or consents) again. */
  revokeLogin(rt: Runtime, person: Person): Promise<void>;
  /** huami-open only: the simulator of the push notifications. */
  huami?: HuamiOpenSimulator;
  close(): Promise<void>;
}

export interface VendorOptions {
  source: SourceId;
  seed: number;
  people: number;
  http?: HttpOptions;
}

/** One small person: 4-7 days of data ending HISTORY_TODAY (so across the month end), from the history's seed. */
function zeppSpec(seed: number, index: number): SimUserSpec {
  const rng = Rng.of('history-person', seed, index);
  const days = rng.int(4, 7);
  const first = addDays(HISTORY_TODAY, -days);
  const offset = rng.pick(TZ_OFFSETS);
  const tz = [{ from: addDays(first, -400), offsetS: offset }];
  // Some people change their zone (travel, summer time) inside the synced days.
  if (rng.chance(0.25)) {
    const next = Math.max(-28_800, Math.min(28_800, offset + rng.pick([-3_600, 3_600])));
    tz.push({ from: addDays(HISTORY_TODAY, -rng.int(2, days - 2)), offsetS: next });
  }
  const modern = rng.chance(0.5);
  return {
    name: `p${index}`,
    email: `history-${seed}-${index}@example.com`,
    password: `history-${seed}-${index}-synthetic-pw`,
    userId: `6${String(seedOf('history-id', seed, index) % 1_000_000_000).padStart(9, '0')}`,
    region: 'eu-central-1',
    countryCode: 'DE',
    firstDate: first,
    tz,
    devices: [chaosDevice(first, modern)],
    workoutRate: 0.2,
    gapRate: 0.05,
    swimDates: rng.chance(0.3) ? [addDays(HISTORY_TODAY, -rng.int(1, days - 1))] : [],
    home: { lat: 48.137154, lon: 11.576124 },
  };
}

async function startZeppVendor(opts: VendorOptions): Promise<Vendor> {
  const specs = Array.from({ length: opts.people }, (_, i) => zeppSpec(opts.seed, i));
  const sim: Simulator = await startSimulator({
    today: HISTORY_TODAY,
    users: specs,
    seed: opts.seed,
    loginThrottle: false,
  });
  const truths = new Map<string, TableRows>();
  const http = opts.http ?? CHAOS_HTTP;
  return {
    source: 'zepp',
    url: sim.url,
    today: HISTORY_TODAY,
    people: specs.map((s) => ({
      id: s.userId,
      name: s.name,
      tzOffsetS: s.tz.at(-1)?.offsetS ?? 0,
      firstDate: s.firstDate,
    })),
    truth(id) {
      let t = truths.get(id);
      if (!t) {
        t = sim.groundTruth(id);
        truths.set(id, t);
      }
      return t;
    },
    addUser(rt, person) {
      const spec = specs.find((s) => s.userId === person.id);
      if (!spec) throw new Error(`no simulated person ${person.id}`);
      return loginZepp(rt, { email: spec.email, password: spec.password, host: sim.url, http });
    },
    expireAccess() {
      // The next data request revokes the app token (200 {code:0} on a legacy call, 401 on REST): re-minted.
      sim.setFaults({ 'expire-legacy': 'once', 'expire-rest': 'once' });
    },
    async revokeLogin(rt, person) {
      const tokens = await rt.tokens.get(person.id);
      if (!tokens?.loginToken) return; // nothing stored: the person is already logged out here
      const res = await fetch(`${sim.url}/v1/client/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login_token: tokens.loginToken }).toString(),
      });
      await res.text();
      if (!res.ok) throw new Error(`the simulator's logout answered HTTP ${res.status}`);
    },
    close: () => sim.close(),
  };
}

async function startHuamiVendor(opts: VendorOptions): Promise<Vendor> {
  const rng = Rng.of('history-huami', opts.seed);
  const days = rng.int(4, 7);
  const users = Array.from({ length: opts.people }, (_, i) => ({
    userId: `5${String(seedOf('history-id', opts.seed, i) % 1_000_000_000).padStart(9, '0')}`,
    tzOffsetS: rng.pick(TZ_OFFSETS),
    device: rng.pick(['amazfit', 'mifit'] as const),
  }));
  const sim = await startHuamiOpenSimulator({
    seed: opts.seed,
    today: HISTORY_TODAY,
    days,
    users,
    // Some OAuth servers end the old access token at a refresh; the sync must not care.
    retireAccessTokenOnRefresh: rng.chance(0.5),
  });
  const people = sim.users.map((u, i) => ({
    id: u.userId,
    name: `p${i}`,
    tzOffsetS: u.tzOffsetS,
    firstDate: u.firstDate,
  }));
  const truths = new Map<string, TableRows>();
  const http = opts.http ?? CHAOS_HTTP;
  return {
    source: 'huami-open',
    url: sim.url,
    today: HISTORY_TODAY,
    people,
    huami: sim,
    truth(id) {
      let t = truths.get(id);
      if (!t) {
        const p = people.find((q) => q.id === id);
        if (!p) throw new Error(`no simulated person ${id}`);
        t = sim.groundTruth(id, { from: p.firstDate, to: HISTORY_TODAY });
        truths.set(id, t);
      }
      return t;
    },
    async addUser(rt, person) {
      const code = sim.authorize(person.id, { clientId: sim.clientId, redirectUri: REDIRECT_URI });
      const added = await addHuamiOpenUser(rt, {
        clientId: sim.clientId,
        clientSecret: sim.clientSecret,
        redirectUri: REDIRECT_URI,
        code,
        host: sim.url,
        tzOffsetS: person.tzOffsetS,
        http,
        print: () => undefined,
      });
      return added.user;
    },
    expireAccess(person) {
      sim.expireAccessTokens(person.id);
    },
    async revokeLogin(_rt, person) {
      sim.revokeConsent(person.id);
    },
    close: () => sim.close(),
  };
}

export function startVendor(opts: VendorOptions): Promise<Vendor> {
  return opts.source === 'zepp' ? startZeppVendor(opts) : startHuamiVendor(opts);
}

/** What a notification is about: the person's data of `day`; `sequence` makes each one distinct. */
export interface NotificationAbout {
  person: Person;
  day: string;
  eventType: string;
  sequence: number;
}

/** A push notification about the person's data of `day` (resourceTime at the person's local noon). */
export function notificationFor(
  sim: HuamiOpenSimulator,
  { person, day, eventType, sequence }: NotificationAbout,
): HuamiNotificationBody {
  const resourceTime = Math.floor(Date.parse(`${day}T12:00:00Z`) / 1000) - person.tzOffsetS;
  return sim.makeNotification(person.id, {
    eventType,
    resourceTime,
    eventTime: resourceTime + 3_600 + sequence,
    data: JSON.stringify({ sequence }),
  });
}
