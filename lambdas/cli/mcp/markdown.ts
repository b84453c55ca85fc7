// What the MCP tools answer with: compact Markdown tables an assistant can read and quote, each followed by the
// SQL that produced it, so a person can check the answer or run it again with `zepp-lake query`.

import type { SqlResult } from '../../core/read-only-sql.ts';

/** Longest cell kept whole; longer ones (arrays of a GPS track) are cut and say how long they were. */
const MAX_CELL_CHARS = 200;

function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  let text: string;
  if (typeof value === 'number') text = Number.isInteger(value) ? String(value) : String(Math.round(value * 1e6) / 1e6);
  else if (typeof value === 'string') text = value;
  else text = JSON.stringify(value);
  text = text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  if (text.length > MAX_CELL_CHARS) {
    const count = Array.isArray(value) ? `${value.length} values` : `${text.length} characters`;
    text = `${text.slice(0, MAX_CELL_CHARS)}… (${count})`;
  }
  return text;
}

const NUMERIC = /^(tinyint|smallint|integer|int|bigint|hugeint|double|float|real|decimal)(\(\d+(,\s*\d+)?\))?$/;

/** A Markdown table of the result (numbers right-aligned), or `(no rows)`. */
export function markdownTable(result: Pick<SqlResult, 'columns' | 'rows'>): string {
  if (result.rows.length === 0) return '(no rows)';
  const header = `| ${result.columns.map((c) => cellText(c.name)).join(' | ')} |`;
  const rule = `|${result.columns.map((c) => (NUMERIC.test(c.type) ? '---:' : '---')).join('|')}|`;
  const body = result.rows.map((row) => `| ${row.map(cellText).join(' | ')} |`);
  return [header, rule, ...body].join('\n');
}

function sizeText(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The table, a line on how many rows (cut or not) and where it ran, and the SQL in a fenced block. */
export function resultMarkdown(result: SqlResult, context: { sql: string; engine: string }): string {
  const n = result.rows.length;
  const rows = result.truncated
    ? `first ${n} rows only: the query returns more (add a WHERE, a LIMIT or aggregate, or ask for more with max_rows)`
    : `${n} ${n === 1 ? 'row' : 'rows'}`;
  const scanned = result.scannedBytes === undefined ? '' : `, ${sizeText(result.scannedBytes)} scanned`;
  return `${markdownTable(result)}\n\n${rows} · ${context.engine}${scanned}\n\n${sqlBlock(context.sql)}`;
}

export function sqlBlock(sql: string): string {
  return `\`\`\`sql\n${sql.trim()}\n\`\`\``;
}
