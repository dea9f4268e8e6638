/**
 * InfluxQL answer for answer against the real InfluxDB 1.x: the same seeded dataset
 * (dataset.ts) is written to Debian's influxd 1.6 and to a real `sluice serve`; every
 * statement of statements.ts is sent to both through v1 `/query` (epoch=ns; the rows marked
 * `formats` also with RFC3339 times, as CSV, chunked and with every other epoch unit), then seeded generated SELECTs
 * (generated.ts), and the answers are compared value by value.
 *
 *   SEED=123 node scripts/test.mjs test/influxql/differential.test.ts   # replay a dataset
 *   INFLUXQL_ONLY='GROUP BY time' node scripts/test.mjs differential       # only matching rows
 *   GENERATED=2000 node scripts/test.mjs differential                       # more generated SELECTs
 *   SEED=… INFLUXQL_QUERY='SELECT …' node scripts/test.mjs differential      # one statement (e.g. a generated one)
 *   INFLUXQL_AGAINST=influxdb node scripts/test.mjs differential          # check the table itself:
 *       a second influxd in Sluice's place must agree on every row (but the ones Sluice refuses)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { showAnswer, startInfluxDB1, startSluice } from '../support/influxdb1.js';
import { ask, compareAnswers, writeDataset } from './compare.js';
import { DB } from './dataset.js';
import { generateSelect, generateShow } from './generated.js';
import { methodOf, STATEMENTS, type StatementCase } from './statements.js';

/** How many generated SELECTs follow the table (GENERATED=n). */
const GENERATED = Number(process.env.GENERATED ?? 300);

/** One way of asking: the `epoch` parameter, the request headers, other parameters. */
interface Pass {
  name: string;
  epoch: string | undefined;
  headers: Record<string, string>;
  extra?: Record<string, string>;
}
const NS: Pass = { name: 'epoch=ns', epoch: 'ns', headers: {} };
const RFC3339: Pass = { name: 'RFC3339', epoch: undefined, headers: {} };
/** InfluxDB's CSV: compared as text, byte for byte. */
const CSV: Pass = { name: 'CSV', epoch: undefined, headers: { Accept: 'application/csv' } };
/** The other `epoch` units (µ is u spelled in Greek). */
const EPOCHS: Pass[] = ['u', 'µ', 'ms', 's', 'm', 'h'].map((unit) => ({ name: `epoch=${unit}`, epoch: unit, headers: {} }));
/** Chunks of 3 rows, merged back into one answer before comparing (the boundaries are not compared). */
const CHUNKED: Pass = { name: 'chunked', epoch: 'ns', headers: {}, extra: { chunked: 'true', chunk_size: '3' } };

test('InfluxQL: every statement of the table answers as InfluxDB 1.x answers it', { timeout: 300_000 }, async () => {
  const seed = testSeed();
  console.log(`# influxql differential seed=${seed} (replay with SEED=${seed})`);
  const only = process.env.INFLUXQL_ONLY;
  const selfCheck = process.env.INFLUXQL_AGAINST === 'influxdb';
  const one = process.env.INFLUXQL_QUERY;
  const rows = one !== undefined && one !== '' ? [{ q: one }] : STATEMENTS.filter((c) => (only === undefined || only === '' || c.q.includes(only)) && !(selfCheck && (c.compare === 'sluice-unsupported' || c.compare === 'sluice-error')));
  // A forced-snapshot threshold that the first two thirds of the data cross and the last third does not.
  const [influx, sluice] = await Promise.all([startInfluxDB1(), selfCheck ? startInfluxDB1() : startSluice(['--force-snapshot-mem-threshold', '130000'])]);
  try {
    // The first 160 minutes reach Parquet through a forced snapshot; the rest stays in the buffer.
    const points = await writeDataset([influx, sluice], seed, async () => {
      if (sluice.persistedRows === undefined) return;
      const deadline = Date.now() + 20_000;
      while (sluice.persistedRows() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(sluice.persistedRows() > 0, 'a forced snapshot persisted the first part of the data to Parquet');
    });
    const failures: string[] = [];
    let compared = 0;
    let equal = 0;
    let documented = 0;
    for (const c of rows) {
      const passes: Pass[] = c.formats === true ? [NS, RFC3339, CSV, CHUNKED, ...EPOCHS] : [NS];
      const failuresBefore = failures.length;
      for (const { name, epoch, headers, extra } of passes) {
        const [a, b] = await Promise.all([ask(influx, c, epoch, headers, extra), ask(sluice, c, epoch, headers, extra)]);
        compared++;
        const diffs = compareAnswers(c, a, b);
        if (diffs.length > 0) {
          const detailed = failures.length < 25;
          failures.push(
            `✗ ${c.q === '' ? '(no q)' : c.q}  [db=${c.db === null ? '(none)' : (c.db ?? DB)}, ${methodOf(c)}, ${name}${c.compare !== undefined ? `, compare=${c.compare}` : ''}]\n  ${diffs.join('\n  ')}` +
              (detailed ? `\n  InfluxDB: ${showAnswer(a, 1_500)}\n  Sluice:   ${showAnswer(b, 1_500)}` : ''),
          );
        }
      }
      if (failures.length > failuresBefore) continue;
      if (c.differs !== undefined) documented++;
      else equal++;
    }
    const differing = rows.length - equal - documented;

    // Generated statements beside the table (none when INFLUXQL_ONLY picks rows).
    const generatedCount = (only === undefined || only === '') && (one === undefined || one === '') ? GENERATED : 0;
    const rng = new SeededRng(seed);
    let generatedEqual = 0;
    for (let i = 0; i < generatedCount; i++) {
      // One in ten a SHOW statement.
      const c: StatementCase = { q: rng.nextInt(10) === 0 ? generateShow(rng) : generateSelect(rng) };
      const [a, b] = await Promise.all([ask(influx, c, 'ns'), ask(sluice, c, 'ns')]);
      const diffs = compareAnswers(c, a, b);
      if (diffs.length === 0) {
        generatedEqual++;
        continue;
      }
      failures.push(`✗ generated #${i}: ${c.q}\n  ${diffs.join('\n  ')}` + (failures.length < 25 ? `\n  InfluxDB: ${showAnswer(a, 1_500)}\n  Sluice:   ${showAnswer(b, 1_500)}` : ''));
    }

    console.log(`# influxql differential: ${rows.length} statements, ${equal} equal, ${documented} documented differences, ${differing} differing (${compared} answers compared over ${points} points, ${sluice.persistedRows?.() ?? 0} of them read from Parquet)`);
    if (generatedCount > 0) console.log(`# influxql differential generated: ${generatedCount} statements, ${generatedEqual} equal`);
    if (failures.length > 0) console.log(failures.join('\n\n'));
    assert.equal(failures.length, 0, `${failures.length} answers differ from InfluxDB 1.x: ${failures.map((f) => f.split('\n')[0]).join(' | ').slice(0, 4_000)}`);
  } finally {
    await Promise.all([influx.stop(), sluice.stop()]);
  }
});
