/**
 * Generated SELECT statements for the differential test, beside the table: seeded combinations
 * of fields, expressions, functions, time ranges, conditions, GROUP BY, fill, order, limits and
 * zones over the dataset (dataset.ts). Only what InfluxDB 1.x answers deterministically: no
 * mode() or sample(), no selectors over integer fields (ties in value pick a point by iterator
 * order), no integral() grouped by tags (its series come in no fixed order), no percentile()
 * under 50 (InfluxDB 1.6 mishandles a window where percentile() has no point: with GROUP BY time
 * it drops the whole series, or repeats the first windows beside another call).
 */
import type { Rng } from '../../src/effects/rng.js';
import { T0_NS } from './dataset.js';

interface Measurement {
  name: string;
  floats: string[];
  /** Float fields whose values rarely repeat: a selector over them picks one point's time. */
  selectable: string[];
  integers: string[];
  tags: Record<string, string[]>;
}

const MEASUREMENTS: Measurement[] = [
  { name: 'cpu', floats: ['usage_user', 'usage_system', 'usage_idle'], selectable: ['usage_user', 'usage_system', 'usage_idle'], integers: ['procs'], tags: { host: ['server01', 'server02', 'server03', 'server04', ''], region: ['us-west', 'us-east', ''] } },
  { name: 'mem', floats: ['used_percent'], selectable: ['used_percent'], integers: ['used', 'free'], tags: { host: ['server01', 'server02', 'server03'] } },
  // delta is 0 in one point of ten: no selector over it.
  { name: 'net', floats: ['delta'], selectable: [], integers: ['bytes_recv', 'state'], tags: { host: ['server01'], iface: ['eth0'] } },
];

const INTERVALS = ['1m', '5m', '7m', '10m', '15m', '30m', '1h', '90m'];
const ZONES = ['America/Chicago', 'Asia/Kolkata', 'Europe/Paris'];

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.nextInt(xs.length)]!;
}

/** An RFC3339 time in the data's span (or a little outside), to the second or the millisecond. */
function timeLiteral(rng: Rng): string {
  const offsetMs = -600_000 + rng.nextInt(4 * 3600_000 + 1_200_000);
  const ms = Number(T0_NS / 1_000_000n) + (rng.nextInt(3) === 0 ? offsetMs : Math.floor(offsetMs / 1000) * 1000);
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function timeRange(rng: Rng): string {
  let a = timeLiteral(rng);
  let b = timeLiteral(rng);
  if (a > b) [a, b] = [b, a];
  return `time >= '${a}' AND time < '${b}'`;
}

function condition(rng: Rng, m: Measurement): string {
  const parts = [timeRange(rng)];
  const tagNames = Object.keys(m.tags);
  if (rng.nextInt(2) === 0) {
    const tag = pick(rng, tagNames);
    const value = pick(rng, m.tags[tag]!);
    parts.push(pick(rng, [`"${tag}" = '${value}'`, `"${tag}" != '${value}'`, `"${tag}" =~ /${value === '' ? '^$' : value.slice(-1)}/`, `"${tag}" !~ /${value === '' ? '^$' : value.slice(-2)}/`]));
  }
  if (rng.nextInt(3) === 0) {
    const field = pick(rng, [...m.floats, ...m.integers]);
    parts.push(`"${field}" ${pick(rng, ['>', '<', '>=', '<=', '!='])} ${rng.nextInt(100)}`);
  }
  if (rng.nextInt(6) === 0 && parts.length > 1) return `${parts[0]} AND (${parts.slice(1).join(' OR ')})`;
  return parts.join(' AND ');
}

function expression(rng: Rng, m: Measurement): string {
  const field = pick(rng, [...m.floats, ...m.integers]);
  switch (rng.nextInt(5)) {
    case 0:
      return `"${field}" ${pick(rng, ['+', '-', '*', '/'])} ${1 + rng.nextInt(9)}`;
    case 1:
      return `"${field}" ${pick(rng, ['+', '-', '*'])} "${pick(rng, [...m.floats, ...m.integers])}"`;
    default:
      return `"${field}"`;
  }
}

/** An aggregate or selector call on a field, in InfluxQL. */
function aggregate(rng: Rng, m: Measurement): string {
  const anyField = pick(rng, [...m.floats, ...m.integers]);
  if (m.selectable.length === 0) return `${pick(rng, ['count', 'mean', 'sum', 'spread', 'stddev', 'median'])}("${anyField}")`;
  const floatField = pick(rng, m.selectable);
  switch (rng.nextInt(12)) {
    case 0:
      return `count("${anyField}")`;
    case 1:
      return `mean("${anyField}")`;
    case 2:
      return `sum("${anyField}")`;
    case 3:
      return `spread("${anyField}")`;
    case 4:
      return `stddev("${anyField}")`;
    case 5:
      return `median("${anyField}")`;
    case 6:
      // 50 and up: never null in a window with a point (1.6 mishandles windows where it is).
      return `percentile("${floatField}", ${pick(rng, [50, 75, 90, 99])})`;
    case 7:
      return `count(distinct("${anyField}"))`;
    case 8:
      return `max("${floatField}")`;
    case 9:
      return `min("${floatField}")`;
    case 10:
      return `first("${anyField}")`;
    default:
      return `last("${anyField}")`;
  }
}

/** One generated SELECT: most are plain, some use the rarer forms (see {@link generateRare}). */
export function generateSelect(rng: Rng): string {
  if (rng.nextInt(4) === 0) return generateRare(rng);
  const m = pick(rng, MEASUREMENTS);
  const where = condition(rng, m);
  const tagNames = Object.keys(m.tags);
  const kind = rng.nextInt(10);
  let fields: string;
  let groupBy = '';
  let fill = '';
  let hasTime = false;
  if (kind < 3) {
    // Raw: fields and expressions, perhaps tags.
    const n = 1 + rng.nextInt(3);
    const list = Array.from({ length: n }, () => expression(rng, m));
    if (rng.nextInt(3) === 0) list.push(`"${pick(rng, tagNames)}"`);
    fields = list.join(', ');
    if (rng.nextInt(3) === 0) groupBy = ` GROUP BY ${pick(rng, ['*', `"${pick(rng, tagNames)}"`])}`;
  } else {
    const n = 1 + rng.nextInt(2);
    const calls = Array.from({ length: n }, () => aggregate(rng, m));
    if (kind === 9) {
      // A transformation of an aggregate needs GROUP BY time.
      const inner = calls[0]!;
      fields = pick(rng, [`derivative(${inner}, 1m)`, `difference(${inner})`, `moving_average(${inner}, 2)`, `cumulative_sum(${inner})`, `non_negative_derivative(${inner}, 1s)`, `abs(${inner})`, `round(${inner})`]);
      hasTime = true;
    } else {
      fields = calls.join(', ');
      if (rng.nextInt(4) === 0) fields = `${calls[0]} ${pick(rng, ['*', '+', '-'])} ${1 + rng.nextInt(5)}`;
      hasTime = rng.nextInt(3) !== 0;
    }
    const dims: string[] = [];
    if (hasTime) dims.push(rng.nextInt(3) === 0 ? `time(${pick(rng, INTERVALS)}, ${rng.nextInt(20)}m)` : `time(${pick(rng, INTERVALS)})`);
    if (rng.nextInt(3) === 0) dims.push(pick(rng, ['*', `"${pick(rng, tagNames)}"`]));
    if (dims.length > 0) groupBy = ` GROUP BY ${dims.join(', ')}`;
    if (hasTime && rng.nextInt(2) === 0) fill = ` fill(${pick(rng, ['null', 'none', 'previous', 'linear', '0', '-1'])})`;
  }
  let tail = '';
  if (rng.nextInt(5) === 0) tail += ' ORDER BY time DESC';
  if (rng.nextInt(4) === 0) tail += ` LIMIT ${1 + rng.nextInt(5)}`;
  if (rng.nextInt(6) === 0) tail += ` OFFSET ${rng.nextInt(4)}`;
  if (groupBy.includes('"') || groupBy.includes('*')) if (rng.nextInt(4) === 0) tail += ` SLIMIT ${1 + rng.nextInt(3)}`;
  if (hasTime && rng.nextInt(6) === 0) tail += ` tz('${pick(rng, ZONES)}')`;
  return `SELECT ${fields} FROM "${m.name}" WHERE ${where}${groupBy}${fill}${tail}`;
}

/** One generated SHOW statement (measurements, tag keys and values, field keys, series, cardinalities). */
export function generateShow(rng: Rng): string {
  const m = pick(rng, MEASUREMENTS);
  const tag = pick(rng, Object.keys(m.tags));
  const value = pick(rng, m.tags[tag]!.filter((v) => v !== ''));
  const from = pick(rng, ['', ` FROM "${m.name}"`, ` FROM /^${m.name.slice(0, 1)}/`, ' FROM cpu, mem']);
  const where = pick(rng, ['', ` WHERE "${tag}" = '${value}'`, ` WHERE "${tag}" =~ /${value.slice(-1)}/`, ` WHERE "${tag}" != '${value}'`, ` WHERE "${tag}" !~ /^s/`]);
  const limit = pick(rng, ['', ' LIMIT 2', ' LIMIT 1 OFFSET 1', ' OFFSET 2']);
  switch (rng.nextInt(7)) {
    case 0:
      return `SHOW MEASUREMENTS${pick(rng, ['', ' WITH MEASUREMENT =~ /e/', ` WITH MEASUREMENT = "${m.name}"`])}${where}${limit}`;
    case 1:
      return `SHOW TAG KEYS${from}${where}${limit}`;
    case 2:
      return `SHOW TAG VALUES${from} WITH KEY ${pick(rng, [`= "${tag}"`, `=~ /${tag.slice(0, 2)}/`, `IN ("${tag}", "region")`, `!= "${tag}"`])}${where}${limit}`;
    case 3:
      return `SHOW FIELD KEYS${from}${limit}`;
    case 4:
      return `SHOW SERIES${from}${where}${limit}`;
    case 5:
      return `SHOW ${pick(rng, ['SERIES', 'MEASUREMENT', 'TAG KEY', 'FIELD KEY'])} EXACT CARDINALITY${from}${where}`;
    default:
      return `SHOW TAG VALUES EXACT CARDINALITY${from} WITH KEY = "${tag}"${where}`;
  }
}

/**
 * The rarer forms: subqueries, several or regex sources, top/bottom on float fields, integral,
 * elapsed, math functions on raw values.
 */
function generateRare(rng: Rng): string {
  const m = pick(rng, MEASUREMENTS);
  const where = condition(rng, m);
  const floatField = pick(rng, m.floats);
  const anyField = pick(rng, [...m.floats, ...m.integers]);
  const tagNames = Object.keys(m.tags);
  const interval = pick(rng, INTERVALS);
  switch (rng.nextInt(7)) {
    case 0: {
      // A subquery: an aggregate of an aggregate. The outer statement has a time range only with
      // GROUP BY time: without it, InfluxDB 1.6 answers nothing when the first inner row (a
      // window's start) lies before the outer start (a 1.6 bug).
      const inner = `SELECT ${pick(rng, ['mean', 'max', 'sum', 'count', 'last'])}("${anyField}") AS x FROM "${m.name}" WHERE ${where} GROUP BY time(${interval})${rng.nextInt(2) === 0 ? `, "${pick(rng, tagNames)}"` : ''}`;
      const outer = rng.nextInt(2) === 0 ? ` WHERE ${timeRange(rng)} GROUP BY time(${pick(rng, ['1h', '90m', '2h'])})` : '';
      return `SELECT ${pick(rng, ['mean', 'max', 'sum', 'count', 'spread'])}(x) FROM (${inner})${outer}`;
    }
    case 1: {
      // Several sources, or a regex: each measurement its own series.
      const from = pick(rng, ['"cpu", "mem"', '/^(cpu|net)$/', '/e/', '"mem", "net"']);
      const field = pick(rng, ['usage_user', 'used_percent', 'delta', 'procs', 'used']);
      return rng.nextInt(2) === 0 ? `SELECT "${field}" FROM ${from} WHERE ${timeRange(rng)} LIMIT ${1 + rng.nextInt(4)}` : `SELECT ${pick(rng, ['count', 'mean', 'max', 'sum'])}("${field}") FROM ${from} WHERE ${timeRange(rng)}${rng.nextInt(2) === 0 ? ` GROUP BY time(${interval})` : ''}`;
    }
    case 2: {
      if (m.selectable.length === 0) return `SELECT max("usage_user") FROM "cpu" WHERE ${timeRange(rng)}`;
      const fn = pick(rng, ['top', 'bottom']);
      const withTag = rng.nextInt(3) === 0 ? `"${pick(rng, tagNames)}", ` : '';
      const group = rng.nextInt(2) === 0 ? ` GROUP BY time(${pick(rng, ['30m', '1h', '2h'])})` : '';
      return `SELECT ${fn}("${pick(rng, m.selectable)}", ${withTag}${1 + rng.nextInt(4)}) FROM "${m.name}" WHERE ${where}${group}`;
    }
    case 3:
      return `SELECT integral("${floatField}"${rng.nextInt(2) === 0 ? `, ${pick(rng, ['1s', '1m', '1h'])}` : ''}) FROM "${m.name}" WHERE ${where}${rng.nextInt(2) === 0 ? ` GROUP BY time(${interval})` : ''}`;
    case 4:
      return `SELECT elapsed("${anyField}"${rng.nextInt(2) === 0 ? `, ${pick(rng, ['1ms', '1s', '1m'])}` : ''}) FROM "${m.name}" WHERE ${where}${rng.nextInt(3) === 0 ? ` GROUP BY "${pick(rng, tagNames)}"` : ''}`;
    case 5: {
      // Math on raw values (never ln or log: InfluxDB cannot write the -Inf of a zero).
      const fn = pick(rng, ['abs', 'ceil', 'floor', 'round', 'sqrt']);
      return `SELECT ${fn}("${anyField}"), "${anyField}" FROM "${m.name}" WHERE ${where}${rng.nextInt(4) === 0 ? ' ORDER BY time DESC' : ''}${rng.nextInt(3) === 0 ? ` LIMIT ${1 + rng.nextInt(5)}` : ''}`;
    }
    default:
      // tz on raw rows, and a time literal with an offset.
      return `SELECT "${anyField}" FROM "${m.name}" WHERE ${where} LIMIT ${1 + rng.nextInt(3)} tz('${pick(rng, ZONES)}')`;
  }
}
