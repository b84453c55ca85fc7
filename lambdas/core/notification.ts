// What a vendor's change notification (a webhook) becomes, whatever the vendor: the streams and days to fetch
// again, and how queuing it at most once can end. The vendor's signature check and parsing live with the vendor
// (sources/huami-open/webhook.ts); the sync messages and the once-only record read only these types.

import type { StreamName } from './ports.ts';

export interface NotificationSyncPlan {
  userId: string;
  /** empty when the event announces no data change (e.g. a read receipt) */
  streams: StreamName[];
  /** YYYY-MM-DD, inclusive */
  from: string;
  to: string;
}

/** What `queueOnce` did with a notification. */
export type QueueOnceOutcome = 'queued' | 'replay';

/** Another delivery of the same notification is being handled right now. */
export class NotificationInProgressError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotificationInProgressError';
  }
}
