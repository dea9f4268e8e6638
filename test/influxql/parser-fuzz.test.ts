/**
 * Parser fuzz: grammar-generated InfluxQL queries and mutations of them (truncation, random tokens
 * inserted, tokens dropped or swapped, bytes replaced, deep nesting, long operator chains,
 * unicode, NUL, unterminated quotes, random regexes) through parseQuery, with random bound parameters. Every generated query parses; every
 * mutation parses or throws InfluxQLParseError — never another error, never a stack overflow —
 * and the whole run stays fast (linear time, no backtracking). Seeded: `SEED=… ` replays a run,
 * `FUZZ_STATEMENTS=…` changes its size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { InfluxQLParseError, parseQuery } from '../../src/influxql/parser.js';
import { StatementGenerator, mutate, randomParams } from './influxql-statement-gen.js';

const STATEMENTS = Number(process.env.FUZZ_STATEMENTS ?? 100_000);
const BUDGET_MS = 30_000;

test(`parseQuery survives ${STATEMENTS} generated and mutated queries: valid ones parse, the rest fail only with InfluxQLParseError`, () => {
  const seed = testSeed();
  console.log(`# seed ${seed}`);
  const rng = new SeededRng(seed);
  const gen = new StatementGenerator(rng);
  let valid = 0;
  let parseErrors = 0;
  let slowestMs = 0;
  let slowest = '';
  const started = performance.now();
  for (let i = 0; i < STATEMENTS; i++) {
    const original = gen.query();
    const isMutated = rng.nextInt(3) !== 0;
    const text = isMutated ? mutate(rng, original) : original;
    const choice = rng.nextInt(4);
    const params = choice === 0 ? undefined : choice === 1 ? {} : (randomParams(rng) as Record<string, never>);
    const t0 = performance.now();
    try {
      const query = parseQuery(text, { nowNs: 1_700_000_000_000_000_000n, params });
      assert.ok(query.statements.length > 0 || text.replace(/[\s;]|--[^\n]*|\/\*[\s\S]*?\*\//g, '') === '' || text.includes('\u0000'), `no statement from ${JSON.stringify(text)}`);
      valid++;
    } catch (err) {
      if (!(err instanceof InfluxQLParseError)) {
        assert.fail(`SEED=${seed} statement ${i}: ${JSON.stringify(text)} threw ${(err as Error)?.stack ?? String(err)}`);
      }
      if (!isMutated) assert.fail(`SEED=${seed} statement ${i}: the generated ${JSON.stringify(original)} failed to parse: ${err.message}`);
      const at = / at line (\d+), char (\d+)/.exec(err.message);
      if (at !== null && !err.message.startsWith('invalid operator')) {
        assert.equal(err.line, Number(at[1]), err.message);
        assert.equal(err.char, Number(at[2]), err.message);
      }
      parseErrors++;
    }
    const ms = performance.now() - t0;
    if (ms > slowestMs) {
      slowestMs = ms;
      slowest = text;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`# influxql parse fuzz: ${STATEMENTS} statements (${valid} valid, ${parseErrors} parse errors) in ${seconds.toFixed(1)} s`);
  console.log(`# slowest: ${slowestMs.toFixed(1)} ms for ${slowest.length} characters`);
  assert.ok(parseErrors > STATEMENTS / 10, 'mutations produce parse errors');
  assert.ok(valid > STATEMENTS / 3, 'most generated queries parse');
  assert.ok(slowestMs < 1000, `no statement takes a second (${slowestMs.toFixed(0)} ms for ${JSON.stringify(slowest.slice(0, 200))})`);
  assert.ok(seconds * 1000 < BUDGET_MS, `the run takes under ${BUDGET_MS / 1000} s`);
});
