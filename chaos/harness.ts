// What every chaos scenario needs: a small seeded user on the simulator, a fresh lake on the AWS stand-ins
// (fauxqs, DynamoDB Local, the Secrets Manager emulator) wired like `zepp-lake sync --backend aws`, storage
// fault decorators at the SDK boundary, one sync through the real engine, and a measurement of the lake
// against the simulator's ground truth. `faultThenHeal` strings them together so a scenario is a few lines.

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loginZepp, syncUsers } from '../lambdas/cli/sync-command.ts';
import { redact } from '../lambdas/core/errors.ts';
import { naturalKeyOf, type Row, type TableName, type TableRows, tableDef } from '../lambdas/core/schema-registry.ts';
import { STREAM_TABLES, type StreamName, WINDOWED_STREAMS } from '../lambdas/core/streams.ts';
import { addDays } from '../lambdas/core/time.ts';
import type { EngineDeps, SyncReport } from '../lambdas/engine/sync-engine.ts';
import { parquetCodec, type Runtime } from '../lambdas/runtime/local.ts';
import type { HttpOptions } from '../lambdas/sources/http.ts';
import { createStateTable, DynamoStateStore } from '../lambdas/stores/dynamo-state.ts';
import { S3ObjectStore } from '../lambdas/stores/s3-lake.ts';
import { SecretsManagerTokenStore } from '../lambdas/stores/secrets-tokens.ts';
import { type FaultSpec, type SimUserSpec, type Simulator, startSimulator } from '../sim/index.ts';
import { Rng, seedOf } from '../sim/people/users.ts';
import { DATA_TABLES } from '../test/support/local-lake.ts';
import type { ChaosEnv, ScenarioOutcome } from './scenario.ts';

/** Every chaos user's data ends on this day: a fixed date keeps a seed's run identical on any day it is run. */
export const CHAOS_TODAY = '2026-03-18';
/**
 * The clock of the first sync. Every later sync of a run is 16 minutes later: past the 15-minute lease TTL,
 * so a lease an aborted run could not release has expired, as it would have by the next scheduled run. The
 * user's time zones stay within +-10 h, so "today" is CHAOS_TODAY for every sync of a run.
 */
const FIRST_SYNC_MS = Date.parse(`${CHAOS_TODAY}T11:00:00Z`);
const SYNC_STEP_MS = 16 * 60_000;

/** Retries that do not sleep (the simulator is local): a run costs what its requests cost. */
export const CHAOS_HTTP: HttpOptions = {
  maxRetries: 3,
  baseDelayMs: 1,
  maxDelayMs: 5,
  timeoutMs: 15_000,
  sleep: async () => {},
};

/** Real sleeps, for scenarios that check a wait is honoured (keep Retry-After at 1 s or less). */
export const SLEEPING_HTTP: HttpOptions = {
  ...CHAOS_HTTP,
  maxDelayMs: 2_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const TZ_OFFSETS = [-36_000, -25_200, -18_000, -10_800, 0, 3_600, 7_200, 19_800, 28_800, 32_400, 36_000];

// ---------------------------------------------------------------- the simulated user

export interface ChaosUserOptions {
  faults?: FaultSpec;
  /** Changes the generated spec (more workouts, forced gaps...). */
  tweak?: (spec: SimUserSpec, rng: Rng) => SimUserSpec;
}

export interface ChaosUser {
  sim: Simulator;
  spec: SimUserSpec;
  userId: string;
  /** The scenario's own PRNG (independent of the user's generator), seeded by the run's seed. */
  rng: Rng;
  close(): Promise<void>;
}

/** The band of a chaos person: a modern Amazfit (device ids, max HR, readiness) or an old Mi Band without them. */
export function chaosDevice(first: string, modern: boolean): SimUserSpec['devices'][number] {
  return {
    from: first,
    deviceId: modern ? 'B93A4C5D6E7F8091' : 'DA932FFFFE8816E7',
    source: modern ? 256 : 24,
    name: modern ? 'Amazfit Bip 3' : 'Mi Smart Band 4',
    mac: 'E1:22:33:44:55:66',
    sn: '2445B548008062',
    trackSource: modern ? 'run.411.huami.com' : 'run.mifit.huami.com',
    bindDevice: modern ? '256:BIP3:1' : '0:MILI:8',
    sendsDeviceId: modern,
    reportsMaxHr: modern,
    readiness: modern,
  };
}

/** One small person built from the seed: 20-32 days of data ending CHAOS_TODAY, a few workouts, a seeded zone. */
export function chaosUserSpec(seed: number): SimUserSpec {
  const rng = new Rng(seedOf('chaos-user', seed));
  const days = rng.int(20, 32);
  const first = addDays(CHAOS_TODAY, -days);
  const offset = rng.pick(TZ_OFFSETS);
  const tz = [{ from: addDays(first, -400), offsetS: offset }];
  // Some people travel (or change to summer time) during the synced days.
  if (rng.chance(0.3)) {
    const shift = rng.pick([-7_200, -3_600, 3_600, 7_200]);
    const next = Math.max(-36_000, Math.min(36_000, offset + shift));
    tz.push({ from: addDays(CHAOS_TODAY, -rng.int(3, days - 3)), offsetS: next });
  }
  const userId = `7${String(seedOf('chaos-id', seed) % 1_000_000_000).padStart(9, '0')}`;
  const modern = rng.chance(0.5);
  return {
    name: `chaos${seed}`,
    email: `chaos-${seed}@example.com`,
    password: `chaos-${seed}-synthetic-pw`,
    userId,
    region: 'eu-central-1',
    countryCode: 'DE',
    firstDate: first,
    tz,
    devices: [chaosDevice(first, modern)],
    workoutRate: 0.12,
    gapRate: 0.03,
    swimDates: rng.chance(0.3) ? [addDays(CHAOS_TODAY, -rng.int(2, days - 2))] : [],
    home: { lat: 48.137154, lon: 11.576124 },
  };
}

export async function startChaosUser(seed: number, opts: ChaosUserOptions = {}): Promise<ChaosUser> {
  const rng = new Rng(seedOf('chaos-scenario', seed));
  const base = chaosUserSpec(seed);
  const spec = opts.tweak ? opts.tweak(base, rng) : base;
  const sim = await startSimulator({
    today: CHAOS_TODAY,
    users: [spec],
    seed,
    faults: { seed, ...opts.faults },
    loginThrottle: false,
  });
  return { sim, spec, userId: spec.userId, rng, close: () => sim.close() };
}

// ---------------------------------------------------------------- storage faults at the SDK boundary

/**
 * A switchable, seeded fault plan for one SDK client. `decide` is asked before every command is sent and
 * returns the error to throw (the SDK's own exception shape), or undefined to let the command through.
 * The decorator sits outside the SDK's retry middleware: what it throws is what the adapter would see once
 * the SDK's own retries were spent.
 */
export interface FaultPlan {
  active: boolean;
  /** Errors thrown so far, by name. */
  readonly fired: Record<string, number>;
  decide(commandName: string, input: Record<string, unknown>): Error | undefined;
}

interface Sendable {
  send: (command: never, ...rest: never[]) => Promise<unknown>;
}

function decorateSend<C extends Sendable>(client: C, plan: FaultPlan): C {
  const original = client.send.bind(client) as (command: unknown, ...rest: unknown[]) => Promise<unknown>;
  const send = async (command: { constructor: { name: string }; input?: unknown }, ...rest: unknown[]) => {
    if (plan.active) {
      const error = plan.decide(command.constructor.name, (command.input ?? {}) as Record<string, unknown>);
      if (error) {
        plan.fired[error.name] = (plan.fired[error.name] ?? 0) + 1;
        throw error;
      }
    }
    return original(command, ...rest);
  };
  (client as unknown as { send: typeof send }).send = send;
  return client;
}

/** S3 answers `SlowDown` / 503 the way the SDK surfaces it. */
export function s3SlowDown(): S3ServiceException {
  return new S3ServiceException({
    name: 'SlowDown',
    $fault: 'server',
    $metadata: { httpStatusCode: 503, attempts: 3 },
    message: 'Please reduce your request rate.',
  });
}

/** A lost conditional write: `PreconditionFailed` (412) or `ConditionalRequestConflict` (409). */
export function s3PreconditionFailed(conflict = false): S3ServiceException {
  return new S3ServiceException({
    name: conflict ? 'ConditionalRequestConflict' : 'PreconditionFailed',
    $fault: 'client',
    $metadata: { httpStatusCode: conflict ? 409 : 412, attempts: 1 },
    message: conflict
      ? 'A conflicting operation occurred. If using PutObject you can retry the request.'
      : 'At least one of the pre-conditions you specified did not hold',
  });
}

export function dynamoThrottled(): ProvisionedThroughputExceededException {
  return new ProvisionedThroughputExceededException({
    message:
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
    $metadata: { httpStatusCode: 400, attempts: 3 },
  });
}

export interface RefuseWritesPlan {
  /** PutObject calls let through before the refusals start. */
  after: number;
  /** How many PutObject calls are refused (then writes work again). */
  count: number;
}

export interface ConflictPlan {
  /** Chance that a conditional PutObject meets a conflicting writer. */
  rate: number;
  /** Keys that keep conflicting this many times in a row (more than the lake writer's retry budget). */
  stubborn?: { keys: number; times: number };
  seed: number;
}

export interface ThrottlePlan {
  /** Chance that a DynamoDB command is throttled. */
  rate: number;
  /** Commands let through before throttling starts (login, first reads). */
  after?: number;
  seed: number;
}

/** The S3 stand-in refuses writes for a while (SlowDown 503), then accepts them again. */
export function refuseWrites(plan: RefuseWritesPlan): FaultPlan {
  let puts = 0;
  return {
    active: true,
    fired: {},
    decide(name) {
      if (name !== 'PutObjectCommand') return undefined;
      puts++;
      return puts > plan.after && puts <= plan.after + plan.count ? s3SlowDown() : undefined;
    },
  };
}

/** Conditional writes lose races: 412 / 409, sometimes more often in a row than the writer retries. */
export function conflictingWrites(plan: ConflictPlan): FaultPlan {
  const rng = new Rng(seedOf('conflicts', plan.seed));
  const stubbornLeft = new Map<string, number>();
  let stubbornKeys = plan.stubborn?.keys ?? 0;
  return {
    active: true,
    fired: {},
    decide(name, input) {
      if (name !== 'PutObjectCommand' || (input.IfMatch === undefined && input.IfNoneMatch === undefined))
        return undefined;
      const key = String(input.Key);
      const left = stubbornLeft.get(key);
      if (left !== undefined && left > 0) {
        stubbornLeft.set(key, left - 1);
        return s3PreconditionFailed(rng.chance(0.3));
      }
      if (left === undefined && stubbornKeys > 0 && plan.stubborn && key.startsWith('tables/') && rng.chance(0.2)) {
        stubbornKeys--;
        stubbornLeft.set(key, plan.stubborn.times - 1);
        return s3PreconditionFailed(false);
      }
      return rng.chance(plan.rate) ? s3PreconditionFailed(rng.chance(0.3)) : undefined;
    },
  };
}

/** DynamoDB throttles: ProvisionedThroughputExceededException on a share of commands. */
export function throttlingDynamo(plan: ThrottlePlan): FaultPlan {
  const rng = new Rng(seedOf('throttle', plan.seed));
  let calls = 0;
  return {
    active: true,
    fired: {},
    decide() {
      calls++;
      if (calls <= (plan.after ?? 0)) return undefined;
      return rng.chance(plan.rate) ? dynamoThrottled() : undefined;
    },
  };
}

// ---------------------------------------------------------------- the runtime (S3 + DynamoDB + Secrets Manager)

export interface ChaosRuntimeOptions {
  s3Faults?: FaultPlan;
  dynamoFaults?: FaultPlan;
}

export interface ChaosRuntime extends Runtime {
  tag: string;
  bucket: string;
  table: string;
  s3Faults?: FaultPlan;
  dynamoFaults?: FaultPlan;
  /** Switches every storage fault plan on or off. */
  setStorageFaults(active: boolean): void;
  /** The clock of the next sync (each sync is 16 minutes after the previous one). */
  nextClock(): () => number;
  close(): Promise<void>;
}

const DUMMY_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * A fresh bucket and state table on the stand-ins and a token prefix of its own, wired into the same
 * adapters `openAwsRuntime` builds (`--backend aws`). Fault plans start switched off: log in first.
 */
export async function openChaosRuntime(
  env: ChaosEnv,
  tag: string,
  opts: ChaosRuntimeOptions = {},
): Promise<ChaosRuntime> {
  const { endpoints } = env;
  const common = { region: endpoints.region, credentials: DUMMY_CREDENTIALS };
  const s3 = new S3Client({ ...common, endpoint: endpoints.s3, forcePathStyle: true });
  const dynamodb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
  const documentClient = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const secretsManager = new SecretsManagerClient({ ...common, endpoint: endpoints.secretsManager });
  const id = randomUUID().slice(0, 8);
  const name = `chaos-${tag}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40);
  const bucket = `${name}-${id}`;
  const table = `${name}-${id}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await createStateTable(dynamodb, table);
  if (opts.s3Faults) {
    opts.s3Faults.active = false;
    decorateSend(s3, opts.s3Faults);
  }
  if (opts.dynamoFaults) {
    opts.dynamoFaults.active = false;
    decorateSend(documentClient, opts.dynamoFaults);
  }
  const homeDir = await mkdtemp(join(env.workDir, `${name}-`));
  const tokens = new SecretsManagerTokenStore({ client: secretsManager, prefix: `chaos/${id}/`, cacheTtlMs: 0 });
  let syncs = 0;
  return {
    tag,
    bucket,
    table,
    lakeDir: `s3://${bucket}`,
    homeDir,
    store: new S3ObjectStore({ client: s3, bucket }),
    state: new DynamoStateStore({ client: documentClient, tableName: table }),
    tokens,
    codec: parquetCodec,
    queryDir: join(homeDir, 'mirror'),
    s3Faults: opts.s3Faults,
    dynamoFaults: opts.dynamoFaults,
    setStorageFaults(active) {
      if (opts.s3Faults) opts.s3Faults.active = active;
      if (opts.dynamoFaults) opts.dynamoFaults.active = active;
    },
    nextClock() {
      const at = FIRST_SYNC_MS + syncs++ * SYNC_STEP_MS;
      return () => at;
    },
    async close() {
      // Buckets and tables live only as long as the stand-ins; the token secrets are removed now.
      for (const userId of await tokens.list().catch(() => [])) await tokens.delete(userId).catch(() => {});
      s3.destroy();
      documentClient.destroy();
      dynamodb.destroy();
      secretsManager.destroy();
      await rm(homeDir, { recursive: true, force: true });
    },
  };
}

/** Logs the simulator's user in, as `zepp-lake login --backend aws` does (tokens to Secrets Manager). */
export async function loginChaosUser(user: ChaosUser, rt: ChaosRuntime, http: HttpOptions = CHAOS_HTTP) {
  const info = user.sim.users[0];
  if (!info) throw new Error('the chaos simulator has no user');
  return loginZepp(rt, { email: info.email, password: info.password, host: user.sim.url, http });
}

/** Revokes the user's login token (and app tokens) at the vendor, as a password change or a logout elsewhere does. */
export async function revokeLoginToken(user: ChaosUser, rt: ChaosRuntime): Promise<void> {
  const tokens = await rt.tokens.get(user.userId);
  if (!tokens?.loginToken) throw new Error(`no login token stored for ${user.userId}`);
  const res = await fetch(`${user.sim.url}/v1/client/logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login_token: tokens.loginToken }).toString(),
  });
  await res.text();
  if (!res.ok) throw new Error(`logout answered HTTP ${res.status}`);
}

// ---------------------------------------------------------------- one sync

export interface RetrySeen {
  reason: string;
  delayMs: number;
}

export interface SyncOutcome {
  /** The engine's report; undefined when the sync threw (storage down, lease held...). */
  report?: SyncReport;
  /** What the sync threw, redacted. */
  thrown?: string;
  retries: RetrySeen[];
}

export interface SyncOnceOptions {
  http?: HttpOptions;
  from?: string;
  to?: string;
  afterStep?: EngineDeps['afterStep'];
}

/**
 * One `zepp-lake sync --backend aws --user ID` through the real engine (`syncUsers`). Never throws: a sync
 * that throws (a storage fault the engine does not record, a killed step) comes back as `thrown`.
 */
export async function syncOnce(user: ChaosUser, rt: ChaosRuntime, opts: SyncOnceOptions = {}): Promise<SyncOutcome> {
  const retries: RetrySeen[] = [];
  const base = opts.http ?? CHAOS_HTTP;
  const http: HttpOptions = {
    ...base,
    onRetry: (info) => {
      retries.push({ reason: info.reason, delayMs: info.delayMs });
      base.onRetry?.(info);
    },
  };
  try {
    const [report] = await syncUsers(rt, {
      user: user.userId,
      quiet: true,
      clock: rt.nextClock(),
      http,
      from: opts.from,
      to: opts.to,
      afterStep: opts.afterStep,
    });
    return { report, retries };
  } catch (err) {
    const thrown = redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 300);
    return { thrown, retries };
  }
}

/** An afterStep hook that runs `action` once, after the n-th durable step of the given kind (default: any). */
export function afterNthStep(
  n: number,
  action: () => void | Promise<void>,
  kind?: 'raw' | 'lake' | 'ledger' | 'cursor',
): NonNullable<EngineDeps['afterStep']> {
  let seen = 0;
  return async (step) => {
    if (kind && step !== kind) return;
    if (++seen === n) await action();
  };
}

// ---------------------------------------------------------------- measuring

/** Every data table's rows of one user, read from the bucket's month objects (what `mirrorTables` copies). */
export async function readLake(rt: ChaosRuntime, userId: string): Promise<Map<TableName, Row[]>> {
  const out = new Map<TableName, Row[]>();
  const keys = await rt.store.list('tables/');
  for (const table of DATA_TABLES) {
    const rows: Row[] = [];
    for (const key of keys) {
      if (!key.startsWith(`tables/${table}/`) || !key.endsWith(`/user-${userId}.parquet`)) continue;
      const obj = await rt.store.get(key);
      if (obj) rows.push(...(await rt.codec.read(table, obj.body)));
    }
    out.set(table, rows);
  }
  return out;
}

/** A row with exactly the registry's columns in the registry's order (absent -> null), as comparable text. */
function rowText(columns: readonly string[], row: Row): string {
  return JSON.stringify(columns.map((c) => row[c] ?? null));
}

/** The simulator's ground truth of the whole account, computed once per user (it is deterministic). */
const truthCache = new WeakMap<ChaosUser, TableRows>();
export function truthOf(user: ChaosUser): TableRows {
  let truth = truthCache.get(user);
  if (!truth) {
    truth = user.sim.groundTruth(user.userId);
    truthCache.set(user, truth);
  }
  return truth;
}

export interface LakeMeasure {
  expected: number;
  landed: number;
  lost: number;
  duplicated: number;
  /** Rows whose key is right but whose values differ from the ground truth. */
  mismatched: number;
  /** First few differences, for the note. */
  samples: string[];
}

/** What the run found before measuring: failed ledger entries after the fault, the phase's note, the problems. */
export interface HealFindings {
  failedAfterFault: number;
  note: string;
  problems: readonly string[];
}

/**
 * The outcome row after the healing run: the lake measured against the ground truth, the ledger before and
 * after. `problems` are scenario-specific facts that did not hold; any of them means not healed.
 */
export async function measureOutcome(
  { user, rt }: { user: ChaosUser; rt: ChaosRuntime },
  { failedAfterFault, note, problems }: HealFindings,
): Promise<ScenarioOutcome> {
  const lake = await measureLake(user, rt);
  const failedAfterHeal = await countFailedLedger(rt, user.userId);
  const all = [...problems];
  if (lake.mismatched > 0) all.push(`${lake.mismatched} row(s) differ from the ground truth: ${lake.samples[0]}`);
  else if (lake.lost + lake.duplicated > 0) all.push(lake.samples.join('; '));
  return {
    expected: lake.expected,
    landed: lake.landed,
    lost: lake.lost,
    duplicated: lake.duplicated,
    failedAfterFault,
    failedAfterHeal,
    healed: lake.lost === 0 && lake.duplicated === 0 && failedAfterHeal === 0 && all.length === 0,
    note: all.length > 0 ? `${all.join(' | ')} (${note})` : note,
  };
}

/** Compares every data table of the lake with the ground truth by primary key (and the rows' values). */
export async function measureLake(user: ChaosUser, rt: ChaosRuntime): Promise<LakeMeasure> {
  const out: LakeMeasure = { expected: 0, landed: 0, lost: 0, duplicated: 0, mismatched: 0, samples: [] };
  const truth = truthOf(user);
  const lakeTables = await readLake(rt, user.userId);
  for (const table of DATA_TABLES) {
    const def = tableDef(table);
    const columns = def.columns.map((c) => c.name);
    const expected = new Map<string, string>();
    for (const r of truth[table] ?? []) expected.set(naturalKeyOf(def, r), rowText(columns, r));
    const seen = new Map<string, number>();
    const lake = lakeTables.get(table) ?? [];
    out.expected += expected.size;
    out.landed += lake.length;
    for (const r of lake) {
      const key = naturalKeyOf(def, r);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      const want = expected.get(key);
      if (want === undefined) {
        out.duplicated++;
        if (out.samples.length < 3) out.samples.push(`${table}: row ${key} is not in the ground truth`);
      } else if (want !== rowText(columns, r)) {
        out.mismatched++;
        if (out.samples.length < 3) out.samples.push(`${table}: row ${key} differs from the ground truth`);
      }
    }
    for (const [key, n] of seen) if (n > 1 && expected.has(key)) out.duplicated += n - 1;
    for (const key of expected.keys()) {
      if (seen.has(key)) continue;
      out.lost++;
      if (out.samples.length < 3) out.samples.push(`${table}: row ${key} is missing`);
    }
  }
  return out;
}

/** Ledger entries the user is told did not land: `failed` and `auth_failed`. */
export async function countFailedLedger(rt: ChaosRuntime, userId: string): Promise<number> {
  return (await rt.state.listLedger(userId)).filter((e) => e.status === 'failed' || e.status === 'auth_failed').length;
}

const WINDOWED: readonly StreamName[] = WINDOWED_STREAMS;

/**
 * Days of ground truth that are neither in the lake, nor named `failed`/`auth_failed` in the ledger, nor still
 * ahead of the stream's cursor (not reached yet): the silent gaps the design forbids. Checked per windowed
 * stream and local date, and per workout. `emptyIsHonest` accepts days the ledger calls `empty` (the vendor
 * answered with nothing, e.g. a wrong-region host, which the report must then flag).
 */
export async function silentGaps(user: ChaosUser, rt: ChaosRuntime, emptyIsHonest = false): Promise<string[]> {
  const truth = truthOf(user);
  const ledger = await rt.state.listLedger(user.userId);
  const status = new Map(ledger.map((e) => [`${e.stream}#${e.period}`, e.status]));
  const lake = await readLake(rt, user.userId);
  const gaps: string[] = [];
  for (const stream of WINDOWED) {
    const tables = STREAM_TABLES[stream];
    const cursor = await rt.state.getCursor(user.userId, stream);
    const landed = new Set<string>();
    for (const t of tables) for (const r of lake.get(t) ?? []) landed.add(String(r.local_date));
    const days = new Set<string>();
    for (const t of tables) for (const r of truth[t] ?? []) days.add(String(r.local_date));
    for (const day of [...days].sort()) {
      if (landed.has(day)) continue;
      const s = status.get(`${stream}#${day}`);
      if (s === 'failed' || s === 'auth_failed') continue;
      if (s === 'empty' && emptyIsHonest) continue;
      if (s === undefined && (!cursor?.through || cursor.through < day)) continue;
      gaps.push(`${stream} ${day}: ledger ${s ?? 'has no entry'}, cursor through ${cursor?.through ?? 'unset'}`);
    }
  }
  const cursor = await rt.state.getCursor(user.userId, 'workouts');
  const landedTracks = new Set((lake.get('workout') ?? []).map((r) => Number(r.trackid)));
  const listFailed = ledger.some(
    (e) => e.stream === 'workouts' && e.period.startsWith('list:') && e.status !== 'written',
  );
  for (const w of truth.workout ?? []) {
    const id = Number(w.trackid);
    if (landedTracks.has(id)) continue;
    const s = status.get(`workouts#track:${id}`);
    if (s === 'failed' || s === 'auth_failed' || listFailed) continue;
    if (s === 'empty' && emptyIsHonest) continue;
    if (s === undefined && (cursor?.lastTrackId === undefined || cursor.lastTrackId < id)) continue;
    gaps.push(`workout ${id}: ledger ${s ?? 'has no entry'}, cursor at ${cursor?.lastTrackId ?? 'unset'}`);
  }
  return gaps;
}

// ---------------------------------------------------------------- fault, heal, measure

export interface FaultContext {
  user: ChaosUser;
  rt: ChaosRuntime;
  seed: number;
  env: ChaosEnv;
}

export interface FaultPhaseResult {
  /** The syncs run while the fault was on. */
  syncs: SyncOutcome[];
  /** What happened, for the table's note. */
  note: string;
  /** A scenario-specific check that failed (makes the row unhealed), if any. */
  problem?: string;
}

export interface FaultThenHealOptions {
  seed: number;
  env: ChaosEnv;
  /** Names the bucket and table. */
  tag: string;
  user?: ChaosUserOptions;
  runtime?: ChaosRuntimeOptions;
  /** Run with the fault on (the simulator's faults from `user.faults` and any storage plans are active). */
  fault(ctx: FaultContext): Promise<FaultPhaseResult>;
  /** Before the healing sync (after faults are cleared): e.g. a fresh login. */
  beforeHeal?(ctx: FaultContext): Promise<void>;
  /** The fault must leave `failed`/`auth_failed` entries in the ledger (proves the ledger names the days). */
  mustFailDays?: boolean;
  /** The lake must already be complete after the faulty run (faults the engine absorbs on its own). */
  completeAfterFault?: boolean;
  /** Days the ledger calls `empty` are not silent gaps (the vendor answered with nothing). */
  emptyIsHonest?: boolean;
}

/**
 * The shape of every run: log in, sync with the fault on, check for silent gaps and count the ledger's
 * failures, clear the faults, sync again, and measure the lake against the ground truth.
 */
export async function faultThenHeal(opts: FaultThenHealOptions): Promise<ScenarioOutcome> {
  const user = await startChaosUser(opts.seed, opts.user);
  let rt: ChaosRuntime | undefined;
  try {
    rt = await openChaosRuntime(opts.env, `${opts.tag}-${opts.seed}`, opts.runtime);
    await loginChaosUser(user, rt);
    const ctx: FaultContext = { user, rt, seed: opts.seed, env: opts.env };
    rt.setStorageFaults(true);
    const phase = await opts.fault(ctx);
    rt.setStorageFaults(false);
    user.sim.setFaults({});
    const problems: string[] = phase.problem ? [phase.problem] : [];
    const failedAfterFault = await countFailedLedger(rt, user.userId);
    const gaps = await silentGaps(user, rt, opts.emptyIsHonest);
    if (gaps.length > 0) problems.push(`${gaps.length} silent gap(s) after the fault, e.g. ${gaps[0]}`);
    if (opts.mustFailDays && failedAfterFault === 0) problems.push('the fault left no failed day in the ledger');
    if (opts.completeAfterFault) {
      const early = await measureLake(user, rt);
      if (early.lost + early.duplicated + early.mismatched > 0)
        problems.push(
          `the lake was not complete after the faulty run (lost ${early.lost}, duplicated ${early.duplicated}, differing ${early.mismatched})`,
        );
    }
    await opts.beforeHeal?.(ctx);
    const heal = await syncOnce(user, rt);
    if (heal.thrown) problems.push(`the healing sync threw ${heal.thrown}`);
    else if (heal.report && heal.report.errors.length > 0)
      problems.push(`the healing sync reported: ${heal.report.errors[0]}`);
    return await measureOutcome({ user, rt }, { failedAfterFault, note: phase.note, problems });
  } finally {
    await rt?.close();
    await user.close();
  }
}

/** Runs up to `attempts` syncs while a fault is on, as SQS redelivers a message whose run threw. */
export async function syncAttempts(
  ctx: FaultContext,
  attempts: number,
  opts: SyncOnceOptions = {},
): Promise<SyncOutcome[]> {
  const out: SyncOutcome[] = [];
  for (let i = 0; i < attempts; i++) {
    const s = await syncOnce(ctx.user, ctx.rt, opts);
    out.push(s);
    if (!s.thrown) break;
  }
  return out;
}

/** A short description of a series of syncs: how many threw and what. */
export function describeSyncs(syncs: readonly SyncOutcome[]): string {
  const thrown = syncs.filter((s) => s.thrown);
  if (thrown.length === 0) return `${syncs.length} sync(s) completed`;
  const first = thrown[0]?.thrown ?? '';
  return `${thrown.length}/${syncs.length} sync(s) aborted (${first.split(':')[0]})`;
}

/** Removes a scratch folder made with `mkdtemp` under the env's work dir. */
export async function removeWorkDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
