// The Lambda configuration: the function environment (set by lib/ingest-stack.ts) turned into one typed object,
// read once at cold start. Every problem is reported at once, naming the variable and what it should hold, so
// a bad deployment fails on its first invocation instead of half-way through a sync.
// Vendor tokens never come from here: they live in Secrets Manager (one secret per user). Parsed with zod's
// tree-shakable `zod/mini` (same engine, functions instead of methods): classic `zod` put all of zod, its 40-odd
// locales included (~450 KB minified), into every Lambda bundle and evaluated it at cold start, for nine
// variables. The ranges are the CDK app's own (core/config-ranges.ts).

import * as z from 'zod/mini';
import { CONFIG_RANGES } from '../core/config-ranges.ts';

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
const LAG = CONFIG_RANGES.lagDays;

/** An optional variable: trimmed, and absent when empty. */
const optional = z.pipe(
  z.optional(z.string()),
  z.transform((v) => v?.trim() || undefined),
);
const required = (what: string) =>
  z
    .pipe(
      z.optional(z.string()),
      z.transform((v) => v?.trim() ?? ''),
    )
    .check(z.refine((v) => v !== '', { message: `is not set (${what})` }));

const lagDays = z.optional(z.string()).check(
  z.refine((v) => v === undefined || (Number.isInteger(Number(v)) && Number(v) >= LAG.min && Number(v) <= LAG.max), {
    error: (issue) => `must be a whole number from ${LAG.min} to ${LAG.max}, got ${String(issue.input)}`,
  }),
);

const secretPrefix = z
  .pipe(
    z.optional(z.string()),
    z.transform((v) => v ?? DEFAULT_SECRET_PREFIX),
  )
  .check(
    z.refine((v) => /^[A-Za-z0-9/_+=.@-]+$/.test(v), {
      error: (issue) => `holds characters a secret name cannot have: ${String(issue.input)}`,
    }),
  );

/** The function environment, as lib/ingest-stack.ts sets it. Messages follow the variable's name. */
const LambdaEnv = z.object({
  LAKE_BUCKET: required('the lake bucket name'),
  STATE_TABLE: required('the state table name'),
  QUEUE_URL: required('the sync queue URL').check(
    z.refine((v) => v === '' || /^https?:\/\//.test(v), {
      error: (issue) => `must be a queue URL, got ${String(issue.input)}`,
    }),
  ),
  LAG_DAYS: z.pipe(
    optional,
    z.pipe(
      lagDays,
      z.transform((v) => (v === undefined ? DEFAULT_LAG_DAYS : Number(v))),
    ),
  ),
  SECRET_PREFIX: z.pipe(optional, secretPrefix),
  KMS_KEY_ID: optional,
  HUAMI_PUBLIC_KEY: optional,
  HUAMI_CLIENT_SECRET: optional,
});

export function loadConfig(env: Env = process.env): LambdaConfig {
  const parsed = LambdaEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${String(i.path[0])} ${i.message}`);
    throw new ConfigError(`bad Lambda configuration: ${problems.join('; ')}`, { cause: parsed.error });
  }
  const e = parsed.data;
  return {
    lakeBucket: e.LAKE_BUCKET,
    stateTable: e.STATE_TABLE,
    queueUrl: e.QUEUE_URL,
    ...(e.KMS_KEY_ID ? { kmsKeyId: e.KMS_KEY_ID } : {}),
    lagDays: e.LAG_DAYS,
    secretPrefix: e.SECRET_PREFIX,
    huamiPublicKey: e.HUAMI_PUBLIC_KEY ?? '',
    ...(e.HUAMI_CLIENT_SECRET ? { huamiClientSecret: e.HUAMI_CLIENT_SECRET } : {}),
    tracing: tracingEnabled(env),
  };
}

function tracingEnabled(env: Env): boolean {
  if (env.POWERTOOLS_TRACE_ENABLED?.trim().toLowerCase() === 'false') return false;
  return Boolean(env._X_AMZN_TRACE_ID?.trim() || env.AWS_XRAY_DAEMON_ADDRESS?.trim());
}
