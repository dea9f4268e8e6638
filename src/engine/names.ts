/**
 * Names as the SQL engine sees them. Line protocol names are case-sensitive (`cpu` and `Cpu` are
 * two tables, `host` and `Host` two tags), DuckDB identifiers are not: two names that differ only
 * in ASCII case would reach the same view or column. Every table, tag and field therefore reaches
 * DuckDB under its *SQL name*: an injective encoding with no ASCII upper-case letter in it, so two
 * different names can never be equal to DuckDB. It is the identity on names with neither an
 * upper-case ASCII letter nor `^` (the usual ones: `cpu`, `usage_idle`, `time`):
 *
 *     Host → ^host     CPU → ^c^p^u     a^b → a^^b     é, É, 中文 → themselves
 *
 * (DuckDB folds only ASCII letters, so other scripts need no escape.) Queries are rewritten to
 * use SQL names (`src/query/names.ts`); result column names and error messages are decoded back.
 */

const ESCAPE = '^';

/** The name DuckDB sees for a table, tag or field `name` (see the module comment). */
export function sqlName(name: string): string {
  if (!needsEscape(name)) return name;
  let out = '';
  for (const ch of name) {
    if (ch === ESCAPE) out += '^^';
    else if (ch >= 'A' && ch <= 'Z') out += ESCAPE + ch.toLowerCase();
    else out += ch;
  }
  return out;
}

/** Whether {@link sqlName} changes `name`. */
export function needsEscape(name: string): boolean {
  return /[A-Z^]/.test(name);
}

/** The name a SQL name stands for: the inverse of {@link sqlName}; undefined if `encoded` is no SQL name. */
export function nameOfSql(encoded: string): string | undefined {
  if (!encoded.includes(ESCAPE)) return /[A-Z]/.test(encoded) ? undefined : encoded;
  let out = '';
  for (let i = 0; i < encoded.length; i++) {
    const ch = encoded[i]!;
    if (ch >= 'A' && ch <= 'Z') return undefined;
    if (ch !== ESCAPE) {
      out += ch;
      continue;
    }
    const next = encoded[++i];
    if (next === ESCAPE) out += ESCAPE;
    else if (next !== undefined && next >= 'a' && next <= 'z') out += next.toUpperCase();
    else return undefined;
  }
  return out;
}

/** ASCII-only case folding, as DuckDB compares identifiers. */
export function foldCase(name: string): string {
  return name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/**
 * Text from the engine (an error message, a result column name such as `max("^usage")`) with
 * every double-quoted SQL name in it decoded: `"^host"` → `"Host"`. Single-quoted string
 * literals are left alone. `unquote` says whether a decoded name may drop its quotes (DuckDB
 * writes a plain identifier unquoted; the encoded one needed quotes only for its `^`).
 */
export function decodeQuotedNames(text: string, unquote: (name: string) => boolean = () => false): string {
  if (!text.includes(ESCAPE)) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'") {
      const end = closingQuote(text, i, "'");
      out += text.slice(i, end);
      i = end;
      continue;
    }
    if (ch !== '"') {
      out += ch;
      i++;
      continue;
    }
    const end = closingQuote(text, i, '"');
    const quoted = text.slice(i, end);
    const inner = quoted.length >= 2 && quoted.endsWith('"') ? quoted.slice(1, -1).replaceAll('""', '"') : undefined;
    const name = inner === undefined || !inner.includes(ESCAPE) ? undefined : nameOfSql(inner);
    if (name === undefined) out += quoted;
    else out += unquote(name) ? name : `"${name.replaceAll('"', '""')}"`;
    i = end;
  }
  return out;
}

/** Index just past the quote that closes the one at `start` (a doubled quote is part of the text), or the end. */
function closingQuote(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return text.length;
}
