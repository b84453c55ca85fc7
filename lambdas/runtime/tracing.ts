// X-Ray tracing of the Lambda functions (the CDK turns active tracing on): a Powertools Tracer that wraps every SDK
// client a handler builds and opens the handler's segment through its middy middleware. Loaded only when tracing
// is on (config.tracing): the Tracer pulls in aws-xray-sdk-core, which a cold start with tracing off should not
// pay for, so it comes in with a dynamic import() that the handler module awaits before it builds its clients.

import type { MiddlewareObj } from '@middy/core';
import { SERVICE_NAME } from '../core/metric-names.ts';
import type { LambdaConfig } from './config.ts';

/** What the wiring needs of a tracer: wrap one SDK v3 client (returns the same client, instrumented). */
export interface ClientTracer {
  captureAWSv3Client<T>(client: T): T;
}

/** Tracing of one execution environment: the tracer for the clients and the middleware for the handler. */
export interface LambdaTracing {
  tracer: ClientTracer;
  /** Powertools' captureLambdaHandler: one subsegment per invocation, errors and responses recorded. */
  middleware: MiddlewareObj;
}

/** The Tracer and its middleware when tracing is on, else nothing (and nothing of the Tracer is loaded). */
export async function loadTracing(config: Pick<LambdaConfig, 'tracing'>): Promise<LambdaTracing | undefined> {
  if (!config.tracing) return undefined;
  const [{ Tracer }, { captureLambdaHandler }] = await Promise.all([
    import('@aws-lambda-powertools/tracer'),
    import('@aws-lambda-powertools/tracer/middleware'),
  ]);
  const tracer = new Tracer({ serviceName: SERVICE_NAME });
  return { tracer, middleware: captureLambdaHandler(tracer) };
}

/** The client, wrapped by the tracer when there is one. */
export function traced<T>(tracing: Pick<LambdaTracing, 'tracer'> | undefined, client: T): T {
  return tracing ? tracing.tracer.captureAWSv3Client(client) : client;
}

/** The handler middlewares of tracing, first in the chain (it must see the whole invocation), or none. */
export function tracingMiddlewares(tracing: LambdaTracing | undefined): MiddlewareObj[] {
  return tracing ? [tracing.middleware] : [];
}
