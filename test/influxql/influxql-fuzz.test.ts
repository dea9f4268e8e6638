/**
 * The InfluxQL fuzz: generated and mutated statements run end to end through `runInfluxQL`
 * (parser, planner, SQL engine, meta statements) over a real database holding data of every
 * type, in the buffer and in Parquet. Every statement either fails to parse
 * (InfluxQLParseError, the whole query) or gives one result per statement, each with series or
 * a typed error; nothing else escapes, nothing takes longer than the query timeout, and the data
 * reads back unchanged afterwards.
 *
 * Prints `# influxql fuzz: …` and its seed; `SEED=…` replays; `FUZZ_SCALE=k` multiplies the count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { runInfluxQL, type InfluxQLEnvironment } from '../../src/influxql/executor.js';
import { InfluxQLParseError } from '../../src/influxql/parser.js';
import { QueryError } from '../../src/query/errors.js';
import type { StatementResult } from '../../src/influxql/result.js';
import { tempDatabase } from '../support/db-helpers.js';
import { metaStatement, mutate, select } from './fuzz-statements.js';

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const STATEMENTS = Math.round(100_000 * SCALE);
/** A statement's timeout: every statement must answer within it plus a second. */
const TIMEOUT_MS = 5_000;
/** Statements that take this long are printed. */
const SLOW_MS = 1_000;
/** Statements in flight at once. */
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 4);

/** The data's first point: 2024-01-01T00:00:00Z. */
const BASE_NS = 1_704_067_200_000_000_000n;
/**
 * `now()` for every statement: an hour after the data's last point, fixed so a seed replays
 * exactly and a GROUP BY time without an upper bound fills windows up to it (InfluxDB's rule)
 * rather than over the years since 2024.
 */
const NOW_NS = BASE_NS + 3n * 3_600_000_000_000n;

/** The dataset: every field type, missing values, odd names, two hours of points. */
function dataset(): string {
  const lines: string[] = [];
  const base = BASE_NS;
  for (let i = 0; i < 240; i++) {
    const t = base + BigInt(i) * 30_000_000_000n + BigInt(i % 7) * 1_000n;
    const host = ['a', 'b', 'c'][i % 3]!;
    const region = i % 4 === 0 ? '' : `,region=${['eu', 'us'][i % 2]}`;
    lines.push(`cpu,host=${host}${region} usage=${(i % 17) * 1.25 - 3},load=${i % 5}i${i % 9 === 0 ? '' : `,free=${i * 3}i`} ${t}`);
    if (i % 3 === 0) lines.push(`Cpu,Host=${host},dc=x usage=${i / 7} ${t}`);
    if (i % 2 === 0) lines.push(`mem,host=${host} free=${1000 - i}i,text="v${i % 4}",ok=${i % 3 === 0} ${t}`);
    if (i % 10 === 0) lines.push(`disk\\ io,host=${host} count=${i}i ${t}`);
    if (i % 20 === 0) lines.push(`weird"name,host=${host} usage=${i} ${t}`);
  }
  return lines.join('\n');
}

test(`influxql fuzz: ${STATEMENTS} generated and mutated statements end to end give a result or a typed error, within the timeout, and change no data`, { timeout: 900_000 * Math.max(1, SCALE) }, async () => {
  const seed = testSeed();
  console.log(`# influxql fuzz seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  // One engine thread (as `sluice serve` picks on two cores with queries running at once): each
  // statement is small (a few hundred rows), so a second DuckDB thread only adds wake-ups and
  // hand-offs (a tenth more CPU for the same statements), and the CONCURRENCY statements in
  // flight keep both cores busy already.
  const { db, cleanup } = await tempDatabase({ queryTimeoutMs: TIMEOUT_MS, queryThreads: 1 });
  try {
    await db.writer.writeLp('fuzz', Buffer.from(dataset()), { precision: 'ns', acceptPartial: false });
    const env: InfluxQLEnvironment = { catalog: db.catalog, query: db.query, createDatabase: (n) => db.createDatabase(n), nowNs: () => NOW_NS };
    const fingerprint = async () => JSON.stringify((await db.query.query('fuzz', 'SELECT count(*), sum(usage), sum(load), sum(free) FROM cpu')).rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const before = await fingerprint();
    const counts = { statements: 0, parseErrors: 0, timeouts: 0, results: 0, withSeries: 0, statementErrors: 0, rows: 0 };
    const errorKinds = new Map<string, number>();
    let slowestMs = 0;
    let slowest = '';
    const slow: string[] = [];
    const started = performance.now();
    const runOne = async (i: number, text: string): Promise<void> => {
      const context = `statement ${i} (seed ${seed}): ${JSON.stringify(text.slice(0, 500))}`;
      const t0 = performance.now();
      const results: StatementResult[] = [];
      try {
        for await (const result of runInfluxQL(env, text, { database: 'fuzz', params: { x: 1, host: 'a', q: 'b' } })) results.push(result);
      } catch (err) {
        // A statement past its timeout ends the query with the engine's typed TIMEOUT (checked
        // below to come in time); anything else but a parse error is a finding.
        if (err instanceof QueryError && err.code === 'TIMEOUT') counts.timeouts++;
        else if (err instanceof InfluxQLParseError) {
          assert.ok(err.message.length > 0, `${context}: a parse error without a message`);
          counts.parseErrors++;
        } else assert.fail(`${context} threw ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`);
      }
      const ms = performance.now() - t0;
      if (ms >= SLOW_MS && slow.length < 20) slow.push(`${Math.round(ms)} ms: ${JSON.stringify(text.slice(0, 300))}`);
      if (ms > slowestMs) {
        slowestMs = ms;
        slowest = text;
      }
      // Statements run CONCURRENCY at a time: one may wait for the others' engine work too.
      assert.ok(ms < TIMEOUT_MS * (results.length + 1) + 1_000 * CONCURRENCY, `${context} took ${Math.round(ms)} ms`);
      counts.statements++;
      for (const [k, result] of results.entries()) {
        counts.results++;
        assert.equal(result.statement_id, k, `${context}: statement ids in order`);
        if (result.error !== undefined) {
          assert.equal(typeof result.error, 'string', context);
          assert.ok(result.error.length > 0, `${context}: an empty error`);
          assert.equal(result.series, undefined, `${context}: an error with series`);
          counts.statementErrors++;
          const kind = result.error.replace(/[^a-z ].*$/i, '').slice(0, 40);
          errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
          continue;
        }
        for (const series of result.series ?? []) {
          counts.withSeries++;
          assert.ok(series.columns.length > 0, `${context}: a series without columns`);
          for (const row of series.values) {
            assert.equal(row.length, series.columns.length, `${context}: a row of ${row.length} values under ${series.columns.length} columns`);
            if (series.timeColumn) assert.equal(typeof row[0], 'bigint', `${context}: time is not a bigint`);
            counts.rows++;
          }
        }
      }
    };
    // Generated in order from the seed, then run CONCURRENCY at a time (as clients would send
    // them): each runner takes the next statement when its last one ends, so a slow statement
    // holds up one runner, not a batch.
    const texts: string[] = [];
    for (let k = 0; k < STATEMENTS; k++) {
      const valid = rng.nextInt(10) < 8 ? select(rng) : metaStatement(rng);
      texts.push(rng.nextInt(10) < 4 ? mutate(rng, valid) : valid);
    }
    const runAll = async (from: number, to: number) => {
      let next = from;
      const runner = async () => {
        while (next < to) {
          const k = next++;
          await runOne(k, texts[k]!);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, runner));
    };
    // Half way, the data moves to Parquet: the same kinds of statements then read files.
    const half = Math.ceil(STATEMENTS / 2);
    await runAll(0, half);
    await db.snapshotNow();
    await runAll(half, STATEMENTS);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(await fingerprint(), before, 'the data changed');
    console.log(`# influxql fuzz: ${counts.statements} statements in ${seconds.toFixed(1)} s (${counts.parseErrors} parse errors, ${counts.timeouts} past the timeout, ${counts.results} statement results: ${counts.statementErrors} errors, ${counts.withSeries} series, ${counts.rows} rows); slowest ${Math.round(slowestMs)} ms: ${JSON.stringify(slowest.slice(0, 300))}`);
    if (slow.length > 0) console.log(`# influxql fuzz: statements that took ${SLOW_MS} ms or more (first 20):\n#   ${slow.join('\n#   ')}`);
    const top = [...errorKinds.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(`# influxql fuzz: statement errors by kind: ${top.map(([k, n]) => `${JSON.stringify(k)}×${n}`).join(', ')}`);
    assert.ok(counts.withSeries > STATEMENTS / 20, `only ${counts.withSeries} series: the generator hardly reaches the data`);
  } finally {
    await cleanup();
  }
});
