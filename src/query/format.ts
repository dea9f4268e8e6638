/**
 * Query result formats as InfluxDB 3 answers them: `json` (an array of objects, nulls omitted),
 * `jsonl`, `csv` (header once), `pretty` (a boxed table). 64-bit integers are written with every
 * digit (never through a JS number); timestamps as `YYYY-MM-DDTHH:MM:SS[.fraction]`.
 */
import { DuckDBTimestampNanosecondsValue, DuckDBTimestampValue, DuckDBTimestampMillisecondsValue, DuckDBTimestampSecondsValue, type DuckDBValue } from '@duckdb/node-api';
import { QueryError } from './errors.js';
import type { QueryColumn, QueryResult } from './engine.js';

export type QueryFormat = 'json' | 'jsonl' | 'csv' | 'pretty' | 'parquet';

export function parseQueryFormat(value: string): QueryFormat {
  switch (value.toLowerCase()) {
    case 'json':
      return 'json';
    case 'jsonl':
    case 'json_lines':
      return 'jsonl';
    case 'csv':
      return 'csv';
    case 'pretty':
      return 'pretty';
    case 'parquet':
      return 'parquet';
    default:
      throw new QueryError('INVALID_FORMAT', `invalid format ${JSON.stringify(value)}: expected json, jsonl, csv, pretty or parquet`);
  }
}

const I64_MAX = (1n << 63n) - 1n;
/** The Date range in ms (±100 000 000 days around the epoch). */
const DATE_LIMIT_MS = 8_640_000_000_000_000n;

/**
 * Nanoseconds since the epoch as `YYYY-MM-DDTHH:MM:SS` plus the shortest of .mmm/.uuuuuu/.nnnnnnnnn.
 * The engine's `infinity` and `-infinity` timestamps (the int64 extremes of their unit, passed as
 * `raw`) are written as those words; anything else outside the calendar as its number.
 */
export function formatTimestampNs(ns: bigint, raw = ns): string {
  if (raw === I64_MAX) return 'infinity';
  if (raw === -I64_MAX) return '-infinity';
  if (ns / 1_000_000n > DATE_LIMIT_MS || ns / 1_000_000n < -DATE_LIMIT_MS) return String(ns);
  let ms = ns / 1_000_000n;
  let sub = ns % 1_000_000_000n;
  if (sub < 0n) sub += 1_000_000_000n;
  if (ns < 0n && ns % 1_000_000n !== 0n) ms -= 1n;
  const iso = new Date(Number(ms)).toISOString();
  const base = iso.slice(0, iso.indexOf('.'));
  if (sub === 0n) return base;
  const digits = String(sub).padStart(9, '0');
  if (sub % 1_000_000n === 0n) return `${base}.${digits.slice(0, 3)}`;
  if (sub % 1_000n === 0n) return `${base}.${digits.slice(0, 6)}`;
  return `${base}.${digits}`;
}

/** A value as JSON text. */
function jsonValue(v: DuckDBValue, type: string): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? (type === 'DOUBLE' || type === 'FLOAT' ? floatText(v) : String(v)) : JSON.stringify(String(v));
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return JSON.stringify(v);
  return JSON.stringify(textValue(v!, type));
}

function floatText(v: number): string {
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? `${v}.0` : String(v);
}

/** A value as plain text (CSV, pretty). */
export function textValue(v: DuckDBValue, type: string): string {
  if (v === null) return '';
  if (typeof v === 'number') return type === 'DOUBLE' || type === 'FLOAT' ? floatText(v) : String(v);
  if (typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'string') return String(v);
  if (v instanceof DuckDBTimestampNanosecondsValue) return formatTimestampNs(v.nanos);
  if (v instanceof DuckDBTimestampValue) return formatTimestampNs(v.micros * 1000n, v.micros);
  if (v instanceof DuckDBTimestampMillisecondsValue) return formatTimestampNs(v.millis * 1_000_000n, v.millis);
  if (v instanceof DuckDBTimestampSecondsValue) return formatTimestampNs(v.seconds * 1_000_000_000n, v.seconds);
  return String(v);
}

function jsonObject(result: { columns: readonly QueryColumn[] }, row: readonly DuckDBValue[], keys = result.columns.map((c) => JSON.stringify(c.name))): string {
  let out = '{';
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (v === null) continue;
    out += `${out.length === 1 ? '' : ','}${keys[i]!}:${jsonValue(v, result.columns[i]!.type)}`;
  }
  return `${out}}`;
}

export function formatJson(result: QueryResult): string {
  return `[${result.rows.map((r) => jsonObject(result, r)).join(',')}]`;
}

export function formatJsonLines(result: QueryResult): string {
  return result.rows.map((r) => `${jsonObject(result, r)}\n`).join('');
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function formatCsv(result: QueryResult): string {
  const lines = [result.columns.map((c) => csvField(c.name)).join(',')];
  for (const row of result.rows) lines.push(row.map((v, i) => csvField(textValue(v, result.columns[i]!.type))).join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * A text format written a row at a time, for answers streamed as they are produced:
 * `head() + row(r1) + row(r2) + … + tail()` equals {@link formatResult} of the whole result.
 * `pretty` needs every row for its column widths: it keeps them and writes all at `tail()`
 * (`heldBytes` says how much it holds, so the caller's size limit still applies).
 */
export interface RowFormatter {
  head(): string;
  row(values: readonly DuckDBValue[]): string;
  tail(): string;
  readonly heldBytes: number;
}

export function rowFormatter(format: Exclude<QueryFormat, 'parquet'>, columns: readonly QueryColumn[]): RowFormatter {
  const result = { columns };
  const keys = columns.map((c) => JSON.stringify(c.name));
  switch (format) {
    case 'json': {
      let first = true;
      return {
        heldBytes: 0,
        head: () => '[',
        row: (r) => {
          const text = jsonObject(result, r, keys);
          if (first) {
            first = false;
            return text;
          }
          return `,${text}`;
        },
        tail: () => ']',
      };
    }
    case 'jsonl':
      return { heldBytes: 0, head: () => '', row: (r) => `${jsonObject(result, r, keys)}\n`, tail: () => '' };
    case 'csv':
      return {
        heldBytes: 0,
        head: () => `${columns.map((c) => csvField(c.name)).join(',')}\n`,
        row: (r) => `${r.map((v, i) => csvField(textValue(v, columns[i]!.type))).join(',')}\n`,
        tail: () => '',
      };
    case 'pretty': {
      const rows: DuckDBValue[][] = [];
      const formatter = {
        heldBytes: 0,
        head: () => '',
        row: (r: readonly DuckDBValue[]) => {
          rows.push(r.slice());
          for (let i = 0; i < r.length; i++) formatter.heldBytes += textValue(r[i]!, columns[i]!.type).length + 3;
          return '';
        },
        tail: () => formatPretty({ columns: [...columns], rows }),
      };
      return formatter;
    }
  }
}

export function formatPretty(result: QueryResult): string {
  const cells = result.rows.map((row) => row.map((v, i) => textValue(v, result.columns[i]!.type)));
  const widths = result.columns.map((c, i) => Math.max(c.name.length, ...cells.map((r) => r[i]!.length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [rule, line(result.columns.map((c) => c.name)), rule];
  for (const r of cells) out.push(line(r));
  out.push(rule);
  return `${out.join('\n')}\n`;
}

/** The text formats (Parquet goes through `QueryEngine.queryToParquet`). */
export function formatResult(result: QueryResult, format: Exclude<QueryFormat, 'parquet'>): string {
  switch (format) {
    case 'json':
      return formatJson(result);
    case 'jsonl':
      return formatJsonLines(result);
    case 'csv':
      return formatCsv(result);
    case 'pretty':
      return formatPretty(result);
  }
}
