// parquet-wasm as the Lambda bundles load it (esbuild alias `parquet-wasm` -> this file, parquet-wasm-lambda.ts).
// The package's Node build reads its 4.7 MiB `parquet_wasm_bg.wasm` from beside the code at import; the functions
// ship it brotli-compressed instead (1.1 MiB, decision 0016), so this takes the package's ESM build and hands it
// the decompressed bytes. It runs when the writer is first imported (lambdas/runtime/aws-parquet.ts does that on
// the first Parquet read or write), not at cold start: ~20 ms once per execution environment.
// The ESM build is imported by its path: an import of `parquet-wasm/esm` would meet the alias itself.
import { readFileSync } from 'node:fs';
import { brotliDecompressSync } from 'node:zlib';
import { initSync } from '../../../node_modules/parquet-wasm/esm/parquet_wasm.js';

export * from '../../../node_modules/parquet-wasm/esm/parquet_wasm.js';

// In the bundle, import.meta.url is the function's index.mjs: the .br lies beside it.
initSync({ module: brotliDecompressSync(readFileSync(new URL('./parquet_wasm_bg.wasm.br', import.meta.url))) });
