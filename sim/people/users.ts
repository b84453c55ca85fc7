// The simulator's synthetic people: who they are (SimUserSpec), and what their wearable recorded on any
// day, generated lazily from a seeded PRNG. Every day draws from its own generator seeded by
// (seed, user, date, purpose), so any day can be generated alone and always comes out identically.
//
// Invariants that keep the ground truth unambiguous (see sim/README.md):
// - a day's own interval is [midnight(D), min(midnight(D) + 24 h, midnight(D+1))): minutes, workouts and
//   events of D all fall inside it, so no two days produce the same minute or reading when the UTC
//   offset grows (DST spring-forward, eastward travel);
// - every day with a workout or an event also has a band_data record (no-data days have nothing at all);
// - "today" is partial: nothing after the cut-off minute (0x7E / 254 minutes at the tail).

import { addDays, daysBetween, eachDay, localDateOf, localMidnightMs, parseDate } from '../../lambdas/core/time.ts';
import { autoPauses, lapsOf, type SimLap, type SimPause } from './workout-laps.ts';

// ---------------------------------------------------------------- seeded random numbers

/** FNV-1a over the parts joined with a separator: a stable 32-bit seed for a tuple. */
export function seedOf(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join('\u0001');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: small, fast and good enough for synthetic data; not for secrets. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  static of(...parts: readonly (string | number)[]): Rng {
    return new Rng(seedOf(...parts));
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** Picks by weight: [[value, weight], ...]. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [value, w] of items) {
      r -= w;
      if (r < 0) return value;
    }
    const last = items[items.length - 1];
    if (!last) throw new RangeError('weighted pick from an empty list');
    return last[0];
  }
}

// ---------------------------------------------------------------- user specs

/** The UTC offset in force from local date `from` on (until the next change). */
export interface TzChange {
  from: string;
  offsetS: number;
}

export interface DeviceSpec {
  /** First local date this device recorded. */
  from: string;
  deviceId: string;
  /** band_data `source` / devices `deviceSource`. */
  source: number;
  name: string;
  mac: string;
  sn: string;
  /** history.json `source` of the workouts it recorded. */
  trackSource: string;
  /** history.json `bind_device`. */
  bindDevice: string;
  /** Whether band_data records carry `device_id` (newer firmware) or only `source`. */
  sendsDeviceId: boolean;
  /** Whether summaries report `hr.maxHr`. */
  reportsMaxHr: boolean;
  /** Whether the device produces readiness events. */
  readiness: boolean;
}

export interface SimUserSpec {
  /** Short handle, e.g. `alice`. */
  name: string;
  email: string;
  password: string;
  /** Vendor user id (a string of digits, like the real `user_id`). */
  userId: string;
  /**
   * What the person's data is generated from, with the simulator's seed (default: `userId`). Set it when the
   * id must be unique per run (the chaos suite shares its stand-ins) but the data must come out the same for
   * the same seed, so a failing seed reproduces on the same rows.
   */
  dataKey?: string;
  region: string;
  countryCode: string;
  /** First local date with data. */
  firstDate: string;
  /** Sorted by `from`; the first entry applies to every date before the second. */
  tz: TzChange[];
  /** Sorted by `from`; the first entry applies to every date before the second. */
  devices: DeviceSpec[];
  /** Probability of a workout on a day with data. */
  workoutRate: number;
  /** Probability of a day with no data at all (never the first day or today). */
  gapRate: number;
  /** Days forced to have no data. */
  gapDates?: string[];
  /** Days forced to have a pool swim (type 14, no GPS, HR all 0). */
  swimDates?: string[];
  /** Send `summary.tz` as a number instead of the usual string. */
  tzAsNumber?: boolean;
  /** Home position for GPS tracks, degrees. */
  home: { lat: number; lon: number };
}

export interface SimUserInfo {
  name: string;
  email: string;
  password: string;
  userId: string;
  region: string;
  countryCode: string;
  /** The offset in force today. */
  tzOffsetS: number;
  firstDate: string;
  lastDate: string;
  devices: string[];
}

/** Last Sunday of a month (1-12) of a year, as YYYY-MM-DD. */
function lastSunday(year: number, month: number): string {
  const last = new Date(Date.UTC(year, month, 0));
  last.setUTCDate(last.getUTCDate() - last.getUTCDay());
  return last.toISOString().slice(0, 10);
}

/** Central European time: +1 h, +2 h from the last Sunday of March to the last Sunday of October. */
function europeanDst(firstYear: number, lastYear: number): TzChange[] {
  const out: TzChange[] = [{ from: `${firstYear - 1}-01-01`, offsetS: 3600 }];
  for (let y = firstYear; y <= lastYear; y++) {
    out.push({ from: lastSunday(y, 3), offsetS: 7200 }, { from: lastSunday(y, 10), offsetS: 3600 });
  }
  return out;
}

/**
 * The default people: alice (3+ years, DST, two devices, > 450 workouts), bob (negative offset, a few
 * months, a pool swim), chandra (+5:30 who travels to New York and Tokyo, gaps, summary.tz as a number).
 */
export function demoUsers(today: string = new Date().toISOString().slice(0, 10)): SimUserSpec[] {
  const year = Number(today.slice(0, 4));
  const aliceFirst = addDays(today, -(3 * 365 + 45));
  const aliceSwitch = addDays(today, -540);
  return [
    {
      name: 'alice',
      email: 'alice@example.com',
      password: 'alice-synthetic-pw',
      userId: '1000000001',
      region: 'eu-central-1',
      countryCode: 'DE',
      firstDate: aliceFirst,
      // Ten years on: the CLI builds its people around the day they were first logged in, and syncs them for years.
      tz: europeanDst(Number(aliceFirst.slice(0, 4)), year + 10),
      devices: [
        {
          from: aliceFirst,
          deviceId: 'DA932FFFFE8816E7',
          source: 24,
          name: 'Mi Smart Band 4',
          mac: 'C8:0F:10:2A:3B:4C',
          sn: '24123/00012345',
          trackSource: 'run.mifit.huami.com',
          bindDevice: '0:MILI:8',
          sendsDeviceId: false,
          reportsMaxHr: false,
          readiness: false,
        },
        {
          from: aliceSwitch,
          deviceId: 'B93A4C5D6E7F8091',
          source: 256,
          name: 'Amazfit Bip 3',
          mac: 'E1:22:33:44:55:66',
          sn: '2445B548008062',
          trackSource: 'run.411.huami.com',
          bindDevice: '256:BIP3:1',
          sendsDeviceId: true,
          reportsMaxHr: true,
          readiness: true,
        },
      ],
      workoutRate: 0.5,
      gapRate: 0.03,
      swimDates: [addDays(today, -20)],
      home: { lat: 52.520008, lon: 13.404954 },
    },
    {
      name: 'bob',
      email: 'bob@example.com',
      password: 'bob-synthetic-pw',
      userId: '1000000002',
      region: 'us-west-2',
      countryCode: 'US',
      firstDate: addDays(today, -120),
      tz: [{ from: addDays(today, -400), offsetS: -21600 }],
      devices: [
        {
          from: addDays(today, -120),
          deviceId: 'C1D2E3F405060708',
          source: 10289411,
          name: 'Amazfit Helio Strap',
          mac: 'D4:11:22:33:44:55',
          sn: '3301A000123456',
          trackSource: 'run.watch.huami.com',
          bindDevice: '10289411:HELIO:2',
          sendsDeviceId: true,
          reportsMaxHr: true,
          readiness: true,
        },
      ],
      workoutRate: 0.35,
      gapRate: 0.05,
      swimDates: [addDays(today, -5), addDays(today, -33)],
      home: { lat: 41.878113, lon: -87.629799 },
    },
    {
      name: 'chandra',
      email: 'chandra@example.com',
      password: 'chandra-synthetic-pw',
      userId: '1000000003',
      region: 'ap-southeast-1',
      countryCode: 'IN',
      firstDate: addDays(today, -150),
      tz: [
        { from: addDays(today, -400), offsetS: 19800 },
        { from: addDays(today, -70), offsetS: -14400 },
        { from: addDays(today, -60), offsetS: 19800 },
        { from: addDays(today, -30), offsetS: 32400 },
        { from: addDays(today, -23), offsetS: 19800 },
      ],
      devices: [
        {
          from: addDays(today, -150),
          deviceId: 'E5F6A7B8C9D0E1F2',
          source: 256,
          name: 'Amazfit Bip 3',
          mac: 'F0:99:88:77:66:55',
          sn: '2445B548001111',
          trackSource: 'run.411.huami.com',
          bindDevice: '256:BIP3:7',
          sendsDeviceId: false,
          reportsMaxHr: false,
          readiness: false,
        },
      ],
      workoutRate: 0.3,
      gapRate: 0.02,
      gapDates: [addDays(today, -45), addDays(today, -44), addDays(today, -43)],
      swimDates: [addDays(today, -12)],
      tzAsNumber: true,
      home: { lat: 12.971599, lon: 77.594566 },
    },
  ];
}

// ---------------------------------------------------------------- the per-day model

export const MINUTES_PER_DAY = 1440;
const MINUTE_MS = 60_000;

export interface SleepStage {
  /** minutes from midnight(D), inclusive; may be >= 1440 */
  start: number;
  stop: number;
  mode: number;
}

export interface SleepModel {
  /** epoch seconds */
  st: number;
  ed: number;
  dp: number;
  lt: number;
  wk: number;
  wc: number;
  ss: number;
  rhr: number;
  stages: SleepStage[];
}

export interface WorkoutPlan {
  trackid: number;
  type: number;
  durationS: number;
  /** seconds excluded from run_time (one pause), 0 for none */
  pauseS: number;
}

export interface DayPlan {
  date: string;
  hasData: boolean;
  offsetS: number;
  /** epoch ms of local midnight */
  midnight: number;
  /** Minutes of the day that may carry data: 1440, fewer when the next day's offset is larger, the cut-off today. */
  usableMinutes: number;
  /**
   * Minutes the generator draws: usableMinutes, except today in a world cut at an instant (SimOptions.now),
   * where the whole day is drawn and the minutes after the cut masked: what a day held at 10:00 it still
   * holds at 23:00, as a real device's record only grows.
   */
  minutesDrawn: number;
  isToday: boolean;
  device: DeviceSpec;
  goal: number;
  /** epoch s of the last sync of this day */
  sync: number;
  /** The night following D; null when there is none (today, long-haul travel night). */
  sleep: SleepModel | null;
  /** The night as drawn, which the minutes follow: also today's in a world cut at an instant (it may have begun). */
  night: SleepModel | null;
  /** Workouts finished by the cut-off (the history lists them). */
  workouts: WorkoutPlan[];
  /** Workouts as drawn, which the minutes follow: also today's still running at the instant of the cut. */
  workoutsDrawn: WorkoutPlan[];
}

export interface DayMinutes {
  kind: Uint8Array;
  intensity: Uint8Array;
  steps: Uint8Array;
  hr: Uint8Array;
}

/** Everything the generator knows about one person, with caches (a person's model never changes). */
export class SimUser {
  readonly spec: SimUserSpec;
  readonly seed: number;
  readonly today: string;
  /** The instant the world is cut at (SimOptions.now); undefined: `today` is cut at a drawn minute. */
  readonly cutAtMs: number | undefined;
  private readonly plans = new Map<string, DayPlan>();
  private readonly minutes = new Map<string, DayMinutes>();
  private readonly minutesDrawn = new Map<string, DayMinutes>();
  private workoutList: { plan: WorkoutPlan; date: string }[] | undefined;

  /**
   * `today` is every person's last, partial day, cut at a drawn minute; with `nowMs` it is ignored and the
   * last day is this person's own local date at that instant, cut there: a person in Tokyo starts a new day
   * nine hours before UTC does, and one at UTC-6 six hours after.
   */
  constructor(spec: SimUserSpec, seed: number, today: string, nowMs?: number) {
    this.spec = spec;
    this.seed = seed;
    this.cutAtMs = nowMs;
    this.today = nowMs === undefined ? today : this.localDateAt(nowMs);
  }

  /** The local date at an instant: the latest day whose own local midnight has passed. */
  private localDateAt(ms: number): string {
    const utcDate = new Date(ms).toISOString().slice(0, 10);
    for (const date of [addDays(utcDate, 1), utcDate]) {
      if (localMidnightMs(date, this.offsetOn(date)) <= ms) return date;
    }
    return addDays(utcDate, -1);
  }

  get userId(): string {
    return this.spec.userId;
  }

  info(): SimUserInfo {
    return {
      name: this.spec.name,
      email: this.spec.email,
      password: this.spec.password,
      userId: this.spec.userId,
      region: this.spec.region,
      countryCode: this.spec.countryCode,
      tzOffsetS: this.offsetOn(this.today),
      firstDate: this.spec.firstDate,
      lastDate: this.today,
      devices: this.spec.devices.map((d) => d.name),
    };
  }

  rng(...parts: readonly (string | number)[]): Rng {
    return Rng.of(this.seed, this.spec.dataKey ?? this.spec.userId, ...parts);
  }

  offsetOn(date: string): number {
    let offset = this.spec.tz[0]?.offsetS ?? 0;
    for (const change of this.spec.tz) if (change.from <= date) offset = change.offsetS;
    return offset;
  }

  deviceOn(date: string): DeviceSpec {
    const first = this.spec.devices[0];
    if (!first) throw new Error(`user ${this.spec.name} has no device`);
    let device = first;
    for (const d of this.spec.devices) if (d.from <= date) device = d;
    return device;
  }

  /** The instant "now" of the simulation: today's cut-off. */
  nowMs(): number {
    return this.plan(this.today).midnight + this.plan(this.today).usableMinutes * MINUTE_MS;
  }

  inRange(date: string): boolean {
    return date >= this.spec.firstDate && date <= this.today;
  }

  plan(date: string): DayPlan {
    const cached = this.plans.get(date);
    if (cached) return cached;
    const made = this.makePlan(date);
    this.plans.set(date, made);
    return made;
  }

  private makePlan(date: string): DayPlan {
    const rng = this.rng('plan', date);
    const offsetS = this.offsetOn(date);
    const nextOffset = this.offsetOn(addDays(date, 1));
    const midnight = localMidnightMs(date, offsetS);
    const isToday = date === this.today;
    // Cut at an instant, today is drawn exactly as the whole day will be, and only then cut (see minutesDrawn).
    const cutAtInstant = isToday && this.cutAtMs !== undefined;
    const drawnWhole = !isToday || cutAtInstant;
    const forcedGap = this.spec.gapDates?.includes(date) ?? false;
    const gapDraw = rng.chance(this.spec.gapRate);
    const hasData =
      this.inRange(date) && !forcedGap && ((isToday && !cutAtInstant) || date === this.spec.firstDate || !gapDraw);
    // When the next day starts earlier than 24 h after this midnight, the overlap belongs to the next day.
    let minutesDrawn = Math.min(MINUTES_PER_DAY, MINUTES_PER_DAY - (nextOffset - offsetS) / 60);
    if (isToday && !cutAtInstant) minutesDrawn = Math.min(minutesDrawn, rng.int(600, 960));
    const usableMinutes = cutAtInstant
      ? Math.max(0, Math.min(minutesDrawn, Math.floor(((this.cutAtMs as number) - midnight) / MINUTE_MS)))
      : minutesDrawn;
    const device = this.deviceOn(date);
    const goal = rng.pick([6000, 8000, 8000, 10000]);

    const travelNight = Math.abs(nextOffset - offsetS) > 3 * 3600;
    const night = hasData && drawnWhole && !travelNight ? this.makeSleep(rng, midnight) : null;
    const sleep = isToday ? null : night;

    const workoutsDrawn: WorkoutPlan[] = [];
    const forcedSwim = this.spec.swimDates?.includes(date) ?? false;
    if (hasData && (forcedSwim || rng.chance(this.spec.workoutRate))) {
      const type = forcedSwim
        ? 14
        : rng.weighted<number>([
            [1, 35],
            [6, 28],
            [9, 14],
            [8, 8],
            [14, 8],
            [16, 7],
          ]);
      const startMin = rng.int(420, 1140);
      const durationS = type === 14 ? rng.int(1200, 2400) : rng.int(600, 2700);
      const pauseS = type === 1 && rng.chance(0.25) ? rng.int(20, 120) : 0;
      const endMin = startMin + Math.ceil(durationS / 60) + 1;
      if (endMin < minutesDrawn) {
        const trackid = Math.floor(midnight / 1000) + startMin * 60 + rng.int(0, 59);
        workoutsDrawn.push({ trackid, type, durationS, pauseS });
      }
    }
    const cutS = Math.floor(midnight / 1000) + usableMinutes * 60;
    const workouts = workoutsDrawn.filter((w) => w.trackid + w.durationS < cutS);
    // The device syncs the next morning; today's record was synced at the cut-off.
    const dayEndS = Math.floor(midnight / 1000) + usableMinutes * 60;
    const sync = isToday ? dayEndS : dayEndS + rng.int(6, 10) * 3600 + rng.int(0, 3599);
    return {
      date,
      hasData,
      offsetS,
      midnight,
      usableMinutes,
      minutesDrawn,
      isToday,
      device,
      goal,
      sync,
      sleep,
      night,
      workouts,
      workoutsDrawn,
    };
  }

  private makeSleep(rng: Rng, midnight: number): SleepModel {
    const startMin = rng.int(1320, 1530); // 22:00 .. 01:30
    const endMin = rng.int(1800, 1940); // 06:00 .. 08:20 next morning
    const stages: SleepStage[] = [];
    let m = startMin;
    let mode = 4;
    while (m <= endMin) {
      const len = mode === 7 ? rng.int(2, 8) : rng.int(10, 45);
      const stop = Math.min(endMin, m + len - 1);
      stages.push({ start: m, stop, mode });
      m = stop + 1;
      mode = rng.weighted<number>([
        [4, mode === 4 ? 1 : 5],
        [5, mode === 5 ? 1 : 4],
        [8, mode === 8 ? 1 : 3],
        [7, 1],
      ]);
    }
    const sum = (want: number) => stages.filter((s) => s.mode === want).reduce((a, s) => a + s.stop - s.start + 1, 0);
    const base = Math.floor(midnight / 1000);
    return {
      st: base + startMin * 60,
      ed: base + (endMin + 1) * 60,
      dp: sum(5),
      lt: sum(4),
      wk: sum(7),
      wc: stages.filter((s) => s.mode === 7).length,
      ss: rng.int(55, 95),
      rhr: rng.int(48, 68),
      stages,
    };
  }

  /** The minute bytes of a day with data (1440 minutes; 0x7E / 254 beyond the usable minutes). */
  dayMinutes(date: string): DayMinutes {
    const cached = this.minutes.get(date);
    if (cached) return cached;
    const plan = this.plan(date);
    const drawn = this.drawnMinutes(date);
    if (plan.usableMinutes === plan.minutesDrawn) return drawn;
    const cut = plan.usableMinutes;
    const made = {
      kind: drawn.kind.slice().fill(0x7e, cut),
      intensity: drawn.intensity.slice().fill(0, cut),
      steps: drawn.steps.slice().fill(0, cut),
      hr: drawn.hr.slice().fill(254, cut),
    };
    this.minutes.set(date, made);
    return made;
  }

  /** The minutes as drawn (DayPlan.minutesDrawn of them), before today's cut-off masks its tail. */
  drawnMinutes(date: string): DayMinutes {
    const cached = this.minutesDrawn.get(date);
    if (cached) return cached;
    const plan = this.plan(date);
    const rng = this.rng('minutes', date);
    const kind = new Uint8Array(MINUTES_PER_DAY).fill(0x7e);
    const intensity = new Uint8Array(MINUTES_PER_DAY);
    const steps = new Uint8Array(MINUTES_PER_DAY);
    const hr = new Uint8Array(MINUTES_PER_DAY).fill(254);
    // Sleep windows in this day's minutes: the tail of last night (record D-1) and the start of tonight.
    const prev = this.plan(addDays(date, -1)).night;
    const prevOffsetShift = (this.plan(addDays(date, -1)).midnight - plan.midnight) / MINUTE_MS;
    const asleep = (i: number): number => {
      for (const [sleep, shift] of [
        [prev, prevOffsetShift],
        [plan.night, 0],
      ] as const) {
        if (!sleep) continue;
        for (const s of sleep.stages) if (i >= s.start + shift && i <= s.stop + shift) return s.mode;
      }
      return 0;
    };
    const workoutMinutes = new Set<number>();
    for (const w of plan.workoutsDrawn) {
      const startMin = Math.floor((w.trackid * 1000 - plan.midnight) / MINUTE_MS);
      for (let i = startMin; i <= startMin + Math.ceil(w.durationS / 60); i++) workoutMinutes.add(i);
    }
    const notWornFrom = rng.chance(0.1) ? rng.int(600, 1200) : -1;
    const notWornLen = rng.int(20, 120);
    const everyOther = rng.chance(0.5);
    let baseHr = rng.int(58, 72);
    for (let i = 0; i < plan.minutesDrawn; i++) {
      const sleepMode = asleep(i);
      let k: number;
      let inten = 0;
      let st = 0;
      let h: number;
      if (notWornFrom >= 0 && i >= notWornFrom && i < notWornFrom + notWornLen) {
        k = 0x53; // not worn
        h = rng.chance(0.3) ? 0 : 255;
      } else if (sleepMode !== 0) {
        k = sleepMode === 5 ? 0x7b : sleepMode === 7 ? 0x7c : 0x79;
        inten = rng.int(0, 8);
        h = baseHr - 8 + rng.int(-3, 3);
      } else if (workoutMinutes.has(i)) {
        k = rng.chance(0.7) ? 0x52 : 0x51;
        inten = rng.int(60, 200);
        st = rng.int(90, 180);
        h = rng.int(120, 175);
      } else {
        const walking = rng.chance(0.12);
        k = walking ? rng.pick([0x51, 0x61]) : rng.pick([0x50, 0x60, 0x5a, 0x70]);
        inten = walking ? rng.int(20, 90) : rng.int(0, 30);
        st = walking ? rng.int(10, 110) : rng.chance(0.2) ? rng.int(1, 9) : 0;
        h = baseHr + (walking ? rng.int(15, 35) : rng.int(-4, 10));
      }
      if (h !== 0 && h !== 255 && everyOther && i % 2 === 1) h = 255;
      baseHr = Math.max(50, Math.min(80, baseHr + rng.int(-1, 1)));
      kind[i] = k;
      intensity[i] = inten;
      steps[i] = st;
      hr[i] = Math.max(0, Math.min(255, h));
    }
    const made = { kind, intensity, steps, hr };
    this.minutesDrawn.set(date, made);
    return made;
  }

  /** The decoded `summary` object of a day's band_data record (what gets base64-encoded). */
  summary(date: string): Record<string, unknown> {
    const plan = this.plan(date);
    const m = this.dayMinutes(date);
    let ttl = 0;
    let wk = 0;
    let rn = 0;
    let runSteps = 0;
    let maxHr = 0;
    let maxHrMin = 0;
    const stages: Record<string, number>[] = [];
    let runStart = -1;
    const closeRun = (end: number) => {
      if (runStart >= 0 && end - runStart >= 5) {
        let step = 0;
        for (let i = runStart; i < end; i++) step += m.steps[i]!;
        const mode = step / (end - runStart) > 120 ? 4 : step / (end - runStart) > 60 ? 3 : 1;
        stages.push({
          start: runStart,
          stop: end - 1,
          mode,
          dis: Math.round(step * (mode === 4 ? 0.96 : 0.8)),
          cal: Math.round(step * 0.045),
          step,
        });
      }
      runStart = -1;
    };
    for (let i = 0; i < MINUTES_PER_DAY; i++) {
      const k = m.kind[i]!;
      if (k === 0x7e) {
        closeRun(i);
        continue;
      }
      const s = m.steps[i]!;
      ttl += s;
      const low = k & 0x0f;
      if (low === 1 && s > 0) wk++;
      if (low === 2) {
        rn++;
        runSteps += s;
      }
      if (s >= 10) {
        if (runStart < 0) runStart = i;
      } else closeRun(i);
      const h = m.hr[i]!;
      if (h > 0 && h < 254 && h > maxHr) {
        maxHr = h;
        maxHrMin = i;
      }
    }
    closeRun(MINUTES_PER_DAY);
    const base = Math.floor(plan.midnight / 1000);
    const summary: Record<string, unknown> = { v: 6 };
    if (plan.sleep) {
      const s = plan.sleep;
      summary.slp = {
        st: s.st,
        ed: s.ed,
        dp: s.dp,
        lt: s.lt,
        wk: s.wk,
        usrSt: -1440,
        usrEd: -1440,
        wc: s.wc,
        is: 0,
        lb: 0,
        to: 0,
        dt: 0,
        rhr: s.rhr,
        ss: s.ss,
        stage: s.stages,
      };
    } else if (!plan.isToday) {
      // The vendor sends an empty night as st == ed without stages (the 2021 capture does this).
      summary.slp = {
        st: base,
        ed: base,
        dp: 0,
        lt: 0,
        wk: 0,
        usrSt: -1440,
        usrEd: -1440,
        wc: 0,
        is: 0,
        lb: 0,
        to: 0,
        dt: 0,
        rhr: 0,
        ss: 0,
      };
    }
    summary.stp = {
      ttl,
      dis: Math.round(ttl * 0.78),
      cal: Math.round(ttl * 0.04),
      wk,
      rn,
      runDist: Math.round(runSteps * 0.96),
      runCal: Math.round(runSteps * 0.06),
      stage: stages,
    };
    summary.goal = plan.goal;
    summary.tz = this.spec.tzAsNumber ? plan.offsetS : String(plan.offsetS);
    summary.sync = plan.sync;
    if (plan.device.reportsMaxHr && maxHr > 0) {
      summary.hr = { maxHr: { hr: maxHr, ts: base + maxHrMin * 60 } };
    }
    if (plan.device.sendsDeviceId) summary.sn = plan.device.sn;
    return summary;
  }

  /** The day's total steps (summary stp.ttl). */
  summaryStepsOf(date: string): number {
    return (this.summary(date).stp as { ttl: number }).ttl;
  }

  /** Every workout from the first date through today, newest first. */
  workouts(): { plan: WorkoutPlan; date: string }[] {
    if (!this.workoutList) {
      const list: { plan: WorkoutPlan; date: string }[] = [];
      for (const date of eachDay(this.spec.firstDate, this.today)) {
        for (const w of this.plan(date).workouts) list.push({ plan: w, date });
      }
      list.sort((a, b) => b.plan.trackid - a.plan.trackid);
      this.workoutList = list;
    }
    return this.workoutList;
  }

  findWorkout(trackid: number): { plan: WorkoutPlan; date: string } | undefined {
    const seen = new Set<string>();
    for (const change of this.spec.tz) {
      const date = localDateOf(trackid * 1000, change.offsetS);
      if (seen.has(date)) continue;
      seen.add(date);
      const w = this.plan(date).workouts.find((x) => x.trackid === trackid);
      if (w) return { plan: w, date };
    }
    return undefined;
  }

  /** Days of this person with a band record in [from, to] (clamped to first date .. today). */
  dataDays(from: string, to: string): string[] {
    const lo = from < this.spec.firstDate ? this.spec.firstDate : from;
    const hi = to > this.today ? this.today : to;
    if (lo > hi) return [];
    return eachDay(lo, hi).filter((d) => this.plan(d).hasData);
  }
}

// ---------------------------------------------------------------- workouts in detail

export interface DetailSeries {
  trackid: number;
  gps: { t: number; lat: number | null; lon: number | null; altitudeCm: number | null; accuracy?: number }[];
  heartRate: { t: number; hr: number }[];
  distance: { t: number; meters: number }[];
  gait: { t: number; steps: number; strideCm: number; cadence: number }[];
  speed: { t: number; mps: number }[];
  pressure: { t: number; pa: number }[];
  /** in time order */
  pauses: SimPause[];
  laps: SimLap[];
}

export interface WorkoutModel {
  plan: WorkoutPlan;
  date: string;
  device: DeviceSpec;
  detail: DetailSeries;
  endTime: number;
  runTimeS: number;
  distanceM: number;
  calories: number;
  totalSteps: number;
  /** null when the workout has no heart rate (a swim sends 0) */
  avgHr: number | null;
  maxHr: number | null;
  minHr: number | null;
  /** s/m, as the string the vendor sends it (Number() of it is the decoded value) */
  avgPace: string;
  avgCadence: number;
  ascentM: number;
  descentM: number;
}

const GPS_TYPES = new Set([1, 6, 9]);
const STEP_TYPES = new Set([1, 6, 8]);

/** The full model of one workout: its detail series and the summary numbers derived from them. */
export function workoutModel(user: SimUser, found: { plan: WorkoutPlan; date: string }): WorkoutModel {
  const { plan, date } = found;
  const rng = user.rng('workout', plan.trackid);
  const t0 = plan.trackid;
  const end = t0 + plan.durationS;
  const type = plan.type;
  const gpsStep = type === 9 ? 3 : type === 1 ? 4 : 5;
  const baseSpeed = type === 9 ? rng.int(500, 800) : type === 1 ? rng.int(260, 360) : type === 14 ? 60 : 130;
  const detail: DetailSeries = {
    trackid: t0,
    gps: [],
    heartRate: [],
    distance: [],
    gait: [],
    speed: [],
    pressure: [],
    pauses: [],
    laps: [],
  };
  let meters = 0;
  let steps = 0;
  if (GPS_TYPES.has(type)) {
    let lat = Math.round(user.spec.home.lat * 1e8) + rng.int(-2_000_000, 2_000_000);
    let lon = Math.round(user.spec.home.lon * 1e8) + rng.int(-2_000_000, 2_000_000);
    let alt = rng.int(3000, 12000);
    let heading = rng.next() * 2 * Math.PI;
    let prevT = t0;
    for (let t = t0 + 1; t <= end; t += gpsStep) {
      const mpsCenti = Math.max(50, baseSpeed + rng.int(-40, 40));
      const dt = t - prevT;
      prevT = t;
      const stepM = (mpsCenti / 100) * dt;
      heading += (rng.next() - 0.5) * 0.4;
      lat += Math.round(Math.cos(heading) * stepM * 900);
      lon += Math.round(Math.sin(heading) * stepM * 900);
      alt = Math.max(0, alt + rng.int(-30, 30));
      meters += Math.round(stepM);
      const missing = rng.chance(0.01);
      const noAltitude = !missing && rng.chance(0.02);
      detail.gps.push({
        t,
        lat: missing ? null : lat / 1e8,
        lon: missing ? null : lon / 1e8,
        altitudeCm: missing || noAltitude ? null : alt,
        accuracy: rng.int(3, 12),
      });
      detail.distance.push({ t, meters });
      detail.speed.push({ t, mps: mpsCenti / 100 });
    }
    for (let t = t0 + 2, pa = rng.int(99_000, 101_500); t <= end; t += 10) {
      pa += rng.int(-6, 6);
      detail.pressure.push({ t, pa });
    }
  } else {
    // Indoor: distance (and treadmill speed) every 10 s; a swim has distance only.
    for (let t = t0 + 5; t <= end; t += 10) {
      meters += Math.round((Math.max(30, baseSpeed + rng.int(-20, 20)) / 100) * 10);
      detail.distance.push({ t, meters });
      if (type === 8) detail.speed.push({ t, mps: Math.max(50, baseSpeed + rng.int(-20, 20)) / 100 });
    }
  }
  if (type === 14) {
    // Pool swims: the watch records no heart rate; the vendor sends 0 at the distance samples.
    for (const d of detail.distance) detail.heartRate.push({ t: d.t, hr: 0 });
  } else {
    let hr = rng.int(95, 115);
    const peak = type === 1 ? 175 : type === 9 ? 160 : 135;
    for (let t = t0 + rng.int(0, 3); t <= end; t += rng.pick([1, 1, 5, 5, 5, 7])) {
      hr = Math.max(70, Math.min(peak, hr + rng.int(-3, 4)));
      detail.heartRate.push({ t, hr });
    }
  }
  if (STEP_TYPES.has(type)) {
    for (let t = t0 + 3; t <= end; t += 5) {
      const cadence = type === 1 ? rng.int(160, 182) : rng.int(100, 125);
      steps += Math.round((cadence * 5) / 60);
      detail.gait.push({ t, steps, strideCm: type === 1 ? rng.int(95, 125) : rng.int(65, 80), cadence });
    }
  }
  if (plan.pauseS > 0) {
    const start = t0 + Math.floor(plan.durationS / 2);
    const index = Math.max(
      0,
      detail.gps.findIndex((p) => p.t >= start),
    );
    detail.pauses.push({ start, duration: plan.pauseS, startIndex: index, endIndex: index, type: 2 });
  }
  // Auto pauses and laps come from their own stream: the values drawn above stay what they were.
  const segments = user.rng('workout-segments', plan.trackid);
  detail.pauses.push(...autoPauses(detail, type, plan.durationS, segments));
  detail.pauses.sort((a, b) => a.start - b.start);
  detail.laps = lapsOf(detail, type, end, segments);
  const hrs = detail.heartRate.map((h) => h.hr).filter((h) => h > 0);
  const runTimeS = plan.durationS - detail.pauses.reduce((sum, p) => sum + p.duration, 0);
  let ascent = 0;
  let descent = 0;
  let prevAlt: number | null = null;
  for (const p of detail.gps) {
    if (p.altitudeCm === null) continue;
    if (prevAlt !== null) {
      if (p.altitudeCm > prevAlt) ascent += p.altitudeCm - prevAlt;
      else descent += prevAlt - p.altitudeCm;
    }
    prevAlt = p.altitudeCm;
  }
  const pace = meters > 0 ? runTimeS / meters : 0;
  return {
    plan,
    date,
    device: user.plan(date).device,
    detail,
    endTime: end,
    runTimeS,
    distanceM: meters,
    calories: Math.round((plan.durationS / 60) * (type === 1 ? 11 : type === 9 ? 8 : 6)),
    totalSteps: steps,
    avgHr: hrs.length ? Math.round(hrs.reduce((a, b) => a + b, 0) / hrs.length) : null,
    maxHr: hrs.length ? Math.max(...hrs) : null,
    minHr: hrs.length ? Math.min(...hrs) : null,
    avgPace: String(Number(pace.toPrecision(7))),
    avgCadence: steps > 0 ? Math.round((steps / runTimeS) * 60) : 0,
    ascentM: Math.round(ascent / 100),
    descentM: Math.round(descent / 100),
  };
}

// ---------------------------------------------------------------- events

export type EventItem = Record<string, unknown> & { eventType: string; timestamp: number };

export const EVENT_TYPES = ['all_day_stress', 'blood_oxygen', 'PaiHealthInfo', 'readiness'] as const;

/** The events of one day with data, every timestamp inside the day's own interval (and before now). */
export function dayEvents(user: SimUser, date: string): EventItem[] {
  const plan = user.plan(date);
  if (!plan.hasData) return [];
  const rng = user.rng('events', date);
  const userId = user.userId;
  const device = plan.device;
  const at = (minute: number) => plan.midnight + minute * MINUTE_MS;
  // Drawn as the whole day is (minutesDrawn), then cut: today's events are a prefix of the day's.
  const usable = plan.minutesDrawn;
  const cutMs = at(plan.usableMinutes);
  const items: EventItem[] = [];
  const m = user.drawnMinutes(date);

  // all_day_stress: readings every 5 minutes while worn and awake-ish.
  if (rng.chance(0.92)) {
    const readings: { time: number; value: number }[] = [];
    let level = rng.int(15, 45);
    for (let minute = 0; minute < usable; minute += 5) {
      level = Math.max(1, Math.min(100, level + rng.int(-8, 8)));
      if (m.kind[minute] === 0x53 || rng.chance(0.25)) continue;
      if (at(minute) < cutMs) readings.push({ time: at(minute), value: level });
    }
    if (readings.length > 0) {
      const values = readings.map((r) => r.value);
      const share = (lo: number, hi: number) =>
        Math.round((values.filter((v) => v >= lo && v <= hi).length / values.length) * 100);
      items.push({
        userId,
        eventType: 'all_day_stress',
        subType: 'all_day_stress',
        timestamp: plan.midnight + 1,
        deviceType: '0',
        deviceSn: device.sn,
        deviceId: device.deviceId,
        avgStress: String(Math.round(values.reduce((a, b) => a + b, 0) / values.length)),
        maxStress: String(Math.max(...values)),
        minStress: String(Math.min(...values)),
        relaxProportion: String(share(1, 39)),
        normalProportion: String(share(40, 59)),
        mediumProportion: String(share(60, 79)),
        highProportion: String(share(80, 100)),
        data: JSON.stringify(readings),
      });
    }
  }

  // blood_oxygen: a nightly ODI in the morning, rare OSA events before dawn, spot checks in the day.
  if (usable > 480 && rng.chance(0.7)) {
    const odi = rng.int(0, 25000) / 10000;
    items.push({
      userId,
      eventType: 'blood_oxygen',
      subType: 'odi',
      timestamp: at(rng.int(420, 479)) + rng.int(0, 59_999),
      odi: String(odi),
      odiNum: String(rng.int(0, 12)),
      score: String(rng.int(60, 100)),
      cost: String(rng.int(18_000, 30_000)),
      valid: '1',
      dispCode: '0',
      timezone: String(plan.offsetS / 900),
      deviceId: device.deviceId,
    });
  }
  if (usable > 300 && rng.chance(0.12)) {
    items.push({
      userId,
      eventType: 'blood_oxygen',
      subType: 'osa_event',
      timestamp: at(rng.int(60, 299)) + rng.int(0, 59_999),
      extra: JSON.stringify({
        spo2_decrease: rng.int(3, 9),
        spo2: [96, 94, 91, 90, 93, 95],
        hr: [58, 60, 63, 66, 61, 59],
      }),
      deviceId: device.deviceId,
    });
  }
  const clicks = rng.int(0, 2);
  for (let i = 0; i < clicks; i++) {
    const minute = rng.int(480, 1380);
    if (minute >= usable) continue;
    items.push({
      userId,
      eventType: 'blood_oxygen',
      subType: 'click',
      timestamp: at(minute) + rng.int(0, 59_999),
      extra: JSON.stringify({ spo2: rng.int(93, 99) }),
      deviceId: device.deviceId,
    });
  }

  // PaiHealthInfo: one per day at local midnight, with the day's zone in quarter-hours.
  const daily = rng.int(0, 250) / 10;
  const low = rng.int(0, 50) / 10;
  const medium = rng.int(0, 80) / 10;
  items.push({
    userId,
    eventType: 'PaiHealthInfo',
    subType: 'PaiHealthInfo',
    timestamp: plan.midnight,
    dailyPai: String(daily),
    totalPai: String(rng.int(200, 1300) / 10),
    restHr: String(rng.int(50, 68)),
    maxHr: String(rng.int(150, 190)),
    lowZonePai: String(low),
    mediumZonePai: String(medium),
    highZonePai: String(Math.round((daily - low - medium > 0 ? daily - low - medium : 0) * 10) / 10),
    lowZoneMinutes: String(rng.int(0, 90)),
    mediumZoneMinutes: String(rng.int(0, 40)),
    highZoneMinutes: String(rng.int(0, 20)),
    lowZoneLowerLimit: '98',
    mediumZoneLowerLimit: '124',
    highZoneLowerLimit: '149',
    activityScores: Array.from({ length: 7 }, () => rng.int(0, 30)),
    nextActivityScores: [],
    averageHeartRate: String(rng.int(62, 80)),
    totalStep: String(user.summaryStepsOf(date)),
    totalCal: String(rng.int(1600, 2800)),
    exerciseTimes: String(rng.int(0, 3)),
    gender: '0',
    age: '35',
    index: '0',
    version: '1',
    timeZone: String(plan.offsetS / 900),
  });

  // readiness (newer devices): the morning score.
  if (device.readiness && usable > 540 && rng.chance(0.85)) {
    const sentinel = (value: number, p: number, s: number) => String(rng.chance(p) ? s : value);
    items.push({
      userId,
      eventType: 'readiness',
      subType: 'watch_score',
      timestamp: at(rng.int(480, 539)) + rng.int(0, 59_999),
      sleepHRV: sentinel(rng.int(25, 90), 0.05, 32767),
      sleepRHR: String(rng.int(48, 66)),
      hrvScore: String(rng.int(30, 100)),
      rhrScore: String(rng.int(30, 100)),
      skinTempScore: sentinel(rng.int(30, 100), 0.2, 255),
      rdnsScore: String(rng.int(20, 100)),
      phyScore: String(rng.int(20, 100)),
      mentScore: sentinel(rng.int(20, 100), 0.1, 255),
      ahiScore: '255',
      afibScore: '255',
      hrvBaseline: String(rng.int(30, 70)),
      rhrBaseline: String(rng.int(50, 62)),
      status: String(rng.int(0, 3)),
      algVer: '2',
      algSubVer: '5',
      deviceId: device.deviceId,
    });
  }
  items.sort((a, b) => a.timestamp - b.timestamp);
  return items.filter((item) => item.timestamp < cutMs);
}

/** Events of every type for the days whose interval can meet [fromMs, toMs] (a day either side). */
export function eventsBetween(user: SimUser, eventType: string, fromMs: number, toMs: number): EventItem[] {
  const offsets = user.spec.tz.map((c) => c.offsetS);
  const lo = localDateOf(fromMs, Math.min(...offsets, 0) - 86_400);
  const hi = localDateOf(toMs, Math.max(...offsets, 0) + 86_400);
  const out: EventItem[] = [];
  const first = lo < user.spec.firstDate ? user.spec.firstDate : lo;
  const last = hi > user.today ? user.today : hi;
  if (first > last) return out;
  if (daysBetween(first, last) > 20_000) throw new RangeError('event range too large');
  for (const date of eachDay(first, last)) {
    for (const item of dayEvents(user, date)) {
      if (item.eventType === eventType && item.timestamp >= fromMs && item.timestamp <= toMs) out.push(item);
    }
  }
  return out;
}

export function isDate(value: string): boolean {
  try {
    parseDate(value);
    return true;
  } catch {
    return false;
  }
}
