// The tools of `zepp-lake mcp`: what an assistant can ask of the lake. All of them only read. Each SQL answer is a
// Markdown table with the SQL that produced it; a query that is not allowed, too slow or wrong gets a tool error
// whose text says why and what to do instead.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { unitOf } from '../../core/column-units.ts';
import { namedQueryBody, readNamedQueryHeaders } from '../../core/named-query-headers.ts';
import {
  narrowQuery,
  type SqlCaps,
  SqlQueryError,
  SqlRefusedError,
  SqlTimeoutError,
  sqlText,
} from '../../core/read-only-sql.ts';
import { TABLE_NAMES, TABLES, type TableName } from '../../core/schema-registry.ts';
import { parseDate } from '../../core/time.ts';
import { isValidUserId, USER_ID_RULE } from '../../core/user-id.ts';
import { listNamedQueries, readNamedQuery } from '../query-command.ts';
import { describeQuery, type LakeSql } from './lake-sql.ts';
import { markdownTable, resultMarkdown, sqlBlock } from './markdown.ts';

export interface LakeToolsContext {
  sql: LakeSql;
  /** `zepp-lake status` as text, for every user or one (read afresh on every call). */
  statusText(userId?: string): Promise<string>;
  /** Upper bounds of every query; a call may ask for fewer rows. */
  caps: SqlCaps;
}

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

const dateArg = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is written YYYY-MM-DD')
  .refine(
    (text) => {
      try {
        parseDate(text);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not a day of the calendar' },
  );
const userArg = z.string().refine(isValidUserId, { message: USER_ID_RULE });

function text(body: string, isError = false): CallToolResult {
  return { content: [{ type: 'text', text: body }], ...(isError ? { isError: true } : {}) };
}

/** Runs `sql` on the lake and answers with its table, or with a tool error saying why it did not run. */
async function answer(ctx: LakeToolsContext, sql: string, maxRows?: number): Promise<CallToolResult> {
  try {
    const result = await ctx.sql.run(sql, {
      ...ctx.caps,
      maxRows: Math.min(maxRows ?? ctx.caps.maxRows, ctx.caps.maxRows),
    });
    return text(resultMarkdown(result, { sql, engine: ctx.sql.engine }));
  } catch (error) {
    if (error instanceof SqlRefusedError || error instanceof SqlTimeoutError || error instanceof SqlQueryError) {
      return text(`${error.message}\n\n${sqlBlock(sql)}`, true);
    }
    throw error;
  }
}

function maxRowsArg(caps: SqlCaps) {
  return z
    .number()
    .int()
    .min(1)
    .max(caps.maxRows)
    .optional()
    .describe(`rows to return at most (default and limit ${caps.maxRows})`);
}

function checkRange(from?: string, to?: string): CallToolResult | undefined {
  if (from && to && from > to) return text(`from (${from}) is after to (${to}); give from <= to`, true);
  return undefined;
}

/** Markdown of one table's columns (type, unit, meaning), or of every table when none is named. */
export function tablesMarkdown(table?: TableName): string {
  if (!table) {
    const rows = TABLE_NAMES.map((t) => [`zepp_lake.${t}`, TABLES[t].description]);
    return `${markdownTable({
      columns: [
        { name: 'table', type: 'varchar' },
        { name: 'one row per / what', type: 'varchar' },
      ],
      rows,
    })}\n\nEvery table is partitioned by month ('YYYY-MM' of local_date): filter on it to read less. Ask with a table name for its columns.`;
  }
  const def = TABLES[table];
  const columns = [
    ...def.columns.map((c) => [c.name, c.type, unitOf(c), c.nullable ? 'yes' : 'no', c.comment]),
    ['month', 'string', '', 'no', "partition: 'YYYY-MM' of local_date"],
  ];
  const header = ['column', 'type', 'unit', 'nullable', 'meaning'].map((name) => ({ name, type: 'varchar' }));
  return `## zepp_lake.${table}\n\n${def.description}\n\nOne row per (${def.naturalKey.join(', ')}).\n\n${markdownTable({ columns: header, rows: columns })}`;
}

function registerTablesTool(server: McpServer): void {
  server.registerTool(
    'lake_tables',
    {
      title: 'Lake tables and columns',
      description:
        'The tables of the lake (Athena database zepp_lake) and, for one table, its columns with type, unit and ' +
        'meaning, from the schema registry. Start here before writing SQL.',
      inputSchema: { table: z.enum(TABLE_NAMES).optional().describe('a table name, for its columns') },
      annotations: READ_ONLY,
    },
    async ({ table }) => text(tablesMarkdown(table)),
  );
}

function registerStatusTool(server: McpServer, ctx: LakeToolsContext): void {
  server.registerTool(
    'sync_status',
    {
      title: 'Coverage and sync status per person',
      description:
        'Per person and stream (band, workouts, stress, spo2, pai, readiness): how far the lake reaches, days ' +
        'written / empty / failed, the oldest gap, whether the stored login still works, and what to do. ' +
        'Use it to tell "no data" from "not synced".',
      inputSchema: { user_id: userArg.optional().describe('only this person') },
      annotations: READ_ONLY,
    },
    async ({ user_id }) => text(await ctx.statusText(user_id)),
  );
}

/** The workouts of [from, to] (local dates), one row each, newest last. */
export function workoutsSql(from: string, to: string, userId?: string): string {
  const person = userId === undefined ? '' : `\n  AND user_id = ${sqlText(userId)}`;
  return `SELECT user_id, local_date, trackid, workout_type_name, start_ts, tz_offset_s,
       round(duration_s / 60.0, 1) AS moving_min, round(distance_m / 1000, 2) AS distance_km,
       calories, avg_hr, max_hr, total_steps
FROM zepp_lake.workout
WHERE month BETWEEN ${sqlText(from.slice(0, 7))} AND ${sqlText(to.slice(0, 7))}
  AND local_date BETWEEN DATE ${sqlText(from)} AND DATE ${sqlText(to)}${person}
ORDER BY user_id, start_ts`;
}

function registerWorkoutsTool(server: McpServer, ctx: LakeToolsContext): void {
  server.registerTool(
    'workouts',
    {
      title: 'Workouts in a date range',
      description:
        'Every workout whose local start date is within [from, to]: type, start (UTC, with the UTC offset in ' +
        'seconds), moving minutes, km, kcal, average and maximum heart rate (bpm), steps.',
      inputSchema: {
        from: dateArg.describe('first local date, YYYY-MM-DD'),
        to: dateArg.describe('last local date, YYYY-MM-DD'),
        user_id: userArg.optional().describe('only this person'),
        max_rows: maxRowsArg(ctx.caps),
      },
      annotations: READ_ONLY,
    },
    async ({ from, to, user_id, max_rows }) =>
      checkRange(from, to) ?? answer(ctx, workoutsSql(from, to, user_id), max_rows),
  );
}

function registerSqlTool(server: McpServer, ctx: LakeToolsContext): void {
  server.registerTool(
    'sql',
    {
      title: 'Read-only SQL on the lake',
      description:
        'One SELECT or WITH statement in Athena (Trino) SQL over zepp_lake.<table> (see lake_tables); the ' +
        "functions the lake's named queries use work on both engines (date_trunc, date_diff, INTERVAL 'n' DAY, " +
        'approx_percentile, day_of_week, window functions). Nothing else runs: no second statement, no files, ' +
        `no settings, no writes. At most ${ctx.caps.maxRows} rows and ${ctx.caps.timeoutMs / 1000} s per query; ` +
        "filter on month ('YYYY-MM') to read less.",
      inputSchema: {
        sql: z.string().min(1).describe('one SELECT or WITH statement'),
        max_rows: maxRowsArg(ctx.caps),
      },
      annotations: READ_ONLY,
    },
    async ({ sql, max_rows }) => answer(ctx, sql, max_rows),
  );
}

interface NamedQueryTool {
  name: string;
  description: string;
  sql: string;
  hasUser: boolean;
  /** The first DATE column of the result: from/to filter on it. */
  dateColumn?: string;
}

/** Each athena/queries file as a tool description: its header, and the filters its result columns allow. */
export async function namedQueryTools(): Promise<NamedQueryTool[]> {
  const tools: NamedQueryTool[] = [];
  for (const file of await listNamedQueries()) {
    const text = await readNamedQuery(file);
    const headers = readNamedQueryHeaders(text);
    // The header is the tool's description; the answer shows only the SQL that runs.
    const sql = namedQueryBody(text);
    const columns = await describeQuery(sql);
    tools.push({
      name: headers.name || file,
      description: headers.description ?? '',
      sql,
      hasUser: columns.some((c) => c.name === 'user_id'),
      dateColumn: columns.find((c) => c.type === 'date')?.name,
    });
  }
  return tools;
}

function registerNamedQueryTool(server: McpServer, ctx: LakeToolsContext, query: NamedQueryTool): void {
  const filters = [query.hasUser ? 'user_id' : '', query.dateColumn ? `from / to (on ${query.dateColumn})` : ''].filter(
    Boolean,
  );
  server.registerTool(
    `query_${query.name}`,
    {
      title: `Named query ${query.name}`,
      description: `${query.description}${filters.length ? ` Optional filters: ${filters.join(', ')}.` : ''}`,
      inputSchema: {
        ...(query.hasUser ? { user_id: userArg.optional().describe('only this person') } : {}),
        ...(query.dateColumn
          ? {
              from: dateArg.optional().describe(`first ${query.dateColumn}, YYYY-MM-DD`),
              to: dateArg.optional().describe(`last ${query.dateColumn}, YYYY-MM-DD`),
            }
          : {}),
        max_rows: maxRowsArg(ctx.caps),
      },
      annotations: READ_ONLY,
    },
    async (args: { user_id?: string; from?: string; to?: string; max_rows?: number }) => {
      const refused = checkRange(args.from, args.to);
      if (refused) return refused;
      const { sql } = narrowQuery(query.sql, {
        userId: args.user_id,
        dateColumn: query.dateColumn,
        from: args.from,
        to: args.to,
        orderBy: [...(query.hasUser ? ['user_id'] : []), ...(query.dateColumn ? [query.dateColumn] : [])],
      });
      return answer(ctx, sql, args.max_rows);
    },
  );
}

/** Registers every tool on `server`. */
export async function registerLakeTools(server: McpServer, ctx: LakeToolsContext): Promise<void> {
  registerTablesTool(server);
  registerStatusTool(server, ctx);
  registerWorkoutsTool(server, ctx);
  registerSqlTool(server, ctx);
  for (const query of await namedQueryTools()) registerNamedQueryTool(server, ctx, query);
}
