// On-demand rebuild of tables/ from raw/ for one user (or every user with raw data), no vendor call: the way to
// apply a better decoder. Invoke by hand: `aws lambda invoke --function-name <ReplayFunctionName>
// --payload '{"userId":"123","from":"2024-01-01","to":"2024-12-31"}' out.json`.
// invoke --> (engine) replayUser --> S3 raw/ read, tables/ rewritten

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { MalformedPayloadError } from '../core/errors.ts';
import { type ReplayReport, replayUser } from '../engine/replay.ts';
import { type LambdaRuntime, lambdaRuntime } from '../shared/aws-runtime.ts';
import { logger } from '../shared/logger.ts';
import { metrics } from '../shared/metrics.ts';

export interface ReplayEvent {
  /** Absent: every user with raw data. */
  userId?: string;
  /** YYYY-MM-DD local dates; only rows in [from, to] are rewritten. */
  from?: string;
  to?: string;
}

export interface ReplayResult {
  reports: ReplayReport[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseReplayEvent(event: unknown): ReplayEvent {
  const o = (event ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o)) throw new MalformedPayloadError('event', 'expected a JSON object');
  if (o.userId !== undefined && (typeof o.userId !== 'string' || !/^[A-Za-z0-9_+=.@-]{1,200}$/.test(o.userId)))
    throw new MalformedPayloadError('userId', 'not a user id');
  for (const f of ['from', 'to'] as const) {
    if (o[f] !== undefined && (typeof o[f] !== 'string' || !DATE.test(o[f] as string)))
      throw new MalformedPayloadError(f, 'expected YYYY-MM-DD');
  }
  return {
    ...(o.userId !== undefined ? { userId: o.userId as string } : {}),
    ...(o.from !== undefined ? { from: o.from as string } : {}),
    ...(o.to !== undefined ? { to: o.to as string } : {}),
  };
}

/** User ids that have raw responses in the lake. */
async function rawUsers(rt: LambdaRuntime): Promise<string[]> {
  const users = new Set<string>();
  for (const k of await rt.store.list('raw/')) {
    const m = /\/user-([^/]+)\//.exec(k);
    if (m?.[1]) users.add(m[1]);
  }
  return [...users].sort();
}

export function createReplayHandler(rt: LambdaRuntime) {
  return middy<ReplayEvent, ReplayResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      const req = parseReplayEvent(event);
      const userIds = req.userId ? [req.userId] : await rawUsers(rt);
      const reports: ReplayReport[] = [];
      for (const userId of userIds) {
        logger.appendKeys({ userId });
        const user = await rt.state.getUser(userId);
        const report = await replayUser({
          store: rt.store,
          codec: rt.codec,
          userId,
          ...(req.from ? { from: req.from } : {}),
          ...(req.to ? { to: req.to } : {}),
          ...(user?.tzOffsetS !== undefined ? { tzOffsetS: user.tzOffsetS } : {}),
        });
        logger.info('user replayed', {
          rawObjects: report.rawObjects,
          rows: report.rows,
          objectsWritten: report.objectsWritten,
          rejects: report.rejects.slice(0, 5),
        });
        reports.push(report);
      }
      logger.removeKeys(['userId']);
      return { reports };
    });
}

export const handler = createReplayHandler(lambdaRuntime());
