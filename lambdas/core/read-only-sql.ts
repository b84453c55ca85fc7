// What a read-only query over the lake may be, and what it gives back: the part of the check that needs no
// database. A query is one statement whose first keyword is SELECT or WITH; everything else (COPY, ATTACH,
// INSTALL, LOAD, SET, PRAGMA, CREATE, INSERT, a DuckDB `FROM x` shorthand...) is refused before any engine sees
// it. The engines then check the rest (one statement, of the SELECT type; no file outside the lake).

/** A query the read-only SQL tool will not run; the message says why and what is allowed. */
export class SqlRefusedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqlRefusedError';
  }
}

/** A query that ran longer than its time cap and was stopped. */
export class SqlTimeoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqlTimeoutError';
  }
}

/** A query the engine accepted to check but could not run (a typo, an unknown column, a failed Athena query). */
export class SqlQueryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqlQueryError';
  }
}

export interface SqlCaps {
  /** At most this many rows come back; `truncated` says when there were more. */
  maxRows: number;
  /** The query is stopped after this long. */
  timeoutMs: number;
}

export interface SqlColumn {
  name: string;
  /** The engine's type name, lower case (`integer`, `double`, `date`, `varchar`, ...). */
  type: string;
}

export interface SqlResult {
  columns: SqlColumn[];
  /** Plain JSON values: numbers, strings (dates YYYY-MM-DD, timestamps ISO-8601), booleans, null, arrays. */
  rows: unknown[][];
  /** The query had more rows than `maxRows`. */
  truncated: boolean;
  /** Athena's bytes scanned (what it bills), when the engine reports it. */
  scannedBytes?: number;
}

const ALLOWED_FIRST_KEYWORDS = new Set(['select', 'with']);

/** The first keyword of `sql` after whitespace, comments and opening parentheses (lower case), or null. */
export function leadingKeyword(sql: string): string | null {
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    if (/\s/.test(ch) || ch === '(') {
      i++;
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else {
      const word = /^[A-Za-z_]+/.exec(sql.slice(i))?.[0];
      return word ? word.toLowerCase() : null;
    }
  }
  return null;
}

/** Refuses (SqlRefusedError) unless `sql` starts with SELECT or WITH; returns it without a trailing `;`. */
export function requireSelectOrWith(sql: string): string {
  const keyword = leadingKeyword(sql);
  if (keyword === null) throw new SqlRefusedError('refused: the SQL is empty; give one SELECT or WITH statement');
  if (!ALLOWED_FIRST_KEYWORDS.has(keyword)) {
    throw new SqlRefusedError(
      `refused: ${withArticle(keyword.toUpperCase())} statement is not allowed; this tool only reads the lake, ` +
        'with one SELECT or WITH statement',
    );
  }
  return sql.trim().replace(/;$/, '').trimEnd();
}

/** `SELECT * FROM (<sql>) AS q WHERE ...`: a named query narrowed to a person and a date range. */
export function narrowQuery(
  sql: string,
  filters: { userId?: string; dateColumn?: string; from?: string; to?: string; orderBy: readonly string[] },
): { sql: string; narrowed: boolean } {
  const where: string[] = [];
  if (filters.userId !== undefined) where.push(`q.user_id = ${sqlText(filters.userId)}`);
  if (filters.dateColumn && filters.from) where.push(`q.${filters.dateColumn} >= DATE ${sqlText(filters.from)}`);
  if (filters.dateColumn && filters.to) where.push(`q.${filters.dateColumn} <= DATE ${sqlText(filters.to)}`);
  if (where.length === 0) return { sql, narrowed: false };
  // Athena ignores ORDER BY inside a subquery, so the order is given again outside.
  const order = filters.orderBy.length ? `\nORDER BY ${filters.orderBy.map((c) => `q.${c}`).join(', ')}` : '';
  return {
    sql: `SELECT *\nFROM (\n${sql.trim().replace(/;\s*$/, '')}\n) AS q\nWHERE ${where.join('\n  AND ')}${order}`,
    narrowed: true,
  };
}

/** A SQL string literal (quotes doubled). */
export function sqlText(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** "a COPY", "an INSERT": the statement kind with its article, for refusals. */
export function withArticle(word: string): string {
  return `${/^[AEIOU]/i.test(word) ? 'an' : 'a'} ${word}`;
}
