// The command line's configuration: every environment variable the `zepp-lake` command reads, parsed once per run
// (per `main()` call, not at module load, so a test that sets process.env before a run gets what it set) into one
// typed object. Commands take their values from this object through the CLI's wiring; nothing under lambdas/
// outside runtime/ reads process.env.
//
// Variables that stand for an option (ZEPP_LAKE_DIR for --lake, _HOME, _BUCKET, _STATE_TABLE, _EMAIL, _HOST) are
// also declared on that option, so commander fills the option from them and refuses a bad value with the option's
// own parser, in the same words as for the flag and naming the variable; they are carried here as given, for the
// code that needs them where no option is parsed (the runtime's defaults, the error advice, `export` whose
// `--table` names a lake table). The others have no option and are checked here.

import { z } from 'zod';

export interface CliConfig {
  /** ZEPP_LAKE_DIR: the lake folder (--lake). */
  lakeDir?: string;
  /** ZEPP_LAKE_HOME: the folder of the state and token files (--home). */
  homeDir?: string;
  /** ZEPP_LAKE_BACKEND: local (folder + files) or aws (S3 + DynamoDB + Secrets Manager) (--backend). */
  backend?: 'local' | 'aws';
  /** ZEPP_LAKE_BUCKET: with the aws backend, the lake bucket (--bucket). */
  bucket?: string;
  /** ZEPP_LAKE_STATE_TABLE: with the aws backend, the state table (--table). */
  stateTable?: string;
  /** ZEPP_LAKE_KMS_KEY_ID: with the aws backend, the SSE-KMS key of lake writes (absent: the bucket's default). */
  kmsKeyId?: string;
  /** ZEPP_LAKE_EMAIL: the Zepp account's e-mail (--email of login and users add). */
  email?: string;
  /** ZEPP_LAKE_HOST: the vendor base URL (--host). */
  host?: string;
  /** ZEPP_LAKE_PASSWORD: the Zepp password, instead of the prompt. Never printed. */
  password?: string;
  /** HUAMI_CLIENT_SECRET: the partner app's OAuth client secret (huami-open), instead of the prompt. Never printed. */
  huamiClientSecret?: string;
  /** AWS_REGION, else AWS_DEFAULT_REGION: the region of the aws backend's clients (absent: the SDK's own lookup). */
  awsRegion?: string;
  /** AWS_ENDPOINT_URL_S3: a stand-in for S3 (the SDK reads it too; a stand-in needs path-style requests). */
  s3EndpointUrl?: string;
}

/** An environment variable holds a value that cannot work; exit status 2 like any bad option value. */
export class CliConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** An empty variable counts as unset where an empty value could only be a mistake (names, URLs, regions). */
const blankIsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** A value checked here, or unset. */
function checked<T extends z.ZodType>(schema: T) {
  return z.preprocess(blankIsUnset, schema.optional());
}

const endpointUrl = checked(
  z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL such as http://127.0.0.1:4566' }),
);

/** Secrets and option-bound values are taken as given: the option's parser (or the vendor) judges them. */
const asGiven = z.string().optional();

const CLI_ENV = z.object({
  ZEPP_LAKE_DIR: asGiven,
  ZEPP_LAKE_HOME: asGiven,
  ZEPP_LAKE_BACKEND: checked(z.enum(['local', 'aws'], { error: 'must be local or aws' })),
  ZEPP_LAKE_BUCKET: asGiven,
  ZEPP_LAKE_STATE_TABLE: asGiven,
  ZEPP_LAKE_KMS_KEY_ID: checked(
    z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9:/_+=.@-]+$/, { error: 'must be a KMS key id, key ARN or alias/NAME' }),
  ),
  ZEPP_LAKE_EMAIL: asGiven,
  ZEPP_LAKE_HOST: asGiven,
  ZEPP_LAKE_PASSWORD: asGiven,
  HUAMI_CLIENT_SECRET: asGiven,
  AWS_REGION: checked(
    z
      .string()
      .trim()
      .regex(/^[a-z0-9-]+$/, { error: 'must be a region code such as eu-central-1' }),
  ),
  AWS_DEFAULT_REGION: checked(
    z
      .string()
      .trim()
      .regex(/^[a-z0-9-]+$/, { error: 'must be a region code such as eu-central-1' }),
  ),
  AWS_ENDPOINT_URL_S3: endpointUrl,
});

/** What a bad variable holds, shown unless the variable is a secret (none of the checked ones is). */
function describeIssue(issue: z.core.$ZodIssue, env: Env): string {
  const name = String(issue.path[0]);
  return `${name} ${issue.message}, got "${env[name] ?? ''}": set it right or unset it`;
}

/** The command line's configuration from the environment; every bad variable is named at once. */
export function loadCliConfig(env: Env = process.env): CliConfig {
  const parsed = CLI_ENV.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => describeIssue(issue, env));
    throw new CliConfigError(`bad environment: ${problems.join('; ')}`, { cause: parsed.error });
  }
  const e = parsed.data;
  return {
    lakeDir: e.ZEPP_LAKE_DIR,
    homeDir: e.ZEPP_LAKE_HOME,
    backend: e.ZEPP_LAKE_BACKEND,
    bucket: e.ZEPP_LAKE_BUCKET,
    stateTable: e.ZEPP_LAKE_STATE_TABLE,
    kmsKeyId: e.ZEPP_LAKE_KMS_KEY_ID,
    email: e.ZEPP_LAKE_EMAIL,
    host: e.ZEPP_LAKE_HOST,
    password: e.ZEPP_LAKE_PASSWORD,
    huamiClientSecret: e.HUAMI_CLIENT_SECRET,
    awsRegion: e.AWS_REGION ?? e.AWS_DEFAULT_REGION,
    s3EndpointUrl: e.AWS_ENDPOINT_URL_S3,
  };
}
