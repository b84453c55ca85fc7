import { describe, expect, it } from 'vitest';
import type { UserRecord } from '../../lambdas/core/ports.ts';
import { STALE_AFTER_MS, staleUsers } from '../../lambdas/core/staleness.ts';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;

function user(userId: string, over: Partial<UserRecord> = {}): UserRecord {
  return { userId, source: 'zepp', enabled: true, createdAt: NOW - 30 * 24 * HOUR, ...over };
}

describe('staleUsers', () => {
  it('names enabled people whose last clean sync is more than two days old, with when it was', () => {
    const users = [
      user('1000000001', { lastSuccessAt: NOW - 3 * HOUR }),
      user('1000000002', { lastSuccessAt: NOW - 49 * HOUR }),
      user('1000000003', { lastSuccessAt: NOW - STALE_AFTER_MS }),
    ];
    expect(staleUsers(users, NOW)).toEqual([{ userId: '1000000002', lastSuccessAt: NOW - 49 * HOUR }]);
  });

  it('counts a person never synced from when they were added', () => {
    const users = [
      user('1000000004', { createdAt: NOW - 3 * 24 * HOUR }),
      user('1000000005', { createdAt: NOW - 2 * HOUR }),
    ];
    expect(staleUsers(users, NOW)).toEqual([{ userId: '1000000004', lastSuccessAt: undefined }]);
  });

  it('leaves out disabled and simulated people, and takes another threshold', () => {
    const old = NOW - 10 * 24 * HOUR;
    const users = [
      user('1000000006', { enabled: false, lastSuccessAt: old }),
      user('1000000007', { simulated: true, lastSuccessAt: old }),
      user('1000000008', { lastSuccessAt: NOW - 2 * HOUR }),
    ];
    expect(staleUsers(users, NOW)).toEqual([]);
    expect(staleUsers(users, NOW, HOUR).map((u) => u.userId)).toEqual(['1000000008']);
  });
});
