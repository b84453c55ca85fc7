// CSV of lake rows: RFC 4180 quoting, header in registry order, null vs empty string, ISO timestamps and dates,
// the spreadsheet formula guard (on by default, `rawCells` turns it off), and a property: any rows survive CSV and a strict RFC 4180 parser.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CsvColumn, csvCell, csvField, csvHeader, csvRecord, csvWriter } from '../../lambdas/core/csv.ts';
import { TABLES } from '../../lambdas/core/schema-registry.ts';
import { type ParsedField, parseCsv } from '../support/csv-parse.ts';

const COLUMNS: CsvColumn[] = [
  { name: 'user_id', type: 'string' },
  { name: 'ts', type: 'timestamp' },
  { name: 'local_date', type: 'date' },
  { name: 'n', type: 'int' },
  { name: 'big', type: 'bigint' },
  { name: 'x', type: 'double' },
  { name: 'ok', type: 'boolean' },
  { name: 'note', type: 'string' },
];

describe('csvField', () => {
  it('quotes fields with a comma, quote, CR or LF and doubles the quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(' spaces kept ')).toBe(' spaces kept ');
  });
});

describe('csvCell', () => {
  it('writes null as an empty field and an empty string as ""', () => {
    expect(csvCell({ name: 'a', type: 'string' }, null)).toBe('');
    expect(csvCell({ name: 'a', type: 'int' }, undefined)).toBe('');
    expect(csvCell({ name: 'a', type: 'string' }, '')).toBe('""');
  });

  it('writes timestamps as ISO-8601 UTC with Z and dates as YYYY-MM-DD', () => {
    const ts = Date.parse('2026-11-20T18:00:00.250Z');
    expect(csvCell({ name: 'ts', type: 'timestamp' }, ts)).toBe('2026-11-20T18:00:00.250Z');
    expect(csvCell({ name: 'ts', type: 'timestamp' }, new Date(ts))).toBe('2026-11-20T18:00:00.250Z');
    expect(csvCell({ name: 'd', type: 'date' }, '2026-11-20')).toBe('2026-11-20');
    expect(csvCell({ name: 'd', type: 'date' }, new Date(ts))).toBe('2026-11-20');
  });

  it('writes numbers and booleans as they are: negative numbers untouched by the formula guard', () => {
    expect(csvCell({ name: 'tz', type: 'int' }, -21600)).toBe('-21600');
    expect(csvCell({ name: 'x', type: 'double' }, -0.5)).toBe('-0.5');
    expect(csvCell({ name: 'x', type: 'double' }, 0.1)).toBe('0.1');
    expect(csvCell({ name: 'b', type: 'bigint' }, -12345678901234567890n)).toBe('-12345678901234567890');
    expect(csvCell({ name: 'ok', type: 'boolean' }, false)).toBe('false');
  });

  it('prefixes a quote by default to text a spreadsheet would run as a formula (OWASP CSV injection)', () => {
    const s = { name: 'note', type: 'string' } as const;
    for (const text of ['=1+1', '+cmd|" /C calc"!A0', '-2+3', '@SUM(A1)', '\tx', '\rx', '=HYPERLINK("http://x")']) {
      expect(parseCsv(`${csvCell(s, text)}\r\n`)[0]?.[0]?.text, JSON.stringify(text)).toBe(`'${text}`);
    }
    expect(csvCell(s, '=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvRecord(COLUMNS, { user_id: '@u', n: -3, note: '=cmd' })).toBe("'@u,,,-3,,,,'=cmd\r\n");
  });

  it('leaves text that is only a number, or has a formula character later, as it is', () => {
    const s = { name: 'note', type: 'string' } as const;
    for (const text of ['-2', '+1.5', '-0.25e3', '-.5', 'a=b', 'x-1', ' =not first', '']) {
      const field = csvCell(s, text);
      expect(text === '' ? field : parseCsv(`${field}\r\n`)[0]?.[0]?.text, JSON.stringify(text)).toBe(
        text === '' ? '""' : text,
      );
    }
  });

  it('writes formula-like text exactly with rawCells, for readers that never evaluate cells', () => {
    const s = { name: 'note', type: 'string' } as const;
    for (const text of ['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
      expect(parseCsv(`${csvCell(s, text, { rawCells: true })}\r\n`)[0]?.[0]?.text).toBe(text);
    }
    expect(csvWriter(COLUMNS, { rawCells: true }).record({ note: '=cmd' })).toBe(',,,,,,,=cmd\r\n');
    expect(csvWriter(COLUMNS).record({ note: '=cmd' })).toBe(",,,,,,,'=cmd\r\n");
  });
});

describe('csvHeader and csvRecord', () => {
  it("writes a table's columns in registry order, records ended by CRLF", () => {
    const def = TABLES.workout_sample;
    const header = csvHeader(def.columns);
    expect(header).toBe(`${def.columns.map((c) => c.name).join(',')}\r\n`);
    expect(header.startsWith('user_id,local_date,tz_offset_s,trackid,ts,lat,lon,altitude_m,heart_rate')).toBe(true);
  });

  it('leaves columns the row lacks empty and ignores keys the table does not have', () => {
    const line = csvRecord(COLUMNS, { user_id: 'u1', n: 3, extra: 'dropped' });
    expect(line).toBe('u1,,,3,,,,\r\n');
  });

  it('writes a header and rows that parse back field by field', () => {
    const w = csvWriter(COLUMNS);
    const text =
      w.header() +
      w.record({
        user_id: 'u,1',
        ts: 0,
        local_date: '1970-01-01',
        n: -5,
        big: 2 ** 53 - 1,
        x: 1.5e-7,
        ok: true,
        note: 'multi\r\nline "quoted"',
      });
    const [header, row] = parseCsv(text);
    expect(header?.map((f) => f.text)).toEqual(COLUMNS.map((c) => c.name));
    expect(row?.map((f) => f.text)).toEqual([
      'u,1',
      '1970-01-01T00:00:00.000Z',
      '1970-01-01',
      '-5',
      String(2 ** 53 - 1),
      '1.5e-7',
      'true',
      'multi\r\nline "quoted"',
    ]);
  });
});

describe('round trip (property)', () => {
  const text = fc.oneof(
    fc.string(),
    fc.string({ unit: fc.constantFrom('a', ',', '"', '\r', '\n', ' ', '=', '-', "'", 'é', '\u{1F3C3}') }),
  );
  const row = fc.record({
    user_id: fc.option(text, { nil: null }),
    ts: fc.option(fc.integer({ min: 0, max: 4_102_444_800_000 }), { nil: null }),
    local_date: fc.option(
      fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms).toISOString().slice(0, 10)),
      { nil: null },
    ),
    n: fc.option(fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), { nil: null }),
    big: fc.option(fc.maxSafeInteger(), { nil: null }),
    x: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
    ok: fc.option(fc.boolean(), { nil: null }),
    note: fc.option(text, { nil: null }),
  });

  /** The parsed field back as a value of its column's type. */
  function cellValue(column: CsvColumn, f: ParsedField): unknown {
    if (f.text === '' && !f.quoted) return null;
    switch (column.type) {
      case 'timestamp':
        return Date.parse(f.text);
      case 'int':
      case 'bigint':
      case 'double':
        return Number(f.text);
      case 'boolean':
        return f.text === 'true';
      default:
        return f.text;
    }
  }

  it('any rows come back from raw-cell CSV with the same values, nulls and empty strings apart', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), (rows) => {
        const w = csvWriter(COLUMNS, { rawCells: true });
        const parsed = parseCsv(w.header() + rows.map((r) => w.record(r)).join(''));
        expect(parsed).toHaveLength(rows.length + 1);
        const back = parsed
          .slice(1)
          .map((fields) => Object.fromEntries(COLUMNS.map((c, i) => [c.name, cellValue(c, fields[i] as ParsedField)])));
        // -0 prints as 0: compare numbers by value.
        expect(back).toEqual(rows.map((r) => ({ ...r, x: Object.is(r.x, -0) ? 0 : r.x })));
      }),
      { numRuns: 300 },
    );
  });

  it('by default, no text cell reaches a spreadsheet starting with = + - @ TAB or CR unless it is a number', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), (rows) => {
        const w = csvWriter(COLUMNS);
        const parsed = parseCsv(w.header() + rows.map((r) => w.record(r)).join('')).slice(1);
        parsed.forEach((fields, i) => {
          for (const name of ['user_id', 'note'] as const) {
            const original = rows[i]?.[name];
            const cell = fields[COLUMNS.findIndex((c) => c.name === name)] as ParsedField;
            if (original === null || original === undefined) continue;
            expect([original, `'${original}`]).toContain(cell.text);
            if (/^[=+\-@\t\r]/.test(cell.text)) expect(Number.isFinite(Number(cell.text)), cell.text).toBe(true);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});
