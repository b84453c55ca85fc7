// The one rewriting step between the project's Athena (Trino) SQL and DuckDB. The named queries keep to a
// common subset of both dialects (CAST, CASE, date_trunc, date_diff, INTERVAL 'n' DAY, window functions,
// CROSS JOIN UNNEST ... AS t (x), array_agg(... ORDER BY ...)), so only functions that exist under another name
// in DuckDB are renamed here. Each rule is a plain rename of a function call; string literals, quoted
// identifiers and comments are never touched.
//
// Rules (Trino -> DuckDB):
//   approx_percentile(x, p)      -> approx_quantile(x, p)      same arguments; both are approximate (t-digest /
//                                                               q-digest), so compare results with a tolerance.
//   array_join(array, sep)       -> array_to_string(array, sep)
//   sequence(start, stop, step)  -> generate_series(start, stop, step)  both inclusive; on dates DuckDB gives
//                                                               timestamps, so CAST the elements to date.
//   day_of_week(x)               -> isodow(x)                  both ISO: Monday 1 .. Sunday 7.
//   day_of_year(x)               -> dayofyear(x)
//   year_of_week(x)              -> isoyear(x)
//
// Not rewritten, so not to be used in athena/queries: date_format/format_datetime (format strings differ; use
// CAST(... AS varchar) and substr), from_unixtime (DuckDB gives TIMESTAMPTZ), date_add (argument order differs;
// use `+ INTERVAL 'n' DAY`), and Trino lambdas.

const FUNCTION_RENAMES: Readonly<Record<string, string>> = {
  approx_percentile: 'approx_quantile',
  array_join: 'array_to_string',
  sequence: 'generate_series',
  day_of_week: 'isodow',
  day_of_year: 'dayofyear',
  year_of_week: 'isoyear',
};

const CALL = new RegExp(`(?<![\\w."])(${Object.keys(FUNCTION_RENAMES).join('|')})(\\s*\\()`, 'gi');

function renameCalls(code: string): string {
  return code.replace(CALL, (_match, name: string, paren: string) => {
    return `${FUNCTION_RENAMES[name.toLowerCase()] ?? name}${paren}`;
  });
}

/** Splits SQL into code and verbatim parts (string literals, quoted identifiers, comments). */
function segments(sql: string): { text: string; code: boolean }[] {
  const parts: { text: string; code: boolean }[] = [];
  let code = '';
  let i = 0;
  const flush = () => {
    if (code) parts.push({ text: code, code: true });
    code = '';
  };
  while (i < sql.length) {
    const ch = sql[i] as string;
    const next = sql[i + 1];
    let end = -1;
    if (ch === "'" || ch === '"') {
      // Quotes are escaped by doubling in both dialects.
      end = i + 1;
      for (;;) {
        const at = sql.indexOf(ch, end);
        if (at < 0) {
          end = sql.length;
          break;
        }
        if (sql[at + 1] === ch) {
          end = at + 2;
          continue;
        }
        end = at + 1;
        break;
      }
    } else if (ch === '-' && next === '-') {
      const at = sql.indexOf('\n', i);
      end = at < 0 ? sql.length : at;
    } else if (ch === '/' && next === '*') {
      const at = sql.indexOf('*/', i + 2);
      end = at < 0 ? sql.length : at + 2;
    }
    if (end < 0) {
      code += ch;
      i++;
      continue;
    }
    flush();
    parts.push({ text: sql.slice(i, end), code: false });
    i = end;
  }
  flush();
  return parts;
}

/** Athena (Trino) SQL -> DuckDB SQL, by the function renames documented above. */
export function rewriteAthenaSql(sql: string): string {
  return segments(sql)
    .map((part) => (part.code ? renameCalls(part.text) : part.text))
    .join('');
}
