/**
 * InfluxDB 3's SQL dialect over the DuckDB engine (src/query/dialect.ts and its modules): a table
 * of statements in the shape of InfluxDB 3's documentation examples — time filters, date_bin, gap
 * filling, selectors, aggregates and the names of their columns, time functions, other functions,
 * errors — each with its exact answer over data written through the real write path. Then time
 * pruning of the rewritten time predicates, and seeded random checks of date_bin and RFC3339
 * times against the engine's own arithmetic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DuckDBValue } from '@duckdb/node-api';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { rfc3339ToNs } from '../../src/query/dialect-time.js';
import { QueryError } from '../../src/query/errors.js';
import { queryRows, tempDatabase } from '../support/db-helpers.js';

const HOME_START_S = 1641024000; // 2022-01-01T08:00:00Z

// InfluxDB 3's "home" sample data (two rooms, hourly from 08:00 to 20:00 UTC on 2022-01-01).
const KITCHEN = { temp: [21.0, 23.0, 22.7, 22.4, 22.5, 22.8, 22.8, 22.7, 22.4, 22.7, 23.3, 23.1, 22.7], hum: [35.9, 36.2, 36.1, 36.0, 36.0, 36.5, 36.3, 36.2, 36.0, 36.0, 36.9, 36.6, 36.5], co: [0, 0, 0, 0, 0, 1, 1, 3, 7, 9, 18, 22, 26] };
const LIVING = { temp: [21.1, 21.4, 21.8, 22.2, 22.2, 22.4, 22.3, 22.3, 22.4, 22.6, 22.8, 22.5, 22.2], hum: [35.9, 35.9, 36.0, 36.0, 35.9, 36.0, 36.1, 36.1, 36.0, 35.9, 36.2, 36.3, 36.4], co: [0, 0, 0, 0, 0, 0, 0, 1, 4, 5, 9, 14, 17] };

/** A database `home` with the sample data, sparse readings for gap filling, a case-sensitive table, and points near now. */
async function seeded() {
  const env = await tempDatabase();
  const lines: string[] = [];
  for (let h = 0; h < 13; h++) {
    const t = HOME_START_S + h * 3600;
    lines.push(`home,room=Kitchen temp=${KITCHEN.temp[h]},hum=${KITCHEN.hum[h]},co=${KITCHEN.co[h]}i ${t}`);
    lines.push(`home,room=Living\\ Room temp=${LIVING.temp[h]},hum=${LIVING.hum[h]},co=${LIVING.co[h]}i ${t}`);
  }
  lines.push(
    `sparse,room=Kitchen temp=20 ${HOME_START_S}`,
    `sparse,room=Kitchen temp=24 ${HOME_START_S + 4 * 3600}`,
    `sparse,room=Den temp=18 ${HOME_START_S + 3600}`,
    `sparse,room=Den temp=19 ${HOME_START_S + 2 * 3600}`,
    `Sensors,Room=Attic Temp=10,temp=1 ${HOME_START_S}`,
    `Sensors,Room=Attic Temp=14,temp=2 ${HOME_START_S + 60}`,
  );
  // 10 minutes, 100 minutes and 2 days ago: the now() filters below sit well away from them.
  const nowS = Math.floor(Date.now() / 1000);
  lines.push(`recent v=1i ${nowS - 600}`, `recent v=2i ${nowS - 6000}`, `recent v=3i ${nowS - 2 * 86400}`);
  await env.db.writer.writeLp('home', Buffer.from(lines.join('\n')), { precision: 's' });
  return env;
}

/** [statement, its columns joined by ' | ', its rows (cells as the engine prints them, joined by ' | ')], or [statement, 'ERROR', the message]. */
type Case = readonly [sql: string, columns: string, rows: readonly string[]] | readonly [sql: string, error: 'ERROR', message: string];

const CASES: readonly Case[] = [
  // time filters
  ["SELECT count(*) FROM home WHERE time >= '2022-01-01T08:00:00Z' AND time <= '2022-01-01T20:00:00Z'", "count(*)", ["26"]],
  ["SELECT count(*) FROM home WHERE time > '2022-01-01T12:00:00Z'", "count(*)", ["16"]],
  ["SELECT count(*) FROM home WHERE time BETWEEN '2022-01-01T10:00:00Z' AND '2022-01-01T12:00:00Z'", "count(*)", ["6"]],
  ["SELECT count(*) FROM home WHERE time >= '2022-01-01T10:00:00+02:00'", "count(*)", ["26"]],
  ["SELECT count(*) FROM home WHERE time > '2022-01-01T08:00:00.000000001Z'", "count(*)", ["24"]],
  ["SELECT count(*) FROM home WHERE time >= '2022-01-02'", "count(*)", ["0"]],
  ["SELECT count(*) FROM home WHERE time >= '2022-01-01'", "count(*)", ["26"]],
  ["SELECT room, temp FROM home WHERE time = '2022-01-01T09:00:00Z' ORDER BY room", "room | temp", ["Kitchen | 23","Living Room | 21.4"]],
  ["SELECT count(*) FROM home WHERE time IN ('2022-01-01T09:00:00Z', '2022-01-01T10:00:00Z')", "count(*)", ["4"]],
  ["SELECT count(*) FROM home WHERE '2022-01-01T12:00:00Z' < time", "count(*)", ["16"]],
  ["SELECT count(*) FROM home WHERE time < '2022-01-01T09:00:00Z' OR time > '2022-01-01T19:00:00Z'", "count(*)", ["4"]],
  ["SELECT room, temp, time FROM home WHERE room = 'Kitchen' AND time >= '2022-01-01T18:00:00Z' ORDER BY time", "room | temp | time", ["Kitchen | 23.3 | 2022-01-01 18:00:00","Kitchen | 23.1 | 2022-01-01 19:00:00","Kitchen | 22.7 | 2022-01-01 20:00:00"]],
  ["SELECT count(*) FROM home WHERE time BETWEEN '2022-01-01 10:00:00' AND '2022-01-01 11:00:00'", "count(*)", ["4"]],
  ["SELECT count(*) FROM home WHERE time >= to_timestamp('2022-01-01T18:00:00Z')", "count(*)", ["6"]],
  ["SELECT count(*) FROM home WHERE time >= '2022-01-01T08:00:00Z'::TIMESTAMP + INTERVAL '2 hours'", "count(*)", ["22"]],
  ["SELECT count(*) FROM home WHERE time > '2022-01-01T20:00:00Z' - INTERVAL '1 hour'", "count(*)", ["2"]],
  ["SELECT count(*) FROM home WHERE time NOT BETWEEN '2022-01-01T09:00:00Z' AND '2022-01-01T19:00:00Z'", "count(*)", ["4"]],
  ["SELECT count(*) FROM home WHERE time >= now() - interval '1 day'", "count(*)", ["0"]],
  ["SELECT v FROM recent WHERE time > now() - INTERVAL '1 hour'", "v", ["1"]],
  ["SELECT v FROM recent WHERE time >= now() - interval '1 day' ORDER BY v", "v", ["1","2"]],
  ["SELECT v FROM recent WHERE time > now() - INTERVAL '1 hour 30 minutes' ORDER BY v", "v", ["1"]],
  ["SELECT v FROM recent WHERE time > now() - INTERVAL '1 hour 45 minutes' ORDER BY v", "v", ["1","2"]],
  ["SELECT v FROM recent WHERE time > now() - interval '5 minutes'", "v", []],
  ["SELECT count(*) FROM recent WHERE time <= now()", "count(*)", ["3"]],
  ["SELECT v FROM recent WHERE time BETWEEN now() - INTERVAL '3 days' AND now() - INTERVAL '1 day'", "v", ["3"]],
  ["SELECT v FROM recent WHERE time < now() - INTERVAL '2 hours' ORDER BY v", "v", ["3"]],
  ["SELECT count(*) FROM recent WHERE time > now() - INTERVAL '7 days' AND time < now()", "count(*)", ["3"]],
  ["SELECT now() = now() AS same, now() - INTERVAL '1 hour' < now() AS earlier", "same | earlier", ["true | true"]],
  ["SELECT typeof(now()) AS t", "t", ["TIMESTAMP_NS"]],
  // aggregates and their names
  ["SELECT count(*) FROM home", "count(*)", ["26"]],
  ["SELECT COUNT(*) FROM home", "count(*)", ["26"]],
  ["SELECT count(temp) FROM home", "count(home.temp)", ["26"]],
  ["SELECT count(room) FROM home", "count(home.room)", ["26"]],
  ["SELECT count(DISTINCT room) FROM home", "count(DISTINCT home.room)", ["2"]],
  ["SELECT avg(co) FROM home", "avg(home.co)", ["5.269230769230769"]],
  ["SELECT max(temp), min(temp) FROM home", "max(home.temp) | min(home.temp)", ["23.3 | 21"]],
  ["SELECT sum(co) FROM home", "sum(home.co)", ["137"]],
  ["SELECT room, avg(co) FROM home GROUP BY room ORDER BY room", "room | avg(home.co)", ["Kitchen | 6.6923076923076925","Living Room | 3.8461538461538463"]],
  ["SELECT room, avg(co) AS avg_co FROM home GROUP BY room ORDER BY room", "room | avg_co", ["Kitchen | 6.6923076923076925","Living Room | 3.8461538461538463"]],
  ["SELECT room, count(*), max(co) FROM home GROUP BY room ORDER BY room", "room | count(*) | max(home.co)", ["Kitchen | 13 | 26","Living Room | 13 | 17"]],
  ["SELECT sum(co) * 2 FROM home", "sum(home.co) * Int64(2)", ["274"]],
  ["SELECT avg(co) + 1 FROM home", "avg(home.co) + Int64(1)", ["6.269230769230769"]],
  ["SELECT max(co) - min(co) FROM home", "max(home.co) - min(home.co)", ["26"]],
  ["SELECT count(1) FROM home", "count(Int64(1))", ["26"]],
  ["SELECT avg(home.co) FROM home", "avg(home.co)", ["5.269230769230769"]],
  ["SELECT avg(h.co) FROM home AS h", "avg(h.co)", ["5.269230769230769"]],
  ["SELECT median(co) FROM home", "median(home.co)", ["1"]],
  ["SELECT approx_distinct(room) FROM home", "approx_distinct(home.room)", ["2"]],
  ["SELECT approx_percentile_cont(co, 0.5) FROM home", "approx_percentile_cont(home.co,Float64(0.5))", ["1"]],
  ["SELECT approx_median(co) FROM home", "approx_median(home.co)", ["1"]],
  ["SELECT stddev(co) > 0 AS positive FROM home", "positive", ["true"]],
  ["SELECT avg(\"Temp\"), max(temp) FROM \"Sensors\"", "avg(Sensors.Temp) | max(Sensors.temp)", ["12 | 2"]],
  ["SELECT \"Room\", avg(\"Temp\") FROM \"Sensors\" GROUP BY \"Room\"", "Room | avg(Sensors.Temp)", ["Attic | 12"]],
  ["SELECT max(co) FILTER (WHERE room = 'Kitchen') AS k FROM home", "k", ["26"]],
  ["SELECT count(*) FROM home WHERE co > 5", "count(*)", ["8"]],
  ["SELECT room, sum(co) FROM home GROUP BY room HAVING sum(co) > 60", "room | sum(home.co)", ["Kitchen | 87"]],
  ["SELECT co > 10, count(*) FROM home GROUP BY 1 ORDER BY 1", "home.co > Int64(10) | count(*)", ["false | 21","true | 5"]],
  ["SELECT lower(room), count(*) FROM home GROUP BY 1 ORDER BY 1", "lower(home.room) | count(*)", ["kitchen | 13","living room | 13"]],
  ["SELECT count(*) AS n, room FROM home GROUP BY room ORDER BY n DESC, room", "n | room", ["13 | Kitchen","13 | Living Room"]],
  // date_bin
  ["SELECT date_bin(INTERVAL '1 hour', time) AS _time, avg(co) AS co FROM home GROUP BY 1 ORDER BY 1 LIMIT 3", "_time | co", ["2022-01-01 08:00:00 | 0","2022-01-01 09:00:00 | 0","2022-01-01 10:00:00 | 0"]],
  ["SELECT date_bin(INTERVAL '2 hours', time) AS _time, room, max(co) AS co FROM home WHERE time >= '2022-01-01T16:00:00Z' GROUP BY _time, room ORDER BY room, _time", "_time | room | co", ["2022-01-01 16:00:00 | Kitchen | 9","2022-01-01 18:00:00 | Kitchen | 22","2022-01-01 20:00:00 | Kitchen | 26","2022-01-01 16:00:00 | Living Room | 5","2022-01-01 18:00:00 | Living Room | 14","2022-01-01 20:00:00 | Living Room | 17"]],
  ["SELECT date_bin(INTERVAL '1 day', time) AS day, count(*) AS n FROM home GROUP BY day", "day | n", ["2022-01-01 00:00:00 | 26"]],
  ["SELECT date_bin(INTERVAL '3 hours', time, '2022-01-01T07:00:00Z') AS _time, sum(co) AS co FROM home GROUP BY 1 ORDER BY 1", "_time | co", ["2022-01-01 07:00:00 | 0","2022-01-01 10:00:00 | 0","2022-01-01 13:00:00 | 6","2022-01-01 16:00:00 | 52","2022-01-01 19:00:00 | 79"]],
  ["SELECT date_bin(INTERVAL '90 minutes', time) AS _time, count(*) AS n FROM home WHERE time < '2022-01-01T12:00:00Z' GROUP BY 1 ORDER BY 1", "_time | n", ["2022-01-01 07:30:00 | 2","2022-01-01 09:00:00 | 4","2022-01-01 10:30:00 | 2"]],
  ["SELECT date_bin(interval '15 minutes', time) AS t FROM home WHERE time = '2022-01-01T09:00:00Z' LIMIT 1", "t", ["2022-01-01 09:00:00"]],
  ["SELECT date_bin(INTERVAL '1 hour', time) FROM home WHERE room = 'Kitchen' ORDER BY time LIMIT 1", "date_bin(IntervalMonthDayNano(\"IntervalMonthDayNano { months: 0, days: 0, nanoseconds: 3600000000000 }\"),home.time)", ["2022-01-01 08:00:00"]],
  ["SELECT date_bin(INTERVAL '1 hour 30 minutes', time) AS t, count(*) AS n FROM home GROUP BY t ORDER BY t LIMIT 2", "t | n", ["2022-01-01 07:30:00 | 2","2022-01-01 09:00:00 | 4"]],
  ["SELECT date_bin(INTERVAL '7 days', time) AS week, count(*) AS n FROM home GROUP BY 1", "week | n", ["2021-12-30 00:00:00 | 26"]],
  ["SELECT date_bin(INTERVAL '1 second', '2022-01-01T08:00:00.999999999Z'::TIMESTAMP_NS) AS t", "t", ["2022-01-01 08:00:00"]],
  ["SELECT date_bin(INTERVAL '2 hours', time, TIMESTAMP '2000-01-01 01:00:00') AS t, count(*) AS n FROM home GROUP BY 1 ORDER BY 1 LIMIT 2", "t | n", ["2022-01-01 07:00:00 | 2","2022-01-01 09:00:00 | 4"]],
  ["SELECT date_bin(INTERVAL '1 hour', time) AS t, selector_max(co, time)['value'] AS co FROM home WHERE room = 'Kitchen' AND time >= '2022-01-01T18:00:00Z' GROUP BY 1 ORDER BY 1", "t | co", ["2022-01-01 18:00:00 | 18","2022-01-01 19:00:00 | 22","2022-01-01 20:00:00 | 26"]],
  // gap filling
  ["SELECT date_bin_gapfill(INTERVAL '1 hour', time) AS _time, room, avg(temp) AS temp FROM sparse WHERE time >= '2022-01-01T08:00:00Z' AND time <= '2022-01-01T12:00:00Z' GROUP BY _time, room", "_time | room | temp", ["2022-01-01 08:00:00 | Den | null","2022-01-01 09:00:00 | Den | 18","2022-01-01 10:00:00 | Den | 19","2022-01-01 11:00:00 | Den | null","2022-01-01 12:00:00 | Den | null","2022-01-01 08:00:00 | Kitchen | 20","2022-01-01 09:00:00 | Kitchen | null","2022-01-01 10:00:00 | Kitchen | null","2022-01-01 11:00:00 | Kitchen | null","2022-01-01 12:00:00 | Kitchen | 24"]],
  ["SELECT date_bin_gapfill(INTERVAL '1 hour', time) AS _time, room, locf(avg(temp)) AS temp FROM sparse WHERE time >= '2022-01-01T08:00:00Z' AND time <= '2022-01-01T12:00:00Z' GROUP BY _time, room", "_time | room | temp", ["2022-01-01 08:00:00 | Den | null","2022-01-01 09:00:00 | Den | 18","2022-01-01 10:00:00 | Den | 19","2022-01-01 11:00:00 | Den | 19","2022-01-01 12:00:00 | Den | 19","2022-01-01 08:00:00 | Kitchen | 20","2022-01-01 09:00:00 | Kitchen | 20","2022-01-01 10:00:00 | Kitchen | 20","2022-01-01 11:00:00 | Kitchen | 20","2022-01-01 12:00:00 | Kitchen | 24"]],
  ["SELECT date_bin_gapfill(INTERVAL '1 hour', time) AS _time, room, interpolate(avg(temp)) AS temp FROM sparse WHERE time >= '2022-01-01T08:00:00Z' AND time <= '2022-01-01T12:00:00Z' GROUP BY _time, room", "_time | room | temp", ["2022-01-01 08:00:00 | Den | null","2022-01-01 09:00:00 | Den | 18","2022-01-01 10:00:00 | Den | 19","2022-01-01 11:00:00 | Den | null","2022-01-01 12:00:00 | Den | null","2022-01-01 08:00:00 | Kitchen | 20","2022-01-01 09:00:00 | Kitchen | 21","2022-01-01 10:00:00 | Kitchen | 22","2022-01-01 11:00:00 | Kitchen | 23","2022-01-01 12:00:00 | Kitchen | 24"]],
  ["SELECT date_bin_gapfill(INTERVAL '1 hour', time) AS _time, locf(max(temp)) AS t FROM sparse WHERE room = 'Kitchen' AND time >= '2022-01-01T08:00:00Z' AND time < '2022-01-01T12:00:00Z' GROUP BY 1", "_time | t", ["2022-01-01 08:00:00 | 20","2022-01-01 09:00:00 | 20","2022-01-01 10:00:00 | 20","2022-01-01 11:00:00 | 20"]],
  ["SELECT date_bin_gapfill(INTERVAL '2 hours', time) AS _time, room, count(temp) AS n FROM sparse WHERE time BETWEEN '2022-01-01T06:00:00Z' AND '2022-01-01T13:00:00Z' GROUP BY 1, 2", "_time | room | n", ["2022-01-01 06:00:00 | Den | null","2022-01-01 08:00:00 | Den | 1","2022-01-01 10:00:00 | Den | 1","2022-01-01 12:00:00 | Den | null","2022-01-01 06:00:00 | Kitchen | null","2022-01-01 08:00:00 | Kitchen | 1","2022-01-01 10:00:00 | Kitchen | null","2022-01-01 12:00:00 | Kitchen | 1"]],
  ["SELECT date_bin_gapfill(INTERVAL '30 minutes', time) AS _time, interpolate(avg(temp)) AS temp FROM sparse WHERE room = 'Den' AND time >= '2022-01-01T09:00:00Z' AND time <= '2022-01-01T10:00:00Z' GROUP BY _time", "_time | temp", ["2022-01-01 09:00:00 | 18","2022-01-01 09:30:00 | 18.5","2022-01-01 10:00:00 | 19"]],
  ["SELECT date_bin_gapfill(INTERVAL '1 hour', time) AS _time, room, locf(avg(temp)) FROM sparse WHERE time >= '2022-01-01T08:00:00Z' AND time <= '2022-01-01T10:00:00Z' GROUP BY _time, room ORDER BY _time DESC, room LIMIT 3", "_time | room | locf(avg(sparse.temp))", ["2022-01-01 10:00:00 | Den | 19","2022-01-01 10:00:00 | Kitchen | 20","2022-01-01 09:00:00 | Den | 18"]],
  ["SELECT date_bin_gapfill(INTERVAL '1 hour', time), avg(temp) FROM sparse WHERE time >= '2022-01-01T11:00:00Z' AND time <= '2022-01-01T12:00:00Z' GROUP BY 1", "date_bin_gapfill(IntervalMonthDayNano(\"IntervalMonthDayNano { months: 0, days: 0, nanoseconds: 3600000000000 }\"),sparse.time) | avg(sparse.temp)", ["2022-01-01 11:00:00 | null","2022-01-01 12:00:00 | 24"]],
  ["SELECT date_bin_gapfill(INTERVAL '1 hour', time) AS _time, room, selector_max(temp, time)['value'] AS max_temp FROM sparse WHERE time >= '2022-01-01T08:00:00Z' AND time <= '2022-01-01T10:00:00Z' GROUP BY _time, room", "_time | room | max_temp", ["2022-01-01 08:00:00 | Den | null","2022-01-01 09:00:00 | Den | 18","2022-01-01 10:00:00 | Den | 19","2022-01-01 08:00:00 | Kitchen | 20","2022-01-01 09:00:00 | Kitchen | null","2022-01-01 10:00:00 | Kitchen | null"]],
  ["SELECT date_bin_gapfill(INTERVAL '1 hour', time, '2022-01-01T00:30:00Z') AS _time, count(*) AS n FROM sparse WHERE time >= '2022-01-01T08:00:00Z' AND time <= '2022-01-01T10:00:00Z' GROUP BY 1", "_time | n", ["2022-01-01 07:30:00 | 1","2022-01-01 08:30:00 | 1","2022-01-01 09:30:00 | 1"]],
  ["SELECT date_bin_gapfill(INTERVAL '1 hour', time) AS _time, locf(max(temp)) AS t FROM home WHERE room = 'Kitchen' AND time > '2022-01-01T19:00:00Z' AND time <= '2022-01-01T22:00:00Z' GROUP BY 1", "_time | t", ["2022-01-01 19:00:00 | null","2022-01-01 20:00:00 | 22.7","2022-01-01 21:00:00 | 22.7","2022-01-01 22:00:00 | 22.7"]],
  ["SELECT date_bin_gapfill(INTERVAL '1 hour', time) AS _time, avg(temp) FROM sparse GROUP BY 1", 'ERROR', "Error during planning: date_bin_gapfill needs a lower time bound in the WHERE clause (time >= … or time > …)"],
  ["SELECT date_bin_gapfill(INTERVAL '1 hour', time) AS _time, avg(temp) FROM sparse WHERE time >= '2022-01-01T08:00:00Z'", 'ERROR', "Error during planning: date_bin_gapfill needs a GROUP BY clause with the date_bin_gapfill expression in it"],
  ["SELECT locf(avg(temp)) FROM sparse", 'ERROR', "Error during planning: locf() is only allowed in the select list of a query grouped by date_bin_gapfill"],
  ["SELECT room, interpolate(temp) FROM sparse", 'ERROR', "Error during planning: interpolate() is only allowed in the select list of a query grouped by date_bin_gapfill"],
  // selectors
  ["SELECT selector_max(temp, time) FROM home", "selector_max(home.temp,home.time)", ["{'value': 23.3, 'time': 2022-01-01 18:00:00}"]],
  ["SELECT selector_max(temp, time)['value'] AS v, selector_max(temp, time)['time'] AS t FROM home", "v | t", ["23.3 | 2022-01-01 18:00:00"]],
  ["SELECT selector_min(temp, time)['value'] AS v, selector_min(temp, time)['time'] AS t FROM home", "v | t", ["21 | 2022-01-01 08:00:00"]],
  ["SELECT selector_first(co, time)['value'] AS v, selector_first(co, time)['time'] AS t FROM home WHERE co > 0", "v | t", ["1 | 2022-01-01 13:00:00"]],
  ["SELECT selector_last(temp, time)['value'] AS v, selector_last(temp, time)['time'] AS t FROM home WHERE room = 'Kitchen'", "v | t", ["22.7 | 2022-01-01 20:00:00"]],
  ["SELECT room, selector_max(co, time)['value'] AS co, selector_max(co, time)['time'] AS t FROM home GROUP BY room ORDER BY room", "room | co | t", ["Kitchen | 26 | 2022-01-01 20:00:00","Living Room | 17 | 2022-01-01 20:00:00"]],
  ["SELECT room, selector_min(hum, time)['time'] AS t FROM home GROUP BY room ORDER BY room", "room | t", ["Kitchen | 2022-01-01 08:00:00","Living Room | 2022-01-01 08:00:00"]],
  ["SELECT selector_max(co, time)['time'] AS t FROM home WHERE room = 'Living Room' AND co = 0", "t", ["2022-01-01 08:00:00"]],
  ["SELECT selector_first(room, time)['value'] AS r, selector_first(room, time)['time'] AS t FROM home WHERE co > 7", "r | t", ["Kitchen | 2022-01-01 17:00:00"]],
  ["SELECT selector_last(temp, time)['value'] FROM home WHERE room = 'Living Room'", "selector_last(home.temp,home.time)[value]", ["22.2"]],
  ["SELECT selector_max(temp, time)['value'] AS v FROM home WHERE time > '2030-01-01T00:00:00Z'", "v", ["null"]],
  ["SELECT selector_min(co, time) FROM home WHERE room = 'Kitchen'", "selector_min(home.co,home.time)", ["{'value': 0, 'time': 2022-01-01 08:00:00}"]],
  // time functions
  ["SELECT date_trunc('day', time) AS day, count(*) AS n FROM home GROUP BY 1", "day | n", ["2022-01-01 00:00:00 | 26"]],
  ["SELECT date_trunc('hour', time) AS h FROM home WHERE time = '2022-01-01T09:00:00Z' LIMIT 1", "h", ["2022-01-01 09:00:00"]],
  ["SELECT date_part('hour', time) AS h, temp FROM home WHERE room = 'Kitchen' ORDER BY time LIMIT 2", "h | temp", ["8 | 21","9 | 23"]],
  ["SELECT extract(hour FROM time) AS h FROM home WHERE time = '2022-01-01T15:00:00Z' LIMIT 1", "h", ["15"]],
  ["SELECT EXTRACT(year FROM time) AS y, EXTRACT(month FROM time) AS m, EXTRACT(day FROM time) AS d FROM home LIMIT 1", "y | m | d", ["2022 | 1 | 1"]],
  ["SELECT date_part('dow', time) AS dow FROM home LIMIT 1", "dow", ["6"]],
  ["SELECT extract(epoch FROM time) AS e FROM home WHERE time = '2022-01-01T08:00:00Z' LIMIT 1", "e", ["1641024000"]],
  ["SELECT to_timestamp('2022-01-01T08:00:00.123456789Z') AS t", "t", ["2022-01-01 08:00:00.123456789"]],
  ["SELECT to_timestamp(1641024000) AS t", "t", ["2022-01-01 08:00:00"]],
  ["SELECT to_timestamp(1641024000.5) AS t", "t", ["2022-01-01 08:00:00.5"]],
  ["SELECT to_timestamp_seconds('2022-01-01T08:00:00.987Z') AS t", "t", ["2022-01-01 08:00:00"]],
  ["SELECT to_timestamp_millis(1641024000123) AS t", "t", ["2022-01-01 08:00:00.123"]],
  ["SELECT to_timestamp_micros(1641024000123456) AS t", "t", ["2022-01-01 08:00:00.123456"]],
  ["SELECT to_timestamp_nanos(1641024000123456789) AS t", "t", ["2022-01-01 08:00:00.123456789"]],
  ["SELECT to_timestamp_seconds(1641024000) AS t", "t", ["2022-01-01 08:00:00"]],
  ["SELECT tz(time, 'America/Chicago') AS local FROM home WHERE time = '2022-01-01T08:00:00Z' LIMIT 1", "local", ["2022-01-01 02:00:00"]],
  ["SELECT tz(time, 'Europe/Paris') AS local FROM home WHERE time = '2022-01-01T08:00:00Z' LIMIT 1", "local", ["2022-01-01 09:00:00"]],
  ["SELECT tz(time) AS t FROM home WHERE time = '2022-01-01T08:00:00Z' LIMIT 1", "t", ["2022-01-01 08:00:00"]],
  ["SELECT time AT TIME ZONE 'UTC' AS t FROM home WHERE time = '2022-01-01T08:00:00Z' LIMIT 1", "t", ["2022-01-01 08:00:00+00"]],
  ["SELECT time + INTERVAL '1 hour 30 minutes' AS t FROM home WHERE time = '2022-01-01T08:00:00Z' LIMIT 1", "t", ["2022-01-01 09:30:00"]],
  ["SELECT time - INTERVAL '1 day' AS t FROM home WHERE time = '2022-01-01T08:00:00Z' LIMIT 1", "t", ["2021-12-31 08:00:00"]],
  ["SELECT INTERVAL '1 hour' + INTERVAL '30 minutes' AS i", "i", ["01:30:00"]],
  ["SELECT to_timestamp('2022-01-01T08:00:00Z') - INTERVAL '2 hours' AS t", "t", ["2022-01-01 06:00:00"]],
  ["SELECT max(time) AS latest FROM home", "latest", ["2022-01-01 20:00:00"]],
  ["SELECT max(time) - min(time) AS span FROM home", "span", ["12:00:00"]],
  // conditional, math, string, regex, hashing
  ["SELECT coalesce(NULL, 'a') AS c, nullif(1, 1) AS n, nvl(NULL, 2) AS v, greatest(1, 3, 2) AS g, least(4, 2) AS l", "c | n | v | g | l", ["a | null | 2 | 3 | 2"]],
  ["SELECT abs(-2) AS a, round(2.567, 1) AS r, ceil(1.2) AS c, floor(1.8) AS f, sqrt(16) AS s, power(2, 10) AS p", "a | r | c | f | s | p", ["2 | 2.6 | 2 | 1 | 4 | 1024"]],
  ["SELECT signum(-3) AS s, ln(1) AS l, log10(100) AS l10, log2(8) AS l2, exp(0) AS e, pi() > 3.14 AS p", "s | l | l10 | l2 | e | p", ["-1 | 0 | 2 | 3 | 1 | true"]],
  ["SELECT trunc(2.7) AS t, cbrt(27) AS c, degrees(pi()) AS d, gcd(12, 18) AS g, lcm(4, 6) AS l", "t | c | d | g | l", ["2 | 3.0000000000000004 | 180 | 6 | 12"]],
  ["SELECT lower(room) AS l, upper(room) AS u, length(room) AS n FROM home ORDER BY room LIMIT 1", "l | u | n", ["kitchen | KITCHEN | 7"]],
  ["SELECT concat(room, '-', 'x') AS c, concat_ws('/', 'a', 'b') AS w FROM home ORDER BY room DESC LIMIT 1", "c | w", ["Living Room-x | a/b"]],
  ["SELECT btrim('  x  ') AS b, ltrim('  x') AS l, rtrim('x  ') AS r, trim('  y ') AS t", "b | l | r | t", ["x | x | x | y"]],
  ["SELECT starts_with(room, 'Kit') AS s, ends_with(room, 'Room') AS e, strpos(room, 'Room') AS p FROM home ORDER BY room DESC LIMIT 1", "s | e | p", ["false | true | 8"]],
  ["SELECT substr('influxdb', 1, 6) AS s, left('influxdb', 3) AS l, right('influxdb', 2) AS r, repeat('ab', 2) AS rp, reverse('abc') AS rv", "s | l | r | rp | rv", ["influx | inf | db | abab | cba"]],
  ["SELECT split_part('a,b,c', ',', 2) AS p, replace('aXb', 'X', '-') AS r, lpad('7', 3, '0') AS lp, rpad('7', 3, '0') AS rp", "p | r | lp | rp", ["b | a-b | 007 | 700"]],
  ["SELECT regexp_like(room, '^Liv') AS m FROM home ORDER BY room LIMIT 1", "m", ["false"]],
  ["SELECT regexp_replace('home-1', '[0-9]', 'N') AS r, regexp_matches('abc', 'b') AS m", "r | m", ["home-N | true"]],
  ["SELECT md5('influx') = md5('influx') AS same, length(sha256('x')) AS n", "same | n", ["true | 64"]],
  ["SELECT CASE WHEN co > 10 THEN 'high' ELSE 'low' END AS level, count(*) AS n FROM home GROUP BY 1 ORDER BY 1", "level | n", ["high | 5","low | 21"]],
  ["SELECT room FROM home WHERE room LIKE 'Liv%' LIMIT 1", "room", ["Living Room"]],
  ["SELECT DISTINCT room FROM home ORDER BY room", "room", ["Kitchen","Living Room"]],
  ["SELECT count(*) FROM home WHERE room ~ '^K'", "count(*)", ["13"]],
  // errors
  ["SELECT foo(temp) FROM home", 'ERROR', "Error during planning: Invalid function 'foo'. Did you mean 'floor'?"],
  ["SELECT nope FROM home", 'ERROR', "Schema error: No field named \"nope\". Similar fields: co, room, temp, time."],
  ["SELECT temp FROM nope", 'ERROR', "table \"nope\" not found in database \"home\""],
  ["SELEC temp FROM home", 'ERROR', "SQL error: syntax error at or near \"SELEC\""],
  ["SELECT date_bin(INTERVAL '1 month', time) AS t FROM home", 'ERROR', "Execution error: date_bin: a stride of months or years is not supported, use days or less"],
  ["SELECT date_bin(INTERVAL '0 seconds', time) AS t FROM home", 'ERROR', "Execution error: date_bin: the stride must be a positive interval"],
  ["SELECT date_bin(time) FROM home", 'ERROR', "Error during planning: function 'date_bin' does not accept these arguments; it takes (stride, source) or (stride, source, origin)"],
  ["SELECT selector_max(temp) FROM home", 'ERROR', "Error during planning: function 'selector_max' does not accept these arguments; it takes (v, t)"],
  ["SELECT count(*) FROM home WHERE time > 'yesterday'", 'ERROR', "Cast error: cannot read 'yesterday' as a timestamp: write an RFC3339 time such as '2024-01-01T00:00:00Z'"],
  ["SELECT approx_percentile_cont_with_weight(temp, 1, 0.5) FROM home", 'ERROR', "Error during planning: Invalid function 'approx_percentile_cont_with_weight'. Did you mean 'approx_count_distinct'?"],
  ["SELECT temp FROM home WHERE room > 1", 'ERROR', "Error during planning: cannot compare VARCHAR with INTEGER_LITERAL"],
  ["DELETE FROM home", 'ERROR', "only SELECT statements are allowed (Only SELECT statements can be serialized to json!)"],
  ["SELECT \"Temp\" FROM sensors WHERE \"Nope\" = 1", 'ERROR', "Schema error: No field named \"Nope\". Similar fields: temp, time."],
  ["SELECT avg(temp) FROM home GROUP BY nope", 'ERROR', "Schema error: No field named \"nope\". Similar fields: co, room, temp, time."],
  ["SELECT count(*) FROM home WHERE room ~* '^kit'", "count(*)", ["13"]],
  ["SELECT count(*) FROM home WHERE room !~* '^kit'", "count(*)", ["13"]],
  ["SELECT count(*) FROM home WHERE room !~ 'Room'", "count(*)", ["13"]],
  ["SELECT count(*) FROM home WHERE time > '2022-01-01T20:00:00Z' - INTERVAL '3 hours'", "count(*)", ["6"]],
  ["SELECT avg(temp) FILTER (WHERE room = 'Kitchen') AS k, avg(temp) FILTER (WHERE room <> 'Kitchen') AS l FROM home WHERE time <= '2022-01-01T09:00:00Z'", "k | l", ["22 | 21.25"]],
  ["SELECT room, min(time) AS first_seen, max(time) AS last_seen FROM home GROUP BY room ORDER BY room", "room | first_seen | last_seen", ["Kitchen | 2022-01-01 08:00:00 | 2022-01-01 20:00:00","Living Room | 2022-01-01 08:00:00 | 2022-01-01 20:00:00"]],
  ["SELECT temp, time FROM home WHERE room = 'Kitchen' ORDER BY temp DESC, time LIMIT 2", "temp | time", ["23.3 | 2022-01-01 18:00:00","23.1 | 2022-01-01 19:00:00"]],
  // more documentation examples and functions: macros, renamed functions, window and array functions
  ["SELECT DATE_BIN(INTERVAL '1 hour', time, '2022-01-01T00:00:00Z'::TIMESTAMP) AS time, mean(temp), sum(co), room FROM home WHERE time <= '2022-01-01T09:00:00Z' GROUP BY 1, room ORDER BY room, 1", "time | mean(home.temp) | sum(home.co) | room", ["2022-01-01 08:00:00 | 21 | 0 | Kitchen","2022-01-01 09:00:00 | 23 | 0 | Kitchen","2022-01-01 08:00:00 | 21.1 | 0 | Living Room","2022-01-01 09:00:00 | 21.4 | 0 | Living Room"]],
  ["SELECT selector_first(temp, time)['time'] AS time, selector_first(temp, time)['value'] AS temp, room FROM home GROUP BY room ORDER BY room", "time | temp | room", ["2022-01-01 08:00:00 | 21 | Kitchen","2022-01-01 08:00:00 | 21.1 | Living Room"]],
  ["SELECT temp, room FROM home WHERE time >= now() - INTERVAL '1 day'", "temp | room", []],
  ["SELECT nvl2(NULL, 1, 2) AS a, nanvl('NaN'::DOUBLE, 0) AS b, iszero(0.0) AS c, find_in_set('b', 'a,b,c') AS d, find_in_set('z', 'a') AS e, regexp_count('abcabc', 'b') AS f", "a | b | c | d | e | f", ["2 | 0 | true | 2 | 0 | 2"]],
  ["SELECT to_unixtime('2020-09-08T12:00:00+00:00') AS a, from_unixtime(1599566400) AS b, to_date('2023-01-31') AS c", "a | b | c", ["1599566400 | 2020-09-08 12:00:00 | 2023-01-31"]],
  ["SELECT to_unixtime(time) AS u FROM home WHERE time = '2022-01-01T08:00:00Z' LIMIT 1", "u", ["1641024000"]],
  ["SELECT covar(co, temp) > 0 AS c, round(var(co), 3) AS v, round(var_sample(co), 3) AS vs, round(var_population(co), 3) AS vp FROM home", "c | v | vs | vp", ["true | 60.445 | 60.445 | 58.12"]],
  ["SELECT to_char(time, '%Y-%m-%d %H:%M') AS s, date_format(time, '%H') AS h FROM home WHERE time = '2022-01-01T08:00:00Z' LIMIT 1", "s | h", ["2022-01-01 08:00 | 08"]],
  ["SELECT arrow_typeof(temp) AS a, arrow_typeof(time) AS b, arrow_typeof(room) AS c FROM home LIMIT 1", "a | b | c", ["DOUBLE | TIMESTAMP_NS | VARCHAR"]],
  ["SELECT room, first_value(temp ORDER BY time) AS first, last_value(temp ORDER BY time) AS last FROM home GROUP BY room ORDER BY room", "room | first | last", ["Kitchen | 21 | 22.7","Living Room | 21.1 | 22.2"]],
  ["SELECT room, temp, lag(temp) OVER (PARTITION BY room ORDER BY time) AS previous FROM home WHERE time <= '2022-01-01T09:00:00Z' ORDER BY room, time", "room | temp | previous", ["Kitchen | 21 | null","Kitchen | 23 | 21","Living Room | 21.1 | null","Living Room | 21.4 | 21.1"]],
  ["SELECT room, time, row_number() OVER (PARTITION BY room ORDER BY temp DESC, time) AS n FROM home QUALIFY n = 1 ORDER BY room", "room | time | n", ["Kitchen | 2022-01-01 18:00:00 | 1","Living Room | 2022-01-01 18:00:00 | 1"]],
  ["SELECT make_array(1, 2, 3) AS a, array_length(make_array(1, 2, 3)) AS n, array_element(make_array(4, 5), 2) AS e, cardinality(make_array(1, 2)) AS c, array_join(make_array('a', 'b'), '-') AS j", "a | n | e | c | j", ["[1, 2, 3] | 3 | 5 | 2 | a-b"]],
  ["SELECT array_max(make_array(1, 5, 2)) AS mx, array_min(make_array(3, 1)) AS mn, arrays_overlap(make_array(1, 2), make_array(2, 3)) AS o, string_to_list('a,b', ',') AS l", "mx | mn | o | l", ["5 | 1 | true | ['a', 'b']"]],
  ["SELECT array_agg(co ORDER BY time) AS cos FROM home WHERE room = 'Kitchen' AND time >= '2022-01-01T18:00:00Z'", "cos", ["[18, 22, 26]"]],
  ["SELECT string_agg(room, ',' ORDER BY room) AS rooms FROM (SELECT DISTINCT room FROM home)", "rooms", ["Kitchen,Living Room"]],
  ["SELECT current_timestamp() = now() AS same, current_date() = today() AS d, current_time() IS NOT NULL AS t", "same | d | t", ["true | true | true"]],
  ["SELECT get_field(selector_max(co, time), 'value') AS v FROM home", "v", ["26"]],
  ["SELECT count(*) AS n FROM home WHERE time >= '2022-01-01T12:00:00Z' AND time < '2022-01-01T13:00:00Z' AND room IN ('Kitchen', 'Living Room')", "n", ["2"]],
  ["SELECT room, count(*) FILTER (WHERE co > 0) AS with_co FROM home GROUP BY room ORDER BY room", "room | with_co", ["Kitchen | 8","Living Room | 6"]],
  ["SELECT date_bin(INTERVAL '4 hours', time) AS _time, room, selector_last(co, time)['value'] AS co FROM home GROUP BY 1, 2 ORDER BY 2, 1", "_time | room | co", ["2022-01-01 08:00:00 | Kitchen | 0","2022-01-01 12:00:00 | Kitchen | 3","2022-01-01 16:00:00 | Kitchen | 22","2022-01-01 20:00:00 | Kitchen | 26","2022-01-01 08:00:00 | Living Room | 0","2022-01-01 12:00:00 | Living Room | 1","2022-01-01 16:00:00 | Living Room | 14","2022-01-01 20:00:00 | Living Room | 17"]],
  ["SELECT 5 / 2 AS d, 5 // 2 AS i, 5 / 2.0 AS f, -7 / 2 AS n", "d | i | f | n", ["2 | 2 | 2.5 | -3"]],
  ["SELECT co / 2 AS half, co / 2.0 AS exact, temp / 2 AS t FROM home WHERE room = 'Kitchen' ORDER BY time DESC LIMIT 1", "half | exact | t", ["13 | 13 | 11.35"]],
  ["SELECT co / 4 FROM home WHERE room = 'Living Room' ORDER BY time DESC LIMIT 1", "home.co / Int64(4)", ["4"]],
  ["SELECT * FROM (SELECT count(*) FROM home)", "count(*)", ["26"]],
  ["SELECT room, count(*) FROM home GROUP BY room ORDER BY count(*) DESC, room", "room | count(*)", ["Kitchen | 13","Living Room | 13"]],
  ["SELECT max(co) FROM home UNION ALL SELECT min(co) FROM home", "max(home.co)", ["26","0"]],
]

const cellText = (v: DuckDBValue) => (v === null ? 'null' : String(v));

test('InfluxDB 3 SQL examples answer with the expected columns and values', async () => {
  const { db, cleanup } = await seeded();
  try {
    const failures: string[] = [];
    for (const [sql, columns, expected] of CASES) {
      try {
        const result = await db.query.query('home', sql);
        const got = { columns: result.columns.map((c) => c.name).join(' | '), rows: result.rows.map((row) => row.map(cellText).join(' | ')) };
        if (columns === 'ERROR') failures.push(`${sql}\n  expected the error ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
        else if (got.columns !== columns || JSON.stringify(got.rows) !== JSON.stringify(expected)) failures.push(`${sql}\n  expected ${columns} ${JSON.stringify(expected)}\n  got      ${got.columns} ${JSON.stringify(got.rows)}`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (columns !== 'ERROR') failures.push(`${sql}\n  failed: ${message}`);
        else if (!(err instanceof QueryError) || (err.code !== 'INVALID_QUERY' && err.code !== 'NOT_READ_ONLY') || message !== expected) failures.push(`${sql}\n  expected the error ${JSON.stringify(expected)}\n  got ${err instanceof QueryError ? err.code : 'a non-query error'}: ${JSON.stringify(message)}`);
        // Never the engine's internals: its kinds of error, SQL names, database schemas, the macro schema.
        if (/Binder Error|Parser Error|Catalog Error|Conversion Error|\^|db_\d|sluice\.|LINE \d/.test(message)) failures.push(`${sql}\n  the message shows engine internals: ${message}`);
      }
    }
    console.log(`# dialect: ${CASES.length} statements checked, ${CASES.filter((c) => c[1] === 'ERROR').length} of them errors`);
    assert.deepEqual(failures, []);
  } finally {
    await cleanup();
  }
});

test('RFC3339 strings are read exactly to the nanosecond; anything else is no time (worked examples)', () => {
  const examples: Array<[string, bigint | undefined]> = [
    ['2022-01-01T08:00:00Z', 1641024000000000000n],
    ['2022-01-01T08:00:00.123456789Z', 1641024000123456789n],
    ['2022-01-01T08:00:00.5Z', 1641024000500000000n],
    ['2022-01-01 08:00:00', 1641024000000000000n],
    ['2022-01-01T10:00:00+02:00', 1641024000000000000n],
    ['2022-01-01T02:30:00-05:30', 1641024000000000000n],
    ['2022-01-01T08:00:00+0000', 1641024000000000000n],
    ['2022-01-01T08:00Z', 1641024000000000000n],
    ['2022-01-01', 1640995200000000000n],
    ['1970-01-01T00:00:00Z', 0n],
    ['1969-12-31T23:59:59.999999999Z', -1n],
    ['2024-02-29T00:00:00Z', 1709164800000000000n],
    ['2023-02-29T00:00:00Z', undefined],
    ['2022-13-01T00:00:00Z', undefined],
    ['2022-01-01T24:00:00Z', undefined],
    ['2022-01-01T08:00:00.1234567891Z', undefined],
    ['yesterday', undefined],
    ['now', undefined],
    ['', undefined],
    ['1641024000', undefined],
    ['2300-01-01T00:00:00Z', undefined],
  ];
  for (const [text, ns] of examples) assert.equal(rfc3339ToNs(text), ns, text);
});

test('time pruning keeps working for the rewritten time predicates: now() - INTERVAL, RFC3339 bounds, gap filling', async () => {
  const { db, cleanup } = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m' } });
  try {
    // Ten 1-minute windows from the epoch, each in a Parquet file, and the last round buffered.
    for (let round = 0; round < 2; round++) {
      const lines = Array.from({ length: 120 }, (_, j) => `m,host=h${j % 3} v=${round * 1000 + j}i ${j * 5}`);
      await db.writer.writeLp('db1', Buffer.from(lines.join('\n')), { precision: 's' });
      if (round === 0) await db.snapshotNow();
    }
    assert.deepEqual(await queryRows(db, 'db1', "SELECT count(*) FROM m WHERE time > now() - interval '1 hour'"), ['count(*)=0n']);
    assert.deepEqual(db.query.lastPruning, { files: 0, filesPruned: 10, chunks: 0, chunksPruned: 10 }, 'a lower bound from now() - INTERVAL prunes');
    assert.deepEqual(await queryRows(db, 'db1', "SELECT count(*) FROM m WHERE time >= '1970-01-01T00:02:00Z' AND time <= '1970-01-01T00:02:59Z'"), ['count(*)=12n']);
    assert.deepEqual(db.query.lastPruning, { files: 1, filesPruned: 9, chunks: 1, chunksPruned: 9 }, 'RFC3339 bounds read only window 2');
    assert.deepEqual(await queryRows(db, 'db1', "SELECT count(*) FROM m WHERE time BETWEEN '1970-01-01T01:02:00+01:00' AND '1970-01-01T00:03:59.999999999Z'"), ['count(*)=24n']);
    assert.deepEqual(db.query.lastPruning, { files: 2, filesPruned: 8, chunks: 2, chunksPruned: 8 }, 'BETWEEN with an offset and nanoseconds reads windows 2 and 3');
    assert.deepEqual(await queryRows(db, 'db1', "SELECT count(*) FROM m WHERE time > '1970-01-01T00:08:00Z' - INTERVAL '1 minute'"), ['count(*)=35n']);
    assert.equal(db.query.lastPruning?.filesPruned, 7, 'an RFC3339 time minus an interval prunes');
    const gapfill = "SELECT date_bin_gapfill(INTERVAL '30 seconds', time) AS t, locf(count(*)) AS n FROM m WHERE time >= '1970-01-01T00:02:00Z' AND time <= '1970-01-01T00:03:10Z' GROUP BY 1";
    assert.deepEqual(await queryRows(db, 'db1', gapfill), ['t=t120000000000 n=6n', 't=t150000000000 n=6n', 't=t180000000000 n=3n']);
    assert.deepEqual(db.query.lastPruning, { files: 2, filesPruned: 8, chunks: 2, chunksPruned: 8 }, 'a gap-filling query prunes by its WHERE clause');
    assert.deepEqual(await queryRows(db, 'db1', "SELECT count(*) FROM m WHERE time < now() - interval '1 hour'"), ['count(*)=120n']);
    assert.equal(db.query.lastPruning, undefined, 'an upper bound from now() never prunes');
  } finally {
    await cleanup();
  }
});

test('date_bin agrees with integer arithmetic and RFC3339 times with the engine, on seeded random values', async () => {
  const seed = testSeed();
  console.log(`# dialect random seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const { db, cleanup } = await tempDatabase();
  try {
    await db.writer.writeLp('r', Buffer.from('x v=1i 0'), { precision: 's' });
    const strides: Array<[string, bigint]> = [['1 second', 1_000_000_000n], ['7 seconds', 7_000_000_000n], ['1 minute', 60_000_000_000n], ['15 minutes', 900_000_000_000n], ['1 hour', 3_600_000_000_000n], ['90 minutes', 5_400_000_000_000n], ['1 day', 86_400_000_000_000n], ['3 days', 259_200_000_000_000n], ['250 milliseconds', 250_000_000n], ['1 microsecond', 1000n]];
    const randomNs = () => BigInt(rng.nextInt(2 ** 30)) * BigInt(rng.nextInt(2 ** 30) + 1) * (rng.nextInt(4) === 0 ? -1n : 1n) + BigInt(rng.nextInt(1_000_000_000));
    for (let i = 0; i < 60; i++) {
      const [stride, strideNs] = strides[rng.nextInt(strides.length)]!;
      const t = randomNs();
      const origin = rng.nextInt(2) === 0 ? 0n : randomNs();
      const expected = origin + (t - origin) - ((((t - origin) % strideNs) + strideNs) % strideNs);
      const rows = await queryRows(db, 'r', `SELECT epoch_ns(date_bin(INTERVAL '${stride}', make_timestamp_ns(${t}), make_timestamp_ns(${origin}))) AS b`);
      assert.deepEqual(rows, [`b=${expected}n`], `seed ${seed}: date_bin(${stride}, ${t}, ${origin})`);
    }
    for (let i = 0; i < 60; i++) {
      // Microsecond times, which the engine's own TIMESTAMPTZ reads exactly.
      const us = BigInt(rng.nextInt(2 ** 30)) * BigInt(rng.nextInt(2 ** 22)) * (rng.nextInt(4) === 0 ? -1n : 1n);
      const date = new Date(Number(us / 1000n));
      const fraction = String(((us % 1_000_000n) + 1_000_000n) % 1_000_000n).padStart(6, '0');
      const offsetMinutes = (rng.nextInt(27) - 13) * 60 + (rng.nextInt(2) === 0 ? 0 : 30);
      const local = new Date(date.getTime() + offsetMinutes * 60_000 - (date.getTime() % 1000 < 0 ? 1000 : 0));
      const sign = offsetMinutes < 0 ? '-' : '+';
      const abs = Math.abs(offsetMinutes);
      const text = `${local.toISOString().slice(0, 19)}.${fraction}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
      const engine = await queryRows(db, 'r', `SELECT epoch_ns(CAST(CAST('${text}' AS TIMESTAMPTZ) AS TIMESTAMP_NS)) AS ns`);
      assert.deepEqual([`ns=${rfc3339ToNs(text)}n`], engine, `seed ${seed}: ${text}`);
    }
  } finally {
    await cleanup();
  }
});

test('docs/sql-dialect.md tells the truth: every function it marks yes exists, every one it marks no gives the error it shows', async () => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../docs/sql-dialect.md', import.meta.url), 'utf8');
  // Rows of each `### … functions` table; a window function is called over a window.
  const rows = doc
    .slice(doc.indexOf('## Functions'))
    .split(/^### /m)
    .slice(1)
    .flatMap((section) => [...section.matchAll(/^\| `([a-z_0-9]+)` \| (yes|no) \|(.*)$/gm)].map((m) => ({ name: m[1]!, isSupported: m[2] === 'yes', isWindow: section.startsWith('Window'), documented: /error: `([^`]*)`/.exec(m[3]!)?.[1]?.replace(/\(…\)$/, '') })));
  assert.ok(rows.length >= 250, `only ${rows.length} functions in the tables`);
  const { db, cleanup } = await tempDatabase();
  try {
    await db.writer.writeLp('d', Buffer.from('t v=1i 1'), { precision: 's' });
    const wrong: string[] = [];
    for (const { name, isSupported, isWindow, documented } of rows) {
      let message = '';
      try {
        // OVERLAY has a syntax of its own.
        await db.query.query('d', name === 'overlay' ? "SELECT overlay('ab' placing 'c' from 1)" : `SELECT ${name}()${isWindow ? ' OVER ()' : ''}`);
      } catch (err) {
        message = err instanceof Error ? err.message : String(err);
      }
      const isUnknown = message.startsWith(`Error during planning: Invalid function '${name}'.`);
      if (isSupported && isUnknown) wrong.push(`${name}: documented as supported, but ${message}`);
      if (!isSupported && (documented === undefined || !message.startsWith(documented))) wrong.push(`${name}: documented error ${JSON.stringify(documented)}, got ${JSON.stringify(message)}`);
    }
    console.log(`# dialect: ${rows.length} documented functions checked, ${rows.filter((r) => !r.isSupported).length} of them unsupported`);
    assert.deepEqual(wrong, []);
  } finally {
    await cleanup();
  }
});

test('a gap-filled range of billions of bins ends at the query timeout, and the engine answers the next query', async () => {
  const { db, cleanup } = await tempDatabase({ queryTimeoutMs: 1_000 });
  try {
    await db.writer.writeLp('db', Buffer.from('cpu,host=a v=1 1767225600\ncpu,host=b v=2 1767229200'), { precision: 's' });
    // 100 years of one-second bins: 3 × 10^9 rows to fill.
    const huge = "SELECT date_bin_gapfill(INTERVAL '1 second', time) AS t, locf(avg(v)) FROM cpu WHERE time >= '2026-01-01T00:00:00Z' AND time < '2126-01-01T00:00:00Z' GROUP BY 1";
    await assert.rejects(db.query.query('db', huge), (e: unknown) => e instanceof QueryError && e.code === 'TIMEOUT');
    assert.deepEqual(await queryRows(db, 'db', 'SELECT count(*) AS n FROM cpu'), ['n=2n']);
  } finally {
    await cleanup();
  }
});
