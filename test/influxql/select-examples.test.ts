/**
 * InfluxQL SELECT, worked examples: each statement (its InfluxQL text, and the syntax tree the
 * parser gives for it) over the data of ./select-support.ts, and the exact series InfluxDB 1.6.7
 * answered for it (asked over HTTP with the same lines written to it; integers are bigint here,
 * where the JSON shows them as numbers). Each runs from its text (through the parser) and from its
 * tree. Deliberate differences are marked DIFFERENCE.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SelectStatement } from '../../src/influxql/ast.js';
import { and, as, bin, bool, call, dur, exampleDatabase, FOUR_MINUTES, groupByTag, groupByTime, int, neg, now, num, or, paren, q, re, ref, select, selectError, selectText, selectTextError, star, str, timeGe, timeLt, type PlainSeries } from './select-support.js';

const T = (hms: string) => `2020-01-01T${hms}Z`;
const EPOCH = '1970-01-01T00:00:00Z';
const cpu = (columns: string[], values: unknown[][], tags?: Record<string, string>): PlainSeries => ({ name: 'cpu', ...(tags === undefined ? {} : { tags }), columns: ['time', ...columns], values: values as PlainSeries['values'] });
const hostA = bin('=', ref('host'), str('a'));

interface Example {
  influxql: string;
  statement: SelectStatement;
  want: PlainSeries[] | { error: string };
}

const EXAMPLES: Example[] = [
  // ---- raw selects ----
  {
    influxql: 'SELECT * FROM cpu',
    statement: q({ fields: [star()] }),
    want: [cpu(['b', 'host', 'i', 'region', 's', 'v'], [
      [T('00:00:00'), true, 'a', 10n, 'us', 'x', 1], [T('00:00:10'), null, 'b', 5n, 'eu', 'y', 2], [T('00:00:30'), null, 'a', 20n, 'us', null, 3],
      [T('00:01:05'), null, 'c', -3n, null, null, 4], [T('00:01:10'), null, 'b', null, 'eu', null, 8], [T('00:02:10'), null, 'a', 7n, 'us', null, 5],
    ])],
  },
  {
    influxql: 'SELECT v FROM cpu',
    statement: q({ fields: [ref('v')] }),
    want: [cpu(['v'], [[T('00:00:00'), 1], [T('00:00:10'), 2], [T('00:00:30'), 3], [T('00:01:05'), 4], [T('00:01:10'), 8], [T('00:02:10'), 5]])],
  },
  {
    influxql: 'SELECT * FROM cpu GROUP BY host',
    statement: q({ fields: [star()], groupBy: [groupByTag('host')] }),
    want: [
      cpu(['b', 'i', 'region', 's', 'v'], [[T('00:00:00'), true, 10n, 'us', 'x', 1], [T('00:00:30'), null, 20n, 'us', null, 3], [T('00:02:10'), null, 7n, 'us', null, 5]], { host: 'a' }),
      cpu(['b', 'i', 'region', 's', 'v'], [[T('00:00:10'), null, 5n, 'eu', 'y', 2], [T('00:01:10'), null, null, 'eu', null, 8]], { host: 'b' }),
      cpu(['b', 'i', 'region', 's', 'v'], [[T('00:01:05'), null, -3n, null, null, 4]], { host: 'c' }),
    ],
  },
  {
    influxql: 'SELECT * FROM cpu GROUP BY *',
    statement: q({ fields: [star()], groupBy: [{ kind: 'wildcard' }] }),
    want: [
      cpu(['b', 'i', 's', 'v'], [[T('00:00:00'), true, 10n, 'x', 1], [T('00:00:30'), null, 20n, null, 3], [T('00:02:10'), null, 7n, null, 5]], { host: 'a', region: 'us' }),
      cpu(['b', 'i', 's', 'v'], [[T('00:00:10'), null, 5n, 'y', 2], [T('00:01:10'), null, null, null, 8]], { host: 'b', region: 'eu' }),
      cpu(['b', 'i', 's', 'v'], [[T('00:01:05'), null, -3n, null, 4]], { host: 'c', region: '' }),
    ],
  },
  { influxql: 'SELECT host FROM cpu', statement: q({ fields: [ref('host')] }), want: [] },
  { influxql: 'SELECT s FROM cpu', statement: q({ fields: [ref('s')] }), want: [cpu(['s'], [[T('00:00:00'), 'x'], [T('00:00:10'), 'y']])] },
  {
    influxql: 'SELECT v, host FROM cpu GROUP BY region',
    statement: q({ fields: [ref('v'), ref('host')], groupBy: [groupByTag('region')] }),
    want: [
      cpu(['v', 'host'], [[T('00:01:05'), 4, 'c']], { region: '' }),
      cpu(['v', 'host'], [[T('00:00:10'), 2, 'b'], [T('00:01:10'), 8, 'b']], { region: 'eu' }),
      cpu(['v', 'host'], [[T('00:00:00'), 1, 'a'], [T('00:00:30'), 3, 'a'], [T('00:02:10'), 5, 'a']], { region: 'us' }),
    ],
  },
  {
    influxql: 'SELECT * FROM /.*/',
    statement: q({ fields: [star()], from: [{ kind: 'measurement', regex: '.*' }] }),
    want: [
      cpu(['b', 'free', 'host', 'i', 'region', 's', 'used', 'v'], [
        [T('00:00:00'), true, null, 'a', 10n, 'us', 'x', null, 1], [T('00:00:10'), null, null, 'b', 5n, 'eu', 'y', null, 2], [T('00:00:30'), null, null, 'a', 20n, 'us', null, null, 3],
        [T('00:01:05'), null, null, 'c', -3n, null, null, null, 4], [T('00:01:10'), null, null, 'b', null, 'eu', null, null, 8], [T('00:02:10'), null, null, 'a', 7n, 'us', null, null, 5],
      ]),
      { name: 'mem', columns: ['time', 'b', 'free', 'host', 'i', 'region', 's', 'used', 'v'], values: [[T('00:00:00'), null, 1.5, 'a', null, null, null, 100n, null], [T('00:01:00'), null, null, 'b', null, null, null, 200n, null]] },
    ],
  },
  {
    influxql: 'SELECT v FROM cpu, mem',
    statement: q({ fields: [ref('v')], from: ['cpu', 'mem'] }),
    want: [cpu(['v'], [[T('00:00:00'), 1], [T('00:00:10'), 2], [T('00:00:30'), 3], [T('00:01:05'), 4], [T('00:01:10'), 8], [T('00:02:10'), 5]])],
  },
  {
    influxql: 'SELECT used, v FROM mem, cpu',
    statement: q({ fields: [ref('used'), ref('v')], from: ['mem', 'cpu'] }),
    want: [
      cpu(['used', 'v'], [[T('00:00:00'), null, 1], [T('00:00:10'), null, 2], [T('00:00:30'), null, 3], [T('00:01:05'), null, 4], [T('00:01:10'), null, 8], [T('00:02:10'), null, 5]]),
      { name: 'mem', columns: ['time', 'used', 'v'], values: [[T('00:00:00'), 100n, null], [T('00:01:00'), 200n, null]] },
    ],
  },
  {
    influxql: "SELECT v + 1, v * i, v / 2, -v, v AS x, v::field FROM cpu WHERE host = 'a'",
    statement: q({ fields: [bin('+', ref('v'), int(1)), bin('*', ref('v'), ref('i')), bin('/', ref('v'), int(2)), neg(ref('v')), as(ref('v'), 'x'), ref('v', 'field')], where: hostA }),
    want: [cpu(['v', 'v_i', 'v_1', 'v_2', 'x', 'v_3'], [[T('00:00:00'), 2, 10, 0.5, -1, 1, 1], [T('00:00:30'), 4, 60, 1.5, -3, 3, 3], [T('00:02:10'), 6, 35, 2.5, -5, 5, 5]])],
  },
  {
    influxql: "SELECT v / 0, i / 0, i % 0, v % 2, i % 3, i & 3, i | 1, i ^ 1 FROM cpu WHERE host = 'a'",
    statement: q({ fields: [bin('/', ref('v'), int(0)), bin('/', ref('i'), int(0)), bin('%', ref('i'), int(0)), bin('%', ref('v'), int(2)), bin('%', ref('i'), int(3)), bin('&', ref('i'), int(3)), bin('|', ref('i'), int(1)), bin('^', ref('i'), int(1))], where: hostA }),
    want: [cpu(['v', 'i', 'i_1', 'v_1', 'i_2', 'i_3', 'i_4', 'i_5'], [
      [T('00:00:00'), 0, 0, 0n, 1, 1n, 2n, 11n, 11n], [T('00:00:30'), 0, 0, 0n, 1, 2n, 0n, 21n, 21n], [T('00:02:10'), 0, 0, 0n, 1, 1n, 3n, 7n, 6n],
    ])],
  },
  {
    influxql: 'SELECT v FROM cpu ORDER BY time DESC LIMIT 2 OFFSET 1',
    statement: q({ fields: [ref('v')], desc: true, limit: 2, offset: 1 }),
    want: [cpu(['v'], [[T('00:01:10'), 8], [T('00:01:05'), 4]])],
  },
  {
    influxql: 'SELECT v FROM cpu GROUP BY host LIMIT 1',
    statement: q({ fields: [ref('v')], groupBy: [groupByTag('host')], limit: 1 }),
    want: [cpu(['v'], [[T('00:00:00'), 1]], { host: 'a' }), cpu(['v'], [[T('00:00:10'), 2]], { host: 'b' }), cpu(['v'], [[T('00:01:05'), 4]], { host: 'c' })],
  },
  {
    influxql: 'SELECT v FROM cpu GROUP BY host SLIMIT 1 SOFFSET 1',
    statement: q({ fields: [ref('v')], groupBy: [groupByTag('host')], slimit: 1, soffset: 1 }),
    want: [cpu(['v'], [[T('00:00:10'), 2], [T('00:01:10'), 8]], { host: 'b' })],
  },
  // InfluxDB 1.6 answers OFFSET without LIMIT with one row per series.
  { influxql: 'SELECT v FROM cpu OFFSET 2', statement: q({ fields: [ref('v')], offset: 2 }), want: [cpu(['v'], [[T('00:00:30'), 3]])] },
  { influxql: 'SELECT v FROM cpu GROUP BY host OFFSET 1', statement: q({ fields: [ref('v')], groupBy: [groupByTag('host')], offset: 1 }), want: [cpu(['v'], [[T('00:00:30'), 3]], { host: 'a' }), cpu(['v'], [[T('00:01:10'), 8]], { host: 'b' })] },
  { influxql: 'SELECT v FROM nomeasurement', statement: q({ fields: [ref('v')], from: ['nomeasurement'] }), want: [] },
  {
    influxql: "SELECT v FROM t.autogen.cpu WHERE host = 'c'",
    statement: q({ fields: [ref('v')], from: [{ kind: 'measurement', database: 't', retentionPolicy: 'autogen', name: 'cpu' }], where: bin('=', ref('host'), str('c')) }),
    want: [cpu(['v'], [[T('00:01:05'), 4]])],
  },
  { influxql: 'SELECT v FROM nope.autogen.cpu', statement: q({ fields: [ref('v')], from: [{ kind: 'measurement', database: 'nope', retentionPolicy: 'autogen', name: 'cpu' }] }), want: { error: 'database not found: nope' } },
  { influxql: 'SELECT v FROM t.foo.cpu', statement: q({ fields: [ref('v')], from: [{ kind: 'measurement', database: 't', retentionPolicy: 'foo', name: 'cpu' }] }), want: { error: 'retention policy not found: foo' } },

  {
    influxql: "SELECT v::integer, i::float, s::integer, v::string FROM cpu WHERE host = 'a'",
    statement: q({ fields: [ref('v', 'integer'), ref('i', 'float'), ref('s', 'integer'), ref('v', 'string')], where: hostA }),
    want: [cpu(['v', 'i', 's', 'v_1'], [[T('00:00:00'), 1n, 10, null, null], [T('00:00:30'), 3n, 20, null, null], [T('00:02:10'), 5n, 7, null, null]])],
  },
  {
    influxql: 'SELECT v + i FROM cpu',
    statement: q({ fields: [bin('+', ref('v'), ref('i'))] }),
    want: [cpu(['v_i'], [[T('00:00:00'), 11], [T('00:00:10'), 7], [T('00:00:30'), 23], [T('00:01:05'), 1], [T('00:01:10'), null], [T('00:02:10'), 12]])],
  },
  {
    influxql: 'SELECT v FROM cpu GROUP BY host ORDER BY time DESC LIMIT 1',
    statement: q({ fields: [ref('v')], groupBy: [groupByTag('host')], desc: true, limit: 1 }),
    want: [cpu(['v'], [[T('00:01:05'), 4]], { host: 'c' }), cpu(['v'], [[T('00:01:10'), 8]], { host: 'b' }), cpu(['v'], [[T('00:02:10'), 5]], { host: 'a' })],
  },
  {
    influxql: 'SELECT v, used FROM cpu, mem ORDER BY time DESC LIMIT 1',
    statement: q({ fields: [ref('v'), ref('used')], from: ['cpu', 'mem'], desc: true, limit: 1 }),
    want: [{ name: 'mem', columns: ['time', 'v', 'used'], values: [[T('00:01:00'), null, 200n]] }, cpu(['v', 'used'], [[T('00:02:10'), 5, null]])],
  },
  { influxql: "SELECT v FROM cpu WHERE host = 'b' LIMIT 0", statement: q({ fields: [ref('v')], where: bin('=', ref('host'), str('b')), limit: 0 }), want: [cpu(['v'], [[T('00:00:10'), 2], [T('00:01:10'), 8]])] },
  { influxql: "SELECT time AS t, v FROM cpu WHERE host = 'b'", statement: q({ fields: [as(ref('time'), 't'), ref('v')], where: bin('=', ref('host'), str('b')) }), want: [{ name: 'cpu', columns: ['t', 'v'], values: [[T('00:00:10'), 2], [T('00:01:10'), 8]] }] },
  { influxql: 'SELECT time FROM cpu', statement: q({ fields: [ref('time')] }), want: { error: 'at least 1 non-time field must be queried' } },
  {
    // InfluxDB 1.6 could not answer this one (ln(0) is -Inf, which its JSON encoder refuses); Sluice answers null, as for sqrt(-1).
    influxql: "SELECT sqrt(-v), ln(v - 1) FROM cpu WHERE host = 'a'",
    statement: q({ fields: [call('sqrt', neg(ref('v'))), call('ln', bin('-', ref('v'), int(1)))], where: hostA }),
    want: [cpu(['sqrt', 'ln'], [[T('00:00:00'), null, null], [T('00:00:30'), null, 0.6931471805599453], [T('00:02:10'), null, 1.3862943611198906]])],
  },
  { influxql: "SELECT /v|^i/ FROM cpu WHERE host = 'b'", statement: q({ fields: [re('v|^i')], where: bin('=', ref('host'), str('b')) }), want: [cpu(['i', 'v'], [[T('00:00:10'), 5n, 2], [T('00:01:10'), null, 8]])] },
  // ---- WHERE ----
  { influxql: "SELECT v FROM cpu WHERE time > '2020-01-01T00:01:00Z' OR host = 'a'", statement: q({ fields: [ref('v')], where: or(bin('>', ref('time'), str(T('00:01:00'))), hostA) }), want: [cpu(['v'], [[T('00:02:10'), 5]])] },
  { influxql: "SELECT v FROM cpu WHERE time > '2020-01-01 00:01:00'", statement: q({ fields: [ref('v')], where: bin('>', ref('time'), str('2020-01-01 00:01:00')) }), want: [cpu(['v'], [[T('00:01:05'), 4], [T('00:01:10'), 8], [T('00:02:10'), 5]])] },
  { influxql: "SELECT v FROM cpu WHERE time > '2020-01-01'", statement: q({ fields: [ref('v')], where: bin('>', ref('time'), str('2020-01-01')) }), want: [cpu(['v'], [[T('00:00:10'), 2], [T('00:00:30'), 3], [T('00:01:05'), 4], [T('00:01:10'), 8], [T('00:02:10'), 5]])] },
  { influxql: "SELECT v FROM cpu WHERE time > 'bad'", statement: q({ fields: [ref('v')], where: bin('>', ref('time'), str('bad')) }), want: { error: 'invalid operation: time and *influxql.StringLiteral are not compatible' } },
  { influxql: 'SELECT v FROM cpu WHERE time > 1577836865000000000', statement: q({ fields: [ref('v')], where: bin('>', ref('time'), int(1577836865000000000n)) }), want: [cpu(['v'], [[T('00:01:10'), 8], [T('00:02:10'), 5]])] },
  { influxql: 'SELECT v FROM cpu WHERE time > 1577836865s', statement: q({ fields: [ref('v')], where: bin('>', ref('time'), dur('1577836865s')) }), want: [cpu(['v'], [[T('00:01:10'), 8], [T('00:02:10'), 5]])] },
  { influxql: "SELECT v FROM cpu WHERE time = '2020-01-01T00:01:05Z'", statement: q({ fields: [ref('v')], where: bin('=', ref('time'), str(T('00:01:05'))) }), want: [cpu(['v'], [[T('00:01:05'), 4]])] },
  { influxql: "SELECT v FROM cpu WHERE time > '2020-01-01T01:01:00+01:00'", statement: q({ fields: [ref('v')], where: bin('>', ref('time'), str('2020-01-01T01:01:00+01:00')) }), want: [cpu(['v'], [[T('00:01:05'), 4], [T('00:01:10'), 8], [T('00:02:10'), 5]])] },
  { influxql: 'SELECT v FROM cpu WHERE time > now() - 100000d', statement: q({ fields: [ref('v')], where: bin('>', ref('time'), bin('-', now(), dur('100000d'))) }), want: [cpu(['v'], [[T('00:00:00'), 1], [T('00:00:10'), 2], [T('00:00:30'), 3], [T('00:01:05'), 4], [T('00:01:10'), 8], [T('00:02:10'), 5]])] },
  { influxql: "SELECT v FROM cpu WHERE time > '2020-01-01T00:01:00Z' AND time > '2020-01-01T00:01:06Z'", statement: q({ fields: [ref('v')], where: and(bin('>', ref('time'), str(T('00:01:00'))), bin('>', ref('time'), str(T('00:01:06')))) }), want: [cpu(['v'], [[T('00:01:10'), 8], [T('00:02:10'), 5]])] },
  { influxql: "SELECT v FROM cpu WHERE v > 2 OR time < '2020-01-01T00:00:20Z'", statement: q({ fields: [ref('v')], where: or(bin('>', ref('v'), int(2)), bin('<', ref('time'), str(T('00:00:20')))) }), want: [] },
  { influxql: "SELECT v FROM cpu WHERE region = ''", statement: q({ fields: [ref('v')], where: bin('=', ref('region'), str('')) }), want: [cpu(['v'], [[T('00:01:05'), 4]])] },
  { influxql: "SELECT v FROM cpu WHERE region != 'us'", statement: q({ fields: [ref('v')], where: bin('!=', ref('region'), str('us')) }), want: [cpu(['v'], [[T('00:00:10'), 2], [T('00:01:05'), 4], [T('00:01:10'), 8]])] },
  { influxql: "SELECT v FROM cpu WHERE host <> 'a'", statement: q({ fields: [ref('v')], where: bin('<>', ref('host'), str('a')) }), want: [cpu(['v'], [[T('00:00:10'), 2], [T('00:01:05'), 4], [T('00:01:10'), 8]])] },
  { influxql: 'SELECT v FROM cpu WHERE region =~ /^$/', statement: q({ fields: [ref('v')], where: bin('=~', ref('region'), re('^$')) }), want: [cpu(['v'], [[T('00:01:05'), 4]])] },
  { influxql: 'SELECT v FROM cpu WHERE host !~ /a/', statement: q({ fields: [ref('v')], where: bin('!~', ref('host'), re('a')) }), want: [cpu(['v'], [[T('00:00:10'), 2], [T('00:01:05'), 4], [T('00:01:10'), 8]])] },
  { influxql: 'SELECT v FROM cpu WHERE host =~ /^(a|c)$/ AND v >= 4', statement: q({ fields: [ref('v')], where: and(bin('=~', ref('host'), re('^(a|c)$')), bin('>=', ref('v'), int(4))) }), want: [cpu(['v'], [[T('00:01:05'), 4], [T('00:02:10'), 5]])] },
  { influxql: "SELECT v FROM cpu WHERE nope = ''", statement: q({ fields: [ref('v')], where: bin('=', ref('nope'), str('')) }), want: [cpu(['v'], [[T('00:00:00'), 1], [T('00:00:10'), 2], [T('00:00:30'), 3], [T('00:01:05'), 4], [T('00:01:10'), 8], [T('00:02:10'), 5]])] },
  { influxql: 'SELECT v FROM cpu WHERE host = 1', statement: q({ fields: [ref('v')], where: bin('=', ref('host'), int(1)) }), want: [] },
  { influxql: 'SELECT v FROM cpu WHERE i > 5.5', statement: q({ fields: [ref('v')], where: bin('>', ref('i'), num(5.5)) }), want: [cpu(['v'], [[T('00:00:00'), 1], [T('00:00:30'), 3], [T('00:02:10'), 5]])] },
  { influxql: "SELECT v FROM cpu WHERE s = 'x'", statement: q({ fields: [ref('v')], where: bin('=', ref('s'), str('x')) }), want: [cpu(['v'], [[T('00:00:00'), 1]])] },
  { influxql: 'SELECT v FROM cpu WHERE s =~ /x|y/', statement: q({ fields: [ref('v')], where: bin('=~', ref('s'), re('x|y')) }), want: [cpu(['v'], [[T('00:00:00'), 1], [T('00:00:10'), 2]])] },
  { influxql: 'SELECT v FROM cpu WHERE b = true', statement: q({ fields: [ref('v')], where: bin('=', ref('b'), bool(true)) }), want: [cpu(['v'], [[T('00:00:00'), 1]])] },
  { influxql: 'SELECT v FROM cpu WHERE v + 1 > 5', statement: q({ fields: [ref('v')], where: bin('>', bin('+', ref('v'), int(1)), int(5)) }), want: [cpu(['v'], [[T('00:01:10'), 8], [T('00:02:10'), 5]])] },
  { influxql: "SELECT v FROM cpu WHERE (host = 'a' OR host = 'b') AND v > 2", statement: q({ fields: [ref('v')], where: and(paren(or(hostA, bin('=', ref('host'), str('b')))), bin('>', ref('v'), int(2))) }), want: [cpu(['v'], [[T('00:00:30'), 3], [T('00:01:10'), 8], [T('00:02:10'), 5]])] },

  { influxql: "SELECT v FROM cpu WHERE host > 'a'", statement: q({ fields: [ref('v')], where: bin('>', ref('host'), str('a')) }), want: [] },
  // In WHERE, integers divide as integers (i / 3 truncates); in the field list they divide as floats.
  { influxql: 'SELECT v FROM cpu WHERE v > i / 3', statement: q({ fields: [ref('v')], where: bin('>', ref('v'), bin('/', ref('i'), int(3))) }), want: [cpu(['v'], [[T('00:00:10'), 2], [T('00:01:05'), 4], [T('00:02:10'), 5]])] },
  { influxql: "SELECT v FROM cpu WHERE v = 8.0 OR s = 'x'", statement: q({ fields: [ref('v')], where: or(bin('=', ref('v'), num(8)), bin('=', ref('s'), str('x'))) }), want: [cpu(['v'], [[T('00:00:00'), 1], [T('00:01:10'), 8]])] },
  { influxql: 'SELECT v FROM cpu WHERE b != false', statement: q({ fields: [ref('v')], where: bin('!=', ref('b'), bool(false)) }), want: [cpu(['v'], [[T('00:00:00'), 1]])] },
  // ---- aggregates and selectors ----
  { influxql: 'SELECT mean(v) FROM cpu', statement: q({ fields: [call('mean', ref('v'))] }), want: [cpu(['mean'], [[EPOCH, 3.8333333333333335]])] },
  { influxql: 'SELECT max(v) FROM cpu', statement: q({ fields: [call('max', ref('v'))] }), want: [cpu(['max'], [[T('00:01:10'), 8]])] },
  { influxql: 'SELECT max(v), min(v) FROM cpu', statement: q({ fields: [call('max', ref('v')), call('min', ref('v'))] }), want: [cpu(['max', 'min'], [[EPOCH, 8, 1]])] },
  { influxql: 'SELECT max(v), mean(v) FROM cpu', statement: q({ fields: [call('max', ref('v')), call('mean', ref('v'))] }), want: [cpu(['max', 'mean'], [[EPOCH, 8, 3.8333333333333335]])] },
  { influxql: "SELECT mean(v) FROM cpu WHERE time >= '2020-01-01T00:00:20Z'", statement: q({ fields: [call('mean', ref('v'))], where: timeGe(T('00:00:20')) }), want: [cpu(['mean'], [[T('00:00:20'), 5]])] },
  { influxql: "SELECT max(v) FROM cpu WHERE time >= '2020-01-01T00:00:20Z'", statement: q({ fields: [call('max', ref('v'))], where: timeGe(T('00:00:20')) }), want: [cpu(['max'], [[T('00:01:10'), 8]])] },
  { influxql: 'SELECT max(v), host FROM cpu', statement: q({ fields: [call('max', ref('v')), ref('host')] }), want: [cpu(['max', 'host'], [[T('00:01:10'), 8, 'b']])] },
  {
    influxql: 'SELECT first(v), last(v) FROM cpu GROUP BY host',
    statement: q({ fields: [call('first', ref('v')), call('last', ref('v'))], groupBy: [groupByTag('host')] }),
    want: [cpu(['first', 'last'], [[EPOCH, 1, 5]], { host: 'a' }), cpu(['first', 'last'], [[EPOCH, 2, 8]], { host: 'b' }), cpu(['first', 'last'], [[EPOCH, 4, 4]], { host: 'c' })],
  },
  {
    influxql: 'SELECT first(v) FROM cpu GROUP BY host',
    statement: q({ fields: [call('first', ref('v'))], groupBy: [groupByTag('host')] }),
    want: [cpu(['first'], [[T('00:00:00'), 1]], { host: 'a' }), cpu(['first'], [[T('00:00:10'), 2]], { host: 'b' }), cpu(['first'], [[T('00:01:05'), 4]], { host: 'c' })],
  },
  { influxql: 'SELECT first(s), last(b) FROM cpu', statement: q({ fields: [call('first', ref('s')), call('last', ref('b'))] }), want: [cpu(['first', 'last'], [[EPOCH, 'x', true]])] },
  { influxql: 'SELECT last(*) FROM cpu', statement: q({ fields: [call('last', star())] }), want: [cpu(['last_b', 'last_i', 'last_s', 'last_v'], [[EPOCH, true, 7n, 'y', 5]])] },
  { influxql: 'SELECT max(*) FROM cpu', statement: q({ fields: [call('max', star())] }), want: [cpu(['max_b', 'max_i', 'max_v'], [[EPOCH, true, 20n, 8]])] },
  { influxql: 'SELECT mean(*) FROM cpu', statement: q({ fields: [call('mean', star())] }), want: [cpu(['mean_i', 'mean_v'], [[EPOCH, 7.8, 3.8333333333333335]])] },
  { influxql: 'SELECT count(*) FROM cpu', statement: q({ fields: [call('count', star())] }), want: [cpu(['count_b', 'count_i', 'count_s', 'count_v'], [[EPOCH, 1n, 5n, 2n, 6n]])] },
  {
    influxql: 'SELECT mean(v) + 1, mean(v), mean(i), max(v) * 2 FROM cpu',
    statement: q({ fields: [bin('+', call('mean', ref('v')), int(1)), call('mean', ref('v')), call('mean', ref('i')), bin('*', call('max', ref('v')), int(2))] }),
    want: [cpu(['mean', 'mean_1', 'mean_2', 'max'], [[EPOCH, 4.833333333333334, 3.8333333333333335, 7.8, 16]])],
  },
  {
    influxql: 'SELECT median(i), median(v), spread(i), sum(i) FROM cpu',
    statement: q({ fields: [call('median', ref('i')), call('median', ref('v')), call('spread', ref('i')), call('sum', ref('i'))] }),
    // median() of an integer field is a float in 1.x (IntegerMedianReduceSlice answers FloatPoints).
    want: [cpu(['median', 'median_1', 'spread', 'sum'], [[EPOCH, 7, 3.5, 23n, 39n]])],
  },
  { influxql: "SELECT median(i) FROM cpu WHERE host != 'c'", statement: q({ fields: [call('median', ref('i'))], where: bin('!=', ref('host'), str('c')) }), want: [cpu(['median'], [[EPOCH, 8.5]])] },
  { influxql: "SELECT median(i) FROM cpu WHERE host = 'a'", statement: q({ fields: [call('median', ref('i'))], where: hostA }), want: [cpu(['median'], [[EPOCH, 10]])] },
  { influxql: 'SELECT mode(v), mode(i) FROM cpu', statement: q({ fields: [call('mode', ref('v')), call('mode', ref('i'))] }), want: [cpu(['mode', 'mode_1'], [[EPOCH, 1, -3n]])] },
  {
    influxql: 'SELECT stddev(v) FROM cpu GROUP BY host',
    statement: q({ fields: [call('stddev', ref('v'))], groupBy: [groupByTag('host')] }),
    want: [cpu(['stddev'], [[EPOCH, 2]], { host: 'a' }), cpu(['stddev'], [[EPOCH, 4.242640687119285]], { host: 'b' }), cpu(['stddev'], [[EPOCH, null]], { host: 'c' })],
  },
  { influxql: 'SELECT distinct(i) FROM cpu', statement: q({ fields: [call('distinct', ref('i'))] }), want: [cpu(['distinct'], [[EPOCH, 10n], [EPOCH, 5n], [EPOCH, 20n], [EPOCH, -3n], [EPOCH, 7n]])] },
  { influxql: 'SELECT count(distinct(i)) FROM cpu', statement: q({ fields: [call('count', call('distinct', ref('i')))] }), want: [cpu(['count'], [[EPOCH, 5n]])] },
  {
    influxql: 'SELECT percentile(v, 50), percentile(v, 90), percentile(v, 100), percentile(v, 0) FROM cpu',
    statement: q({ fields: [call('percentile', ref('v'), int(50)), call('percentile', ref('v'), int(90)), call('percentile', ref('v'), int(100)), call('percentile', ref('v'), int(0))] }),
    want: [cpu(['percentile', 'percentile_1', 'percentile_2', 'percentile_3'], [[EPOCH, 3, 5, 8, null]])],
  },
  { influxql: 'SELECT top(v, 2) FROM cpu', statement: q({ fields: [call('top', ref('v'), int(2))] }), want: [cpu(['top'], [[T('00:01:10'), 8], [T('00:02:10'), 5]])] },
  { influxql: 'SELECT top(v, host, 2) FROM cpu', statement: q({ fields: [call('top', ref('v'), ref('host'), int(2))] }), want: [cpu(['top', 'host'], [[T('00:01:10'), 8, 'b'], [T('00:02:10'), 5, 'a']])] },
  { influxql: 'SELECT bottom(v, 3), host FROM cpu', statement: q({ fields: [call('bottom', ref('v'), int(3)), ref('host')] }), want: [cpu(['bottom', 'host'], [[T('00:00:00'), 1, 'a'], [T('00:00:10'), 2, 'b'], [T('00:00:30'), 3, 'a']])] },
  {
    influxql: "SELECT top(v, 2) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:03:00Z' GROUP BY time(1m)",
    statement: q({ fields: [call('top', ref('v'), int(2))], where: and(timeGe(T('00:00:00')), timeLt(T('00:03:00'))), groupBy: [groupByTime('1m')] }),
    want: [cpu(['top'], [[T('00:00:10'), 2], [T('00:00:30'), 3], [T('00:01:05'), 4], [T('00:01:10'), 8], [T('00:02:10'), 5]])],
  },
  { influxql: 'SELECT integral(v) FROM cpu', statement: q({ fields: [call('integral', ref('v'))] }), want: [cpu(['integral'], [[EPOCH, 607.5]])] },
  {
    // DIFFERENCE: InfluxDB 1.6 answered these series in the order c, b, a; Sluice keeps every answer in tag order.
    influxql: 'SELECT integral(v, 1m) FROM cpu GROUP BY host',
    statement: q({ fields: [call('integral', ref('v'), dur('1m'))], groupBy: [groupByTag('host')] }),
    want: [cpu(['integral'], [[EPOCH, 7.666666666666667]], { host: 'a' }), cpu(['integral'], [[EPOCH, 5]], { host: 'b' }), cpu(['integral'], [[EPOCH, 0]], { host: 'c' })],
  },

  { influxql: 'SELECT distinct(host) FROM cpu', statement: q({ fields: [call('distinct', ref('host'))] }), want: [] },
  { influxql: "SELECT mode(v) FROM cpu WHERE host != 'c'", statement: q({ fields: [call('mode', ref('v'))], where: bin('!=', ref('host'), str('c')) }), want: [cpu(['mode'], [[EPOCH, 1]])] },
  { influxql: 'SELECT percentile(i, 99.9), percentile(v, 33.3) FROM cpu', statement: q({ fields: [call('percentile', ref('i'), num(99.9)), call('percentile', ref('v'), num(33.3))] }), want: [cpu(['percentile', 'percentile_1'], [[EPOCH, 20n, 2]])] },
  { influxql: 'SELECT sum(used), first(used), spread(free) FROM mem', statement: q({ fields: [call('sum', ref('used')), call('first', ref('used')), call('spread', ref('free'))], from: ['mem'] }), want: [{ name: 'mem', columns: ['time', 'sum', 'first', 'spread'], values: [[EPOCH, 300n, 100n, 0]] }] },
  {
    influxql: 'SELECT top(v, 1) FROM cpu GROUP BY host',
    statement: q({ fields: [call('top', ref('v'), int(1))], groupBy: [groupByTag('host')] }),
    want: [cpu(['top'], [[T('00:02:10'), 5]], { host: 'a' }), cpu(['top'], [[T('00:01:10'), 8]], { host: 'b' }), cpu(['top'], [[T('00:01:05'), 4]], { host: 'c' })],
  },
  {
    influxql: 'SELECT max(v) * 2, min(v) FROM cpu GROUP BY host fill(none)',
    statement: q({ fields: [bin('*', call('max', ref('v')), int(2)), call('min', ref('v'))], groupBy: [groupByTag('host')], fill: { mode: 'none' } }),
    want: [cpu(['max', 'min'], [[EPOCH, 10, 1]], { host: 'a' }), cpu(['max', 'min'], [[EPOCH, 16, 2]], { host: 'b' }), cpu(['max', 'min'], [[EPOCH, 8, 4]], { host: 'c' })],
  },
  { influxql: 'SELECT top(v, 1), bottom(v, 1) FROM cpu', statement: q({ fields: [call('top', ref('v'), int(1)), call('bottom', ref('v'), int(1))] }), want: { error: 'selector function top() cannot be combined with other functions' } },
  {
    influxql: 'SELECT mean(v) FROM cpu GROUP BY *',
    statement: q({ fields: [call('mean', ref('v'))], groupBy: [{ kind: 'wildcard' }] }),
    want: [cpu(['mean'], [[EPOCH, 3]], { host: 'a', region: 'us' }), cpu(['mean'], [[EPOCH, 5]], { host: 'b', region: 'eu' }), cpu(['mean'], [[EPOCH, 4]], { host: 'c', region: '' })],
  },
  {
    influxql: 'SELECT mean(v) FROM cpu GROUP BY /reg/',
    statement: q({ fields: [call('mean', ref('v'))], groupBy: [{ kind: 'regex', pattern: 'reg' }] }),
    want: [cpu(['mean'], [[EPOCH, 4]], { region: '' }), cpu(['mean'], [[EPOCH, 5]], { region: 'eu' }), cpu(['mean'], [[EPOCH, 3]], { region: 'us' })],
  },
  { influxql: 'SELECT * FROM cpu GROUP BY time(1m)', statement: q({ fields: [star()], groupBy: [groupByTime('1m')] }), want: { error: 'GROUP BY requires at least one aggregate function' } },
  {
    influxql: 'SELECT count(used), count(v) FROM cpu, mem',
    statement: q({ fields: [call('count', ref('used')), call('count', ref('v'))], from: ['cpu', 'mem'] }),
    want: [cpu(['count', 'count_1'], [[EPOCH, null, 6n]]), { name: 'mem', columns: ['time', 'count', 'count_1'], values: [[EPOCH, 2n, null]] }],
  },
  {
    influxql: 'SELECT mean(v) FROM cpu, mem GROUP BY host SLIMIT 2',
    statement: q({ fields: [call('mean', ref('v'))], from: ['cpu', 'mem'], groupBy: [groupByTag('host')], slimit: 2 }),
    want: [cpu(['mean'], [[EPOCH, 3]], { host: 'a' }), cpu(['mean'], [[EPOCH, 5]], { host: 'b' })],
  },
  { influxql: 'SELECT last(v), host, region FROM cpu', statement: q({ fields: [call('last', ref('v')), ref('host'), ref('region')] }), want: [cpu(['last', 'host', 'region'], [[T('00:02:10'), 5, 'a', 'us']])] },
  {
    influxql: 'SELECT max(v), i FROM cpu GROUP BY host',
    statement: q({ fields: [call('max', ref('v')), ref('i')], groupBy: [groupByTag('host')] }),
    want: [cpu(['max', 'i'], [[T('00:02:10'), 5, 7n]], { host: 'a' }), cpu(['max', 'i'], [[T('00:01:10'), 8, null]], { host: 'b' }), cpu(['max', 'i'], [[T('00:01:05'), 4, -3n]], { host: 'c' })],
  },
  { influxql: 'SELECT mean(v) AS m, count(v) AS m FROM cpu', statement: q({ fields: [as(call('mean', ref('v')), 'm'), as(call('count', ref('v')), 'm')] }), want: [cpu(['m', 'm'], [[EPOCH, 3.8333333333333335, 6n]])] },
  { influxql: 'SELECT spread(v), sum(v) / count(v) FROM cpu', statement: q({ fields: [call('spread', ref('v')), bin('/', call('sum', ref('v')), call('count', ref('v')))] }), want: [cpu(['spread', 'sum_count'], [[EPOCH, 7, 3.8333333333333335]])] },
  // ---- GROUP BY time and fill ----
  {
    influxql: "SELECT count(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m)",
    statement: q({ fields: [call('count', ref('v'))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')] }),
    want: [cpu(['count'], [[T('00:00:00'), 3n], [T('00:01:00'), 2n], [T('00:02:00'), 1n], [T('00:03:00'), 0n]])],
  },
  {
    influxql: "SELECT max(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m)",
    statement: q({ fields: [call('max', ref('v'))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')] }),
    want: [cpu(['max'], [[T('00:00:00'), 3], [T('00:01:00'), 8], [T('00:02:00'), 5], [T('00:03:00'), null]])],
  },
  {
    influxql: "SELECT mean(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' GROUP BY time(1m) LIMIT 5",
    statement: q({ fields: [call('mean', ref('v'))], where: timeGe(T('00:00:00')), groupBy: [groupByTime('1m')], limit: 5 }),
    want: [cpu(['mean'], [[T('00:00:00'), 2], [T('00:01:00'), 6], [T('00:02:00'), 5], [T('00:03:00'), null], [T('00:04:00'), null]])],
  },
  {
    influxql: "SELECT mean(v) FROM cpu WHERE time < '2020-01-01T00:04:00Z' GROUP BY time(1m)",
    statement: q({ fields: [call('mean', ref('v'))], where: timeLt(T('00:04:00')), groupBy: [groupByTime('1m')] }),
    want: [cpu(['mean'], [[T('00:00:00'), 2], [T('00:01:00'), 6], [T('00:02:00'), 5], [T('00:03:00'), null]])],
  },
  {
    influxql: "SELECT mean(v) FROM cpu WHERE host = 'c' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m)",
    statement: q({ fields: [call('mean', ref('v'))], where: and(bin('=', ref('host'), str('c')), timeLt(T('00:04:00'))), groupBy: [groupByTime('1m')] }),
    want: [cpu(['mean'], [[T('00:01:00'), 4], [T('00:02:00'), null], [T('00:03:00'), null]])],
  },
  {
    influxql: "SELECT mean(v) FROM cpu WHERE time < '2020-01-01T00:03:00Z' GROUP BY time(1m), host",
    statement: q({ fields: [call('mean', ref('v'))], where: timeLt(T('00:03:00')), groupBy: [groupByTime('1m'), groupByTag('host')] }),
    want: [
      cpu(['mean'], [[T('00:00:00'), 2], [T('00:01:00'), null], [T('00:02:00'), 5]], { host: 'a' }),
      cpu(['mean'], [[T('00:00:00'), 2], [T('00:01:00'), 8], [T('00:02:00'), null]], { host: 'b' }),
      cpu(['mean'], [[T('00:01:00'), 4], [T('00:02:00'), null]], { host: 'c' }),
    ],
  },
  {
    influxql: "SELECT count(v) FROM cpu WHERE time > '2021-01-01T00:00:00Z' AND time < '2021-01-01T00:04:00Z' GROUP BY time(1m)",
    statement: q({ fields: [call('count', ref('v'))], where: and(bin('>', ref('time'), str('2021-01-01T00:00:00Z')), timeLt('2021-01-01T00:04:00Z')), groupBy: [groupByTime('1m')] }),
    want: [],
  },
  {
    influxql: "SELECT sum(i) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m), host fill(previous)",
    statement: q({ fields: [call('sum', ref('i'))], where: FOUR_MINUTES, groupBy: [groupByTime('1m'), groupByTag('host')], fill: { mode: 'previous' } }),
    want: [
      cpu(['sum'], [[T('00:00:00'), 30n], [T('00:01:00'), 30n], [T('00:02:00'), 7n], [T('00:03:00'), 7n]], { host: 'a' }),
      cpu(['sum'], [[T('00:00:00'), 5n], [T('00:01:00'), 5n], [T('00:02:00'), 5n], [T('00:03:00'), 5n]], { host: 'b' }),
      cpu(['sum'], [[T('00:00:00'), null], [T('00:01:00'), -3n], [T('00:02:00'), -3n], [T('00:03:00'), -3n]], { host: 'c' }),
    ],
  },
  {
    influxql: "SELECT mean(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m) fill(linear)",
    statement: q({ fields: [call('mean', ref('v'))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')], fill: { mode: 'linear' } }),
    want: [cpu(['mean'], [[T('00:00:00'), 2], [T('00:01:00'), 6], [T('00:02:00'), 5], [T('00:03:00'), null]])],
  },
  {
    influxql: "SELECT mean(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m) fill(linear) LIMIT 1 OFFSET 1",
    statement: q({ fields: [call('mean', ref('v'))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')], fill: { mode: 'linear' }, limit: 1, offset: 1 }),
    want: [cpu(['mean'], [[T('00:01:00'), 6]])],
  },
  {
    influxql: "SELECT mean(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m) fill(7)",
    statement: q({ fields: [call('mean', ref('v'))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')], fill: { mode: 'value', value: 7n } }),
    want: [cpu(['mean'], [[T('00:00:00'), 2], [T('00:01:00'), 6], [T('00:02:00'), 5], [T('00:03:00'), 7n]])],
  },
  {
    influxql: "SELECT mean(v), mean(i) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m) fill(1)",
    statement: q({ fields: [call('mean', ref('v')), call('mean', ref('i'))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')], fill: { mode: 'value', value: 1n } }),
    want: [cpu(['mean', 'mean_1'], [[T('00:00:00'), 2, 11.666666666666666], [T('00:01:00'), 6, -3], [T('00:02:00'), 5, 7], [T('00:03:00'), 1n, 1n]])],
  },
  {
    influxql: "SELECT count(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m) fill(5)",
    statement: q({ fields: [call('count', ref('v'))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')], fill: { mode: 'value', value: 5n } }),
    want: [cpu(['count'], [[T('00:00:00'), 3n], [T('00:01:00'), 2n], [T('00:02:00'), 1n], [T('00:03:00'), 5n]])],
  },
  {
    influxql: "SELECT count(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m) fill(previous)",
    statement: q({ fields: [call('count', ref('v'))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')], fill: { mode: 'previous' } }),
    want: [cpu(['count'], [[T('00:00:00'), 3n], [T('00:01:00'), 2n], [T('00:02:00'), 1n], [T('00:03:00'), 1n]])],
  },
  {
    influxql: "SELECT mean(v), count(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m) fill(none)",
    statement: q({ fields: [call('mean', ref('v')), call('count', ref('v'))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')], fill: { mode: 'none' } }),
    want: [cpu(['mean', 'count'], [[T('00:00:00'), 2, 3n], [T('00:01:00'), 6, 2n], [T('00:02:00'), 5, 1n]])],
  },
  {
    influxql: 'SELECT count(v), mean(i) FROM cpu GROUP BY time(1m), host fill(none) LIMIT 1',
    statement: q({ fields: [call('count', ref('v')), call('mean', ref('i'))], groupBy: [groupByTime('1m'), groupByTag('host')], fill: { mode: 'none' }, limit: 1 }),
    want: [cpu(['count', 'mean'], [[T('00:00:00'), 2n, 15]], { host: 'a' }), cpu(['count', 'mean'], [[T('00:00:00'), 1n, 5]], { host: 'b' }), cpu(['count', 'mean'], [[T('00:01:00'), 1n, -3]], { host: 'c' })],
  },
  {
    influxql: "SELECT mean(v) FROM cpu WHERE time >= '2020-01-01T00:00:30Z' AND time < '2020-01-01T00:03:00Z' GROUP BY time(1m, 15s)",
    statement: q({ fields: [call('mean', ref('v'))], where: and(timeGe(T('00:00:30')), timeLt(T('00:03:00'))), groupBy: [groupByTime('1m', '15s')] }),
    want: [cpu(['mean'], [[T('00:00:15'), 5], [T('00:01:15'), 5], [T('00:02:15'), null]])],
  },
  {
    influxql: "SELECT max(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:03:00Z' GROUP BY time(2m) ORDER BY time DESC",
    statement: q({ fields: [call('max', ref('v'))], where: and(timeGe(T('00:00:00')), timeLt(T('00:03:00'))), groupBy: [groupByTime('2m')], desc: true }),
    want: [cpu(['max'], [[T('00:02:00'), 5], [T('00:00:00'), 8]])],
  },
  {
    influxql: 'SELECT mean(v) FROM cpu GROUP BY nope',
    statement: q({ fields: [call('mean', ref('v'))], groupBy: [groupByTag('nope')] }),
    want: [cpu(['mean'], [[EPOCH, 3.8333333333333335]], { nope: '' })],
  },
  {
    influxql: "SELECT count(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-03T00:00:00Z' GROUP BY time(1d) tz('America/New_York')",
    statement: q({ fields: [call('count', ref('v'))], where: and(timeGe(T('00:00:00')), timeLt('2020-01-03T00:00:00Z')), groupBy: [groupByTime('1d')], tz: 'America/New_York' }),
    // InfluxDB prints these as 2019-12-31T00:00:00-05:00, 2020-01-01T00:00:00-05:00, 2020-01-02T00:00:00-05:00.
    want: [cpu(['count'], [['2019-12-31T05:00:00Z', 6n], ['2020-01-01T05:00:00Z', 0n], ['2020-01-02T05:00:00Z', 0n]])],
  },
  {
    influxql: "SELECT v FROM cpu WHERE time >= '2020-01-01 01:01:00' tz('Europe/Paris')",
    statement: q({ fields: [ref('v')], where: timeGe('2020-01-01 01:01:00'), tz: 'Europe/Paris' }),
    // InfluxDB prints 2020-01-01T01:01:05+01:00 …
    want: [cpu(['v'], [[T('00:01:05'), 4], [T('00:01:10'), 8], [T('00:02:10'), 5]])],
  },

  {
    influxql: "SELECT mean(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m) fill(linear) ORDER BY time DESC",
    statement: q({ fields: [call('mean', ref('v'))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')], fill: { mode: 'linear' }, desc: true }),
    want: [cpu(['mean'], [[T('00:03:00'), null], [T('00:02:00'), 5], [T('00:01:00'), 6], [T('00:00:00'), 2]])],
  },
  {
    influxql: "SELECT max(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:05:00Z' AND host = 'c' GROUP BY time(1m) fill(previous) ORDER BY time DESC",
    statement: q({ fields: [call('max', ref('v'))], where: and(timeGe(T('00:00:00')), timeLt(T('00:05:00')), bin('=', ref('host'), str('c'))), groupBy: [groupByTime('1m')], fill: { mode: 'previous' }, desc: true }),
    want: [cpu(['max'], [[T('00:04:00'), null], [T('00:03:00'), null], [T('00:02:00'), null], [T('00:01:00'), 4], [T('00:00:00'), 4]])],
  },
  {
    influxql: "SELECT first(v), last(v), count(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:03:00Z' GROUP BY time(1m), region",
    statement: q({ fields: [call('first', ref('v')), call('last', ref('v')), call('count', ref('v'))], where: and(timeGe(T('00:00:00')), timeLt(T('00:03:00'))), groupBy: [groupByTime('1m'), groupByTag('region')] }),
    want: [
      cpu(['first', 'last', 'count'], [[T('00:00:00'), null, null, 0n], [T('00:01:00'), 4, 4, 1n], [T('00:02:00'), null, null, 0n]], { region: '' }),
      cpu(['first', 'last', 'count'], [[T('00:00:00'), 2, 2, 1n], [T('00:01:00'), 8, 8, 1n], [T('00:02:00'), null, null, 0n]], { region: 'eu' }),
      cpu(['first', 'last', 'count'], [[T('00:00:00'), 1, 3, 2n], [T('00:01:00'), null, null, 0n], [T('00:02:00'), 5, 5, 1n]], { region: 'us' }),
    ],
  },
  {
    influxql: "SELECT stddev(v), count(i) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:03:00Z' AND host != 'a' GROUP BY time(1m) fill(previous)",
    statement: q({ fields: [call('stddev', ref('v')), call('count', ref('i'))], where: and(timeGe(T('00:00:00')), timeLt(T('00:03:00')), bin('!=', ref('host'), str('a'))), groupBy: [groupByTime('1m')], fill: { mode: 'previous' } }),
    want: [cpu(['stddev', 'count'], [[T('00:00:00'), null, 1n], [T('00:01:00'), 2.8284271247461903, 1n], [T('00:02:00'), 2.8284271247461903, 1n]])],
  },
  {
    influxql: "SELECT percentile(v, 90), max(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:03:00Z' GROUP BY time(1m) fill(-1)",
    statement: q({ fields: [call('percentile', ref('v'), int(90)), call('max', ref('v'))], where: and(timeGe(T('00:00:00')), timeLt(T('00:03:00'))), groupBy: [groupByTime('1m')], fill: { mode: 'value', value: -1n } }),
    want: [cpu(['percentile', 'max'], [[T('00:00:00'), 3, 3], [T('00:01:00'), 8, 8], [T('00:02:00'), 5, 5]])],
  },
  // ---- transformations and math ----
  {
    influxql: "SELECT abs(i), ceil(i), floor(v), round(v / 2), sqrt(v), ln(v), log(v, 2), log2(v), log10(v), pow(v, 2), exp(v), pow(i, 2) FROM cpu WHERE host = 'a'",
    statement: q({
      fields: [call('abs', ref('i')), call('ceil', ref('i')), call('floor', ref('v')), call('round', bin('/', ref('v'), int(2))), call('sqrt', ref('v')), call('ln', ref('v')), call('log', ref('v'), int(2)), call('log2', ref('v')), call('log10', ref('v')), call('pow', ref('v'), int(2)), call('exp', ref('v')), call('pow', ref('i'), int(2))],
      where: hostA,
    }),
    want: [cpu(['abs', 'ceil', 'floor', 'round', 'sqrt', 'ln', 'log', 'log2', 'log10', 'pow', 'exp', 'pow_1'], [
      [T('00:00:00'), 10n, 10n, 1, 1, 1, 0, 0, 0, 0, 1, 2.718281828459045, 100],
      [T('00:00:30'), 20n, 20n, 3, 2, 1.7320508075688772, 1.0986122886681096, 1.584962500721156, 1.5849625007211563, 0.4771212547196624, 9, 20.085536923187668, 400],
      [T('00:02:10'), 7n, 7n, 5, 3, 2.23606797749979, 1.6094379124341003, 2.321928094887362, 2.321928094887362, 0.6989700043360187, 25, 148.4131591025766, 49],
    ])],
  },
  {
    influxql: "SELECT derivative(v) FROM cpu WHERE host = 'a'",
    statement: q({ fields: [call('derivative', ref('v'))], where: hostA }),
    want: [cpu(['derivative'], [[T('00:00:30'), 0.06666666666666667], [T('00:02:10'), 0.02]])],
  },
  {
    influxql: "SELECT difference(i) FROM cpu WHERE host = 'a'",
    statement: q({ fields: [call('difference', ref('i'))], where: hostA }),
    want: [cpu(['difference'], [[T('00:00:30'), 10n], [T('00:02:10'), -13n]])],
  },
  {
    influxql: "SELECT derivative(v), derivative(v, 1m), difference(i), non_negative_difference(i), elapsed(v), elapsed(v, 1s), cumulative_sum(i), moving_average(v, 2) FROM cpu WHERE host = 'a'",
    statement: q({
      fields: [call('derivative', ref('v')), call('derivative', ref('v'), dur('1m')), call('difference', ref('i')), call('non_negative_difference', ref('i')), call('elapsed', ref('v')), call('elapsed', ref('v'), dur('1s')), call('cumulative_sum', ref('i')), call('moving_average', ref('v'), int(2))],
      where: hostA,
    }),
    want: [cpu(['derivative', 'derivative_1', 'difference', 'non_negative_difference', 'elapsed', 'elapsed_1', 'cumulative_sum', 'moving_average'], [
      [T('00:00:00'), null, null, null, null, null, null, 10n, null],
      [T('00:00:30'), 0.06666666666666667, 4, 10n, 10n, 30000000000n, 30n, 30n, 2],
      [T('00:02:10'), 0.02, 1.2, -13n, null, 100000000000n, 100n, 37n, 4],
    ])],
  },
  {
    influxql: "SELECT derivative(mean(v)) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m)",
    statement: q({ fields: [call('derivative', call('mean', ref('v')))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')] }),
    want: [cpu(['derivative'], [[T('00:01:00'), 4], [T('00:02:00'), -1]])],
  },
  {
    influxql: "SELECT cumulative_sum(max(v)), non_negative_derivative(max(v), 30s), moving_average(max(v), 2), difference(max(v)), elapsed(max(v)) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m)",
    statement: q({
      fields: [call('cumulative_sum', call('max', ref('v'))), call('non_negative_derivative', call('max', ref('v')), dur('30s')), call('moving_average', call('max', ref('v')), int(2)), call('difference', call('max', ref('v'))), call('elapsed', call('max', ref('v')))],
      where: FOUR_MINUTES,
      groupBy: [groupByTime('1m')],
    }),
    want: [cpu(['cumulative_sum', 'non_negative_derivative', 'moving_average', 'difference', 'elapsed'], [
      [T('00:00:00'), 3, null, null, null, null],
      [T('00:01:00'), 11, 2.5, 5.5, 5, 60000000000n],
      [T('00:02:00'), 16, null, 6.5, -3, 60000000000n],
    ])],
  },

  {
    influxql: "SELECT integral(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m)",
    statement: q({ fields: [call('integral', ref('v'))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')] }),
    // Window edges are interpolated: 3 + (4 - 3) × 30/35 at 00:01:00, 8 + (5 - 8) × 50/60 at
    // 00:02:00. The window without points (00:03:00) has no row: 1.x does not fill integral().
    want: [cpu(['integral'], [[T('00:00:00'), 167.85714285714286], [T('00:01:00'), 387.14285714285717], [T('00:02:00'), 52.5]])],
  },
  {
    influxql: "SELECT derivative(v) FROM cpu WHERE host = 'a' ORDER BY time DESC",
    statement: q({ fields: [call('derivative', ref('v'))], where: hostA, desc: true }),
    want: [cpu(['derivative'], [[T('00:00:30'), -0.02], [T('00:00:00'), -0.06666666666666667]])],
  },
  {
    influxql: "SELECT difference(i), elapsed(v, 1s), cumulative_sum(i), moving_average(v, 2), non_negative_derivative(v) FROM cpu WHERE host = 'a' ORDER BY time DESC",
    statement: q({ fields: [call('difference', ref('i')), call('elapsed', ref('v'), dur('1s')), call('cumulative_sum', ref('i')), call('moving_average', ref('v'), int(2)), call('non_negative_derivative', ref('v'))], where: hostA, desc: true }),
    want: [cpu(['difference', 'elapsed', 'cumulative_sum', 'moving_average', 'non_negative_derivative'], [
      [T('00:02:10'), null, null, 7n, null, null], [T('00:00:30'), 13n, -100n, 27n, 4, null], [T('00:00:00'), -10n, -30n, 37n, 2, null],
    ])],
  },
  {
    influxql: "SELECT derivative(max(v)) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m) ORDER BY time DESC",
    statement: q({ fields: [call('derivative', call('max', ref('v')))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')], desc: true }),
    want: [cpu(['derivative'], [[T('00:01:00'), 3], [T('00:00:00'), -5]])],
  },
  {
    influxql: 'SELECT elapsed(v, 1s) FROM cpu GROUP BY host',
    statement: q({ fields: [call('elapsed', ref('v'), dur('1s'))], groupBy: [groupByTag('host')] }),
    want: [cpu(['elapsed'], [[T('00:00:30'), 30n], [T('00:02:10'), 100n]], { host: 'a' }), cpu(['elapsed'], [[T('00:01:10'), 60n]], { host: 'b' })],
  },
  {
    // The query starts one window early (two for moving_average(…, 3)) so the first window of the range has a value.
    influxql: "SELECT derivative(mean(v)), moving_average(max(v), 2), cumulative_sum(max(v)) FROM cpu WHERE time >= '2020-01-01T00:01:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m)",
    statement: q({ fields: [call('derivative', call('mean', ref('v'))), call('moving_average', call('max', ref('v')), int(2)), call('cumulative_sum', call('max', ref('v')))], where: and(timeGe(T('00:01:00')), timeLt(T('00:04:00'))), groupBy: [groupByTime('1m')] }),
    want: [cpu(['derivative', 'moving_average', 'cumulative_sum'], [[T('00:01:00'), 4, 5.5, 8], [T('00:02:00'), -1, 6.5, 13]])],
  },
  {
    // In ORDER BY time DESC the extra window is the one after the range.
    influxql: "SELECT difference(max(v)), cumulative_sum(max(v)) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:02:00Z' GROUP BY time(1m) ORDER BY time DESC",
    statement: q({ fields: [call('difference', call('max', ref('v'))), call('cumulative_sum', call('max', ref('v')))], where: and(timeGe(T('00:00:00')), timeLt(T('00:02:00'))), groupBy: [groupByTime('1m')], desc: true }),
    want: [cpu(['difference', 'cumulative_sum'], [[T('00:01:00'), 3, 8], [T('00:00:00'), -5, 11]])],
  },
  {
    influxql: "SELECT derivative(mean(v)), mean(v) FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z' GROUP BY time(1m)",
    statement: q({ fields: [call('derivative', call('mean', ref('v'))), call('mean', ref('v'))], where: FOUR_MINUTES, groupBy: [groupByTime('1m')] }),
    want: [cpu(['derivative', 'mean'], [[T('00:00:00'), null, 2], [T('00:01:00'), 4, 6], [T('00:02:00'), -1, 5], [T('00:03:00'), null, null]])],
  },
  { influxql: "SELECT derivative(v), v FROM cpu WHERE host = 'a'", statement: q({ fields: [call('derivative', ref('v')), ref('v')], where: hostA }), want: { error: 'mixing aggregate and non-aggregate queries is not supported' } },
  { influxql: "SELECT derivative(v), difference(i) FROM cpu WHERE host = 'b'", statement: q({ fields: [call('derivative', ref('v')), call('difference', ref('i'))], where: bin('=', ref('host'), str('b')) }), want: [cpu(['derivative', 'difference'], [[T('00:01:10'), 0.1, null]])] },
  // ---- subqueries ----
  { influxql: 'SELECT mean(m) FROM (SELECT max(v) AS m FROM cpu GROUP BY host)', statement: q({ fields: [call('mean', ref('m'))], from: [{ kind: 'subquery', statement: q({ fields: [as(call('max', ref('v')), 'm')], groupBy: [groupByTag('host')] }) }] }), want: [cpu(['mean'], [[EPOCH, 5.666666666666667]])] },
  { influxql: 'SELECT max(m), host FROM (SELECT max(v) AS m FROM cpu GROUP BY host)', statement: q({ fields: [call('max', ref('m')), ref('host')], from: [{ kind: 'subquery', statement: q({ fields: [as(call('max', ref('v')), 'm')], groupBy: [groupByTag('host')] }) }] }), want: [cpu(['max', 'host'], [[T('00:01:10'), 8, 'b']])] },
  {
    influxql: "SELECT m FROM (SELECT v AS m, host FROM cpu) WHERE host = 'a'",
    statement: q({ fields: [ref('m')], from: [{ kind: 'subquery', statement: q({ fields: [as(ref('v'), 'm'), ref('host')] }) }], where: hostA }),
    want: [cpu(['m'], [[T('00:00:00'), 1], [T('00:00:30'), 3], [T('00:02:10'), 5]])],
  },
  {
    influxql: 'SELECT * FROM (SELECT mean(v) FROM cpu GROUP BY host)',
    statement: q({ fields: [star()], from: [{ kind: 'subquery', statement: q({ fields: [call('mean', ref('v'))], groupBy: [groupByTag('host')] }) }] }),
    want: [cpu(['host', 'mean'], [[EPOCH, 'a', 3], [EPOCH, 'b', 5], [EPOCH, 'c', 4]])],
  },
  {
    influxql: "SELECT sum(m) FROM (SELECT max(v) AS m FROM cpu WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:03:00Z' GROUP BY time(1m), host) WHERE time < '2020-01-01T00:04:00Z' GROUP BY time(1m)",
    statement: q({
      fields: [call('sum', ref('m'))],
      from: [{ kind: 'subquery', statement: q({ fields: [as(call('max', ref('v')), 'm')], where: and(timeGe(T('00:00:00')), timeLt(T('00:03:00'))), groupBy: [groupByTime('1m'), groupByTag('host')] }) }],
      where: timeLt(T('00:04:00')),
      groupBy: [groupByTime('1m')],
    }),
    // InfluxDB answered without the outer upper bound (up to now()); its first four rows are these.
    want: [cpu(['sum'], [[T('00:00:00'), 5], [T('00:01:00'), 12], [T('00:02:00'), 5], [T('00:03:00'), null]])],
  },

  {
    // The outer time range reaches the subquery (its GROUP BY time fills only within it).
    influxql: "SELECT mean(m) FROM (SELECT max(v) AS m FROM cpu GROUP BY time(1m)) WHERE time >= '2020-01-01T00:01:00Z' AND time < '2020-01-01T00:03:00Z' GROUP BY time(2m)",
    statement: q({ fields: [call('mean', ref('m'))], from: [{ kind: 'subquery', statement: q({ fields: [as(call('max', ref('v')), 'm')], groupBy: [groupByTime('1m')] }) }], where: and(timeGe(T('00:01:00')), timeLt(T('00:03:00'))), groupBy: [groupByTime('2m')] }),
    want: [cpu(['mean'], [[T('00:00:00'), 8], [T('00:02:00'), 5]])],
  },
  {
    influxql: "SELECT count(m) FROM (SELECT max(v) AS m FROM cpu GROUP BY time(1m)) WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:05:00Z'",
    statement: q({ fields: [call('count', ref('m'))], from: [{ kind: 'subquery', statement: q({ fields: [as(call('max', ref('v')), 'm')], groupBy: [groupByTime('1m')] }) }], where: and(timeGe(T('00:00:00')), timeLt(T('00:05:00'))) }),
    want: [cpu(['count'], [[T('00:00:00'), 3n]])],
  },
  {
    influxql: "SELECT m FROM (SELECT max(v) AS m FROM cpu GROUP BY time(1m)) WHERE time >= '2020-01-01T00:00:00Z' AND time < '2020-01-01T00:05:00Z'",
    statement: q({ fields: [ref('m')], from: [{ kind: 'subquery', statement: q({ fields: [as(call('max', ref('v')), 'm')], groupBy: [groupByTime('1m')] }) }], where: and(timeGe(T('00:00:00')), timeLt(T('00:05:00'))) }),
    want: [cpu(['m'], [[T('00:00:00'), 3], [T('00:01:00'), 8], [T('00:02:00'), 5]])],
  },
  // ---- errors ----
  { influxql: 'SELECT v FROM cpu GROUP BY time(1m)', statement: q({ fields: [ref('v')], groupBy: [groupByTime('1m')] }), want: { error: 'GROUP BY requires at least one aggregate function' } },
  { influxql: 'SELECT v, mean(v) FROM cpu', statement: q({ fields: [ref('v'), call('mean', ref('v'))] }), want: { error: 'mixing aggregate and non-aggregate queries is not supported' } },
  { influxql: 'SELECT max(v), min(v), host FROM cpu', statement: q({ fields: [call('max', ref('v')), call('min', ref('v')), ref('host')] }), want: { error: 'mixing multiple selector functions with tags or fields is not supported' } },
  {
    influxql: 'SELECT median(v), mode(i), distinct(host) FROM cpu',
    statement: q({ fields: [call('median', ref('v')), call('mode', ref('i')), call('distinct', ref('host'))] }),
    want: { error: 'aggregate function distinct() cannot be combined with other functions or fields' },
  },
  { influxql: 'SELECT foo(v) FROM cpu', statement: q({ fields: [call('foo', ref('v'))] }), want: { error: 'undefined function foo()' } },
  { influxql: 'SELECT mean() FROM cpu', statement: q({ fields: [call('mean')] }), want: { error: 'invalid number of arguments for mean, expected 1, got 0' } },
  { influxql: 'SELECT mean(v, 2) FROM cpu', statement: q({ fields: [call('mean', ref('v'), int(2))] }), want: { error: 'invalid number of arguments for mean, expected 1, got 2' } },
  { influxql: 'SELECT percentile(v) FROM cpu', statement: q({ fields: [call('percentile', ref('v'))] }), want: { error: 'invalid number of arguments for percentile, expected 2, got 1' } },
  { influxql: 'SELECT top(v) FROM cpu', statement: q({ fields: [call('top', ref('v'))] }), want: { error: 'invalid number of arguments for top, expected at least 2, got 1' } },
  { influxql: 'SELECT mean(s) FROM cpu', statement: q({ fields: [call('mean', ref('s'))] }), want: { error: 'unsupported mean iterator type: *query.stringInterruptIterator' } },
  { influxql: 'SELECT sum(b) FROM cpu', statement: q({ fields: [call('sum', ref('b'))] }), want: { error: 'unsupported sum iterator type: *query.booleanInterruptIterator' } },
  { influxql: 'SELECT derivative(mean(v)) FROM cpu', statement: q({ fields: [call('derivative', call('mean', ref('v')))] }), want: { error: 'derivative aggregate requires a GROUP BY interval' } },
  { influxql: 'SELECT derivative(v) FROM cpu GROUP BY time(1m)', statement: q({ fields: [call('derivative', ref('v'))], groupBy: [groupByTime('1m')] }), want: { error: 'aggregate function required inside the call to derivative' } },
];

let env: Awaited<ReturnType<typeof exampleDatabase>>;
before(async () => {
  env = await exampleDatabase();
});
after(async () => {
  await env.cleanup();
});

for (const example of EXAMPLES) {
  test(example.influxql, async () => {
    // Twice: from the text through the parser, and from the syntax tree written here.
    if ('error' in example.want) {
      assert.equal(await selectTextError(env, example.influxql), example.want.error);
      assert.equal(await selectError(env, example.statement), example.want.error);
      return;
    }
    assert.deepEqual(await selectText(env, example.influxql), example.want);
    assert.deepEqual(await select(env, example.statement), example.want);
  });
}

test('the table holds at least 60 worked examples', () => {
  assert.ok(EXAMPLES.length >= 60, `${EXAMPLES.length}`);
});

test('an unknown database is the statement\'s error, in InfluxDB\'s words', async () => {
  assert.equal(await selectError(env, q({ fields: [ref('v')] }), { database: 'nope' }), 'database not found: nope');
  assert.equal(await selectError(env, q({ fields: [ref('v')] }), { retentionPolicy: 'weekly' }), 'retention policy not found: weekly');
  assert.deepEqual(await select(env, q({ fields: [call('count', ref('v'))] }), { retentionPolicy: 'autogen' }), [cpu(['count'], [[EPOCH, 6n]])]);
});
