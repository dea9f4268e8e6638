/**
 * What the InfluxQL differential tests share: sending a statement of the table to a server as
 * the table says, comparing two answers under the row's comparison, writing the dataset.
 */
import assert from 'node:assert/strict';
import { SeededRng } from '../../src/effects/rng.js';
import { diffJson, parseJsonExact, writeLp, type QueryAnswer, type TestPeer } from '../support/influxdb1.js';
import { buildDataset, DB, T0_NS } from './dataset.js';
import { methodOf, type StatementCase } from './statements.js';

/**
 * Creates the dataset's databases on each peer (POST, as clients do) and writes the seeded
 * points in batches of 40 lines: first the points of the first 160 minutes, then (after
 * `betweenParts`, e.g. waiting for a snapshot) the rest. Returns how many points.
 */
export async function writeDataset(peers: TestPeer[], seed: number, betweenParts: () => Promise<void> = async () => undefined): Promise<number> {
  const data = buildDataset(new SeededRng(seed));
  const splitNs = T0_NS + 160n * 60n * 1_000_000_000n;
  const early = (line: string): boolean => BigInt(line.slice(line.lastIndexOf(' ') + 1)) < splitNs;
  for (const part of [early, (line: string) => !early(line)]) {
    for (const db of Object.keys(data.lines)) {
      for (const peer of peers) {
        if (part === early) {
          const res = await fetch(`${peer.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${db}"` }) });
          await res.arrayBuffer();
        }
        const lines = data.lines[db]!.filter(part);
        for (let i = 0; i < lines.length; i += 40) await writeLp(peer, db, lines.slice(i, i + 40).join('\n'));
      }
    }
    if (part === early) await betweenParts();
  }
  return Object.values(data.lines).reduce((n, l) => n + l.length, 0);
}

/** Sends one row's query as the table says (GET, or POST with a form body). */
export async function ask(peer: TestPeer, c: StatementCase, epoch: string | undefined, headers: Record<string, string> = {}, extra: Record<string, string> = {}): Promise<QueryAnswer> {
  const params = new URLSearchParams(extra);
  if (c.q !== '') params.set('q', c.q);
  if (c.db !== null) params.set('db', c.db ?? DB);
  if (c.params !== undefined) params.set('params', c.params);
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
    json = extra.chunked === 'true' && res.status === 200 ? mergeChunks(text) : parseJsonExact(text);
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
    case 'sluice-error': {
      const err = rs?.results?.[0]?.error;
      assert.ok(c.sluiceError !== undefined, `compare: 'sluice-error' needs sluiceError: ${c.q}`);
      if (sluice.status !== 200 || typeof err !== 'string' || !c.sluiceError.test(err)) return [`Sluice should answer 200 with a per-statement error matching ${c.sluiceError}, answered ${sluice.status}`];
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
      if (ri === undefined || rs === undefined) return diffCsv(influx.text, sluice.text, out);
      return diffJson(orderTies(ri), orderTies(rs), '$', out);
    }
  }
}

/**
 * InfluxDB 1.x gives points of different series with the same timestamp in an order of its
 * iterators' heap, which changes with the shape of the query (`SELECT v` and `SELECT v, host`
 * order the same points differently). So rows with equal times in one series are compared as a
 * set: each run of equal times is sorted by the row's text. Everything else keeps its order.
 */
export function orderTies<T>(doc: T): T {
  const key = (row: unknown): string => JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v));
  const r = doc as Results;
  for (const result of r.results ?? []) {
    for (const series of result.series ?? []) {
      const values = series.values as unknown[][] | undefined;
      if (!Array.isArray(series.columns) || series.columns[0] !== 'time' || values === undefined) continue;
      let start = 0;
      while (start < values.length) {
        let end = start + 1;
        while (end < values.length && key(values[end]![0]) === key(values[start]![0])) end++;
        if (end - start > 1) {
          const run = values.slice(start, end).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
          values.splice(start, run.length, ...run);
        }
        start = end;
      }
    }
  }
  return doc;
}

/** Splits CSV text into rows of cells (RFC 4180 quoting, as InfluxDB writes it). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else if (ch !== '\r') cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/**
 * Differences between two non-JSON bodies (CSV, or plain text): cell by cell, numbers that are
 * not integers within the float tolerance, everything else exactly.
 */
export function diffCsv(a: string, b: string, out: string[] = []): string[] {
  const ra = parseCsv(a);
  const rb = parseCsv(b);
  const isFloat = (x: string): boolean => /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(x) && !/^-?\d+$/.test(x);
  const cells = (rows: string[][]): unknown[][] => rows.map((r) => r.map((x) => (isFloat(x) ? Number(x) : x)));
  return diffJson(cells(ra), cells(rb), '$csv', out);
}

/**
 * Differences between two texts laid out in columns (the influx CLI's `-format column`): token
 * by token, floats within the tolerance (a float's digits change the column widths, so spacing
 * is not compared).
 */
export function diffColumns(a: string, b: string, out: string[] = []): string[] {
  const isFloat = (x: string): boolean => /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(x) && !/^-?\d+$/.test(x);
  const tokens = (text: string): unknown[][] => text.split('\n').map((line) => line.split(/\s+/).filter((t) => t !== '').map((t) => (isFloat(t) ? Number(t) : t)));
  return diffJson(tokens(a), tokens(b), '$lines', out);
}

type ResultDoc = { results?: Array<{ statement_id?: unknown; series?: Array<{ name?: unknown; tags?: unknown; values?: unknown[]; partial?: boolean }>; partial?: boolean; error?: unknown }>; error?: unknown };

/**
 * A chunked answer (one JSON document a line) merged into the one answer it stands for: a
 * statement's results joined, a series marked `partial` continued by the next chunk's. Throws
 * when a line is not a JSON document.
 */
export function mergeChunks(text: string): unknown {
  const lines = text.split('\n');
  assert.equal(lines.at(-1), '', 'a chunked answer ends with a newline');
  const merged: ResultDoc = { results: [] };
  for (const line of lines.slice(0, -1)) {
    const doc = parseJsonExact(line) as ResultDoc;
    if (doc.error !== undefined) return doc;
    for (const r of doc.results ?? []) {
      const last = merged.results!.at(-1);
      if (last === undefined || last.statement_id !== r.statement_id) {
        merged.results!.push({ ...r, series: r.series?.map((x) => ({ ...x })) });
        continue;
      }
      for (const x of r.series ?? []) {
        const prev = last.series?.at(-1);
        if (prev !== undefined && prev.partial === true && prev.name === x.name && JSON.stringify(prev.tags) === JSON.stringify(x.tags)) {
          prev.values = [...(prev.values ?? []), ...(x.values ?? [])];
          if (x.partial === true) prev.partial = true;
          else delete prev.partial;
        } else (last.series ??= []).push({ ...x });
      }
      if (r.error !== undefined) last.error = r.error;
      if (r.partial === true) last.partial = true;
      else delete last.partial;
    }
  }
  for (const r of merged.results!) if (r.series === undefined) delete r.series;
  return merged;
}
