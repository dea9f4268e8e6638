/**
 * Time in InfluxQL SELECTs: time literals, the range a WHERE clause gives, and GROUP BY time
 * windows in a time zone across a daylight-saving change — worked examples, the windowed ones as
 * InfluxDB 1.6.7 answered them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InfluxQLStatementError } from '../../src/influxql/executor.js';
import { MAX_TIME_NS, MIN_TIME_NS, parseTimeString, splitTimeCondition, windowStartNs, zoneOffsetNs } from '../../src/influxql/time.js';
import { and, bin, dur, exampleDatabase, now, or, ref, selectText, str } from './select-support.js';

const S = 1_000_000_000n;
const H = 3600n * S;

test('time strings: RFC3339 with any fraction and offset, date and time, date; in the tz() zone when they name none', () => {
  const cases: Array<[string, string | undefined, bigint | undefined]> = [
    ['2020-01-01T00:00:00Z', undefined, 1577836800n * S],
    ['2020-01-01T00:00:00.5Z', undefined, 1577836800n * S + 500_000_000n],
    ['2020-01-01T00:00:00.123456789Z', undefined, 1577836800n * S + 123456789n],
    ['2020-01-01T01:00:00+01:00', undefined, 1577836800n * S],
    ['2019-12-31T19:00:00-05:00', undefined, 1577836800n * S],
    ['2020-01-01 00:00:00', undefined, 1577836800n * S],
    ['2020-01-01', undefined, 1577836800n * S],
    ['2020-01-01 01:00:00', 'Europe/Paris', 1577836800n * S],
    ['2020-07-01 02:00:00', 'Europe/Paris', 1593561600n * S],
    ['2020-01-01T00:00:00Z', 'Europe/Paris', 1577836800n * S],
    ['1969-12-31T23:59:59Z', undefined, -S],
    ['2020-01-01T00:00:00', undefined, undefined],
    ['2020-02-30', undefined, undefined],
    ['bad', undefined, undefined],
    ['2020-1-1', undefined, undefined],
  ];
  for (const [text, tz, want] of cases) assert.equal(parseTimeString(text, tz), want, `${text} ${tz ?? ''}`);
});

test('the range of a WHERE clause: bounds intersect wherever they stand, the rest of the condition stays', () => {
  const nowNs = 1577836800n * S;
  const t = (op: '<' | '<=' | '>' | '>=' | '=', s: string) => bin(op, ref('time'), str(s));
  let r = splitTimeCondition(and(t('>=', '2020-01-01T00:00:00Z'), t('<', '2020-01-01T01:00:00Z')), nowNs, undefined);
  assert.deepEqual([r.range.minNs, r.range.maxNs, r.hasMin, r.hasMax, r.condition], [nowNs, nowNs + H - 1n, true, true, undefined]);
  r = splitTimeCondition(bin('>', ref('time'), bin('-', now(), dur('1h'))), nowNs, undefined);
  assert.deepEqual([r.range.minNs, r.range.maxNs, r.hasMax], [nowNs - H + 1n, MAX_TIME_NS, false]);
  r = splitTimeCondition(bin('<', bin('-', now(), dur('1h')), ref('time')), nowNs, undefined);
  assert.equal(r.range.minNs, nowNs - H + 1n);
  r = splitTimeCondition(and(bin('=', ref('host'), str('a')), t('=', '2020-01-01T00:00:00Z')), nowNs, undefined);
  assert.deepEqual([r.range.minNs, r.range.maxNs, r.condition], [nowNs, nowNs, bin('=', ref('host'), str('a'))]);
  // Under OR a time term becomes false: `time > x OR host = 'a'` is `time > x AND host = 'a'`.
  r = splitTimeCondition(or(t('>', '2020-01-01T00:00:00Z'), bin('=', ref('host'), str('a'))), nowNs, undefined);
  assert.deepEqual([r.range.minNs, r.condition], [nowNs + 1n, bin('=', ref('host'), str('a'))]);
  r = splitTimeCondition(undefined, nowNs, undefined);
  assert.deepEqual([r.range.minNs, r.range.maxNs, r.condition], [MIN_TIME_NS, MAX_TIME_NS, undefined]);
  assert.throws(() => splitTimeCondition(t('>', 'yesterday'), nowNs, undefined), (e: unknown) => e instanceof InfluxQLStatementError && /not compatible/.test(e.message));
});

test('windows: offsets, negative times, and local days in a zone across a daylight-saving change', () => {
  const M = 60n * S;
  assert.equal(windowStartNs(130n * S, M, 0n, undefined), 120n * S);
  assert.equal(windowStartNs(130n * S, M, 15n * S, undefined), 75n * S);
  assert.equal(windowStartNs(-1n, M, 0n, undefined), -M);
  assert.equal(windowStartNs(10n * S, M, -15n * S, undefined), -15n * S);
  assert.equal(zoneOffsetNs('America/New_York', 1583625600n * S), -5n * H);
  assert.equal(zoneOffsetNs('America/New_York', 1583668800n * S), -4n * H);
  const day = 24n * H;
  // 2020-03-08 is 23 hours long in New York: its days start at 05:00Z, then 04:00Z.
  assert.equal(windowStartNs(1583625600n * S, day, 0n, 'America/New_York'), 1583557200n * S);
  assert.equal(windowStartNs(1583712000n * S, day, 0n, 'America/New_York'), 1583643600n * S);
  assert.equal(windowStartNs(1583755200n * S, day, 0n, 'America/New_York'), 1583726400n * S);
});

let env: Awaited<ReturnType<typeof exampleDatabase>>;
before(async () => {
  env = await exampleDatabase();
  await env.db.writer.writeLp('tz', Buffer.from('dst v=1 1583625600000000000\ndst v=2 1583668800000000000\ndst v=3 1583712000000000000\ndst v=4 1583755200000000000'), { precision: 'ns' });
});
after(async () => {
  await env.cleanup();
});

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

test("GROUP BY time(1d) tz('America/New_York') across the change to summer time, as InfluxDB 1.6.7 answers", async () => {
  const got = await selectText(env, "SELECT count(v) FROM dst WHERE time >= '2020-03-07T00:00:00Z' AND time < '2020-03-10T00:00:00Z' GROUP BY time(1d) tz('America/New_York')", { database: 'tz' });
  assert.deepEqual(got, [{ name: 'dst', columns: ['time', 'count'], values: [[iso(1583470800), 0n], [iso(1583557200), 1n], [iso(1583643600), 2n], [iso(1583726400), 1n]] }]);
});

test("GROUP BY time(12h) tz('America/New_York') across the change to summer time, as InfluxDB 1.6.7 answers", async () => {
  const got = await selectText(env, "SELECT count(v) FROM dst WHERE time >= '2020-03-07T00:00:00Z' AND time < '2020-03-10T00:00:00Z' GROUP BY time(12h) tz('America/New_York')", { database: 'tz' });
  const want = [[1583514000, 0n], [1583557200, 0n], [1583600400, 1n], [1583643600, 1n], [1583683200, 1n], [1583726400, 1n], [1583769600, 0n]].map(([t, c]) => [iso(t as number), c]);
  assert.deepEqual(got, [{ name: 'dst', columns: ['time', 'count'], values: want }]);
});

test('the default upper bound of GROUP BY time is now(): windows stop at the one holding it', async () => {
  // now() is 2020-01-01T00:04:00Z in these examples.
  const got = await selectText(env, "SELECT count(v) FROM cpu WHERE time >= '2020-01-01T00:02:00Z' GROUP BY time(1m)");
  assert.deepEqual(got, [{ name: 'cpu', columns: ['time', 'count'], values: [['2020-01-01T00:02:00Z', 1n], ['2020-01-01T00:03:00Z', 0n], ['2020-01-01T00:04:00Z', 0n]] }]);
});
