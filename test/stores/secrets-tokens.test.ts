import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserTokens } from '../../lambdas/core/ports.ts';
import { SecretsManagerTokenStore, TokenStoreError } from '../../lambdas/stores/secrets-tokens.ts';
import { type AwsTestClients, createAwsClients, uniqueName } from '../support/aws-clients.ts';

const tokens = (appToken: string): UserTokens => ({
  source: 'zepp',
  vendorUserId: '1234567890',
  region: 'eu',
  loginToken: 'login-secret-value',
  appToken,
  appTokenIssuedAt: 1_700_000_000_000,
});

describe('SecretsManagerTokenStore against the Secrets Manager emulator', () => {
  let aws: AwsTestClients;
  // The emulator is shared by the whole run: a prefix of our own keeps list() to this file's secrets.
  let prefix: string;
  let store: SecretsManagerTokenStore;

  beforeAll(() => {
    aws = createAwsClients();
    prefix = `${uniqueName('zepp-lake-test')}/users/`;
    store = new SecretsManagerTokenStore({ client: aws.secretsManager, prefix });
  });
  afterAll(() => aws.destroy());

  const currentValue = async (secretId: string, stage = 'AWSCURRENT'): Promise<unknown> => {
    const out = await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    return JSON.parse(out.SecretString ?? 'null');
  };

  it('works with a client configured only by the environment, as the handlers build theirs', async () => {
    const fromEnv = new SecretsManagerClient({});
    try {
      await new SecretsManagerTokenStore({ client: fromEnv, prefix }).put('env-user', tokens('app-env'));
      expect((await store.get('env-user'))?.appToken).toBe('app-env');
    } finally {
      fromEnv.destroy();
    }
  });

  it('returns undefined for a user without a secret', async () => {
    expect(await store.get('no-such-user')).toBeUndefined();
  });

  it('creates the secret on the first put and reads it back', async () => {
    await store.put('u1', tokens('app-1'));
    expect(await store.get('u1')).toEqual(tokens('app-1'));
    expect(await currentValue(`${prefix}u1`)).toEqual(tokens('app-1'));
  });

  it('adds a version on later puts and keeps the one before as AWSPREVIOUS', async () => {
    await store.put('u2', tokens('app-1'));
    await store.put('u2', tokens('app-2'));
    expect(await store.get('u2')).toEqual(tokens('app-2'));
    expect(await currentValue(`${prefix}u2`, 'AWSPREVIOUS')).toEqual(tokens('app-1'));
    await store.put('u2', tokens('app-3'));
    expect(await currentValue(`${prefix}u2`, 'AWSPREVIOUS')).toEqual(tokens('app-2'));
    const described = await aws.secretsManager.send(new DescribeSecretCommand({ SecretId: `${prefix}u2` }));
    expect(Object.values(described.VersionIdsToStages ?? {}).sort()).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
  });

  it('serves reads from its cache until the TTL passes, and a put refreshes it', async () => {
    const cached = new SecretsManagerTokenStore({ client: aws.secretsManager, prefix, cacheTtlMs: 60_000 });
    const uncached = new SecretsManagerTokenStore({ client: aws.secretsManager, prefix, cacheTtlMs: 0 });
    await cached.put('u3', tokens('app-1'));
    expect((await cached.get('u3'))?.appToken).toBe('app-1');
    // another writer (e.g. the token refresher) changes the secret behind this store's back
    await aws.secretsManager.send(
      new PutSecretValueCommand({ SecretId: `${prefix}u3`, SecretString: JSON.stringify(tokens('app-2')) }),
    );
    expect((await cached.get('u3'))?.appToken).toBe('app-1');
    expect((await uncached.get('u3'))?.appToken).toBe('app-2');
    await cached.put('u3', tokens('app-3'));
    expect((await cached.get('u3'))?.appToken).toBe('app-3');
  });

  it('hands out copies, so a caller changing the result does not change the cache', async () => {
    await store.put('u4', tokens('app-1'));
    const first = await store.get('u4');
    if (!first) throw new Error('expected tokens');
    first.appToken = 'mutated';
    expect((await store.get('u4'))?.appToken).toBe('app-1');
  });

  it('deletes without a recovery window, so the user can be added again at once', async () => {
    await store.put('u5', tokens('app-1'));
    expect(await store.get('u5')).toBeDefined();
    await store.delete('u5');
    expect(await store.get('u5')).toBeUndefined();
    await expect(
      aws.secretsManager.send(new DescribeSecretCommand({ SecretId: `${prefix}u5` })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await store.put('u5', tokens('app-2'));
    expect((await store.get('u5'))?.appToken).toBe('app-2');
    await store.delete('never-stored');
  });

  it('lists the user ids under its prefix only, sorted', async () => {
    const listing = new SecretsManagerTokenStore({ client: aws.secretsManager, prefix: `${prefix}list/` });
    for (const id of ['b', 'c', 'a']) await listing.put(id, tokens(`app-${id}`));
    await listing.delete('c');
    const neighbour = new SecretsManagerTokenStore({ client: aws.secretsManager, prefix: `${prefix}list-old/` });
    await neighbour.put('z', tokens('app-z'));
    expect(await listing.list()).toEqual(['a', 'b']);
  });

  it('treats a secret scheduled for deletion as absent', async () => {
    await store.put('u6', tokens('app-1'));
    await aws.secretsManager.send(new DeleteSecretCommand({ SecretId: `${prefix}u6`, RecoveryWindowInDays: 7 }));
    const fresh = new SecretsManagerTokenStore({ client: aws.secretsManager, prefix });
    expect(await fresh.get('u6')).toBeUndefined();
  });

  it('rejects a stored value that is not UserTokens without repeating the value', async () => {
    const secretValue = 'not-json-but-very-secret-abc123';
    await aws.secretsManager.send(new CreateSecretCommand({ Name: `${prefix}bad`, SecretString: secretValue }));
    await aws.secretsManager.send(
      new CreateSecretCommand({ Name: `${prefix}bad-shape`, SecretString: '{"accessToken":"very-secret-xyz"}' }),
    );
    const error = await store.get('bad').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenStoreError);
    expect(String((error as Error).message)).not.toContain('very-secret');
    expect((error as Error).cause).toBeUndefined();
    const shapeError = await store.get('bad-shape').catch((e: unknown) => e);
    expect(shapeError).toBeInstanceOf(TokenStoreError);
    expect(String((shapeError as Error).message)).not.toContain('very-secret');
  });

  it('reads the current version past its cache, and the cache then serves that version', async () => {
    const cached = new SecretsManagerTokenStore({ client: aws.secretsManager, prefix, cacheTtlMs: 60_000 });
    await cached.put('v1', tokens('app-1'));
    expect((await cached.get('v1'))?.appToken).toBe('app-1');
    const other = await aws.secretsManager.send(
      new PutSecretValueCommand({ SecretId: `${prefix}v1`, SecretString: JSON.stringify(tokens('app-2')) }),
    );
    expect((await cached.get('v1'))?.appToken).toBe('app-1');
    const current = await cached.getCurrent('v1');
    expect(current).toEqual({ tokens: tokens('app-2'), version: other.VersionId });
    expect((await cached.get('v1'))?.appToken).toBe('app-2');
    expect(await cached.getCurrent('nobody')).toBeUndefined();
  });

  it('writes conditionally: only over the version it was given, once per version, never over a newer one', async () => {
    const a = new SecretsManagerTokenStore({ client: aws.secretsManager, prefix, cacheTtlMs: 0 });
    const b = new SecretsManagerTokenStore({ client: aws.secretsManager, prefix, cacheTtlMs: 0 });
    await a.put('v2', tokens('app-0'));
    const start = (await a.getCurrent('v2'))!;
    // two writers renewed from the same version: the first wins, the second is told so and writes nothing
    expect(await a.putIfCurrent('v2', tokens('app-a'), start.version)).toBe(true);
    expect(await b.putIfCurrent('v2', tokens('app-b'), start.version)).toBe(false);
    expect((await b.get('v2'))?.appToken).toBe('app-a');
    expect(await currentValue(`${prefix}v2`, 'AWSPREVIOUS')).toEqual(tokens('app-0'));
    // from the new version, the next write goes through
    const next = (await b.getCurrent('v2'))!;
    expect(next.version).not.toBe(start.version);
    expect(await b.putIfCurrent('v2', tokens('app-c'), next.version)).toBe(true);
    // a plain put by someone else moves the version on: a write from the older one is refused
    const before = (await a.getCurrent('v2'))!;
    await b.put('v2', tokens('app-login'));
    expect(await a.putIfCurrent('v2', tokens('app-stale'), before.version)).toBe(false);
    expect((await a.get('v2'))?.appToken).toBe('app-login');
    // no secret, nothing to compare with: refused, and nothing is created
    expect(await a.putIfCurrent('v2-none', tokens('x'), before.version)).toBe(false);
    expect(await a.get('v2-none')).toBeUndefined();
  });

  it('lets exactly one of several writers racing from the same version win, even when all passed the check', async () => {
    // Every writer's PutSecretValue waits until all of them have read AWSCURRENT: the version check alone
    // cannot decide, only the conditional write itself.
    const n = 5;
    let reads = 0;
    let allRead: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      allRead = resolve;
    });
    const gated = {
      send: async (command: Parameters<SecretsManagerClient['send']>[0]) => {
        if (command instanceof PutSecretValueCommand) await barrier;
        const out = await aws.secretsManager.send(command as GetSecretValueCommand);
        if (command instanceof GetSecretValueCommand && ++reads === n) allRead();
        return out;
      },
    } as unknown as SecretsManagerClient;
    const writers = Array.from(
      { length: n },
      () => new SecretsManagerTokenStore({ client: gated, prefix, cacheTtlMs: 0 }),
    );
    await store.put('v3', tokens('app-0'));
    const { version } = (await store.getCurrent('v3'))!;
    const won = await Promise.all(writers.map((w, i) => w.putIfCurrent('v3', tokens(`app-${i + 1}`), version)));
    expect(reads).toBe(n);
    expect(won.filter(Boolean)).toHaveLength(1);
    const winner = won.indexOf(true) + 1;
    expect((await store.getCurrent('v3'))?.tokens.appToken).toBe(`app-${winner}`);
  });

  it('refuses user ids that would not make a single secret name', async () => {
    await expect(store.get('../other')).rejects.toBeInstanceOf(TokenStoreError);
    await expect(store.put('a/b', tokens('x'))).rejects.toBeInstanceOf(TokenStoreError);
  });
});

describe('Secrets Manager emulator protocol details', () => {
  let aws: AwsTestClients;
  beforeAll(() => {
    aws = createAwsClients();
  });
  afterAll(() => aws.destroy());

  it('reads a version by VersionId and by ARN', async () => {
    const name = uniqueName('emu/by-id');
    const created = await aws.secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: 'one' }));
    const put = await aws.secretsManager.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'two' }));
    const byId = await aws.secretsManager.send(
      new GetSecretValueCommand({ SecretId: created.ARN, VersionId: created.VersionId }),
    );
    expect(byId).toMatchObject({ SecretString: 'one', VersionStages: ['AWSPREVIOUS'], Name: name });
    const current = await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    expect(current).toMatchObject({ SecretString: 'two', VersionId: put.VersionId });
  });

  it('pages ListSecrets with MaxResults and NextToken, filtered by name prefix', async () => {
    const base = uniqueName('emu/page');
    for (const n of [1, 2, 3, 4, 5]) {
      await aws.secretsManager.send(new CreateSecretCommand({ Name: `${base}/${n}`, SecretString: 'v' }));
    }
    const names: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await aws.secretsManager.send(
        new ListSecretsCommand({
          Filters: [{ Key: 'name', Values: [`${base}/`] }],
          MaxResults: 2,
          NextToken: nextToken,
        }),
      );
      names.push(...(page.SecretList ?? []).map((s) => s.Name ?? ''));
      nextToken = page.NextToken;
      pages++;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(names.sort()).toEqual([1, 2, 3, 4, 5].map((n) => `${base}/${n}`));
  });

  it('answers with AWS error types: existing name, missing secret, secret marked for deletion', async () => {
    const name = uniqueName('emu/errors');
    await aws.secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: 'v' }));
    await expect(
      aws.secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: 'v' })),
    ).rejects.toMatchObject({ name: 'ResourceExistsException' });
    await expect(
      aws.secretsManager.send(new GetSecretValueCommand({ SecretId: `${name}-missing` })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await aws.secretsManager.send(new DeleteSecretCommand({ SecretId: name }));
    await expect(aws.secretsManager.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toBeInstanceOf(
      InvalidRequestException,
    );
    const described = await aws.secretsManager.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.DeletedDate).toBeInstanceOf(Date);
  });
});
