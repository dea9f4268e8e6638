/**
 * Planned aggregates answered without the SQL engine (src/query/native.ts): InfluxQL
 * rollups whose WHERE is only tag equalities, over few clean buffered rows. Checked
 * differentially on seeded random data (SEED=… replays): each statement is asked as written
 * (answered natively) and with its tag equality doubled into an OR (`(host = 'a' OR host = 'a')`,
 * the same test, which the engine does not take) — the answers must be equal, value for value
 * (floats to 1e-12 relative: the two sum in different orders). Duplicate points and Parquet
 * files must send the statement to the SQL engine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { databaseEnvironment, type InfluxQLEnvironment } from '../../src/influxql/executor.js';
import { answerOf, assertClose } from '../support/influxql-answers.js';
import { tempDatabase } from '../support/db-helpers.js';

const T0 = 1_700_000_000_000_000_000n;
const SECOND = 1_000_000_000n;

const answer = (env: InfluxQLEnvironment, q: string) => answerOf(env, q, 'n');

test('native aggregates and row reads answer exactly as the SQL engine (random buffered data: every field type, nulls, missing tags, wide integers)', { timeout: 120_000 }, async () => {
  const seed = testSeed();
  console.log(`# native seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.nextInt(xs.length)]!;
  const { db, cleanup } = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m', snapshotSize: 1_000_000 } });
  try {
    const env = databaseEnvironment(db);
    const hosts = ['a', 'b', 'c', 'É', '～', '😀'];
    // Distinct times per series (no duplicate point): the chunks stay clean.
    const lines: string[] = [];
    for (const host of hosts) {
      for (let s = 0; s < 900; s += 1 + rng.nextInt(4)) {
        const region = rng.nextInt(6) === 0 ? '' : `,region=${pick(['eu', 'us', 'ap'])}`;
        const fields: string[] = [];
        if (rng.nextInt(8) > 0) fields.push(`v=${rng.nextInt(3) === 0 ? BigInt(rng.nextInt(1 << 30)) * BigInt(rng.nextInt(1 << 30)) * (rng.nextInt(2) === 0 ? -1n : 1n) : rng.nextInt(2000) - 1000}i`);
        if (rng.nextInt(4) > 0) fields.push(`f=${(rng.nextInt(2_000_000) - 1_000_000) / 7}`);
        if (rng.nextInt(3) > 0) fields.push(`u=${BigInt(rng.nextInt(1 << 30)) * BigInt(1 + rng.nextInt(1 << 30))}u`);
        if (rng.nextInt(2) > 0) fields.push(`s="${pick(['x', 'y'])}"`);
        if (rng.nextInt(2) > 0) fields.push(`b=${pick(['true', 'false'])}`);
        if (fields.length === 0) fields.push('f=0.5');
        // Every host's rows hold the host tag but the last one's: a row without it is in group ''.
        lines.push(`m${host === '😀' && rng.nextInt(2) === 0 ? '' : `,host=${host}`}${region} ${fields.join(',')} ${T0 + BigInt(s) * SECOND}`);
      }
    }
    // Other series of host a at the same times: rows of one time ordered by their tags.
    for (let s = 0; s < 900; s += 3) {
      for (const region of ['zz', 'yy']) if (rng.nextInt(2) === 0) lines.push(`m,host=a,region=${region} v=${rng.nextInt(100)}i,f=${rng.nextInt(100) / 8} ${T0 + BigInt(s) * SECOND}`);
    }
    await db.writer.writeLp('n', Buffer.from(lines.join('\n')), { precision: 'ns', acceptPartial: false });
    const aggregates = ['count(v)', 'sum(v)', 'mean(v)', 'min(v)', 'max(v)', 'spread(v)', 'count(f)', 'sum(f)', 'mean(f)', 'min(f)', 'max(f)', 'spread(f)', 'count(u)', 'sum(u)', 'min(u)', 'max(u)', 'mean(u)', 'count(s)', 'count(b)', 'count(nope)'];
    const time = (s: number) => `'${new Date(Number((T0 + BigInt(s) * SECOND) / 1_000_000n)).toISOString()}'`;
    let native = 0;
    const N = 150;
    for (let i = 0; i < N; i++) {
      const calls = [...new Set(Array.from({ length: 1 + rng.nextInt(4) }, () => pick(aggregates)))];
      const host = pick([...hosts, 'zz']);
      const extra = rng.nextInt(4) === 0 ? ` AND region = '${pick(['eu', 'us', 'xx'])}'` : '';
      const from = rng.nextInt(600);
      const range = rng.nextInt(5) === 0 ? '' : ` AND time >= ${time(from)} AND time < ${time(from + 1 + rng.nextInt(400))}`;
      const groupBy = [rng.nextInt(4) > 0 ? `time(${pick(['10s', '1m', '90s', '5m'])}${rng.nextInt(4) === 0 ? ', 7s' : ''})` : '', pick(['', '', 'region', 'host', '*'])].filter((g) => g !== '');
      const needsWindow = groupBy.some((g) => g.startsWith('time')) && range === '';
      const fill = groupBy.some((g) => g.startsWith('time')) ? pick(['', ' fill(none)', ' fill(0)', ' fill(previous)']) : '';
      const tail = `${groupBy.length > 0 ? ` GROUP BY ${groupBy.join(', ')}` : ''}${fill}`;
      // GROUP BY time needs bounds: the statement's own, or the data's.
      const bounds = needsWindow ? ` AND time >= ${time(0)} AND time < ${time(900)}` : range;
      let asked = `SELECT ${calls.join(', ')} FROM m WHERE host = '${host}'${extra}${bounds}${tail}`;
      let hidden = `SELECT ${calls.join(', ')} FROM m WHERE (host = '${host}' OR host = '${host}')${extra}${bounds}${tail}`;
      if (rng.nextInt(3) === 0) {
        // A raw read, with comparisons of numeric fields to numbers (either side, every operator).
        const columns = pick(['*', 'v, f', 'u, region', 's, b, host', 'f']);
        const compare = () => {
          const [field, value] = pick([['v', pick(['0', '-3', '500', '2.5', '9223372036854775807', '18446744073709551615'])], ['f', pick(['0', '100.5', '-7', '3'])], ['u', pick(['0', '1000000000', '3.5', '9223372036854775808'])]] as const);
          const op = pick(['=', '!=', '<>', '<', '<=', '>', '>=']);
          return rng.nextInt(3) === 0 ? `${value} ${op} ${field}` : `${field} ${op} ${value}`;
        };
        const filters = Array.from({ length: rng.nextInt(3) }, () => ` AND ${compare()}`).join('');
        asked = `SELECT ${columns} FROM m WHERE host = '${host}'${extra}${filters}${range}`;
        hidden = `SELECT ${columns} FROM m WHERE (host = '${host}' OR host = '${host}')${extra}${filters}${range}`;
      }
      const before = db.query.nativeAnswers;
      const got = await answer(env, asked);
      const nativeHere = db.query.nativeAnswers > before;
      if (nativeHere) native++;
      const want = await answer(env, hidden);
      assert.equal(db.query.nativeAnswers, before + (nativeHere ? 1 : 0), `${hidden} must not be answered natively`);
      try {
        assertClose(got, want, 'answer');
      } catch (err) {
        console.log(`# differs (SEED=${seed}, #${i}): ${asked}\n# native: ${JSON.stringify(got, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}\n# sql: ${JSON.stringify(want, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
        throw err;
      }
    }
    console.log(`# native answers: ${N} statements, ${native} answered natively, all equal to the SQL engine's`);
    assert.ok(native >= N / 2, `most statements are answered natively (${native} of ${N})`);
  } finally {
    await cleanup();
  }
});

test('duplicate points and Parquet files send a planned aggregate to the SQL engine', { timeout: 60_000 }, async () => {
  const { db, cleanup } = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m', snapshotSize: 1_000_000 } });
  try {
    const env = databaseEnvironment(db);
    const q = `SELECT sum(v), count(v) FROM m WHERE host = 'a' AND time >= '2023-11-14T22:13:00Z' AND time < '2023-11-14T22:20:00Z' GROUP BY time(1m)`;
    const write = (body: string) => db.writer.writeLp('n', Buffer.from(body), { precision: 'ns', acceptPartial: false });
    await write(`m,host=a v=1i ${T0}\nm,host=a v=2i ${T0 + SECOND}\nm,host=b v=5i ${T0}`);
    const before = db.query.nativeAnswers;
    const first = JSON.stringify(await answer(env, q), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    assert.equal(db.query.nativeAnswers, before + 1, 'clean buffered rows: answered natively');
    assert.match(first, /\["1699999980000000000n","3n","2n"\]/);
    // The same point again: the chunk may hold duplicates now, so rows must be merged (the last write wins).
    await write(`m,host=a v=10i ${T0}`);
    const merged = JSON.stringify(await answer(env, q), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    assert.equal(db.query.nativeAnswers, before + 1, 'a chunk with duplicate points goes to the SQL engine');
    assert.match(merged, /\["1699999980000000000n","12n","2n"\]/);
    await db.snapshotNow();
    await write(`m,host=a v=100i ${T0 + 2n * SECOND}`);
    const persisted = JSON.stringify(await answer(env, q), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    assert.equal(db.query.nativeAnswers, before + 1, 'rows in a Parquet file go to the SQL engine');
    assert.match(persisted, /\["1699999980000000000n","112n","3n"\]/);
  } finally {
    await cleanup();
  }
});

test('rows farther apart in time than doubles hold exactly, and retention cutoffs, are answered right', { timeout: 60_000 }, async () => {
  const { db, cleanup } = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '10m', snapshotSize: 1_000_000 } });
  try {
    const env = databaseEnvironment(db);
    const DAY = 86_400n * SECOND;
    const write = (body: string) => db.writer.writeLp('n', Buffer.from(body), { precision: 'ns', acceptPartial: false });
    // 40 days apart: within ±2^52 ns of the first row's window, answered natively.
    await write(`m,host=a v=1i ${T0}\nm,host=a v=2i ${T0 + 40n * DAY}\nm,host=a v=4i ${T0 + 40n * DAY + 1n}`);
    const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
    let before = db.query.nativeAnswers;
    const near = json(await answer(env, `SELECT sum(v), max(v) FROM m WHERE host = 'a' AND time >= '2023-11-01T00:00:00Z' AND time < '2024-01-01T00:00:00Z' GROUP BY time(1d) fill(none)`));
    assert.equal(db.query.nativeAnswers, before + 1);
    assert.match(near, /\["1699920000000000000n","1n","1n"\],\["1703376000000000000n","6n","4n"\]/);
    // 200 days apart: past ±2^52 ns (52 days), so the SQL engine answers, the same way.
    await write(`m,host=a v=8i ${T0 + 200n * DAY}`);
    before = db.query.nativeAnswers;
    const far = json(await answer(env, `SELECT sum(v) FROM m WHERE host = 'a' AND time >= '2023-11-01T00:00:00Z' AND time < '2024-12-01T00:00:00Z' GROUP BY time(100d) fill(none)`));
    assert.equal(db.query.nativeAnswers, before, 'too far apart: left to the SQL engine');
    assert.match(far, /\["1693440000000000000n","1n"\],\["1702080000000000000n","6n"\],\["1710720000000000000n","8n"\]/);
    // A retention period whose cutoff falls 20 days after the first row: that row is past it.
    await db.manage.setRetentionPeriod('n', BigInt(Date.now()) * 1_000_000n - (T0 + 20n * DAY));
    before = db.query.nativeAnswers;
    const kept = json(await answer(env, `SELECT sum(v), count(v) FROM m WHERE host = 'a' AND time >= '2023-11-01T00:00:00Z' AND time < '2024-01-01T00:00:00Z'`));
    assert.equal(db.query.nativeAnswers, before + 1);
    assert.match(kept, /\["1698796800000000000n","6n","2n"\]/, 'the row past the retention cutoff is left out');
  } finally {
    await cleanup();
  }
});
