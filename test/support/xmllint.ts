// Validates XML against the committed schemas with libxml2's xmllint compiled to WebAssembly (the npm package
// xmllint-wasm), so the check needs nothing but `npm ci`: no system xmllint, no network (the schemas and every
// schema they import are handed to it in memory).

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { validateXML } from 'xmllint-wasm';

export const XSD_DIR = fileURLToPath(new URL('../fixtures/xsd/', import.meta.url));
/** GPX 1.1 plus TrackPointExtension v1 (our schema of Garmin's vocabulary), so the extension content is validated, not skipped (see the file). */
export const GPX_WITH_EXTENSIONS_XSD = 'gpx-with-trackpoint-extension.xsd';
export const GPX_ONLY_XSD = 'gpx-1.1.xsd';
/** Every schema in XSD_DIR, by the file name the others import it under (`schemaLocation`). */
const SCHEMA_FILES = [GPX_WITH_EXTENSIONS_XSD, GPX_ONLY_XSD, 'trackpoint-extension-v1.xsd'] as const;

export type SchemaName = typeof GPX_WITH_EXTENSIONS_XSD | typeof GPX_ONLY_XSD;

export interface XmllintResult {
  ok: boolean;
  /** xmllint's own words, to put in a failing assertion. */
  output: string;
}

let schemas: Promise<Map<string, string>> | undefined;

function loadSchemas(): Promise<Map<string, string>> {
  schemas ??= Promise.all(
    SCHEMA_FILES.map(async (name) => [name, await readFile(`${XSD_DIR}${name}`, 'utf8')] as const),
  ).then((entries) => new Map(entries));
  return schemas;
}

/** xmllint's exit status for a document that is not well-formed XML: an invalid document, like a schema violation. */
const NOT_WELL_FORMED = 1;

/**
 * `xmllint --noout --schema SCHEMA` of one XML text. A schema that does not load, or a WebAssembly module that does
 * not start, rejects (that is not an invalid document), with a message that says what to install.
 */
export async function xmllint(schema: SchemaName, xml: string, fileName = 'document.xml'): Promise<XmllintResult> {
  const files = await loadSchemas();
  const main = files.get(schema) as string;
  const preload = [...files]
    .filter(([name]) => name !== schema)
    .map(([name, contents]) => ({ fileName: name, contents }));
  try {
    const result = await validateXML({
      xml: [{ fileName, contents: xml }],
      schema: [{ fileName: schema, contents: main }],
      preload,
      // A long workout's GPX is a few MB; the default 32 MiB of WebAssembly memory is too little for some.
      maxMemoryPages: 8192,
    });
    return { ok: result.valid, output: result.rawOutput.trim() };
  } catch (error) {
    // xmllint-wasm rejects with xmllint's exit status in `code` when xmllint ran but did not answer valid/invalid.
    const exit = (error as { code?: unknown }).code;
    if (exit === NOT_WELL_FORMED) return { ok: false, output: String((error as Error).message).trim() };
    const what =
      typeof exit === 'number'
        ? `xmllint exited ${exit} on ${fileName} against ${schema} (a schema in ${XSD_DIR} that does not load?)`
        : `xmllint-wasm did not start (install it with \`npm ci\`: it is a devDependency; it needs Node's worker_threads and WebAssembly)`;
    throw new Error(`${what}: ${String(error)}`, { cause: error });
  }
}

/** {@link xmllint} of a file on disk. */
export async function xmllintFile(schema: SchemaName, path: string): Promise<XmllintResult> {
  return xmllint(schema, await readFile(path, 'utf8'), path.split('/').at(-1));
}
