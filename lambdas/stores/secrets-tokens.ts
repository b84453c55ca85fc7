// Vendor tokens in AWS Secrets Manager: one secret per user, `<prefix><userId>` (default prefix
// `zepp-lake/users/`), whose SecretString is the UserTokens JSON. A put adds a new version (the old one stays
// readable as AWSPREVIOUS, which helps when a refresh goes wrong), and a short in-memory cache spares a warm
// Lambda one GetSecretValue per message. Token renewal reads past the cache (getCurrent) and writes with a
// compare-and-set on the AWSCURRENT version (putIfCurrent), so a renewed set never overwrites a newer one.
//
// Secret values never reach a log line or an error message: errors name the operation, the user and the
// service's error name only, and a value that does not parse is reported without its text.

import { createHash } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { TokenStore, UserTokens, VersionedTokens } from '../core/ports.ts';
import { isValidUserId } from '../core/user-id.ts';

const DEFAULT_PREFIX = 'zepp-lake/users/';
const DEFAULT_CACHE_TTL_MS = 60_000;

export interface SecretsManagerTokenStoreOptions {
  client: SecretsManagerClient;
  /** Secret name prefix; the user id follows it. */
  prefix?: string;
  /** How long a read value is served from memory; 0 turns the cache off. */
  cacheTtlMs?: number;
  /** Customer-managed KMS key for secrets this store creates (default: the account's aws/secretsmanager key). */
  kmsKeyId?: string;
}

/** A Secrets Manager call failed, or a stored value is not a UserTokens object. Never carries the value. */
export class TokenStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenStoreError';
  }
}

interface CacheEntry {
  tokens: UserTokens;
  expiresAt: number;
}

export class SecretsManagerTokenStore implements TokenStore {
  private readonly client: SecretsManagerClient;
  private readonly prefix: string;
  private readonly cacheTtlMs: number;
  private readonly kmsKeyId: string | undefined;
  private readonly cache = new Map<string, CacheEntry>();

  constructor(options: SecretsManagerTokenStoreOptions) {
    this.client = options.client;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.cacheTtlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
    this.kmsKeyId = options.kmsKeyId;
  }

  /** The secret's name for a user. */
  secretName(userId: string): string {
    // The user id rule is a subset of what Secrets Manager allows in a name, and has no `/`.
    if (!isValidUserId(userId)) {
      throw new TokenStoreError(`user id ${JSON.stringify(userId)} cannot be part of a secret name`);
    }
    return `${this.prefix}${userId}`;
  }

  async get(userId: string): Promise<UserTokens | undefined> {
    const cached = this.cache.get(userId);
    if (cached && cached.expiresAt > Date.now()) return structuredClone(cached.tokens);
    return (await this.getCurrent(userId))?.tokens;
  }

  /** AWSCURRENT from the service itself; the cache takes it too, so a later get() is never older than this. */
  async getCurrent(userId: string): Promise<VersionedTokens | undefined> {
    const secretId = this.secretName(userId);
    this.cache.delete(userId);
    let out: { SecretString?: string; VersionId?: string };
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (error) {
      // A missing secret, or one scheduled for deletion, means the user has no tokens.
      if (error instanceof ResourceNotFoundException || isMarkedForDeletion(error)) return undefined;
      throw failure('GetSecretValue', userId, error);
    }
    if (out.SecretString === undefined) throw new TokenStoreError(`secret for user ${userId} has no SecretString`);
    if (out.VersionId === undefined) throw new TokenStoreError(`secret for user ${userId} came without a VersionId`);
    const tokens = parseTokens(out.SecretString, userId);
    if (this.cacheTtlMs > 0) {
      this.cache.set(userId, { tokens: structuredClone(tokens), expiresAt: Date.now() + this.cacheTtlMs });
    }
    return { tokens, version: out.VersionId };
  }

  /**
   * Compare-and-set, which Secrets Manager has no call for: a writer whose version is no longer AWSCURRENT is
   * turned away before it writes, and the new version's ClientRequestToken is derived from the version it
   * replaces, so of two writers that both read that version only the first creates its successor (the second
   * gets ResourceExistsException: an existing version cannot take another value).
   */
  async putIfCurrent(userId: string, tokens: UserTokens, version: string): Promise<boolean> {
    const secretId = this.secretName(userId);
    const now = await this.getCurrent(userId);
    this.cache.delete(userId);
    if (now?.version !== version) return false;
    try {
      await this.client.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          SecretString: JSON.stringify(tokens),
          ClientRequestToken: successorOf(version),
        }),
      );
      return true;
    } catch (error) {
      // Another writer created the successor first, or the user's secret was deleted meanwhile.
      if (error instanceof ResourceExistsException || error instanceof ResourceNotFoundException) return false;
      if (isMarkedForDeletion(error)) return false;
      throw failure('PutSecretValue', userId, error);
    }
  }

  async put(userId: string, tokens: UserTokens): Promise<void> {
    const secretId = this.secretName(userId);
    const secretString = JSON.stringify(tokens);
    this.cache.delete(userId);
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: secretString }));
      return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw failure('PutSecretValue', userId, error);
    }
    try {
      await this.client.send(
        new CreateSecretCommand({
          Name: secretId,
          SecretString: secretString,
          KmsKeyId: this.kmsKeyId,
          Description: `zepp-lake vendor tokens of user ${userId}`,
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw failure('CreateSecret', userId, error);
      // Another writer created it between our two calls: add our value as the newest version.
      await this.client
        .send(new PutSecretValueCommand({ SecretId: secretId, SecretString: secretString }))
        .catch((retryError: unknown) => {
          throw failure('PutSecretValue', userId, retryError);
        });
    }
  }

  /** Deletes at once, without the recovery window, so the name can be reused when the user is added again. */
  async delete(userId: string): Promise<void> {
    const secretId = this.secretName(userId);
    this.cache.delete(userId);
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      throw failure('DeleteSecret', userId, error);
    }
  }

  /** User ids that have a secret under the prefix, sorted. */
  async list(): Promise<string[]> {
    const userIds: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client
        .send(
          new ListSecretsCommand({
            Filters: [{ Key: 'name', Values: [this.prefix] }],
            MaxResults: 100,
            NextToken: nextToken,
          }),
        )
        .catch((error: unknown) => {
          throw failure('ListSecrets', undefined, error);
        });
      for (const secret of page.SecretList ?? []) {
        // The service's name filter is a prefix match too; checking again keeps `zepp-lake/users-old/` out.
        if (secret.Name?.startsWith(this.prefix) && secret.DeletedDate === undefined) {
          userIds.push(secret.Name.slice(this.prefix.length));
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return userIds.sort();
  }
}

/** The ClientRequestToken (a UUID-shaped 36 characters) of the version that follows `version`. */
function successorOf(version: string): string {
  const h = createHash('sha256').update(`zepp-lake tokens after ${version}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function isMarkedForDeletion(error: unknown): boolean {
  return (
    error instanceof Error && error.name === 'InvalidRequestException' && /marked for deletion/i.test(error.message)
  );
}

function failure(operation: string, userId: string | undefined, error: unknown): TokenStoreError {
  const reason = error instanceof Error ? error.name : 'unknown error';
  const subject = userId === undefined ? '' : ` for user ${userId}`;
  // The SDK's error carries no secret value (only metadata), so it is safe as the cause.
  return new TokenStoreError(`Secrets Manager ${operation}${subject} failed: ${reason}`, { cause: error });
}

/** Checks the shape without echoing the text: JSON.parse's own message would quote the value. */
function parseTokens(secretString: string, userId: string): UserTokens {
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch {
    throw new TokenStoreError(`secret for user ${userId} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenStoreError(`secret for user ${userId} is not a JSON object`);
  }
  const record = value as Record<string, unknown>;
  // Which sources exist is the source registry's to say (an unknown one is refused when its source is opened).
  if (typeof record.source !== 'string' || record.source === '') {
    throw new TokenStoreError(`secret for user ${userId} has no valid "source" field`);
  }
  if (typeof record.vendorUserId !== 'string') {
    throw new TokenStoreError(`secret for user ${userId} has no "vendorUserId" string`);
  }
  return record as unknown as UserTokens;
}
