/**
 * A SELECT past its timeout ends with QueryError TIMEOUT promptly, whatever it is doing: the
 * windows of GROUP BY time are made, filled, reduced, transformed and shaped in JavaScript, and
 * every one of those loops checks the statement's deadline. Each statement here shapes hundreds
 * of thousands to nearly a million one-minute windows (under the statement's bound of
 * MAX_WINDOWS), seconds of work, and is given 200 ms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInfluxQL, type InfluxQLEnvironment } from '../../src/influxql/executor.js';
import { QueryError } from '../../src/query/errors.js';
import { exampleDatabase, T0 } from './select-support.js';

const TIMEOUT_MS = 200;
/**
 * How late a statement may end, as the InfluxQL fuzz bounds it: a second for each test file
 * running beside this one (scripts/test.mjs runs two at once) — slack for a loaded machine, not
 * for the statement, which runs for seconds when nothing stops it.
 */
const LATE_MS = 2 * 1_000;

/** From 2018-03-01 to the data's four minutes: 966 244 windows of one minute. */
const RANGE = "time >= '2018-03-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z'";
/** The last quarter of 2019 and the data: 132 484 windows of one minute per series. */
const QUARTER = "time >= '2019-10-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z'";

/** The examples' database as the executor sees it, `now()` four minutes after the data's start. */
function environmentOf(db: Awaited<ReturnType<typeof exampleDatabase>>['db']): InfluxQLEnvironment {
  const nowNs = T0 + 240_000_000_000n;
  return { catalog: db.catalog, query: db.query, createDatabase: async () => undefined, nowNs: () => nowNs };
}

const STATEMENTS: Array<[string, string]> = [
  // The fuzz's finding: aggregates the engine computes, filled here, then transformed.
  ['pushed-down aggregates filled and transformed', `SELECT sum(v), cumulative_sum(sum(i)), derivative(mean(v)), moving_average(max(v), 3), difference(count(v)) FROM cpu WHERE ${RANGE} GROUP BY time(1m)`],
  ['expressions over windows filled with previous', `SELECT mean(v) * 2, abs(sum(i)), count(v) + 1 FROM cpu WHERE ${RANGE} GROUP BY time(1m) fill(previous)`],
  ['windows in a time zone, reduced here, filled linearly', `SELECT median(v), elapsed(last(v), 1s) FROM cpu WHERE ${RANGE} GROUP BY time(1m) fill(linear) tz('Europe/Paris')`],
  ['a subquery of windows read by the outer statement', `SELECT cumulative_sum(c), non_negative_derivative(c) FROM (SELECT count(v) AS c FROM cpu WHERE ${RANGE} GROUP BY time(1m) fill(0))`],
  // Fewer windows per series, more work on each: the deadline tends to pass while a series is
  // shaped (after its windows are made), which once ran on for seconds, to the next series.
  ['in ORDER BY time DESC, one series per host', `SELECT derivative(mean(v)), cumulative_sum(max(v)), difference(min(v)), mean(v) FROM cpu WHERE ${QUARTER} GROUP BY time(1m), host ORDER BY time DESC`],
];

for (const [what, text] of STATEMENTS) {
  test(`a statement of hundreds of thousands of windows past its ${TIMEOUT_MS} ms timeout ends with TIMEOUT: ${what}`, async () => {
    const { db, cleanup } = await exampleDatabase();
    try {
      const env = environmentOf(db);
      const started = performance.now();
      await assert.rejects(
        async () => {
          for await (const result of runInfluxQL(env, text, { database: 't', timeoutMs: TIMEOUT_MS })) assert.fail(`answered instead of timing out: ${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 300)}`);
        },
        (err: unknown) => err instanceof QueryError && err.code === 'TIMEOUT',
      );
      const elapsedMs = performance.now() - started;
      assert.ok(elapsedMs < TIMEOUT_MS + LATE_MS, `${text} ended ${Math.round(elapsedMs)} ms after it started (timeout ${TIMEOUT_MS} ms)`);
    } finally {
      await cleanup();
    }
  });
}

/**
 * The same kinds of statements, given the time they need: their windows are made, filled,
 * transformed and shaped in JavaScript for a second or more, and all that while the event loop
 * must keep running other work (another client's request, a write's acknowledgement). A spinner
 * notes each turn of the loop; its longest wait must be well under the statement's time.
 * Before the statements let the loop run, the longest wait was nearly all of it (1.6 of 1.6 s,
 * 3.1 of 3.1 s and 1.8 of 1.8 s for these three); since, about 100 ms at most.
 */
const HALF_YEAR = "time >= '2019-07-01T00:00:00Z' AND time < '2020-01-01T00:04:00Z'";
const FAIR: Array<[string, string]> = [
  ['aggregates, expressions filled with previous', `SELECT median(v) * 2, stddev(i), max(v) FROM cpu WHERE ${HALF_YEAR} GROUP BY time(1m) fill(previous)`],
  ['aggregates transformed', `SELECT cumulative_sum(max(v)), derivative(median(v)), count(v) FROM cpu WHERE ${HALF_YEAR} GROUP BY time(1m)`],
  ['a subquery of windows', `SELECT c, c * 2 FROM (SELECT median(v) AS c FROM cpu WHERE ${HALF_YEAR} GROUP BY time(1m) fill(0))`],
];

for (const [what, text] of FAIR) {
  test(`a statement of hundreds of thousands of windows lets the event loop run while it works: ${what}`, { timeout: 120_000 }, async () => {
    const { db, cleanup } = await exampleDatabase();
    let spinning = true;
    try {
      const env = environmentOf(db);
      let longestWaitMs = 0;
      let turns = 0;
      let last = performance.now();
      const spin = () => {
        const t = performance.now();
        longestWaitMs = Math.max(longestWaitMs, t - last);
        last = t;
        turns++;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      const started = performance.now();
      let rows = 0;
      for await (const result of runInfluxQL(env, text, { database: 't', timeoutMs: 100_000 })) {
        assert.equal(result.error, undefined, JSON.stringify(result.error));
        for (const s of result.series ?? []) rows += s.values.length;
      }
      const elapsedMs = performance.now() - started;
      spinning = false;
      // The wait from the loop's last turn to the statement's end counts too.
      longestWaitMs = Math.max(longestWaitMs, performance.now() - last);
      console.log(`# ${what}: ${rows} rows in ${Math.round(elapsedMs)} ms; the event loop turned ${turns} times, its longest wait ${Math.round(longestWaitMs)} ms`);
      assert.ok(rows > 250_000, `${rows} rows`);
      // Half the statement's time: far above what a loaded machine's garbage collection takes
      // at once (4–7 % here), far below what one unbroken statement holds (97–99 %).
      assert.ok(longestWaitMs < elapsedMs / 2, `the event loop waited ${Math.round(longestWaitMs)} ms at once during a statement of ${Math.round(elapsedMs)} ms`);
    } finally {
      spinning = false;
      await cleanup();
    }
  });
}
