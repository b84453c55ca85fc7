// The scheduled sync's first step: every enabled user in the state table gets one queue message per stream group.
// scheduler --> dispatcher --> (core) planScheduledMessages --> SQS sync queue --> sync worker
// It also counts the people without a clean sync for two days (core/staleness.ts) for the UsersStale alarm.
//
// The schedule's input (lib/constructs/schedules.ts SCHEDULE_INPUT.sync) is the whole event. An optional
// `scheduledTime` (EventBridge Scheduler's <aws.scheduler.scheduled-time>) names the run; without it the run is
// named by the current UTC hour, so a retry of the same run plans the same message ids.

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { staleUsers } from '../core/staleness.ts';
import { planScheduledMessages } from '../core/sync-message.ts';
import { type DispatcherServices, dispatcherServices, lambdaWiring } from '../runtime/aws.ts';
import { logger } from '../runtime/logger.ts';
import { countMetric, METRIC, metrics } from '../runtime/metrics.ts';
import { tracingMiddlewares } from '../runtime/tracing.ts';

export interface DispatchEvent {
  trigger?: string;
  job?: string;
  /** ISO-8601 instant of the scheduled run. */
  scheduledTime?: string;
}

export interface DispatchResult {
  users: number;
  messages: number;
  slot: string;
  /** Enabled people without a clean sync for two days (they are still dispatched: the next run may heal them). */
  stale: string[];
}

/** The name of this schedule run: its scheduled time when the event has one, else the current UTC hour. */
export function scheduleSlot(event: DispatchEvent, nowMs: number): string {
  const scheduled = typeof event.scheduledTime === 'string' ? Date.parse(event.scheduledTime) : Number.NaN;
  if (Number.isFinite(scheduled)) return new Date(scheduled).toISOString();
  return `${new Date(nowMs).toISOString().slice(0, 13)}:00Z`;
}

export function createDispatcherHandler(rt: DispatcherServices) {
  return middy<DispatchEvent, DispatchResult>()
    .use(tracingMiddlewares(rt.tracing))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      if (event?.job !== undefined && event.job !== 'sync')
        throw new Error(`the dispatcher runs the sync schedule; got job ${JSON.stringify(event.job)}`);
      const slot = scheduleSlot(event ?? {}, rt.clock());
      const users = (await rt.state.listUsers()).filter((u) => u.enabled);
      const planned = planScheduledMessages(users, slot);
      const sent = await rt.queue.send(planned);
      countMetric(METRIC.syncMessagesSent, sent);
      logger.info('sync messages sent', { slot, users: users.length, messages: sent });
      const stale = staleUsers(users, rt.clock());
      countMetric(METRIC.usersStale, stale.length);
      if (stale.length > 0) {
        logger.warn('people without a clean sync for two days: run zepp-lake status --backend aws', {
          stale: stale.map((s) => ({
            userId: s.userId,
            lastSuccess: s.lastSuccessAt === undefined ? 'never' : new Date(s.lastSuccessAt).toISOString(),
          })),
        });
      }
      return { users: users.length, messages: sent, slot, stale: stale.map((s) => s.userId) };
    });
}

export const handler = createDispatcherHandler(dispatcherServices(await lambdaWiring()));
