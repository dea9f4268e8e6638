/**
 * InfluxQL answer for answer against the real InfluxDB 1.x: the same seeded dataset
 * (dataset.ts) is written to Debian's influxd 1.6 and to a real `sluice serve`; every
 * statement of statements.ts is sent to both through v1 `/query` (epoch=ns, and once more with
 * RFC3339 times for the rows marked so), and the answers are compared value by value.
 *
 *   SEED=123 node scripts/test.mjs test/influxql/differential.test.ts   # replay a dataset
 *   INFLUXQL_ONLY='GROUP BY time' node scripts/test.mjs differential       # only matching rows
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { diffJson, parseJsonExact, showAnswer, startInfluxDB1, startSluice, writeLp, type QueryAnswer, type TestPeer } from '../support/influxdb1.js';
import { buildDataset, DB } from './dataset.js';
import { methodOf, STATEMENTS, type StatementCase } from './statements.js';

/** Sends one row's query as the table says (GET, or POST with a form body). */
async function ask(peer: TestPeer, c: StatementCase, epoch: string | undefined): Promise<QueryAnswer> {
  const params = new URLSearchParams();
  if (c.q !== '') params.set('q', c.q);
  if (c.db !== null) params.set('db', c.db ?? DB);
  if (epoch !== undefined) params.set('epoch', epoch);
  const method = methodOf(c);
  const res =
    method === 'GET'
      ? await fetch(`${peer.url}/query?${params.toString()}`, { signal: AbortSignal.timeout(30_000) })
      : await fetch(`${peer.url}/query`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: params.toString(),
          signal: AbortSignal.timeout(30_000),
        });
  const text = await res.text();
  let json: unknown;
  try {
    json = parseJsonExact(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json };
}

interface Results {
  error?: unknown;
  results?: Array<{ statement_id?: unknown; error?: unknown; series?: Array<{ name?: unknown; tags?: unknown; columns?: unknown; values?: unknown[] }> }>;
}

/** Why two answers to one row do not agree under the row's comparison, or [] when they do. */
function compareAnswers(c: StatementCase, influx: QueryAnswer, sluice: QueryAnswer): string[] {
  const ri = influx.json as Results | undefined;
  const rs = sluice.json as Results | undefined;
  switch (c.compare ?? 'equal') {
    case 'sluice-unsupported': {
      const err = rs?.results?.[0]?.error;
      if (sluice.status !== 200 || typeof err !== 'string' || !/not supported/i.test(err)) return [`Sluice should answer 200 with a per-statement "not supported" error, answered ${sluice.status}`];
      return [];
    }
    case 'both-error': {
      const failed = (r: Results | undefined): boolean => r !== undefined && (r.error !== undefined || (r.results ?? []).some((x) => x.error !== undefined));
      return failed(ri) && failed(rs) ? [] : ['both should answer an error'];
    }
    case 'shape': {
      const shape = (r: Results | undefined): unknown =>
        (r?.results ?? []).map((x) => ({ error: x.error !== undefined, series: (x.series ?? []).map((s) => ({ name: s.name, tags: s.tags, columns: s.columns, rows: (s.values ?? []).length })) }));
      if (influx.status !== sluice.status) return [`status ${influx.status} ≠ ${sluice.status}`];
      return diffJson(shape(ri), shape(rs));
    }
    case 'prefix': {
      const a = ri?.results ?? [];
      const b = rs?.results ?? [];
      const failedAt = a.findIndex((x) => x.error !== undefined);
      assert.ok(failedAt >= 0, `InfluxDB should fail a statement of: ${c.q}`);
      const out = diffJson(a.slice(0, failedAt), b.slice(0, failedAt), '$.results');
      if (b[failedAt]?.error === undefined) out.push(`$.results[${failedAt}]: InfluxDB fails this statement, Sluice does not`);
      return out;
    }
    case 'equal': {
      const out: string[] = [];
      if (influx.status !== sluice.status) out.push(`status ${influx.status} ≠ ${sluice.status}`);
      if (ri === undefined || rs === undefined) {
        if (influx.text.trim() !== sluice.text.trim()) out.push('bodies differ (not both JSON)');
        return out;
      }
      return diffJson(ri, rs, '$', out);
    }
  }
}

test('InfluxQL: every statement of the table answers as InfluxDB 1.x answers it', { timeout: 300_000 }, async () => {
  const seed = testSeed();
  console.log(`# influxql differential seed=${seed} (replay with SEED=${seed})`);
  const only = process.env.INFLUXQL_ONLY;
  const rows = STATEMENTS.filter((c) => only === undefined || only === '' || c.q.includes(only));
  const [influx, sluice] = await Promise.all([startInfluxDB1(), startSluice()]);
  try {
    const data = buildDataset(new SeededRng(seed));
    for (const db of Object.keys(data.lines)) {
      for (const peer of [influx, sluice]) {
        const res = await fetch(`${peer.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${db}"` }) });
        await res.arrayBuffer();
        await writeLp(peer, db, data.lines[db]!.join('\n'));
      }
    }
    const points = Object.values(data.lines).reduce((n, l) => n + l.length, 0);

    const failures: string[] = [];
    let compared = 0;
    let equal = 0;
    let documented = 0;
    for (const c of rows) {
      const passes: Array<string | undefined> = c.rfc3339 === true ? ['ns', undefined] : ['ns'];
      const failuresBefore = failures.length;
      for (const epoch of passes) {
        const [a, b] = await Promise.all([ask(influx, c, epoch), ask(sluice, c, epoch)]);
        compared++;
        const diffs = compareAnswers(c, a, b);
        if (diffs.length > 0) {
          const detailed = failures.length < 25;
          failures.push(
            `✗ ${c.q === '' ? '(no q)' : c.q}  [db=${c.db === null ? '(none)' : (c.db ?? DB)}, ${methodOf(c)}, ${epoch === undefined ? 'RFC3339' : `epoch=${epoch}`}${c.compare !== undefined ? `, compare=${c.compare}` : ''}]\n  ${diffs.join('\n  ')}` +
              (detailed ? `\n  InfluxDB: ${showAnswer(a, 1_500)}\n  Sluice:   ${showAnswer(b, 1_500)}` : ''),
          );
        }
      }
      if (failures.length > failuresBefore) continue;
      if (c.differs !== undefined) documented++;
      else equal++;
    }
    const differing = rows.length - equal - documented;
    console.log(`# influxql differential: ${rows.length} statements, ${equal} equal, ${documented} documented differences, ${differing} differing (${compared} answers compared over ${points} points)`);
    if (failures.length > 0) console.log(failures.join('\n\n'));
    assert.equal(failures.length, 0, `${failures.length} answers differ from InfluxDB 1.x: ${failures.map((f) => f.split('\n')[0]).join(' | ').slice(0, 4_000)}`);
  } finally {
    await Promise.all([influx.stop(), sluice.stop()]);
  }
});
