// Drives the real `zepp-lake mcp` command with the MCP SDK's own client over stdio, the way an assistant does:
// the command is spawned as a child process (bin/zepp-lake.mjs), and the test reads the same text the assistant
// would read, parsing the Markdown tables back into cells.

import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/zepp-lake.mjs', import.meta.url));

export interface ToolAnswer {
  isError: boolean;
  text: string;
}

export interface McpSession {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<ToolAnswer>;
  /** What the server wrote on stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

/** Spawns `zepp-lake <args>` (e.g. `mcp --lake DIR`) with `env` added to the SDK's minimal environment. */
export function startMcp(args: string[], env: Record<string, string> = {}): Promise<McpSession> {
  return startMcpCommand(process.execPath, [BIN, ...args], env);
}

/** Spawns `command args` as an MCP client configuration names it (from the checkout's folder). */
export async function startMcpCommand(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<McpSession> {
  const transport = new StdioClientTransport({ command, args, cwd: REPO, env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'zepp-lake-test', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`zepp-lake ${args.join(' ')} did not start: ${(error as Error).message}\n${stderr}`);
  }
  return {
    client,
    async call(name, toolArgs = {}) {
      const result = await client.callTool({ name, arguments: toolArgs });
      const content = result.content as { type: string; text?: string }[];
      return { isError: result.isError === true, text: content.map((c) => c.text ?? '').join('\n') };
    },
    stderr: () => stderr,
    close: () => client.close(),
  };
}

function splitRow(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  const body = line.trim().slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && body[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (body[i] === '|') {
      cells.push(cell.trim());
      cell = '';
    } else cell += body[i];
  }
  cells.push(cell.trim());
  return cells;
}

/** The first Markdown table of `text` as objects by column name; `NULL` cells become null, the rest stay text. */
export function parseMarkdownTable(text: string): Record<string, string | null>[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  if (start < 0) return [];
  const header = splitRow(lines[start] ?? '');
  const rows: Record<string, string | null>[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = splitRow(line);
    rows.push(Object.fromEntries(header.map((h, i) => [h, cells[i] === 'NULL' ? null : (cells[i] ?? null)])));
  }
  return rows;
}

/** The SQL of the answer's fenced ```sql block. */
export function answerSql(text: string): string | undefined {
  return /```sql\n([\s\S]*?)\n```/.exec(text)?.[1];
}
