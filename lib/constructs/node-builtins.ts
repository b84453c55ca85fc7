// Node's built-in modules as the Lambda bundles import them: through a CommonJS shim each
// (node-builtins/<name>.cjs, `module.exports = process.getBuiltinModule('node:<name>')`), by esbuild aliases.
//
// Why: an ESM bundle keeps every `import ... from 'node:http'` of every bundled package as a static import at its
// top, so Node evaluates them all before the first line of the handler, even for code that runs only on first use
// (the SDK clients, built lazily by lambdas/runtime/aws.ts). On Node 22 the ESM facade of node:http and node:https
// also reads their lazy WebSocket exports, which loads Node's bundled undici: ~55 ms of CPU per cold start, ~70 ms
// with the other built-ins (measured on the dispatcher's bundle, docs/benchmarks.md section 4). Aliased to a shim,
// a built-in becomes a lazily initialised part of the bundle, loaded with the module that uses it, and loaded
// without the ESM facade. process.getBuiltinModule is in Node >= 20.16 and 22.3; the functions run on Node 22.
// Kept free of aws-cdk-lib so that bench/bundles.ts bundles with the same aliases.

import { join } from 'node:path';

/** The built-ins the handler bundles import (each has a shim; one the list misses is merely imported eagerly). */
export const SHIMMED_NODE_BUILTINS = [
  'child_process',
  'console',
  'crypto',
  'diagnostics_channel',
  'fs',
  'fs/promises',
  'http',
  'https',
  'os',
  'path',
  'process',
  'stream',
  'stream/promises',
  'stream/web',
  'timers',
  'url',
  'util',
  'zlib',
] as const;

/** esbuild's `alias` option: `http` and `node:http` (and so on) to the absolute path of their shim. */
export function nodeBuiltinAliases(repoRoot: string): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const name of SHIMMED_NODE_BUILTINS) {
    const shim = join(repoRoot, 'lib/constructs/node-builtins', `${name.replace('/', '-')}.cjs`);
    aliases[name] = shim;
    aliases[`node:${name}`] = shim;
  }
  return aliases;
}

/** The same aliases as esbuild command-line arguments, for NodejsFunction's `bundling.esbuildArgs`. */
export function nodeBuiltinEsbuildArgs(repoRoot: string): Record<string, string> {
  const args: Record<string, string> = {};
  for (const [name, shim] of Object.entries(nodeBuiltinAliases(repoRoot))) args[`--alias:${name}`] = shim;
  return args;
}
