// Validates XML against the committed schemas with xmllint (Debian's libxml2-utils), offline.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const XSD_DIR = fileURLToPath(new URL('../fixtures/xsd/', import.meta.url));
/** GPX 1.1 plus TrackPointExtension v1 (our schema of Garmin's vocabulary), so the extension content is validated, not skipped (see the file). */
export const GPX_WITH_EXTENSIONS_XSD = `${XSD_DIR}gpx-with-trackpoint-extension.xsd`;
export const GPX_ONLY_XSD = `${XSD_DIR}gpx-1.1.xsd`;

export interface XmllintResult {
  ok: boolean;
  /** xmllint's own words (stderr), to put in a failing assertion. */
  output: string;
}

/** `xmllint --noout --nonet --schema XSD FILE` (FILE `-` reads `input` from stdin). */
export function xmllint(schema: string, file: string, input?: string): XmllintResult {
  const r = spawnSync('xmllint', ['--noout', '--nonet', '--schema', schema, file], {
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`xmllint did not run (install libxml2-utils): ${r.error.message}`);
  return { ok: r.status === 0, output: `${r.stderr}`.trim() };
}
