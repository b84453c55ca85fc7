// Wires the local adapters (folder lake, JSON state file, 0600 token file) for the command line.

import { resolve } from 'node:path';
import { checkLocalFolders } from '../cli/option-parsers.ts';
import type { ObjectStore, StateStore, TokenStore } from '../core/ports.ts';
import type { ParquetCodec } from '../engine/lake-writer.ts';
import { JsonFileStateStore } from '../stores/file-state.ts';
import { FileTokenStore } from '../stores/file-tokens.ts';
import { FolderObjectStore } from '../stores/fs-lake.ts';
import { readParquet, writeParquet } from '../stores/parquet.ts';

export interface GlobalOptions {
  lake?: string;
  home?: string;
}

export interface Runtime {
  lakeDir: string;
  homeDir: string;
  store: ObjectStore;
  state: StateStore;
  tokens: TokenStore;
  codec: ParquetCodec;
  /** A folder DuckDB can read (the lake itself, or a local mirror of the bucket). */
  queryDir: string;
}

export const parquetCodec: ParquetCodec = { write: writeParquet, read: readParquet };

export function lakeDirOf(opts: GlobalOptions): string {
  return resolve(opts.lake ?? process.env.ZEPP_LAKE_DIR ?? './lake');
}

export function homeDirOf(opts: GlobalOptions): string {
  return resolve(opts.home ?? process.env.ZEPP_LAKE_HOME ?? './.zepp-lake');
}

/** The local runtime; refuses (OptionValueError) a lake inside the home folder before touching either. */
export function openLocalRuntime(opts: GlobalOptions): Runtime {
  const lakeDir = lakeDirOf(opts);
  const homeDir = homeDirOf(opts);
  checkLocalFolders(lakeDir, homeDir);
  return {
    lakeDir,
    homeDir,
    store: new FolderObjectStore(lakeDir),
    state: new JsonFileStateStore(resolve(homeDir, 'state.json')),
    tokens: new FileTokenStore(resolve(homeDir, 'tokens.json')),
    codec: parquetCodec,
    queryDir: lakeDir,
  };
}
