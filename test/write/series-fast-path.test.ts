/**
 * A seeded differential test of the write path's fast paths: bodies of a few repeating series
 * (the shape that engages the parser's series cache and field templates, and the validator's
 * per-series columns and builders) validated by one long-lived parser must give exactly what a
 * fresh parser per body gives against a copy of the catalog — catalog ops, errors and every
 * column's values and validity. Lines drop, add, reorder and retype fields, escape keys, cross
 * gen1 windows, and some are damaged; bodies sit at odd offsets of their memory and some are
 * undone. A second test holds the long-lived parser against no fast path at all — each line
 * validated alone by a fresh parser — row by row, while series change their fields' kinds for
 * runs of lines (the field templates' kinds and the validator's shared tag indices). Prints its
 * seed; `SEED=…` replays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalog } from '../../src/catalog/catalog.js';
import { SeededRng, testSeed, type Rng } from '../../src/effects/rng.js';
import { LineProtocolParser } from '../../src/lineprotocol/parser.js';
import { columnValue, type CatalogOp } from '../../src/wal/model.js';
import { validateLineProtocol, type ValidatedWrite, type ValidateOptions } from '../../src/write/validator.js';
import { mutate, validLine } from '../lineprotocol/fuzz-bodies.js';

const seed = testSeed();
console.log(`# series fast-path differential seed=${seed} (replay with SEED=${seed})`);

const T = 1_735_689_600_000_000_000n;
const GEN1_NS = 600_000_000_000n;

/** The result as plain data: catalog ops, errors, counts, and each chunk's columns with their validity. */
function summary(v: ValidatedWrite): string {
  const ops = (v.catalogBatch?.ops ?? []).map((op: CatalogOp) => ('columns' in op ? `${op.kind} ${op.tableId} ${op.columns.map((c) => `${c.id}:${c.name}:${c.type}`).join(',')}` : op.kind));
  const chunks: string[] = [];
  for (const [tableId, table] of v.writeBatch?.tableChunks ?? []) {
    chunks.push(`table ${tableId} ${table.minTimeNs}..${table.maxTimeNs}`);
    for (const [time, chunk] of table.chunkTimeToChunk) {
      chunks.push(`chunk ${tableId}@${time} rows ${chunk.rowCount} times ${Array.from(chunk.timeNs, String).join(',')}`);
      for (const [columnId, column] of chunk.columns) {
        const values = 'indices' in column ? Array.from(column.indices, (i) => column.dictionary[i]) : Array.from(column.values as ArrayLike<number | bigint>, String);
        const validity = column.validity === undefined ? 'all' : Array.from(column.validity, String).join('.');
        chunks.push(`${tableId}@${time}/${columnId} kind ${column.kind} [${validity}] ${values.join('|')}`);
      }
    }
  }
  const errors = v.errors.map((e) => `${e.lineNumber}: ${e.errorMessage} <${e.originalLine}>`);
  return JSON.stringify({ ops, errors, lines: v.lineCount, fields: v.fieldCount, tags: v.tagCount, chunks }, null, 1);
}

const SERIES = ['cpu,host=a,region=eu', 'cpu,host=b,region=eu', 'cpu,host=c,region=us', 'mem,host=a', 'disk,host=a,path=/,dev=sda1', 'cpu\\ x,host=a', 'w,k\\=1=v\\,1'];
const KEYS = ['usage_user', 'usage_system', 'idle', 'v', 'x', 'y\\ z', 'a\\=b', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9', 'n10', 'n11', 'n12', 'n13', 'n14', 'n15', 'n16'];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.nextInt(items.length)]!;
}

/** A value mostly of the key's own kind (so most lines agree with the schema), sometimes another. */
function value(rng: Rng, key: string): string {
  const kind = rng.nextInt(20) === 0 ? rng.nextInt(5) : key.length % 5;
  switch (kind) {
    case 0:
      return `${rng.nextInt(2) === 0 ? '-' : ''}${rng.nextInt(1000)}i`;
    case 1:
      return rng.nextInt(10) === 0 ? `${'9'.repeat(16 + rng.nextInt(4))}u` : `${rng.nextInt(100)}.${rng.nextInt(100)}`;
    case 2:
      return rng.nextInt(10) === 0 ? '12345678901234567i' : `${rng.nextInt(100000)}u`;
    case 3:
      return pick(rng, ['"s"', '"a \\" b"', '"x,y=z"', '""']);
    default:
      return pick(rng, ['t', 'false', 'TRUE', 'F']);
  }
}

/** Each series' usual field keys, which most of its lines repeat. */
const TEMPLATES = SERIES.map((_, s) => KEYS.slice(s % 3, (s % 3) + 2 + (s % 4) * 5));

function line(rng: Rng): string {
  const s = rng.nextInt(SERIES.length);
  let keys = TEMPLATES[s]!;
  const r = rng.nextInt(12);
  if (r === 0) keys = keys.slice(0, 1 + rng.nextInt(keys.length)); // fewer
  else if (r === 1) keys = [...keys, pick(rng, KEYS)]; // more (perhaps a duplicate)
  else if (r === 2) keys = [...keys].reverse();
  else if (r === 3) keys = [pick(rng, KEYS), ...keys.slice(1)];
  const fields = keys.map((k) => `${k}=${value(rng, k)}`).join(',');
  const time = rng.nextInt(10) === 0 ? '' : ` ${T + BigInt(rng.nextInt(3)) * GEN1_NS + BigInt(rng.nextInt(4))}`;
  return `${SERIES[s]} ${fields}${time}`;
}

function body(rng: Rng): Buffer {
  const lines: string[] = [];
  for (let n = 1 + rng.nextInt(40); n > 0; n--) lines.push(rng.nextInt(30) === 0 ? validLine(rng, { isWide: false }) : line(rng));
  let bytes = Buffer.from(lines.join(rng.nextInt(5) === 0 ? '\r\n' : '\n'));
  if (rng.nextInt(8) === 0) {
    const out = Buffer.alloc(bytes.length + 4096);
    bytes = out.subarray(0, mutate(rng, bytes, out, Buffer.from(line(rng))));
  }
  // at an odd offset of a larger memory, as a body cut from a socket's buffer is
  const offset = rng.nextInt(8);
  const memory = Buffer.alloc(bytes.length + offset + rng.nextInt(8));
  bytes.copy(memory, offset);
  return memory.subarray(offset, offset + bytes.length);
}

test('bodies of repeating series validated by a long-lived parser match a fresh parser per body, byte for byte', () => {
  const rng = new SeededRng(seed);
  const catalog = new Catalog({ ...new Catalog().limits, maxColumnsPerTable: 24 });
  const parser = new LineProtocolParser();
  for (let i = 0; i < 1500; i++) {
    const options: ValidateOptions = { precision: rng.nextInt(6) === 0 ? 'us' : 'ns', acceptPartial: rng.nextInt(6) !== 0, ingestTimeNs: T, gen1DurationNs: GEN1_NS };
    const b = body(rng);
    const copy = Catalog.deserialize(catalog.serialize(), catalog.limits);
    const fresh = validateLineProtocol(copy, new LineProtocolParser(), 'db', Buffer.from(b), options);
    const cached = validateLineProtocol(catalog, parser, 'db', b, options);
    assert.equal(summary(cached), summary(fresh), `body ${i} ${JSON.stringify(b.toString('latin1'))} differs; replay with SEED=${seed}`);
    if (rng.nextInt(10) === 0) cached.undo();
  }
});

/**
 * The rows as plain data, per table and chunk, in row order: `time col=value …` with nulls left
 * out and dictionary values decoded (so two batches with other dictionary orders still compare).
 */
function rowsOf(v: ValidatedWrite, into: Map<string, string[]>): void {
  for (const [tableId, table] of v.writeBatch?.tableChunks ?? []) {
    for (const [time, chunk] of table.chunkTimeToChunk) {
      const key = `${tableId}@${time}`;
      const rows = into.get(key) ?? [];
      into.set(key, rows);
      const ids = [...chunk.columns.keys()].sort((a, b) => a - b);
      for (let r = 0; r < chunk.rowCount; r++) {
        const cells = ids.map((id) => [id, columnValue(chunk.columns.get(id)!, r)] as const).filter(([, value]) => value !== undefined);
        rows.push(`${chunk.timeNs[r]} ${cells.map(([id, value]) => `${id}=${typeof value}:${String(value)}`).join(' ')}`);
      }
    }
  }
}

test('a long-lived parser and validator give, row by row, what each line validated alone gives, while series change their kinds', () => {
  const rng = new SeededRng(seed ^ 0x5eed);
  const catalog = new Catalog({ ...new Catalog().limits, maxColumnsPerTable: 24 });
  const reference = Catalog.deserialize(catalog.serialize(), catalog.limits);
  const parser = new LineProtocolParser();
  const options: ValidateOptions = { precision: 'ns', acceptPartial: true, ingestTimeNs: T, gen1DurationNs: GEN1_NS };
  // Per series, a run of lines in which one of its keys has another kind (then back to the usual one).
  const runs = new Map<number, { key: string; kind: number; left: number }>();
  const kindValue = (kind: number): string => {
    const sign = rng.nextInt(3) === 0 ? '-' : '';
    return [`${sign}${rng.nextInt(1000)}i`, `${sign}${rng.nextInt(100)}.${rng.nextInt(100)}`, `${rng.nextInt(1000)}u`, '"s"', 't'][kind]!;
  };
  // series keys that are prefixes of others' (the parser expects the next series by its bytes)
  const series = [...SERIES, 'cpu,host=a', 'cpu,host=a,region=eu\\ west', 'cpu,host=a,region=e'];
  const templates = series.map((_, s) => KEYS.slice(s % 3, (s % 3) + 2 + (s % 4) * 5));
  let rowsCompared = 0;
  for (let i = 0; i < 600; i++) {
    const lines: string[] = [];
    for (let n = 1 + rng.nextInt(60); n > 0; n--) {
      const s = rng.nextInt(series.length);
      const keys = templates[s]!;
      let run = runs.get(s);
      if (run === undefined && rng.nextInt(25) === 0) runs.set(s, (run = { key: pick(rng, keys), kind: rng.nextInt(5), left: 1 + rng.nextInt(6) }));
      const fewer = rng.nextInt(15) === 0 ? 1 + rng.nextInt(keys.length) : keys.length;
      const fields = keys.slice(0, fewer).map((k) => `${k}=${run !== undefined && k === run.key ? kindValue(run.kind) : rng.nextInt(30) === 0 ? kindValue(rng.nextInt(5)) : kindValue(k.length % 5)}`);
      if (run !== undefined && --run.left === 0) runs.delete(s);
      // now and then a timestamp that is the usual one's first digits (the parser expects the last one's bytes)
      const time = `${T + BigInt(rng.nextInt(2)) * GEN1_NS + BigInt(rng.nextInt(3))}`;
      lines.push(`${series[s]} ${fields.join(',')} ${rng.nextInt(10) === 0 ? time.slice(0, -1 - rng.nextInt(2)) : time}`);
    }
    const offset = rng.nextInt(4);
    const text = lines.join('\n');
    const memory = Buffer.alloc(offset + Buffer.byteLength(text));
    memory.write(text, offset);
    const b = memory.subarray(offset); // at an odd offset of its memory
    const cached = validateLineProtocol(catalog, parser, 'db', b, options);
    const rows = new Map<string, string[]>();
    rowsOf(cached, rows);
    const expected = new Map<string, string[]>();
    const errors: string[] = [];
    lines.forEach((text, l) => {
      const alone = validateLineProtocol(reference, new LineProtocolParser(), 'db', Buffer.from(text), options);
      for (const e of alone.errors) errors.push(`${l + 1}: ${e.errorMessage}`);
      rowsOf(alone, expected);
    });
    const sorted = (m: Map<string, string[]>): Array<[string, string[]]> => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual(
      cached.errors.map((e) => `${e.lineNumber}: ${e.errorMessage}`),
      errors,
      `body ${i}: errors differ; replay with SEED=${seed}`,
    );
    assert.deepEqual(sorted(rows), sorted(expected), `body ${i} ${JSON.stringify(lines.join('\n'))}: rows differ; replay with SEED=${seed}`);
    for (const r of rows.values()) rowsCompared += r.length;
  }
  assert.ok(rowsCompared > 2_000, `only ${rowsCompared} rows compared`);
});
