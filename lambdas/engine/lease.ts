// The per-user lease that sync and replay both take: one writer of a user's month objects, cursors and ledger at
// a time, in Lambda and on a laptop alike. Held across a run and renewed between its durable steps.

import { LeaseHeldError } from '../core/errors.ts';
import type { StateStore } from '../core/ports.ts';

/** A run's lease lasts this long unless renewed (a crashed worker's lease expires after it). */
export const DEFAULT_LEASE_TTL_MS = 15 * 60_000;

export interface LeaseOptions {
  state: StateStore;
  /** Who holds the lease (unique per run: a CLI process, a Lambda request). */
  owner: string;
  clock: () => number;
  ttlMs?: number;
}

/** One run's hold on one user. */
export class UserLease {
  private renewedAt: number | undefined;

  constructor(
    private readonly options: LeaseOptions,
    readonly userId: string,
    /** What runs under the lease, for the refusal message ("sync", "replay"). */
    private readonly what: string,
  ) {}

  private get ttlMs(): number {
    return this.options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  }

  /** Takes the lease; LeaseHeldError when another sync or replay of the user holds it. */
  async acquire(): Promise<void> {
    const now = this.options.clock();
    if (!(await this.options.state.acquireLease(this.userId, this.options.owner, now, this.ttlMs))) {
      throw new LeaseHeldError(
        `user ${this.userId} is being synced or replayed by another process (its lease is held); the ${this.what} did not start`,
      );
    }
    this.renewedAt = now;
  }

  /**
   * Renews the lease before the next durable step; LeaseHeldError when another run took the user over after this
   * one stalled past its lease. Within the first half of the lease since the last renewal it is still ours for
   * sure, so the state write is skipped.
   */
  async renew(): Promise<void> {
    const now = this.options.clock();
    if (this.renewedAt !== undefined && now - this.renewedAt < this.ttlMs / 2) return;
    if (!(await this.options.state.acquireLease(this.userId, this.options.owner, now, this.ttlMs))) {
      throw new LeaseHeldError(
        `user ${this.userId}: the lease expired and another sync or replay holds it now; the ${this.what} stopped`,
      );
    }
    this.renewedAt = now;
  }

  async release(): Promise<void> {
    this.renewedAt = undefined;
    await this.options.state.releaseLease(this.userId, this.options.owner);
  }
}
