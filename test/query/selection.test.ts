/**
 * Row selections (src/engine/selection.ts): a query whose WHERE holds tags to constants reads
 * only the rows a chunk's series index gives it. Checked differentially: every query is asked as
 * written (pruned) and with its predicates hidden from the pruner (`host || '' = 'a'` is the
 * same test, but not one a selection is made from), over random data with duplicate points,
 * missing tags, several windows, some in Parquet — the answers must be equal row for row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { rowStrings, tempDatabase } from '../support/db-helpers.js';

const T0 = 1_700_000_000_000_000_000n;
const MINUTE = 60_000_000_000n;

test('queries pruned by tag selections answer exactly as unpruned ones (random data, duplicates, nulls, buffer and Parquet)', { timeout: 120_000 }, async () => {
  const seed = testSeed();
  console.log(`# selection seed=${seed} (replay with SEED=${seed})`);
  const rng = new SeededRng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.nextInt(xs.length)]!;
  const { db, cleanup } = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m', snapshotSize: 1_000_000 } });
  try {
    const hosts = ['a', 'b', 'c', 'd', 'É', "o'k"];
    const write = async (n: number, minutes: number) => {
      const lines: string[] = [];
      for (let i = 0; i < n; i++) {
        const host = pick(hosts);
        const region = rng.nextInt(5) === 0 ? '' : `,region=${pick(['eu', 'us'])}`;
        const hostTag = rng.nextInt(10) === 0 ? '' : `,host=${host.replaceAll(' ', '\\ ')}`;
        // Few distinct times: the same point is often written again (a duplicate to merge).
        const t = T0 + BigInt(rng.nextInt(minutes)) * MINUTE + BigInt(rng.nextInt(4)) * 1_000_000_000n;
        const fields = [`v=${rng.nextInt(1000)}i`];
        if (rng.nextInt(3) > 0) fields.push(`f=${rng.nextInt(100) / 4}`);
        lines.push(`m${hostTag}${region} ${fields.join(',')} ${t}`);
      }
      await db.writer.writeLp('s', Buffer.from(lines.join('\n')), { precision: 'ns', acceptPartial: false });
    };
    await write(3_000, 6);
    await db.snapshotNow(); // some windows in Parquet …
    await write(2_000, 8); // … the same windows again in the buffer (duplicates across sources), and new ones
    const lit = (h: string) => `'${h.replaceAll("'", "''")}'`;
    let pruned = 0;
    let checked = 0;
    for (let i = 0; i < 120; i++) {
      const conds: Array<[string, string]> = []; // [as written, hidden from the pruner]
      const pickHosts = () => [...new Set(Array.from({ length: 1 + rng.nextInt(3) }, () => pick([...hosts, 'zz'])))];
      const k = rng.nextInt(4);
      if (k === 0) {
        const h = pick([...hosts, 'zz']);
        conds.push([`host = ${lit(h)}`, `host || '' = ${lit(h)}`]);
      } else if (k === 1) {
        const hs = pickHosts();
        conds.push([`host IN (${hs.map(lit).join(', ')})`, `host || '' IN (${hs.map(lit).join(', ')})`]);
      } else if (k === 2) {
        const h = pick(hosts);
        const r = pick(['eu', 'us', 'xx']);
        conds.push([`${lit(h)} = host`, `${lit(h)} = host || ''`], [`m.region = ${lit(r)}`, `region || '' = ${lit(r)}`]);
      } else {
        const hs = pickHosts();
        conds.push([`host IN (${hs.map(lit).join(', ')})`, `host || '' IN (${hs.map(lit).join(', ')})`], [`host = ${lit(hs[0]!)}`, `host || '' = ${lit(hs[0]!)}`]);
      }
      if (rng.nextInt(2) === 0) {
        const from = T0 + BigInt(rng.nextInt(8)) * MINUTE;
        const cond = `time >= make_timestamp_ns(${from}) AND time < make_timestamp_ns(${from + BigInt(1 + rng.nextInt(4)) * MINUTE})`;
        conds.push([cond, cond]); // time bounds prune files and chunks in both forms
      }
      const select = pick(['SELECT host, region, time, v, f FROM m', 'SELECT host, count(*) AS n, sum(v) AS s, max(f) AS x FROM m', 'SELECT * FROM m']);
      const tail = select.includes('count') ? ' GROUP BY host ORDER BY host' : ' ORDER BY time, host, region, v';
      const asWritten = `${select} WHERE ${conds.map((c) => c[0]).join(' AND ')}${tail}`;
      const hidden = `${select} WHERE ${conds.map((c) => c[1]).join(' AND ')}${tail}`;
      const a = await db.query.query('s', asWritten);
      const selected = db.query.lastPruning?.rowsSelected !== undefined;
      const b = await db.query.query('s', hidden);
      assert.equal(db.query.lastPruning?.rowsSelected, undefined, `the hidden form is not pruned by tags: ${hidden}`);
      assert.deepEqual(rowStrings(a), rowStrings(b), `seed ${seed}, query ${i}:\n  ${asWritten}\n  ${hidden}`);
      if (selected) pruned++;
      checked++;
    }
    console.log(`# selection: ${checked} queries compared, ${pruned} read through row selections`);
    assert.ok(pruned > checked / 2, `most queries were pruned by tags (${pruned} of ${checked})`);
  } finally {
    await cleanup();
  }
});

test('Parquet files are left out by the tag ranges in their manifests (UTF-8 byte order), and answers stay the same', { timeout: 60_000 }, async () => {
  const { db, cleanup, open } = await tempDatabase({ wal: { flushIntervalMs: 5, gen1Duration: '1m', snapshotSize: 1_000_000 } });
  let current = db;
  try {
    // One window per host set. '～' (U+FF5E) sorts after '😀' by UTF-16 code units but before it
    // by UTF-8 bytes, as the engine orders strings: the window holding both must keep 😀.
    const windows = [['a', 'b'], ['c', 'd'], ['～', '😀'], ['b', 'x']];
    const lines = windows.flatMap((hosts, w) => hosts.map((h, i) => `m,host=${h} v=${w * 10 + i}i ${T0 + BigInt(w) * MINUTE + BigInt(i)}`));
    lines.push(`m,region=eu v=99i ${T0 + 5n * MINUTE}`); // a window without the host column
    await current.writer.writeLp('s', Buffer.from(lines.join('\n')), { precision: 'ns', acceptPartial: false });
    await current.snapshotNow();
    const ranges = current.persistedFiles.all().map((f) => f.tagRanges?.map((r) => `${r.min}..${r.max}`).join(' ')).sort();
    assert.deepEqual(ranges, ['a..b', 'b..x', 'c..d', 'eu..eu', '～..😀']);
    const check = async (where: string, hidden: string, expectedFiles: number) => {
      const a = await current.query.query('s', `SELECT host, v FROM m WHERE ${where} ORDER BY v`);
      assert.equal(current.query.lastPruning?.files, expectedFiles, `${where}: ${JSON.stringify(current.query.lastPruning)}`);
      const b = await current.query.query('s', `SELECT host, v FROM m WHERE ${hidden} ORDER BY v`);
      assert.deepEqual(rowStrings(a), rowStrings(b), where);
      return rowStrings(a);
    };
    assert.deepEqual(await check(`host = 'b'`, `host || '' = 'b'`, 2), ['host="b" v=1n', 'host="b" v=30n']);
    assert.deepEqual(await check(`host = '😀'`, `host || '' = '😀'`, 1), ['host="😀" v=21n']);
    // 'c' lies in two ranges (c..d, b..x): both files are read.
    assert.deepEqual(await check(`host IN ('c', 'zz')`, `host || '' IN ('c', 'zz')`, 2), ['host="c" v=10n']);
    assert.deepEqual(await check(`host = 'bb'`, `host || '' = 'bb'`, 1), [], 'inside the range b..x, not in its file');
    assert.deepEqual(await check(`host = 'y'`, `host || '' = 'y'`, 0), []);
    // The ranges survive a restart (they are in the manifests).
    await current.close();
    current = await open();
    assert.deepEqual(await check(`host = '😀'`, `host || '' = '😀'`, 1), ['host="😀" v=21n']);
  } finally {
    await cleanup(current);
  }
});
