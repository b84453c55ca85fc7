// Which people have gone too long without a clean sync. The deployment-wide "no sync succeeded" alarm stays
// quiet while any one person syncs; in a family or a study, one person whose sync keeps failing (a vendor
// error on their account, a stuck lease, a wrong region) would go unnoticed. The dispatcher counts them at
// every scheduled run and an alarm watches the count.

import type { UserRecord } from './ports.ts';

/** How long an enabled person may go without a clean sync before it counts as stale: two days. */
export const STALE_AFTER_MS = 2 * 86_400_000;

export interface StaleUser {
  userId: string;
  /** The last clean sync (epoch ms), or undefined when there has never been one. */
  lastSuccessAt: number | undefined;
}

/**
 * An enabled, real (not simulated) person whose last clean sync is older than `staleAfterMs`. A person never
 * synced counts from when they were added, so a new sign-up has the same two days to finish a first run.
 */
export function isStale(user: UserRecord, nowMs: number, staleAfterMs = STALE_AFTER_MS): boolean {
  return user.enabled && !user.simulated && nowMs - (user.lastSuccessAt ?? user.createdAt) > staleAfterMs;
}

/** The stale people among `users` (see isStale), with their last clean sync. */
export function staleUsers(users: readonly UserRecord[], nowMs: number, staleAfterMs = STALE_AFTER_MS): StaleUser[] {
  return users
    .filter((u) => isStale(u, nowMs, staleAfterMs))
    .map((u) => ({ userId: u.userId, lastSuccessAt: u.lastSuccessAt }));
}
