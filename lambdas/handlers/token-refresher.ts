// The daily token refresh: every enabled user's vendor tokens renewed ahead of expiry, so the sync worker rarely
// meets an expired one. scheduler --> token refresher --> (engine) refreshUserTokens --> Secrets Manager
// A failure is logged and counted (AuthFailed when a person must log in again) and touches no data. Each renewal
// holds the user's lease, so it never runs beside a sync of the same user (that sync renews on its own).

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { UserRecord } from '../core/ports.ts';
import { refreshUserTokens, type TokenRefreshDeps, type TokenRefreshResult } from '../engine/refresh-tokens.ts';
import { lambdaWiring, type TokenRefresherServices, tokenRefresherServices } from '../runtime/aws.ts';
import { logger } from '../runtime/logger.ts';
import { countMetric, METRIC, metrics } from '../runtime/metrics.ts';
import { tracingMiddlewares } from '../runtime/tracing.ts';
import type { HttpOptions } from '../sources/http.ts';
import { tokenRenewers } from '../sources/registry.ts';

export interface TokenRefreshEvent {
  trigger?: string;
  job?: string;
  /** Refresh only this user (an on-demand invocation). */
  userId?: string;
}

export interface TokenRefreshSummary {
  refreshed: number;
  fresh: number;
  /** Users being synced at that moment: their sync renews the tokens when they are due. */
  busy: number;
  authFailed: number;
  failed: number;
  results: TokenRefreshResult[];
}

export interface TokenRefresherOptions {
  http?: HttpOptions;
  /** Overrides of the refresh thresholds (tests). */
  zeppMaxAgeMs?: number;
  oauthMarginMs?: number;
}

/** Users refreshed at once: the vendor sees a few token calls in parallel, never a burst. */
const PARALLEL = 4;
const LEASE_MARGIN_MS = 60_000;

export function createTokenRefresherHandler(rt: TokenRefresherServices, options: TokenRefresherOptions = {}) {
  return middy<TokenRefreshEvent, TokenRefreshSummary>()
    .use(tracingMiddlewares(rt.tracing))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event, context) => {
      if (event?.job !== undefined && event.job !== 'token-refresh')
        throw new Error(`the token refresher runs the token-refresh schedule; got job ${JSON.stringify(event.job)}`);
      const users = (await rt.state.listUsers()).filter(
        (u) => u.enabled && (event?.userId === undefined || u.userId === event.userId),
      );
      const results = await refreshInParallel(refreshDepsOf(rt, options, context), users);
      return summarize(results);
    });
}

function refreshDepsOf(
  rt: TokenRefresherServices,
  options: TokenRefresherOptions,
  context: Context | undefined,
): TokenRefreshDeps {
  // A renewal holds the user's lease; should this function die holding it, it frees the user soon after.
  const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 0;
  return {
    tokens: rt.tokens,
    state: rt.state,
    clock: rt.clock,
    leaseOwner: `token-refresher/${context?.awsRequestId ?? 'local'}`,
    ...(remaining > 0 ? { leaseTtlMs: remaining + LEASE_MARGIN_MS } : {}),
    renewerOf: tokenRenewers({
      tokens: rt.tokens,
      clock: rt.clock,
      ...(options.http ? { http: options.http } : {}),
      ...(options.zeppMaxAgeMs !== undefined ? { zeppMaxAgeMs: options.zeppMaxAgeMs } : {}),
      ...(options.oauthMarginMs !== undefined ? { oauthMarginMs: options.oauthMarginMs } : {}),
      ...(rt.config.huamiClientSecret ? { huamiClientSecret: rt.config.huamiClientSecret } : {}),
    }),
  };
}

/** PARALLEL workers take the users off one queue; each result is logged as it comes. */
async function refreshInParallel(deps: TokenRefreshDeps, users: readonly UserRecord[]): Promise<TokenRefreshResult[]> {
  const results: TokenRefreshResult[] = [];
  const queue = [...users];
  const worker = async (): Promise<void> => {
    for (let u = queue.shift(); u; u = queue.shift()) {
      const result = await refreshUserTokens(deps, u);
      results.push(result);
      logResult(result);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return results;
}

function logResult(result: TokenRefreshResult): void {
  const keys = { userId: result.userId, source: result.source };
  if (result.action === 'refreshed') logger.info('tokens refreshed', keys);
  else if (result.action === 'auth-failed')
    logger.error('tokens cannot be refreshed: the person must log in again', { ...keys, why: result.reason });
  else if (result.action === 'failed') logger.warn('token refresh failed', { ...keys, why: result.reason });
  else if (result.action === 'busy') logger.info('tokens left to the sync running now', keys);
}

/** Counts the results by action, emits the metrics and the closing log line. */
function summarize(results: TokenRefreshResult[]): TokenRefreshSummary {
  const count = (action: TokenRefreshResult['action']) => results.filter((r) => r.action === action).length;
  const summary: TokenRefreshSummary = {
    refreshed: count('refreshed'),
    fresh: count('fresh'),
    busy: count('busy'),
    authFailed: count('auth-failed'),
    failed: count('failed'),
    results: results.sort((a, b) => a.userId.localeCompare(b.userId)),
  };
  if (summary.refreshed > 0) countMetric(METRIC.tokensRefreshed, summary.refreshed);
  if (summary.authFailed > 0) countMetric(METRIC.authFailed, summary.authFailed);
  logger.info('token refresh done', {
    refreshed: summary.refreshed,
    fresh: summary.fresh,
    busy: summary.busy,
    authFailed: summary.authFailed,
    failed: summary.failed,
  });
  return summary;
}

export const handler = createTokenRefresherHandler(tokenRefresherServices(await lambdaWiring()));
