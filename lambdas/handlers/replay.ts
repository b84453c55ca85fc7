// On-demand rebuild of tables/ from raw/ for one user (or every user with raw data), no vendor call: the way to
// apply a better decoder. Invoke by hand: `aws lambda invoke --function-name <ReplayFunctionName>
// --payload '{"userId":"123","from":"2024-01-01","to":"2024-12-31"}' out.json`.
// A user that a sync worker (or another replay) holds is left alone and named in the error the invocation ends with.
// invoke --> (engine) replayUser under the user's lease --> S3 raw/ read, tables/ rewritten

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { LeaseHeldError, MalformedPayloadError } from '../core/errors.ts';
import { DEFAULT_LEASE_TTL_MS } from '../engine/lease.ts';
import { type ReplayReport, replayUser } from '../engine/replay.ts';
import { lambdaWiring } from '../runtime/aws.ts';
import { type ReplayRuntime, replayRuntime } from '../runtime/aws-parquet.ts';
import { logger } from '../runtime/logger.ts';
import { metrics } from '../runtime/metrics.ts';
import { tracingMiddlewares } from '../runtime/tracing.ts';
import { rawDecoderOf } from '../sources/registry.ts';

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
/** The lease outlives the invocation by this much, so a timed-out replay's lease still expires soon after. */
const LEASE_MARGIN_MS = 60_000;

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
async function rawUsers(rt: Pick<ReplayRuntime, 'store'>): Promise<string[]> {
  const users = new Set<string>();
  for (const k of await rt.store.list('raw/')) {
    const m = /\/user-([^/]+)\//.exec(k);
    if (m?.[1]) users.add(m[1]);
  }
  return [...users].sort();
}

export function createReplayHandler(rt: ReplayRuntime) {
  return middy<ReplayEvent, ReplayResult>()
    .use(tracingMiddlewares(rt.tracing))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event, context) => {
      const req = parseReplayEvent(event);
      const userIds = req.userId ? [req.userId] : await rawUsers(rt);
      const reports: ReplayReport[] = [];
      // The lease sync takes, for as long as this invocation may run: a user being synced is left alone.
      const remaining =
        typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 0;
      const lease = {
        state: rt.state,
        owner: `replay/${context?.awsRequestId ?? 'local'}`,
        clock: rt.clock,
        ttlMs: remaining > 0 ? remaining + LEASE_MARGIN_MS : DEFAULT_LEASE_TTL_MS,
      };
      const held: LeaseHeldError[] = [];
      for (const userId of userIds) {
        logger.appendKeys({ userId });
        const user = await rt.state.getUser(userId);
        const report = await replayUser({
          decoders: rawDecoderOf,
          store: rt.store,
          codec: rt.codec,
          lease,
          userId,
          ...(req.from ? { from: req.from } : {}),
          ...(req.to ? { to: req.to } : {}),
          ...(user?.tzOffsetS !== undefined ? { tzOffsetS: user.tzOffsetS } : {}),
        }).catch((err: unknown) => {
          if (!(err instanceof LeaseHeldError)) throw err;
          logger.warn('user is being synced or replayed by another worker: not replayed', { error: err.message });
          held.push(err);
          return undefined;
        });
        if (!report) continue;
        logger.info('user replayed', {
          rawObjects: report.rawObjects,
          rows: report.rows,
          objectsWritten: report.objectsWritten,
          rejects: report.rejects.slice(0, 5),
        });
        reports.push(report);
      }
      logger.removeKeys(['userId']);
      // The others were replayed; the invocation still fails, so the one who started it sees who was left out.
      if (held.length > 0) throw new LeaseHeldError(held.map((e) => e.message).join('; '), { cause: held[0] });
      return { reports };
    });
}

export const handler = createReplayHandler(replayRuntime(await lambdaWiring()));
