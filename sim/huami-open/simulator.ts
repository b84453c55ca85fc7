// Simulator of the official partner "Huami Web API" (source `huami-open`, seed 003, reference §2.4): the
// OAuth2 token endpoint, the data endpoints with the documented shapes (field names exactly as the
// OFFICIAL_DOC fixtures), Bearer auth with expiring access tokens, fault injection, and signed Subscriptions
// notifications. node:http on 127.0.0.1; data is deterministic from a seed.
//
// Public API
//   startHuamiOpenSimulator(options?): Promise<HuamiOpenSimulator>
//     options: { port?: 0, seed?, today? (YYYY-MM-DD, default the UTC date), days? (history length, default 21),
//                users? (count or specs), clientId?, clientSecret?, accessTokenLifetimeS? (default 90 d),
//                retireAccessTokenOnRefresh? (default false) }
//   sim.url, sim.users [{ userId, tzOffsetS, device }], sim.clientId, sim.clientSecret
//   sim.authorize(userId, {clientId, redirectUri, scope, state}) -> the code the browser's redirect would carry
//   sim.groundTruth(userId, {from, to}) -> TableRows of every table for local dates from..to, computed from
//     the model (not from the decoders), sorted by natural key
//   sim.revokeConsent(userId), sim.expireAccessTokens(userId?), sim.setFaults(spec), sim.requests (log)
//   sim.liveTokens(userId) -> { accessTokens, refreshTokens } the vendor accepts now
//   sim.publicKeyPem, sim.signBody(raw) -> header value, sim.makeNotification(userId, overrides?)
//   sim.notify(url, notification | raw string, {tamper?, omitSignature?}) -> {status, ms}
//   sim.notifyBurst(url, n) -> [{status, ms, notification}]
//   sim.close()
//
// Model conventions (the decoding contract of lambdas/sources/huami-open/decode.ts):
// - day D of a user at offset O: midnight(D) = D 00:00 UTC - O; minute m is midnight(D) + m minutes;
// - sleep of the night following D: start/stop are minute indexes from midnight(D) for amazfit users, epoch
//   seconds for mifit users; stages (interval=hourly) are inclusive minute ranges (mifit: stop = exclusive end);
// - the last day (today) has minutes up to 12:00 only and no night yet; some days have no data at all.
//
// Rules the partner doc leaves open, taken at their strictest so that a client relying on them fails here:
// - every refresh rotates the refresh token: the one used is superseded at once and answers invalid_grant;
// - a date range is answered only up to the end of startDate's calendar month; the rest is silently left out
//   (the doc never promises that a long range comes back whole). `truncated: true` marks such requests in the log.

import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  naturalKeyOf,
  type Row,
  type TableName,
  type TableRows,
  tableDef,
} from '../../lambdas/core/schema-registry.ts';
import { addDays, eachDay, localDateOf, parseDate } from '../../lambdas/core/time.ts';
import { encodeLapPace, encodeOpenPauses, type OpenSegments, openSegmentRows, openSegments } from './segments.ts';

export interface HuamiOpenSimUserSpec {
  userId?: string;
  tzOffsetS?: number;
  /** amazfit: sleep start/stop as minute indexes; mifit: as timestamps */
  device?: 'amazfit' | 'mifit';
}

export interface HuamiOpenSimOptions {
  port?: number;
  seed?: number;
  today?: string;
  days?: number;
  users?: number | HuamiOpenSimUserSpec[];
  clientId?: string;
  clientSecret?: string;
  accessTokenLifetimeS?: number;
  /**
   * A refresh also ends the access token that came with the refresh token used (some OAuth servers do). Default
   * false: an access token lives until it expires, as RFC 6749 allows.
   */
  retireAccessTokenOnRefresh?: boolean;
}

export interface HuamiOpenSimUser {
  userId: string;
  tzOffsetS: number;
  device: 'amazfit' | 'mifit';
  firstDate: string;
}

export interface FaultSpec {
  /** statuses answered to the next requests, in order (429, 500, 503...) */
  next?: number[];
  /** probability (0-1) that any request is answered 503 (seeded, deterministic) */
  rate5xx?: number;
  /** probability that any request is answered 429 */
  rate429?: number;
  /** Retry-After seconds sent with 429 (default 1) */
  retryAfterS?: number;
  /** delay before answering, ms */
  delayMs?: number;
  /** which routes: api (default), auth or all */
  scope?: 'api' | 'auth' | 'all';
}

export interface HuamiNotificationBody {
  userId: string;
  eventType: string;
  eventTime: number;
  resourceTime?: number;
  data?: string;
}

export interface NotifyOptions {
  tamper?: 'body' | 'signature';
  omitSignature?: boolean;
}

export interface HuamiOpenSimulator {
  url: string;
  users: HuamiOpenSimUser[];
  clientId: string;
  clientSecret: string;
  publicKeyPem: string;
  /** Every request answered; `truncated` marks a date range answered only up to the end of its first month. */
  requests: { method: string; path: string; status: number; truncated?: boolean }[];
  /** Every authorization code, access token and refresh token minted so far (tests look for leaks of them). */
  mintedSecrets(): string[];
  authorize(userId: string, params: { clientId: string; redirectUri: string; scope?: string; state?: string }): string;
  groundTruth(userId: string, range: { from: string; to: string }): TableRows;
  revokeConsent(userId: string): void;
  expireAccessTokens(userId?: string): void;
  /** The tokens of a user the vendor accepts now: unexpired access tokens and unsuperseded refresh tokens. */
  liveTokens(userId: string): { accessTokens: string[]; refreshTokens: string[] };
  setFaults(spec: FaultSpec): void;
  signBody(raw: Uint8Array | string): string;
  makeNotification(userId: string, overrides?: Partial<HuamiNotificationBody>): HuamiNotificationBody;
  notify(
    targetUrl: string,
    notification: HuamiNotificationBody | string,
    options?: NotifyOptions,
  ): Promise<{ status: number; ms: number }>;
  notifyBurst(
    targetUrl: string,
    n: number,
  ): Promise<{ status: number; ms: number; notification: HuamiNotificationBody }[]>;
  close(): Promise<void>;
}

const SOURCE = 'huami-open';
const MINUTE_MS = 60_000;
const DEFAULT_USERS: Required<HuamiOpenSimUserSpec>[] = [
  { userId: '1000000101', tzOffsetS: 3600, device: 'amazfit' },
  { userId: '1000000102', tzOffsetS: -18000, device: 'mifit' },
  { userId: '1000000103', tzOffsetS: 19800, device: 'amazfit' },
];

// ------------------------------------------------------------------------------------------ PRNG

function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** mulberry32 */
function prng(seed: number): { next(): number; int(lo: number, hi: number): number } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

// ------------------------------------------------------------------------------------------ model

interface MinuteModel {
  minute: number;
  hr: number | null;
  steps: number;
  activeness: number;
  mode: number;
}

interface StageModel {
  start: number;
  stop: number;
  mode: number;
}

interface NightModel {
  start: number;
  stop: number;
  stages: StageModel[];
  deep: number;
  shallow: number;
  wake: number;
  score: number;
}

interface WorkoutModel {
  trackId: number;
  sportTime: number;
  distance: number;
  calories: number;
  averageHeartRate: number;
  averagePace: number;
  averageStepFrequency: number;
  averageStrideLength: number;
  altitudeAscend: number;
  altitudeDescend: number;
  gps: { t: number; latE8: number; lonE8: number; altCm: number | null }[];
  hr: { t: number; hr: number }[];
  distanceSeries: { t: number; m: number }[];
  gait: { t: number; steps: number; stride: number; cadence: number }[];
  speed: { t: number; centi: number }[];
  /** pauses and laps (sim/huami-open/segments.ts), drawn from their own stream */
  segments: OpenSegments;
}

interface PaiModel {
  dailyPai: number;
  totalPai: number;
  restHr: number;
  maxHr: number;
  lowZonePai: number;
  mediumZonePai: number;
  highZonePai: number;
  lowZoneMinutes: number;
  mediumZoneMinutes: number;
  highZoneMinutes: number;
  totalStep: number;
  totalCal: number;
}

interface StressModel {
  avg: number;
  min: number;
  max: number;
  relax: number;
  normal: number;
  medium: number;
  high: number;
  readings: { time: number; value: number }[];
}

interface DayModel {
  date: string;
  midnightMs: number;
  syncS: number;
  minutes: MinuteModel[];
  steps: number;
  distance: number;
  calories: number;
  walkTime: number;
  runDistance: number;
  runTime: number;
  runCalories: number;
  night: NightModel | null;
  workout: WorkoutModel | null;
  pai: PaiModel;
  stress: StressModel;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function buildNight(r: ReturnType<typeof prng>): NightModel {
  const start = r.int(1320, 1410); // 22:00-23:30 of D
  const stop = r.int(1850, 1950); // ~06:50-08:30 of D+1
  const stages: StageModel[] = [];
  const modes = [4, 5, 4, 8, 4, 7];
  let s = start;
  let k = 0;
  while (s <= stop) {
    const len = r.int(15, 60);
    const e = Math.min(stop, s + len - 1);
    stages.push({ start: s, stop: e, mode: modes[k % modes.length]! });
    s = e + 1;
    k += r.int(1, 2);
  }
  const sum = (mode: number) => stages.filter((x) => x.mode === mode).reduce((a, x) => a + x.stop - x.start + 1, 0);
  return { start, stop, stages, deep: sum(5), shallow: sum(4), wake: sum(7), score: r.int(60, 95) };
}

function buildWorkout(r: ReturnType<typeof prng>, midnightMs: number): WorkoutModel {
  const trackId = Math.floor(midnightMs / 1000) + r.int(1080, 1170) * 60 + r.int(0, 59);
  const sportTime = r.int(900, 1500);
  const end = trackId + sportTime;
  const gps: WorkoutModel['gps'] = [];
  let lat = 4_004_540_672 + r.int(-1_000_000, 1_000_000);
  let lon = 11_628_061_696 + r.int(-1_000_000, 1_000_000);
  let alt = 6000 + r.int(-500, 500);
  let up = 0;
  let down = 0;
  for (let t = trackId + r.int(2, 4); t <= end; t += r.int(1, 4)) {
    lat += r.int(-8000, 8000);
    lon += r.int(-8000, 8000);
    const dAlt = r.int(-30, 30);
    alt += dAlt;
    if (dAlt > 0) up += dAlt;
    else down -= dAlt;
    gps.push({ t, latE8: lat, lonE8: lon, altCm: gps.length === 5 ? null : alt });
  }
  const hr: WorkoutModel['hr'] = [];
  let h = r.int(95, 110);
  for (let t = trackId + r.int(1, 3); t <= end; t += r.int(1, 5)) {
    h = Math.max(90, Math.min(185, h + r.int(-3, 4)));
    hr.push({ t, hr: h });
  }
  const distanceSeries: WorkoutModel['distanceSeries'] = [];
  let m = 0;
  for (let t = trackId + r.int(2, 5); t <= end; t += r.int(2, 5)) {
    m += r.int(3, 14);
    distanceSeries.push({ t, m });
  }
  const gait: WorkoutModel['gait'] = [];
  let steps = 0;
  for (let t = trackId + 10; t <= end; t += 10) {
    steps += r.int(24, 32);
    gait.push({ t, steps, stride: r.int(70, 120), cadence: r.int(145, 185) });
  }
  const speed: WorkoutModel['speed'] = [];
  for (let t = trackId + 6; t <= end; t += 6) speed.push({ t, centi: r.int(150, 450) });
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    trackId,
    sportTime,
    distance: m,
    calories: Math.round(m * 0.65) / 10,
    averageHeartRate: Math.round(mean(hr.map((x) => x.hr))),
    averagePace: round2(m / sportTime),
    averageStepFrequency: Math.round(mean(gait.map((x) => x.cadence))),
    averageStrideLength: Math.round(mean(gait.map((x) => x.stride))),
    altitudeAscend: Math.round(up / 100),
    altitudeDescend: Math.round(down / 100),
    gps,
    hr,
    distanceSeries,
    gait,
    speed,
    segments: { pauses: [], laps: [] },
  };
}

function buildDay(seed: number, user: HuamiOpenSimUser, date: string, today: string): DayModel | null {
  if (date < user.firstDate || date > today) return null;
  const r = prng(hashString(`${seed}|${user.userId}|${date}`));
  if (date !== today && r.next() < 0.1) return null; // a day the band was not worn or never synced
  const midnightMs = parseDate(date) - user.tzOffsetS * 1000;
  const lastMinute = date === today ? 719 : 1439;
  const gap = r.next() < 0.5 ? { from: r.int(600, 1200), len: r.int(20, 90) } : null;
  const workout = date !== today && r.next() < 0.35 ? buildWorkout(r, midnightMs) : null;
  // Their own stream, so the day's other values stay what they were before pauses and laps existed.
  if (workout)
    workout.segments = openSegments(workout, prng(hashString(`${seed}|${user.userId}|${workout.trackId}|segments`)));
  const wStart = workout ? Math.floor((workout.trackId * 1000 - midnightMs) / MINUTE_MS) : -1;
  const wEnd = workout ? wStart + Math.ceil(workout.sportTime / 60) : -1;
  const minutes: MinuteModel[] = [];
  let walkTime = 0;
  for (let minute = 0; minute <= lastMinute; minute++) {
    const asleep = minute < 420 || minute >= 1380;
    const notWorn = gap !== null && minute >= gap.from && minute < gap.from + gap.len;
    const running = minute >= wStart && minute < wEnd;
    let mode = 0;
    let steps = 0;
    let hr: number | null = r.int(62, 95);
    let activeness = r.int(0, 40);
    if (notWorn) {
      mode = 3;
      hr = null;
      activeness = 0;
    } else if (running) {
      mode = 2;
      steps = r.int(140, 180);
      hr = r.int(120, 170);
      activeness = r.int(100, 126);
    } else if (asleep) {
      mode = r.next() < 0.4 ? 4 : 5;
      hr = r.int(48, 62);
      activeness = r.int(0, 5);
    } else if (r.next() < 0.25) {
      mode = 1;
      steps = r.int(10, 110);
      activeness = r.int(40, 100);
      walkTime++;
    }
    minutes.push({ minute, hr, steps, activeness, mode });
  }
  const steps = minutes.reduce((a, x) => a + x.steps, 0);
  const runDistance = workout?.distance ?? 0;
  const dayPai = round2(r.next() * 30);
  const stressReadings: StressModel['readings'] = [];
  for (let m = 480; m <= Math.min(lastMinute, 1320); m += 30) {
    stressReadings.push({ time: midnightMs + m * MINUTE_MS, value: r.int(5, 90) });
  }
  const values = stressReadings.map((x) => x.value);
  const relax = r.int(10, 40);
  const normal = r.int(20, 50);
  const medium = r.int(0, 100 - relax - normal);
  return {
    date,
    midnightMs,
    syncS: Math.floor((midnightMs + (lastMinute + 1) * MINUTE_MS) / 1000) + r.int(0, 3600),
    minutes,
    steps,
    distance: Math.round(steps * 0.72),
    calories: Math.round(steps * 0.04) + (workout ? Math.round(workout.calories) : 0),
    walkTime,
    runDistance,
    runTime: workout ? Math.round(workout.sportTime / 60) : 0,
    runCalories: workout ? Math.round(workout.calories) : 0,
    night: date === today ? null : buildNight(r),
    workout,
    pai: {
      dailyPai: dayPai,
      totalPai: round2(dayPai + r.next() * 80),
      restHr: r.int(50, 65),
      maxHr: r.int(150, 190),
      lowZonePai: round2(dayPai * 0.2),
      mediumZonePai: round2(dayPai * 0.5),
      highZonePai: round2(dayPai * 0.3),
      lowZoneMinutes: r.int(20, 120),
      mediumZoneMinutes: r.int(0, 40),
      highZoneMinutes: r.int(0, 20),
      totalStep: steps,
      totalCal: Math.round(steps * 0.04),
    },
    stress: {
      avg: values.length ? Math.round(values.reduce((a, b) => a + b, 0) / values.length) : 0,
      min: values.length ? Math.min(...values) : 0,
      max: values.length ? Math.max(...values) : 0,
      relax,
      normal,
      medium,
      high: 100 - relax - normal - medium,
      readings: stressReadings,
    },
  };
}

// ------------------------------------------------------------------------------------------ encoders

/** `a;b;c;` with the vendor's trailing separator. */
const joinEntries = (entries: string[]) => (entries.length ? `${entries.join(';')};` : '');
/** Pair-series time delta: empty means one second. */
const pairDelta = (dt: number) => (dt === 1 ? '' : String(dt));

function encodeSportDetail(w: WorkoutModel, device: string): Record<string, string | number> {
  let t = w.trackId;
  let lat = 0;
  let lon = 0;
  const times: string[] = [];
  const coords: string[] = [];
  const alts: string[] = [];
  for (const p of w.gps) {
    times.push(String(p.t - t));
    t = p.t;
    coords.push(`${p.latE8 - lat},${p.lonE8 - lon}`);
    lat = p.latE8;
    lon = p.lonE8;
    alts.push(String(p.altCm ?? -2_000_000));
  }
  const cumulative = (samples: { t: number; v: number }[]) => {
    let ct = w.trackId;
    let cv = 0;
    return joinEntries(
      samples.map((s) => {
        const e = `${pairDelta(s.t - ct)},${s.v - cv}`;
        ct = s.t;
        cv = s.v;
        return e;
      }),
    );
  };
  let gt = w.trackId;
  let gs = 0;
  const gait = joinEntries(
    w.gait.map((g) => {
      const e = `${pairDelta(g.t - gt)},${g.steps - gs},${g.stride},${g.cadence}`;
      gt = g.t;
      gs = g.steps;
      return e;
    }),
  );
  let st = w.trackId;
  const speed = joinEntries(
    w.speed.map((s, i) => {
      const dt = pairDelta(s.t - st);
      st = s.t;
      return i % 2 ? `${dt}, ${(s.centi / 100).toFixed(2)}` : `${dt},${(s.centi / 100).toFixed(2)}`;
    }),
  );
  return {
    trackId: String(w.trackId),
    startTime: w.trackId,
    device,
    samplingTime: joinEntries(times),
    latitudeLongitude: joinEntries(coords),
    altitude: joinEntries(alts),
    accuracy: joinEntries(w.gps.map(() => '0')),
    distance: cumulative(w.distanceSeries.map((s) => ({ t: s.t, v: s.m }))),
    pace: joinEntries(w.gps.map(() => (w.averagePace > 0 ? (1 / w.averagePace).toFixed(2) : '0.00'))),
    gait,
    speed,
    pause: encodeOpenPauses(w.segments.pauses),
    heartRate: cumulative(w.hr.map((s) => ({ t: s.t, v: s.hr }))),
    kilometerPace: '',
    milePace: '',
    lapPace: encodeLapPace(w.segments.laps),
  };
}

// ------------------------------------------------------------------------------------------ ground truth

function groundTruthOf(user: HuamiOpenSimUser, days: DayModel[]): TableRows {
  const tz = user.tzOffsetS;
  const out: Record<string, Row[]> = {};
  const push = (table: TableName, row: Row) => {
    out[table] ??= [];
    out[table].push({ user_id: user.userId, ...row, source: SOURCE });
  };
  const minuteAt = (day: DayModel, m: number) => day.midnightMs + m * MINUTE_MS;
  for (const day of days) {
    const base = { local_date: day.date, tz_offset_s: tz };
    for (const m of day.minutes) {
      push('activity_minute', {
        ...base,
        ts: minuteAt(day, m.minute),
        activity_kind: null,
        kind_raw: null,
        intensity: m.activeness,
        steps: m.steps,
        heart_rate: m.hr,
        device_id: null,
      });
    }
    push('daily_summary', {
      ...base,
      steps: day.steps,
      distance_m: day.distance,
      calories: day.calories,
      run_distance_m: day.runDistance,
      run_calories: day.runCalories,
      walk_min: day.walkTime,
      run_min: day.runTime,
      goal_steps: null,
      max_hr: null,
      device_id: null,
      synced_ts: day.syncS * 1000,
    });
    if (day.night) {
      const n = day.night;
      push('sleep_session', {
        ...base,
        night_of: day.date,
        start_ts: minuteAt(day, n.start),
        end_ts: minuteAt(day, n.stop),
        deep_min: n.deep,
        light_min: n.shallow,
        rem_min: null,
        awake_min: n.wake,
        wake_count: null,
        sleep_score: n.score,
        resting_hr: null,
      });
      const names: Record<number, string> = { 4: 'light', 5: 'deep', 7: 'awake', 8: 'rem' };
      for (const s of n.stages) {
        push('sleep_stage', {
          ...base,
          night_of: day.date,
          start_ts: minuteAt(day, s.start),
          end_ts: minuteAt(day, s.stop + 1),
          stage: names[s.mode] ?? 'unknown',
          mode: s.mode,
        });
      }
    }
    const w = day.workout;
    if (w) {
      const wDate = localDateOf(w.trackId * 1000, tz);
      push('workout', {
        local_date: wDate,
        tz_offset_s: tz,
        trackid: w.trackId,
        workout_type: null,
        workout_type_name: 'OUTDOOR_RUN',
        start_ts: w.trackId * 1000,
        end_ts: (w.trackId + w.sportTime) * 1000,
        duration_s: w.sportTime,
        distance_m: w.distance,
        calories: w.calories,
        total_steps: null,
        avg_hr: w.averageHeartRate,
        max_hr: null,
        min_hr: null,
        avg_pace_s_per_m: w.averagePace > 0 ? 1 / w.averagePace : null,
        avg_cadence: w.averageStepFrequency,
        ascent_m: w.altitudeAscend,
        descent_m: w.altitudeDescend,
        device_id: 'AMAZFIT_SPORTS_WATCH',
        track_source: 'AMAZFIT_SPORTS_WATCH',
      });
      const samples = new Map<number, Row>();
      const at = (t: number): Row => {
        let row = samples.get(t);
        if (!row) {
          row = {
            local_date: wDate,
            tz_offset_s: tz,
            trackid: w.trackId,
            ts: t * 1000,
            lat: null,
            lon: null,
            altitude_m: null,
            heart_rate: null,
            distance_m: null,
            steps: null,
            stride_cm: null,
            cadence: null,
            speed: null,
            pressure_pa: null,
          };
          samples.set(t, row);
        }
        return row;
      };
      for (const p of w.gps)
        Object.assign(at(p.t), {
          lat: p.latE8 / 1e8,
          lon: p.lonE8 / 1e8,
          altitude_m: p.altCm === null ? null : p.altCm / 100,
        });
      for (const s of w.hr) at(s.t).heart_rate = s.hr;
      for (const s of w.distanceSeries) at(s.t).distance_m = s.m;
      for (const g of w.gait) Object.assign(at(g.t), { steps: g.steps, stride_cm: g.stride, cadence: g.cadence });
      for (const s of w.speed) at(s.t).speed = s.centi / 100;
      for (const row of samples.values()) push('workout_sample', row);
      const segments = openSegmentRows(w.trackId, w.segments);
      for (const row of segments.workout_pause) push('workout_pause', { local_date: wDate, tz_offset_s: tz, ...row });
      for (const row of segments.workout_lap) push('workout_lap', { local_date: wDate, tz_offset_s: tz, ...row });
    }
    const p = day.pai;
    push('pai', {
      ...base,
      ts: day.midnightMs,
      daily_pai: p.dailyPai,
      total_pai: p.totalPai,
      rest_hr: p.restHr,
      max_hr: p.maxHr,
      low_zone_pai: p.lowZonePai,
      medium_zone_pai: p.mediumZonePai,
      high_zone_pai: p.highZonePai,
      low_zone_min: p.lowZoneMinutes,
      medium_zone_min: p.mediumZoneMinutes,
      high_zone_min: p.highZoneMinutes,
      total_steps: p.totalStep,
      total_calories: p.totalCal,
    });
    const s = day.stress;
    const noPct = {
      min_stress: null,
      max_stress: null,
      relax_pct: null,
      normal_pct: null,
      medium_pct: null,
      high_pct: null,
    };
    push('stress', {
      ...base,
      ts: day.midnightMs + 1,
      kind: 'day',
      value: s.avg,
      min_stress: s.min,
      max_stress: s.max,
      relax_pct: s.relax,
      normal_pct: s.normal,
      medium_pct: s.medium,
      high_pct: s.high,
      device_id: 'AMAZFIT_SPORTS_WATCH',
    });
    for (const reading of s.readings) {
      push('stress', {
        ...base,
        ts: reading.time,
        kind: 'reading',
        value: reading.value,
        ...noPct,
        device_id: 'AMAZFIT_SPORTS_WATCH',
      });
    }
  }
  const result: TableRows = {};
  for (const [table, rows] of Object.entries(out)) {
    const def = tableDef(table);
    result[table as TableName] = rows.sort((a, b) => (naturalKeyOf(def, a) < naturalKeyOf(def, b) ? -1 : 1));
  }
  return result;
}

// ------------------------------------------------------------------------------------------ server

interface TokenGrant {
  userId: string;
  clientId: string;
  expiresAt: number;
}

/** What the log should say about a request beyond its status. */
interface RequestNote {
  truncated?: boolean;
}

/** The last day of the calendar month of `date` (YYYY-MM-DD). */
function endOfMonth(date: string): string {
  const [y, m] = date.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startHuamiOpenSimulator(options: HuamiOpenSimOptions = {}): Promise<HuamiOpenSimulator> {
  const seed = options.seed ?? 1;
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const historyDays = options.days ?? 21;
  const clientId = options.clientId ?? 'zepp-lake-sim-client';
  const clientSecret = options.clientSecret ?? 'sim-client-secret';
  const accessLifetimeMs = (options.accessTokenLifetimeS ?? 90 * 86_400) * 1000;
  const specs: HuamiOpenSimUserSpec[] =
    typeof options.users === 'number'
      ? Array.from({ length: options.users }, (_, i) => DEFAULT_USERS[i % DEFAULT_USERS.length]!).map((u, i) => ({
          ...u,
          userId: String(1000000101 + i),
        }))
      : (options.users ?? DEFAULT_USERS.slice(0, 2));
  const users: HuamiOpenSimUser[] = specs.map((s, i) => ({
    userId: s.userId ?? String(1000000101 + i),
    tzOffsetS: s.tzOffsetS ?? DEFAULT_USERS[i % DEFAULT_USERS.length]!.tzOffsetS,
    device: s.device ?? 'amazfit',
    firstDate: addDays(today, -(historyDays - 1)),
  }));
  const userById = new Map(users.map((u) => [u.userId, u]));
  const dayCache = new Map<string, DayModel | null>();
  const dayOf = (user: HuamiOpenSimUser, date: string): DayModel | null => {
    const key = `${user.userId}|${date}`;
    if (!dayCache.has(key)) dayCache.set(key, buildDay(seed, user, date, today));
    return dayCache.get(key) ?? null;
  };
  const daysIn = (user: HuamiOpenSimUser, from: string, to: string): DayModel[] =>
    eachDay(from, to)
      .map((d) => dayOf(user, d))
      .filter((d): d is DayModel => d !== null);

  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

  const codes = new Map<string, { userId: string; clientId: string; redirectUri: string; expiresAt: number }>();
  const accessTokens = new Map<string, TokenGrant>();
  /** Live refresh tokens; each remembers the access token issued with it (retired with it when so configured). */
  const refreshTokens = new Map<string, { userId: string; clientId: string; accessToken: string }>();
  const revoked = new Set<string>();
  let faults: FaultSpec = {};
  const faultRandom = prng(hashString(`faults|${seed}`));
  const requests: HuamiOpenSimulator['requests'] = [];

  const minted: string[] = [];
  const newToken = () => {
    const value = randomBytes(24).toString('base64');
    minted.push(value);
    return value;
  };
  const issueTokens = (userId: string, cid: string) => {
    const accessToken = newToken();
    accessTokens.set(accessToken, { userId, clientId: cid, expiresAt: Date.now() + accessLifetimeMs });
    const refresh = newToken();
    refreshTokens.set(refresh, { userId, clientId: cid, accessToken });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: Math.round(accessLifetimeMs / 1000),
      refresh_token: refresh,
    };
  };

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
    res.end(text);
    return status;
  };

  const pickFault = (isAuth: boolean): number | undefined => {
    const scope = faults.scope ?? 'api';
    if (scope !== 'all' && (scope === 'auth') !== isAuth) return undefined;
    if (faults.next && faults.next.length > 0) return faults.next.shift();
    if (faults.rate429 && faultRandom.next() < faults.rate429) return 429;
    if (faults.rate5xx && faultRandom.next() < faults.rate5xx) return 503;
    return undefined;
  };

  const tokenEndpoint = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<number> => {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
      return send(res, 401, { error: 'invalid_client' });
    }
    const grant = form.get('grant_type');
    if (grant === 'authorization_code' && path === '/oauth2/access_token') {
      const code = form.get('code') ?? '';
      const entry = codes.get(code);
      codes.delete(code); // single use
      if (!entry || entry.expiresAt < Date.now() || entry.redirectUri !== form.get('redirect_uri')) {
        return send(res, 400, { error: 'invalid_grant' });
      }
      if (revoked.has(entry.userId)) return send(res, 400, { error: 'invalid_grant' });
      return send(res, 200, issueTokens(entry.userId, entry.clientId));
    }
    if (grant === 'refresh_token') {
      const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const refresh = form.get('refresh_token') ?? bearer ?? '';
      const entry = refreshTokens.get(refresh);
      if (!entry || revoked.has(entry.userId)) return send(res, 400, { error: 'invalid_grant' });
      // Rotation: the refresh token used is superseded now; a second use of it answers invalid_grant.
      refreshTokens.delete(refresh);
      if (options.retireAccessTokenOnRefresh) accessTokens.delete(entry.accessToken);
      return send(res, 200, issueTokens(entry.userId, entry.clientId));
    }
    return send(res, 400, { code: -1001, message: 'Error parameter' });
  };

  const dataEndpoint = (req: IncomingMessage, res: ServerResponse, url: URL, note: RequestNote): number => {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const grant = bearer ? accessTokens.get(bearer) : undefined;
    if (!grant || grant.expiresAt <= Date.now()) return send(res, 401, { code: 0, message: 'invalid token' });
    if (revoked.has(grant.userId)) {
      return send(res, 401, { code: -1011, message: 'User authorization has expired, please relogin again' });
    }
    const user = userById.get(grant.userId)!;
    const path = url.pathname.replace(/^\/users\/-\//, '');
    if (path === 'profile') {
      return send(res, 200, {
        userId: user.userId,
        gender: 1,
        birthday: '1985-06',
        height: 175.0,
        weight: 72.5,
        nickName: `sim-${user.userId}`,
        avatar: 'https://example.invalid/avatar.png',
      });
    }
    if (path === 'devices') {
      return send(res, 200, {
        items: [
          {
            deviceType: 'WATCH',
            deviceName: user.device === 'mifit' ? 'BAND_2' : 'AMAZFIT_SPORTS_WATCH',
            deviceId: `88EB0F01${user.userId.slice(-8)}`,
            macAddress: '0F:0F:0F:0F:0F:0F',
            lastDataSyncTime: dayOf(user, today)?.syncS ?? 0,
          },
        ],
      });
    }
    if (path === 'sportDetail') {
      const trackId = Number(url.searchParams.get('trackId'));
      for (const day of daysIn(user, user.firstDate, today)) {
        if (day.workout?.trackId === trackId) {
          return send(
            res,
            200,
            encodeSportDetail(day.workout, url.searchParams.get('device') ?? 'AMAZFIT_SPORTS_WATCH'),
          );
        }
      }
      return send(res, 404, { code: -2001, message: 'Not found' });
    }
    const startDate = url.searchParams.get('startDate');
    const endDate = url.searchParams.get('endDate');
    if (!startDate || !endDate) return send(res, 400, { code: -1002, message: 'Missing required parameter' });
    try {
      parseDate(startDate);
      parseDate(endDate);
    } catch {
      return send(res, 400, { code: -1004, message: 'Invalid parameter' });
    }
    // sports are chosen by their local start date, which may precede the requested days' own records
    // The doc never promises a long range whole: answer up to the end of startDate's month, silently.
    const answeredTo = endOfMonth(startDate) < endDate ? endOfMonth(startDate) : endDate;
    if (answeredTo < endDate) note.truncated = true;
    const days = daysIn(user, startDate, answeredTo);
    const items: unknown[] = [];
    const mifit = user.device === 'mifit';
    const at = (day: DayModel, minute: number) => day.midnightMs + minute * MINUTE_MS;
    switch (path) {
      case 'activities':
        for (const d of days) {
          items.push({
            date: d.date,
            lastSyncTime: d.syncS,
            steps: d.steps,
            distance: d.distance,
            walkTime: d.walkTime,
            runDistance: d.runDistance,
            runTime: d.runTime,
            calories: d.calories,
            runCalories: d.runCalories,
          });
        }
        break;
      case 'sleep': {
        const hourly = url.searchParams.get('interval') === 'hourly';
        for (const d of days) {
          const n = d.night;
          if (!n) continue;
          const when = (minute: number) => (mifit ? Math.floor(at(d, minute) / 1000) : minute);
          if (hourly) {
            for (const s of n.stages) {
              items.push({
                date: d.date,
                lastSyncTime: d.syncS,
                start: when(s.start),
                stop: mifit ? when(s.stop + 1) : s.stop,
                mode: s.mode,
              });
            }
          } else {
            items.push({
              date: d.date,
              lastSyncTime: d.syncS,
              deepSleepTime: n.deep,
              shallowSleepTime: n.shallow,
              wakeTime: n.wake,
              start: when(n.start),
              stop: when(n.stop),
              sleepScore: n.score,
            });
          }
        }
        break;
      }
      case 'heartrates':
        for (const d of days) {
          for (const m of d.minutes) {
            items.push({
              date: d.date,
              minute: m.minute,
              lastSyncTime: d.syncS,
              heartRateData: m.hr ?? 0,
              timestamp: Math.floor(at(d, m.minute) / 1000),
              measureType: 'AUTO',
            });
          }
        }
        break;
      case 'motionInMinute':
        for (const d of days) {
          for (const m of d.minutes) {
            items.push({
              date: d.date,
              minute: m.minute,
              lastSyncTime: d.syncS,
              activeness: m.activeness,
              mode: m.mode,
              steps: m.steps,
            });
          }
        }
        break;
      case 'sports':
        for (const d of days) {
          const w = d.workout;
          if (!w) continue;
          items.push({
            trackId: String(w.trackId),
            startTime: w.trackId,
            endTime: w.trackId + w.sportTime,
            sportTime: w.sportTime,
            distance: w.distance,
            calories: w.calories,
            location: 'wx4ey7nzj0sy',
            averagePace: w.averagePace,
            averageStepFrequency: w.averageStepFrequency,
            averageStrideLength: w.averageStrideLength,
            timestamp: w.trackId,
            averageHeartRate: w.averageHeartRate,
            altitudeAscend: w.altitudeAscend,
            altitudeDescend: w.altitudeDescend,
            device: 'AMAZFIT_SPORTS_WATCH',
            deviceName: '{"en-WW":"Amazfit Sports Watch"}',
            type: 'OUTDOOR_RUN',
          });
        }
        break;
      case 'openData/PaiSummary':
        for (const d of days) {
          // the doc's calendarDay carries " +0000" whatever the zone; kept as documented
          items.push({ calendarDay: `${d.date} +0000`, userId: null, timestamp: d.midnightMs, ...paiItem(d) });
        }
        break;
      case 'events/PaiHealthInfo':
        for (const d of days) {
          items.push({
            userId: user.userId,
            eventType: 'PaiHealthInfo',
            timestamp: d.midnightMs,
            timeZone: String(user.tzOffsetS / 900),
            ...paiItem(d),
          });
        }
        break;
      case 'events/all_day_stress':
        for (const d of days) {
          const s = d.stress;
          items.push({
            userId: user.userId,
            eventType: 'all_day_stress',
            subType: 'all_day_stress',
            timestamp: d.midnightMs + 1,
            deviceId: 'AMAZFIT_SPORTS_WATCH',
            avgStress: String(s.avg),
            maxStress: String(s.max),
            minStress: String(s.min),
            relaxProportion: String(s.relax),
            normalProportion: String(s.normal),
            mediumProportion: String(s.medium),
            highProportion: String(s.high),
            data: JSON.stringify(s.readings),
          });
        }
        break;
      default:
        if (path.startsWith('events/')) break; // other event types: nothing recorded
        return send(res, 404, { code: -2001, message: 'Not found' });
    }
    return send(res, 200, { items });
  };

  const paiItem = (d: DayModel) => ({
    averageHeartRate: 75,
    totalCal: String(d.pai.totalCal),
    restHr: d.pai.restHr,
    maxHr: d.pai.maxHr,
    totalPai: d.pai.totalPai,
    exerciseTimes: d.workout ? 1 : 0,
    dailyPai: d.pai.dailyPai,
    totalStep: d.pai.totalStep,
    activityScores: [0, 0, 0, 0, 0, 0, 0],
    nextActivityScores: [0, 0, 0, 0, 0, 0, 0],
    highZonePai: d.pai.highZonePai,
    mediumZonePai: d.pai.mediumZonePai,
    lowZonePai: d.pai.lowZonePai,
    highZoneMinutes: d.pai.highZoneMinutes,
    mediumZoneMinutes: d.pai.mediumZoneMinutes,
    lowZoneMinutes: d.pai.lowZoneMinutes,
    highZoneLowerLimit: 150,
    mediumZoneLowerLimit: 113,
    lowZoneLowerLimit: 90,
  });

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const isAuth = url.pathname.startsWith('/oauth2/');
    const note: RequestNote = {};
    const record = (status: number) =>
      requests.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        status,
        ...(note.truncated ? { truncated: true } : {}),
      });
    const handle = async (): Promise<number> => {
      if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
      const fault = pickFault(isAuth);
      if (fault === 429) {
        return send(
          res,
          429,
          { code: 429, message: 'Too Many Requests' },
          { 'retry-after': String(faults.retryAfterS ?? 1) },
        );
      }
      if (fault !== undefined) return send(res, fault, { code: -1003, message: 'Internal server error' });
      if (
        req.method === 'POST' &&
        (url.pathname === '/oauth2/access_token' || url.pathname === '/oauth2/refresh_token')
      ) {
        return tokenEndpoint(req, res, url.pathname);
      }
      if (req.method === 'POST' && url.pathname === '/oauth2/verify') {
        const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
        const grant = bearer ? accessTokens.get(bearer) : undefined;
        if (!grant || grant.expiresAt <= Date.now() || revoked.has(grant.userId)) {
          return send(res, 401, { code: 0, message: 'invalid token' });
        }
        return send(res, 200, {
          userId: grant.userId,
          clientId: grant.clientId,
          scope: 'profile;activity;sleep;heartrate;motion;sport;sportDetail',
          scopeObjects: null,
          scopeProperties: null,
          expireAt: Math.floor(grant.expiresAt / 1000),
          region: null,
          thirdpartyId: null,
          thirdpartyName: null,
        });
      }
      if (req.method === 'GET' && url.pathname.startsWith('/users/-/')) return dataEndpoint(req, res, url, note);
      return send(res, 404, { code: -2001, message: 'Not found' });
    };
    handle()
      .then(record)
      .catch(() => {
        if (!res.headersSent) record(send(res, 500, { code: -1003, message: 'Internal server error' }));
      });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const signBody = (raw: Uint8Array | string): string => {
    const signer = createSign('RSA-SHA1');
    signer.update(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);
    return encodeURIComponent(signer.sign(privateKey).toString('base64'));
  };

  let notificationCounter = 0;
  const makeNotification = (userId: string, overrides: Partial<HuamiNotificationBody> = {}): HuamiNotificationBody => {
    notificationCounter++;
    const user = userById.get(userId);
    const day = user ? addDays(today, -(notificationCounter % 3)) : today;
    const resourceTime = Math.floor((parseDate(day) - (user?.tzOffsetS ?? 0) * 1000) / 1000) + 43_200;
    return {
      userId,
      eventType: 'activityDataUpdated',
      eventTime: resourceTime + 60 + notificationCounter,
      resourceTime,
      data: JSON.stringify({ sequence: notificationCounter }),
      ...overrides,
    };
  };

  const notify = async (
    targetUrl: string,
    notification: HuamiNotificationBody | string,
    opts: NotifyOptions = {},
  ): Promise<{ status: number; ms: number }> => {
    const body = Buffer.from(typeof notification === 'string' ? notification : JSON.stringify(notification), 'utf8');
    let signature = signBody(body);
    const sent = Buffer.from(body);
    if (opts.tamper === 'body') sent[Math.floor(sent.length / 2)]! ^= 0x01;
    if (opts.tamper === 'signature') {
      const bytes = Buffer.from(decodeURIComponent(signature), 'base64');
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
      signature = encodeURIComponent(bytes.toString('base64'));
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (!opts.omitSignature) headers['huami-signature'] = signature;
    const started = performance.now();
    const res = await fetch(targetUrl, { method: 'POST', headers, body: sent });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - started };
  };

  return {
    url: `http://127.0.0.1:${port}`,
    users,
    clientId,
    clientSecret,
    publicKeyPem,
    requests,
    mintedSecrets: () => [...minted],
    authorize(userId, params) {
      if (!userById.has(userId)) throw new Error(`unknown simulated user ${userId}`);
      if (params.clientId !== clientId) throw new Error('unknown client_id');
      revoked.delete(userId); // consenting again restores access
      const code = randomBytes(12).toString('hex');
      minted.push(code);
      codes.set(code, {
        userId,
        clientId: params.clientId,
        redirectUri: params.redirectUri,
        expiresAt: Date.now() + 300_000,
      });
      return code;
    },
    groundTruth(userId, range) {
      const user = userById.get(userId);
      if (!user) throw new Error(`unknown simulated user ${userId}`);
      return groundTruthOf(user, daysIn(user, range.from, range.to));
    },
    revokeConsent(userId) {
      revoked.add(userId);
      for (const [token, grant] of accessTokens) if (grant.userId === userId) accessTokens.delete(token);
      for (const [token, grant] of refreshTokens) if (grant.userId === userId) refreshTokens.delete(token);
    },
    expireAccessTokens(userId) {
      for (const grant of accessTokens.values()) if (!userId || grant.userId === userId) grant.expiresAt = 0;
    },
    liveTokens(userId) {
      const now = Date.now();
      const live = revoked.has(userId) ? [] : [userId];
      return {
        accessTokens: [...accessTokens].filter(([, g]) => live.includes(g.userId) && g.expiresAt > now).map(([t]) => t),
        refreshTokens: [...refreshTokens].filter(([, g]) => live.includes(g.userId)).map(([t]) => t),
      };
    },
    setFaults(spec) {
      faults = { ...spec, next: spec.next ? [...spec.next] : undefined };
    },
    signBody,
    makeNotification,
    notify,
    async notifyBurst(targetUrl, n) {
      const notifications = Array.from({ length: n }, (_, i) => makeNotification(users[i % users.length]!.userId));
      return Promise.all(
        notifications.map(async (notification) => ({ ...(await notify(targetUrl, notification)), notification })),
      );
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
