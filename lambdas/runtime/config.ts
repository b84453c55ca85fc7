// The Lambda configuration: the function environment (set by lib/ingest-stack.ts) turned into one typed object,
// read once at cold start. Every problem is reported at once, naming the variable and what it should hold, so
// a bad deployment fails on its first invocation instead of half-way through a sync.
// Vendor tokens never come from here: they live in Secrets Manager (one secret per user).

export interface LambdaConfig {
  /** LAKE_BUCKET: the lake (tables/, raw/). */
  lakeBucket: string;
  /** STATE_TABLE: users, cursors, leases, ledger, webhook hashes. */
  stateTable: string;
  /** QUEUE_URL: the sync queue the dispatcher and the webhook send to, and the worker consumes. */
  queueUrl: string;
  /** KMS_KEY_ID: SSE-KMS key for lake writes and new secrets (absent: the bucket's default encryption). */
  kmsKeyId?: string;
  /** LAG_DAYS: days before a cursor that are fetched again (late-synced data). */
  lagDays: number;
  /** SECRET_PREFIX: name prefix of the per-user secrets. */
  secretPrefix: string;
  /** HUAMI_PUBLIC_KEY: PEM key that verifies `Huami-Signature` (empty: every push is rejected). */
  huamiPublicKey: string;
  /**
   * HUAMI_CLIENT_SECRET: the partner app's OAuth client secret, for huami-open users whose stored tokens do not
   * carry it (the same fallback lambdas/sources/registry.ts uses). Optional; zepp users need none.
   */
  huamiClientSecret?: string;
  /**
   * X-Ray tracing is on: the function runs with active tracing (Lambda then sets _X_AMZN_TRACE_ID or
   * AWS_XRAY_DAEMON_ADDRESS) and POWERTOOLS_TRACE_ENABLED is not `false`. Off (or absent), no tracer is even
   * loaded.
   */
  tracing?: boolean;
}

/** The environment is missing a variable or holds a value that cannot work. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_SECRET_PREFIX = 'zepp-lake/users/';
const DEFAULT_LAG_DAYS = 3;

export function loadConfig(env: Env = process.env): LambdaConfig {
  const problems: string[] = [];
  const required = (name: string, what: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is not set (${what})`);
    return value ?? '';
  };
  const lakeBucket = required('LAKE_BUCKET', 'the lake bucket name');
  const stateTable = required('STATE_TABLE', 'the state table name');
  const queueUrl = required('QUEUE_URL', 'the sync queue URL');
  if (queueUrl && !/^https?:\/\//.test(queueUrl)) problems.push(`QUEUE_URL must be a queue URL, got ${queueUrl}`);

  let lagDays = DEFAULT_LAG_DAYS;
  const lagText = env.LAG_DAYS?.trim();
  if (lagText) {
    lagDays = Number(lagText);
    if (!Number.isInteger(lagDays) || lagDays < 0 || lagDays > 60)
      problems.push(`LAG_DAYS must be a whole number from 0 to 60, got ${lagText}`);
  }
  const secretPrefix = env.SECRET_PREFIX?.trim() || DEFAULT_SECRET_PREFIX;
  if (!/^[A-Za-z0-9/_+=.@-]+$/.test(secretPrefix))
    problems.push(`SECRET_PREFIX holds characters a secret name cannot have: ${secretPrefix}`);

  if (problems.length > 0) throw new ConfigError(`bad Lambda configuration: ${problems.join('; ')}`);
  const kmsKeyId = env.KMS_KEY_ID?.trim();
  const huamiClientSecret = env.HUAMI_CLIENT_SECRET?.trim();
  return {
    lakeBucket,
    stateTable,
    queueUrl,
    ...(kmsKeyId ? { kmsKeyId } : {}),
    lagDays,
    secretPrefix,
    huamiPublicKey: env.HUAMI_PUBLIC_KEY?.trim() ?? '',
    ...(huamiClientSecret ? { huamiClientSecret } : {}),
    tracing: tracingEnabled(env),
  };
}

function tracingEnabled(env: Env): boolean {
  if (env.POWERTOOLS_TRACE_ENABLED?.trim().toLowerCase() === 'false') return false;
  return Boolean(env._X_AMZN_TRACE_ID?.trim() || env.AWS_XRAY_DAEMON_ADDRESS?.trim());
}
