/**
 * DuckDB's statement AST as JSON (`json_serialize_sql` / `json_deserialize_sql`): walking it,
 * and parsing and writing it with 64-bit integer constants kept exact.
 */
import { randomBytes } from 'node:crypto';
import { QueryError } from './errors.js';

/** One object of the AST: an expression, a table reference, a query node or part of one. */
export type AstNode = Record<string, unknown>;

/** Calls `visit` on every object in `node`, parents before children. */
export function walk(node: unknown, visit: (n: AstNode) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
  } else if (typeof node === 'object' && node !== null) {
    visit(node as AstNode);
    for (const child of Object.values(node)) walk(child, visit);
  }
}

// A marker no user string can hold by chance (random per process), for numbers JSON.parse would
// change: integers too long for a double, and whole floats (`1000000.0`), which it would make the
// integer 1000000 — DuckDB reads that back as an integer where its AST wants a double. Both are
// kept as their text and written back as they were.
const NUMBER_TAG = `number${randomBytes(8).toString('hex')}:`;
const MARKED = `\u0000${NUMBER_TAG}`;
const MARKED_BACK = new RegExp(`"\\\\u0000${NUMBER_TAG}(-?[0-9.eE+-]+)"`, 'g');

/** An integer constant of an AST from {@link parseJsonKeepingBigInts}: a safe number or a marked long one; else undefined. */
export function astInteger(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string' && value.startsWith(MARKED)) return /^-?\d+$/.test(value.slice(MARKED.length)) ? BigInt(value.slice(MARKED.length)) : undefined;
  return undefined;
}

/**
 * JSON.parse, but integers too long for a double (DuckDB's AST holds BIGINT constants as JSON
 * numbers) and whole floats (`1000000.0`) become marked strings, so
 * {@link stringifyJsonKeepingBigInts} writes them back exactly.
 */
export function parseJsonKeepingBigInts(text: string): unknown {
  let out = '';
  let inString = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') {
        out += text[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (ch === '"') inString = false;
      i++;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      i++;
      continue;
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9.eE+-]/.test(text[j]!)) j++;
      const token = text.slice(i, j);
      const changed = /^-?\d{16,}$/.test(token) || (/[.eE]/.test(token) && Number.isInteger(Number(token)));
      out += changed ? JSON.stringify(MARKED + token) : token;
      i = j;
      continue;
    }
    if (ch === 'I' || ch === 'N') {
      // DuckDB writes a literal past a double's range as a bare Infinity (or NaN), which neither
      // JSON nor its own json_deserialize_sql reads back.
      const token = /^(Infinity|NaN)/.exec(text.slice(i, i + 8))?.[1];
      if (token !== undefined) throw new QueryError('INVALID_QUERY', `a numeric literal is out of the range of a 64-bit float (it would be ${text[i - 1] === '-' ? '-' : ''}${token})`);
    }
    out += ch;
    i++;
  }
  return JSON.parse(out);
}

/** JSON.stringify that writes the integers and whole floats {@link parseJsonKeepingBigInts} marked back as numbers, as they were written. */
export function stringifyJsonKeepingBigInts(value: unknown): string {
  return JSON.stringify(value).replace(MARKED_BACK, '$1');
}
