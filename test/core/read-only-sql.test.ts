// The database-free part of the read-only SQL check: the first keyword decides, whatever comments, blanks and
// parentheses come before it; a named query narrowed to a person and dates stays one SELECT.

import { describe, expect, it } from 'vitest';
import { leadingKeyword, narrowQuery, requireSelectOrWith, SqlRefusedError } from '../../lambdas/core/read-only-sql.ts';

describe('leadingKeyword', () => {
  it.each([
    ['SELECT 1', 'select'],
    ['  with x as (select 1) select * from x', 'with'],
    ['-- a comment\n/* another\n one */ ((SELECT 1))', 'select'],
    ['/* unclosed', null],
    ['', null],
    ['  \n ', null],
    ['COPY (SELECT 1) TO x', 'copy'],
    ['/* SELECT */ ATTACH x', 'attach'],
    ['-- SELECT\nINSTALL httpfs', 'install'],
    ['FROM zepp_lake.workout', 'from'],
    ['123', null],
  ])('%j -> %j', (sql, keyword) => {
    expect(leadingKeyword(sql)).toBe(keyword);
  });
});

describe('requireSelectOrWith', () => {
  it('passes SELECT and WITH, without one trailing semicolon', () => {
    expect(requireSelectOrWith('SELECT 1;')).toBe('SELECT 1');
    expect(requireSelectOrWith('WITH x AS (SELECT 1) SELECT * FROM x ;  \n')).toBe(
      'WITH x AS (SELECT 1) SELECT * FROM x',
    );
  });

  it.each([
    ["COPY (SELECT 1) TO '/tmp/x.csv'", 'refused: a COPY statement is not allowed'],
    ["ATTACH '/tmp/x.db'", 'refused: an ATTACH statement is not allowed'],
    ['INSTALL httpfs', 'refused: an INSTALL statement is not allowed'],
    ['LOAD httpfs', 'refused: a LOAD statement is not allowed'],
    ['SET enable_external_access = true', 'refused: a SET statement is not allowed'],
    ['PRAGMA version', 'refused: a PRAGMA statement is not allowed'],
    ['-- SELECT\nDROP TABLE x', 'refused: a DROP statement is not allowed'],
    ['FROM zepp_lake.workout', 'refused: a FROM statement is not allowed'],
    ['  ', 'refused: the SQL is empty'],
  ])('refuses %j', (sql, message) => {
    expect(() => requireSelectOrWith(sql)).toThrow(SqlRefusedError);
    expect(() => requireSelectOrWith(sql)).toThrow(message);
  });
});

describe('narrowQuery', () => {
  const named = 'WITH a AS (SELECT 1 AS x)\nSELECT * FROM a\nORDER BY x;';

  it('leaves a query without filters as it is', () => {
    expect(narrowQuery(named, { orderBy: ['user_id'] })).toEqual({ sql: named, narrowed: false });
  });

  it('wraps the query and filters on the person and the date column, and orders again outside', () => {
    const { sql, narrowed } = narrowQuery(named, {
      userId: "o'brien",
      dateColumn: 'night_of',
      from: '2026-10-01',
      to: '2026-10-31',
      orderBy: ['user_id', 'night_of'],
    });
    expect(narrowed).toBe(true);
    expect(sql).toBe(
      "SELECT *\nFROM (\nWITH a AS (SELECT 1 AS x)\nSELECT * FROM a\nORDER BY x\n) AS q\nWHERE q.user_id = 'o''brien'\n" +
        "  AND q.night_of >= DATE '2026-10-01'\n  AND q.night_of <= DATE '2026-10-31'\nORDER BY q.user_id, q.night_of",
    );
  });

  it('ignores dates when the query has no date column', () => {
    const { sql } = narrowQuery(named, { userId: 'u1', from: '2026-10-01', orderBy: ['user_id'] });
    expect(sql).not.toContain('DATE');
    expect(sql).toContain("WHERE q.user_id = 'u1'\nORDER BY q.user_id");
  });
});
