// A project-owned stand-in for AWS Secrets Manager: the JSON 1.1 protocol over plain HTTP on 127.0.0.1
// (`POST /` with `X-Amz-Target: secretsmanager.<Operation>`). Nothing on npm or apt emulates Secrets Manager
// (see reference/local-stand-ins.md §4), so we keep the subset the project uses here, with AWS's error names
// and its AWSCURRENT / AWSPREVIOUS staging, so adapters meet the same behaviour they meet in AWS.
// Requests are not signature-checked: the SDK signs them, the emulator ignores the signature.

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

interface SecretVersion {
  id: string;
  secretString?: string;
  /** Base64, exactly as the JSON protocol carries SecretBinary. */
  secretBinary?: string;
  stages: string[];
  createdDate: number;
}

interface Secret {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
  createdDate: number;
  lastChangedDate: number;
  lastAccessedDate?: number;
  deletedDate?: number;
  versions: SecretVersion[];
}

/** An error the emulator answers with, shaped like AWS's (`__type` plus HTTP 400). */
class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

type RequestBody = Record<string, unknown>;
type Operation = (body: RequestBody) => Record<string, unknown>;

const nowSeconds = (): number => Date.now() / 1000;

function optionalString(body: RequestBody, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ServiceError('InvalidParameterException', `${field} must be a string`);
  return value;
}

function requiredString(body: RequestBody, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined || value === '') {
    throw new ServiceError('InvalidParameterException', `${field} is required`);
  }
  return value;
}

/** The in-memory service. Separate from HTTP so the protocol layer stays a thin shell. */
class SecretsManagerState {
  private readonly secrets = new Map<string, Secret>();

  readonly operations: Readonly<Record<string, Operation>> = {
    CreateSecret: (b) => this.createSecret(b),
    GetSecretValue: (b) => this.getSecretValue(b),
    PutSecretValue: (b) => this.putSecretValue(b),
    DescribeSecret: (b) => this.describeSecret(b),
    DeleteSecret: (b) => this.deleteSecret(b),
    ListSecrets: (b) => this.listSecrets(b),
  };

  private find(secretId: string): Secret | undefined {
    return this.secrets.get(secretId) ?? [...this.secrets.values()].find((s) => s.arn === secretId);
  }

  private require(body: RequestBody, options: { allowDeleted?: boolean } = {}): Secret {
    const secret = this.find(requiredString(body, 'SecretId'));
    if (!secret)
      throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    if (secret.deletedDate !== undefined && !options.allowDeleted) {
      throw new ServiceError(
        'InvalidRequestException',
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
    }
    return secret;
  }

  private static secretValue(body: RequestBody): { secretString?: string; secretBinary?: string } {
    const secretString = optionalString(body, 'SecretString');
    const secretBinary = optionalString(body, 'SecretBinary');
    if (secretString !== undefined && secretBinary !== undefined) {
      throw new ServiceError('InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
    }
    return { secretString, secretBinary };
  }

  /** Adds a version as AWSCURRENT; the old current becomes AWSPREVIOUS, the old previous loses its label. */
  private addVersion(secret: Secret, id: string, value: { secretString?: string; secretBinary?: string }): void {
    for (const version of secret.versions) {
      const wasCurrent = version.stages.includes(CURRENT);
      version.stages = version.stages.filter((stage) => stage !== CURRENT && stage !== PREVIOUS);
      if (wasCurrent) version.stages.push(PREVIOUS);
    }
    // AWS keeps versions without a label only for a while; dropping them at once is close enough.
    secret.versions = secret.versions.filter((version) => version.stages.length > 0);
    secret.versions.push({ id, ...value, stages: [CURRENT], createdDate: nowSeconds() });
    secret.lastChangedDate = nowSeconds();
  }

  private createSecret(body: RequestBody): Record<string, unknown> {
    const name = requiredString(body, 'Name');
    const existing = this.secrets.get(name);
    if (existing?.deletedDate !== undefined) {
      throw new ServiceError(
        'InvalidRequestException',
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    }
    if (existing)
      throw new ServiceError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    const value = SecretsManagerState.secretValue(body);
    const suffix = randomBytes(3).toString('hex');
    const secret: Secret = {
      name,
      arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${suffix}`,
      description: optionalString(body, 'Description'),
      kmsKeyId: optionalString(body, 'KmsKeyId'),
      tags: Array.isArray(body.Tags) ? (body.Tags as Secret['tags']) : [],
      createdDate: nowSeconds(),
      lastChangedDate: nowSeconds(),
      versions: [],
    };
    this.secrets.set(name, secret);
    const out: Record<string, unknown> = { ARN: secret.arn, Name: secret.name };
    if (value.secretString !== undefined || value.secretBinary !== undefined) {
      const id = optionalString(body, 'ClientRequestToken') ?? randomUUID();
      this.addVersion(secret, id, value);
      out.VersionId = id;
    }
    return out;
  }

  private getSecretValue(body: RequestBody): Record<string, unknown> {
    const secret = this.require(body);
    const versionId = optionalString(body, 'VersionId');
    const stage = optionalString(body, 'VersionStage') ?? (versionId === undefined ? CURRENT : undefined);
    const version = secret.versions.find(
      (v) => (versionId === undefined || v.id === versionId) && (stage === undefined || v.stages.includes(stage)),
    );
    if (!version) {
      throw new ServiceError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for the given version.",
      );
    }
    secret.lastAccessedDate = nowSeconds();
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      SecretString: version.secretString,
      SecretBinary: version.secretBinary,
      VersionStages: [...version.stages],
      CreatedDate: version.createdDate,
    };
  }

  private putSecretValue(body: RequestBody): Record<string, unknown> {
    const secret = this.require(body);
    const value = SecretsManagerState.secretValue(body);
    if (value.secretString === undefined && value.secretBinary === undefined) {
      throw new ServiceError('InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
    }
    const id = optionalString(body, 'ClientRequestToken') ?? randomUUID();
    const sameToken = secret.versions.find((v) => v.id === id);
    if (sameToken) {
      // ClientRequestToken makes a put idempotent: the same token with the same value is a no-op.
      if (sameToken.secretString === value.secretString && sameToken.secretBinary === value.secretBinary) {
        return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: [...sameToken.stages] };
      }
      throw new ServiceError('ResourceExistsException', `A version with VersionId ${id} already exists.`);
    }
    this.addVersion(secret, id, value);
    return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: [CURRENT] };
  }

  private static describe(secret: Secret): Record<string, unknown> {
    return {
      ARN: secret.arn,
      Name: secret.name,
      Description: secret.description,
      KmsKeyId: secret.kmsKeyId,
      CreatedDate: secret.createdDate,
      LastChangedDate: secret.lastChangedDate,
      LastAccessedDate: secret.lastAccessedDate,
      DeletedDate: secret.deletedDate,
      Tags: secret.tags,
      VersionIdsToStages: Object.fromEntries(secret.versions.map((v) => [v.id, [...v.stages]])),
    };
  }

  private describeSecret(body: RequestBody): Record<string, unknown> {
    return SecretsManagerState.describe(this.require(body, { allowDeleted: true }));
  }

  private deleteSecret(body: RequestBody): Record<string, unknown> {
    const secret = this.require(body, { allowDeleted: true });
    const force = body.ForceDeleteWithoutRecovery === true;
    const recoveryDays = typeof body.RecoveryWindowInDays === 'number' ? body.RecoveryWindowInDays : 30;
    if (force && body.RecoveryWindowInDays !== undefined) {
      throw new ServiceError(
        'InvalidParameterException',
        'You can’t use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.',
      );
    }
    const deletionDate = force ? nowSeconds() : nowSeconds() + recoveryDays * 86_400;
    if (force) this.secrets.delete(secret.name);
    else secret.deletedDate ??= nowSeconds();
    return { ARN: secret.arn, Name: secret.name, DeletionDate: deletionDate };
  }

  private listSecrets(body: RequestBody): Record<string, unknown> {
    const filters = Array.isArray(body.Filters) ? (body.Filters as { Key?: unknown; Values?: unknown }[]) : [];
    const includeDeleted = body.IncludePlannedDeletion === true;
    const matches = [...this.secrets.values()]
      .filter((secret) => includeDeleted || secret.deletedDate === undefined)
      .filter((secret) => filters.every((filter) => matchesFilter(secret, filter)))
      .sort((a, b) => a.createdDate - b.createdDate || a.name.localeCompare(b.name));
    const maxResults = typeof body.MaxResults === 'number' ? body.MaxResults : 100;
    const start = typeof body.NextToken === 'string' ? Number.parseInt(body.NextToken, 10) : 0;
    if (!Number.isInteger(start) || start < 0)
      throw new ServiceError('InvalidNextTokenException', 'Invalid NextToken.');
    const page = matches.slice(start, start + maxResults);
    const next = start + page.length;
    return {
      SecretList: page.map((secret) => SecretsManagerState.describe(secret)),
      NextToken: next < matches.length ? String(next) : undefined,
    };
  }
}

/** AWS filters: values are prefix matches (case-sensitive here), a leading `!` negates; several values OR. */
function matchesFilter(secret: Secret, filter: { Key?: unknown; Values?: unknown }): boolean {
  const values = Array.isArray(filter.Values) ? filter.Values.filter((v): v is string => typeof v === 'string') : [];
  const fields: Record<string, (string | undefined)[]> = {
    name: [secret.name],
    description: [secret.description],
    'tag-key': secret.tags.map((t) => t.Key),
    'tag-value': secret.tags.map((t) => t.Value),
    all: [secret.name, secret.description, ...secret.tags.flatMap((t) => [t.Key, t.Value])],
  };
  const candidates = typeof filter.Key === 'string' ? fields[filter.Key] : undefined;
  if (!candidates) throw new ServiceError('InvalidParameterException', `Unsupported filter key ${String(filter.Key)}`);
  return values.some((value) => {
    const negated = value.startsWith('!');
    const prefix = negated ? value.slice(1) : value;
    const hit = candidates.some((candidate) => candidate?.startsWith(prefix) === true);
    return negated ? !hit : hit;
  });
}

function send(res: ServerResponse, status: number, payload: unknown, errorType?: string): void {
  const headers: Record<string, string> = { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-requestid': randomUUID() };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers);
  res.end(JSON.stringify(payload));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): RequestBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text || '{}');
  } catch {
    throw new ServiceError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed as RequestBody;
}

export interface SecretsManagerEmulator {
  /** `http://127.0.0.1:<port>`, for `endpoint` or `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  url: string;
  close(): Promise<void>;
}

/** Starts the emulator on 127.0.0.1 (port 0 = a free port). Each emulator has its own empty state. */
export async function startSecretsManagerEmulator(options: { port?: number } = {}): Promise<SecretsManagerEmulator> {
  const state = new SecretsManagerState();
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const target = String(req.headers['x-amz-target'] ?? '');
        const [service, operationName] = target.split('.');
        const operation = operationName === undefined ? undefined : state.operations[operationName];
        if (req.method !== 'POST' || service !== 'secretsmanager' || !operation) {
          throw new ServiceError('UnknownOperationException', `Unsupported operation ${target || '(none)'}`);
        }
        send(res, 200, operation(parseBody(await readBody(req))));
      } catch (error) {
        if (error instanceof ServiceError)
          send(res, error.status, { __type: error.type, message: error.message }, error.type);
        else send(res, 500, { __type: 'InternalServiceError', message: 'internal error' }, 'InternalServiceError');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
