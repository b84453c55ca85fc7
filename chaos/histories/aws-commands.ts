// Commands of the AWS path: the scheduled run (dispatcher, then the sync worker on the queue, with one or two
// pollers: two workers at once), webhook notifications through the real webhook handler (delivered once, twice,
// twice at once, refused by SQS, or dying between recording and queueing), the vendor's redelivery of what was not
// answered 2xx, the queue drained by the real worker, and the token refresher running while workers sync.

import type { StreamName } from '../../lambdas/core/ports.ts';
import { addDays } from '../../lambdas/core/time.ts';
import { type DrainResult, DYING_REMAINING_MS, deliver, dispatch, drainQueue, refreshTokens } from './aws-ops.ts';
import { HistoryCommand } from './commands.ts';
import {
  type HistoryModel,
  messageKey,
  type PendingNotification,
  personModel,
  syncStarted,
  windowAround,
} from './model.ts';
import { notificationFor } from './vendor.ts';
import type { World } from './world.ts';

/** What a finished worker message means for the model: that sync ran (a webhook message is also seen). */
export function accountDrain(m: HistoryModel, drained: DrainResult): string {
  for (const msg of drained.completed) {
    const p = m.people.find((q) => q.person.id === msg.userId);
    if (!p) continue;
    const range = msg.from ? { from: msg.from, ...(msg.to ? { to: msg.to } : {}) } : undefined;
    syncStarted(p, range, m.today, msg.streams);
    if (msg.reason === 'webhook' && msg.from && msg.to)
      m.seenMessages.add(messageKey(msg.userId, { from: msg.from, to: msg.to }, msg.streams));
  }
  return `${drained.completed.length} message(s) in ${drained.invocations} invocation(s), ${drained.failures} handed back`;
}

export class ScheduleCommand extends HistoryCommand {
  constructor(
    readonly pollers: number,
    readonly batchSize: number,
  ) {
    super();
  }
  check(): boolean {
    return true;
  }
  toString(): string {
    return `scheduled run (${this.pollers} worker${this.pollers > 1 ? 's' : ''}, batch ${this.batchSize})`;
  }
  async apply(m: HistoryModel, w: World): Promise<string> {
    const sent = await dispatch(w);
    const drained = await drainQueue(w, { pollers: this.pollers, batchSize: this.batchSize });
    return `${sent} sent, ${accountDrain(m, drained)}`;
  }
}

export class DrainCommand extends HistoryCommand {
  constructor(readonly pollers: number) {
    super();
  }
  check(): boolean {
    return true;
  }
  toString(): string {
    return `workers drain the queue (${this.pollers} at once)`;
  }
  async apply(m: HistoryModel, w: World): Promise<string> {
    return accountDrain(m, await drainQueue(w, { pollers: this.pollers, batchSize: 2 }));
  }
}

export type WebhookDelivery = 'once' | 'twice' | 'twice-at-once' | 'refused-by-sqs' | 'dies-before-enqueue';

const EVENT_STREAMS: Record<string, StreamName[]> = {
  activityDataUpdated: ['band'],
  sportDataUpdated: ['workouts'],
};

/** The vendor got a 2xx for a notification: from the first one on, its messages must reach a worker. */
function acknowledge(m: HistoryModel, n: Omit<PendingNotification, 'notBefore'>): void {
  if (m.acknowledged.has(n.body)) return;
  m.acknowledged.add(n.body);
  const p = personModel(m, n.personIndex);
  if (p.exists) m.expectedMessages.add(messageKey(p.person.id, windowAround(n.day), EVENT_STREAMS[n.eventType] ?? []));
}

export class WebhookCommand extends HistoryCommand {
  constructor(
    readonly who: number,
    /** Days before today of the changed data. */
    readonly back: number,
    readonly eventType: 'activityDataUpdated' | 'sportDataUpdated',
    readonly delivery: WebhookDelivery,
  ) {
    super();
  }
  check(): boolean {
    return true;
  }
  toString(): string {
    return `webhook ${this.eventType} of p${this.who} for today-${this.back}, ${this.delivery}`;
  }
  async apply(m: HistoryModel, w: World): Promise<string> {
    const sim = w.vendor.huami;
    if (!sim) throw new Error('webhook commands need the huami-open source');
    const p = personModel(m, this.who);
    const back = addDays(m.today, -this.back);
    const day = back < p.person.firstDate ? p.person.firstDate : back;
    const body = JSON.stringify(
      notificationFor(sim, { person: p.person, day, eventType: this.eventType, sequence: m.log.length }),
    );
    const statuses = await this.send(w, body);
    const ok = statuses.includes(204);
    const notification = { body, personIndex: this.who, day, eventType: this.eventType };
    if (ok) acknowledge(m, notification);
    else m.pending.push({ ...notification, notBefore: this.notBefore() });
    const allowed = this.allowed();
    for (const s of statuses)
      if (!allowed.includes(s))
        m.problems.push(`${this.toString()}: the webhook answered ${s} (expected ${allowed.join(' or ')})`);
    if (this.delivery === 'twice-at-once' && !ok && p.exists)
      m.problems.push(`${this.toString()}: neither copy was answered 204`);
    return `answered ${statuses.join(', ')}${ok ? '' : '; the vendor will retry'}`;
  }
  private notBefore(): number {
    return this.delivery === 'dies-before-enqueue' ? Date.now() + DYING_REMAINING_MS + 200 : Date.now();
  }
  private allowed(): number[] {
    switch (this.delivery) {
      case 'once':
      case 'twice':
        return [204];
      case 'twice-at-once':
        return [204, 503];
      case 'refused-by-sqs':
        // A user this deployment does not hold is acknowledged without a send.
        return [500, 204];
      case 'dies-before-enqueue':
        // The dying copy never answers (0); the vendor's copy sent meanwhile meets the record in progress (503).
        return [0, 503, 204];
    }
  }
  private async send(w: World, body: string): Promise<number[]> {
    switch (this.delivery) {
      case 'once':
        return [await deliver(w, body, 'normal')];
      case 'twice':
        return [await deliver(w, body, 'normal'), await deliver(w, body, 'normal')];
      case 'twice-at-once':
        return Promise.all([deliver(w, body, 'normal'), deliver(w, body, 'normal')]);
      case 'refused-by-sqs':
        return [await deliver(w, body, 'refused-by-sqs')];
      case 'dies-before-enqueue': {
        const first = await deliver(w, body, 'dies-before-enqueue');
        return first === 0 ? [first, await deliver(w, body, 'normal')] : [first];
      }
    }
  }
}

/** The vendor delivers again every notification it has not had a 2xx for (once a dead delivery's record expired). */
export async function redeliverPending(m: HistoryModel, w: World): Promise<string[]> {
  const said: string[] = [];
  const pending = m.pending.splice(0);
  for (const n of pending) {
    const wait = n.notBefore - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const status = await deliver(w, n.body, 'normal');
    said.push(String(status));
    if (status === 204) acknowledge(m, n);
    else {
      m.problems.push(`the vendor's redelivery of a notification was answered ${status}`);
      m.pending.push(n);
    }
  }
  return said;
}

export class VendorRetryCommand extends HistoryCommand {
  check(m: Readonly<HistoryModel>): boolean {
    return m.pending.length > 0;
  }
  toString(): string {
    return 'the vendor redelivers what was not acknowledged';
  }
  async apply(m: HistoryModel, w: World): Promise<string> {
    return `answered ${(await redeliverPending(m, w)).join(', ')}`;
  }
}

/** The daily token refresher (every token taken as due) while a scheduled run's workers sync. */
export class RefresherCommand extends HistoryCommand {
  check(m: Readonly<HistoryModel>): boolean {
    return m.people.some((p) => p.exists);
  }
  toString(): string {
    return 'token refresher while the workers sync';
  }
  async apply(m: HistoryModel, w: World): Promise<string> {
    const sent = await dispatch(w);
    const [summary, drained] = await Promise.all([refreshTokens(w), drainQueue(w, { pollers: 2, batchSize: 1 })]);
    for (const r of summary.results) {
      const p = m.people.find((q) => q.person.id === r.userId);
      if (r.action === 'auth-failed' && p && !p.revoked)
        m.problems.push(`the token refresher declared ${p.person.name} unauthorised: ${r.reason ?? ''}`);
    }
    const actions = summary.results.map((r) => r.action).join(',');
    return `refresher ${actions}; ${sent} sent, ${accountDrain(m, drained)}`;
  }
}
