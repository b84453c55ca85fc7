// The MCP server itself: the lake's tools on the official SDK's McpServer, over stdio. stdout carries only the
// protocol's messages; anything for a person goes to stderr (MCP clients show it in their server log).

import { readFile } from 'node:fs/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { type LakeToolsContext, registerLakeTools } from './tools.ts';

const INSTRUCTIONS = `zepp-lake: one or more people's Zepp / Amazfit / Mi Fit history (minute heart rate and steps, daily
totals, sleep and its stages, workouts with per-second samples, stress, SpO2, PAI, readiness) in a lake of
Athena tables, database zepp_lake. Everything here only reads. Start with lake_tables (tables, columns, units),
sync_status (how far each person's data reaches, and gaps), the query_* tools (the lake's named queries) and
workouts; for anything else use sql (one SELECT or WITH statement). Times: *_ts columns are UTC; local_date is
the person's own calendar day and tz_offset_s their UTC offset that day. Every answer carries the SQL that
produced it: quote it when you give a number, so the person can check it.`;

async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? '0.0.0';
}

/** Builds the server with every tool registered (the caller connects a transport). */
export async function createLakeMcpServer(ctx: LakeToolsContext): Promise<McpServer> {
  const server = new McpServer({ name: 'zepp-lake', version: await packageVersion() }, { instructions: INSTRUCTIONS });
  await registerLakeTools(server, ctx);
  return server;
}

/**
 * Serves over this process's stdin and stdout until the client closes stdin and every request already read has
 * its answer: a client that writes its requests and closes stdin (`printf ... | zepp-lake mcp`) still gets them.
 */
export async function serveStdio(server: McpServer): Promise<void> {
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  const unanswered = new Set<string | number>();
  let inputEnded = false;
  const closeWhenDone = () => {
    if (inputEnded && unanswered.size === 0) server.close().catch(() => undefined);
  };
  // Requests are counted in and their answers out, around the SDK's own handlers.
  const receive = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage) => {
    if ('method' in message && 'id' in message) unanswered.add(message.id);
    receive?.(message);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage) => {
    await send(message);
    if (!('method' in message) && 'id' in message && message.id !== undefined) {
      unanswered.delete(message.id);
      closeWhenDone();
    }
  };
  // The transport does not watch for the end of stdin: without this a closed client would leave us running.
  process.stdin.once('end', () => {
    inputEnded = true;
    closeWhenDone();
  });
  await closed;
}
