/**
 * Renames the columns of a Parquet file by rewriting its footer. DuckDB cannot write two columns
 * whose names differ only in case (`COPY … TO` renames the second `host` to `host_1`), so Sluice
 * writes SQL names (`src/engine/names.ts`: `Host` → `^host`) and then puts the exact names into
 * the footer here.
 *
 * A Parquet file is `PAR1`, the column chunks, the footer (a Thrift compact-protocol
 * `FileMetaData`), the footer's length (u32, little-endian) and `PAR1`. Column names live only
 * in the footer: in each `SchemaElement.name` (field 4 of the elements of `FileMetaData.schema`,
 * field 2) and in each column chunk's `ColumnMetaData.path_in_schema` (`row_groups` field 4 →
 * `RowGroup.columns` field 1 → `ColumnChunk.meta_data` field 3 → field 3). Thrift compact
 * strings are a varint length and the bytes, and structs and lists carry no byte lengths, so
 * each name is replaced in place and every other byte of the footer is copied as it is. Data
 * pages, page indexes and bloom filters lie before the footer and keep their offsets.
 */

import { readFile, rename as renameFile, writeFile } from 'node:fs/promises';

const MAGIC = 'PAR1';

// Thrift compact-protocol type ids.
const T_BOOL_TRUE = 1;
const T_BOOL_FALSE = 2;
const T_BYTE = 3;
const T_I16 = 4;
const T_I32 = 5;
const T_I64 = 6;
const T_DOUBLE = 7;
const T_BINARY = 8;
const T_LIST = 9;
const T_SET = 10;
const T_MAP = 11;
const T_STRUCT = 12;
const T_UUID = 13;

/** A footer the renamer cannot read: not Parquet, encrypted, or damaged. */
export class ParquetFooterError extends Error {
  constructor(message: string) {
    super(`Parquet footer: ${message}`);
    this.name = 'ParquetFooterError';
  }
}

/** Where one name's string is in the footer: its length prefix at `lengthStart`, its bytes [start, end). */
interface NameRange {
  kind: 'schema' | 'path';
  lengthStart: number;
  start: number;
  end: number;
}

/**
 * The file with every column (schema element but the root, and every `path_in_schema` part)
 * renamed by `rename`; the bytes before the footer are unchanged.
 */
export function renameParquetColumns(file: Uint8Array, rename: (name: string) => string): Uint8Array {
  const { footerStart, footer } = footerOf(file);
  const reader = new FooterReader(footer);
  const found: NameRange[] = [];
  reader.readFileMetaData(found);
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [file.subarray(0, footerStart)];
  let at = 0;
  for (const r of found) {
    const renamed = encoder.encode(rename(decoder.decode(footer.subarray(r.start, r.end))));
    parts.push(footer.subarray(at, r.lengthStart));
    at = r.end;
    parts.push(varint(renamed.length), renamed);
  }
  parts.push(footer.subarray(at));
  const footerLength = parts.slice(1).reduce((n, p) => n + p.length, 0);
  const tail = new Uint8Array(8);
  new DataView(tail.buffer).setUint32(0, footerLength, true);
  tail.set(encoder.encode(MAGIC), 4);
  parts.push(tail);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** {@link renameParquetColumns} on a file on disk (written anew beside it, then renamed over it). */
export async function renameParquetFileColumns(path: string, rename: (name: string) => string): Promise<void> {
  const renamed = renameParquetColumns(await readFile(path), rename);
  const tmp = `${path}.names.tmp`;
  await writeFile(tmp, renamed);
  await renameFile(tmp, path);
}

/** The column names in a Parquet file's schema (the root element excluded), in order. */
export function parquetColumnNames(file: Uint8Array): string[] {
  const { footer } = footerOf(file);
  const found: NameRange[] = [];
  new FooterReader(footer).readFileMetaData(found);
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  return found.filter((r) => r.kind === 'schema').map((r) => decoder.decode(footer.subarray(r.start, r.end)));
}

function footerOf(file: Uint8Array): { footerStart: number; footer: Uint8Array } {
  const text = (from: number) => String.fromCharCode(...file.subarray(from, from + 4));
  if (file.length < 12 || text(0) !== MAGIC || text(file.length - 4) !== MAGIC) throw new ParquetFooterError('not a Parquet file (no PAR1 at both ends), or an encrypted one');
  const length = new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(file.length - 8, true);
  const footerStart = file.length - 8 - length;
  if (footerStart < 4) throw new ParquetFooterError(`the footer length ${length} does not fit in a file of ${file.length} bytes`);
  return { footerStart, footer: file.subarray(footerStart, file.length - 8) };
}

/** One varint (unsigned LEB128), as Thrift compact writes lengths. */
function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Uint8Array.from(bytes);
}

/** A Thrift compact-protocol reader that finds the byte ranges of the footer's column names. */
class FooterReader {
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  readFileMetaData(found: NameRange[]): void {
    this.readStruct((id, type) => {
      if (id === 2 && type === T_LIST) {
        // schema: list<SchemaElement>; element 0 is the root, whose name is the writer's own.
        let index = 0;
        this.readList(T_STRUCT, () => {
          const isRoot = index++ === 0;
          this.readStruct((fid, ftype) => {
            if (fid === 4 && ftype === T_BINARY && !isRoot) found.push(this.readBinaryRange('schema'));
            else this.skip(ftype);
          });
        });
      } else if (id === 4 && type === T_LIST) {
        // row_groups: list<RowGroup> → columns (1): list<ColumnChunk> → meta_data (3) → path_in_schema (3).
        this.readList(T_STRUCT, () =>
          this.readStruct((rid, rtype) => {
            if (rid !== 1 || rtype !== T_LIST) return this.skip(rtype);
            this.readList(T_STRUCT, () =>
              this.readStruct((cid, ctype) => {
                if (cid !== 3 || ctype !== T_STRUCT) return this.skip(ctype);
                this.readStruct((mid, mtype) => {
                  if (mid !== 3 || mtype !== T_LIST) return this.skip(mtype);
                  this.readList(T_BINARY, () => found.push(this.readBinaryRange('path')));
                });
              }),
            );
          }),
        );
      } else {
        this.skip(type);
      }
    });
    if (this.at !== this.bytes.length) throw new ParquetFooterError(`${this.bytes.length - this.at} bytes after the FileMetaData`);
  }

  private byte(): number {
    if (this.at >= this.bytes.length) throw new ParquetFooterError('it ends inside its FileMetaData');
    return this.bytes[this.at++]!;
  }

  private readVarint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new ParquetFooterError('a varint is longer than 10 bytes');
  }

  private readBinaryRange(kind: NameRange['kind']): NameRange {
    const lengthStart = this.at;
    const length = this.readVarint();
    const start = this.at;
    if (start + length > this.bytes.length) throw new ParquetFooterError('a string runs past the end');
    this.at += length;
    return { kind, lengthStart, start, end: this.at };
  }

  /** Calls `field` for each field of a struct (it must consume the value); stops at the stop byte. */
  private readStruct(field: (id: number, type: number) => void): void {
    let lastId = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) return;
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? zigzag(this.readVarint()) : lastId + delta;
      lastId = id;
      if (type === T_BOOL_TRUE || type === T_BOOL_FALSE) continue; // the value is in the header
      field(id, type);
    }
  }

  private readList(expected: number, element: () => void): void {
    const header = this.byte();
    const type = header & 0x0f;
    let size = header >> 4;
    if (size === 15) size = this.readVarint();
    if (size > 0 && type !== expected) throw new ParquetFooterError(`a list holds Thrift type ${type} where ${expected} was expected`);
    for (let i = 0; i < size; i++) element();
  }

  /** Skips a collection element: booleans there take a byte each (in a struct, none). */
  private skipElement(type: number): void {
    if (type === T_BOOL_TRUE || type === T_BOOL_FALSE) this.at++;
    else this.skip(type);
  }

  private skip(type: number): void {
    switch (type) {
      case T_BOOL_TRUE:
      case T_BOOL_FALSE:
        return;
      case T_BYTE:
        this.at++;
        return;
      case T_I16:
      case T_I32:
      case T_I64:
        this.readVarint();
        return;
      case T_DOUBLE:
        this.at += 8;
        return;
      case T_UUID:
        this.at += 16;
        return;
      case T_BINARY: {
        const length = this.readVarint();
        this.at += length;
        return;
      }
      case T_LIST:
      case T_SET: {
        const header = this.byte();
        const elementType = header & 0x0f;
        let size = header >> 4;
        if (size === 15) size = this.readVarint();
        for (let i = 0; i < size; i++) this.skipElement(elementType);
        return;
      }
      case T_MAP: {
        const size = this.readVarint();
        if (size === 0) return;
        const kinds = this.byte();
        for (let i = 0; i < size; i++) {
          this.skipElement(kinds >> 4);
          this.skipElement(kinds & 0x0f);
        }
        return;
      }
      case T_STRUCT:
        this.readStruct((_, t) => this.skip(t));
        return;
      default:
        throw new ParquetFooterError(`unknown Thrift type ${type}`);
    }
  }
}

function zigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}
