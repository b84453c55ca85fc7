// Rows as the CLI prints them: `"table"` first, then the table's columns, timestamps as ISO-8601 UTC.

import { type Row, type TableName, tableDef } from './schema-registry.ts';

/** A row for JSON output: epoch-ms timestamp columns become `...Z` strings; dates stay `YYYY-MM-DD`. */
export function formatRowForJson(table: TableName, row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = { table };
  const def = tableDef(table);
  const known = new Set<string>();
  for (const column of def.columns) {
    known.add(column.name);
    if (!(column.name in row)) continue;
    const value = row[column.name];
    out[column.name] = column.type === 'timestamp' && typeof value === 'number' ? new Date(value).toISOString() : value;
  }
  // Columns the registry does not know (none today) are kept as they are rather than dropped.
  for (const [key, value] of Object.entries(row)) if (!known.has(key) && key !== 'table') out[key] = value;
  return out;
}
