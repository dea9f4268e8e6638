/**
 * InfluxQL's lexer: text → tokens, exactly as InfluxDB 1.x's scanner cuts them, including its
 * positions (zero-based line and character, counted in code points) — the parser's error messages
 * quote them, and clients compare those messages.
 *
 * The scanner works over the string with indices, one code point at a time, through a reader that
 * can step back up to three code points (InfluxDB's reader does the same, and some of its answers
 * depend on it: a string token's position is that of the character before its opening quote).
 * `\r\n` and a lone `\r` read as `\n`; a NUL reads as end of input at that point.
 */

/** Token kinds (InfluxDB's order: literals, operators, punctuation, keywords). */
export enum Tok {
  ILLEGAL, EOF, WS, COMMENT,
  IDENT, BOUNDPARAM, NUMBER, INTEGER, DURATIONVAL, STRING, BADSTRING, BADESCAPE, TRUE, FALSE, REGEX, BADREGEX,
  // Operators (ADD..GTE).
  ADD, SUB, MUL, DIV, MOD, BITWISE_AND, BITWISE_OR, BITWISE_XOR, AND, OR, EQ, NEQ, EQREGEX, NEQREGEX, LT, LTE, GT, GTE,
  LPAREN, RPAREN, COMMA, COLON, DOUBLECOLON, SEMICOLON, DOT,
  // Keywords (ALL..WRITE).
  ALL, ALTER, ANALYZE, ANY, AS, ASC, BEGIN, BY, CARDINALITY, CREATE, CONTINUOUS, DATABASE, DATABASES, DEFAULT,
  DELETE, DESC, DESTINATIONS, DIAGNOSTICS, DISTINCT, DROP, DURATION, END, EVERY, EXACT, EXPLAIN, FIELD, FOR, FROM,
  GRANT, GRANTS, GROUP, GROUPS, IN, INF, INSERT, INTO, KEY, KEYS, KILL, LIMIT, MEASUREMENT, MEASUREMENTS, NAME,
  OFFSET, ON, ORDER, PASSWORD, POLICY, POLICIES, PRIVILEGES, QUERIES, QUERY, READ, REPLICATION, RESAMPLE, RETENTION,
  REVOKE, SELECT, SERIES, SET, SHOW, SHARD, SHARDS, SLIMIT, SOFFSET, STATS, SUBSCRIPTION, SUBSCRIPTIONS, TAG, TO,
  USER, USERS, VALUES, WHERE, WITH, WRITE,
}

const KEYWORD_NAMES = [
  'ALL', 'ALTER', 'ANALYZE', 'ANY', 'AS', 'ASC', 'BEGIN', 'BY', 'CARDINALITY', 'CREATE', 'CONTINUOUS', 'DATABASE', 'DATABASES', 'DEFAULT',
  'DELETE', 'DESC', 'DESTINATIONS', 'DIAGNOSTICS', 'DISTINCT', 'DROP', 'DURATION', 'END', 'EVERY', 'EXACT', 'EXPLAIN', 'FIELD', 'FOR', 'FROM',
  'GRANT', 'GRANTS', 'GROUP', 'GROUPS', 'IN', 'INF', 'INSERT', 'INTO', 'KEY', 'KEYS', 'KILL', 'LIMIT', 'MEASUREMENT', 'MEASUREMENTS', 'NAME',
  'OFFSET', 'ON', 'ORDER', 'PASSWORD', 'POLICY', 'POLICIES', 'PRIVILEGES', 'QUERIES', 'QUERY', 'READ', 'REPLICATION', 'RESAMPLE', 'RETENTION',
  'REVOKE', 'SELECT', 'SERIES', 'SET', 'SHOW', 'SHARD', 'SHARDS', 'SLIMIT', 'SOFFSET', 'STATS', 'SUBSCRIPTION', 'SUBSCRIPTIONS', 'TAG', 'TO',
  'USER', 'USERS', 'VALUES', 'WHERE', 'WITH', 'WRITE',
];

/** How InfluxDB prints each token kind in "found X, expected Y" (empty where it has no name). */
const TOKEN_NAMES: string[] = [
  'ILLEGAL', 'EOF', 'WS', '',
  'IDENT', '', 'NUMBER', '', 'DURATIONVAL', 'STRING', 'BADSTRING', 'BADESCAPE', 'TRUE', 'FALSE', 'REGEX', '',
  '+', '-', '*', '/', '%', '&', '|', '^', 'AND', 'OR', '=', '!=', '=~', '!~', '<', '<=', '>', '>=',
  '(', ')', ',', ':', '::', ';', '.',
  ...KEYWORD_NAMES,
];

const KEYWORDS = new Map<string, Tok>();
for (let i = 0; i < KEYWORD_NAMES.length; i++) KEYWORDS.set(KEYWORD_NAMES[i]!.toLowerCase(), (Tok.ALL + i) as Tok);
KEYWORDS.set('and', Tok.AND);
KEYWORDS.set('or', Tok.OR);
KEYWORDS.set('true', Tok.TRUE);
KEYWORDS.set('false', Tok.FALSE);

/** The name InfluxDB prints for a token kind (`FROM`, `=`, `EOF`). */
export function tokenName(tok: Tok): string {
  return TOKEN_NAMES[tok] ?? '';
}

/** The keyword `ident` spells (case-insensitive), or IDENT. */
export function lookupKeyword(ident: string): Tok {
  return KEYWORDS.get(ident.toLowerCase()) ?? Tok.IDENT;
}

/** True for the binary operators (ADD through GTE). */
export function isOperator(tok: Tok): boolean {
  return tok >= Tok.ADD && tok <= Tok.GTE;
}

/** Operator precedence as InfluxDB ranks it (0: not a binary operator). */
export function precedence(tok: Tok): number {
  switch (tok) {
    case Tok.OR: return 1;
    case Tok.AND: return 2;
    case Tok.EQ: case Tok.NEQ: case Tok.EQREGEX: case Tok.NEQREGEX: case Tok.LT: case Tok.LTE: case Tok.GT: case Tok.GTE: return 3;
    case Tok.ADD: case Tok.SUB: case Tok.BITWISE_OR: case Tok.BITWISE_XOR: return 4;
    case Tok.MUL: case Tok.DIV: case Tok.MOD: case Tok.BITWISE_AND: return 5;
    default: return 0;
  }
}

/** One token: its kind, zero-based position, literal text and where it starts in the query text. */
export interface Token {
  tok: Tok;
  line: number;
  char: number;
  /** Identifier / string / number text (unquoted, unescaped); empty for keywords and operators. */
  lit: string;
  /** Index in the query text of the token's first code unit. */
  start: number;
}

/** End of input (InfluxDB's scanner uses code point 0 for it, so a NUL in the text reads the same). */
const EOF_CH = 0;
const RING = 3;

/** A code point reader that can step back, keeping each code point's position (InfluxDB's `reader`). */
class CharReader {
  private next = 0;
  private line = 0;
  private char = 0;
  private sawEof = false;
  private i = 0;
  private n = 0;
  private readonly ringCh = new Int32Array(RING);
  private readonly ringLine = new Int32Array(RING);
  private readonly ringChar = new Int32Array(RING);
  private readonly ringStart = new Int32Array(RING);

  constructor(private readonly text: string) {}

  /** Reads the next code point (EOF_CH at the end). */
  read(): number {
    if (this.n > 0) {
      this.n--;
      return this.ringCh[this.slot()]!;
    }
    const text = this.text;
    const start = this.next;
    let ch: number;
    if (start >= text.length) {
      ch = EOF_CH;
    } else {
      ch = text.codePointAt(start)!;
      this.next = start + (ch > 0xffff ? 2 : 1);
      if (ch === 13) {
        if (this.next < text.length && text.charCodeAt(this.next) === 10) this.next++;
        ch = 10;
      }
    }
    this.i = (this.i + 1) % RING;
    this.ringCh[this.i] = ch;
    this.ringLine[this.i] = this.line;
    this.ringChar[this.i] = this.char;
    this.ringStart[this.i] = start;
    if (ch === 10) {
      this.line++;
      this.char = 0;
    } else if (!this.sawEof) {
      this.char++;
    }
    if (ch === EOF_CH) this.sawEof = true;
    return ch;
  }

  /** Steps back one code point. */
  unread(): void {
    this.n++;
  }

  private slot(): number {
    return (this.i - this.n + RING) % RING;
  }

  /** The last code point read. */
  currCh(): number {
    return this.ringCh[this.slot()]!;
  }
  currLine(): number {
    return this.ringLine[this.slot()]!;
  }
  currChar(): number {
    return this.ringChar[this.slot()]!;
  }
  currStart(): number {
    return this.ringStart[this.slot()]!;
  }
}

function isWhitespace(ch: number): boolean {
  return ch === 32 || ch === 9 || ch === 10;
}
function isLetter(ch: number): boolean {
  return (ch >= 97 && ch <= 122) || (ch >= 65 && ch <= 90);
}
function isDigit(ch: number): boolean {
  return ch >= 48 && ch <= 57;
}
/** True for a character of a bare identifier (`[A-Za-z0-9_]`). */
export function isIdentChar(ch: number): boolean {
  return isLetter(ch) || isDigit(ch) || ch === 95;
}
const MICRO = 0xb5; // µ

type ScanResult = Token;

/** InfluxDB's scanner over one query text. */
export class Scanner {
  private readonly r: CharReader;

  constructor(text: string) {
    this.r = new CharReader(text);
  }

  private tok(tok: Tok, line: number, char: number, lit: string, start: number): ScanResult {
    return { tok, line, char, lit, start };
  }

  /** The next token. */
  scan(): ScanResult {
    const r = this.r;
    const ch0 = r.read();
    const line = r.currLine();
    const char = r.currChar();
    const start = r.currStart();
    if (isWhitespace(ch0)) return this.scanWhitespace();
    if (isLetter(ch0) || ch0 === 95) {
      r.unread();
      return this.scanIdent(true);
    }
    if (isDigit(ch0)) return this.scanNumber();
    switch (ch0) {
      case EOF_CH:
        return this.tok(Tok.EOF, line, char, '', start);
      case 34: // "
        r.unread();
        return this.scanIdent(true);
      case 39: // '
        return this.scanString();
      case 46: { // .
        const ch1 = r.read();
        r.unread();
        if (isDigit(ch1)) return this.scanNumber();
        return this.tok(Tok.DOT, line, char, '', start);
      }
      case 36: { // $
        const t = this.scanIdent(false);
        if (t.tok !== Tok.IDENT) return this.tok(t.tok, line, char, '$' + t.lit, start);
        return this.tok(Tok.BOUNDPARAM, line, char, '$' + t.lit, start);
      }
      case 43: return this.tok(Tok.ADD, line, char, '', start);
      case 45: { // -
        const ch1 = r.read();
        if (ch1 === 45) {
          this.skipUntilNewline();
          return this.tok(Tok.COMMENT, line, char, '', start);
        }
        r.unread();
        return this.tok(Tok.SUB, line, char, '', start);
      }
      case 42: return this.tok(Tok.MUL, line, char, '', start);
      case 47: { // /
        const ch1 = r.read();
        if (ch1 === 42) {
          if (!this.skipUntilEndComment()) return this.tok(Tok.ILLEGAL, line, char, '', start);
          return this.tok(Tok.COMMENT, line, char, '', start);
        }
        r.unread();
        return this.tok(Tok.DIV, line, char, '', start);
      }
      case 37: return this.tok(Tok.MOD, line, char, '', start);
      case 38: return this.tok(Tok.BITWISE_AND, line, char, '', start);
      case 124: return this.tok(Tok.BITWISE_OR, line, char, '', start);
      case 94: return this.tok(Tok.BITWISE_XOR, line, char, '', start);
      case 61: // =
        if (r.read() === 126) return this.tok(Tok.EQREGEX, line, char, '', start);
        r.unread();
        return this.tok(Tok.EQ, line, char, '', start);
      case 33: { // !
        const ch1 = r.read();
        if (ch1 === 61) return this.tok(Tok.NEQ, line, char, '', start);
        if (ch1 === 126) return this.tok(Tok.NEQREGEX, line, char, '', start);
        r.unread();
        break;
      }
      case 62: // >
        if (r.read() === 61) return this.tok(Tok.GTE, line, char, '', start);
        r.unread();
        return this.tok(Tok.GT, line, char, '', start);
      case 60: { // <
        const ch1 = r.read();
        if (ch1 === 61) return this.tok(Tok.LTE, line, char, '', start);
        if (ch1 === 62) return this.tok(Tok.NEQ, line, char, '', start);
        r.unread();
        return this.tok(Tok.LT, line, char, '', start);
      }
      case 40: return this.tok(Tok.LPAREN, line, char, '', start);
      case 41: return this.tok(Tok.RPAREN, line, char, '', start);
      case 44: return this.tok(Tok.COMMA, line, char, '', start);
      case 59: return this.tok(Tok.SEMICOLON, line, char, '', start);
      case 58: // :
        if (r.read() === 58) return this.tok(Tok.DOUBLECOLON, line, char, '', start);
        r.unread();
        return this.tok(Tok.COLON, line, char, '', start);
    }
    return this.tok(Tok.ILLEGAL, line, char, String.fromCodePoint(ch0), start);
  }

  /** A regex `/…/` (the parser asks for it where one may appear); `\/` unescapes to `/`. */
  scanRegex(): ScanResult {
    const r = this.r;
    // InfluxDB reports the position of the character read last, the one before the `/`.
    const line = r.currLine();
    const char = r.currChar();
    const start = r.currStart();
    if (r.read() !== 47) return this.tok(Tok.BADREGEX, line, char, '', start);
    let out = '';
    for (;;) {
      const ch0 = r.read();
      if (ch0 === 47) return this.tok(Tok.REGEX, line, char, out, start);
      if (ch0 === EOF_CH || ch0 === 10) return this.tok(Tok.BADREGEX, line, char, '', start);
      if (ch0 === 92) {
        const ch1 = r.read();
        if (ch1 === EOF_CH) return this.tok(Tok.BADREGEX, line, char, '', start);
        if (ch1 === 47) {
          out += '/';
        } else {
          r.unread();
          out += '\\';
        }
        continue;
      }
      out += String.fromCodePoint(ch0);
    }
  }

  /** The next code point, without consuming it (at the end, the end is consumed, as InfluxDB does). */
  peekRune(): number {
    const ch = this.r.read();
    if (ch !== EOF_CH) this.r.unread();
    return ch;
  }

  private scanWhitespace(): ScanResult {
    const r = this.r;
    const line = r.currLine();
    const char = r.currChar();
    const start = r.currStart();
    let lit = String.fromCodePoint(r.currCh());
    for (;;) {
      const ch = r.read();
      if (ch === EOF_CH) break;
      if (!isWhitespace(ch)) {
        r.unread();
        break;
      }
      lit += String.fromCodePoint(ch);
    }
    return this.tok(Tok.WS, line, char, lit, start);
  }

  private skipUntilNewline(): void {
    for (;;) {
      const ch = this.r.read();
      if (ch === 10 || ch === EOF_CH) return;
    }
  }

  /** Skips to `*` `/`; false when the input ends first. */
  private skipUntilEndComment(): boolean {
    const r = this.r;
    for (;;) {
      const ch1 = r.read();
      if (ch1 === 42) {
        for (;;) {
          const ch2 = r.read();
          if (ch2 === 47) return true;
          if (ch2 === EOF_CH) return false;
          if (ch2 !== 42) break;
        }
      } else if (ch1 === EOF_CH) {
        return false;
      }
    }
  }

  private scanIdent(lookup: boolean): ScanResult {
    const r = this.r;
    r.read();
    const line = r.currLine();
    const char = r.currChar();
    const start = r.currStart();
    r.unread();
    let lit = '';
    for (;;) {
      const ch = r.read();
      if (ch === EOF_CH) break;
      if (ch === 34) {
        const s = this.scanString();
        if (s.tok === Tok.BADSTRING || s.tok === Tok.BADESCAPE) return s;
        return this.tok(Tok.IDENT, line, char, s.lit, start);
      }
      if (isIdentChar(ch)) {
        r.unread();
        lit += this.scanBareIdent();
      } else {
        r.unread();
        break;
      }
    }
    if (lookup) {
      const kw = lookupKeyword(lit);
      if (kw !== Tok.IDENT) return this.tok(kw, line, char, '', start);
    }
    return this.tok(Tok.IDENT, line, char, lit, start);
  }

  private scanBareIdent(): string {
    const r = this.r;
    let out = '';
    for (;;) {
      const ch = r.read();
      if (ch === EOF_CH) break;
      if (!isIdentChar(ch)) {
        r.unread();
        break;
      }
      out += String.fromCharCode(ch);
    }
    return out;
  }

  /** A quoted string or identifier; the quote just read is its delimiter. */
  private scanString(): ScanResult {
    const r = this.r;
    r.unread();
    // As InfluxDB: the position of the character before the opening quote.
    const line = r.currLine();
    const char = r.currChar();
    const start = r.currStart();
    const ending = r.read();
    let out = '';
    for (;;) {
      const ch0 = r.read();
      if (ch0 === ending) return this.tok(Tok.STRING, line, char, out, start);
      if (ch0 === EOF_CH || ch0 === 10) return this.tok(Tok.BADSTRING, line, char, out, start);
      if (ch0 === 92) {
        const ch1 = r.read();
        if (ch1 === 110) out += '\n';
        else if (ch1 === 92) out += '\\';
        else if (ch1 === 34) out += '"';
        else if (ch1 === 39) out += "'";
        else return this.tok(Tok.BADESCAPE, r.currLine(), r.currChar(), '\\' + String.fromCodePoint(ch1), start);
      } else {
        out += String.fromCodePoint(ch0);
      }
    }
  }

  private scanNumber(): ScanResult {
    const r = this.r;
    const ch = r.currCh();
    const line = r.currLine();
    const char = r.currChar();
    const start = r.currStart();
    if (ch === 46) {
      const ch1 = r.read();
      r.unread();
      if (!isDigit(ch1)) return this.tok(Tok.ILLEGAL, line, char, '.', start);
      r.unread();
    } else {
      r.unread();
    }
    let lit = this.scanDigits();
    let isDecimal = false;
    if (r.read() === 46) {
      isDecimal = true;
      const ch1 = r.read();
      if (isDigit(ch1)) {
        lit += '.' + String.fromCharCode(ch1) + this.scanDigits();
      } else {
        r.unread();
      }
    } else {
      r.unread();
    }
    if (isDecimal) return this.tok(Tok.NUMBER, line, char, lit, start);
    const ch0 = r.read();
    if (!isLetter(ch0) && ch0 !== MICRO) {
      r.unread();
      return this.tok(Tok.INTEGER, line, char, lit, start);
    }
    lit += String.fromCodePoint(ch0);
    for (;;) {
      const ch1 = r.read();
      if (!isLetter(ch1) && ch1 !== MICRO) {
        r.unread();
        break;
      }
      lit += String.fromCodePoint(ch1);
    }
    for (;;) {
      const ch1 = r.read();
      if (isLetter(ch1) || ch1 === MICRO || isDigit(ch1)) {
        lit += String.fromCodePoint(ch1);
      } else {
        r.unread();
        break;
      }
    }
    return this.tok(Tok.DURATIONVAL, line, char, lit, start);
  }

  private scanDigits(): string {
    const r = this.r;
    let out = '';
    for (;;) {
      const ch = r.read();
      if (!isDigit(ch)) {
        r.unread();
        break;
      }
      out += String.fromCharCode(ch);
    }
    return out;
  }
}

/** The scanner with a three-token ring, so the parser can put back up to two tokens (InfluxDB's `bufScanner`). */
export class TokenBuffer {
  private i = 0;
  private n = 0;
  private readonly ring: ScanResult[];

  constructor(readonly scanner: Scanner) {
    const empty: ScanResult = { tok: Tok.ILLEGAL, line: 0, char: 0, lit: '', start: 0 };
    this.ring = [empty, empty, empty];
  }

  scan(): ScanResult {
    return this.scanWith(false);
  }

  scanRegex(): ScanResult {
    return this.scanWith(true);
  }

  private scanWith(regex: boolean): ScanResult {
    if (this.n > 0) {
      this.n--;
      return this.curr();
    }
    this.i = (this.i + 1) % RING;
    const t = regex ? this.scanner.scanRegex() : this.scanner.scan();
    this.ring[this.i] = t;
    return t;
  }

  unscan(): void {
    this.n++;
  }

  curr(): ScanResult {
    return this.ring[(this.i - this.n + RING) % RING]!;
  }
}

/** True when `ident` must be double-quoted to read back as the same identifier. */
export function identNeedsQuotes(ident: string): boolean {
  if (lookupKeyword(ident) !== Tok.IDENT) return true;
  let first = true;
  for (const c of ident) {
    const cp = c.codePointAt(0)!;
    if (first ? !(isLetter(cp) || cp === 95) : !isIdentChar(cp)) return true;
    first = false;
  }
  return false;
}

/** Dotted identifiers quoted as InfluxDB quotes them (`"db"."rp".m`). */
export function quoteIdent(segments: readonly string[]): string {
  let out = '';
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    const needQuote = identNeedsQuotes(segment) || (!last && segment !== '') || ((i === 0 || last) && segment === '');
    const body = segment.replace(/[\n\\"]/g, (c) => (c === '\n' ? '\\n' : '\\' + c));
    out += needQuote ? `"${body}"` : body;
    if (!last) out += '.';
  }
  return out;
}
