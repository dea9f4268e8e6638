import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng, testSeed, type Rng } from '../../src/effects/rng.js';
import { LineProtocolParser, parseLines, type Point } from '../../src/lineprotocol/parser.js';
import { LineProtocolError } from '../../src/lineprotocol/errors.js';
import { serializePoint, serializePoints } from '../../src/lineprotocol/serializer.js';
import { FieldKind } from '../../src/wal/model.js';

// Characters from every escape class: separators, escapes, quotes, newlines, multi-byte UTF-8.
const ALPHABET = ['a', 'b', 'Z', '0', '9', '_', '-', ' ', ',', '=', '\\', '"', "'", '\n', '#', 'é', '🙂', '.', 't', 'i', 'u'];

function word(rng: Rng, min = 1, max = 8): string {
  const n = min + rng.nextInt(max - min + 1);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[rng.nextInt(ALPHABET.length)]!;
  return s;
}

/** A name line protocol can carry: not starting with `#` or space, no newline, not ending in a lone backslash. */
function name(rng: Rng): string {
  for (;;) {
    const s = word(rng).replace(/\n/g, 'n');
    if (s.startsWith('#') || s.startsWith(' ') || s.startsWith('\t')) continue;
    return s;
  }
}

function randomPoint(rng: Rng): Omit<Point, 'lineNumber'> {
  const tags: Array<[string, string]> = [];
  const usedTags = new Set<string>();
  for (let i = rng.nextInt(4); i > 0; i--) {
    const k = name(rng);
    if (usedTags.has(k)) continue;
    usedTags.add(k);
    tags.push([k, name(rng)]);
  }
  const fields: Point['fields'] = [];
  const usedFields = new Set<string>();
  for (let i = 1 + rng.nextInt(4); i > 0; i--) {
    const k = name(rng);
    if (usedFields.has(k)) continue;
    usedFields.add(k);
    switch (rng.nextInt(5)) {
      case 0:
        fields.push([k, FieldKind.Int64, BigInt.asIntN(64, BigInt(rng.nextU32()) * BigInt(rng.nextU32()) * (rng.nextInt(2) ? 1n : -1n) * BigInt(rng.nextU32()))]);
        break;
      case 1:
        fields.push([k, FieldKind.UInt64, BigInt.asUintN(64, BigInt(rng.nextU32()) * BigInt(rng.nextU32()) * BigInt(rng.nextU32()))]);
        break;
      case 2: {
        const f = [0, -0, 1.5, -2.25e-300, 1.7976931348623157e308, (rng.nextFloat() - 0.5) * 10 ** rng.nextInt(30), rng.nextU32()][rng.nextInt(7)]!;
        fields.push([k, FieldKind.Float64, f]);
        break;
      }
      case 3:
        fields.push([k, FieldKind.String, word(rng, 0, 12)]);
        break;
      default:
        fields.push([k, FieldKind.Boolean, rng.nextInt(2) === 0]);
    }
  }
  const point: Omit<Point, 'lineNumber'> = { measurement: name(rng), tags, fields };
  if (rng.nextInt(3) > 0) point.timestamp = BigInt.asIntN(64, BigInt(rng.nextU32()) * BigInt(rng.nextU32()) * BigInt(rng.nextInt(2) ? 1 : -1));
  return point;
}

test('round trip: parse(serialize(p)) equals p for generated points of every escape class', () => {
  const seed = testSeed();
  console.log(`line-protocol round-trip seed=${seed}`);
  const rng = new SeededRng(seed);
  const points = Array.from({ length: 5000 }, () => randomPoint(rng));
  for (const p of points) {
    const line = serializePoint(p);
    const [got] = parseLines(line);
    assert.ok(got !== undefined && !(got instanceof LineProtocolError), `seed ${seed}: ${JSON.stringify(line)} → ${got instanceof Error ? got.message : 'nothing'}`);
    assert.deepEqual({ ...got, lineNumber: undefined }, { ...p, lineNumber: undefined }, `seed ${seed}: ${JSON.stringify(line)}`);
  }
  // and as one body: physical line numbers count the newlines inside quoted strings
  const results = parseLines(serializePoints(points));
  assert.equal(results.length, points.length);
  let expectedLine = 1;
  points.forEach((p, i) => {
    const r = results[i]!;
    assert.ok(!(r instanceof LineProtocolError));
    assert.equal(r.lineNumber, expectedLine, `seed ${seed}: point ${i}`);
    expectedLine += 1 + (serializePoint(p).match(/\n/g)?.length ?? 0);
  });
});

test('parse time grows linearly with input size, also for pathological lines', () => {
  const sink = { line: () => {}, error: () => {} };
  // a fresh parser each time: its caches would make a repeated small body look free
  const parse = (body: Buffer): void => new LineProtocolParser({ maxStringBytes: 1 << 30, maxLineBytes: 1 << 30 }).parse(body, sink);
  // The fastest of 5 runs: a GC pause or a busy neighbour makes a run slower, never faster.
  const time = (body: Buffer): number => {
    parse(body);
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      parse(body);
      best = Math.min(best, performance.now() - t);
    }
    return best;
  };
  const shapes: Array<[string, (n: number) => Buffer]> = [
    ['many lines', (n) => Buffer.from('cpu,host=a,region=b usage=1.5,idle=2i 1700000000000000000\n'.repeat(n))],
    ['one long string', (n) => Buffer.from(`m f="${'x'.repeat(n * 50)}"`)],
    ['many escapes', (n) => Buffer.from(`m,t=${'\\,'.repeat(n * 20)} f=1`)],
    ['unterminated quotes', (n) => Buffer.from(`m f="${'a\\"'.repeat(n * 20)}\n`.repeat(4))],
    ['many tags', (n) => Buffer.from(`m,${Array.from({ length: n / 10 }, (_, i) => `t${i}=v`).join(',')} f=1`)],
  ];
  for (const [label, make] of shapes) {
    // Inputs large enough that the small one takes milliseconds: below that, noise is the ratio.
    const small = time(make(16000));
    const large = time(make(128000));
    // 8× the input may take at most ~8× the time (slack ×3 and 10 ms for caches and noise); a
    // quadratic parser would take 64×.
    assert.ok(large < small * 8 * 3 + 10, `${label}: ${small.toFixed(2)} ms → ${large.toFixed(2)} ms for 8× the input`);
  }
});

test('floats parse to exactly what Number() gives for the same text (fast path and fallback)', () => {
  const seed = testSeed();
  const rng = new SeededRng(seed);
  const parser = new LineProtocolParser();
  let got: unknown;
  const sink = { line: (l: { fieldValues: unknown[] }) => void (got = l.fieldValues[0]), error: (e: Error) => assert.fail(e.message) };
  for (let i = 0; i < 100_000; i++) {
    const digits = 1 + rng.nextInt(19);
    let m = '';
    for (let d = 0; d < digits; d++) m += String(rng.nextInt(10));
    const dot = rng.nextInt(digits + 1);
    let text = dot > 0 && dot < digits ? `${m.slice(0, dot)}.${m.slice(dot)}` : m;
    if (rng.nextInt(3) === 0) text += `${rng.nextInt(2) ? 'e' : 'E'}${['', '-', '+'][rng.nextInt(3)]}${rng.nextInt(40)}`;
    if (rng.nextInt(2)) text = `-${text}`;
    parser.parse(Buffer.from(`m f=${text}`), sink as never);
    assert.ok(Object.is(got, Number(text)), `seed ${seed}: ${text} → ${String(got)}, Number() gives ${Number(text)}`);
  }
});

test('the interner gives the same string for the same bytes across growth and resets', () => {
  const parser = new LineProtocolParser();
  const names: string[] = [];
  const sink = { line: (l: { measurement: string }) => void names.push(l.measurement), error: (e: Error) => assert.fail(e.message) };
  const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `m${i % 70_000} f=1`).join('\n'));
  parser.parse(body, sink as never);
  names.forEach((n, i) => assert.equal(n, `m${i % 70_000}`));
});

test('one parser over a reused buffer: keys and timestamps come from the current bytes, not a previous body', () => {
  const parser = new LineProtocolParser();
  const buf = Buffer.alloc(21); // the same Buffer object, refilled
  const seen: string[] = [];
  const sink = { line: (l: { fieldKeys: string[]; timestamp?: bigint }) => void seen.push(`${l.fieldKeys[0]}@${l.timestamp}`), error: (e: Error) => assert.fail(e.message) };
  for (const text of ['m ab=1 100\nm ab=1 100', 'm cd=1 200\nm cd=1 200']) {
    buf.write(text);
    parser.parse(buf, sink as never);
  }
  assert.deepEqual(seen, ['ab@100', 'ab@100', 'cd@200', 'cd@200']);
});
