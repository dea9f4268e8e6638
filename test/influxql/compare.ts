/**
 * What the InfluxQL differential tests share: sending a statement of the table to a server as
 * the table says, comparing two answers under the row's comparison, writing the dataset.
 */
import assert from 'node:assert/strict';
import { SeededRng } from '../../src/effects/rng.js';
import { diffJson, parseJsonExact, writeLp, type QueryAnswer, type TestPeer } from '../support/influxdb1.js';
import { buildDataset, DB } from './dataset.js';
import { methodOf, type StatementCase } from './statements.js';

/**
 * Creates the dataset's databases on each peer (POST, as clients do) and writes the seeded
 * points in batches of `batchLines`; returns how many points.
 */
export async function writeDataset(peers: TestPeer[], seed: number, batchLines = 40): Promise<number> {
  const data = buildDataset(new SeededRng(seed));
  for (const db of Object.keys(data.lines)) {
    for (const peer of peers) {
      const res = await fetch(`${peer.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${db}"` }) });
      await res.arrayBuffer();
      const lines = data.lines[db]!;
      for (let i = 0; i < lines.length; i += batchLines) await writeLp(peer, db, lines.slice(i, i + batchLines).join('\n'));
    }
  }
  return Object.values(data.lines).reduce((n, l) => n + l.length, 0);
}

/** Sends one row's query as the table says (GET, or POST with a form body). */
export async function ask(peer: TestPeer, c: StatementCase, epoch: string | undefined, headers: Record<string, string> = {}): Promise<QueryAnswer> {
  const params = new URLSearchParams();
  if (c.q !== '') params.set('q', c.q);
  if (c.db !== null) params.set('db', c.db ?? DB);
  if (epoch !== undefined) params.set('epoch', epoch);
  const method = methodOf(c);
  const res =
    method === 'GET'
      ? await fetch(`${peer.url}/query?${params.toString()}`, { headers, signal: AbortSignal.timeout(30_000) })
      : await fetch(`${peer.url}/query`, {
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
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
export function compareAnswers(c: StatementCase, influx: QueryAnswer, sluice: QueryAnswer): string[] {
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
    case 'series-set': {
      const sorted = (r: Results | undefined): unknown =>
        (r?.results ?? []).map((x) => ({ ...x, series: [...(x.series ?? [])].sort((p, q) => (`${String(p.name)} ${JSON.stringify(p.tags)}` < `${String(q.name)} ${JSON.stringify(q.tags)}` ? -1 : 1)) }));
      if (influx.status !== sluice.status) return [`status ${influx.status} ≠ ${sluice.status}`];
      return diffJson(sorted(ri), sorted(rs));
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

