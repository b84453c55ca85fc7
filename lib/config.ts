// The deployment's configuration: CDK context (cdk.json or `-c key=value`) turned into a typed, validated object
// once, in bin/app.ts. Constructs receive plain props and never read context or env themselves.

import { CONFIG_RANGES } from '../lambdas/core/config-ranges.ts';

export interface AppConfig {
  /** Names the stacks (`ZeppLake-<stage>-Storage`); `prod` also turns on termination protection. */
  readonly stage: string;
  /** How often the dispatcher fans out a sync of every user, in hours (1-24). */
  readonly syncEveryHours: number;
  /** Days before the cursor that each sync fetches again, for late-synced device data (0-30). */
  readonly lagDays: number;
  /** Where alarm notifications go; no subscription when absent. */
  readonly alarmEmail?: string;
  /** Concurrent sync workers at most, so the vendor API is not flooded (1-10). */
  readonly reservedConcurrency: number;
  /** Concurrent webhook invocations at most (1-50): the public URL cannot take the account's concurrency. */
  readonly webhookConcurrency: number;
  /** PEM public key that verifies `Huami-Signature`; a stack parameter is used when absent. */
  readonly huamiPublicKey?: string;
}

/** Raw context values: numbers from cdk.json, strings from `-c key=value`. */
export type RawConfig = Readonly<Record<string, unknown>>;

export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

export const CONFIG_DEFAULTS = {
  stage: 'dev',
  syncEveryHours: 6,
  lagDays: 3,
  reservedConcurrency: 2,
  webhookConcurrency: 5,
} as const;

const STAGE_PATTERN = /^[a-z][a-z0-9-]{1,20}$/;
// Deliberately loose: SNS confirms the address anyway; this only catches a value that cannot be an email.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PEM_PATTERN = /^-----BEGIN (RSA )?PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END (RSA )?PUBLIC KEY-----\s*$/;

/** Turns raw context into an AppConfig; every problem found is reported at once, one per line. */
export function parseConfig(raw: RawConfig): AppConfig {
  const problems: string[] = [];
  // Read in this order so the problems are listed in the order of AppConfig's fields.
  const stage = readStage(raw, problems);
  const syncEveryHours = readInteger(raw, 'syncEveryHours', problems);
  const lagDays = readInteger(raw, 'lagDays', problems);
  const reservedConcurrency = readInteger(raw, 'reservedConcurrency', problems);
  const webhookConcurrency = readInteger(raw, 'webhookConcurrency', problems);
  const alarmEmail = readAlarmEmail(raw, problems);
  const huamiPublicKey = readHuamiPublicKey(raw, problems);

  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return {
    stage,
    syncEveryHours,
    lagDays,
    reservedConcurrency,
    webhookConcurrency,
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    ...(huamiPublicKey !== undefined ? { huamiPublicKey } : {}),
  };
}

function readStage(raw: RawConfig, problems: string[]): string {
  const stage = readString(raw, 'stage') ?? CONFIG_DEFAULTS.stage;
  if (!STAGE_PATTERN.test(stage)) {
    problems.push(
      `stage must start with a lowercase letter and have 2-21 characters a-z, 0-9 or -, got ${JSON.stringify(stage)}`,
    );
  }
  return stage;
}

function readAlarmEmail(raw: RawConfig, problems: string[]): string | undefined {
  const alarmEmail = readString(raw, 'alarmEmail');
  if (alarmEmail !== undefined && !EMAIL_PATTERN.test(alarmEmail)) {
    problems.push(`alarmEmail must look like name@example.com (or be empty), got ${JSON.stringify(alarmEmail)}`);
  }
  return alarmEmail;
}

function readHuamiPublicKey(raw: RawConfig, problems: string[]): string | undefined {
  // The key arrives through `-c huamiPublicKey=...` where newlines are often written as a literal \n.
  const huamiPublicKey = readString(raw, 'huamiPublicKey')?.replace(/\\n/g, '\n');
  if (huamiPublicKey !== undefined && !PEM_PATTERN.test(huamiPublicKey)) {
    problems.push(
      `huamiPublicKey must be a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----), got ${JSON.stringify(
        huamiPublicKey.slice(0, 40),
      )}${huamiPublicKey.length > 40 ? '...' : ''}`,
    );
  }
  return huamiPublicKey;
}

/** A string value, trimmed; undefined when missing or empty (cdk.json uses "" for "not set"). */
function readString(raw: RawConfig, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/** A whole number in the setting's range (core/config-ranges.ts); its default when missing or empty. */
function readInteger(raw: RawConfig, key: keyof typeof CONFIG_RANGES, problems: string[]): number {
  const fallback = CONFIG_DEFAULTS[key];
  const { min, max } = CONFIG_RANGES[key];
  const value = raw[key];
  if (value === undefined || value === null || value === '') return fallback;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(number) || number < min || number > max) {
    problems.push(`${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return number;
}
