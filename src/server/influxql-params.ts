/**
 * The `params` of an InfluxQL query (`$name` values), read as InfluxDB 1.x reads them: the first
 * JSON value of the text must be an object (or null); a number written with a `.` is a float,
 * any other number an exact 64-bit integer (`1e5` and integers past 64 bits are refused, as Go's
 * `json.Number.Int64` refuses them); strings, booleans, null and objects (`{"identifier": "cpu"}`,
 * `{"duration": "5m"}`, …) as they are. Numbers inside objects are kept exact the same way.
 */
import type { BoundParameterValue } from '../influxql/parser.js';

/** A `params` value InfluxDB refuses; `message` is its wording after `error parsing …: `. */
export class ParamsError extends Error {
  constructor(
    /** `query parameters` (the JSON is bad) or `json value` (a number is). */
    readonly what: 'query parameters' | 'json value',
    message: string,
  ) {
    super(`error parsing ${what}: ${message}`);
    this.name = 'ParamsError';
  }
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** A JSON number's text, kept until it is known whether it is a float or an integer. */
class NumberText {
  constructor(readonly text: string) {}
}

type Json = null | boolean | string | NumberText | Json[] | { [key: string]: Json };

/** Reads one JSON value from `text` at `start`, numbers kept as their text. */
class JsonReader {
  private i = 0;
  constructor(private readonly text: string) {}

  value(depth = 0): Json {
    if (depth > 100) throw new ParamsError('query parameters', 'exceeded max depth');
    this.ws();
    const c = this.text[this.i];
    if (c === undefined) throw new ParamsError('query parameters', 'unexpected end of JSON input');
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    throw this.invalid('looking for beginning of value');
  }

  /** Fails unless only whitespace follows the value read. */
  end(): void {
    this.ws();
    if (this.i < this.text.length) throw this.invalid('after top-level value');
  }

  private ws(): void {
    while (this.i < this.text.length && ' \t\r\n'.includes(this.text[this.i]!)) this.i++;
  }

  private invalid(context: string): ParamsError {
    const c = this.text[this.i];
    if (c === undefined) return new ParamsError('query parameters', 'unexpected end of JSON input');
    return new ParamsError('query parameters', `invalid character ${JSON.stringify(c).replace(/^"|"$/g, "'")} ${context}`);
  }

  private expect(c: string, context: string): void {
    this.ws();
    if (this.text[this.i] !== c) throw this.invalid(context);
    this.i++;
  }

  private object(depth: number): { [key: string]: Json } {
    this.i++;
    const out: { [key: string]: Json } = Object.create(null) as { [key: string]: Json };
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.text[this.i] !== '"') throw this.invalid('looking for beginning of object key string');
      const key = this.string();
      this.expect(':', 'after object key');
      out[key] = this.value(depth + 1);
      this.ws();
      const c = this.text[this.i];
      this.i++;
      if (c === '}') return out;
      if (c !== ',') {
        this.i--;
        throw this.invalid('after object key:value pair');
      }
    }
  }

  private array(depth: number): Json[] {
    this.i++;
    const out: Json[] = [];
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.text[this.i];
      this.i++;
      if (c === ']') return out;
      if (c !== ',') {
        this.i--;
        throw this.invalid('after array element');
      }
    }
  }

  private string(): string {
    const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(this.text.slice(this.i));
    if (m === null) {
      this.i++;
      throw new ParamsError('query parameters', 'invalid string literal');
    }
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  private number(): NumberText {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.i));
    if (m === null) {
      this.i++;
      throw this.invalid('in numeric literal');
    }
    this.i += m[0].length;
    return new NumberText(m[0]);
  }
}

const GO_TYPE: Record<string, string> = { object: 'array', string: 'string', boolean: 'bool' };

/** A number as InfluxDB converts it: with a `.` a float, otherwise an int64. */
function convertNumber(n: NumberText): number | bigint {
  if (n.text.includes('.')) {
    const v = Number(n.text);
    if (!Number.isFinite(v)) throw new ParamsError('json value', `strconv.ParseFloat: parsing ${JSON.stringify(n.text)}: value out of range`);
    return v;
  }
  if (!/^-?\d+$/.test(n.text)) throw new ParamsError('json value', `strconv.ParseInt: parsing ${JSON.stringify(n.text)}: invalid syntax`);
  const v = BigInt(n.text);
  if (v < INT64_MIN || v > INT64_MAX) throw new ParamsError('json value', `strconv.ParseInt: parsing ${JSON.stringify(n.text)}: value out of range`);
  return v;
}

function convert(v: Json): BoundParameterValue {
  if (v instanceof NumberText) return convertNumber(v);
  if (Array.isArray(v)) return null; // not a bindable value: the parser says so where it is used
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, inner] of Object.entries(v)) out[k] = inner instanceof NumberText ? convertNumber(inner) : inner;
    return out;
  }
  return v;
}

/** Parses a `params` text; an empty text means no parameters. */
export function parseInfluxQLParams(text: string | undefined): Record<string, BoundParameterValue> | undefined {
  if (text === undefined || text === '') return undefined;
  const root = new JsonReader(text).value();
  if (root === null) return undefined;
  if (root instanceof NumberText || typeof root !== 'object' || Array.isArray(root)) {
    const type = root instanceof NumberText ? 'number' : (GO_TYPE[Array.isArray(root) ? 'object' : typeof root] ?? typeof root);
    throw new ParamsError('query parameters', `json: cannot unmarshal ${type} into Go value of type map[string]interface {}`);
  }
  const out: Record<string, BoundParameterValue> = {};
  for (const [k, v] of Object.entries(root)) out[k] = convert(v);
  return out;
}

/**
 * The body of `POST /api/v3/query_influxql`: `{"db", "q", "format", "params"}`, as InfluxDB 3
 * reads it (serde): nothing may follow the object; in `params` a number with a fraction or an
 * exponent is a float, any other an exact integer.
 */
export function parseV3QueryBody(text: string): { db: unknown; q: unknown; format: unknown; params: Record<string, BoundParameterValue> | undefined } {
  const reader = new JsonReader(text);
  const root = reader.value();
  reader.end();
  if (root === null || root instanceof NumberText || typeof root !== 'object' || Array.isArray(root)) {
    throw new ParamsError('query parameters', 'the request body must be a JSON object: {"db", "q", "format", "params"}');
  }
  const plain = (v: Json | undefined): unknown => (v instanceof NumberText ? Number(v.text) : v);
  return { db: plain(root.db), q: plain(root.q), format: plain(root.format), params: v3Params(root.params) };
}

/** The `params` query parameter of `GET /api/v3/query_influxql`, read as InfluxDB 3 reads it. */
export function parseV3Params(text: string | undefined): Record<string, BoundParameterValue> | undefined {
  if (text === undefined || text === '') return undefined;
  const reader = new JsonReader(text);
  const root = reader.value();
  reader.end();
  return v3Params(root);
}

/** InfluxDB 3's reading of a params object: a number with a fraction or an exponent is a float, any other an exact integer. */
function v3Params(raw: Json | undefined): Record<string, BoundParameterValue> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw instanceof NumberText || typeof raw !== 'object' || Array.isArray(raw)) throw new ParamsError('query parameters', 'params must be a JSON object');
  const number = (n: NumberText): number | bigint => (/[.eE]/.test(n.text) ? Number(n.text) : BigInt(n.text));
  const params: Record<string, BoundParameterValue> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v instanceof NumberText) params[k] = number(v);
    else if (Array.isArray(v)) params[k] = null;
    else if (v !== null && typeof v === 'object') {
      const inner: Record<string, unknown> = {};
      for (const [ik, iv] of Object.entries(v)) inner[ik] = iv instanceof NumberText ? number(iv) : iv;
      params[k] = inner;
    } else params[k] = v;
  }
  return params;
}
