// The runtime of the functions that read or write Parquet (sync worker, replay): the AWS services of
// aws-services.ts plus the parquet-wasm codec. Handlers take a `LambdaRuntime` as a parameter of their factory,
// so tests can hand them one with a wrapped adapter; the deployed handler gets this.

import type { ParquetCodec } from '../engine/lake-writer.ts';
import { createLambdaServices, type LambdaServices, lambdaServices } from './aws.ts';
import type { LambdaConfig } from './config.ts';

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

let cached: LambdaRuntime | undefined;

/** The runtime of this execution environment: the shared services plus the codec, built on the first call. */
export function lambdaRuntime(): LambdaRuntime {
  cached ??= { ...lambdaServices(), codec: parquetCodec };
  return cached;
}

export function createLambdaRuntime(config: LambdaConfig): LambdaRuntime {
  return { ...createLambdaServices(config), codec: parquetCodec };
}
