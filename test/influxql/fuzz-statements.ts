/**
 * InfluxQL statements for the end-to-end fuzz: mostly meaningful ones over the fuzz dataset's
 * names (so they plan and run, not only parse), then mutated at the token and byte level.
 */
import type { SeededRng } from '../../src/effects/rng.js';

/** The fuzz dataset's measurements, their tags and fields (see influxql-fuzz.test.ts). */
export const MEASUREMENTS = ['cpu', 'Cpu', 'mem', 'disk io', 'weird"name'];
export const TAGS = ['host', 'region', 'Host', 'dc', 'missing'];
export const FIELDS = ['usage', 'load', 'count', 'free', 'text', 'ok', 'nope', 'time'];

const AGGREGATES = ['count', 'distinct', 'mean', 'median', 'mode', 'spread', 'stddev', 'sum', 'first', 'last', 'max', 'min'];
const WITH_N = ['top', 'bottom', 'percentile', 'sample', 'moving_average'];
const TRANSFORMS = ['abs', 'ceil', 'floor', 'round', 'sqrt', 'ln', 'log2', 'log10', 'exp', 'derivative', 'non_negative_derivative', 'difference', 'non_negative_difference', 'cumulative_sum', 'elapsed', 'integral'];
const COMPARISONS = ['=', '!=', '<>', '<', '<=', '>', '>='];
const DURATIONS = ['30s', '1m', '5m', '1h', '1d', '1w', '0s', '1h30m'];
/**
 * Intervals that make thousands to millions of windows over the data's two hours: rare (they
 * test the caps and the deadline; common, they would make the run's time go to filling windows).
 */
const TINY_DURATIONS = ['1ns', '10u', '5ms', '1s', '10s'];
const TIMES = ["'2024-01-01T00:00:00Z'", "'2024-01-01T00:30:00.123456789Z'", "'2024-01-01'", "'not a time'", '1704067200000000000', '1704067200s', '0', '-1', 'now()', 'now() - 1h', 'now() - 5000d', 'now() + 1d', '9223372036854775807', '-9223372036854775808'];
const NUMBERS = ['0', '1', '-1', '1.5', '-2.25', '1e3', '1e308', '9223372036854775807', '18446744073709551615', '0.000001', 'NaN'];
const STRINGS = ["'a'", "'b'", "''", "'x''y'", "'é😀'", "'\\''", "'a\\nb'"];
const FILLS = ['null', 'none', 'previous', 'linear', '0', '-1.5', '100', 'bogus'];
const TIMEZONES = ["tz('UTC')", "tz('Europe/Paris')", "tz('America/New_York')", "tz('Nope/Zone')", "tz('')"];
const KEYWORDS = ['SELECT', 'FROM', 'WHERE', 'GROUP BY', 'ORDER BY', 'LIMIT', 'OFFSET', 'SLIMIT', 'SOFFSET', 'AND', 'OR', 'AS', 'fill(', 'time(', ',', '(', ')', ';', '*', '::', '=~', '/', "'", '"', '$x', 'SHOW', 'ON', 'WITH KEY', 'INTO'];

function one<T>(rng: SeededRng, list: readonly T[]): T {
  return list[rng.nextInt(list.length)]!;
}

function chance(rng: SeededRng, p: number): boolean {
  return rng.nextFloat() < p;
}

/** A name as InfluxQL writes it: bare when it can be, else double-quoted with escapes. */
export function ident(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !/^(time|select|from|where|group|order|by|limit|and|or)$/i.test(name) ? name : `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function regex(rng: SeededRng): string {
  return one(rng, ['/cpu/', '/^c/', '/.*/', '/^(cpu|mem)$/', '/[/', '/\\//', '/(?i)CPU/', '/a{1000}/', '//', '/h.st/']);
}

function fieldRef(rng: SeededRng): string {
  const name = ident(one(rng, chance(rng, 0.85) ? FIELDS : TAGS));
  return chance(rng, 0.1) ? `${name}::${one(rng, ['field', 'tag', 'integer', 'float', 'string', 'boolean'])}` : name;
}

function literal(rng: SeededRng): string {
  return chance(rng, 0.6) ? one(rng, NUMBERS) : chance(rng, 0.5) ? one(rng, STRINGS) : one(rng, ['true', 'false', '$x', '$host', '$"q"']);
}

function arithmetic(rng: SeededRng, depth: number): string {
  if (depth > 2 || chance(rng, 0.5)) return chance(rng, 0.7) ? fieldRef(rng) : literal(rng);
  const inner = `${arithmetic(rng, depth + 1)} ${one(rng, ['+', '-', '*', '/', '%', '&', '|', '^'])} ${arithmetic(rng, depth + 1)}`;
  return chance(rng, 0.3) ? `(${inner})` : inner;
}

function call(rng: SeededRng): string {
  const roll = rng.nextInt(10);
  if (roll < 6) return `${one(rng, AGGREGATES)}(${chance(rng, 0.1) ? '*' : chance(rng, 0.05) ? regex(rng) : fieldRef(rng)})`;
  if (roll < 8) {
    const name = one(rng, WITH_N);
    const n = one(rng, ['1', '2', '3', '50', '99.9', '0', '-1', '100000', "'x'"]);
    return name === 'top' || name === 'bottom' ? `${name}(${fieldRef(rng)}, ${chance(rng, 0.3) ? `${ident(one(rng, TAGS))}, ` : ''}${n})` : `${name}(${chance(rng, 0.3) ? `${one(rng, AGGREGATES)}(${fieldRef(rng)})` : fieldRef(rng)}, ${n})`;
  }
  const name = one(rng, TRANSFORMS);
  const arg = chance(rng, 0.5) ? `${one(rng, ['mean', 'max', 'sum', 'count'])}(${fieldRef(rng)})` : fieldRef(rng);
  const unit = /derivative|integral|elapsed/.test(name) && chance(rng, 0.5) ? `, ${one(rng, DURATIONS)}` : '';
  return `${name}(${arg}${unit})`;
}

function condition(rng: SeededRng, depth: number): string {
  if (depth < 2 && chance(rng, 0.35)) {
    const inner = `${condition(rng, depth + 1)} ${one(rng, ['AND', 'OR', 'and'])} ${condition(rng, depth + 1)}`;
    return chance(rng, 0.4) ? `(${inner})` : inner;
  }
  const roll = rng.nextInt(10);
  if (roll < 4) return `time ${one(rng, ['>', '>=', '<', '<=', '='])} ${one(rng, TIMES)}`;
  if (roll < 6) return `${ident(one(rng, TAGS))} ${one(rng, ['=', '!=', '<>'])} ${one(rng, STRINGS.concat(["'a'", "'b'", "'eu'"]))}`;
  if (roll < 7) return `${ident(one(rng, TAGS.concat(FIELDS)))} ${one(rng, ['=~', '!~'])} ${regex(rng)}`;
  return `${fieldRef(rng)} ${one(rng, COMPARISONS)} ${literal(rng)}`;
}

function sources(rng: SeededRng): string {
  const one_ = (): string => {
    const roll = rng.nextInt(10);
    if (roll < 6) return ident(one(rng, MEASUREMENTS));
    if (roll < 8) return regex(rng);
    if (roll < 9) return `${one(rng, ['fuzz', '"fuzz"', 'nope'])}.${one(rng, ['autogen', '', 'rp'])}.${ident(one(rng, MEASUREMENTS))}`;
    return `(${select(rng, 1)})`;
  };
  return chance(rng, 0.8) ? one_() : `${one_()}, ${one_()}`;
}

/** A SELECT, meaningful most of the time. */
export function select(rng: SeededRng, depth = 0): string {
  const aggregate = chance(rng, 0.55);
  const fields: string[] = [];
  const count = 1 + rng.nextInt(3);
  for (let i = 0; i < count; i++) {
    let f = aggregate ? call(rng) : chance(rng, 0.2) ? one(rng, ['*', '*::field', '*::tag']) : arithmetic(rng, 0);
    if (chance(rng, 0.2)) f += ` AS ${ident(one(rng, ['a', 'b', 'Mean', 'time', 'x y']))}`;
    fields.push(f);
  }
  let s = `SELECT ${fields.join(', ')} FROM ${depth > 2 ? ident(one(rng, MEASUREMENTS)) : sources(rng)}`;
  if (chance(rng, 0.7)) s += ` WHERE ${condition(rng, 0)}`;
  const dims: string[] = [];
  if (aggregate && chance(rng, 0.6)) dims.push(`time(${one(rng, chance(rng, 0.04) ? TINY_DURATIONS : DURATIONS)}${chance(rng, 0.2) ? `, ${one(rng, ['1m', '-30s', '0s', 'now()'])}` : ''})`);
  if (chance(rng, 0.4)) dims.push(one(rng, ['*', ident(one(rng, TAGS)), '/h/', `${ident(one(rng, TAGS))}, ${ident(one(rng, TAGS))}`]));
  if (dims.length > 0) s += ` GROUP BY ${dims.join(', ')}`;
  if (chance(rng, 0.2)) s += ` fill(${one(rng, FILLS)})`;
  if (chance(rng, 0.2)) s += ` ORDER BY time ${one(rng, ['ASC', 'DESC', 'desc'])}`;
  if (chance(rng, 0.25)) s += ` LIMIT ${one(rng, ['0', '1', '3', '100', '-1', '99999999999999999999'])}`;
  if (chance(rng, 0.1)) s += ` OFFSET ${one(rng, ['0', '1', '5'])}`;
  if (chance(rng, 0.1)) s += ` SLIMIT ${one(rng, ['1', '2'])}`;
  if (chance(rng, 0.05)) s += ` SOFFSET ${one(rng, ['0', '1'])}`;
  if (chance(rng, 0.1)) s += ` ${one(rng, TIMEZONES)}`;
  return s;
}

/** A SHOW, CREATE or an unsupported statement. */
export function metaStatement(rng: SeededRng): string {
  const on = chance(rng, 0.3) ? ` ON ${one(rng, ['fuzz', 'nope', '"fuzz"'])}` : '';
  const from = chance(rng, 0.4) ? ` FROM ${ident(one(rng, MEASUREMENTS))}` : '';
  const where = chance(rng, 0.3) ? ` WHERE ${ident(one(rng, TAGS))} = ${one(rng, STRINGS)}` : '';
  const limit = chance(rng, 0.2) ? ` LIMIT ${one(rng, ['1', '2', '0'])}` : '';
  return one(rng, [
    'SHOW DATABASES',
    `SHOW RETENTION POLICIES${on}`,
    `SHOW MEASUREMENTS${on}${chance(rng, 0.3) ? ` WITH MEASUREMENT ${one(rng, ['=~ /c/', "= cpu", '!~ /m/'])}` : ''}${where}${limit}`,
    `SHOW TAG KEYS${on}${from}${where}${limit}`,
    `SHOW TAG VALUES${on}${from} WITH KEY ${one(rng, ['= host', '= "Host"', '=~ /.*/', 'IN (host, region)', '!= dc'])}${where}${limit}`,
    `SHOW FIELD KEYS${on}${from}${limit}`,
    `SHOW SERIES${on}${from}${where}${limit}`,
    `SHOW ${one(rng, ['', 'EXACT '])}${one(rng, ['MEASUREMENT', 'SERIES'])} CARDINALITY${on}`,
    `CREATE DATABASE ${one(rng, ['fuzz', 'fuzz2', '"x y"', 'a-b', '_internal'])}`,
    `DROP ${one(rng, ['DATABASE fuzz', 'MEASUREMENT cpu', 'SERIES FROM cpu'])}`,
    "DELETE FROM cpu WHERE time < '2030-01-01'",
    'GRANT ALL TO bob',
    "CREATE USER bob WITH PASSWORD 'x'",
    'KILL QUERY 1',
    'SHOW USERS',
    'EXPLAIN SELECT * FROM cpu',
  ]);
}

/** Breaks a statement: tokens dropped, duplicated, swapped in; bytes flipped; cut short; nested deep. */
export function mutate(rng: SeededRng, text: string): string {
  const roll = rng.nextInt(8);
  const tokens = text.split(/(\s+|[(),;])/).filter((t) => t !== '');
  switch (roll) {
    case 0:
      return text.slice(0, rng.nextInt(text.length + 1));
    case 1: {
      tokens.splice(rng.nextInt(tokens.length), 1);
      return tokens.join('');
    }
    case 2: {
      tokens.splice(rng.nextInt(tokens.length + 1), 0, ` ${one(rng, KEYWORDS)} `);
      return tokens.join('');
    }
    case 3: {
      const i = rng.nextInt(Math.max(1, text.length));
      return text.slice(0, i) + String.fromCharCode(rng.nextInt(3) === 0 ? rng.nextInt(0x10000) : 32 + rng.nextInt(95)) + text.slice(i + 1);
    }
    case 4: {
      const depth = 1 + rng.nextInt(400);
      return `SELECT ${'('.repeat(depth)}usage${')'.repeat(rng.nextInt(3) === 0 ? depth - 1 : depth)} FROM cpu`;
    }
    case 5:
      return `${text}; ${text}`;
    case 6:
      return text.replace(/'/, '"');
    default: {
      const a = rng.nextInt(tokens.length);
      const b = rng.nextInt(tokens.length);
      [tokens[a], tokens[b]] = [tokens[b]!, tokens[a]!];
      return tokens.join('');
    }
  }
}
