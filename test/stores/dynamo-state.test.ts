import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WriteConflictError } from '../../lambdas/core/errors.ts';
import type { LedgerEntry, UserRecord } from '../../lambdas/core/ports.ts';
import { createStateTable, DynamoStateStore } from '../../lambdas/stores/dynamo-state.ts';
import { type AwsTestClients, createAwsClients, createTestStateTable } from '../support/aws-clients.ts';

const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);
const MINUTE = 60_000;

function ledgerEntry(overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    userId: 'u1',
    stream: 'band',
    period: '2024-01-01',
    localDate: '2024-01-01',
    status: 'written',
    rows: 1440,
    rawKey: 'raw/zepp/band_data/user-u1/2024-01-01.json.gz',
    fetchedAt: T0,
    error: null,
    source: 'zepp',
    ...overrides,
  };
}

describe('DynamoStateStore against DynamoDB Local', () => {
  let aws: AwsTestClients;
  let tableName: string;
  let store: DynamoStateStore;

  beforeAll(async () => {
    aws = createAwsClients();
    tableName = await createTestStateTable(aws.dynamodb);
    store = new DynamoStateStore({ client: aws.documentClient, tableName });
  });
  afterAll(() => aws.destroy());

  const rawItem = async (pk: string, sk: string): Promise<Record<string, unknown> | undefined> =>
    (await aws.documentClient.send(new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true })))
      .Item;

  describe('createStateTable', () => {
    it('turns TTL on for the ttl attribute and can be called again on an existing table', async () => {
      await createStateTable(aws.dynamodb, tableName);
      const ttl = await aws.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
      expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    });
  });

  describe('users', () => {
    it('round-trips a profile, optional fields included or left out', async () => {
      const full: UserRecord = {
        userId: 'user-full',
        source: 'huami-open',
        tzOffsetS: 3600,
        firstDate: '2019-05-01',
        enabled: true,
        createdAt: T0,
        wrongRegionSuspected: false,
        lastSuccessAt: T0 + 1,
      };
      const minimal: UserRecord = { userId: 'user-min', source: 'zepp', enabled: false, createdAt: T0 };
      await store.putUser(full);
      await store.putUser(minimal);
      expect(await store.getUser('user-full')).toEqual(full);
      expect(await store.getUser('user-min')).toEqual(minimal);
      expect(await store.getUser('user-none')).toBeUndefined();
    });

    it('lists only profiles, not the cursors, leases, ledger or webhook items beside them', async () => {
      const isolatedTable = await createTestStateTable(aws.dynamodb);
      const isolated = new DynamoStateStore({ client: aws.documentClient, tableName: isolatedTable });
      await isolated.putUser({ userId: 'b', source: 'zepp', enabled: true, createdAt: T0 });
      await isolated.putUser({ userId: 'a', source: 'zepp', enabled: true, createdAt: T0 });
      await isolated.advanceCursor('a', 'band', { through: '2024-01-10', updatedAt: T0 }, 0);
      await isolated.acquireLease('a', 'worker-1', T0, MINUTE);
      await isolated.putLedger([ledgerEntry({ userId: 'a' })]);
      // A webhook notification record (Powertools idempotency) lives in the same table.
      await aws.documentClient.send(
        new PutCommand({
          TableName: isolatedTable,
          Item: { pk: 'WEBHOOK', sk: 'webhook#abc', status: 'COMPLETED', ttl: Math.ceil(T0 / 1000) + 60 },
        }),
      );
      expect((await isolated.listUsers()).map((u) => u.userId)).toEqual(['a', 'b']);
    });

    it('deleteUser forgets the profile, cursors, lease and ledger of that user only', async () => {
      await store.putUser({ userId: 'gone', source: 'zepp', enabled: true, createdAt: T0 });
      await store.putUser({ userId: 'stays', source: 'zepp', enabled: true, createdAt: T0 });
      await store.advanceCursor('gone', 'pai', { through: '2024-01-10', updatedAt: T0 }, 0);
      await store.acquireLease('gone', 'w', T0, MINUTE);
      await store.putLedger(
        Array.from({ length: 30 }, (_, i) => ledgerEntry({ userId: 'gone', period: `p-${i}` })).concat(
          ledgerEntry({ userId: 'stays' }),
        ),
      );
      await store.deleteUser('gone');
      const left = await aws.documentClient.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'USER#gone' },
        }),
      );
      expect(left.Items).toEqual([]);
      expect(await store.getUser('stays')).toBeDefined();
      expect(await store.listLedger('stays')).toHaveLength(1);
    });
  });

  describe('cursors', () => {
    it('has no cursor before the first advance, then version 1, 2, ...', async () => {
      expect(await store.getCursor('c1', 'band')).toBeUndefined();
      const first = await store.advanceCursor('c1', 'band', { through: '2024-01-10', updatedAt: T0 }, 0);
      expect(first).toEqual({ through: '2024-01-10', updatedAt: T0, version: 1 });
      const second = await store.advanceCursor(
        'c1',
        'band',
        { through: '2024-01-11', backfilledFrom: '2023-01-01', updatedAt: T0 + 1 },
        1,
      );
      expect(second.version).toBe(2);
      expect(await store.getCursor('c1', 'band')).toEqual(second);
    });

    it('refuses an advance from a stale version with WriteConflictError and keeps the stored cursor', async () => {
      await store.advanceCursor('c2', 'workouts', { lastTrackId: 100, updatedAt: T0 }, 0);
      await expect(
        store.advanceCursor('c2', 'workouts', { lastTrackId: 200, updatedAt: T0 }, 0),
      ).rejects.toBeInstanceOf(WriteConflictError);
      await store.advanceCursor('c2', 'workouts', { lastTrackId: 300, updatedAt: T0 }, 1);
      await expect(
        store.advanceCursor('c2', 'workouts', { lastTrackId: 400, updatedAt: T0 }, 1),
      ).rejects.toBeInstanceOf(WriteConflictError);
      await expect(
        store.advanceCursor('c2', 'workouts', { lastTrackId: 500, updatedAt: T0 }, 7),
      ).rejects.toBeInstanceOf(WriteConflictError);
      expect(await store.getCursor('c2', 'workouts')).toEqual({ lastTrackId: 300, updatedAt: T0, version: 2 });
    });

    it('lets exactly one of two racing advances from the same version win', async () => {
      await store.advanceCursor('c3', 'stress', { through: '2024-01-01', updatedAt: T0 }, 0);
      const results = await Promise.allSettled([
        store.advanceCursor('c3', 'stress', { through: '2024-01-02', updatedAt: T0 }, 1),
        store.advanceCursor('c3', 'stress', { through: '2024-01-03', updatedAt: T0 }, 1),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected');
      expect(lost?.status === 'rejected' && lost.reason).toBeInstanceOf(WriteConflictError);
    });

    it('clears a field the next cursor leaves out, and keeps streams apart', async () => {
      await store.advanceCursor(
        'c4',
        'spo2',
        { through: '2024-01-01', backfilledFrom: '2020-01-01', updatedAt: T0 },
        0,
      );
      await store.advanceCursor('c4', 'spo2', { through: '2024-01-02', updatedAt: T0 }, 1);
      expect(await store.getCursor('c4', 'spo2')).toEqual({ through: '2024-01-02', updatedAt: T0, version: 2 });
      expect(await store.getCursor('c4', 'readiness')).toBeUndefined();
    });
  });

  describe('lease', () => {
    it('is held by one owner at a time, renewable by that owner, and taken over after it expires', async () => {
      expect(await store.acquireLease('l1', 'worker-a', T0, MINUTE)).toBe(true);
      expect(await store.acquireLease('l1', 'worker-b', T0 + 1_000, MINUTE)).toBe(false);
      expect(await store.acquireLease('l1', 'worker-a', T0 + 30_000, MINUTE)).toBe(true);
      // a's renewal moved the expiry to T0 + 90 s
      expect(await store.acquireLease('l1', 'worker-b', T0 + 61_000, MINUTE)).toBe(false);
      expect(await store.acquireLease('l1', 'worker-b', T0 + 90_001, MINUTE)).toBe(true);
      const item = await rawItem('USER#l1', 'LEASE');
      expect(item).toMatchObject({ owner: 'worker-b', expiresAt: T0 + 90_001 + MINUTE });
      expect(item?.ttl).toBe(Math.ceil((T0 + 90_001 + MINUTE) / 1000));
    });

    it('is released only by its owner', async () => {
      expect(await store.acquireLease('l2', 'worker-a', T0, MINUTE)).toBe(true);
      await store.releaseLease('l2', 'worker-b');
      expect(await store.acquireLease('l2', 'worker-b', T0 + 1, MINUTE)).toBe(false);
      await store.releaseLease('l2', 'worker-a');
      expect(await rawItem('USER#l2', 'LEASE')).toBeUndefined();
      expect(await store.acquireLease('l2', 'worker-b', T0 + 2, MINUTE)).toBe(true);
      await store.releaseLease('l-never-leased', 'worker-a');
    });

    it('goes to exactly one of two workers racing for a free lease', async () => {
      const results = await Promise.all([
        store.acquireLease('l3', 'worker-a', T0, MINUTE),
        store.acquireLease('l3', 'worker-b', T0, MINUTE),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('ledger', () => {
    it('stores more than one BatchWrite chunk and lists it back, per stream or whole', async () => {
      const band = Array.from({ length: 60 }, (_, i) => {
        const day = new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
        return ledgerEntry({ userId: 'g1', period: day, localDate: day });
      });
      const workouts = [
        ledgerEntry({ userId: 'g1', stream: 'workouts', period: 'track:1700000000', rawKey: null, rows: 0 }),
      ];
      await store.putLedger([...band, ...workouts]);
      expect(await store.listLedger('g1', 'band')).toEqual(band);
      expect(await store.listLedger('g1', 'workouts')).toEqual(workouts);
      expect(await store.listLedger('g1')).toHaveLength(61);
      expect(await store.listLedger('g1', 'pai')).toEqual([]);
    });

    it('overwrites an entry with the same (user, stream, period) instead of duplicating it', async () => {
      await store.putLedger([ledgerEntry({ userId: 'g2', status: 'failed', rows: 0, error: 'UpstreamError: 503' })]);
      await store.putLedger([ledgerEntry({ userId: 'g2', status: 'written', rows: 1440 })]);
      // the same key twice in one call: the last one wins (BatchWrite itself refuses duplicate keys)
      await store.putLedger([
        ledgerEntry({ userId: 'g2', period: '2024-01-02', status: 'empty', rows: 0 }),
        ledgerEntry({ userId: 'g2', period: '2024-01-02', status: 'auth_failed', rows: 0, error: 'AuthExpiredError' }),
      ]);
      const entries = await store.listLedger('g2');
      expect(entries.map((e) => [e.period, e.status, e.rows, e.error])).toEqual([
        ['2024-01-01', 'written', 1440, null],
        ['2024-01-02', 'auth_failed', 0, 'AuthExpiredError'],
      ]);
    });

    it('accepts an empty batch', async () => {
      await store.putLedger([]);
      expect(await store.listLedger('nobody')).toEqual([]);
    });
  });
});
