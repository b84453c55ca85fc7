// The runtime of the functions that read or write Parquet (sync worker, replay): the AWS services of
// aws-services.ts plus the parquet-wasm codec. Handlers take a `LambdaRuntime` as a parameter of their factory,
// so tests can hand them one with a wrapped adapter; the deployed handler gets this.

import type { ParquetCodec } from '../engine/lake-writer.ts';
import { readParquet, writeParquet } from '../stores/parquet.ts';
import { createLambdaServices, type LambdaServices, lambdaServices } from './aws.ts';
import type { LambdaConfig } from './config.ts';

export interface LambdaRuntime extends LambdaServices {
  codec: ParquetCodec;
}

export const parquetCodec: ParquetCodec = { write: writeParquet, read: readParquet };

let cached: LambdaRuntime | undefined;

/** The runtime of this execution environment: the shared services plus the codec, built on the first call. */
export function lambdaRuntime(): LambdaRuntime {
  cached ??= { ...lambdaServices(), codec: parquetCodec };
  return cached;
}

export function createLambdaRuntime(config: LambdaConfig): LambdaRuntime {
  return { ...createLambdaServices(config), codec: parquetCodec };
}
