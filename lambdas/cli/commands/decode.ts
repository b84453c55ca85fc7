// `zepp-lake decode`: one vendor payload (a file or stdin) into NDJSON rows, with no lake and no network.

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { MalformedPayloadError } from '../../core/errors.ts';
import { formatRowForJson } from '../../core/format-row.ts';
import { type Row, TABLE_NAMES, type TableName } from '../../core/schema-registry.ts';
import { decodeHuamiOpen, HUAMI_OPEN_RESOURCES, type HuamiOpenResource } from '../../sources/huami-open/decode.ts';
import { DECODE_ENDPOINTS, type DecodeEndpoint, decodePayload } from '../../sources/zepp/decode-payload.ts';
import { userIdOption } from '../option-parsers.ts';
import { CliError, type CliWiring, type Opts } from '../wiring.ts';

function readInput(file: string): Promise<string> {
  if (file === '-') {
    return new Promise((resolve, reject) => {
      let text = '';
      process.stdin.setEncoding('utf8');
      process.stdin.on('data', (d) => {
        text += d;
      });
      process.stdin.on('end', () => resolve(text));
      process.stdin.on('error', reject);
    });
  }
  // fatal: bytes that are not UTF-8 are refused, not silently turned into U+FFFD and decoded.
  return readFile(file).then((bytes) => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
}

async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readInput(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_ENCODING_INVALID_ENCODED_DATA') throw new CliError(`${file}: not valid UTF-8`, { cause: err });
    throw new CliError(`${file}: cannot read (${code ?? (err as Error).message})`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

function decodeFile(
  endpoint: string,
  body: unknown,
  opts: { summary?: unknown; user?: string },
): { table: TableName; row: Row }[] {
  if (endpoint.startsWith('huami-open-')) {
    const resource = endpoint.slice('huami-open-'.length) as HuamiOpenResource;
    if (!HUAMI_OPEN_RESOURCES.includes(resource)) {
      throw new CliError(
        `unknown endpoint ${endpoint}; known: ${[...DECODE_ENDPOINTS, ...HUAMI_OPEN_RESOURCES.map((r) => `huami-open-${r}`)].join(', ')}`,
      );
    }
    const tables = decodeHuamiOpen(resource, body, { userId: opts.user ?? 'unknown', source: 'huami-open' });
    const out: { table: TableName; row: Row }[] = [];
    for (const t of TABLE_NAMES) for (const row of tables[t] ?? []) out.push({ table: t, row });
    return out;
  }
  if (!(DECODE_ENDPOINTS as readonly string[]).includes(endpoint)) {
    throw new CliError(`unknown endpoint ${endpoint}; known: ${DECODE_ENDPOINTS.join(', ')}, huami-open-<resource>`);
  }
  return decodePayload(endpoint as DecodeEndpoint, body, { userId: opts.user, summary: opts.summary });
}

export function registerDecodeCommand(program: Command, _wiring: CliWiring): Command {
  return program
    .command('decode')
    .description('decode one vendor payload into NDJSON rows')
    .argument('<endpoint>', `${DECODE_ENDPOINTS.join(' | ')} | huami-open-<resource>`)
    .argument('<file>', 'the payload (- for stdin)')
    .option('--summary <file>', 'workout-detail: the history item for the workout row')
    .option('--user <id>', 'user id for the rows', userIdOption)
    .action(async (endpoint: string, file: string, o: Opts) => {
      const body = await readJsonFile(file);
      const summary = o.summary ? await readJsonFile(o.summary as string) : undefined;
      let rows: { table: TableName; row: Row }[];
      try {
        rows = decodeFile(endpoint, body, { summary, user: o.user as string | undefined });
      } catch (err) {
        if (err instanceof MalformedPayloadError) throw new CliError(`${file}: ${err.message}`, { cause: err });
        throw err;
      }
      // All rows are decoded before the first is printed: bad input gives no partial output.
      process.stdout.write(
        rows.map(({ table, row }) => JSON.stringify(formatRowForJson(table, row))).join('\n') +
          (rows.length ? '\n' : ''),
      );
    });
}
