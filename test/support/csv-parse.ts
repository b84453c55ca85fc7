// A strict RFC 4180 CSV reader for tests, so CSV output is checked by code other than the code that wrote it.

/** A field as parsed: its text, and whether it was quoted (an unquoted empty field is a null). */
export interface ParsedField {
  text: string;
  quoted: boolean;
}

/**
 * A strict RFC 4180 parser (records end with CRLF; a quoted field may hold commas, CR, LF and doubled quotes;
 * anything else is an error), written here so the test does not trust the code it tests.
 */
export function parseCsv(text: string): ParsedField[][] {
  const records: ParsedField[][] = [];
  let record: ParsedField[] = [];
  let i = 0;
  const fail = (why: string) => {
    throw new Error(`bad CSV at ${i}: ${why}`);
  };
  while (i < text.length) {
    let field: ParsedField;
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else value += text[i++];
      }
      field = { text: value, quoted: true };
    } else {
      let value = '';
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') fail('quote inside an unquoted field');
        value += text[i++];
      }
      field = { text: value, quoted: false };
    }
    record.push(field);
    if (text[i] === ',') i++;
    else if (text.startsWith('\r\n', i)) {
      i += 2;
      records.push(record);
      record = [];
    } else fail(`expected , or CRLF, got ${JSON.stringify(text[i])}`);
  }
  if (record.length) fail('last record without CRLF');
  return records;
}
