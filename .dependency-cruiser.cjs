// The import rules of docs/architecture.md and docs/decisions/0013-layout.md, checked by `npm run lint:deps`
// (part of `npm test`). Every rule is `forbidden`: an import that breaks one fails the run and names the rule.
//
//   handlers, cli -> runtime, engine, core, sources/registry.ts (the list of sources), sources/source.ts,
//                    sources/http.ts (the transport options they pass on)
//   runtime       -> engine, sources, stores, core (it builds and wires everything)
//   engine        -> core, sources/source.ts (the SyncSource interface), core/ports.ts (the store interfaces)
//   sources/<v>/  -> core, sources/source.ts, sources/http.ts; never another vendor, never the registry
//   stores        -> core
//   core          -> nothing outside core
//   nothing imports handlers or the CLI; the simulator imports no decoder (its ground truth is written from the
//   vendor's documented values, so a wrong decoder cannot agree with it by construction).
//
// `KNOWN` lists today's imports that break a rule and are removed by a later task; each names that task. Add to
// it only with such a name: the list is meant to shrink to nothing.

/** Imports that break a rule today, by the importing file; each entry says which later task removes it. */
const KNOWN = {
  // Issue 16 stage B (item 4, one wiring per runtime): the query-side stores (DuckDB, Athena) come from
  // runtime/local.ts instead of being imported by each command.
  cliUsesQueryStores: [
    '^lambdas/cli/(export-common|export-csv|export-fit|export-gpx|query-command|report|report-html|report-queries|mcp-command)\\.ts$',
    '^lambdas/cli/mcp/lake-sql\\.ts$',
  ],
  // Issue 16 stage B (item 1, sources as plug-ins): login and OAuth consent are reached through the registry's
  // entry for the source instead of the vendor's client.
  cliUsesVendorAuth: ['^lambdas/cli/(sync-command|users-command)\\.ts$'],
  // Issue 16 stage B (item 2, one decode path): the `decode` command (cli/commands/decode.ts) calls the
  // registry's decoder of each endpoint, the one sync calls, instead of the vendor decoders directly.
  cliDecodeCommand: ['^lambdas/cli/commands/decode\\.ts$'],
  // Issue 16 stage B (item 1): the webhook handler reads the source's notification check (signature, parsing,
  // plan) from the registry; today it is the Huami flow, imported as is.
  webhookHandler: ['^lambdas/handlers/webhook\\.ts$'],
  // Issue 16 stage B (item 4): the once-only record of a notification (Powertools idempotency over the state table)
  // is built by runtime/aws.ts and handed to the handler.
  webhookOnceStore: ['^lambdas/handlers/webhook\\.ts$'],
  // Issue 16 stage B (item 2, one decode path): the Huami series and events formats that both APIs send move to a
  // module both vendors may import; today huami-open's decoder calls the zepp folder's series and events decoders.
  sharedHuamiFormats: ['^lambdas/sources/huami-open/decode-(sports|pai-events)\\.ts$'],
  // Issue 16 stage B (item 4): the lock-timeout advice reads the lock error from the runtime.
  cliErrorAdvice: ['^lambdas/cli/error-advice\\.ts$'],
};

const known = (...groups) => groups.flat();

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-only-core',
      comment: 'lambdas/core is pure and stands alone: it imports nothing of the project outside core.',
      severity: 'error',
      from: { path: '^lambdas/core/' },
      to: { path: '^(lambdas/(?!core/)|sim/|chaos/|bench/|test/|lib/|bin/)' },
    },
    {
      name: 'sources-import-core-only',
      comment:
        'A source (its client, auth, decoders) imports core and the sources interfaces only: never the engine, a store, the runtime, a handler or the CLI.',
      severity: 'error',
      from: { path: '^lambdas/sources/' },
      to: { path: '^lambdas/(engine|stores|runtime|handlers|cli)/' },
    },
    {
      name: 'vendor-imports-no-other-vendor',
      comment: 'A vendor folder imports core, sources/http.ts and sources/source.ts, never another vendor folder.',
      severity: 'error',
      from: { path: '^lambdas/sources/([^/]+)/', pathNot: known(KNOWN.sharedHuamiFormats) },
      to: { path: '^lambdas/sources/[^/]+/', pathNot: '^lambdas/sources/$1/' },
    },
    {
      name: 'vendor-imports-no-registry',
      comment: 'The registry lists the vendors; a vendor folder (or the shared interfaces) never imports it back.',
      severity: 'error',
      from: { path: '^lambdas/sources/([^/]+/|source\\.ts$|http\\.ts$)' },
      to: { path: '^lambdas/sources/registry\\.ts$' },
    },
    {
      name: 'source-interfaces-import-no-vendor',
      comment: 'sources/source.ts and sources/http.ts are what everyone may import: they import no vendor folder.',
      severity: 'error',
      from: { path: '^lambdas/sources/(source|http)\\.ts$' },
      to: { path: '^lambdas/sources/[^/]+/' },
    },
    {
      name: 'stores-import-core-only',
      comment: 'A store adapter imports core only (the interfaces it implements live in core/ports.ts).',
      severity: 'error',
      from: { path: '^lambdas/stores/' },
      to: { path: '^lambdas/(sources|engine|runtime|handlers|cli)/' },
    },
    {
      name: 'engine-imports-core-and-interfaces',
      comment:
        'The engine imports core (with the store interfaces of core/ports.ts) and sources/source.ts; the runtime hands it the sources, decoders and stores.',
      severity: 'error',
      from: { path: '^lambdas/engine/' },
      to: { path: '^lambdas/(sources|stores|runtime|handlers|cli)/', pathNot: '^lambdas/sources/source\\.ts$' },
    },
    {
      name: 'entry-points-import-runtime-and-engine',
      comment:
        'Handlers and CLI commands import the runtime, the engine and core (and the sources registry); the runtime builds the stores and sources for them.',
      severity: 'error',
      from: {
        path: '^lambdas/(handlers|cli)/',
        pathNot: known(KNOWN.cliUsesQueryStores, KNOWN.cliErrorAdvice, KNOWN.webhookOnceStore),
      },
      to: { path: '^lambdas/stores/' },
    },
    {
      name: 'entry-points-reach-sources-through-the-registry',
      comment:
        'Handlers and CLI commands reach a source through sources/registry.ts (and its interfaces: source.ts, the transport options of http.ts), never a vendor folder directly.',
      severity: 'error',
      from: {
        path: '^lambdas/(handlers|cli)/',
        pathNot: known(KNOWN.cliUsesVendorAuth, KNOWN.cliDecodeCommand, KNOWN.webhookHandler),
      },
      to: { path: '^lambdas/sources/', pathNot: '^lambdas/sources/(registry|source|http)\\.ts$' },
    },
    {
      name: 'nothing-imports-handlers-or-cli',
      comment:
        'Handlers and CLI commands are entry points: no other part of lambdas/, the simulator or lib/ imports them.',
      severity: 'error',
      from: { path: '^(lambdas|sim|lib)/', pathNot: '^lambdas/(handlers|cli)/' },
      to: { path: '^lambdas/(handlers|cli)/' },
    },
    {
      name: 'handlers-and-cli-apart',
      comment: 'A handler never imports the CLI, nor the CLI a handler: what both need lives in runtime or engine.',
      severity: 'error',
      from: { path: '^lambdas/handlers/' },
      to: { path: '^lambdas/cli/' },
    },
    {
      name: 'cli-and-handlers-apart',
      comment: 'A handler never imports the CLI, nor the CLI a handler: what both need lives in runtime or engine.',
      severity: 'error',
      from: { path: '^lambdas/cli/' },
      to: { path: '^lambdas/handlers/' },
    },
    {
      name: 'simulator-imports-no-decoder',
      comment:
        "The simulator's ground truth is written from the vendor's documented values, never from the decoders under test.",
      severity: 'error',
      from: { path: '^sim/' },
      to: { path: '^lambdas/sources/[^/]+/decode' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(lambdas|sim|lib|bin)/',
    // Type-only imports count: an arrow is an arrow, whether or not it survives compilation.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
