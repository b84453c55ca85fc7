// The Parquet writer/reader of the lake: registry rows <-> Parquet bytes through apache-arrow + parquet-wasm
// (arrow-rs). Settings follow /work/shared/reference/parquet-writers.md: ZSTD, v1 data pages, dictionary on every
// column except timestamps (a timestamp dictionary only bloats the file), row groups of at most 131 072 rows,
// timestamps as INT64 TIMESTAMP(MILLIS, isAdjustedToUTC=true), dates as INT32 DATE.
//
// The Arrow table is built from typed arrays with makeData (the fast path): vectorFromArray is ~5x slower and
// needs far more memory for a year of minutes.
//
// Nothing time-dependent is written: the footer holds the arrow-rs `created_by` ("parquet-rs version X") and the
// Arrow schema, so the same rows always give the same bytes (S3 ETags stay stable; re-runs are no-ops).

import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import type { ColumnDef, ColumnType, Row, TableName } from '../core/schema-registry.ts';
import { tableDef } from '../core/schema-registry.ts';

/** The largest row group; a user-month of minute rows (~44 640) always fits in one. */
export const MAX_ROW_GROUP_ROWS = 131_072;

const DAY_MS = 86_400_000;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** Where a row cannot be written: the table, the column and the row index. */
export interface ParquetRowPlace {
  table: string;
  column: string;
  rowIndex: number;
}

/** A row that cannot be written: names the table, the column and the row index. */
export class ParquetRowError extends Error {
  readonly table: string;
  readonly column: string;
  readonly rowIndex: number;

  constructor(place: ParquetRowPlace, message: string, options?: { cause?: unknown }) {
    super(`${place.table}.${place.column} row ${place.rowIndex}: ${message}`, options);
    this.name = 'ParquetRowError';
    this.table = place.table;
    this.column = place.column;
    this.rowIndex = place.rowIndex;
  }
}

function arrowTypeOf(type: ColumnType): arrow.DataType {
  switch (type) {
    case 'string':
      return new arrow.Utf8();
    case 'int':
      return new arrow.Int32();
    case 'bigint':
      return new arrow.Int64();
    case 'double':
      return new arrow.Float64();
    case 'timestamp':
      return new arrow.TimestampMillisecond('UTC');
    case 'date':
      return new arrow.DateDay();
    case 'boolean':
      return new arrow.Bool();
  }
}

const textEncoder = new TextEncoder();
const dateDayCache = new Map<string, number>();

/** 'YYYY-MM-DD' -> days since 1970-01-01, or undefined when it is not a valid date. */
function daysOfDate(value: string): number | undefined {
  const cached = dateDayCache.get(value);
  if (cached !== undefined) return cached;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return undefined;
  const days = ms / DAY_MS;
  if (dateDayCache.size > 100_000) dateDayCache.clear();
  dateDayCache.set(value, days);
  return days;
}

/**
 * The cells of one column, read in row order: `at(i)` checks nullability and marks the validity bitmap, `fail`
 * names the row, `nulls()` (called after every cell is read) gives a column without nulls no bitmap at all.
 */
class ColumnCells {
  readonly n: number;
  private readonly validity: Uint8Array;
  private nullCount = 0;

  constructor(
    private readonly table: string,
    private readonly column: ColumnDef,
    private readonly rows: readonly Row[],
  ) {
    this.n = rows.length;
    this.validity = new Uint8Array((this.n + 7) >> 3);
  }

  fail(i: number, message: string): never {
    throw new ParquetRowError({ table: this.table, column: this.column.name, rowIndex: i }, message);
  }

  at(i: number): unknown {
    const value = (this.rows[i] as Row)[this.column.name];
    if (value === null || value === undefined) {
      if (!this.column.nullable) this.fail(i, 'null in a non-nullable column');
      this.nullCount++;
      return null;
    }
    this.validity[i >> 3] = (this.validity[i >> 3] as number) | (1 << (i & 7));
    return value;
  }

  nulls(): { nullBitmap?: Uint8Array; nullCount: number } {
    return this.nullCount > 0 ? { nullBitmap: this.validity, nullCount: this.nullCount } : { nullCount: 0 };
  }
}

function int32Column(cells: ColumnCells): arrow.Data {
  const data = new Int32Array(cells.n);
  for (let i = 0; i < cells.n; i++) {
    const v = cells.at(i);
    if (v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
      cells.fail(i, `not a 32-bit integer: ${String(v)}`);
    }
    data[i] = v as number;
  }
  return arrow.makeData({ type: new arrow.Int32(), length: cells.n, data, ...cells.nulls() });
}

function int64Column(cells: ColumnCells, type: arrow.Int64 | arrow.TimestampMillisecond): arrow.Data {
  const data = new BigInt64Array(cells.n);
  for (let i = 0; i < cells.n; i++) {
    const v = cells.at(i);
    if (v === null) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) cells.fail(i, `not a safe integer: ${String(v)}`);
    data[i] = BigInt(v as number);
  }
  return type instanceof arrow.Timestamp
    ? arrow.makeData({ type, length: cells.n, data, ...cells.nulls() })
    : arrow.makeData({ type, length: cells.n, data, ...cells.nulls() });
}

function float64Column(cells: ColumnCells): arrow.Data {
  const data = new Float64Array(cells.n);
  for (let i = 0; i < cells.n; i++) {
    const v = cells.at(i);
    if (v === null) continue;
    if (typeof v !== 'number') cells.fail(i, `not a number: ${String(v)}`);
    data[i] = v as number;
  }
  return arrow.makeData({ type: new arrow.Float64(), length: cells.n, data, ...cells.nulls() });
}

function dateColumn(cells: ColumnCells): arrow.Data {
  const data = new Int32Array(cells.n);
  for (let i = 0; i < cells.n; i++) {
    const v = cells.at(i);
    if (v === null) continue;
    const days = typeof v === 'string' ? daysOfDate(v) : undefined;
    if (days === undefined) cells.fail(i, `not a YYYY-MM-DD date: ${String(v)}`);
    data[i] = days as number;
  }
  return arrow.makeData({ type: new arrow.DateDay(), length: cells.n, data, ...cells.nulls() });
}

function boolColumn(cells: ColumnCells): arrow.Data {
  const data = new Uint8Array((cells.n + 7) >> 3);
  for (let i = 0; i < cells.n; i++) {
    const v = cells.at(i);
    if (v === null) continue;
    if (typeof v !== 'boolean') cells.fail(i, `not a boolean: ${String(v)}`);
    if (v) data[i >> 3] = (data[i >> 3] as number) | (1 << (i & 7));
  }
  return arrow.makeData({ type: new arrow.Bool(), length: cells.n, data, ...cells.nulls() });
}

/** Offsets + one byte buffer; repeated values (user ids, devices, sources) are encoded once. */
function utf8Column(cells: ColumnCells): arrow.Data {
  const n = cells.n;
  const offsets = new Int32Array(n + 1);
  const encoded: (Uint8Array | undefined)[] = new Array(n);
  const cache = new Map<string, Uint8Array>();
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = cells.at(i);
    if (v !== null) {
      if (typeof v !== 'string') cells.fail(i, `not a string: ${String(v)}`);
      let bytes = cache.get(v as string);
      if (!bytes) {
        bytes = textEncoder.encode(v as string);
        cache.set(v as string, bytes);
      }
      encoded[i] = bytes;
      total += bytes.length;
    }
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    const bytes = encoded[i];
    if (bytes) data.set(bytes, offsets[i] as number);
  }
  return arrow.makeData({ type: new arrow.Utf8(), length: n, valueOffsets: offsets, data, ...cells.nulls() });
}

/** One column of the table as Arrow Data, built straight from typed arrays. */
function buildColumn(table: string, column: ColumnDef, rows: readonly Row[]): arrow.Data {
  const cells = new ColumnCells(table, column, rows);
  switch (column.type) {
    case 'int':
      return int32Column(cells);
    case 'bigint':
      return int64Column(cells, new arrow.Int64());
    case 'timestamp':
      return int64Column(cells, new arrow.TimestampMillisecond('UTC'));
    case 'double':
      return float64Column(cells);
    case 'date':
      return dateColumn(cells);
    case 'boolean':
      return boolColumn(cells);
    case 'string':
      return utf8Column(cells);
  }
}

function writerProperties(columns: readonly ColumnDef[]): pw.WriterProperties {
  let builder = new pw.WriterPropertiesBuilder()
    .setWriterVersion(pw.WriterVersion.V1)
    .setCompression(pw.Compression.ZSTD)
    .setDictionaryEnabled(true)
    .setStatisticsEnabled(pw.EnabledStatistics.Page)
    .setMaxRowGroupSize(MAX_ROW_GROUP_ROWS);
  for (const column of columns) {
    if (column.type === 'timestamp') builder = builder.setColumnDictionaryEnabled(column.name, false);
  }
  return builder.build();
}

/**
 * Encodes rows of a registry table as Parquet. Rows must already be sorted by the caller (natural key order
 * makes min/max statistics selective). Columns and types come from the registry; extra row fields are ignored.
 * Throws ParquetRowError naming table/column/row for a null in a non-nullable column or a value of the wrong type.
 */
export function writeParquet(table: TableName, rows: readonly Row[]): Uint8Array {
  const def = tableDef(table);
  const fields = def.columns.map((c) => new arrow.Field(c.name, arrowTypeOf(c.type), c.nullable));
  const children = def.columns.map((c) => buildColumn(def.name, c, rows));
  const schema = new arrow.Schema(fields);
  const struct = arrow.makeData({ type: new arrow.Struct(fields), length: rows.length, nullCount: 0, children });
  const arrowTable = new arrow.Table(schema, new arrow.RecordBatch(schema, struct));
  const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(arrowTable, 'stream'));
  return pw.writeParquet(wasmTable, writerProperties(def.columns));
}

function isValidAt(data: arrow.Data, i: number): boolean {
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return true;
  const bit = data.offset + i;
  return ((bitmap[bit >> 3] as number) & (1 << (bit & 7))) !== 0;
}

const dateStringCache = new Map<number, string>();

function dateOfDays(days: number): string {
  let text = dateStringCache.get(days);
  if (text === undefined) {
    text = new Date(days * DAY_MS).toISOString().slice(0, 10);
    if (dateStringCache.size > 100_000) dateStringCache.clear();
    dateStringCache.set(days, text);
  }
  return text;
}

/** Converts one Arrow value (as `Vector.get` returns it) to the engine cell of the registry column. */
function cellOf(column: ColumnDef, value: unknown): Row[string] {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'string':
      return String(value);
    case 'boolean':
      return Boolean(value);
    case 'date': {
      // arrow-js returns Date32/Date64 as epoch milliseconds.
      const ms = value instanceof Date ? value.getTime() : Number(value);
      return new Date(ms).toISOString().slice(0, 10);
    }
    default:
      // int, bigint, double, timestamp (arrow-js returns timestamps of every unit as epoch milliseconds).
      return typeof value === 'bigint' ? Number(value) : value instanceof Date ? value.getTime() : Number(value);
  }
}

const textDecoder = new TextDecoder();

/** Utf8 without a decode per row: sorted lake data has long runs of one value (user, device, source). */
function readUtf8(name: string, data: arrow.Data<arrow.Utf8>, rows: Row[], base: number): void {
  const offsets = data.valueOffsets;
  const bytes = data.values;
  let prevStart = -1;
  let prevEnd = -1;
  let prev = '';
  for (let i = 0; i < data.length; i++) {
    const row = rows[base + i] as Row;
    if (!isValidAt(data, i)) {
      row[name] = null;
      continue;
    }
    const start = offsets[data.offset + i] as number;
    const end = offsets[data.offset + i + 1] as number;
    let same = prevStart >= 0 && end - start === prevEnd - prevStart;
    for (let k = 0; same && k < end - start; k++) same = bytes[start + k] === bytes[prevStart + k];
    if (!same) prev = textDecoder.decode(bytes.subarray(start, end));
    prevStart = start;
    prevEnd = end;
    row[name] = prev;
  }
}

/** Reads one column into the rows, with a typed-array fast path for the types this writer produces. */
function readColumn(column: ColumnDef, vector: arrow.Vector, rows: Row[]): void {
  let base = 0;
  for (const data of vector.data) {
    const typeId = data.typeId;
    const values = data.values as unknown;
    const fast =
      (column.type === 'int' && typeId === arrow.Type.Int && values instanceof Int32Array) ||
      (column.type === 'double' && typeId === arrow.Type.Float && values instanceof Float64Array) ||
      ((column.type === 'bigint' || column.type === 'int') &&
        typeId === arrow.Type.Int &&
        values instanceof BigInt64Array) ||
      (column.type === 'timestamp' &&
        typeId === arrow.Type.Timestamp &&
        (data.type as arrow.Timestamp).unit === arrow.TimeUnit.MILLISECOND) ||
      (column.type === 'date' && typeId === arrow.Type.Date && (data.type as arrow.Date_).unit === arrow.DateUnit.DAY);
    if (column.type === 'string' && typeId === arrow.Type.Utf8) {
      readUtf8(column.name, data as arrow.Data<arrow.Utf8>, rows, base);
    } else if (fast) {
      const typed = values as Int32Array | Float64Array | BigInt64Array;
      for (let i = 0; i < data.length; i++) {
        const row = rows[base + i] as Row;
        if (!isValidAt(data, i)) {
          row[column.name] = null;
          continue;
        }
        const raw = typed[data.offset + i] as number | bigint;
        row[column.name] = column.type === 'date' ? dateOfDays(Number(raw)) : Number(raw);
      }
    } else {
      // Other physical types (an older file written with another type): let arrow-js decode each value.
      const chunk = arrow.makeVector(data);
      for (let i = 0; i < data.length; i++) {
        (rows[base + i] as Row)[column.name] = cellOf(column, chunk.get(i));
      }
    }
    base += data.length;
  }
}

/**
 * Decodes a Parquet object of a registry table back to engine rows: timestamps as epoch ms, dates 'YYYY-MM-DD',
 * bigint as number, nulls as null. A registry column the file does not have (the file predates the column)
 * reads as null; file columns the registry no longer has are dropped.
 */
export function readParquet(table: TableName, bytes: Uint8Array): Row[] {
  const def = tableDef(table);
  const arrowTable = arrow.tableFromIPC(pw.readParquet(bytes, { batchSize: MAX_ROW_GROUP_ROWS }).intoIPCStream());
  const n = arrowTable.numRows;
  const rows: Row[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: Row = {};
    for (const c of def.columns) row[c.name] = null;
    rows[i] = row;
  }
  for (const column of def.columns) {
    const vector = arrowTable.getChild(column.name);
    if (vector) readColumn(column, vector, rows);
  }
  return rows;
}

/**
 * The row count from the footer, without decoding any column: FileMetaData.num_rows (Thrift compact field 3).
 * Throws when the bytes are not a Parquet file.
 */
export function parquetRowCount(bytes: Uint8Array): number {
  const n = bytes.length;
  const magic = (at: number) =>
    bytes[at] === 0x50 && bytes[at + 1] === 0x41 && bytes[at + 2] === 0x52 && bytes[at + 3] === 0x31;
  if (n < 12 || !magic(0) || !magic(n - 4)) throw new Error('not a Parquet file (no PAR1 magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const footerLength = view.getUint32(n - 8, true);
  const reader = new CompactReader(bytes.subarray(n - 8 - footerLength, n - 8));
  let fieldId = 0;
  for (;;) {
    const header = reader.byte();
    if (header === 0) break; // STOP
    const type = header & 0x0f;
    const delta = header >> 4;
    fieldId = delta === 0 ? reader.zigzag() : fieldId + delta;
    if (fieldId === 3 && type === 6) return reader.zigzag();
    reader.skip(type);
  }
  throw new Error('Parquet footer has no num_rows');
}

/** Just enough of the Thrift compact protocol to skip to FileMetaData.num_rows. */
class CompactReader {
  private at = 0;
  constructor(private readonly buf: Uint8Array) {}
  byte(): number {
    if (this.at >= this.buf.length) throw new Error('truncated Parquet footer');
    return this.buf[this.at++] as number;
  }
  varint(): number {
    let result = 0;
    let factor = 1;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * factor;
      if ((b & 0x80) === 0) return result;
      factor *= 128;
    }
  }
  zigzag(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }
  /** Inside lists and maps a boolean takes a whole byte (in a struct it lives in the field header). */
  private skipElement(type: number): void {
    if (type === 1 || type === 2) this.at += 1;
    else this.skip(type);
  }
  skip(type: number): void {
    switch (type) {
      case 1: // BOOLEAN_TRUE
      case 2: // BOOLEAN_FALSE
        return;
      case 3: // BYTE
        this.at += 1;
        return;
      case 4: // I16
      case 5: // I32
      case 6: // I64
        this.varint();
        return;
      case 7: // DOUBLE
        this.at += 8;
        return;
      case 8: {
        // BINARY (read the length before moving: `this.at += this.varint()` would read `at` too early)
        const length = this.varint();
        this.at += length;
        return;
      }
      case 9: // LIST
      case 10: {
        // SET
        const header = this.byte();
        const size = header >> 4 === 0x0f ? this.varint() : header >> 4;
        const elementType = header & 0x0f;
        for (let i = 0; i < size; i++) this.skipElement(elementType);
        return;
      }
      case 11: {
        // MAP
        const size = this.varint();
        if (size === 0) return;
        const kv = this.byte();
        for (let i = 0; i < size; i++) {
          this.skipElement(kv >> 4);
          this.skipElement(kv & 0x0f);
        }
        return;
      }
      case 12: {
        // STRUCT
        for (;;) {
          const header = this.byte();
          if (header === 0) return;
          if (header >> 4 === 0) this.zigzag();
          this.skip(header & 0x0f);
        }
      }
      default:
        throw new Error(`unknown Thrift compact type ${type} in Parquet footer`);
    }
  }
}
