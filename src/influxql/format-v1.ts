/**
 * InfluxDB 1.x's `/query` JSON, byte for byte as its Go server writes it: `{"results":[…]}` with
 * each statement's `statement_id`, `series` (`name`, `tags`, `columns`, `values`, `partial`),
 * `messages`, `partial` and `error` in that order, empty ones left out (Go's `omitempty`); tags
 * sorted by key; strings escaped as `encoding/json` escapes them (`<`, `>`, `&` as `\u003c`…);
 * integers with every digit; floats as Go prints them (`1`, `0.1`, `1e+300`, `3e-7`, `-0`);
 * `pretty=true` indents by four spaces as `json.MarshalIndent` does. Every document ends with a
 * newline. With `chunked=true` a statement's series are cut into documents of at most
 * `chunk_size` rows ({@link chunkStatementResult}).
 *
 * Answers are produced as a sequence of string pieces (a row at a time) so the route can send
 * and count them as they come instead of building one string of the whole answer.
 */
import { epochValue, formatRfc3339Nano } from './format-time.js';
import type { Statement } from './ast.js';
import type { InfluxValue, Series, StatementResult } from './result.js';

/** How the time column and the layout are written. */
export interface V1JsonOptions {
  /** `epoch=`'s divisor (from {@link epochDivisor}); undefined writes RFC3339 strings. */
  epochDivisor: bigint | undefined;
  /** `pretty=true`: indented by four spaces. */
  pretty: boolean;
}

const HEX = '0123456789abcdef';
// Characters Go's encoder escapes, and surrogates (a lone one becomes U+FFFD, as Go writes invalid UTF-8).
const NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;

/** A string as Go's `encoding/json` writes it (HTML-safe: `<`, `>` and `&` escaped). */
export function goJsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = '\\\\';
    else if (c === 0x0a) esc = '\\n';
    else if (c === 0x0d) esc = '\\r';
    else if (c === 0x09) esc = '\\t';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26) esc = `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    else if (c === 0x2028 || c === 0x2029) esc = `\\u${c.toString(16)}`;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      esc = '\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) esc = '\ufffd';
    if (esc === undefined) continue;
    out += s.slice(start, i) + esc;
    start = i + 1;
  }
  return `${out}${s.slice(start)}"`;
}

/**
 * A float as Go's `encoding/json` writes it: the shortest digits that read back the same, in
 * exponent form below 1e-6 and from 1e21 (JavaScript's `String` agrees on both), `-0` kept.
 * NaN and ±Inf, which Go refuses to encode, are written as null.
 */
export function goJsonFloat(v: number): string {
  if (!Number.isFinite(v)) return 'null';
  if (v === 0 && Object.is(v, -0)) return '-0';
  return String(v);
}

/** One value of a row (not the time column). */
export function v1JsonValue(v: InfluxValue): string {
  switch (typeof v) {
    case 'number':
      return goJsonFloat(v);
    case 'bigint':
      return v.toString();
    case 'string':
      return goJsonString(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return 'null';
  }
}

/** The time column's value: RFC3339 (in the series' zone) or an integer per `epoch`. */
function timeJson(v: InfluxValue, series: Series, divisor: bigint | undefined): string {
  if (typeof v !== 'bigint') return v1JsonValue(v);
  return divisor === undefined ? `"${formatRfc3339Nano(v, series.timezone)}"` : epochValue(v, divisor).toString();
}

/** Tag keys in Go's map order: by the bytes of their UTF-8 encoding. */
export function sortedTagKeys(tags: Readonly<Record<string, string>>): string[] {
  const keys = Object.keys(tags);
  // UTF-16 order differs from UTF-8 byte order only when a surrogate pair meets U+E000–U+FFFF.
  return keys.sort((a, b) => (a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

/** Writes JSON compact or indented as Go's MarshalIndent(v, "", "    ") does. */
class Layout {
  readonly colon: string;
  private readonly newlines: string[] = [];
  constructor(readonly pretty: boolean) {
    this.colon = pretty ? ': ' : ':';
  }
  /** The break before an element at `level` (nothing when compact). */
  nl(level: number): string {
    if (!this.pretty) return '';
    return (this.newlines[level] ??= `\n${'    '.repeat(level)}`);
  }
}

/** The pieces of one series object at nesting `level`. */
function* seriesPieces(series: Series, options: V1JsonOptions, layout: Layout, level: number): Generator<string> {
  const inner = level + 1;
  const members: string[] = [];
  if (series.name !== '') members.push(`"name"${layout.colon}${goJsonString(series.name)}`);
  if (series.tags !== undefined) {
    const keys = sortedTagKeys(series.tags);
    if (keys.length > 0) {
      const tags = keys.map((k) => `${layout.nl(inner + 1)}${goJsonString(k)}${layout.colon}${goJsonString(series.tags![k]!)}`);
      members.push(`"tags"${layout.colon}{${tags.join(',')}${layout.nl(inner)}}`);
    }
  }
  if (series.columns.length > 0) {
    members.push(`"columns"${layout.colon}[${series.columns.map((c) => `${layout.nl(inner + 1)}${goJsonString(c)}`).join(',')}${layout.nl(inner)}]`);
  }
  const head = `{${members.map((m) => `${layout.nl(inner)}${m}`).join(',')}`;
  const rows = series.values;
  const tail = `${series.partial === true ? `,${layout.nl(inner)}"partial"${layout.colon}true` : ''}${layout.nl(level)}}`;
  if (rows.length === 0) {
    yield head + tail;
    return;
  }
  yield `${head}${members.length > 0 ? ',' : ''}${layout.nl(inner)}"values"${layout.colon}[`;
  const rowLevel = inner + 1;
  const valueBreak = layout.nl(rowLevel + 1);
  const divisor = options.epochDivisor;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let text = `${r === 0 ? '' : ','}${layout.nl(rowLevel)}[`;
    for (let c = 0; c < row.length; c++) {
      const v = row[c]!;
      text += `${c === 0 ? '' : ','}${valueBreak}${c === 0 && series.timeColumn ? timeJson(v, series, divisor) : v1JsonValue(v)}`;
    }
    yield `${text}${row.length === 0 ? '' : layout.nl(rowLevel)}]`;
  }
  yield `${layout.nl(inner)}]${tail}`;
}

/** The pieces of one statement's result object at nesting `level`. */
function* resultPieces(result: StatementResult, options: V1JsonOptions, layout: Layout, level: number): Generator<string> {
  const inner = level + 1;
  let text = `{${layout.nl(inner)}"statement_id"${layout.colon}${result.statement_id}`;
  const series = result.series ?? [];
  if (series.length > 0) {
    yield `${text},${layout.nl(inner)}"series"${layout.colon}[`;
    for (let i = 0; i < series.length; i++) {
      yield `${i === 0 ? '' : ','}${layout.nl(inner + 1)}`;
      yield* seriesPieces(series[i]!, options, layout, inner + 1);
    }
    text = `${layout.nl(inner)}]`;
  }
  if (result.messages !== undefined && result.messages.length > 0) {
    const ml = inner + 1;
    const messages = result.messages.map(
      (m) => `${layout.nl(ml)}{${layout.nl(ml + 1)}"level"${layout.colon}${goJsonString(m.level)},${layout.nl(ml + 1)}"text"${layout.colon}${goJsonString(m.text)}${layout.nl(ml)}}`,
    );
    text += `,${layout.nl(inner)}"messages"${layout.colon}[${messages.join(',')}${layout.nl(inner)}]`;
  }
  if (result.partial === true) text += `,${layout.nl(inner)}"partial"${layout.colon}true`;
  if (result.error !== undefined && result.error !== '') text += `,${layout.nl(inner)}"error"${layout.colon}${goJsonString(result.error)}`;
  yield `${text}${layout.nl(level)}}`;
}

/**
 * Writes `{"results":[…]}\n` a piece at a time: call {@link head}, then {@link result} for each
 * statement result, then {@link tail}. With no results at all the document is `{}` (Go leaves
 * the empty list out), as 1.x answers a query of only `;`.
 */
export class V1JsonDocument {
  private readonly layout: Layout;
  private count = 0;

  constructor(private readonly options: V1JsonOptions) {
    this.layout = new Layout(options.pretty);
  }

  head(): string {
    return '{';
  }

  *result(result: StatementResult): Generator<string> {
    const layout = this.layout;
    yield this.count === 0 ? `${layout.nl(1)}"results"${layout.colon}[${layout.nl(2)}` : `,${layout.nl(2)}`;
    this.count++;
    yield* resultPieces(result, this.options, layout, 2);
  }

  tail(): string {
    return this.count === 0 ? '}\n' : `${this.layout.nl(1)}]${this.layout.nl(0)}}\n`;
  }
}

/** One whole document of `results` (for tests and small answers). */
export function formatV1Json(results: readonly StatementResult[], options: V1JsonOptions): string {
  const doc = new V1JsonDocument(options);
  let out = doc.head();
  for (const r of results) for (const piece of doc.result(r)) out += piece;
  return out + doc.tail();
}

/** The `{"error":"…"}` document of a query that failed as a whole (parse error, missing `q`). */
export function formatV1Error(message: string, pretty = false): string {
  return pretty ? `{\n    "error": ${goJsonString(message)}\n}\n` : `{"error":${goJsonString(message)}}\n`;
}

/**
 * How InfluxDB 1.6 cuts a statement's answer with `chunked=true`: `rows` for what it runs as a
 * SELECT (SELECT itself, SHOW SERIES, SHOW FIELD KEYS, the cardinalities), `series` for SHOW TAG
 * KEYS and SHOW TAG VALUES (a document per series, never partial), `whole` for the rest (one
 * document: SHOW DATABASES, SHOW MEASUREMENTS, SHOW RETENTION POLICIES, CREATE DATABASE, …).
 */
export type ChunkMode = 'rows' | 'series' | 'whole';

/** The {@link ChunkMode} of a statement kind (ast.ts `Statement['kind']`). */
export function chunkModeOf(kind: Statement['kind']): ChunkMode {
  switch (kind) {
    case 'select':
    case 'showSeries':
    case 'showFieldKeys':
    case 'showCardinality':
      return 'rows';
    case 'showTagKeys':
    case 'showTagValues':
      return 'series';
    default:
      return 'whole';
  }
}

/**
 * One statement's result cut as InfluxDB 1.x's `chunked=true` sends it. In `rows` mode each
 * series is its own document, a series longer than `chunkSize` rows in pieces of `chunkSize`; a
 * piece whose series goes on in the next document says `"partial":true` on the series, and every
 * piece but the statement's last says `"partial":true` on the result. In `series` mode each series
 * is its own document, without partial flags; in `whole` mode the result is one document. An
 * error or an empty result is one piece.
 */
export function* chunkStatementResult(result: StatementResult, chunkSize: number, mode: ChunkMode = 'rows'): Generator<StatementResult> {
  const series = result.series ?? [];
  if (result.error !== undefined || series.length === 0 || mode === 'whole') {
    yield result;
    return;
  }
  if (mode === 'series') {
    for (let s = 0; s < series.length; s++) {
      const out: StatementResult = { statement_id: result.statement_id, series: [series[s]!] };
      if (s === 0 && result.messages !== undefined) out.messages = result.messages;
      yield out;
    }
    return;
  }
  const size = Math.max(1, Math.floor(chunkSize));
  let first = true;
  for (let s = 0; s < series.length; s++) {
    const whole = series[s]!;
    const rows = whole.values;
    for (let start = 0; start === 0 || start < rows.length; start += size) {
      const end = Math.min(rows.length, start + size);
      const seriesGoesOn = end < rows.length;
      const statementGoesOn = seriesGoesOn || s < series.length - 1;
      const piece: Series = { ...whole, values: start === 0 && end === rows.length ? rows : rows.slice(start, end) };
      if (seriesGoesOn) piece.partial = true;
      else delete piece.partial;
      const out: StatementResult = { statement_id: result.statement_id, series: [piece] };
      if (first && result.messages !== undefined) out.messages = result.messages;
      if (statementGoesOn) out.partial = true;
      first = false;
      yield out;
      if (rows.length === 0) break;
    }
  }
}
