// The five handler modules, imported only after setUpHandlerEnv() has set the function environment (each module
// reads its configuration once, at import, as in Lambda). The factories take a runtime, so a test can give a
// handler a fixed clock or a wrapped adapter; the invocation then goes through the whole middy chain.

import type { Context } from 'aws-lambda';
import { createDispatcherHandler } from '../../lambdas/handlers/dispatcher.ts';
import { createReplayHandler } from '../../lambdas/handlers/replay.ts';
import { createSyncWorkerHandler, type SyncWorkerOptions } from '../../lambdas/handlers/sync-worker.ts';
import { createTokenRefresherHandler, type TokenRefresherOptions } from '../../lambdas/handlers/token-refresher.ts';
import { createWebhookHandler } from '../../lambdas/handlers/webhook.ts';
import type { LambdaRuntime } from '../../lambdas/runtime/aws-parquet.ts';

/** A middy handler called the way the Lambda runtime calls it. */
type Invoke<E, R> = (event: E, context: Context) => Promise<R>;

function invoker<E, R>(h: (event: E, context: Context) => Promise<R> | R | undefined): Invoke<E, R> {
  return async (event, context) => (await h(event, context)) as R;
}

export const dispatcher = (rt: LambdaRuntime) => invoker(createDispatcherHandler(rt));
export const syncWorker = (rt: LambdaRuntime, options?: SyncWorkerOptions) =>
  invoker(createSyncWorkerHandler(rt, options));
export const tokenRefresher = (rt: LambdaRuntime, options?: TokenRefresherOptions) =>
  invoker(createTokenRefresherHandler(rt, options));
export const replay = (rt: LambdaRuntime) => invoker(createReplayHandler(rt));
export const webhook = (rt: LambdaRuntime) => invoker(createWebhookHandler(rt));
