import { describe, expect, it } from 'vitest';
import { MalformedPayloadError } from '../../lambdas/core/errors.ts';
import type { UserRecord } from '../../lambdas/core/ports.ts';
import {
  parseSyncMessage,
  planScheduledMessages,
  planWebhookMessages,
  retryDelaySeconds,
  streamGroupsOf,
  syncMessageId,
} from '../../lambdas/core/sync-message.ts';

const user = (userId: string, enabled = true): UserRecord => ({ userId, source: 'zepp', enabled, createdAt: 0 });

describe('planScheduledMessages', () => {
  it('plans one message per enabled user and stream group, with ids that depend only on the work and the slot', () => {
    const plan = planScheduledMessages([user('b'), user('a'), user('off', false)], '2026-11-20T18:00:00.000Z');
    expect(plan.map((p) => [p.message.userId, p.message.streams])).toEqual([
      ['a', ['band']],
      ['a', ['workouts']],
      ['a', ['stress', 'spo2', 'pai', 'readiness']],
      ['b', ['band']],
      ['b', ['workouts']],
      ['b', ['stress', 'spo2', 'pai', 'readiness']],
    ]);
    expect(new Set(plan.map((p) => p.id)).size).toBe(6);
    for (const p of plan) expect(p.id).toMatch(/^[0-9a-f]{64}$/);
    expect(planScheduledMessages([user('a'), user('b')], '2026-11-20T18:00:00.000Z')).toEqual(plan);
    const later = planScheduledMessages([user('a'), user('b')], '2026-11-21T00:00:00.000Z');
    expect(later.map((p) => p.id)).not.toContain(plan[0]?.id);
  });
});

describe('planWebhookMessages', () => {
  it('splits the notification streams by group and keeps its window', () => {
    const plan = planWebhookMessages(
      { userId: 'u', streams: ['band', 'pai', 'stress'], from: '2026-11-01', to: '2026-11-03' },
      'hash',
    );
    expect(plan.map((p) => p.message)).toEqual([
      { userId: 'u', streams: ['band'], from: '2026-11-01', to: '2026-11-03', reason: 'webhook' },
      { userId: 'u', streams: ['stress', 'pai'], from: '2026-11-01', to: '2026-11-03', reason: 'webhook' },
    ]);
    expect(plan[0]?.id).toBe(syncMessageId(plan[0]!.message, 'hash'));
  });

  it('groups streams in group order', () => {
    expect(streamGroupsOf(['readiness', 'workouts'])).toEqual([['workouts'], ['readiness']]);
  });
});

describe('parseSyncMessage', () => {
  it('reads what the dispatcher sends', () => {
    const m = { userId: '123', streams: ['band', 'band'], from: '2026-01-01', to: '2026-01-31', reason: 'manual' };
    expect(parseSyncMessage(JSON.stringify(m))).toEqual({ ...m, streams: ['band'] });
  });

  it.each([
    ['not json', 'body'],
    ['[]', 'body'],
    ['{"streams":["band"],"reason":"schedule"}', 'userId'],
    ['{"userId":"a/b","streams":["band"],"reason":"schedule"}', 'userId'],
    ['{"userId":"1","streams":[],"reason":"schedule"}', 'streams'],
    ['{"userId":"1","streams":["steps"],"reason":"schedule"}', 'streams'],
    ['{"userId":"1","streams":["band"],"from":"2026-1-1","reason":"schedule"}', 'from'],
    ['{"userId":"1","streams":["band"],"from":"2026-02-01","to":"2026-01-01","reason":"schedule"}', 'from'],
    ['{"userId":"1","streams":["band"],"reason":"cron"}', 'reason'],
  ])('rejects %s, naming %s', (body, field) => {
    let caught: unknown;
    try {
      parseSyncMessage(body);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MalformedPayloadError);
    expect((caught as MalformedPayloadError).field).toBe(field);
  });
});

describe('retryDelaySeconds', () => {
  it('backs off exponentially, sooner for a held lease, capped at 15 minutes', () => {
    expect([1, 2, 3].map((n) => retryDelaySeconds('lease-held', n))).toEqual([30, 60, 120]);
    expect([1, 2, 3].map((n) => retryDelaySeconds('transient', n))).toEqual([60, 120, 240]);
    expect(retryDelaySeconds('transient', 40)).toBe(900);
  });
});
