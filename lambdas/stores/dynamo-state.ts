// Engine state in one DynamoDB table (single-table design). Item layout:
//
//   pk                sk                              what
//   USER#<userId>     PROFILE                         UserRecord
//   USER#<userId>     CURSOR#<stream>                 Cursor (optimistic `version`)
//   USER#<userId>     LEASE                           who syncs the user now: owner, expiresAt (ms), ttl (s)
//   USER#<userId>     LEDGER#<stream>#<period>        LedgerEntry (one item per key: a re-run overwrites)
//   WEBHOOK           <function>#<key hash>           a webhook notification's Powertools idempotency record
//                                                     (adapters/notification-once.ts writes it, not this store)
//
// `ttl` (epoch seconds) is the table's TTL attribute, so leases and notification records vanish on their own. TTL
// deletion is lazy (up to days late), so every condition compares `expiresAt` instead of trusting absence.
//
// listUsers is a Scan filtered on sk = PROFILE. With one partition per person and a handful of people per
// deployment that reads a small table once per dispatch; a GSI on PROFILE items is the change to make if a
// deployment ever holds thousands of users.
//
// Every attribute name goes through ExpressionAttributeNames: many of ours (owner, ttl, source, rows, status,
// error, cursor...) are DynamoDB reserved words.

import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { WriteConflictError } from '../core/errors.ts';
import type { Cursor, LedgerEntry, StateStore, StreamName, UserRecord } from '../core/ports.ts';
import { assertValidUserId } from '../core/user-id.ts';

const PROFILE = 'PROFILE';
const LEASE = 'LEASE';
/** BatchWriteItem's limit per request. */
const BATCH_WRITE_LIMIT = 25;
const BATCH_WRITE_ATTEMPTS = 8;

type Item = Record<string, unknown>;

const userPk = (userId: string): string => `USER#${userId}`;
const cursorSk = (stream: StreamName): string => `CURSOR#${stream}`;
const ledgerSk = (stream: StreamName, period: string): string => `LEDGER#${stream}#${period}`;
const epochSeconds = (ms: number): number => Math.ceil(ms / 1000);

export interface DynamoStateStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

/** A DynamoDB call failed for a reason other than a lost condition. */
export class StateStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateStoreError';
  }
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** The DocumentClient rejects `undefined` unless configured otherwise; we do not rely on its configuration. */
function definedOnly(item: Item): Item {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined));
}

/** `#name` placeholders for every attribute an expression uses. */
function names(...attributes: string[]): Record<string, string> {
  return Object.fromEntries(attributes.map((attribute) => [`#${attribute}`, attribute]));
}

// ---------------------------------------------------------------- item <-> domain

function optionalNumber(item: Item, field: string): number | undefined {
  const value = item[field];
  return typeof value === 'number' ? value : undefined;
}

function optionalString(item: Item, field: string): string | undefined {
  const value = item[field];
  return typeof value === 'string' ? value : undefined;
}

function toUser(item: Item): UserRecord {
  return definedOnly({
    userId: item.userId,
    source: item.source,
    tzOffsetS: optionalNumber(item, 'tzOffsetS'),
    firstDate: optionalString(item, 'firstDate'),
    enabled: item.enabled === true,
    createdAt: item.createdAt,
    wrongRegionSuspected: typeof item.wrongRegionSuspected === 'boolean' ? item.wrongRegionSuspected : undefined,
    lastSuccessAt: optionalNumber(item, 'lastSuccessAt'),
    simulated: item.simulated === true ? true : undefined,
  }) as unknown as UserRecord;
}

function toCursor(item: Item): Cursor {
  return definedOnly({
    through: optionalString(item, 'through'),
    backfilledFrom: optionalString(item, 'backfilledFrom'),
    lastTrackId: optionalNumber(item, 'lastTrackId'),
    updatedAt: optionalNumber(item, 'updatedAt') ?? 0,
    version: optionalNumber(item, 'version') ?? 0,
  }) as unknown as Cursor;
}

function toLedger(item: Item): LedgerEntry {
  return {
    userId: item.userId,
    stream: item.stream,
    period: item.period,
    localDate: item.localDate,
    status: item.status,
    rows: item.rows,
    rawKey: optionalString(item, 'rawKey') ?? null,
    fetchedAt: item.fetchedAt,
    error: optionalString(item, 'error') ?? null,
    source: item.source,
  } as LedgerEntry;
}

// ---------------------------------------------------------------- the store

export class DynamoStateStore implements StateStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoStateStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  // ---- users

  async getUser(userId: string): Promise<UserRecord | undefined> {
    const item = await this.getItem(userPk(userId), PROFILE);
    return item ? toUser(item) : undefined;
  }

  async putUser(user: UserRecord): Promise<void> {
    assertValidUserId(user.userId);
    await this.call('PutItem (user)', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: definedOnly({ ...user, pk: userPk(user.userId), sk: PROFILE }),
        }),
      ),
    );
  }

  /** Forgets the user entirely: profile, cursors, lease and ledger (the lake's objects are not touched). */
  async deleteUser(userId: string): Promise<void> {
    const keys = (
      await this.queryAll({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': userPk(userId) },
        ProjectionExpression: '#pk, #sk',
      })
    ).map((item) => ({ pk: item.pk, sk: item.sk }));
    await this.batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } })));
  }

  async listUsers(): Promise<UserRecord[]> {
    const input: ScanCommandInput = {
      TableName: this.tableName,
      FilterExpression: '#sk = :profile',
      ExpressionAttributeNames: names('sk'),
      ExpressionAttributeValues: { ':profile': PROFILE },
      ConsistentRead: true,
    };
    const users: UserRecord[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.call('Scan (users)', () =>
        this.client.send(new ScanCommand({ ...input, ExclusiveStartKey: startKey })),
      );
      for (const item of page.Items ?? []) users.push(toUser(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return users.sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  }

  // ---- cursors

  async getCursor(userId: string, stream: StreamName): Promise<Cursor | undefined> {
    const item = await this.getItem(userPk(userId), cursorSk(stream));
    return item ? toCursor(item) : undefined;
  }

  /**
   * A conditional Put on `version` (a Put rather than an Update so a field the caller leaves out is cleared,
   * not kept stale). Version 0 means "no cursor yet", which DynamoDB can only express as the item's absence.
   */
  async advanceCursor(
    userId: string,
    stream: StreamName,
    next: Omit<Cursor, 'version'>,
    expectedVersion: number,
  ): Promise<Cursor> {
    const cursor: Cursor = { ...next, version: expectedVersion + 1 };
    const item = definedOnly({
      through: cursor.through,
      backfilledFrom: cursor.backfilledFrom,
      lastTrackId: cursor.lastTrackId,
      updatedAt: cursor.updatedAt,
      version: cursor.version,
      pk: userPk(userId),
      sk: cursorSk(stream),
      userId,
      stream,
    });
    const condition =
      expectedVersion === 0
        ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: names('pk') }
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: names('version'),
            ExpressionAttributeValues: { ':expected': expectedVersion },
          };
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ...condition }));
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new WriteConflictError(
          `cursor ${userId}/${stream} is no longer at version ${expectedVersion}: another run advanced it`,
          { cause: error },
        );
      }
      throw new StateStoreError(`PutItem (cursor ${userId}/${stream}) failed: ${describe(error)}`, { cause: error });
    }
    return toCursor(item);
  }

  // ---- lease

  async acquireLease(userId: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
    const expiresAt = nowMs + ttlMs;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: userPk(userId), sk: LEASE, owner, acquiredAt: nowMs, expiresAt, ttl: epochSeconds(expiresAt) },
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now OR #owner = :owner',
          ExpressionAttributeNames: names('pk', 'expiresAt', 'owner'),
          ExpressionAttributeValues: { ':now': nowMs, ':owner': owner },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new StateStoreError(`PutItem (lease ${userId}) failed: ${describe(error)}`, { cause: error });
    }
  }

  /** Deletes the lease only while `owner` still holds it; a lease taken over since is left alone. */
  async releaseLease(userId: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: userPk(userId), sk: LEASE },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: names('owner'),
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      throw new StateStoreError(`DeleteItem (lease ${userId}) failed: ${describe(error)}`, { cause: error });
    }
  }

  // ---- ledger

  async putLedger(entries: readonly LedgerEntry[]): Promise<void> {
    // One BatchWriteItem may not name the same key twice; the last entry for a key wins, as a re-run would.
    const byKey = new Map<string, Item>();
    for (const entry of entries) {
      const item = definedOnly({ ...entry, pk: userPk(entry.userId), sk: ledgerSk(entry.stream, entry.period) });
      byKey.set(`${item.pk}\u0000${item.sk}`, item);
    }
    await this.batchWrite([...byKey.values()].map((Item) => ({ PutRequest: { Item } })));
  }

  async listLedger(userId: string, stream?: StreamName): Promise<LedgerEntry[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: names('pk', 'sk'),
      ExpressionAttributeValues: { ':pk': userPk(userId), ':prefix': stream ? `LEDGER#${stream}#` : 'LEDGER#' },
      ConsistentRead: true,
    });
    return items.map(toLedger);
  }

  // ---- webhook de-duplication

  // ---- plumbing

  private async getItem(pk: string, sk: string): Promise<Item | undefined> {
    const out = await this.call(`GetItem (${sk})`, () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true })),
    );
    return out.Item;
  }

  private async queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.call('Query', () =>
        this.client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey })),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  /** BatchWriteItem in chunks of 25, re-sending UnprocessedItems (throttling) with a growing backoff. */
  private async batchWrite(requests: NonNullable<BatchWriteCommandInput['RequestItems']>[string]): Promise<void> {
    for (let start = 0; start < requests.length; start += BATCH_WRITE_LIMIT) {
      let pending = requests.slice(start, start + BATCH_WRITE_LIMIT);
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > BATCH_WRITE_ATTEMPTS) {
          throw new StateStoreError(
            `BatchWriteItem left ${pending.length} item(s) unprocessed after ${BATCH_WRITE_ATTEMPTS} attempts`,
          );
        }
        if (attempt > 1) await sleep(Math.min(2_000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
        const out = await this.call('BatchWriteItem', () =>
          this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } })),
        );
        pending = out.UnprocessedItems?.[this.tableName] ?? [];
      }
    }
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new StateStoreError(`${operation} on ${this.tableName} failed: ${describe(error)}`, { cause: error });
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Creates the state table (string pk/sk, on-demand, TTL on `ttl`) and waits until it is usable. Safe to call
 * again: an existing table is kept and only its TTL setting is checked.
 */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: tableName });
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    }),
  );
}
