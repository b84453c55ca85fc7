// `zepp-lake status`: per user and stream, the cursor, the ledger coverage and the last errors.

import type { LedgerEntry, StateStore } from '../core/ports.ts';
import { STREAMS } from '../core/ports.ts';

export interface StreamStatus {
  stream: string;
  through: string | null;
  lastTrackId: number | null;
  written: number;
  empty: number;
  failed: number;
  authFailed: number;
  firstPeriod: string | null;
  lastPeriod: string | null;
  lastErrors: { period: string; error: string }[];
}

export interface UserStatus {
  userId: string;
  source: string;
  firstDate: string | null;
  lastSuccessAt: string | null;
  wrongRegionSuspected: boolean;
  streams: StreamStatus[];
}

export async function collectStatus(state: StateStore): Promise<UserStatus[]> {
  const out: UserStatus[] = [];
  for (const u of await state.listUsers()) {
    const ledger = await state.listLedger(u.userId);
    const streams: StreamStatus[] = [];
    for (const stream of STREAMS) {
      const entries = ledger.filter((e) => e.stream === stream);
      const cursor = await state.getCursor(u.userId, stream);
      if (!cursor && entries.length === 0) continue;
      const count = (s: LedgerEntry['status']) => entries.filter((e) => e.status === s).length;
      const periods = entries.map((e) => e.period).sort();
      streams.push({
        stream,
        through: cursor?.through ?? null,
        lastTrackId: cursor?.lastTrackId ?? null,
        written: count('written'),
        empty: count('empty'),
        failed: count('failed'),
        authFailed: count('auth_failed'),
        firstPeriod: periods[0] ?? null,
        lastPeriod: periods[periods.length - 1] ?? null,
        lastErrors: entries
          .filter((e) => e.error)
          .slice(-3)
          .map((e) => ({ period: e.period, error: e.error ?? '' })),
      });
    }
    out.push({
      userId: u.userId,
      source: u.source,
      firstDate: u.firstDate ?? null,
      lastSuccessAt: u.lastSuccessAt ? new Date(u.lastSuccessAt).toISOString() : null,
      wrongRegionSuspected: u.wrongRegionSuspected ?? false,
      streams,
    });
  }
  return out;
}

export function formatStatus(users: UserStatus[]): string {
  if (users.length === 0) return 'no users yet: run `zepp-lake login` or `zepp-lake sync --source sim`';
  const lines: string[] = [];
  for (const u of users) {
    lines.push(
      `user ${u.userId} (${u.source})  first day ${u.firstDate ?? '?'}  last success ${u.lastSuccessAt ?? 'never'}`,
    );
    if (u.wrongRegionSuspected)
      lines.push('  ! every stream is empty although a device synced recently: wrong region? set --host');
    for (const s of u.streams) {
      lines.push(
        `  ${s.stream.padEnd(10)} through ${s.through ?? '-'}  written ${s.written}  empty ${s.empty}  failed ${s.failed}  auth_failed ${s.authFailed}`,
      );
      for (const e of s.lastErrors) lines.push(`    ! ${e.period}: ${e.error}`);
    }
  }
  return lines.join('\n');
}
