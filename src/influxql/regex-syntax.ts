/**
 * Go's regular expression syntax (RE2), as far as InfluxQL's parser needs it: InfluxDB compiles
 * every `/regex/` while it parses, so a malformed one is a parse error worded by Go's regexp
 * package, which clients show as is.
 */

/**
 * The error Go's regexp package (RE2 syntax) gives for `pattern`, worded as Go words it, or
 * undefined when it compiles. Covers the common mistakes: unbalanced parentheses and brackets,
 * a repetition with nothing to repeat, a nested repetition, a trailing backslash, bad repeat
 * counts and Perl lookaround.
 */
export function regexSyntaxError(pattern: string): string | undefined {
  const fail = (code: string, arg: string) => `error parsing regexp: ${code}: \`${arg}\``;
  const cps = Array.from(pattern);
  const n = cps.length;
  const open: number[] = [];
  let canRepeat = false; // the previous item can take a repetition operator
  let lastWasRepeat = false;
  let lazyTaken = false; // the last repetition already has its `?`
  let repeatStart = -1;
  for (let i = 0; i < n; i++) {
    const c = cps[i]!;
    switch (c) {
      case '\\': {
        if (i + 1 >= n) return fail('trailing backslash at end of expression', '');
        const e = cps[i + 1]!;
        if (/[0-9]/.test(e) && e !== '0') return fail('invalid escape sequence', `\\${e}`);
        if ((/[a-zA-Z]/.test(e) && !/[aftnrvdDsSwWbBAzpPQEx]/.test(e)) || e.codePointAt(0)! >= 0x80) return fail('invalid escape sequence', `\\${e}`);
        if (e === 'p' || e === 'P') {
          // \pL or \p{Name}
          if (cps[i + 2] === '{') {
            const close = cps.indexOf('}', i + 3);
            if (close < 0) return fail('invalid character class range', cps.slice(i).join(''));
            i = close;
          } else {
            i += 2;
          }
        } else if (e === 'x') {
          if (cps[i + 2] === '{') {
            const close = cps.indexOf('}', i + 3);
            if (close < 0) return fail('invalid escape sequence', cps.slice(i).join(''));
            i = close;
          } else {
            i += 3;
          }
        } else if (e === 'Q') {
          const endQ = pattern.indexOf('\\E', i + 2);
          i = endQ < 0 ? n : Array.from(pattern.slice(0, endQ)).length + 1;
        } else {
          i += 1;
        }
        canRepeat = true;
        lastWasRepeat = false;
        break;
      }
      case '(': {
        if (cps[i + 1] === '?') {
          const rest = cps.slice(i + 2, i + 4).join('');
          if (rest.startsWith('P<') || rest.startsWith('P=') || rest.startsWith('P>')) {
            if (rest[1] !== '<') return fail('invalid or unsupported Perl syntax', `(?P${rest[1]}`);
            const close = cps.indexOf('>', i + 4);
            const name = close < 0 ? '' : cps.slice(i + 4, close).join('');
            if (close < 0 || !/^[A-Za-z0-9_]+$/.test(name)) return fail('invalid named capture', cps.slice(i, close < 0 ? n : close + 1).join(''));
            i = close;
          } else {
            let j = i + 2;
            while (j < n && /[imsU-]/.test(cps[j]!)) j++;
            if (cps[j] === ')') {
              i = j;
              canRepeat = false;
              lastWasRepeat = false;
              break;
            }
            if (cps[j] !== ':') return fail('invalid or unsupported Perl syntax', cps.slice(i, Math.min(j + 1, n)).join(''));
            i = j;
          }
        }
        open.push(i);
        canRepeat = false;
        lastWasRepeat = false;
        break;
      }
      case ')':
        if (open.length === 0) return fail('unexpected )', pattern);
        open.pop();
        canRepeat = true;
        lastWasRepeat = false;
        break;
      case '[': {
        let j = i + 1;
        if (cps[j] === '^') j++;
        if (cps[j] === ']') j++;
        let closed = false;
        for (; j < n; j++) {
          if (cps[j] === '\\') {
            j++;
            continue;
          }
          if (cps[j] === '[' && cps[j + 1] === ':') {
            let k = j + 2;
            while (k + 1 < n && !(cps[k] === ':' && cps[k + 1] === ']')) k++;
            if (k + 1 < n) {
              j = k + 1;
              continue;
            }
          }
          if (cps[j] === ']') {
            closed = true;
            break;
          }
        }
        if (!closed) return fail('missing closing ]', cps.slice(i).join(''));
        i = j;
        canRepeat = true;
        lastWasRepeat = false;
        break;
      }
      case '*':
      case '+':
      case '?': {
        if (lastWasRepeat) {
          if (c === '?' && !lazyTaken) {
            lazyTaken = true; // a lazy repetition (`*?`)
            break;
          }
          return fail('invalid nested repetition operator', cps.slice(repeatStart, i + 1).join(''));
        }
        if (!canRepeat) return fail('missing argument to repetition operator', c);
        repeatStart = i;
        lazyTaken = false;
        lastWasRepeat = true;
        canRepeat = false;
        break;
      }
      case '{': {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(cps.slice(i).join(''));
        if (m === null) {
          canRepeat = true;
          lastWasRepeat = false;
          break;
        }
        const min = Number(m[1]);
        const max = m[3] === undefined || m[3] === '' ? min : Number(m[3]);
        if (min > 1000 || max > 1000 || (m[3] !== undefined && m[3] !== '' && max < min)) return fail('invalid repeat count', m[0]);
        if (!canRepeat && !lastWasRepeat) return fail('missing argument to repetition operator', m[0]);
        if (lastWasRepeat) return fail('invalid nested repetition operator', cps.slice(repeatStart, i).join('') + m[0]);
        repeatStart = i;
        lazyTaken = false;
        i += Array.from(m[0]).length - 1;
        lastWasRepeat = true;
        canRepeat = false;
        break;
      }
      case '|':
        canRepeat = false;
        lastWasRepeat = false;
        break;
      case '^':
      case '$':
        canRepeat = true;
        lastWasRepeat = false;
        break;
      default:
        canRepeat = true;
        lastWasRepeat = false;
    }
  }
  if (open.length > 0) return fail('missing closing )', pattern);
  return undefined;
}
