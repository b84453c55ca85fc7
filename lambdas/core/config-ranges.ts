// The ranges of the deployment's numeric settings, one set for both sides: the CDK app checks its context against
// them (lib/config.ts) and the Lambdas their environment (lambdas/runtime/config.ts), so a value one accepts the
// other never refuses (LAG_DAYS was 0-30 in the CDK and 0-60 in the Lambdas).

export interface IntRange {
  min: number;
  max: number;
}

export const CONFIG_RANGES = {
  /** Days before a cursor fetched again: late-synced data; more than a month only costs requests. */
  lagDays: { min: 0, max: 30 },
  syncEveryHours: { min: 1, max: 24 },
  reservedConcurrency: { min: 1, max: 10 },
  webhookConcurrency: { min: 1, max: 50 },
} as const satisfies Record<string, IntRange>;
