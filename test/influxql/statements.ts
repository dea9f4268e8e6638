/**
 * The InfluxQL statements the differential test (differential.test.ts) runs on InfluxDB 1.x and
 * on Sluice, in order (CREATE DATABASE rows change what later SHOW DATABASES rows see). Each is
 * compared answer for answer: status, series, tags, columns, values (floats within 1e-9
 * relative), errors by message. The data is test/influxql/dataset.ts: cpu, mem, counters, net,
 * events, Cpu and "disk io" in database `diff`, load in `other`, between 2017-07-14T02:40:00Z
 * and 06:40:00Z.
 *
 * Statements that write are sent with POST (see {@link methodOf}), the others with GET.
 *
 * A row with `differs` is a deliberate, documented difference: the reason says why, and
 * `compare` says what is compared instead. Never use it to hide a bug.
 */

/** What a documented difference still compares. */
export type Instead =
  /** Sluice answers this statement with an error naming it as not supported (InfluxDB runs it). */
  | 'sluice-unsupported'
  /** Sluice answers this statement with an error matching `sluiceError` (InfluxDB runs it). */
  | 'sluice-error'
  /** Both answer an error for the statement (the messages may differ). */
  | 'both-error'
  /** Same series names, tags and columns and the same number of rows; values not compared. */
  | 'shape'
  /** The results up to InfluxDB's first failing statement are equal, and both fail that one. */
  | 'prefix'
  /** Equal once each result's series are sorted by name and tags. */
  | 'series-set';

export interface StatementCase {
  /** The `q` parameter: one or more statements. */
  q: string;
  /** The `db` parameter; absent: `diff`; null: none sent. */
  db?: string | null;
  /** The `params` parameter: values of `$name` placeholders, as JSON. */
  params?: string;
  /** Also compared with RFC3339 times (no `epoch` parameter), as CSV (`Accept: application/csv`), chunked (`chunked=true&chunk_size=3`) and with epoch u, µ, ms, s, m, h. */
  formats?: boolean;
  /** A deliberate difference, and why. */
  differs?: string;
  /** With `differs`: what is compared instead. */
  compare?: Instead;
  /** With `compare: 'sluice-error'`: the error Sluice gives. */
  sluiceError?: RegExp;
  /**
   * How the query is sent. Absent: POST with a form body (as the 1.x clients send) when it
   * writes (CREATE, DROP, DELETE, ALTER, GRANT, REVOKE, KILL, SELECT … INTO), else GET.
   */
  method?: 'GET' | 'POST';
}

/** The method a case is sent with: see {@link StatementCase.method}. */
export function methodOf(c: StatementCase): 'GET' | 'POST' {
  return c.method ?? (/^\s*(CREATE|DROP|DELETE|ALTER|GRANT|REVOKE|KILL)\b|\bINTO\b/i.test(c.q) ? 'POST' : 'GET');
}

/** The whole span of the data. */
const ALL = "time >= '2017-07-14T02:40:00Z' AND time < '2017-07-14T06:40:00Z'";
/** The first hour. */
const HOUR1 = "time >= '2017-07-14T02:40:00Z' AND time < '2017-07-14T03:40:00Z'";
/** Twenty minutes, for raw rows. */
const MIN20 = "time >= '2017-07-14T03:00:00Z' AND time < '2017-07-14T03:20:00Z'";

const UNSUPPORTED = 'Sluice does not change or delete stored data through InfluxQL, nor keep users or retention policies: the statement is refused with a per-statement "not supported" error, never a silent success; InfluxDB 1.x runs it (on names that do not exist, so the data stays the same)';

const MODE_TIES = "When several values are the most frequent among more than 12 points, InfluxDB 1.6 picks one by the order Go's unstable sort (pdqsort) leaves the points in, which Sluice does not copy; Sluice answers as 1.6 does when that order is time order, as it is up to 12 points. Rows without ties (mode(state), mode(status), mode(ok)) and ties over up to 12 points (modes) are compared exactly";
const GOES_ON = 'InfluxDB 1.6 stops at the first statement that fails and, through a bug in its executor, answers that statement "not executed" instead of its error; Sluice gives each statement its own result and error, as issue 14 asks (the statements before the failure are compared, and both must fail the failing one)';

export const STATEMENTS: StatementCase[] = [
  // ── Raw selects: fields, tags, *, casts, aliases ────────────────────────────────────────────
  { q: `SELECT * FROM cpu WHERE ${MIN20}`, formats: true },
  { q: `SELECT usage_user FROM cpu WHERE ${MIN20}` },
  { q: `SELECT usage_user, host FROM cpu WHERE ${MIN20}` },
  { q: `SELECT host, region, usage_user FROM cpu WHERE ${MIN20}` },
  { q: `SELECT usage_user::field, host::tag FROM cpu WHERE ${MIN20}` },
  { q: `SELECT usage_user::float, procs::integer FROM cpu WHERE ${MIN20}` },
  { q: `SELECT procs::float FROM cpu WHERE ${MIN20}` },
  { q: `SELECT usage_user::integer FROM cpu WHERE ${MIN20}` },
  { q: `SELECT *::field FROM cpu WHERE ${MIN20}` },
  { q: `SELECT *::tag, usage_idle FROM cpu WHERE ${MIN20}` },
  { q: `SELECT "usage_user" AS "u", "host" AS h FROM "cpu" WHERE ${MIN20}` },
  { q: `SELECT usage_user AS time_spent FROM cpu WHERE ${MIN20}` },
  { q: `SELECT usage_user, usage_user FROM cpu WHERE ${MIN20}` },
  { q: `SELECT nosuchfield FROM cpu WHERE ${MIN20}` },
  { q: `SELECT usage_user, nosuchfield FROM cpu WHERE ${MIN20}` },
  { q: `SELECT host FROM cpu WHERE ${MIN20}` },
  { q: `SELECT * FROM mem WHERE ${HOUR1}`, formats: true },
  { q: `SELECT * FROM counters`, formats: true },
  { q: `SELECT * FROM events`, formats: true },
  { q: `SELECT message, ok FROM events WHERE kind = 'deploy'` },
  { q: `SELECT * FROM net WHERE ${HOUR1}` },
  { q: `SELECT * FROM nosuch` },
  { q: `SELECT * FROM ties` },
  { q: `SELECT v FROM ties WHERE v > 10` },
  { q: `SELECT usage_user FROM cpu LIMIT 5` },
  { q: `SELECT * FROM cpu WHERE time > now() - 5000d LIMIT 3` },

  // ── Bound parameters (`params`) ─────────────────────────────────────────────────────────────
  { q: `SELECT usage_user FROM cpu WHERE host = $host AND ${MIN20}`, params: '{"host":"server01"}' },
  { q: `SELECT usage_user FROM cpu WHERE usage_user > $min AND procs < $procs`, params: '{"min":97.5,"procs":300}' },
  { q: `SELECT message FROM events WHERE ok = $ok AND kind = $kind`, params: '{"ok":true,"kind":"alert"}' },
  { q: `SELECT usage_user FROM cpu WHERE host = $host`, params: '{}' },

  // ── Names that need quoting ─────────────────────────────────────────────────────────────────
  { q: `SELECT * FROM "Cpu"`, formats: true },
  { q: `SELECT * FROM Cpu` },
  { q: `SELECT "Region", usage_user FROM "Cpu"` },
  { q: `SELECT * FROM "disk io"`, formats: true },
  { q: `SELECT "read bytes", "mount point" FROM "disk io" WHERE "mount point" = '/var,log'` },
  { q: `SELECT "read bytes" * 2 AS doubled FROM "disk io"` },

  // ── Arithmetic ──────────────────────────────────────────────────────────────────────────────
  { q: `SELECT usage_user + usage_system FROM cpu WHERE ${MIN20}` },
  { q: `SELECT usage_user * 2, usage_user / 4, usage_user - 1, usage_user + 1 FROM cpu WHERE ${MIN20}` },
  { q: `SELECT procs % 7, procs * 2, procs / 2, procs - 100 FROM cpu WHERE ${MIN20}` },
  { q: `SELECT (usage_user + usage_system) * 2 AS total FROM cpu WHERE ${MIN20}` },
  { q: `SELECT usage_user + procs FROM cpu WHERE ${MIN20}` },
  { q: `SELECT 100 - usage_idle AS busy FROM cpu WHERE ${MIN20}` },
  { q: `SELECT -usage_user FROM cpu WHERE ${MIN20}` },
  { q: `SELECT procs & 255, procs | 1, procs ^ 3 FROM cpu WHERE ${MIN20}` },
  { q: `SELECT usage_user / 0 FROM cpu WHERE ${MIN20}` },
  { q: `SELECT used / 1024 / 1024 AS mib FROM mem WHERE ${HOUR1}` },

  // ── FROM: regex, several measurements, qualified names ──────────────────────────────────────
  { q: `SELECT usage_user FROM /^cp/ WHERE ${MIN20}` },
  { q: `SELECT usage_user FROM /(?i)^cpu$/` },
  { q: `SELECT * FROM /^(mem|counters)$/ WHERE ${HOUR1}`, formats: true },
  { q: `SELECT usage_user FROM cpu, "Cpu" WHERE ${HOUR1}` },
  { q: `SELECT usage_user, used FROM cpu, mem WHERE ${MIN20}` },
  { q: `SELECT * FROM diff.autogen.cpu WHERE ${MIN20}` },
  { q: `SELECT * FROM diff..cpu WHERE ${MIN20}` },
  { q: `SELECT * FROM "diff"."autogen"."cpu" WHERE ${MIN20}` },
  { q: `SELECT * FROM other.autogen.load` },
  { q: `SELECT * FROM load`, db: 'other' },
  { q: `SELECT * FROM /.*/ LIMIT 1` },

  // ── WHERE on time ───────────────────────────────────────────────────────────────────────────
  { q: `SELECT usage_user FROM cpu WHERE time >= '2017-07-14T03:00:00Z' AND time <= '2017-07-14T03:10:00Z'` },
  { q: `SELECT usage_user FROM cpu WHERE time > '2017-07-14 03:00:00' AND time < '2017-07-14 03:10:00'` },
  { q: `SELECT usage_user FROM cpu WHERE time >= 1500001200000ms AND time < 1500001800000ms` },
  { q: `SELECT usage_user FROM cpu WHERE time >= 1500001200s AND time < 1500001800s` },
  { q: `SELECT usage_user FROM cpu WHERE time >= 1500001200000000000 AND time < 1500001500000000000` },
  { q: `SELECT usage_user FROM cpu WHERE time >= 1500001200000000u AND time < 1500001500000000u` },
  { q: `SELECT usage_user FROM cpu WHERE time > '2017-07-14T03:00:00Z' - 10m AND time < '2017-07-14T03:00:00Z' + 5m` },
  { q: `SELECT usage_user FROM cpu WHERE time >= 1500001200000ms + 1h AND time < 1500001200000ms + 70m` },
  { q: `SELECT count(usage_user) FROM cpu WHERE time >= '2017-07-14T02:40:00Z' AND time < now()` },
  { q: `SELECT count(usage_user) FROM cpu WHERE time < now() + 1h` },
  { q: `SELECT count(usage_user) FROM cpu WHERE time > now()` },
  { q: `SELECT usage_user FROM cpu WHERE time = '2017-07-14T02:40:00Z'` },
  { q: `SELECT usage_user FROM cpu WHERE time < '2017-07-14T02:45:00Z'` },
  { q: `SELECT usage_user FROM cpu WHERE time >= '2017-07-14T06:30:00Z'` },

  // ── WHERE on tags ───────────────────────────────────────────────────────────────────────────
  { q: `SELECT usage_user FROM cpu WHERE host = 'server01' AND ${MIN20}` },
  { q: `SELECT usage_user FROM cpu WHERE host != 'server01' AND ${MIN20}` },
  { q: `SELECT usage_user FROM cpu WHERE host <> 'server01' AND ${MIN20}` },
  { q: `SELECT usage_user FROM cpu WHERE host =~ /^server0[12]$/ AND ${MIN20}` },
  { q: `SELECT usage_user FROM cpu WHERE host !~ /1$/ AND ${MIN20}` },
  { q: `SELECT usage_user, host FROM cpu WHERE host = 'server01' OR host = 'server03' AND ${MIN20}` },
  { q: `SELECT usage_user, host FROM cpu WHERE (host = 'server01' OR host = 'server03') AND ${MIN20}` },
  { q: `SELECT usage_user, region FROM cpu WHERE region = '' AND ${MIN20}` },
  { q: `SELECT usage_user, region FROM cpu WHERE region != '' AND ${MIN20}` },
  { q: `SELECT usage_user, host FROM cpu WHERE host = '' AND ${MIN20}` },
  { q: `SELECT usage_user FROM cpu WHERE host = 'nosuch'` },
  { q: `SELECT usage_user FROM cpu WHERE nosuchtag = 'x'` },
  { q: `SELECT usage_user, host FROM cpu WHERE host > 'server02' AND ${MIN20}` },
  { q: `SELECT usage_user, host FROM cpu WHERE "host" = 'server02' AND "region" = 'us-west' AND ${MIN20}` },

  // ── WHERE on fields ─────────────────────────────────────────────────────────────────────────
  { q: `SELECT usage_user FROM cpu WHERE usage_user > 90` },
  { q: `SELECT usage_user FROM cpu WHERE usage_user >= 95.5` },
  { q: `SELECT usage_user FROM cpu WHERE usage_user < 3` },
  { q: `SELECT usage_user FROM cpu WHERE usage_user <= 2.5` },
  { q: `SELECT procs FROM cpu WHERE procs = 150` },
  { q: `SELECT procs FROM cpu WHERE procs != 150 AND ${MIN20}` },
  { q: `SELECT procs FROM cpu WHERE procs <> 150 AND ${MIN20}` },
  { q: `SELECT procs FROM cpu WHERE procs > 390 OR procs < 105` },
  { q: `SELECT usage_user, procs FROM cpu WHERE (usage_user > 90 OR usage_user < 5) AND procs > 300` },
  { q: `SELECT usage_user, host FROM cpu WHERE host = 'server01' OR usage_user > 98` },
  { q: `SELECT usage_user FROM cpu WHERE usage_user + usage_system > 120` },
  { q: `SELECT usage_user FROM cpu WHERE usage_user > procs / 4` },
  { q: `SELECT message FROM events WHERE message = 'all clear'` },
  { q: `SELECT message FROM events WHERE message =~ /deploy/` },
  { q: `SELECT message FROM events WHERE message !~ /deploy/` },
  { q: `SELECT ok, code FROM events WHERE ok = true` },
  { q: `SELECT ok, code FROM events WHERE ok = false` },
  { q: `SELECT ok, code FROM events WHERE ok != true` },
  { q: `SELECT value FROM counters WHERE value > 9007199254741500` },
  { q: `SELECT delta FROM net WHERE delta = 0` },
  { q: `SELECT delta FROM net WHERE delta < -45` },

  // ── Aggregates ──────────────────────────────────────────────────────────────────────────────
  { q: `SELECT count(usage_user) FROM cpu`, formats: true },
  { q: `SELECT count(*) FROM cpu` },
  { q: `SELECT count(usage_system) FROM cpu WHERE ${ALL}` },
  { q: `SELECT count(message), count(ok), count(code) FROM events` },
  { q: `SELECT count(distinct(procs)) FROM cpu` },
  { q: `SELECT distinct(code) FROM events` },
  { q: `SELECT distinct(message) FROM events` },
  { q: `SELECT distinct(host) FROM cpu` },
  { q: `SELECT mean(usage_user) FROM cpu`, formats: true },
  { q: `SELECT mean(procs), mean(usage_user) FROM cpu` },
  { q: `SELECT mean(*) FROM cpu` },
  { q: `SELECT mean(used) FROM mem` },
  { q: `SELECT median(usage_user), median(procs) FROM cpu` },
  { q: `SELECT mode(procs), mode(code) FROM cpu, events`, differs: MODE_TIES, compare: 'shape' },
  { q: `SELECT mode(message) FROM events`, differs: MODE_TIES, compare: 'shape' },
  { q: `SELECT mode(ok) FROM events` },
  { q: `SELECT mode(state), mode(status) FROM net` },
  { q: `SELECT mode(s), mode(i), mode(f) FROM modes GROUP BY "case"` },
  { q: `SELECT mode(s) FROM modes WHERE ${ALL} GROUP BY time(5m), "case"` },
  { q: `SELECT mode(state) FROM net WHERE ${ALL} GROUP BY time(2h)` },
  { q: `SELECT spread(usage_user), spread(procs) FROM cpu` },
  { q: `SELECT stddev(usage_user), stddev(procs) FROM cpu` },
  { q: `SELECT sum(usage_user), sum(procs) FROM cpu` },
  { q: `SELECT sum(used) FROM mem` },
  { q: `SELECT sum(value) FROM counters` },
  { q: `SELECT integral(usage_user) FROM cpu WHERE host = 'server01'` },
  { q: `SELECT integral(usage_user, 1m) FROM cpu WHERE host = 'server02'` },
  { q: `SELECT integral(procs, 1h) FROM cpu WHERE ${HOUR1} GROUP BY host`, differs: 'InfluxDB 1.6 gives the series of integral() with GROUP BY in no fixed order (two influxd answer in different orders); Sluice orders them by tags as for every other function', compare: 'series-set' },
  { q: `SELECT mean(usage_user) AS avg, max(usage_user) AS peak FROM cpu WHERE ${ALL}` },
  { q: `SELECT mean(usage_user) * 2 + 1 FROM cpu` },
  { q: `SELECT sum(usage_user) / count(usage_user) FROM cpu` },
  { q: `SELECT mean(message) FROM events` },
  { q: `SELECT sum(ok) FROM events` },

  // ── Selectors ───────────────────────────────────────────────────────────────────────────────
  { q: `SELECT first(usage_user) FROM cpu`, formats: true },
  { q: `SELECT last(usage_user) FROM cpu`, formats: true },
  { q: `SELECT first(message), last(ok) FROM events` },
  { q: `SELECT max(usage_user) FROM cpu`, formats: true },
  { q: `SELECT min(usage_user) FROM cpu` },
  { q: `SELECT max(usage_user), host FROM cpu` },
  { q: `SELECT min(procs), host, region FROM cpu` },
  { q: `SELECT max(value), min(value) FROM counters` },
  { q: `SELECT max(usage_user), min(usage_user) FROM cpu` },
  { q: `SELECT percentile(usage_user, 50) FROM cpu` },
  { q: `SELECT percentile(usage_user, 95), percentile(procs, 5) FROM cpu` },
  { q: `SELECT percentile(usage_user, 100), percentile(usage_user, 0) FROM cpu` },
  { q: `SELECT top(usage_user, 3) FROM cpu`, formats: true },
  { q: `SELECT top(usage_user, host, 2) FROM cpu` },
  { q: `SELECT top(procs, 5), host FROM cpu` },
  { q: `SELECT bottom(usage_user, 3) FROM cpu` },
  { q: `SELECT bottom(usage_user, host, 3) FROM cpu` },
  { q: `SELECT sample(usage_user, 100000) FROM cpu WHERE host = 'server01' AND ${HOUR1}` },
  { q: `SELECT first(*) FROM events` },
  { q: `SELECT max(*) FROM cpu` },

  // ── Transformations ─────────────────────────────────────────────────────────────────────────
  { q: `SELECT abs(delta) FROM net WHERE ${HOUR1}` },
  { q: `SELECT ceil(delta), floor(delta), round(delta) FROM net WHERE ${HOUR1}` },
  { q: `SELECT sqrt(usage_user) FROM cpu WHERE ${MIN20}` },
  { q: `SELECT sqrt(delta) FROM net WHERE ${HOUR1}` },
  { q: `SELECT ln(usage_user), log2(usage_user), log10(usage_user) FROM cpu WHERE ${MIN20}` },
  { q: `SELECT log(usage_user, 3) FROM cpu WHERE ${MIN20}` },
  { q: `SELECT ln(delta) FROM net WHERE delta != 0 AND ${HOUR1}` },
  { q: `SELECT pow(usage_user, 2), exp(usage_user / 100) FROM cpu WHERE ${MIN20}` },
  { q: `SELECT abs(procs), round(usage_user) FROM cpu WHERE ${MIN20}` },
  { q: `SELECT abs(mean(delta)) FROM net WHERE ${ALL} GROUP BY time(30m)` },
  { q: `SELECT derivative(usage_user) FROM cpu WHERE host = 'server01' AND ${HOUR1}` },
  { q: `SELECT derivative(usage_user, 1m) FROM cpu WHERE host = 'server01' AND ${HOUR1}` },
  { q: `SELECT derivative(mean(usage_user), 10m) FROM cpu WHERE ${ALL} GROUP BY time(10m)` },
  { q: `SELECT non_negative_derivative(bytes_recv, 1s) FROM net WHERE ${HOUR1}` },
  { q: `SELECT non_negative_derivative(max(bytes_recv)) FROM net WHERE ${ALL} GROUP BY time(10m)` },
  { q: `SELECT difference(procs) FROM cpu WHERE host = 'server02' AND ${HOUR1}` },
  { q: `SELECT difference(max(usage_user)) FROM cpu WHERE ${ALL} GROUP BY time(20m)` },
  { q: `SELECT non_negative_difference(bytes_recv) FROM net WHERE ${HOUR1}` },
  { q: `SELECT moving_average(usage_user, 3) FROM cpu WHERE host = 'server03' AND ${HOUR1}` },
  { q: `SELECT moving_average(mean(usage_user), 2) FROM cpu WHERE ${ALL} GROUP BY time(30m)` },
  { q: `SELECT cumulative_sum(procs) FROM cpu WHERE host = 'server01' AND ${HOUR1}` },
  { q: `SELECT cumulative_sum(sum(procs)) FROM cpu WHERE ${ALL} GROUP BY time(1h)` },
  { q: `SELECT elapsed(usage_user) FROM cpu WHERE host = 'server01' AND ${HOUR1}` },
  { q: `SELECT elapsed(usage_user, 1s) FROM cpu WHERE host = 'server04' AND ${HOUR1}` },
  { q: `SELECT elapsed(message, 1m) FROM events` },
  { q: `SELECT derivative(usage_user) FROM cpu WHERE ${HOUR1} GROUP BY host` },

  // ── More combinations ───────────────────────────────────────────────────────────────────────
  { q: `SELECT * FROM cpu WHERE ${MIN20} GROUP BY *` },
  { q: `SELECT first(usage_user), last(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(1h)` },
  { q: `SELECT max(usage_user) - min(usage_user) AS range FROM cpu GROUP BY host` },
  { q: `SELECT derivative(max(usage_user), 1m) FROM cpu WHERE ${ALL} GROUP BY time(30m), host` },
  { q: `SELECT percentile(usage_user, 50.5), percentile(procs, 99.9) FROM cpu` },
  { q: `SELECT count(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(1h) fill(previous) tz('America/New_York')`, formats: true },
  { q: `SELECT mean(m) FROM (SELECT mean(usage_user) AS m FROM cpu WHERE ${ALL} GROUP BY time(10m), host) WHERE ${ALL} GROUP BY host` },
  { q: `SELECT spread(*) FROM /^(cpu|mem)$/` },
  { q: `SELECT usage_user, region FROM cpu WHERE region =~ /^$/ AND ${MIN20}` },
  { q: `SELECT usage_user FROM cpu WHERE host =~ /server0[14]/ AND region !~ /east/ AND ${MIN20}` },
  { q: `SELECT difference(usage_user) FROM cpu WHERE host = 'server01' AND ${HOUR1} ORDER BY time DESC` },
  { q: `SELECT cumulative_sum(usage_user) FROM cpu WHERE host = 'server01' AND ${HOUR1} LIMIT 3 OFFSET 2` },
  { q: `SELECT moving_average(usage_user, 50) FROM cpu WHERE host = 'server04' AND ${HOUR1}` },
  { q: `SELECT non_negative_derivative(usage_user, 1m) FROM cpu WHERE ${HOUR1} GROUP BY host` },
  { q: `SELECT elapsed(usage_user, 1h) FROM cpu WHERE host = 'server02' AND ${HOUR1}` },
  { q: `SELECT integral(usage_user) FROM cpu WHERE host = 'server03' AND ${ALL} GROUP BY time(30m)` },
  { q: `SELECT count(*) FROM /.*/ WHERE ${ALL}` },
  { q: `SELECT message FROM events WHERE message = 'deploy "v2" done'` },
  { q: `SELECT message FROM events WHERE message = 'it\\'s' OR message =~ /alert: disk, 9\d%/` },
  { q: `SELECT "read bytes" FROM "disk io" WHERE "mount point" =~ /^\\/var/` },
  { q: `SELECT usage_user - -1, 2 * usage_user + 3 * usage_idle, usage_user / usage_idle * 100 FROM cpu WHERE ${MIN20}` },
  { q: `SELECT usage_user, usage_idle FROM cpu WHERE usage_user > usage_idle AND ${MIN20}` },
  { q: `SELECT usage_user FROM cpu WHERE time < '2017-07-14T02:45:00Z' OR time > '2017-07-14T06:35:00Z'` },
  { q: `SELECT mean(usage_user) FROM cpu WHERE time > '2017-07-14T05:00:00Z' GROUP BY time(10m) fill(none) LIMIT 3` },
  { q: `SELECT last(*) FROM cpu GROUP BY *` },
  { q: `SELECT * FROM "Cpu" GROUP BY "Region"` },
  { q: `SELECT usage_user FROM cpu WHERE region = 'us-west' AND ${MIN20} GROUP BY host SLIMIT 1` },
  { q: `SELECT top(usage_user, 2), bottom(usage_user, 2) FROM cpu` },
  { q: `SELECT top(usage_user, host, 2) FROM cpu WHERE ${ALL} GROUP BY time(2h)` },
  { q: `SELECT max(usage_user), min(usage_idle) FROM cpu WHERE ${ALL} GROUP BY time(1h)` },
  { q: `SELECT count(usage_user) / 2, mean(procs) + sum(procs) FROM cpu WHERE ${ALL} GROUP BY time(2h)` },
  { q: `SELECT sum(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(1h, 30m) fill(linear)` },
  { q: `SELECT stddev(usage_user) FROM cpu WHERE host = 'server01' AND ${ALL} GROUP BY time(5m) fill(none)` },
  { q: `SELECT median(procs) FROM cpu WHERE ${ALL} GROUP BY time(1h), region` },
  { q: `SELECT distinct(procs) FROM cpu WHERE host = 'server04' AND ${HOUR1}` },
  { q: `SELECT count(distinct(message)) FROM events GROUP BY kind` },
  { q: `SELECT first(value), last(value), max(value) - min(value) FROM counters` },
  { q: `SELECT value * 2, value + 1 FROM counters WHERE ${HOUR1}` },
  { q: `SELECT used::string FROM mem WHERE ${HOUR1}` },
  { q: `SELECT used::boolean, used_percent::unsigned FROM mem WHERE ${HOUR1}` },

  // ── GROUP BY time and tags ──────────────────────────────────────────────────────────────────
  { q: `SELECT mean(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(30m)`, formats: true },
  { q: `SELECT mean(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(1h, 15m)` },
  { q: `SELECT count(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(45m, -10m)` },
  { q: `SELECT max(usage_user) FROM cpu WHERE ${HOUR1} GROUP BY time(7m)` },
  { q: `SELECT count(procs) FROM cpu WHERE time >= '2017-07-14T02:41:13Z' AND time < '2017-07-14T04:03:00Z' GROUP BY time(20m)`, formats: true },
  { q: `SELECT mean(usage_user) FROM cpu GROUP BY host` },
  { q: `SELECT mean(usage_user) FROM cpu GROUP BY host, region` },
  { q: `SELECT mean(usage_user) FROM cpu GROUP BY *` },
  { q: `SELECT mean(usage_user) FROM cpu GROUP BY /reg/` },
  { q: `SELECT mean(usage_user) FROM cpu GROUP BY nosuchtag` },
  { q: `SELECT count(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(1h), host`, formats: true },
  { q: `SELECT count(usage_user) FROM cpu WHERE ${ALL} GROUP BY host, time(1h)` },
  { q: `SELECT usage_user FROM cpu WHERE ${MIN20} GROUP BY host` },
  { q: `SELECT * FROM cpu WHERE ${MIN20} GROUP BY region` },
  { q: `SELECT max(usage_user), usage_idle FROM cpu WHERE ${ALL} GROUP BY time(1h), host` },
  { q: `SELECT sum(code) FROM events GROUP BY kind` },
  { q: `SELECT count(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(1h) tz('America/Chicago')`, formats: true },
  { q: `SELECT mean(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(1d) tz('Asia/Kolkata')`, formats: true },
  { q: `SELECT usage_user FROM cpu WHERE ${MIN20} tz('Europe/Paris')`, formats: true },
  { q: `SELECT count(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(1d)`, formats: true },

  // ── fill ────────────────────────────────────────────────────────────────────────────────────
  { q: `SELECT mean(usage_user) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(2m) fill(null)` },
  { q: `SELECT mean(usage_user) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(2m) fill(none)` },
  { q: `SELECT mean(usage_user) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(2m) fill(previous)` },
  { q: `SELECT mean(usage_user) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(2m) fill(linear)` },
  { q: `SELECT mean(usage_user) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(2m) fill(0)` },
  { q: `SELECT mean(usage_user) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(2m) fill(-1.5)` },
  { q: `SELECT count(usage_user) FROM cpu WHERE ${HOUR1} GROUP BY time(2m), host fill(0)` },
  { q: `SELECT max(procs) FROM cpu WHERE ${HOUR1} GROUP BY time(5m) fill(linear)` },
  { q: `SELECT mean(usage_user), max(procs) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(3m) fill(previous)` },
  { q: `SELECT mean(usage_user) FROM cpu WHERE time >= '2017-07-14T02:00:00Z' AND time < '2017-07-14T03:00:00Z' GROUP BY time(10m) fill(previous)` },
  { q: `SELECT sum(procs) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(4m) fill(7)` },

  // ── Linear fill counts time in intervals ────────────────────────────────────────────────────
  // 1.x divides each window's time by the interval before drawing the line: midway between 30
  // and 0 an integer fill is 15 that way, 14 in nanoseconds (14.999999999999998, truncated).
  { q: `SELECT spread("procs") FROM "cpu" WHERE time >= '2017-07-14T04:10:40Z' AND time < '2017-07-14T05:36:10.576Z' GROUP BY time(1m, 16m) fill(linear)` },
  { q: `SELECT spread("procs"), max("procs"), mean("usage_idle") FROM "cpu" WHERE time >= '2017-07-14T02:00:00Z' AND time < '2017-07-14T06:00:00Z' GROUP BY time(7m, 3m) fill(linear)` },
  { q: `SELECT last("procs") FROM "cpu" WHERE time >= '2017-07-14T02:00:00Z' AND time < '2017-07-14T06:00:00Z' GROUP BY time(3m), host fill(linear)` },

  // ── Transformations over filled aggregates that may be null ─────────────────────────────────
  // stddev of one point is a point valued NaN in 1.x (null in the answer), not a missing one:
  // fill(linear) draws NaN to and from it, fill(previous) carries it, and a transformation reads
  // those windows (null rows where 1.x answers them) while it skips fill(null)'s empty ones.
  { q: `SELECT non_negative_derivative(stddev("usage_idle"), 1s) FROM "cpu" WHERE time >= '2017-07-14T02:31:00Z' AND time < '2017-07-14T04:07:13Z' AND "region" !~ /st/ GROUP BY time(5m) fill(linear)` },
  { q: `SELECT moving_average(stddev("procs"), 2) FROM "cpu" WHERE time >= '2017-07-14T03:46:31.059Z' AND time < '2017-07-14T05:46:12.455Z' AND "region" = 'us-west' AND "usage_idle" <= 45 GROUP BY time(1m) fill(linear)` },
  { q: `SELECT derivative(stddev(usage_user), 1m) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(5m) fill(linear)` },
  { q: `SELECT derivative(stddev(usage_user), 1m) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(5m) fill(previous)` },
  { q: `SELECT derivative(stddev(usage_user), 1m) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(5m) fill(null)` },
  { q: `SELECT derivative(stddev(usage_user), 1m) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(5m) fill(0)` },
  { q: `SELECT difference(stddev(procs)) FROM cpu WHERE host = 'server01' AND ${HOUR1} GROUP BY time(4m) fill(linear)` },
  { q: `SELECT non_negative_difference(stddev(procs)) FROM cpu WHERE host = 'server01' AND ${HOUR1} GROUP BY time(4m) fill(previous)` },
  { q: `SELECT cumulative_sum(stddev(usage_idle)) FROM cpu WHERE host = 'server02' AND ${HOUR1} GROUP BY time(5m) fill(linear)` },
  { q: `SELECT elapsed(stddev(usage_user), 1m) FROM cpu WHERE host = 'server03' AND ${HOUR1} GROUP BY time(3m) fill(linear)` },
  { q: `SELECT moving_average(stddev(usage_user), 3) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(2m) fill(linear) ORDER BY time DESC` },
  { q: `SELECT derivative(stddev(usage_user)), moving_average(mean(usage_user), 2) FROM cpu WHERE ${HOUR1} GROUP BY time(3m), host fill(linear)` },
  { q: `SELECT derivative(stddev(usage_user), 1m) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(5m) fill(linear) tz('Europe/Paris')` },
  { q: `SELECT derivative(spread(usage_user), 1m), difference(stddev(usage_user) + 1) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(5m) fill(linear)` },
  { q: `SELECT stddev(usage_user), round(stddev(usage_user)) FROM cpu WHERE host = 'server04' AND ${HOUR1} GROUP BY time(3m) fill(linear)` },

  // ── ORDER BY, LIMIT, OFFSET, SLIMIT, SOFFSET ────────────────────────────────────────────────
  { q: `SELECT usage_user FROM cpu WHERE ${MIN20} ORDER BY time DESC`, formats: true },
  { q: `SELECT usage_user FROM cpu WHERE ${MIN20} ORDER BY time ASC` },
  { q: `SELECT mean(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(1h) ORDER BY time DESC` },
  { q: `SELECT usage_user FROM cpu WHERE ${MIN20} GROUP BY host ORDER BY time DESC LIMIT 2` },
  { q: `SELECT usage_user FROM cpu WHERE ${ALL} LIMIT 4 OFFSET 3` },
  { q: `SELECT usage_user FROM cpu WHERE ${ALL} GROUP BY host LIMIT 2` },
  { q: `SELECT usage_user FROM cpu WHERE ${ALL} GROUP BY host LIMIT 2 OFFSET 1` },
  { q: `SELECT mean(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(30m) LIMIT 3 OFFSET 2` },
  { q: `SELECT mean(usage_user) FROM cpu GROUP BY host SLIMIT 2` },
  { q: `SELECT mean(usage_user) FROM cpu GROUP BY host SLIMIT 2 SOFFSET 1` },
  { q: `SELECT usage_user FROM cpu WHERE ${ALL} GROUP BY host LIMIT 1 SLIMIT 3 SOFFSET 2` },
  // LIMIT per call under fill(none): each call keeps its own first points (SEED=3680979928)
  { q: `SELECT mean("usage_user"), median("usage_system") FROM "cpu" WHERE time >= '2017-07-14T04:07:38.105Z' AND time < '2017-07-14T05:18:28Z' AND "region" != 'us-east' GROUP BY time(10m) fill(none) LIMIT 4` },
  { q: `SELECT mean("usage_user"), median("usage_system") FROM "cpu" WHERE time >= '2017-07-14T04:07:38.105Z' AND time < '2017-07-14T05:18:28Z' AND "region" != 'us-east' GROUP BY time(10m) fill(none) LIMIT 2 OFFSET 1` },
  // ... where stddev of one point is a point (null), which OFFSET counts, and a window without
  // usage_system is no point of median's (generated #201, every seed)
  { q: `SELECT stddev("usage_user"), median("usage_system") FROM "cpu" WHERE time >= '2017-07-14T05:05:28Z' AND time < '2017-07-14T06:20:44.106Z' GROUP BY time(1m, 0m), * fill(none) OFFSET 3` },
  { q: `SELECT stddev("usage_user"), median("usage_system"), count("usage_system") FROM "cpu" WHERE ${ALL} GROUP BY time(1m), * fill(none) LIMIT 5 OFFSET 2` },
  // ... where a column is a math function over a call (a review found it lost its cells)
  { q: `SELECT abs(mean("usage_user")), max("usage_system") FROM "cpu" WHERE ${ALL} GROUP BY time(1m), * fill(none) LIMIT 3 OFFSET 1` },
  { q: `SELECT round(mean("usage_user")), abs(stddev("usage_system")) FROM "cpu" WHERE ${ALL} GROUP BY time(1m) fill(none) LIMIT 4` },
  // lastpoint shapes (one row per group, bounded first by the groups' latest/earliest times)
  { q: `SELECT * FROM cpu GROUP BY host ORDER BY time DESC LIMIT 1` },
  { q: `SELECT * FROM cpu GROUP BY * ORDER BY time DESC LIMIT 1` },
  { q: `SELECT usage_user, usage_system FROM cpu WHERE usage_system > 20 GROUP BY region ORDER BY time DESC LIMIT 1` },
  { q: `SELECT usage_user FROM cpu WHERE ${MIN20} AND region = 'us-west' GROUP BY host ORDER BY time DESC LIMIT 1` },
  { q: `SELECT usage_idle FROM cpu WHERE usage_idle > 50 GROUP BY host LIMIT 1` },
  { q: `SELECT usage_user FROM cpu WHERE time > '2030-01-01T00:00:00Z' GROUP BY host ORDER BY time DESC LIMIT 1` },
  { q: `SELECT usage_user FROM cpu WHERE ${ALL} LIMIT 0` },
  { q: `SELECT usage_user FROM cpu WHERE ${ALL} OFFSET 100000` },

  // ── InfluxDB 1.6's own rules, found by the generated statements ─────────────────────────────
  { q: `SELECT usage_user FROM cpu WHERE time >= '2017-07-14T04:47:34Z' AND time < '2017-07-14T04:57:23Z' OFFSET 3` },
  { q: `SELECT usage_user FROM cpu WHERE time >= '2017-07-14T04:47:34Z' AND time < '2017-07-14T04:57:23Z' GROUP BY host OFFSET 1` },
  { q: `SELECT last(procs) FROM cpu GROUP BY * SLIMIT 2` },
  { q: `SELECT last(procs) FROM cpu GROUP BY host SLIMIT 2 SOFFSET 1` },
  { q: `SELECT usage_idle FROM cpu WHERE time >= '2017-07-14T05:22:11Z' AND time < '2017-07-14T05:27:24Z' AND usage_system >= 21 GROUP BY region SLIMIT 1` },
  { q: `SELECT derivative(sum(used), 1m) FROM mem WHERE time >= '2017-07-14T03:37:11Z' AND time < '2017-07-14T06:08:13Z' GROUP BY time(10m)` },
  { q: `SELECT moving_average(sum(bytes_recv), 2) FROM net WHERE time >= '2017-07-14T03:54:09.689Z' AND time < '2017-07-14T05:46:29.342Z' GROUP BY time(5m)` },
  { q: `SELECT non_negative_derivative(last(state), 1s) FROM net WHERE time >= '2017-07-14T05:07:04Z' AND time < '2017-07-14T05:14:53Z' GROUP BY time(15m)` },
  // moving_average(…, N) over windows reads one window before the range whatever N (not N − 1).
  { q: `SELECT moving_average(mean(usage_user), 3) FROM cpu WHERE time >= '2017-07-14T03:00:00Z' AND time < '2017-07-14T05:00:00Z' GROUP BY time(10m)` },
  { q: `SELECT moving_average(mean(usage_user), 3) FROM cpu WHERE time >= '2017-07-14T03:00:00Z' AND time < '2017-07-14T05:00:00Z' GROUP BY time(10m) ORDER BY time DESC` },
  { q: `SELECT moving_average(max(usage_user), 4), derivative(max(usage_user)) FROM cpu WHERE time >= '2017-07-14T03:00:00Z' AND time < '2017-07-14T05:00:00Z' GROUP BY time(5m) fill(linear)` },
  { q: `SELECT count(usage_user) + 1, round(count(usage_user)) FROM cpu WHERE host = 'server04' AND time >= '2017-07-14T03:00:00Z' AND time < '2017-07-14T03:10:00Z' GROUP BY time(1m)` },
  { q: `SELECT integral(usage_idle, 1s) FROM cpu WHERE time >= '2017-07-14T03:17:51Z' AND time < '2017-07-14T03:31:36Z'` },
  { q: `SELECT integral(procs) FROM cpu WHERE time >= '2017-07-14T03:17:51Z' AND time < '2017-07-14T03:31:36Z'` },
  { q: `SELECT count(bytes_recv), min(delta) FROM net WHERE time >= '2017-07-14T04:08:54Z' AND time < '2017-07-14T05:57:59Z' GROUP BY time(1m) fill(linear)` },
  { q: `SELECT max(usage_user), percentile(usage_idle, 5) FROM cpu WHERE time >= '2017-07-14T04:00:00Z' AND time < '2017-07-14T05:00:00Z' GROUP BY time(20m) fill(-1)` },
  { q: `SELECT count(distinct(usage_idle)), stddev(procs) FROM cpu WHERE time >= '2017-07-14T05:01:16.711Z' AND time < '2017-07-14T06:07:19Z' GROUP BY time(1m) fill(previous)` },
  { q: `SELECT round(mean(usage_user)) FROM cpu WHERE time >= '2017-07-14T03:20:10Z' AND time < '2017-07-14T04:02:35Z' AND host =~ /^$/ GROUP BY time(1m), region fill(linear)` },
  { q: `SELECT usage_user FROM cpu WHERE usage_user > procs / 4 AND ${HOUR1}` },

  // ── Subqueries ──────────────────────────────────────────────────────────────────────────────
  { q: `SELECT mean(m) FROM (SELECT max(usage_user) AS m FROM cpu WHERE ${ALL} GROUP BY time(10m), host) WHERE ${ALL} GROUP BY time(1h)` },
  { q: `SELECT sum(u) FROM (SELECT usage_user AS u FROM cpu WHERE host = 'server01')` },
  { q: `SELECT * FROM (SELECT usage_user, host FROM cpu WHERE ${MIN20}) WHERE host = 'server02'` },
  { q: `SELECT max(m) FROM (SELECT mean(usage_user) AS m FROM cpu GROUP BY host)` },
  { q: `SELECT max(m), host FROM (SELECT mean(usage_user) AS m FROM cpu GROUP BY host)` },
  { q: `SELECT top(total, 3) FROM (SELECT usage_user + usage_system AS total FROM cpu WHERE ${HOUR1})` },
  { q: `SELECT count(used) FROM (SELECT used FROM mem WHERE used > 3000000000)` },

  // ── SHOW ────────────────────────────────────────────────────────────────────────────────────
  { q: `SHOW DATABASES`, db: null },
  { q: `SHOW MEASUREMENTS` },
  { q: `SHOW MEASUREMENTS ON other` },
  { q: `SHOW MEASUREMENTS WITH MEASUREMENT =~ /c.*/` },
  { q: `SHOW MEASUREMENTS WITH MEASUREMENT = cpu` },
  { q: `SHOW MEASUREMENTS WITH MEASUREMENT !~ /^c/` },
  { q: `SHOW MEASUREMENTS WHERE host = 'server01'` },
  { q: `SHOW MEASUREMENTS WHERE host =~ /server0[23]/` },
  { q: `SHOW MEASUREMENTS LIMIT 2 OFFSET 1` },
  { q: `SHOW TAG KEYS` },
  { q: `SHOW TAG KEYS FROM cpu` },
  { q: `SHOW TAG KEYS FROM "disk io"` },
  { q: `SHOW TAG KEYS FROM /^c/` },
  { q: `SHOW TAG KEYS ON other` },
  { q: `SHOW TAG VALUES WITH KEY = host` },
  { q: `SHOW TAG VALUES FROM cpu WITH KEY = "host"` },
  { q: `SHOW TAG VALUES FROM cpu WITH KEY IN (host, region)`, formats: true },
  { q: `SHOW TAG VALUES FROM cpu WITH KEY =~ /reg/` },
  { q: `SHOW TAG VALUES FROM cpu WITH KEY != host` },
  { q: `SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region = 'us-west'` },
  { q: `SHOW TAG VALUES FROM cpu WITH KEY = host LIMIT 2` },
  { q: `SHOW TAG VALUES FROM "disk io" WITH KEY = "mount point"` },
  { q: `SHOW FIELD KEYS` },
  { q: `SHOW FIELD KEYS FROM cpu` },
  { q: `SHOW FIELD KEYS FROM events`, formats: true },
  { q: `SHOW FIELD KEYS FROM "disk io"` },
  { q: `SHOW FIELD KEYS ON other` },
  { q: `SHOW SERIES` },
  { q: `SHOW SERIES FROM cpu` },
  { q: `SHOW SERIES FROM cpu WHERE host = 'server01'` },
  { q: `SHOW SERIES WHERE region =~ /us/` },
  { q: `SHOW SERIES FROM "disk io"`, formats: true },
  { q: `SHOW TAG VALUES WITH KEY = host WHERE host =~ /0[12]/` },
  { q: `SHOW TAG KEYS WHERE host = 'server02'` },
  { q: `SHOW FIELD KEYS FROM /^c/` },
  { q: `SHOW SERIES LIMIT 3 OFFSET 2` },
  { q: `SHOW MEASUREMENTS WITH MEASUREMENT =~ /^C/` },
  { q: `SHOW TAG VALUES FROM cpu, mem WITH KEY = host` },
  { q: `SHOW SERIES WHERE time > '2017-07-14T03:00:00Z'` },
  { q: `SHOW TAG VALUES FROM "Cpu" WITH KEY = "Region"` },
  { q: `SHOW MEASUREMENTS WHERE "mount point" = '/var,log'` },
  { q: `SHOW RETENTION POLICIES`, db: 'diff' },
  { q: `SHOW RETENTION POLICIES ON other`, db: null },
  { q: `SHOW MEASUREMENT EXACT CARDINALITY` },
  { q: `SHOW SERIES EXACT CARDINALITY` },
  { q: `SHOW SERIES EXACT CARDINALITY FROM cpu` },
  { q: `SHOW TAG KEY EXACT CARDINALITY` },
  { q: `SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host` },
  { q: `SHOW FIELD KEY EXACT CARDINALITY` },
  { q: `SHOW MEASUREMENT CARDINALITY` },
  { q: `SHOW SERIES CARDINALITY` },
  { q: `SHOW TAG KEY CARDINALITY FROM cpu` },

  // ── CREATE DATABASE ─────────────────────────────────────────────────────────────────────────
  { q: `CREATE DATABASE diff` },
  { q: `CREATE DATABASE diff`, method: 'GET' },
  { q: `CREATE DATABASE created_here`, db: null },
  { q: `CREATE DATABASE created_here; SHOW DATABASES`, db: null },
  { q: `SHOW MEASUREMENTS`, db: 'created_here' },
  { q: `SELECT * FROM cpu`, db: 'created_here' },
  { q: `CREATE DATABASE "created-here_2"; SHOW DATABASES`, db: null },

  // ── Errors: unknown database, missing database, semantic errors ─────────────────────────────
  { q: `SELECT * FROM cpu`, db: 'nosuchdb', formats: true },
  { q: `SELECT * FROM cpu`, db: null },
  { q: `SHOW MEASUREMENTS`, db: null },
  { q: `SHOW MEASUREMENTS`, db: 'nosuchdb' },
  { q: `SHOW TAG KEYS ON nosuchdb` },
  { q: `SELECT * FROM nosuchdb..cpu` },
  { q: `SELECT usage_user, mean(usage_user) FROM cpu` },
  { q: `SELECT mean(usage_user) FROM cpu WHERE time >= '2017-07-14T06:00:00Z' GROUP BY time(10m) fill(none)` },
  { q: `SELECT mean() FROM cpu` },
  { q: `SELECT percentile(usage_user) FROM cpu` },
  { q: `SELECT top(usage_user) FROM cpu` },
  { q: `SELECT nosuchfunc(usage_user) FROM cpu` },
  { q: `SELECT derivative(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(10m)` },
  { q: `SELECT time FROM cpu` },
  { q: `SELECT * FROM cpu WHERE ${ALL} GROUP BY time(10m)` },
  { q: `SELECT mean(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(0s)` },
  { q: `SELECT count(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(1m) fill(none) tz('Nowhere/Special')` },

  // ── Parse errors (the whole query fails with 400) ───────────────────────────────────────────
  { q: `SELEC * FROM cpu`, formats: true },
  { q: `SELECT FROM cpu` },
  { q: `SELECT * FROM` },
  { q: `SELECT * FROM cpu WHERE` },
  { q: `SELECT * FROM cpu GROUP BY time(` },
  { q: `SELECT * FROM cpu LIMIT -1` },
  { q: `SELECT * FROM cpu WHERE host = 'unterminated` },
  { q: `SELECT * FROM cpu WHERE host =~ /[/` },
  { q: `SELECT * FROM cpu LIMIT 1; SELEC x` },
  { q: `SELECT usage_user FROM cpu ORDER BY usage_user` },
  { q: `SELECT * FROM cpu fill(none) WHERE host = 'a'` },
  { q: `SHOW NOTHING` },
  { q: `` },

  // ── Several statements in one query ─────────────────────────────────────────────────────────
  { q: `SELECT count(usage_user) FROM cpu; SELECT count(used) FROM mem` },
  { q: `SHOW DATABASES; SELECT * FROM nosuch; SELECT max(value) FROM counters`, formats: true },
  { q: `SELECT first(usage_user) FROM cpu; SELECT * FROM nosuchdb..cpu; SHOW MEASUREMENTS`, differs: GOES_ON, compare: 'prefix' },
  { q: `SELECT mean(usage_user) FROM cpu WHERE ${ALL} GROUP BY time(1h);SELECT usage_user, mean(usage_user) FROM cpu;SHOW FIELD KEYS FROM mem;`, differs: GOES_ON, compare: 'prefix' },

  // ── Statements Sluice refuses (documented) ──────────────────────────────────────────────────
  { q: `DROP MEASUREMENT nosuch`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `DROP SERIES FROM nosuch WHERE host = 'x'`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `DELETE FROM nosuch WHERE time < '2000-01-01T00:00:00Z'`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `DROP DATABASE nosuch_database`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `CREATE RETENTION POLICY weekly ON diff DURATION 7d REPLICATION 1`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `ALTER RETENTION POLICY autogen ON nosuch_database DURATION 1d`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `CREATE USER nobody WITH PASSWORD 'secret'`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `GRANT ALL TO nosuch_user`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `SHOW USERS`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `SHOW CONTINUOUS QUERIES`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `KILL QUERY 999999`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `SHOW SHARDS`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `SHOW STATS`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `SHOW DIAGNOSTICS`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `SHOW QUERIES`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `SHOW SUBSCRIPTIONS`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `SHOW GRANTS FOR nosuch_user`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `REVOKE ALL PRIVILEGES FROM nosuch_user`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `SET PASSWORD FOR nosuch_user = 'x'`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `DROP CONTINUOUS QUERY nosuch ON diff`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `DROP RETENTION POLICY nosuch ON diff`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `DROP SHARD 999999`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `EXPLAIN SELECT mean(usage_user) FROM cpu`, differs: 'Sluice does not show InfluxDB\'s query plans (EXPLAIN answers with its own iterator tree)', compare: 'sluice-unsupported' },
  { q: `SELECT usage_user INTO cpu_copy FROM cpu WHERE host = 'nosuch'`, differs: UNSUPPORTED, compare: 'sluice-unsupported' },
  { q: `CREATE DATABASE "Quoted Name"`, db: null, differs: "Sluice's database names are ASCII letters, digits, '_' and '-' (names become object-store keys; docs/security.md); InfluxDB 1.x takes any name", compare: 'sluice-error', sluiceError: /^invalid database name "Quoted Name"/ },
  { q: `CREATE DATABASE shortlived WITH DURATION 1d`, db: null, differs: 'Sluice keeps no retention policies: a CREATE DATABASE with retention options is refused', compare: 'sluice-unsupported' },
];
