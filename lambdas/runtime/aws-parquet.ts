// The runtime of the functions that read or write Parquet (sync worker, replay): the AWS services of
// aws.ts plus the parquet-wasm codec. Handlers take a `LambdaRuntime` as a parameter of their factory,
// so tests can hand them one with a wrapped adapter; the deployed handler gets this.

import type { ParquetCodec } from '../engine/lake-writer.ts';
import {
  createLambdaServices,
  dynamodbClient,
  type LambdaServices,
  type LambdaWiring,
  objectStore,
  stateStore,
} from './aws.ts';
import type { LambdaConfig } from './config.ts';
import type { LambdaTracing } from './tracing.ts';

export interface LambdaRuntime extends LambdaServices {
  codec: ParquetCodec;
}

type ParquetModule = typeof import('../stores/parquet.ts');
let parquetModule: Promise<ParquetModule> | undefined;

/**
 * The writer (apache-arrow + parquet-wasm and its 4.7 MiB of WebAssembly) is imported on the first read or write,
 * not at module scope: a cold start that writes nothing (an invocation that fails early, a user with no new data)
 * does not compile it, and the others compile it once, inside the invocation that needs it.
 */
function parquet(): Promise<ParquetModule> {
  parquetModule ??= import('../stores/parquet.ts').catch((err: unknown) => {
    parquetModule = undefined;
    throw err;
  });
  return parquetModule;
}

export const parquetCodec: ParquetCodec = {
  write: async (table, rows) => (await parquet()).writeParquet(table, rows),
  read: async (table, bytes) => (await parquet()).readParquet(table, bytes),
};

/** The sync worker uses every client: the lake, the state table, the tokens and the queue (for retry delays). */
export function syncWorkerRuntime(w: LambdaWiring): LambdaRuntime {
  return { ...createLambdaServices(w.config, w.tracing), codec: parquetCodec };
}

/** Replay: raw/ and tables/ in the lake, users and leases in the state table; no vendor tokens, no queue. */
export type ReplayRuntime = Pick<LambdaRuntime, 'store' | 'state' | 'clock' | 'codec' | 'tracing'>;

export function replayRuntime(w: LambdaWiring): ReplayRuntime {
  return {
    store: objectStore(w),
    state: stateStore(w, dynamodbClient(w)),
    clock: Date.now,
    codec: parquetCodec,
    ...(w.tracing ? { tracing: w.tracing } : {}),
  };
}

export function createLambdaRuntime(config: LambdaConfig, tracing?: LambdaTracing): LambdaRuntime {
  return { ...createLambdaServices(config, tracing), codec: parquetCodec };
}
