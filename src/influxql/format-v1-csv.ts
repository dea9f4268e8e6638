/**
 * InfluxDB 1.x's `/query` CSV (`Accept: application/csv` or `text/csv`), as its Go server writes
 * it: a header `name,tags,<columns>` for each statement (and again, after a blank line, when a
 * series' columns differ from the one before), then one line per row: the series name, its tags
 * as `k=v,k2=v2` (sorted, `,`, space and `=` escaped with a backslash, empty values left out),
 * the time as an integer (nanoseconds, or the `epoch` unit), floats in plain decimal
 * (`strconv.FormatFloat(v, 'f', -1, 64)`: never an exponent), nulls as empty fields. Fields are
 * quoted as Go's `encoding/csv` quotes them. A statement without series (an error, or nothing
 * found) writes nothing; statements are separated by a blank line. A query that failed as a
 * whole is `error\n<message>\n`.
 */
import { epochValue } from './format-time.js';
import { sortedTagKeys } from './format-v1.js';
import type { InfluxValue, Series, StatementResult } from './result.js';

/** The spaces Go's `unicode.IsSpace` knows (a field starting with one is quoted). */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/** A field as Go's `csv.Writer` writes it. */
export function goCsvField(field: string): string {
  if (field === '') return '';
  if (field === '\\.' || /[,"\r\n]/.test(field) || GO_SPACE.test(field)) return `"${field.replaceAll('"', '""')}"`;
  return field;
}

/** A float as Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest exact digits, no exponent. */
export function goFixedFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const negative = s.startsWith('-');
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exponent = Number(s.slice(e + 1));
  // JavaScript's exponent form has one digit before the point.
  const digits = mantissa.replace('.', '');
  const point = 1 + exponent;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

function escapeTag(s: string): string {
  return s.replace(/[, =]/g, (c) => `\\${c}`);
}

/** A series' tags as InfluxDB's series key writes them (`models.Tags.HashKey` without its leading comma). */
export function tagsKey(tags: Readonly<Record<string, string>> | undefined): string {
  if (tags === undefined) return '';
  const parts: string[] = [];
  for (const k of sortedTagKeys(tags)) {
    const v = tags[k]!;
    if (v !== '') parts.push(`${escapeTag(k)}=${escapeTag(v)}`);
  }
  return parts.join(',');
}

function csvValue(v: InfluxValue): string {
  switch (typeof v) {
    case 'number':
      return goFixedFloat(v);
    case 'bigint':
      return v.toString();
    case 'string':
      return v;
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return '';
  }
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

/**
 * Writes results as CSV. Stateful as InfluxDB's formatter is: with `chunked=true` the pieces of
 * one statement come in several calls and its header is written once.
 */
export class V1CsvWriter {
  private statementId = -1;

  constructor(private readonly epochDivisor: bigint | undefined) {}

  /** The lines of one statement result (or a piece of one), a row at a time. */
  *result(result: StatementResult): Generator<string> {
    const series = result.series ?? [];
    if (result.statement_id !== this.statementId) {
      if (series.length === 0) return;
      const separator = this.statementId >= 0 ? '\n' : '';
      this.statementId = result.statement_id;
      yield separator + header(series[0]!);
    }
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      if (i > 0 && !sameColumns(series[i - 1]!.columns, s.columns)) yield `\n${header(s)}`;
      yield* this.rows(s);
    }
  }

  private *rows(series: Series): Generator<string> {
    const prefix = `${goCsvField(series.name)},${goCsvField(tagsKey(series.tags))}`;
    const divisor = this.epochDivisor;
    for (const row of series.values) {
      let line = prefix;
      for (let c = 0; c < row.length; c++) {
        const v = row[c]!;
        const text = c === 0 && series.timeColumn && typeof v === 'bigint' ? (divisor === undefined ? v : epochValue(v, divisor)).toString() : csvValue(v);
        line += `,${goCsvField(text)}`;
      }
      yield `${line}\n`;
    }
  }
}

function header(series: Series): string {
  return `${['name', 'tags', ...series.columns].map(goCsvField).join(',')}\n`;
}

/** All results as one CSV text (for tests and small answers). */
export function formatV1Csv(results: readonly StatementResult[], epochDivisor: bigint | undefined): string {
  const writer = new V1CsvWriter(epochDivisor);
  let out = '';
  for (const r of results) for (const piece of writer.result(r)) out += piece;
  return out;
}

/** The CSV of a query that failed as a whole. */
export function formatV1CsvError(message: string): string {
  return `error\n${goCsvField(message)}\n`;
}
