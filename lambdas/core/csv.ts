// Rows as RFC 4180 CSV (https://www.rfc-editor.org/rfc/rfc4180): a header of the table's columns in registry
// order, records ended by CRLF, a field quoted when it holds a comma, a double quote, CR or LF (quotes doubled).
// One call per row, so an export streams a table of millions of rows without holding it.
//
// Cells: null (or a missing column) is an empty field; an empty string is `""`, so the two stay apart; timestamps
// are ISO-8601 UTC ending in Z (epoch-ms numbers or Dates are converted, strings are passed as they are); dates
// YYYY-MM-DD; numbers as JavaScript prints them; booleans true/false.
//
// Spreadsheet formula injection (OWASP "CSV injection"): a cell starting with = + - @ TAB or CR is run as a formula
// when the file is opened in Excel, LibreOffice or Google Sheets, and lake strings come from the vendor and from
// people (workout names, error texts). By default such a string cell gets a leading `'`, as OWASP advises; a string
// cell that is a plain number (`-5`, `+1.5e3`) cannot be a formula and is left as it is, and numeric columns are
// never touched (`tz_offset_s = -21600` stays a number). `rawCells: true` (the CLI's `--raw-cells`) writes every
// cell exactly, for readers that never evaluate cells (DuckDB, pandas, R).

import type { ColumnType } from './schema-registry.ts';

export interface CsvColumn {
  readonly name: string;
  readonly type: ColumnType;
}

export interface CsvOptions {
  /** Write string cells exactly, even those a spreadsheet would run as a formula; default false (they get a `'`). */
  rawCells?: boolean;
}

export const CSV_LINE_END = '\r\n';

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A string cell a spreadsheet would evaluate: it starts with a formula character and is not just a number. */
export function isFormulaLike(text: string): boolean {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text);
}

/** One field as RFC 4180 text: quoted (quotes doubled) when it holds a comma, quote, CR or LF. */
export function csvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function timestampText(value: unknown): string {
  if (typeof value === 'number') return new Date(value).toISOString();
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

function dateText(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'number') return new Date(value).toISOString().slice(0, 10);
  return String(value);
}

/** One cell as CSV field text. */
export function csvCell(column: CsvColumn, value: unknown, opts: CsvOptions = {}): string {
  if (value === null || value === undefined) return '';
  let text: string;
  switch (column.type) {
    case 'timestamp':
      text = timestampText(value);
      break;
    case 'date':
      text = dateText(value);
      break;
    case 'string':
      text = String(value);
      if (text === '') return '""';
      if (!opts.rawCells && isFormulaLike(text)) text = `'${text}`;
      break;
    default:
      text = typeof value === 'bigint' ? value.toString() : String(value);
  }
  return csvField(text);
}

/** The header record, CRLF included. */
export function csvHeader(columns: readonly CsvColumn[]): string {
  return columns.map((c) => csvField(c.name)).join(',') + CSV_LINE_END;
}

/** One record, CRLF included; columns the row lacks are empty. */
export function csvRecord(
  columns: readonly CsvColumn[],
  row: Readonly<Record<string, unknown>>,
  opts: CsvOptions = {},
): string {
  return columns.map((c) => csvCell(c, row[c.name], opts)).join(',') + CSV_LINE_END;
}

/** A writer bound to a table's columns: `header()` once, then `record(row)` per row. */
export function csvWriter(
  columns: readonly CsvColumn[],
  opts: CsvOptions = {},
): { header(): string; record(row: Readonly<Record<string, unknown>>): string } {
  return {
    header: () => csvHeader(columns),
    record: (row) => csvRecord(columns, row, opts),
  };
}
