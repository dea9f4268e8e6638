import { FieldKind } from '../wal/model.js';
import { EXCERPT_BYTES, LineProtocolError, type LineErrorKind } from './errors.js';
import { FNV_OFFSET, FNV_PRIME, Interner } from './interner.js';
import { SeriesTable } from './series-table.js';

/** Size limits of the parser. */
export interface ParseOptions {
  /** Longest string field value, measurement, key or tag value, in bytes. Default 1 MiB (InfluxDB 3's `large-strings`). */
  maxStringBytes?: number;
  /** Longest line, in bytes. Default 16 MiB. */
  maxLineBytes?: number;
}

/** The kinds of field value line protocol has (a subset of the WAL's field kinds). */
export type FieldValueKind = typeof FieldKind.String | typeof FieldKind.Int64 | typeof FieldKind.UInt64 | typeof FieldKind.Float64 | typeof FieldKind.Boolean;

/**
 * A series key (measurement and tags) as the parser read it: while the parser caches it, every
 * line with the same key bytes gets the same object, so a consumer can keep what it worked out
 * for the series on it ({@link consumerState}).
 */
export class SeriesKey {
  /** The field keys of the last line of this series whose keys had no escapes: lines of a series nearly always repeat them. */
  fieldKeys: FieldKeyTemplate | undefined = undefined;
  /** Lines in a row that had only the first keys of {@link fieldKeys}. */
  fewerFieldLines = 0;
  /** The line consumer's own data for this series (the validator keeps the columns it resolved here). */
  consumerState: unknown = undefined;

  constructor(
    readonly measurement: string,
    readonly tagKeys: readonly string[],
    readonly tagValues: readonly string[],
    /** Escaped newlines inside the key (for physical line numbers). */
    readonly newlines: number,
    /** The key's length in bytes, as written. */
    readonly byteLength: number,
  ) {}
}

/**
 * A line's field keys, in order and all different, with their bytes (none has an escape, so bytes
 * and key are the same text), and the kinds their values usually have.
 */
export class FieldKeyTemplate {
  /** `bytes` read 32 bits at a time. */
  readonly view: DataView<ArrayBufferLike>;
  /**
   * The kind each field's value usually has. Never changed in place: when lines of the series
   * change kinds, a new array replaces it, so a consumer may keep the array and compare identity
   * (a line whose {@link ParsedLine.fieldKinds} is this array has exactly these kinds).
   */
  kinds: readonly FieldValueKind[];
  /** Lines in a row with these keys whose kinds differed from {@link kinds}. */
  otherKindLines = 0;

  constructor(
    readonly keys: readonly string[],
    kinds: readonly FieldValueKind[],
    /** Each key followed by its `=`. */
    readonly bytes: Buffer,
    /** Where key f's bytes start in `bytes`; one more entry for the end. */
    readonly starts: Int32Array,
  ) {
    this.kinds = kinds;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }
}

/**
 * One parsed line, reused for every line of a body (copy what you keep). Names and tag values
 * are interned strings; values are exact (int64/uint64 as bigint when they need it): read them
 * with {@link fieldValue}, or straight from {@link fieldNumbers} and {@link fieldObjects}.
 */
export class ParsedLine {
  /** Physical line number (1-based) where the line starts. */
  lineNumber = 0;
  /** Byte offsets of the line in the body. */
  start = 0;
  end = 0;
  measurement = '';
  tagCount = 0;
  /** The tag keys and values (the first {@link tagCount}): a cached series' own arrays, or the parser's. */
  tagKeys: readonly string[] = [];
  tagValues: readonly string[] = [];
  fieldCount = 0;
  /** The field keys and kinds (the first {@link fieldCount}): a field template's own arrays (see {@link FieldKeyTemplate.kinds}), or the parser's. */
  fieldKeys: readonly string[] = [];
  fieldKinds: readonly FieldValueKind[] = [];
  /**
   * Numeric values by field: floats, int64 and uint64 up to 15 digits (exact as numbers), booleans
   * as 1 or 0. Grown as lines need (read it after the line arrives, not before).
   */
  fieldNumbers = new Float64Array(16);
  /** By field: the string of a string field, the bigint of an int64 or uint64 of more than 15 digits, else undefined. */
  readonly fieldObjects: Array<string | bigint | undefined> = new Array<string | bigint | undefined>(16).fill(undefined);
  /** The timestamp as written (unscaled), or undefined when the line has none. */
  timestamp: bigint | undefined = undefined;
  /** The line's series key, or undefined when the parser does not cache it (too long, or escapes it does not keep). */
  series: SeriesKey | undefined = undefined;
  /** Whether the line's field keys are exactly its series' {@link SeriesKey.fieldKeys}, in order, and no more. */
  hasTemplateFields = false;

  /** Field f's value: int64 and uint64 are numbers when exact (up to 15 digits), else bigints. */
  fieldValue(f: number): string | bigint | number | boolean {
    const kind = this.fieldKinds[f];
    if (kind === FieldKind.Float64) return this.fieldNumbers[f]!;
    if (kind === FieldKind.Boolean) return this.fieldNumbers[f] !== 0;
    return this.fieldObjects[f] ?? this.fieldNumbers[f]!;
  }

  /** Every field's value, as {@link fieldValue} gives it (a new array each time). */
  get fieldValues(): Array<string | bigint | number | boolean> {
    const values: Array<string | bigint | number | boolean> = [];
    for (let f = 0; f < this.fieldCount; f++) values.push(this.fieldValue(f));
    return values;
  }
}

/** Receives each line of a body: a parsed line (reused; copy what you keep) or its error. */
export interface LineSink {
  line(line: ParsedLine): void;
  error(error: LineProtocolError): void;
}

const BACKSLASH = 0x5c;
const SPACE = 0x20;
const TAB = 0x09;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
const CR = 0x0d;
const HASH = 0x23;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

const I64_MAX = (1n << 63n) - 1n;
/** 10^0 … 10^22: every one exact in a double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
const U64_MAX = (1n << 64n) - 1n;

class LineFailure {
  constructor(
    readonly kind: LineErrorKind,
    readonly detail: string,
  ) {}
}

function fail(kind: LineErrorKind, detail: string): never {
  throw new LineFailure(kind, detail);
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= ZERO && b <= NINE;
}

/**
 * Finds where the line starting at `i` ends: at a newline that is not escaped and not inside a
 * quoted field string (the same heuristic as InfluxDB's Go scanner: quotes count only in the
 * field section, and only after a `=` that is not a tag's).
 */
function scanLineEnd(buf: Buffer, i: number): number {
  const n = buf.length;
  let isQuoted = false;
  let inFields = false;
  let equals = 0;
  let commas = 0;
  while (i < n) {
    const b = buf[i]!;
    if (b === BACKSLASH && i + 1 < n) {
      i += 2;
      continue;
    }
    if (b === SPACE) inFields = true;
    if (inFields) {
      if (!isQuoted && b === EQUALS) {
        equals++;
        i++;
        continue;
      }
      if (!isQuoted && b === COMMA) {
        commas++;
        i++;
        continue;
      }
      if (b === QUOTE && equals > commas) {
        isQuoted = !isQuoted;
        i++;
        continue;
      }
    }
    if (b === NEWLINE && !isQuoted) return i;
    i++;
  }
  return n;
}

/**
 * A byte-level line-protocol parser: no string splitting of the body, one interned string per
 * distinct name. Bad lines become LineProtocolErrors with their physical line number; the other
 * lines still parse.
 */
export class LineProtocolParser {
  private readonly interner = new Interner();
  private readonly maxStringBytes: number;
  private readonly maxLineBytes: number;
  private readonly scratch = new ParsedLine();
  /** The tag keys and values of a line whose series is not cached. */
  private readonly tagKeys: string[] = [];
  private readonly tagValues: string[] = [];
  /** The field keys and kinds of a line that are not exactly a template's. */
  private readonly fieldKeys: string[] = [];
  private readonly fieldKinds: FieldValueKind[] = [];
  /** How many of the current line's first fields its series' template matched (their key bytes are the template's). */
  private templateFieldsRead = 0;
  /** The scratch line's first fields among which one may still hold an object (a string or bigint) from the line before: cleared when the next line starts, so number fields need not clear theirs. */
  private objectFields = 0;
  /** Counts the lines parsed: tells {@link duplicates} which line it holds. */
  private lineSerial = 0;
  private readonly duplicates = new DuplicateKeys();
  /** Parsed series keys by their exact bytes. */
  private readonly series = new SeriesTable<SeriesKey>(MAX_CACHED_SERIES);
  /** Where each field key of the current line starts and ends in the body (field f at 2f and 2f + 1), and whether one had escapes: for its series' template. */
  private keySpans = new Int32Array(32);
  private hasEscapedKey = false;
  /** Per field position, where the last unescaped key there sat (in this body) and its string. */
  private readonly fieldKeyTemplates: Array<{ buf: Buffer; start: number; length: number; key: string } | undefined> = [];
  private lastNameHadEscapes = false;
  /**
   * Whether the last name read holds a NUL byte: refused in tag and string values, because the
   * SQL engine takes strings as C strings — it would cut them at the NUL (and two tag values that
   * differ only after it would collide). Names with one are refused by the catalog (a control character).
   */
  private lastNameHadNul = false;
  private unescapeBuf = Buffer.allocUnsafe(1024);
  private buf: Buffer = Buffer.alloc(0);
  /** The body, to compare its bytes 32 bits at a time (unaligned). */
  private bodyView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private pos = 0;
  private end = 0;
  /** Newlines inside the current line (quoted strings, escaped newlines): for physical numbering. */
  private newlinesInLine = 0;
  /** The last timestamp's bytes and value: time-major bodies repeat one timestamp for many lines. */
  private lastTimestampStart = -1;
  private lastTimestampLength = 0;
  private lastTimestampBuf: Buffer | undefined;
  private lastTimestamp = 0n;

  constructor(options: ParseOptions = {}) {
    this.maxStringBytes = options.maxStringBytes ?? 1024 * 1024;
    this.maxLineBytes = options.maxLineBytes ?? 16 * 1024 * 1024;
  }

  /** Parses a whole body, handing each line or error to the sink, in order. */
  parse(body: Buffer, sink: LineSink): void {
    const buf = body;
    const n = buf.length;
    this.buf = buf;
    this.bodyView = new DataView(buf.buffer, buf.byteOffset, n);
    this.end = n;
    this.lastTimestampBuf = undefined; // a caller may reuse its buffer with other bytes
    this.fieldKeyTemplates.length = 0;
    this.series.setBody(buf);
    let i = 0;
    let lineNumber = 1;
    const line = this.scratch;
    while (i < n) {
      // leading blanks, blank lines and comments
      let s = i;
      while (s < n && (buf[s] === SPACE || buf[s] === TAB)) s++;
      if (s >= n) break;
      const first = buf[s]!;
      if (first === NEWLINE || (first === CR && (s + 1 >= n || buf[s + 1] === NEWLINE))) {
        i = first === CR ? s + 2 : s + 1;
        lineNumber++;
        continue;
      }
      if (first === HASH) {
        let e = s;
        while (e < n && buf[e] !== NEWLINE) e++;
        i = e + 1;
        lineNumber++;
        continue;
      }
      this.newlinesInLine = 0;
      let lineEnd: number;
      try {
        this.pos = s;
        line.lineNumber = lineNumber;
        line.start = s;
        this.parseLine(line);
        lineEnd = this.pos; // at the newline, a CR before it, or the end of the body
        if (lineEnd - s > this.maxLineBytes) fail('too-large', `line is ${lineEnd - s} bytes, larger than the limit of ${this.maxLineBytes}`);
        line.end = lineEnd;
        if (buf[lineEnd] === CR) lineEnd++;
      } catch (err) {
        if (!(err instanceof LineFailure)) throw err;
        // Recover where InfluxDB's scanner says this line ends, and count its newlines.
        lineEnd = scanLineEnd(buf, s);
        let newlines = 0;
        for (let k = s; k < lineEnd; k++) if (buf[k] === NEWLINE) newlines++;
        let e = lineEnd;
        if (e > s && buf[e - 1] === CR) e--;
        sink.error(new LineProtocolError(err.kind, lineNumber, excerpt(buf, s, e), err.detail));
        i = lineEnd + 1;
        lineNumber += 1 + newlines;
        continue;
      }
      sink.line(line);
      i = lineEnd + 1;
      lineNumber += 1 + this.newlinesInLine;
    }
  }

  /** Whether the line ends at `i`: a newline, a CR before a newline or the body's end, or the end. */
  private isLineEnd(i: number): boolean {
    if (i >= this.end) return true;
    const b = this.buf[i]!;
    return b === NEWLINE || (b === CR && (i + 1 >= this.end || this.buf[i + 1] === NEWLINE));
  }

  private parseLine(line: ParsedLine): void {
    if (this.objectFields !== 0) {
      for (let f = 0; f < this.objectFields; f++) line.fieldObjects[f] = undefined;
      this.objectFields = 0;
    }
    line.fieldCount = 0;
    line.timestamp = undefined;
    line.series = undefined;
    line.hasTemplateFields = false;
    this.lineSerial++;
    const buf = this.buf;
    // The series key (measurement and tags) repeats line after line: look its bytes up whole.
    // It ends at the first space not escaped by an odd run of backslashes.
    const seriesStart = this.pos;
    // Usually the series that followed the previous line's last time, and a space after its bytes:
    // then the key ends there (the same bytes end at the same unescaped space).
    let cached = this.series.getNext(buf, seriesStart, SPACE);
    let seriesEnd: number;
    let isCacheable = true;
    if (cached !== undefined) seriesEnd = seriesStart + cached.byteLength;
    else {
      seriesEnd = buf.indexOf(SPACE, seriesStart);
      while (seriesEnd > seriesStart && seriesEnd - seriesStart <= MAX_CACHED_SERIES_KEY) {
        let slashes = 0;
        for (let k = seriesEnd - 1; k >= seriesStart && buf[k] === BACKSLASH; k--) slashes++;
        if ((slashes & 1) === 0) break;
        seriesEnd = buf.indexOf(SPACE, seriesEnd + 1);
      }
      isCacheable = seriesEnd > seriesStart && seriesEnd - seriesStart <= MAX_CACHED_SERIES_KEY;
      cached = isCacheable ? this.series.get(buf, seriesStart, seriesEnd) : undefined;
    }
    if (cached !== undefined) {
      line.measurement = cached.measurement;
      line.tagKeys = cached.tagKeys;
      line.tagValues = cached.tagValues;
      line.tagCount = cached.tagKeys.length;
      line.series = cached;
      this.newlinesInLine += cached.newlines;
      this.pos = seriesEnd;
    } else {
      const newlinesBefore = this.newlinesInLine;
      line.measurement = this.readName('measurement');
      line.tagKeys = this.tagKeys;
      line.tagValues = this.tagValues;
      line.tagCount = 0;
      if (buf[this.pos] === COMMA) {
        this.pos++;
        this.readTags(line);
      }
      if (isCacheable && this.pos === seriesEnd) {
        const entry = new SeriesKey(line.measurement, line.tagKeys.slice(0, line.tagCount), line.tagValues.slice(0, line.tagCount), this.newlinesInLine - newlinesBefore, seriesEnd - seriesStart);
        this.series.set(buf, seriesStart, seriesEnd, entry);
        line.series = entry;
      }
    }
    if (this.isLineEnd(this.pos)) fail('field', 'No fields were provided');
    if (buf[this.pos] !== SPACE) fail('measurement', 'Invalid measurement was provided');
    this.skipSpaces();
    if (this.isLineEnd(this.pos)) fail('field', 'No fields were provided');
    this.hasEscapedKey = false;
    this.templateFieldsRead = 0;
    const template = line.series?.fieldKeys;
    const fieldsRead = template === undefined ? MORE_FIELDS : this.readTemplateFields(line, template);
    if (fieldsRead === MORE_FIELDS) {
      line.fieldKeys = this.fieldKeys;
      line.fieldKinds = this.fieldKinds;
      this.readFields(line);
    }
    else line.hasTemplateFields = fieldsRead === TEMPLATE_FIELDS;
    if (!this.isLineEnd(this.pos)) {
      if (buf[this.pos] !== SPACE) this.trailing();
      this.skipSpaces();
      if (!this.isLineEnd(this.pos)) {
        line.timestamp = this.readTimestamp();
        this.skipSpaces();
        if (!this.isLineEnd(this.pos)) this.trailing();
      }
    }
    const series = line.series;
    if (series === undefined) return;
    if (line.hasTemplateFields) series.fewerFieldLines = 0;
    // A line with fewer fields than its series' template keeps the template (when full lines come
    // between, each would rebuild it again), unless the lines before it had fewer too.
    else if (!this.hasEscapedKey && (fieldsRead !== FEWER_FIELDS || ++series.fewerFieldLines >= FEWER_FIELD_LINES_TO_REBUILD)) {
      const rebuilt = this.templateOf(line, template);
      series.fieldKeys = rebuilt;
      series.fewerFieldLines = 0;
      line.hasTemplateFields = true;
      line.fieldKeys = rebuilt.keys;
      line.fieldKinds = rebuilt.kinds;
    }
  }

  /**
   * The current line's field keys as a template for the next lines of its series: the first
   * {@link templateFieldsRead} keys are the old template's (their bytes too), the rest were read
   * by readFields (their places in {@link keySpans}).
   */
  private templateOf(line: ParsedLine, old: FieldKeyTemplate | undefined): FieldKeyTemplate {
    const count = line.fieldCount;
    const fromOld = old === undefined ? 0 : Math.min(this.templateFieldsRead, count);
    const spans = this.keySpans;
    const starts = new Int32Array(count + 1);
    let total = 0;
    for (let f = 0; f < count; f++) {
      starts[f] = total;
      total += f < fromOld ? old!.starts[f + 1]! - old!.starts[f]! : spans[2 * f + 1]! - spans[2 * f]! + 1;
    }
    starts[count] = total;
    const bytes = Buffer.allocUnsafe(total);
    // each key with the `=` after it (every field read has one)
    if (fromOld > 0) old!.bytes.copy(bytes, 0, 0, old!.starts[fromOld]!);
    for (let f = fromOld; f < count; f++) this.buf.copy(bytes, starts[f]!, spans[2 * f]!, spans[2 * f + 1]! + 1);
    return new FieldKeyTemplate(line.fieldKeys.slice(0, count), line.fieldKinds.slice(0, count), bytes, starts);
  }

  /** Room for field `index` in the line's and the parser's per-field arrays. */
  private ensureFieldCapacity(line: ParsedLine, index: number): void {
    if (index < line.fieldNumbers.length) return;
    const size = Math.max(16, (index + 1) * 2);
    const numbers = new Float64Array(size);
    numbers.set(line.fieldNumbers);
    line.fieldNumbers = numbers;
    const spans = new Int32Array(2 * size);
    spans.set(this.keySpans);
    this.keySpans = spans;
    while (line.fieldObjects.length < size) line.fieldObjects.push(undefined);
  }

  /**
   * Reads the fields while their keys are the template's, byte for byte: no key hashing, and no
   * duplicate check (the template's keys are all different). Returns whether the line's keys were
   * exactly the template's (TEMPLATE_FIELDS), ended before its last key (FEWER_FIELDS), or go on
   * with a key the template does not have there (MORE_FIELDS: readFields reads the rest, into the
   * parser's arrays). While the values also have the template's kinds, the line's keys and kinds
   * are the template's own arrays (nothing is copied, and a consumer can tell the kinds by the
   * array); from the first value of another kind on they are the parser's.
   */
  private readTemplateFields(line: ParsedLine, template: FieldKeyTemplate): number {
    const buf = this.buf;
    const end = this.end;
    const bodyView = this.bodyView;
    const starts = template.starts;
    const keys = template.keys;
    const kinds = template.kinds;
    const count = keys.length;
    if (count > line.fieldNumbers.length) this.ensureFieldCapacity(line, count);
    line.fieldKeys = keys;
    line.fieldKinds = kinds;
    let hasOtherKinds = false;
    let pos = this.pos;
    for (let f = 0; f < count; f++) {
      const from = starts[f]!;
      const length = starts[f + 1]! - from; // the key and its `=`
      if (pos + length > end || !sameBytes(bodyView, pos, template.view, from, length)) {
        this.pos = pos;
        line.fieldCount = f;
        this.templateFieldsRead = f;
        this.ownFields(line, template, f, hasOtherKinds);
        return MORE_FIELDS;
      }
      pos += length;
      const kind = kinds[f]!;
      const valueEnd = kind === FieldKind.Int64 ? this.readTemplateInteger(line, f, pos) : -1;
      if (valueEnd !== -1) {
        pos = valueEnd;
        if (hasOtherKinds) this.fieldKinds[f] = kind;
      } else {
        this.pos = pos;
        if (!this.readSimpleNumber(line, f)) this.readFieldValue(line, f, keys[f]!);
        pos = this.pos;
        if (!hasOtherKinds && this.fieldKinds[f] !== kind) {
          this.ownFields(line, template, f, false);
          hasOtherKinds = true;
        }
      }
      if (hasOtherKinds) this.fieldKeys[f] = keys[f]!;
      if (pos < end && buf[pos] === COMMA) {
        pos++;
        continue;
      }
      this.pos = pos;
      line.fieldCount = f + 1;
      this.templateFieldsRead = f + 1;
      if (f + 1 !== count) return FEWER_FIELDS;
      if (!hasOtherKinds) {
        if (template.otherKindLines !== 0) template.otherKindLines = 0;
      } else if (++template.otherKindLines >= OTHER_KIND_LINES_TO_ADOPT) {
        // the series now writes these kinds: they become the template's
        template.kinds = this.fieldKinds.slice(0, count);
        template.otherKindLines = 0;
        line.fieldKinds = template.kinds;
      }
      return TEMPLATE_FIELDS;
    }
    this.pos = pos;
    line.fieldCount = count;
    this.templateFieldsRead = count;
    this.ownFields(line, template, count, hasOtherKinds);
    return MORE_FIELDS;
  }

  /** Moves the line's first `count` field keys and kinds (the template's) into the parser's arrays, for the line to go on in them. */
  private ownFields(line: ParsedLine, template: FieldKeyTemplate, count: number, hasKinds: boolean): void {
    const keys = this.fieldKeys;
    const kinds = this.fieldKinds;
    for (let f = 0; f < count; f++) keys[f] = template.keys[f]!;
    if (!hasKinds) for (let f = 0; f < count; f++) kinds[f] = template.kinds[f]!;
    line.fieldKeys = keys;
    line.fieldKinds = kinds;
  }

  /**
   * An int64 field as its template expects it at `pos`: `-?\d{1,15}i`, then a `,`, a space or the
   * line's end; the same value readSimpleNumber gives. Returns where the value ends, or -1 (with
   * nothing changed) for anything else.
   */
  private readTemplateInteger(line: ParsedLine, index: number, pos: number): number {
    const buf = this.buf;
    const end = this.end;
    let i = pos;
    const isNegative = i < end && buf[i] === MINUS;
    if (isNegative) i++;
    const digitsStart = i;
    let mantissa = 0;
    while (i < end) {
      const b = buf[i]!;
      if (b < ZERO || b > NINE) break;
      mantissa = mantissa * 10 + (b - ZERO);
      i++;
    }
    const digits = i - digitsStart;
    if (digits === 0 || digits > 15 || i >= end || buf[i] !== 0x69 /* i */) return -1;
    i++;
    if (i < end) {
      const b = buf[i]!;
      if (b !== COMMA && b !== SPACE && b !== NEWLINE && !(b === CR && (i + 1 >= end || buf[i + 1] === NEWLINE))) return -1;
    }
    line.fieldNumbers[index] = isNegative ? -mantissa : mantissa;
    return i;
  }

  /**
   * The usual numbers in one pass: `12i`, `-3i`, `7u`, `12.5`, `-0.25`, `42` — up to 15 digits,
   * then a `,`, a space or the line's end. Anything else returns false with nothing changed, and
   * readFieldValue reads it (its errors included). A float here is digits ÷ 10^fraction digits,
   * both exact doubles: one correctly rounded division, so exactly Number(text) (parseFloat's fast
   * path, of which this is the part without an exponent).
   */
  private readSimpleNumber(line: ParsedLine, index: number): boolean {
    const buf = this.buf;
    const end = this.end;
    let i = this.pos;
    const isNegative = i < end && buf[i] === MINUS;
    if (isNegative) i++;
    const digitsStart = i;
    let mantissa = 0;
    while (i < end) {
      const b = buf[i]!;
      if (b < ZERO || b > NINE) break;
      mantissa = mantissa * 10 + (b - ZERO);
      i++;
    }
    const intDigits = i - digitsStart;
    if (intDigits === 0 || intDigits > 15) return false;
    let kind: FieldValueKind;
    let value: number;
    const next = i < end ? buf[i]! : NEWLINE;
    if (next === 0x69 /* i */ || (next === 0x75 /* u */ && !isNegative)) {
      kind = next === 0x69 ? FieldKind.Int64 : FieldKind.UInt64;
      value = isNegative ? -mantissa : mantissa;
      i++;
    } else {
      let fractionDigits = 0;
      if (next === 0x2e /* . */) {
        i++;
        const fractionStart = i;
        while (i < end) {
          const b = buf[i]!;
          if (b < ZERO || b > NINE) break;
          mantissa = mantissa * 10 + (b - ZERO);
          i++;
        }
        fractionDigits = i - fractionStart;
        if (fractionDigits === 0 || intDigits + fractionDigits > 15) return false;
      }
      kind = FieldKind.Float64;
      value = fractionDigits === 0 ? mantissa * POWERS_OF_TEN[0]! : mantissa / POWERS_OF_TEN[fractionDigits]!;
      if (isNegative) value = -value;
    }
    if (i < end) {
      const b = buf[i]!;
      if (b !== COMMA && b !== SPACE && b !== NEWLINE && !(b === CR && (i + 1 >= end || buf[i + 1] === NEWLINE))) return false;
    }
    this.fieldKinds[index] = kind;
    line.fieldNumbers[index] = value;
    this.pos = i;
    return true;
  }

  private trailing(): never {
    let e = this.pos;
    while (!this.isLineEnd(e) && e < this.pos + 11) e++;
    const rest = this.buf.toString('utf8', this.pos, Math.min(e, this.pos + 10));
    fail('trailing-content', `Could not parse entire line. Found trailing content: \`${rest}${e - this.pos > 10 ? '...' : ''}\``);
  }

  private skipSpaces(): void {
    const buf = this.buf;
    while (this.pos < this.end && buf[this.pos] === SPACE) this.pos++;
  }

  /**
   * Reads a measurement, tag key, tag value or field key: up to an unescaped `,`, `=` (not for
   * the measurement) or space. Escapes `\,` `\=` `\ ` `\\` drop the backslash; any other
   * backslash is kept as written.
   */
  private readName(what: 'measurement' | 'tag key' | 'tag value' | 'field key'): string {
    const buf = this.buf;
    const start = this.pos;
    const end = this.end;
    const isMeasurement = what === 'measurement';
    let hasEscapes = false;
    let hasNul = false;
    let h = FNV_OFFSET;
    let isAscii = true;
    let i = start;
    while (i < end) {
      const b = buf[i]!;
      if (b === BACKSLASH) {
        if (i + 1 >= end) fail(what === 'measurement' ? 'measurement' : what.startsWith('tag') ? 'tag' : 'field', `${what} ends with a backslash`);
        if (buf[i + 1] === NEWLINE) this.newlinesInLine++;
        else if (buf[i + 1] === 0) hasNul = true; // `\` then NUL keeps both
        hasEscapes = true;
        i += 2;
        continue;
      }
      if (b === COMMA || b === SPACE || (b === EQUALS && !isMeasurement)) break;
      if (b === NEWLINE) break;
      if (b > 0x7f) isAscii = false;
      else if (b === 0) hasNul = true;
      h = Math.imul(h ^ b, FNV_PRIME);
      i++;
    }
    this.pos = i;
    if (i === start) {
      if (isMeasurement) fail('measurement', 'Invalid measurement was provided');
      fail(what.startsWith('tag') ? 'tag' : 'field', `missing ${what}`);
    }
    if (i - start > this.maxStringBytes) fail('too-large', `${what} is longer than ${this.maxStringBytes} bytes`);
    this.lastNameHadEscapes = hasEscapes;
    this.lastNameHadNul = hasNul;
    if (!hasEscapes) return this.interner.internHashed(buf, start, i, h, isAscii);
    const out = this.unescapeInto(start, i, isMeasurement);
    if (out === 0) fail(isMeasurement ? 'measurement' : 'tag', `empty ${what}`);
    return this.interner.intern(this.unescapeBuf, 0, out);
  }

  private unescapeInto(start: number, end: number, isMeasurement: boolean): number {
    if (this.unescapeBuf.length < end - start) this.unescapeBuf = Buffer.allocUnsafe(Math.max(end - start, this.unescapeBuf.length * 2));
    const out = this.unescapeBuf;
    const buf = this.buf;
    let o = 0;
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      if (b === BACKSLASH && i + 1 < end) {
        const next = buf[i + 1]!;
        if (next === COMMA || next === SPACE || next === BACKSLASH || (next === EQUALS && !isMeasurement)) {
          out[o++] = next;
          i++;
          continue;
        }
      }
      out[o++] = b;
    }
    return o;
  }

  private readTags(line: ParsedLine): void {
    const buf = this.buf;
    for (;;) {
      const key = this.readName('tag key');
      if (buf[this.pos] !== EQUALS) fail('tag', `tag key \`${key}\` has no value`);
      this.pos++;
      if (this.pos >= this.end || buf[this.pos] === SPACE || buf[this.pos] === COMMA) fail('tag', `tag \`${key}\` has an empty value`);
      const value = this.readName('tag value');
      if (this.lastNameHadNul) fail('tag', `tag value of \`${key}\` contains a NUL byte, which Sluice cannot store`);
      if (this.duplicates.has(this.lineSerial, this.tagKeys, line.tagCount, key)) fail('duplicate-tag', `duplicate tag key \`${key}\``);
      this.tagKeys[line.tagCount] = key;
      this.tagValues[line.tagCount] = value;
      line.tagCount++;
      if (buf[this.pos] === EQUALS) fail('tag', `tag value of \`${key}\` has an unescaped =`);
      if (buf[this.pos] === COMMA) {
        this.pos++;
        continue;
      }
      if (this.pos >= this.end) fail('field', 'No fields were provided');
      return; // a space: the field set follows
    }
  }

  private readFields(line: ParsedLine): void {
    const buf = this.buf;
    const templates = this.fieldKeyTemplates;
    for (;;) {
      const index = line.fieldCount;
      if (index >= line.fieldNumbers.length) this.ensureFieldCapacity(line, index);
      // Lines usually repeat the previous line's field keys: compare bytes against it first.
      const start = this.pos;
      let key: string | undefined;
      const template = templates[index];
      if (template !== undefined && template.buf === buf) {
        const length = template.length;
        if (start + length < this.end && buf[start + length] === EQUALS) {
          const from = template.start;
          let k = 0;
          while (k < length && buf[start + k] === buf[from + k]) k++;
          if (k === length) {
            key = template.key;
            this.pos = start + length;
          }
        }
      }
      if (key === undefined) {
        key = this.readName('field key');
        if (!this.lastNameHadEscapes) templates[index] = { buf, start, length: this.pos - start, key };
        else this.hasEscapedKey = true;
      }
      this.keySpans[2 * index] = start;
      this.keySpans[2 * index + 1] = this.pos;
      if (buf[this.pos] !== EQUALS) fail('field', `field key \`${key}\` has no value`);
      this.pos++;
      if (this.duplicates.has(this.lineSerial, this.fieldKeys, line.fieldCount, key)) fail('duplicate-field', `invalid line protocol - multiple instances of '${key}' field found`);
      this.fieldKeys[index] = key;
      if (!this.readSimpleNumber(line, index)) this.readFieldValue(line, index, key);
      line.fieldCount++;
      if (this.pos < this.end && buf[this.pos] === COMMA) {
        this.pos++;
        continue;
      }
      return;
    }
  }

  /** Where the current field value ends: the next `,` or space. */
  private valueEnd(): number {
    const buf = this.buf;
    let i = this.pos;
    while (i < this.end && buf[i] !== COMMA && buf[i] !== SPACE && !this.isLineEnd(i)) i++;
    return i;
  }

  private readFieldValue(line: ParsedLine, index: number, key: string): void {
    const buf = this.buf;
    const start = this.pos;
    if (start >= this.end) fail('field-value', `field \`${key}\` has no value`);
    const first = buf[start]!;
    if (first === QUOTE) {
      this.fieldKinds[index] = FieldKind.String;
      line.fieldObjects[index] = this.readStringValue(key);
      if (index >= this.objectFields) this.objectFields = index + 1;
      return;
    }
    const end = this.valueEnd();
    this.pos = end;
    if (end === start) fail('field-value', `field \`${key}\` has no value`);
    const last = buf[end - 1]!;
    if (isDigit(first) || first === MINUS || first === 0x2e /* . */) {
      if (last === 0x69 /* i */ || last === 0x75 /* u */) {
        const value = this.parseInteger(start, end - 1, last === 0x69, key);
        this.fieldKinds[index] = last === 0x69 ? FieldKind.Int64 : FieldKind.UInt64;
        if (typeof value === 'number') {
          line.fieldNumbers[index] = value;
          line.fieldObjects[index] = undefined;
        } else {
          line.fieldObjects[index] = value;
          if (index >= this.objectFields) this.objectFields = index + 1;
        }
        return;
      }
      this.fieldKinds[index] = FieldKind.Float64;
      line.fieldNumbers[index] = this.parseFloat(start, end, key);
      return;
    }
    const length = end - start;
    let value: boolean | undefined;
    if (length === 1) {
      if (first === 0x74 || first === 0x54) value = true; // t T
      else if (first === 0x66 || first === 0x46) value = false; // f F
    } else {
      const word = buf.toString('latin1', start, end);
      if (word === 'true' || word === 'True' || word === 'TRUE') value = true;
      else if (word === 'false' || word === 'False' || word === 'FALSE') value = false;
    }
    if (value === undefined) fail('field-value', `invalid field value \`${clip(buf.toString('utf8', start, end))}\` for field \`${key}\``);
    this.fieldKinds[index] = FieldKind.Boolean;
    line.fieldNumbers[index] = value ? 1 : 0;
  }

  /** Reads `"…"`: `\"` and `\\` are unescaped, any other backslash kept; newlines allowed. */
  private readStringValue(key: string): string {
    const buf = this.buf;
    const start = this.pos + 1;
    let hasEscapes = false;
    let hasNul = false;
    let i = start;
    for (;;) {
      if (i >= this.end) fail('field-value', `unterminated string value for field \`${key}\``);
      const b = buf[i]!;
      if (b === BACKSLASH && i + 1 < this.end) {
        const next = buf[i + 1]!;
        if (next === QUOTE || next === BACKSLASH) {
          hasEscapes = true;
          i += 2;
          continue;
        }
      }
      if (b === QUOTE) break;
      if (b === NEWLINE) this.newlinesInLine++;
      else if (b === 0) hasNul = true;
      i++;
    }
    this.pos = i + 1;
    if (!this.isLineEnd(this.pos) && buf[this.pos] !== COMMA && buf[this.pos] !== SPACE) fail('field-value', `unexpected content after the string value of field \`${key}\``);
    if (i - start > this.maxStringBytes) fail('too-large', `String is greater than ${this.maxStringBytes} bytes (field \`${key}\`)`);
    if (hasNul) fail('field-value', `string value of field \`${key}\` contains a NUL byte, which Sluice cannot store`);
    if (!hasEscapes) return buf.toString('utf8', start, i);
    if (this.unescapeBuf.length < i - start) this.unescapeBuf = Buffer.allocUnsafe(Math.max(i - start, this.unescapeBuf.length * 2));
    const out = this.unescapeBuf;
    let o = 0;
    for (let k = start; k < i; k++) {
      const b = buf[k]!;
      if (b === BACKSLASH && k + 1 < i && (buf[k + 1] === QUOTE || buf[k + 1] === BACKSLASH)) {
        out[o++] = buf[k + 1]!;
        k++;
        continue;
      }
      out[o++] = b;
    }
    return out.toString('utf8', 0, o);
  }

  /** `-?\d+` (signed) or `\d+` (unsigned), exact, range-checked: a number up to 15 digits, else a bigint. */
  private parseInteger(start: number, end: number, isSigned: boolean, key: string): number | bigint {
    const buf = this.buf;
    let i = start;
    const isNegative = buf[i] === MINUS;
    if (isNegative) {
      if (!isSigned) this.badNumber(start, end + 1, isSigned ? 'integer' : 'unsigned integer', key);
      i++;
    }
    if (i >= end) this.badNumber(start, end + 1, isSigned ? 'integer' : 'unsigned integer', key);
    let small = 0;
    for (let k = i; k < end; k++) {
      const b = buf[k]!;
      if (b < ZERO || b > NINE) this.badNumber(start, end + 1, isSigned ? 'integer' : 'unsigned integer', key);
      small = small * 10 + (b - ZERO);
    }
    if (end - i <= 15) return isNegative ? -small : small;
    const v = BigInt(buf.toString('latin1', start, end));
    if (isSigned ? v > I64_MAX || v < -(1n << 63n) : v > U64_MAX) this.badNumber(start, end + 1, isSigned ? 'integer' : 'unsigned integer', key);
    return v;
  }

  /**
   * `-?\d+(\.\d+)?([eE][+-]?\d+)?`: no `1.`, no `.5`, no NaN or infinities. Up to 15 significant
   * digits and an exponent within ±22, the value is exact digits × or ÷ an exact power of ten —
   * one correctly rounded operation (Clinger's fast path); anything longer goes to Number().
   */
  private parseFloat(start: number, end: number, key: string): number {
    const buf = this.buf;
    let i = start;
    const isNegative = buf[i] === MINUS;
    if (isNegative) i++;
    let mantissa = 0;
    let digits = 0;
    let fractionDigits = 0;
    const intStart = i;
    while (i < end && isDigit(buf[i])) {
      mantissa = mantissa * 10 + (buf[i]! - ZERO);
      if (mantissa !== 0) digits++;
      i++;
    }
    if (i === intStart) this.badNumber(start, end, 'float', key);
    if (i < end && buf[i] === 0x2e) {
      i++;
      const fracStart = i;
      while (i < end && isDigit(buf[i])) {
        mantissa = mantissa * 10 + (buf[i]! - ZERO);
        if (mantissa !== 0) digits++;
        fractionDigits++;
        i++;
      }
      if (i === fracStart) this.badNumber(start, end, 'float', key);
    }
    let exponent = 0;
    if (i < end && (buf[i] === 0x65 || buf[i] === 0x45)) {
      i++;
      let isExpNegative = false;
      if (i < end && (buf[i] === 0x2b || buf[i] === MINUS)) {
        isExpNegative = buf[i] === MINUS;
        i++;
      }
      const expStart = i;
      while (i < end && isDigit(buf[i])) {
        if (exponent < 100_000) exponent = exponent * 10 + (buf[i]! - ZERO);
        i++;
      }
      if (i === expStart) this.badNumber(start, end, 'float', key);
      if (isExpNegative) exponent = -exponent;
    }
    if (i !== end) this.badNumber(start, end, 'float', key);
    const scale = exponent - fractionDigits;
    let v: number;
    if (digits <= 15 && scale >= -22 && scale <= 22) {
      v = scale < 0 ? mantissa / POWERS_OF_TEN[-scale]! : mantissa * POWERS_OF_TEN[scale]!;
      if (isNegative) v = -v;
    } else {
      v = Number(buf.toString('latin1', start, end));
    }
    if (!Number.isFinite(v)) this.badNumber(start, end, 'float', key);
    return v;
  }

  private badNumber(start: number, end: number, what: string, key: string): never {
    fail('field-value', `Unable to parse ${what} value \`${clip(this.buf.toString('utf8', start, Math.min(end, this.end)))}\` for field \`${key}\``);
  }

  private readTimestamp(): bigint {
    const buf = this.buf;
    const start = this.pos;
    // The bytes of the last timestamp again, then the line's end or a space: the same timestamp.
    const lastLength = this.lastTimestampLength;
    if (
      this.lastTimestampBuf === buf &&
      start + lastLength <= this.end &&
      sameBytes(this.bodyView, start, this.bodyView, this.lastTimestampStart, lastLength) &&
      (buf[start + lastLength] === SPACE || this.isLineEnd(start + lastLength))
    ) {
      this.pos = start + lastLength;
      return this.lastTimestamp;
    }
    let i = start;
    if (buf[i] === MINUS) i++;
    const digitsStart = i;
    while (i < this.end && isDigit(buf[i])) i++;
    if (i === digitsStart || (!this.isLineEnd(i) && buf[i] !== SPACE)) this.badTimestamp(start);
    this.pos = i;
    const length = i - start;
    const digits = i - digitsStart;
    let v: bigint;
    if (digits <= 15) {
      let small = 0;
      for (let k = digitsStart; k < i; k++) small = small * 10 + (buf[k]! - ZERO);
      v = BigInt(start !== digitsStart ? -small : small);
    } else if (digits <= 24) {
      // high and low parts as exact doubles, joined once as bigints
      let high = 0;
      for (let k = digitsStart; k < i - 9; k++) high = high * 10 + (buf[k]! - ZERO);
      let low = 0;
      for (let k = i - 9; k < i; k++) low = low * 10 + (buf[k]! - ZERO);
      v = digits - 9 <= 15 ? BigInt(high) * 1_000_000_000n + BigInt(low) : BigInt(buf.toString('latin1', digitsStart, i));
      if (start !== digitsStart) v = -v;
      if (v > I64_MAX || v < -(1n << 63n)) this.badTimestamp(start);
    } else {
      this.badTimestamp(start);
    }
    this.lastTimestampBuf = buf;
    this.lastTimestampStart = start;
    this.lastTimestampLength = length;
    this.lastTimestamp = v;
    return v;
  }

  private badTimestamp(start: number): never {
    fail('timestamp', `Unable to parse timestamp value \`${clip(this.buf.toString('utf8', start, this.valueEndFrom(start)))}\``);
  }

  private valueEndFrom(start: number): number {
    let i = start;
    while (!this.isLineEnd(i) && this.buf[i] !== SPACE) i++;
    return i;
  }
}

/** Longest series key looked up whole; longer ones are parsed every time. */
const MAX_CACHED_SERIES_KEY = 2048;
/** Series keys a parser caches before it starts over. */
const MAX_CACHED_SERIES = 100_000;

/** What readTemplateFields found (see there). */
const TEMPLATE_FIELDS = 0;
const FEWER_FIELDS = 1;
/** Lines in a row with fewer fields than their series' template after which the template is theirs. */
const FEWER_FIELD_LINES_TO_REBUILD = 2;
/** Lines in a row with a template's keys but other kinds after which those kinds are the template's. */
const OTHER_KIND_LINES_TO_ADOPT = 2;
const MORE_FIELDS = 2;

/**
 * Finds a repeated key among a line's tag or field keys, which are checked in order: a scan for
 * the usual few keys, a set kept across calls beyond 16, so no line is quadratic.
 */
class DuplicateKeys {
  private readonly seen = new Set<string>();
  /** The line (its serial), key array and count of keys the set holds. */
  private seenSerial = -1;
  private seenKeysOf: readonly string[] | undefined;
  private seenCount = 0;

  /**
   * Whether `key` is among the first `count` keys of line `lineSerial`. The set is filled again
   * whenever it is not the one of these keys of this line up to `count` (the first keys of a line
   * may have been matched against a template, without this function).
   */
  has(lineSerial: number, keys: readonly string[], count: number, key: string): boolean {
    if (count < 16) {
      for (let i = 0; i < count; i++) if (keys[i] === key) return true;
      return false;
    }
    const seen = this.seen;
    if (this.seenSerial !== lineSerial || this.seenKeysOf !== keys || this.seenCount !== count) {
      seen.clear();
      for (let i = 0; i < count; i++) seen.add(keys[i]!);
      this.seenSerial = lineSerial;
      this.seenKeysOf = keys;
    }
    this.seenCount = count + 1;
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  }
}

/**
 * Whether `length` bytes of `a` at `aStart` and of `b` at `bStart` are the same (both ranges
 * inside their views): 32 bits at a time, the last word ending at the last byte (it may overlap
 * the one before).
 */
function sameBytes(a: DataView, aStart: number, b: DataView, bStart: number, length: number): boolean {
  if (length < 4) {
    for (let k = 0; k < length; k++) if (a.getUint8(aStart + k) !== b.getUint8(bStart + k)) return false;
    return true;
  }
  const last = length - 4;
  for (let k = 0; k < last; k += 4) if (a.getInt32(aStart + k, true) !== b.getInt32(bStart + k, true)) return false;
  return a.getInt32(aStart + last, true) === b.getInt32(bStart + last, true);
}

function clip(s: string): string {
  return s.length > 20 ? `${s.slice(0, 20)}…` : s;
}

function excerpt(buf: Buffer, start: number, end: number): string {
  return buf.toString('utf8', start, Math.min(end, start + EXCERPT_BYTES));
}

/** A parsed point, as plain data (see {@link parseLines}). */
export interface Point {
  measurement: string;
  tags: Array<[string, string]>;
  fields: Array<[string, FieldValueKind, string | bigint | number | boolean]>;
  timestamp?: bigint;
  lineNumber: number;
}

/** Parses a body into plain points and errors, in line order (for tools and tests; the write path uses a LineSink). */
export function parseLines(body: Buffer | string, options: ParseOptions = {}): Array<Point | LineProtocolError> {
  const out: Array<Point | LineProtocolError> = [];
  new LineProtocolParser(options).parse(typeof body === 'string' ? Buffer.from(body) : body, {
    line(l) {
      const point: Point = {
        measurement: l.measurement,
        tags: [],
        fields: [],
        lineNumber: l.lineNumber,
      };
      for (let t = 0; t < l.tagCount; t++) point.tags.push([l.tagKeys[t]!, l.tagValues[t]!]);
      for (let f = 0; f < l.fieldCount; f++) {
        const kind = l.fieldKinds[f]!;
        const v = l.fieldValue(f);
        point.fields.push([l.fieldKeys[f]!, kind, (kind === FieldKind.Int64 || kind === FieldKind.UInt64) && typeof v === 'number' ? BigInt(v) : v]);
      }
      if (l.timestamp !== undefined) point.timestamp = l.timestamp;
      out.push(point);
    },
    error(e) {
      out.push(e);
    },
  });
  return out;
}
