// The sources, listed once. Each vendor's folder exports its plug-in (sources/<vendor>/plugin.ts): how a user's
// SyncSource is opened from their stored tokens, how a replay reads its stored responses, its token renewal. The
// runtime, the handlers and the CLI take them from here and hand them to the engine, which imports no vendor.
// Adding a vendor is its folder and one line below (docs/decisions/0015-streams-and-sources-listed-once.md).

import type { TokenStore, UserTokens } from '../core/ports.ts';
import { huamiOpenPlugin } from './huami-open/plugin.ts';
import type { HuamiOpenTokens } from './huami-open/stored-tokens.ts';
import type {
  OpenSourceOptions,
  RawDecoderLookup,
  SourcePlugin,
  SyncSource,
  TokenRenewalSettings,
  TokenRenewer,
} from './source.ts';
import { zeppPlugin } from './zepp/plugin.ts';

export type { HuamiOpenTokens, TokenRenewalSettings };
export { openZeppSource } from './zepp/plugin.ts';

const SOURCES: readonly SourcePlugin[] = [zeppPlugin, huamiOpenPlugin];

const byId = new Map<string, SourcePlugin>(SOURCES.map((p) => [p.id, p]));

/** The names of the registered sources (the CLI's --source choices, the token store's check). */
export const SOURCE_IDS: readonly string[] = SOURCES.map((p) => p.id);

export function openSource(
  userId: string,
  tokens: UserTokens,
  store: TokenStore,
  opts?: OpenSourceOptions,
): SyncSource {
  const plugin = byId.get(tokens.source);
  if (!plugin) throw new Error(`no sync source for ${tokens.source}`);
  return plugin.open(userId, tokens, store, opts);
}

/** The reader of a source's stored responses by name; undefined for a source nobody registered. */
export const rawDecoderOf: RawDecoderLookup = (source) => byId.get(source)?.reader;

/** Each source's token renewal with these settings, by source name (the token refresher's lookup). */
export function tokenRenewers(settings: TokenRenewalSettings): (source: string) => TokenRenewer | undefined {
  const renewers = new Map<string, TokenRenewer>(SOURCES.map((p) => [p.id, p.renewer(settings)]));
  return (source) => renewers.get(source);
}
