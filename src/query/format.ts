/**
 * Query result formats as InfluxDB 3 answers them: `json` (an array of objects, nulls omitted),
 * `jsonl`, `csv` (header once), `pretty` (a boxed table). 64-bit integers are written with every
 * digit (never through a JS number); timestamps as `YYYY-MM-DDTHH:MM:SS[.fraction]`.
 */
import { DuckDBTimestampNanosecondsValue, DuckDBTimestampValue, DuckDBTimestampMillisecondsValue, DuckDBTimestampSecondsValue, type DuckDBValue } from '@duckdb/node-api';
import { QueryError } from './errors.js';
import type { QueryResult } from './engine.js';

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

/** Nanoseconds since the epoch as `YYYY-MM-DDTHH:MM:SS` plus the shortest of .mmm/.uuuuuu/.nnnnnnnnn. */
export function formatTimestampNs(ns: bigint): string {
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
  if (v instanceof DuckDBTimestampValue) return formatTimestampNs(v.micros * 1000n);
  if (v instanceof DuckDBTimestampMillisecondsValue) return formatTimestampNs(v.millis * 1_000_000n);
  if (v instanceof DuckDBTimestampSecondsValue) return formatTimestampNs(v.seconds * 1_000_000_000n);
  return String(v);
}

function jsonObject(result: QueryResult, row: DuckDBValue[]): string {
  const parts: string[] = [];
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (v === null) continue;
    const col = result.columns[i]!;
    parts.push(`${JSON.stringify(col.name)}:${jsonValue(v, col.type)}`);
  }
  return `{${parts.join(',')}}`;
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
