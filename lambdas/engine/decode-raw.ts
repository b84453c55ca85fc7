// Decodes a stored raw record with the decoder of its source, which the caller hands in (the SyncSource's own
// for a sync, the registry's lookup for a replay): the engine imports no vendor. Used by sync and by replay, so a
// replay gives exactly the tables a sync gave.

import { MalformedPayloadError } from '../core/errors.ts';
import type { DecodeContext } from '../core/ports.ts';
import { appendRows } from '../core/raw-decoding.ts';
import type { RawRecord } from '../core/raw-records.ts';
import { TABLE_NAMES } from '../core/schema-registry.ts';
import type { DecodedRaw, RawDecoder } from '../sources/source.ts';

// The engine's parts and the bench join decoded rows with this.
export { appendRows };

/** A decode context that also carries the decoder of the raw records' source. */
export interface SourceDecodeContext extends DecodeContext {
  /** The source's decoder; undefined when no source of that name is known (the record is then refused). */
  decode: RawDecoder | undefined;
}

/**
 * Decodes a raw record. Rows of a windowed fetch are clipped to the window's local dates: the request is
 * padded to cover every UTC offset, and the days outside belong to (and are fetched with) their own window.
 * Sync and replay share this, so both keep exactly the same rows.
 */
export function decodeRaw(raw: RawRecord, ctx: SourceDecodeContext): DecodedRaw {
  const d = ctx.decode;
  if (!d) throw new MalformedPayloadError('source', `no decoder for source ${raw.source}`);
  const out = d(raw, ctx);
  const from = raw.params?.from;
  const to = raw.params?.to;
  if (typeof from !== 'string' || typeof to !== 'string') return out;
  for (const t of TABLE_NAMES) {
    const list = out.rows[t];
    if (list) out.rows[t] = list.filter((r) => (r.local_date as string) >= from && (r.local_date as string) <= to);
  }
  return out;
}
