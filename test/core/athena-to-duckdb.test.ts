import { describe, expect, it } from 'vitest';
import { rewriteAthenaSql } from '../../lambdas/core/athena-to-duckdb.ts';

describe('rewriteAthenaSql', () => {
  it('renames the Trino functions DuckDB knows under another name', () => {
    expect(rewriteAthenaSql('SELECT approx_percentile(hr, 0.05) FROM t')).toBe(
      'SELECT approx_quantile(hr, 0.05) FROM t',
    );
    expect(rewriteAthenaSql("SELECT array_join(array_agg(x ORDER BY x), ',')")).toBe(
      "SELECT array_to_string(array_agg(x ORDER BY x), ',')",
    );
    expect(rewriteAthenaSql("UNNEST(sequence(a, b, INTERVAL '1' DAY))")).toBe(
      "UNNEST(generate_series(a, b, INTERVAL '1' DAY))",
    );
    expect(rewriteAthenaSql('SELECT DAY_OF_WEEK (d), day_of_year(d), year_of_week(d)')).toBe(
      'SELECT isodow (d), dayofyear(d), isoyear(d)',
    );
  });

  it('leaves string literals, quoted identifiers, comments and look-alike names alone', () => {
    const sql = [
      '-- uses approx_percentile(x) on purpose',
      'SELECT \'approx_percentile(\' AS s, "sequence"(1) AS q, my_sequence(1), t.sequence(2), sequence_no',
      "/* array_join(a) */ FROM t WHERE c = 'it''s sequence(1)'",
    ].join('\n');
    expect(rewriteAthenaSql(sql)).toBe(sql);
  });

  it('returns SQL without those functions unchanged', () => {
    const sql = "SELECT CAST(date_trunc('week', local_date) AS date), date_diff('second', a, b) FROM zepp_lake.pai";
    expect(rewriteAthenaSql(sql)).toBe(sql);
  });
});
