// After a history: heal as the next scheduled run would (whoever was told to log in again does so, the vendor
// redelivers what it was not answered 2xx for, the queue is drained, one clean sync), then hold the lake against the
// vendor's ground truth and the ledger against the objects:
// - every row in the lake is a ground-truth row, every column equal, and no natural key is there twice;
// - every day (and workout) the model says is owed to a person who exists has all of its ground-truth rows;
// - the ledger agrees with the objects: the state ledger and the ingest_ledger table say the same, every day it
//   calls `written` has all of its rows, every day it calls `empty` has none at the vendor, and no row lies on a
//   day (or belongs to a workout) that neither names `written`; nothing is left `failed` / `auth_failed`;
// - a person removed stays removed: no user record, cursor or ledger entry, and with --delete-data no object;
// - every webhook notification acknowledged for an existing person had its window run by a worker.

import { syncUsers } from '../../lambdas/cli/sync-command.ts';
import type { LedgerEntry } from '../../lambdas/core/ports.ts';
import { naturalKeyOf, type Row, type TableName, tableDef } from '../../lambdas/core/schema-registry.ts';
import { STREAM_TABLES, STREAMS, type StreamName, WINDOWED_STREAMS } from '../../lambdas/core/streams.ts';
import { DATA_TABLES } from '../../test/support/local-lake.ts';
import { CHAOS_HTTP } from '../harness.ts';
import type { ScenarioOutcome } from '../scenario.ts';
import { accountDrain, redeliverPending } from './aws-commands.ts';
import { dispatch, drainQueue } from './aws-ops.ts';
import { errorLine } from './commands.ts';
import { added, type HistoryModel, owedDays, type PersonModel, syncStarted } from './model.ts';
import type { World } from './world.ts';

const WINDOWED: readonly StreamName[] = WINDOWED_STREAMS;

/** The ledger entries left failed / auth_failed for people who exist (what `status` would tell them). */
export async function countFailed(w: World, m: HistoryModel): Promise<number> {
  let n = 0;
  for (const p of m.people) {
    if (!p.exists) continue;
    const ledger = await w.rt.state.listLedger(p.person.id);
    n += ledger.filter((e) => e.status === 'failed' || e.status === 'auth_failed').length;
  }
  return n;
}

/** The next scheduled run, after the people told to log in again did. */
export async function heal(w: World, m: HistoryModel): Promise<void> {
  w.tick();
  for (const p of m.people) {
    if (!p.exists || !p.revoked) continue;
    await w.vendor.addUser(w.rt, p.person);
    added(p);
  }
  if (w.aws) {
    if (m.pending.length > 0) m.log.push(`heal: the vendor redelivers: ${(await redeliverPending(m, w)).join(', ')}`);
    m.log.push(`heal: workers drain the queue: ${accountDrain(m, await drainQueue(w, { pollers: 1, batchSize: 3 }))}`);
    w.tick();
    const sent = await dispatch(w);
    m.log.push(
      `heal: scheduled run, ${sent} sent: ${accountDrain(m, await drainQueue(w, { pollers: 1, batchSize: 3 }))}`,
    );
    return;
  }
  if (!m.people.some((p) => p.exists)) return;
  try {
    const reports = await syncUsers(w.rt, { quiet: true, clock: () => w.now(), http: CHAOS_HTTP });
    for (const r of reports) {
      const p = m.people.find((q) => q.person.id === r.userId);
      if (p) syncStarted(p, undefined, m.today);
      if (r.errors.length > 0) m.problems.push(`the healing sync reported for ${p?.person.name}: ${r.errors[0]}`);
    }
  } catch (err) {
    m.problems.push(`the healing sync threw ${errorLine(err)}`);
  }
}

// ---------------------------------------------------------------- the lake against the truth

function streamOf(table: TableName): StreamName {
  for (const s of STREAMS) if (STREAM_TABLES[s].includes(table)) return s;
  throw new Error(`no stream has table ${table}`);
}

function rowText(table: TableName, row: Row): string {
  return JSON.stringify(tableDef(table).columns.map((c) => row[c.name] ?? null));
}

/** Every data table's rows of one user, and their ingest_ledger rows, read from the month objects. */
async function readUser(w: World, keys: readonly string[], userId: string): Promise<Map<TableName, Row[]>> {
  const out = new Map<TableName, Row[]>();
  for (const table of [...DATA_TABLES, 'ingest_ledger' as const]) {
    const rows: Row[] = [];
    for (const key of keys) {
      if (!key.startsWith(`tables/${table}/`) || !key.endsWith(`/user-${userId}.parquet`)) continue;
      const obj = await w.rt.store.get(key);
      if (obj) rows.push(...(await w.rt.codec.read(table, obj.body)));
    }
    out.set(table, rows);
  }
  return out;
}

interface Tally {
  expected: number;
  landed: number;
  lost: number;
  duplicated: number;
  problems: string[];
}

function note(t: Tally, line: string): void {
  if (t.problems.length < 6) t.problems.push(line);
  else if (t.problems.length === 6) t.problems.push('...');
}

/** Rows that are not ground truth, differ from it, or repeat a key. */
function checkRowsAreTruth(
  t: Tally,
  p: PersonModel,
  lake: Map<TableName, Row[]>,
  truth: Map<TableName, Map<string, string>>,
) {
  for (const table of DATA_TABLES) {
    const def = tableDef(table);
    const want = truth.get(table) ?? new Map<string, string>();
    const seen = new Set<string>();
    for (const row of lake.get(table) ?? []) {
      const key = naturalKeyOf(def, row);
      if (seen.has(key)) {
        t.duplicated++;
        note(t, `${p.person.name} ${table}: key ${key} twice`);
        continue;
      }
      seen.add(key);
      const text = want.get(key);
      if (text === undefined) {
        t.duplicated++;
        note(t, `${p.person.name} ${table}: row ${key} is not in the ground truth`);
      } else if (text !== rowText(table, row)) {
        const truth = JSON.parse(text) as unknown[];
        const columns = def.columns.filter((c, i) => JSON.stringify(row[c.name] ?? null) !== JSON.stringify(truth[i]));
        const said = columns.map(
          (c) => `${c.name} ${String(row[c.name])}, not ${String(truth[def.columns.indexOf(c)])}`,
        );
        note(t, `${p.person.name} ${table}: row ${key} differs from the ground truth (${said.join('; ')})`);
      }
    }
  }
}

/** The ground truth by table and natural key, and by (stream, local date) and by trackid. */
function indexTruth(rows: Partial<Record<TableName, Row[]>>) {
  const byKey = new Map<TableName, Map<string, string>>();
  const byDay = new Map<string, { table: TableName; key: string }[]>();
  const byTrack = new Map<number, { table: TableName; key: string }[]>();
  /** trackid -> the workout's local date. */
  const trackDay = new Map<number, string>();
  for (const r of rows.workout ?? []) trackDay.set(Number(r.trackid), String(r.local_date));
  for (const table of DATA_TABLES) {
    const def = tableDef(table);
    const keys = new Map<string, string>();
    for (const r of rows[table] ?? []) {
      const key = naturalKeyOf(def, r);
      keys.set(key, rowText(table, r));
      const stream = streamOf(table);
      if (stream === 'workouts') {
        const id = Number(r.trackid);
        byTrack.set(id, [...(byTrack.get(id) ?? []), { table, key }]);
      } else {
        const day = `${stream}#${String(r.local_date)}`;
        byDay.set(day, [...(byDay.get(day) ?? []), { table, key }]);
      }
    }
    byKey.set(table, keys);
  }
  return { byKey, byDay, byTrack, trackDay };
}

type TruthIndex = ReturnType<typeof indexTruth>;

function lakeKeys(lake: Map<TableName, Row[]>): Set<string> {
  const out = new Set<string>();
  for (const [table, rows] of lake) for (const r of rows) out.add(`${table}|${naturalKeyOf(tableDef(table), r)}`);
  return out;
}

/** What the checks of one person read: the tally they add to, the person, the lake rows and the vendor's truth. */
interface PersonCheck {
  t: Tally;
  p: PersonModel;
  lake: Map<TableName, Row[]>;
  truth: TruthIndex;
  /** `table|natural key` of every lake row. */
  present: Set<string>;
}

/** Owed days and workouts: every ground-truth row of them in the lake. */
function checkOwed({ t, p, truth, present }: PersonCheck, m: HistoryModel) {
  const count = (rows: readonly { table: TableName; key: string }[], what: string) => {
    for (const r of rows) {
      t.expected++;
      if (present.has(`${r.table}|${r.key}`)) t.landed++;
      else {
        t.lost++;
        note(t, `${p.person.name}: ${r.table} row ${r.key} (${what}) is missing`);
      }
    }
  };
  for (const stream of WINDOWED)
    for (const day of owedDays(p, m.today, stream))
      count(truth.byDay.get(`${stream}#${day}`) ?? [], `${stream} ${day}`);
  const owed = owedDays(p, m.today, 'workouts');
  for (const [id, rows] of truth.byTrack) if (owed.has(truth.trackDay.get(id) ?? '')) count(rows, `workout ${id}`);
}

/** The state ledger, the ingest_ledger table and the objects agree. */
function checkLedger(check: PersonCheck, state: readonly LedgerEntry[]) {
  const written = checkStateLedger(check, state);
  checkRowsHaveLedger(check, written);
}

/** Each state ledger entry matches its ingest_ledger row and the truth; gives the `stream#period` keys written. */
function checkStateLedger({ t, p, lake, truth, present }: PersonCheck, state: readonly LedgerEntry[]): Set<string> {
  const lakeLedger = new Map((lake.get('ingest_ledger') ?? []).map((r) => [`${r.stream}#${r.period}`, r]));
  const written = new Set<string>();
  for (const [k, r] of lakeLedger) if (r.status === 'written') written.add(k);
  for (const e of state) {
    const k = `${e.stream}#${e.period}`;
    const row = lakeLedger.get(k);
    if (!row || row.status !== e.status || Number(row.rows) !== e.rows)
      note(
        t,
        `${p.person.name}: ledger ${k} is ${e.status} (${e.rows} rows) in state, ${row ? `${row.status} (${row.rows} rows)` : 'absent'} in ingest_ledger`,
      );
    if (e.status === 'written') written.add(k);
    const rows = e.period.startsWith('track:')
      ? (truth.byTrack.get(Number(e.period.slice(6))) ?? [])
      : /^\d{4}-\d{2}-\d{2}$/.test(e.period)
        ? (truth.byDay.get(`${e.stream}#${e.period}`) ?? [])
        : undefined;
    if (!rows) continue;
    const missing = rows.filter((r) => !present.has(`${r.table}|${r.key}`)).length;
    if (e.status === 'written' && (missing > 0 || rows.length === 0))
      note(
        t,
        `${p.person.name}: ledger ${k} is written but ${missing} of its ${rows.length} ground-truth rows are not in the lake`,
      );
    if (e.status === 'empty' && rows.length > 0)
      note(t, `${p.person.name}: ledger ${k} is empty but the vendor has ${rows.length} rows for it`);
  }
  return written;
}

/** Every lake row belongs to a day or workout that some ledger entry names written. */
function checkRowsHaveLedger({ t, p, lake }: PersonCheck, written: ReadonlySet<string>) {
  for (const [table, rows] of lake) {
    if (table === 'ingest_ledger') continue;
    const stream = streamOf(table);
    for (const r of rows) {
      const k = stream === 'workouts' ? `workouts#track:${r.trackid}` : `${stream}#${r.local_date}`;
      if (!written.has(k)) {
        note(t, `${p.person.name}: ${table} has rows for ${k}, which no ledger names written`);
        break;
      }
    }
  }
}

/** A removed person stays removed: nothing in state, and nothing in the lake after --delete-data. */
async function checkRemoved(t: Tally, w: World, p: PersonModel, keys: readonly string[]): Promise<void> {
  const id = p.person.id;
  if (await w.rt.state.getUser(id)) note(t, `${p.person.name} was removed but has a user record again`);
  const ledger = await w.rt.state.listLedger(id);
  if (ledger.length > 0)
    note(t, `${p.person.name} was removed but the state holds ${ledger.length} ledger entries of theirs`);
  for (const s of STREAMS)
    if (await w.rt.state.getCursor(id, s)) {
      note(t, `${p.person.name} was removed but the state holds their ${s} cursor`);
      break;
    }
  if (!p.dataDeleted) return;
  const left = keys.filter((k) => k.endsWith(`/user-${id}.parquet`)).length;
  const raw = (await w.rt.store.list('raw/')).filter((k) => k.includes(`/user-${id}/`)).length;
  if (left + raw > 0)
    note(t, `${p.person.name} was removed with --delete-data but ${left} table and ${raw} raw objects are back`);
}

export async function measure(w: World, m: HistoryModel, failedAfterFault: number): Promise<ScenarioOutcome> {
  const t: Tally = { expected: 0, landed: 0, lost: 0, duplicated: 0, problems: [...m.problems] };
  const keys = await w.rt.store.list('tables/');
  let failedAfterHeal = 0;
  for (const p of m.people) {
    const lake = await readUser(w, keys, p.person.id);
    const truth = indexTruth(w.vendor.truth(p.person.id));
    checkRowsAreTruth(t, p, lake, truth.byKey);
    if (!p.exists) {
      await checkRemoved(t, w, p, keys);
      continue;
    }
    const check: PersonCheck = { t, p, lake, truth, present: lakeKeys(lake) };
    checkOwed(check, m);
    const state = await w.rt.state.listLedger(p.person.id);
    failedAfterHeal += state.filter((e) => e.status === 'failed' || e.status === 'auth_failed').length;
    checkLedger(check, state);
  }
  for (const key of m.expectedMessages)
    if (!m.seenMessages.has(key)) note(t, `an acknowledged notification's message (${key}) never reached a worker`);
  if (failedAfterHeal > 0) note(t, `${failedAfterHeal} ledger entries still failed after the heal`);
  const healed = t.lost === 0 && t.duplicated === 0 && failedAfterHeal === 0 && t.problems.length === 0;
  return {
    expected: t.expected,
    landed: t.landed,
    lost: t.lost,
    duplicated: t.duplicated,
    failedAfterFault,
    failedAfterHeal,
    healed,
    ...(t.problems.length > 0 ? { note: t.problems.join(' | ') } : {}),
  };
}
