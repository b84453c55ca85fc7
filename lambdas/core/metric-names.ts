// The custom metrics the handlers emit (Powertools Metrics, EMF) and the alarms and dashboard read. One list,
// imported by the handlers (lambdas/runtime/metrics.ts) and re-exported to the CDK code by
// lib/constructs/metric-names.ts, so a renamed metric cannot leave an alarm watching nothing.
// Powertools adds the `service` dimension (POWERTOOLS_SERVICE_NAME) to every metric, so every reader selects it.

export const METRICS_NAMESPACE = 'ZeppLake';
/** POWERTOOLS_SERVICE_NAME of every function: one value, so an alarm sees a metric whichever function emits it. */
export const SERVICE_NAME = 'zepp-lake';

export const METRIC = {
  /** Rows landed in the lake; dimension `stream` (band, workouts, stress, spo2, pai, readiness). */
  rowsWritten: 'RowsWritten',
  /** One per user sync that committed its cursor. */
  syncSucceeded: 'SyncSucceeded',
  /** A user whose token could not be refreshed: ledger `auth_failed`, a person must log in again. */
  authFailed: 'AuthFailed',
  /** Vendor API requests, and the retries among them (429, 5xx). */
  apiCalls: 'ApiCalls',
  apiRetries: 'ApiRetries',
  /** Ledger entries that ended `failed`. */
  ledgerFailed: 'LedgerFailed',
  /** Webhook calls whose `Huami-Signature` did not verify. */
  webhookSignatureRejected: 'WebhookSignatureRejected',
  /** Sync messages the dispatcher and the webhook put on the queue. */
  syncMessagesSent: 'SyncMessagesSent',
  /** Sync messages handed back to the queue for a later try (lease held, vendor or AWS hiccup). */
  syncDeferred: 'SyncDeferred',
  /** Vendor tokens the token refresher renewed. */
  tokensRefreshed: 'TokensRefreshed',
  /**
   * Enabled people without a clean sync for two days (core/staleness.ts), counted by the dispatcher at every
   * scheduled run, 0 included, so the alarm reads the latest count.
   */
  usersStale: 'UsersStale',
  /** Signed webhook bodies that were not a notification (kept under raw/webhook-rejects/). */
  webhookMalformed: 'WebhookMalformed',
} as const;
