/**
 * The line-protocol fuzz suite: hostile bodies cannot break the write path.
 *
 * 1. A million generated and mutated bodies (FUZZ_SCALE multiplies) through the parser and the
 *    validator, on a worker thread the test watches: nothing but the typed errors escapes, no
 *    input takes long, counts add up, rows fit the WAL (fuzz-validate.ts has the properties).
 * 2. Twenty thousand bodies through `writeLp` of a SluiceDatabase, against an independent model
 *    (fuzz-model.ts): each answer rejects exactly the lines the model rejects, and SQL reads back
 *    exactly the rows of the accepted lines — from the buffer, then again from Parquet after a
 *    snapshot.
 *
 * Prints its counts as `# line protocol fuzz: …` and its seed; `SEED=…` replays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { SystemClock } from '../../src/effects/clock.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { SluiceDatabase } from '../../src/database/database.js';
import { LineProtocolError } from '../../src/lineprotocol/errors.js';
import { parseLines } from '../../src/lineprotocol/parser.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { WriteError } from '../../src/write/errors.js';
import type { Precision } from '../../src/write/precision.js';
import type { WriteLpResult } from '../../src/write/write-lp.js';
import { cell } from '../support/db-helpers.js';
import { mutate, validBody, type BodyOptions } from './fuzz-bodies.js';
import { WriteModel } from './fuzz-model.js';
import { describeContext, errorKind, type ValidatorFuzzStats } from './fuzz-validate.js';

const scale = Number(process.env.FUZZ_SCALE ?? 1);
const seed = testSeed();
console.log(`# line protocol fuzz seed=${seed} scale=${scale} (replay with SEED=${seed})`);

/** No progress for this long means the fuzzer hangs (the first inputs wait for the worker to load). */
const HANG_MS = 20_000;
const FIRST_INPUT_MS = 60_000;

test('a million generated and mutated bodies through the parser and validator: only typed errors, no hang, counts add up', async () => {
  const inputs = Math.round(1_000_000 * scale);
  const counters = new SharedArrayBuffer(3 * 4);
  const bytes = new SharedArrayBuffer(64 * 1024);
  const url = new URL('./fuzz-worker.ts', import.meta.url);
  // tsx's loader does not reach workers by itself: register it there, then load the worker
  const worker = new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, {
    eval: true,
    workerData: { seed, inputs, counters, bytes },
  });
  const progress = new Int32Array(counters);
  const current = new Uint8Array(bytes);
  const started = performance.now();
  const outcome = await new Promise<{ kind: 'done'; stats: ValidatorFuzzStats } | { kind: 'failed'; message: string }>((resolve) => {
    let lastCount = -1;
    let lastChangeMs = performance.now();
    const watchdog = setInterval(() => {
      const count = Atomics.load(progress, 0);
      const now = performance.now();
      if (count !== lastCount) {
        lastCount = count;
        lastChangeMs = now;
        return;
      }
      if (now - lastChangeMs < (count === 0 ? FIRST_INPUT_MS : HANG_MS)) return;
      clearInterval(watchdog);
      const length = Atomics.load(progress, 1);
      const input = Buffer.from(current.subarray(0, Math.min(length, current.length)));
      void worker.terminate();
      resolve({ kind: 'failed', message: `seed ${seed}: input ${count} made no progress for ${HANG_MS} ms (a hang): ${describeContext(Atomics.load(progress, 2))}\n  input (${length} bytes): ${JSON.stringify(input.subarray(0, 2000).toString('latin1'))}` });
    }, 250);
    worker.on('message', (message: { kind: 'done'; stats: ValidatorFuzzStats } | { kind: 'failed'; message: string }) => {
      clearInterval(watchdog);
      resolve(message);
    });
    worker.on('error', (err) => {
      clearInterval(watchdog);
      resolve({ kind: 'failed', message: `seed ${seed}: the fuzz worker died: ${err.stack ?? String(err)}` });
    });
  });
  await worker.terminate();
  if (outcome.kind === 'failed') assert.fail(`${outcome.message}\nreplay with SEED=${seed}`);
  const s = outcome.stats;
  const refused = Object.entries(s.refused).map(([code, n]) => `${n} ${code}`).join(', ');
  console.log(`# line protocol fuzz: ${s.inputs} inputs through the parser and validator in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${seed}): ${s.validBodies} valid bodies, ${s.linesStored} lines stored, ${s.lineErrors} lines rejected, requests refused: ${refused || 'none'}; ${s.encoded} WAL-encoded, ${s.crossChecked} cross-checked, ${s.catalogs} catalogs; slowest input ${s.maxInputMs.toFixed(1)} ms`);
  const kinds = Object.entries(s.lineErrorKinds).sort((a, b) => b[1] - a[1]);
  console.log(`# line protocol fuzz: ${kinds.length} kinds of rejected line in a sample, most met: ${kinds.slice(0, 6).map(([k, n]) => `${n}× ${k}`).join(' | ')}`);
  assert.equal(s.inputs, inputs);
  // the generators must reach both outcomes in quantity, or the properties prove little
  assert.ok(s.linesStored > inputs / 10 && s.lineErrors > inputs / 2, `stored ${s.linesStored}, rejected ${s.lineErrors}`);
  for (const kind of ["reserved for the timestamp", 'outside the storable time range', 'out of range for precision', 'invalid column type', 'would exceed', 'Unable to parse']) {
    assert.ok(kinds.some(([k]) => k.includes(kind)), `no rejected line of kind "${kind}" in the sample`);
  }
});

/** The wall clock stands still between batches (so the model knows the time of lines without one); timers are real. */
class SteppedClock extends SystemClock {
  constructor(public wallMs: number) {
    super();
  }
  override nowMs(): number {
    return this.wallMs;
  }
  override nowNs(): bigint {
    return BigInt(this.wallMs) * 1_000_000n;
  }
}

const PRECISIONS: Precision[] = ['auto', 'ns', 'ns', 'us', 'ms', 's'];
/** Tables spread over several databases: each query prepares a view of every table in its database. */
const DATABASES = ['fuzz', 'fuzz', 'other', 'A_2'];
/** Few measurements (the awkward ones among them), timestamps mostly recent: few tables and chunks to read back. */
const BODIES: BodyOptions = { maxLines: 6, isWide: false, measurements: ['cpu', 'm', 'time', 'Time', 'a b', 'a,b', 'naïve', '🙂', 'select'] };
/** Limits low enough to be met, and few tables to read back (a query costs tens of ms): model and node share them. */
const E2E_LIMITS = { maxTables: 45, maxColumnsPerTable: 40 };
const GEN1_NS = 600_000_000_000n; // the default 10m

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

test('end to end: bodies through writeLp of a SluiceDatabase reject exactly the bad lines and store exactly the good ones (SQL, buffer then Parquet)', async () => {
  const bodies = Math.round(20_000 * scale);
  const rng = new SeededRng(seed ^ 0x5eed);
  const clock = new SteppedClock(Date.UTC(2025, 0, 1));
  const store = new MemoryObjectStore();
  // One engine thread (as `sluice serve` picks on two cores): the read-back queries are small, and a
  // second DuckDB thread costs more in hand-offs than it saves (a sixth of this test's CPU).
  const db = await SluiceDatabase.open({ store, nodeId: 'fuzz', clock, wal: { flushIntervalMs: 2 }, queryThreads: 1 });
  // the node's catalog limits, set as an operator would configure them
  Object.assign(db.catalog.limits, E2E_LIMITS);
  const model = new WriteModel(GEN1_NS, E2E_LIMITS);
  const scratch = Buffer.alloc(64 * 1024);
  let linesStored = 0;
  let linesRejected = 0;
  const answers: Record<string, number> = {};
  const started = performance.now();
  try {
    for (let sent = 0; sent < bodies; ) {
      clock.wallMs += 1 + rng.nextInt(2000);
      const batch: Array<{ body: Buffer; db: string; precision: Precision; acceptPartial: boolean; index: number }> = [];
      for (let i = 0; i < 500 && sent < bodies; i++, sent++) {
        // timestamps mostly near each other: a row far away is a chunk (and a Parquet file) of its own
        const text = Buffer.from(validBody(rng, BODIES));
        const body = rng.nextInt(5) < 2 ? Buffer.from(scratch.subarray(0, mutate(rng, text, scratch, Buffer.from(validBody(rng, { ...BODIES, maxLines: 2 }))))) : text;
        batch.push({ body, db: DATABASES[rng.nextInt(DATABASES.length)]!, precision: PRECISIONS[rng.nextInt(PRECISIONS.length)]!, acceptPartial: rng.nextInt(8) !== 0, index: sent });
      }
      // In order, without waiting: each body is validated when it is sent, the WAL keeps the order.
      const pending = batch.map((b) => db.writer.writeLp(b.db, Buffer.from(b.body), { precision: b.precision, acceptPartial: b.acceptPartial }));
      let timer: NodeJS.Timeout | undefined;
      const settled = await Promise.race([
        Promise.allSettled(pending),
        new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), HANG_MS))),
      ]);
      clearTimeout(timer);
      if (settled === 'hang') assert.fail(`seed ${seed}: a batch of writes did not settle in ${HANG_MS} ms (bodies ${batch[0]!.index}…)`);
      const ingestTimeNs = clock.nowNs();
      for (let i = 0; i < batch.length; i++) {
        const b = batch[i]!;
        const outcome = settled[i]!;
        const where = `seed ${seed}, body ${b.index} (db=${b.db} precision=${b.precision} acceptPartial=${b.acceptPartial}): ${JSON.stringify(b.body.subarray(0, 1500).toString('latin1'))}`;
        const expected = model.apply(b.db, parseLines(b.body), { precision: b.precision, acceptPartial: b.acceptPartial, ingestTimeNs });
        if (outcome.status === 'rejected') {
          const err: unknown = outcome.reason;
          if (!(err instanceof WriteError)) assert.fail(`${where}\n  threw ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          if (err.code === 'EMPTY_WRITE') {
            assert.ok(expected.isEmpty, `${where}\n  EMPTY_WRITE for a body with lines`);
          } else {
            assert.ok(err.code === 'PARSE' || err.code === 'LIMIT', `${where}\n  ${err.code}: ${err.message}`);
            assert.ok(!b.acceptPartial, `${where}\n  refused whole with accept_partial: ${err.message}`);
            assert.deepEqual(err.lineErrors.map((e) => e.lineNumber), expected.rejected, `${where}\n  ${err.lineErrors.map((e) => e.errorMessage).join('; ')}`);
          }
          answers[err.code] = (answers[err.code] ?? 0) + 1;
          linesRejected += expected.rejected.length;
          continue;
        }
        const result: WriteLpResult = outcome.value;
        assert.ok(!expected.isEmpty, `${where}\n  an empty body was not EMPTY_WRITE`);
        assert.deepEqual(result.invalidLines.map((e) => e.lineNumber), expected.rejected, `${where}\n  rejected: ${result.invalidLines.map((e) => `${e.lineNumber}: ${e.errorMessage}`).join('; ')}`);
        assert.equal(result.lineCount, expected.stored, where);
        for (const e of result.invalidLines) {
          const kind = errorKind(e.errorMessage);
          answers[kind] = (answers[kind] ?? 0) + 1;
        }
        linesStored += result.lineCount;
        linesRejected += result.invalidLines.length;
      }
    }

    // The catalog holds exactly the model's schema, and SQL returns exactly its rows.
    // `isZeroSigned` false: DuckDB's Parquet writer dictionary-encodes a float column with -0 and
    // 0 as one value, so a snapshot turns a -0 into 0 when both are in one column chunk (a known
    // engine defect, reported; the buffer keeps the sign, and that pass checks it).
    const readBack = async (when: string, isZeroSigned: boolean): Promise<number> => {
      let rows = 0;
      for (const name of new Set(DATABASES)) {
        const schema = db.catalog.database(name);
        const actualSchema = schema === undefined ? [] : [...schema.tables.values()].map((t) => `${JSON.stringify(t.name)}: ${[...t.columns.values()].map((c) => `${JSON.stringify(c.name)}:${c.type}`).sort().join(', ')}`).sort();
        assert.deepEqual(actualSchema, model.schemaOf(name), `seed ${seed}: the catalog of ${name} ${when}`);
        for (const table of schema?.tables.keys() ?? []) {
          const result = await db.query.query(name, `SELECT * FROM ${quoteIdent(table)}`);
          const names = result.columns.map((c) => c.name);
          const actual = result.rows
            .map((row) => names.map((n, i): [string, string] => [n, row[i] === null ? '' : !isZeroSigned && Object.is(row[i], -0) ? '0' : cell(row[i]!)]).filter(([, v]) => v !== '').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, v]) => `${n}=${v}`).join(' '))
            .sort();
          const expected = model.rowsOf(name, table, isZeroSigned);
          if (actual.join('\n') !== expected.join('\n')) {
            const missing = expected.filter((r) => !actual.includes(r)).slice(0, 3);
            const extra = actual.filter((r) => !expected.includes(r)).slice(0, 3);
            assert.fail(`seed ${seed}: table ${JSON.stringify(table)} of ${name} ${when}: ${actual.length} rows, expected ${expected.length}\n  missing: ${missing.join('\n           ')}\n  extra: ${extra.join('\n         ')}`);
          }
          rows += actual.length;
        }
      }
      return rows;
    };
    const buffered = await readBack('from the buffer', true);
    await db.snapshotNow();
    const persisted = await readBack('after a snapshot (Parquet)', false);
    assert.equal(persisted, buffered);
    const tables = DATABASES.reduce((n, d, i) => n + (DATABASES.indexOf(d) === i ? (db.catalog.database(d)?.tables.size ?? 0) : 0), 0);
    console.log(`# line protocol fuzz end to end: ${bodies} bodies through writeLp in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${seed}): ${linesStored} lines stored, ${linesRejected} rejected, as the model said; ${buffered} rows in ${tables} tables read back by SQL from the buffer and again from Parquet`);
    const top = Object.entries(answers).sort((a, b) => b[1] - a[1]).slice(0, 6);
    console.log(`# line protocol fuzz end to end: most met answers: ${top.map(([k, n]) => `${n}× ${k}`).join(' | ')}`);
    assert.ok(linesStored > bodies / 2 && linesRejected > bodies / 4, `stored ${linesStored}, rejected ${linesRejected}`);
  } finally {
    await db.close();
    await store.close?.();
  }
});

test('the model agrees with itself on a worked example (so a disagreement above is the writer’s)', () => {
  const model = new WriteModel(GEN1_NS);
  const body = 'm,host=a v=1 1\nm,host=a v=2 1\nm,host=b v=1i 2\nm,time=x v=3 3\nm v=4 9223372036854775807\nm,host=a w="x" 1';
  const expected = model.apply('db', parseLines(body), { precision: 'ns', acceptPartial: true, ingestTimeNs: 5n });
  assert.deepEqual(expected, { rejected: [3, 4, 5], stored: 3, isEmpty: false });
  assert.deepEqual(model.rowsOf('db', 'm'), ['host="a" time=t1 v=2 w="x"']);
  assert.deepEqual(model.schemaOf('db'), ['"m": "host":tag, "time":time, "v":float64, "w":string']);
  assert.ok(parseLines('m v=1 x').every((p) => p instanceof LineProtocolError));
});
