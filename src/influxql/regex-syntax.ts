/**
 * Go's regular expression syntax (RE2, as Go's regexp/syntax parses it with Perl flags), as far as
 * InfluxQL's parser needs it: InfluxDB compiles every `/regex/` while it parses, so a malformed
 * one is a parse error worded by Go's regexp package, which clients show as is. This follows Go's
 * parser step by step (same order of checks, same text quoted in each error); it builds nothing.
 */

const CATEGORIES = new Set(['C', 'Cc', 'Cf', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn', 'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs']);
/** Script names whose long form has four letters (every other four-letter name is an ISO code Go does not accept). */
const FOUR_LETTER_SCRIPTS = new Set(['Cham', 'Lisu', 'Modi', 'Newa', 'Thai']);
/** Scripts newer than the Unicode tables of the Go InfluxDB 1.6 is built with. */
const NEWER_SCRIPTS = new Set(['Vithkuqi', 'Toto', 'Tangsa', 'Cypro_Minoan', 'Old_Uyghur', 'Kawi', 'Nag_Mundari', 'Unknown']);
const POSIX_CLASSES = new Set(['alnum', 'alpha', 'ascii', 'blank', 'cntrl', 'digit', 'graph', 'lower', 'print', 'punct', 'space', 'upper', 'word', 'xdigit']);
const MAX_REPEAT = 1000;
const MAX_NESTING = 1000;

/** A syntax error as Go words it. */
class RegexSyntaxError extends Error {}

function fail(code: string, expr: string): never {
  throw new RegexSyntaxError(`error parsing regexp: ${code}: \`${expr}\``);
}

function isUnicodeTable(name: string): boolean {
  if (name === 'Any' || CATEGORIES.has(name)) return true;
  if (NEWER_SCRIPTS.has(name) || (name.length === 4 && !FOUR_LETTER_SCRIPTS.has(name))) return false;
  if (!/^[A-Z][A-Za-z_]*$/.test(name)) return false;
  try {
    new RegExp(`\\p{Script=${name}}`, 'u');
    return true;
  } catch {
    // Not a script JavaScript knows: not one Go knows either.
    return false;
  }
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlnum = (c: string) => /^[0-9A-Za-z]$/.test(c);
const unhex = (c: string | undefined) => (c !== undefined && /^[0-9A-Fa-f]$/.test(c) ? parseInt(c, 16) : -1);

/** One item on the parse stack: a pseudo-operator (`(`, `|`) or something a repetition can apply to. */
interface Frame {
  /** Largest product of counted repetitions in the group so far. */
  maxCost: number;
  /** The cost of the item on top, or -1 when the top is a pseudo-operator (nothing to repeat). */
  topCost: number;
}

class RegexChecker {
  private readonly s: string[];
  private i = 0;
  private readonly frames: Frame[] = [{ maxCost: 1, topCost: -1 }];
  private posixEndFrom = -1;
  private posixEndAt = -1;

  constructor(private readonly pattern: string) {
    this.s = Array.from(pattern);
  }

  private rest(from: number): string {
    return this.s.slice(from).join('');
  }

  private text(from: number, to: number): string {
    return this.s.slice(from, to).join('');
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private pushItem(cost = 1): void {
    const f = this.top();
    f.topCost = cost;
    if (cost > f.maxCost) f.maxCost = cost;
  }

  check(): void {
    const s = this.s;
    let lastRepeat = -1; // where the previous element's repetition began, -1 when it was no repetition
    while (this.i < s.length) {
      let repeat = -1;
      const c = s[this.i]!;
      switch (c) {
        case '(':
          if (s[this.i + 1] === '?') this.parsePerlFlags();
          else this.openGroup(1);
          break;
        case '|':
          this.top().topCost = -1;
          this.i++;
          break;
        case ')':
          this.closeGroup();
          this.i++;
          break;
        case '^':
        case '$':
        case '.':
          this.pushItem();
          this.i++;
          break;
        case '[':
          this.parseClass();
          this.pushItem();
          break;
        case '*':
        case '+':
        case '?': {
          const before = this.i;
          this.i++;
          this.repeat(0, 0, before, lastRepeat, false);
          repeat = before;
          break;
        }
        case '{': {
          const before = this.i;
          const r = this.parseRepeat();
          if (r === undefined) {
            this.pushItem(); // `{` not starting a repetition is a literal
            this.i++;
            break;
          }
          const [min, max, after] = r;
          if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) fail('invalid repeat count', this.text(before, after));
          this.i = after;
          this.repeat(min, max, before, lastRepeat, true);
          repeat = before;
          break;
        }
        case '\\':
          this.parseTopEscape();
          break;
        default:
          this.pushItem();
          this.i++;
      }
      lastRepeat = repeat;
    }
    if (this.frames.length !== 1) fail('missing closing )', this.pattern);
  }

  private openGroup(width: number): void {
    if (this.frames.length > MAX_NESTING) fail('expression nests too deeply', this.pattern);
    this.top().topCost = -1;
    this.frames.push({ maxCost: 1, topCost: -1 });
    this.i += width;
  }

  private closeGroup(): void {
    if (this.frames.length < 2) fail('unexpected )', this.pattern);
    const group = this.frames.pop()!;
    this.pushItem(group.maxCost);
  }

  /** A repetition of the item on top; `this.i` is just past the operator. */
  private repeat(min: number, max: number, before: number, lastRepeat: number, counted: boolean): void {
    if (this.s[this.i] === '?') this.i++; // non-greedy
    if (lastRepeat >= 0) fail('invalid nested repetition operator', this.text(lastRepeat, this.i));
    const f = this.top();
    if (f.topCost < 0) fail('missing argument to repetition operator', this.text(before, this.i));
    if (counted) {
      const m = max === -1 ? min : max;
      const cost = m > 0 ? f.topCost * m : f.topCost;
      if ((min >= 2 || max >= 2) && cost > MAX_REPEAT) fail('invalid repeat count', this.text(before, this.i));
      this.pushItem(cost);
    }
  }

  /** `{min}`, `{min,}`, `{min,max}` at this.i: [min, max (-1: none), index after], or undefined when it is not one. */
  private parseRepeat(): [number, number, number] | undefined {
    const s = this.s;
    let j = this.i + 1;
    const readInt = (): number | undefined => {
      const start = j;
      if (!isDigit(s[j])) return undefined;
      if (s[j] === '0' && isDigit(s[j + 1])) return undefined; // no leading zeros
      while (isDigit(s[j])) j++;
      const text = s.slice(start, j).join('');
      return text.length >= 8 ? -1 : Number(text);
    };
    let min = readInt();
    if (min === undefined) return undefined;
    let max: number;
    if (j >= s.length) return undefined;
    if (s[j] !== ',') {
      max = min;
    } else {
      j++;
      if (j >= s.length) return undefined;
      if (s[j] === '}') {
        max = -1;
      } else {
        const m = readInt();
        if (m === undefined) return undefined;
        max = m;
        if (max < 0) min = -1;
      }
    }
    if (s[j] !== '}') return undefined;
    return [min, max, j + 1];
  }

  private parsePerlFlags(): void {
    const s = this.s;
    const start = this.i;
    if (s.length - start > 4 && s[start + 2] === 'P' && s[start + 3] === '<') {
      const end = s.indexOf('>', start);
      if (end < 0) fail('invalid named capture', this.rest(start));
      const name = this.text(start + 4, end);
      if (name === '' || !/^[0-9A-Za-z_]+$/.test(name)) fail('invalid named capture', this.text(start, end + 1));
      this.openGroup(end + 1 - start);
      return;
    }
    let j = start + 2;
    let negated = false;
    let sawFlag = false;
    while (j < s.length) {
      const c = s[j++]!;
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        sawFlag = true;
        continue;
      }
      if (c === '-') {
        if (negated) break;
        negated = true;
        sawFlag = false;
        continue;
      }
      if (c === ':' || c === ')') {
        if (negated && !sawFlag) break;
        if (c === ':') {
          this.openGroup(j - start);
        } else {
          this.i = j; // flags only: nothing pushed
        }
        return;
      }
      break;
    }
    fail('invalid or unsupported Perl syntax', this.text(start, j));
  }

  /** `\…` outside a class. */
  private parseTopEscape(): void {
    const s = this.s;
    const next = s[this.i + 1];
    if (next !== undefined) {
      if (next === 'A' || next === 'b' || next === 'B' || next === 'z') {
        this.pushItem();
        this.i += 2;
        return;
      }
      if (next === 'C') fail('invalid escape sequence', '\\C');
      if (next === 'Q') {
        let end = -1;
        for (let k = this.i + 2; k + 1 < s.length; k++) {
          if (s[k] === '\\' && s[k + 1] === 'E') {
            end = k;
            break;
          }
        }
        const literalEnd = end < 0 ? s.length : end;
        if (literalEnd > this.i + 2) this.pushItem();
        this.i = end < 0 ? s.length : end + 2;
        return;
      }
    }
    if (next === 'p' || next === 'P') {
      this.i = this.parseUnicodeClass(this.i);
      this.pushItem();
      return;
    }
    if (next !== undefined && 'dDsSwW'.includes(next)) {
      this.pushItem();
      this.i += 2;
      return;
    }
    this.i = this.parseEscape(this.i);
    this.pushItem();
  }

  /** `\pL` or `\p{Name}` at `at`; returns the index after it. */
  private parseUnicodeClass(at: number): number {
    const s = this.s;
    let name: string;
    let seqEnd: number;
    if (s[at + 2] !== '{') {
      seqEnd = Math.min(at + 3, s.length);
      name = this.text(at + 2, seqEnd);
    } else {
      const end = s.indexOf('}', at);
      if (end < 0) fail('invalid character class range', this.rest(at));
      seqEnd = end + 1;
      name = this.text(at + 3, end);
    }
    if (name.startsWith('^')) name = name.slice(1);
    if (!isUnicodeTable(name)) fail('invalid character class range', this.text(at, seqEnd));
    return seqEnd;
  }

  /** A single-character escape at `at` (Go's parseEscape); returns the index after it. */
  private parseEscape(at: number): number {
    const s = this.s;
    let j = at + 1;
    if (j >= s.length) fail('trailing backslash at end of expression', '');
    const c = s[j++]!;
    const isOctal = (x: string | undefined) => x !== undefined && x >= '0' && x <= '7';
    switch (c) {
      case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        if (!isOctal(s[j])) break; // a single digit would be a backreference: not supported
        for (let k = 1; k < 3 && isOctal(s[j]); k++) j++;
        return j;
      case '0':
        for (let k = 1; k < 3 && isOctal(s[j]); k++) j++;
        return j;
      case 'x': {
        if (j >= s.length) break;
        const c1 = s[j++]!;
        if (c1 === '{') {
          let digits = 0;
          let value = 0;
          for (;;) {
            if (j >= s.length) return fail('invalid escape sequence', this.text(at, j));
            const d = s[j++]!;
            if (d === '}') break;
            const v = unhex(d);
            if (v < 0) return fail('invalid escape sequence', this.text(at, j));
            value = value * 16 + v;
            if (value > 0x10ffff) return fail('invalid escape sequence', this.text(at, j));
            digits++;
          }
          if (digits === 0) break;
          return j;
        }
        const c2 = s[j];
        if (c2 !== undefined) j++;
        if (unhex(c1) < 0 || unhex(c2) < 0) break;
        return j;
      }
      case 'a': case 'f': case 'n': case 'r': case 't': case 'v':
        return j;
      default:
        if (c.codePointAt(0)! < 0x80 && !isAlnum(c)) return j;
    }
    return fail('invalid escape sequence', this.text(at, j));
  }

  /** `[…]` at this.i. */
  private parseClass(): void {
    const s = this.s;
    const whole = this.i;
    let j = this.i + 1;
    if (s[j] === '^') j++;
    let first = true;
    while (j >= s.length || s[j] !== ']' || first) {
      first = false;
      if (s[j] === '[' && s[j + 1] === ':' && j + 2 < s.length) {
        const k = this.posixEnd(j + 2);
        if (k >= 0) {
          const name = this.text(j + 2, k);
          if (!POSIX_CLASSES.has(name.startsWith('^') ? name.slice(1) : name)) fail('invalid character class range', this.text(j, k + 2));
          j = k + 2;
          continue;
        }
      }
      if (s[j] === '\\' && (s[j + 1] === 'p' || s[j + 1] === 'P')) {
        j = this.parseUnicodeClass(j);
        continue;
      }
      if (s[j] === '\\' && s[j + 1] !== undefined && 'dDsSwW'.includes(s[j + 1]!)) {
        j += 2;
        continue;
      }
      const rangeStart = j;
      const [lo, afterLo] = this.parseClassChar(j, whole);
      j = afterLo;
      if (j + 1 < s.length && s[j] === '-' && s[j + 1] !== ']') {
        const [hi, afterHi] = this.parseClassChar(j + 1, whole);
        j = afterHi;
        if (hi < lo) fail('invalid character class range', this.text(rangeStart, j));
      }
    }
    this.i = j + 1;
  }

  /**
   * The first `:]` at or after `from`, or -1. Searches only move forward, so one answer serves the
   * following ones until it is passed: linear over `[[:[:[:…`.
   */
  private posixEnd(from: number): number {
    if (this.posixEndFrom >= 0 && from >= this.posixEndFrom && (this.posixEndAt < 0 || from <= this.posixEndAt)) return this.posixEndAt;
    const s = this.s;
    let k = from;
    while (k + 1 < s.length && !(s[k] === ':' && s[k + 1] === ']')) k++;
    this.posixEndFrom = from;
    this.posixEndAt = k + 1 < s.length ? k : -1;
    return this.posixEndAt;
  }

  /** One class character at `at`: its code point (escapes decoded roughly) and the index after it. */
  private parseClassChar(at: number, whole: number): [number, number] {
    const s = this.s;
    if (at >= s.length) fail('missing closing ]', this.rest(whole));
    if (s[at] === '\\') {
      const end = this.parseEscape(at);
      return [escapeValue(this.text(at, end)), end];
    }
    return [s[at]!.codePointAt(0)!, at + 1];
  }
}

/** The code point a valid escape stands for (for range order checks). */
function escapeValue(escape: string): number {
  const body = escape.slice(1);
  const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
  if (body in simple) return simple[body]!;
  if (body.startsWith('x{')) return parseInt(body.slice(2, -1), 16);
  if (body.startsWith('x')) return parseInt(body.slice(1), 16);
  if (/^[0-7]+$/.test(body)) return parseInt(body, 8);
  return body.codePointAt(0)!;
}

/**
 * The error Go's regexp package gives for `pattern` (`error parsing regexp: missing closing ):
 * \`(\``), or undefined when it compiles.
 */
export function regexSyntaxError(pattern: string): string | undefined {
  try {
    new RegexChecker(pattern).check();
    return undefined;
  } catch (err) {
    if (err instanceof RegexSyntaxError) return err.message;
    throw err;
  }
}
