import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLines, type Point } from '../../src/lineprotocol/parser.js';
import { LineProtocolError, type LineErrorKind } from '../../src/lineprotocol/errors.js';
import { FieldKind } from '../../src/wal/model.js';

// The conformance table: each line of input with what it must parse to, written from InfluxDB's
// documented line-protocol grammar and the edge cases of reference §7. Expected points use a
// compact form: `measurement|tag=value,…|field:type=value,…|timestamp`, where type is
// i (int64), u (uint64), f (float64), s (string), b (boolean); values appear unescaped.

type Expected = string | { error: LineErrorKind } | 'skip';

const I64_MAX = '9223372036854775807';
const I64_MIN = '-9223372036854775808';
const U64_MAX = '18446744073709551615';

const cases: Array<[string, Expected]> = [
  // --- basics
  ['m f=1', 'm||f:f=1|'],
  ['m f=1 123', 'm||f:f=1|123'],
  ['m,t=v f=1 123', 'm|t=v|f:f=1|123'],
  ['m,a=1,b=2 f=1,g=2', 'm|a=1,b=2|f:f=1,g:f=2|'],
  ['measurement,tag1=value1,tag2=value2 field1=1i,field2="two",field3=3.0,field4=true 1556813561098000000', 'measurement|tag1=value1,tag2=value2|field1:i=1,field2:s=two,field3:f=3,field4:b=true|1556813561098000000'],
  ['m f=1 -1', 'm||f:f=1|-1'],
  ['m f=1 0', 'm||f:f=1|0'],
  [`m f=1 ${I64_MAX}`, `m||f:f=1|${I64_MAX}`],
  [`m f=1 ${I64_MIN}`, `m||f:f=1|${I64_MIN}`],
  ['m f=1 9223372036854775808', { error: 'timestamp' }],
  ['m f=1 -9223372036854775809', { error: 'timestamp' }],
  ['m f=1 12a', { error: 'timestamp' }],
  ['m f=1 1.5', { error: 'timestamp' }],
  ['m f=1 -', { error: 'timestamp' }],
  ['m f=1 1e9', { error: 'timestamp' }],
  ['m f=1 123 456', { error: 'trailing-content' }],
  // --- whitespace
  ['  m f=1', 'm||f:f=1|'],
  ['\tm f=1', 'm||f:f=1|'],
  ['m f=1   ', 'm||f:f=1|'],
  ['m    f=1', 'm||f:f=1|'],
  ['m f=1    123', 'm||f:f=1|123'],
  ['m f=1 123   ', 'm||f:f=1|123'],
  ['m f=1\r', 'm||f:f=1|'],
  ['m f=1 123\r', 'm||f:f=1|123'],
  ['m,t=v f=1\r', 'm|t=v|f:f=1|'],
  ['', 'skip'],
  ['   ', 'skip'],
  ['\t', 'skip'],
  ['\r', 'skip'],
  ['# a comment', 'skip'],
  ['#m f=1', 'skip'],
  ['   # indented comment', 'skip'],
  // --- measurement escapes
  ['my\\ measurement f=1', 'my measurement||f:f=1|'],
  ['my\\,measurement f=1', 'my,measurement||f:f=1|'],
  ['my\\\\measurement f=1', 'my\\measurement||f:f=1|'],
  ['my=measurement f=1', 'my=measurement||f:f=1|'],
  ['m\\=x f=1', 'm\\=x||f:f=1|'],
  ['m\\x f=1', 'm\\x||f:f=1|'],
  ['"m" f=1', '"m"||f:f=1|'],
  ['m\\ \\, f=1', 'm ,||f:f=1|'],
  ['émoji🙂 f=1', 'émoji🙂||f:f=1|'],
  ['m\\ ', { error: 'field' }],
  [',t=v f=1', { error: 'measurement' }],
  [' ,t=v f=1', { error: 'measurement' }],
  ['m\\', { error: 'measurement' }],
  // --- tag escapes
  ['m,t\\ k=v f=1', 'm|t k=v|f:f=1|'],
  ['m,t\\,k=v f=1', 'm|t,k=v|f:f=1|'],
  ['m,t\\=k=v f=1', 'm|t=k=v|f:f=1|'],
  ['m,t=v\\ x f=1', 'm|t=v x|f:f=1|'],
  ['m,t=v\\,x f=1', 'm|t=v,x|f:f=1|'],
  ['m,t=v\\=x f=1', 'm|t=v=x|f:f=1|'],
  ['m,t=v\\\\ f=1', 'm|t=v\\|f:f=1|'],
  ['m,t=v\\x f=1', 'm|t=v\\x|f:f=1|'],
  ['m,t="v" f=1', 'm|t="v"|f:f=1|'],
  ['m,t=v=x f=1', { error: 'tag' }],
  ['m,t= f=1', { error: 'tag' }],
  ['m,=v f=1', { error: 'tag' }],
  ['m,t f=1', { error: 'tag' }],
  ['m, f=1', { error: 'tag' }],
  ['m,t=v, f=1', { error: 'tag' }],
  ['m,t=v,u f=1', { error: 'tag' }],
  ['m,t=v', { error: 'field' }],
  ['m,t=v ', { error: 'field' }],
  ['m,t=a,t=b f=1', { error: 'duplicate-tag' }],
  ['m,t=a,u=b,t=a f=1', { error: 'duplicate-tag' }],
  ['m,t=v\\', { error: 'tag' }],
  ['m,t=1,u=2,v=3,w=4,x=5,y=6,z=7 f=1', 'm|t=1,u=2,v=3,w=4,x=5,y=6,z=7|f:f=1|'],
  ['m,t=ü f=1', 'm|t=ü|f:f=1|'],
  // --- field keys
  ['m f\\ k=1', 'm||f k:f=1|'],
  ['m f\\,k=1', 'm||f,k:f=1|'],
  ['m f\\=k=1', 'm||f=k:f=1|'],
  ['m f\\\\k=1', 'm||f\\k:f=1|'],
  ['m "f"=1', 'm||"f":f=1|'],
  ['m =1', { error: 'field' }],
  ['m f', { error: 'field' }],
  ['m f=', { error: 'field-value' }],
  ['m f=1,', { error: 'field' }],
  ['m f=1,,g=2', { error: 'field' }],
  ['m f=1,g', { error: 'field' }],
  ['m f=1,f=2', { error: 'duplicate-field' }],
  ['m f=1i,f="x"', { error: 'duplicate-field' }],
  ['m', { error: 'field' }],
  ['m ', { error: 'field' }],
  // --- integers
  ['m f=0i', 'm||f:i=0|'],
  ['m f=-0i', 'm||f:i=0|'],
  ['m f=1i', 'm||f:i=1|'],
  ['m f=-1i', 'm||f:i=-1|'],
  ['m f=123456789012345i', 'm||f:i=123456789012345|'],
  ['m f=1234567890123456i', 'm||f:i=1234567890123456|'],
  [`m f=${I64_MAX}i`, `m||f:i=${I64_MAX}|`],
  [`m f=${I64_MIN}i`, `m||f:i=${I64_MIN}|`],
  ['m f=9223372036854775808i', { error: 'field-value' }],
  ['m f=-9223372036854775809i', { error: 'field-value' }],
  ['m f=99999999999999999999i', { error: 'field-value' }],
  ['m f=1.5i', { error: 'field-value' }],
  ['m f=1e3i', { error: 'field-value' }],
  ['m f=i', { error: 'field-value' }],
  ['m f=-i', { error: 'field-value' }],
  ['m f=+1i', { error: 'field-value' }],
  ['m f=1ii', { error: 'field-value' }],
  ['m f=1I', { error: 'field-value' }],
  ['m f=0x10i', { error: 'field-value' }],
  // --- unsigned
  ['m f=0u', 'm||f:u=0|'],
  ['m f=1u', 'm||f:u=1|'],
  [`m f=${U64_MAX}u`, `m||f:u=${U64_MAX}|`],
  [`m f=${I64_MAX}u`, `m||f:u=${I64_MAX}|`],
  ['m f=18446744073709551616u', { error: 'field-value' }],
  ['m f=-1u', { error: 'field-value' }],
  ['m f=-0u', { error: 'field-value' }],
  ['m f=1.0u', { error: 'field-value' }],
  ['m f=u', { error: 'field-value' }],
  ['m f=1U', { error: 'field-value' }],
  // --- floats
  ['m f=1.5', 'm||f:f=1.5|'],
  ['m f=-1.5', 'm||f:f=-1.5|'],
  ['m f=0', 'm||f:f=0|'],
  ['m f=-0', 'm||f:f=-0|'],
  ['m f=0.0', 'm||f:f=0|'],
  ['m f=123', 'm||f:f=123|'],
  ['m f=1e5', 'm||f:f=100000|'],
  ['m f=1E5', 'm||f:f=100000|'],
  ['m f=1e+5', 'm||f:f=100000|'],
  ['m f=1e-5', 'm||f:f=0.00001|'],
  ['m f=-1.5E+3', 'm||f:f=-1500|'],
  ['m f=1.5e-3', 'm||f:f=0.0015|'],
  ['m f=1.7976931348623157e308', 'm||f:f=1.7976931348623157e+308|'],
  ['m f=5e-324', 'm||f:f=5e-324|'],
  ['m f=12345678901234567890', 'm||f:f=12345678901234567000|'],
  ['m f=1.', { error: 'field-value' }],
  ['m f=.5', { error: 'field-value' }],
  ['m f=-.5', { error: 'field-value' }],
  ['m f=1.5.5', { error: 'field-value' }],
  ['m f=1e', { error: 'field-value' }],
  ['m f=1e+', { error: 'field-value' }],
  ['m f=e5', { error: 'field-value' }],
  ['m f=NaN', { error: 'field-value' }],
  ['m f=nan', { error: 'field-value' }],
  ['m f=inf', { error: 'field-value' }],
  ['m f=-inf', { error: 'field-value' }],
  ['m f=Infinity', { error: 'field-value' }],
  ['m f=1e309', { error: 'field-value' }],
  ['m f=-1e309', { error: 'field-value' }],
  ['m f=+1.5', { error: 'field-value' }],
  ['m f=1,5', { error: 'field' }],
  ['m f=1_000', { error: 'field-value' }],
  ['m f=-', { error: 'field-value' }],
  ['m f=1.5x', { error: 'field-value' }],
  // --- booleans: every spelling InfluxDB accepts, and some it does not
  ['m f=t', 'm||f:b=true|'],
  ['m f=T', 'm||f:b=true|'],
  ['m f=true', 'm||f:b=true|'],
  ['m f=True', 'm||f:b=true|'],
  ['m f=TRUE', 'm||f:b=true|'],
  ['m f=f', 'm||f:b=false|'],
  ['m f=F', 'm||f:b=false|'],
  ['m f=false', 'm||f:b=false|'],
  ['m f=False', 'm||f:b=false|'],
  ['m f=FALSE', 'm||f:b=false|'],
  ['m f=tRUE', { error: 'field-value' }],
  ['m f=TrUe', { error: 'field-value' }],
  ['m f=fAlse', { error: 'field-value' }],
  ['m f=yes', { error: 'field-value' }],
  ['m f=no', { error: 'field-value' }],
  ['m f=tru', { error: 'field-value' }],
  ['m f=truee', { error: 'field-value' }],
  ['m f=1b', { error: 'field-value' }],
  ['m f=t,g=f', 'm||f:b=true,g:b=false|'],
  ['m f=true 5', 'm||f:b=true|5'],
  // --- strings
  ['m f=""', 'm||f:s=|'],
  ['m f="x"', 'm||f:s=x|'],
  ['m f="hello world"', 'm||f:s=hello world|'],
  ['m f="a,b=c"', 'm||f:s=a,b=c|'],
  ['m f="say \\"hi\\""', 'm||f:s=say "hi"|'],
  ['m f="back\\\\slash"', 'm||f:s=back\\slash|'],
  ['m f="lone\\x"', 'm||f:s=lone\\x|'],
  ['m f="end\\\\"', 'm||f:s=end\\|'],
  ['m f="a\\nb"', 'm||f:s=a\\nb|'],
  ['m f="ünï©ødé 🙂"', 'm||f:s=ünï©ødé 🙂|'],
  ['m f="x",g=1i', 'm||f:s=x,g:i=1|'],
  ['m f="x" 7', 'm||f:s=x|7'],
  ['m f="x', { error: 'field-value' }],
  ['m f="x"y', { error: 'field-value' }],
  ['m f=x', { error: 'field-value' }],
  ["m f='x'", { error: 'field-value' }],
  ['m f="a" "b"', { error: 'timestamp' }],
  // --- NUL: the SQL engine takes strings as C strings, so tag and string values cannot hold one
  ['m,t=a\u0000b f=1', { error: 'tag' }],
  ['m,t=a\\\u0000 f=1', { error: 'tag' }],
  ['m f="a\u0000b"', { error: 'field-value' }],
  ['m f="\u0000"', { error: 'field-value' }],
  ['m\u0000 f=1', 'm\u0000||f:f=1|'], // names: the catalog refuses control characters
  ['m,t\u0000=v f=1', 'm|t\u0000=v|f:f=1|'],
];

function render(point: Point): string {
  const kinds: Record<number, string> = { [FieldKind.Int64]: 'i', [FieldKind.UInt64]: 'u', [FieldKind.Float64]: 'f', [FieldKind.String]: 's', [FieldKind.Boolean]: 'b' };
  const value = (kind: number, v: unknown): string => (kind === FieldKind.Float64 && Object.is(v, -0) ? '-0' : String(v));
  return [
    point.measurement,
    point.tags.map(([k, v]) => `${k}=${v}`).join(','),
    point.fields.map(([k, kind, v]) => `${k}:${kinds[kind]}=${value(kind, v)}`).join(','),
    point.timestamp === undefined ? '' : String(point.timestamp),
  ].join('|');
}

test(`line-protocol conformance: ${cases.length} cases`, () => {
  assert.ok(cases.length >= 150, `${cases.length} cases`);
  const failures: string[] = [];
  for (const [input, expected] of cases) {
    const results = parseLines(input);
    if (expected === 'skip') {
      if (results.length !== 0) failures.push(`${JSON.stringify(input)}: expected nothing, got ${results.length} results`);
      continue;
    }
    if (results.length !== 1) {
      failures.push(`${JSON.stringify(input)}: expected one result, got ${results.length}`);
      continue;
    }
    const got = results[0]!;
    if (typeof expected === 'string') {
      if (got instanceof LineProtocolError) failures.push(`${JSON.stringify(input)}: expected ${expected}, got error ${got.kind}: ${got.message}`);
      else if (render(got) !== expected) failures.push(`${JSON.stringify(input)}: expected ${expected}, got ${render(got)}`);
    } else if (!(got instanceof LineProtocolError)) {
      failures.push(`${JSON.stringify(input)}: expected error ${expected.error}, got ${render(got)}`);
    } else if (got.kind !== expected.error) {
      failures.push(`${JSON.stringify(input)}: expected error ${expected.error}, got ${got.kind}: ${got.message}`);
    }
  }
  assert.deepEqual(failures, []);
  console.log(`line-protocol conformance cases: ${cases.length}`);
});

test('a NUL in a tag or string value is refused with a message naming the key', () => {
  const results = parseLines('m,host=a\u0000 f=1\nm f="x\u0000y",g=2\nm,host=a f="ok" 1');
  assert.deepEqual(results.map((r) => (r instanceof LineProtocolError ? [r.lineNumber, r.kind, r.detail] : [r.lineNumber, 'ok'])), [
    [1, 'tag', 'tag value of `host` contains a NUL byte, which Sluice cannot store'],
    [2, 'field-value', 'string value of field `f` contains a NUL byte, which Sluice cannot store'],
    [3, 'ok'],
  ]);
});

test('errors carry the physical line number and an excerpt; other lines still parse', () => {
  const body = ['m f=1', '', '# comment', 'm f="multi', 'line"', 'bad', 'm f=2 \r', 'm f=nope'].join('\n');
  const results = parseLines(body);
  assert.equal(results.length, 5);
  const [a, b, c, d, e] = results;
  assert.ok(!(a instanceof LineProtocolError) && a!.lineNumber === 1);
  assert.ok(!(b instanceof LineProtocolError) && b!.lineNumber === 4 && b!.fields[0]![2] === 'multi\nline');
  assert.ok(c instanceof LineProtocolError && c.lineNumber === 6 && c.excerpt === 'bad');
  assert.ok(!(d instanceof LineProtocolError) && d!.lineNumber === 7);
  assert.ok(e instanceof LineProtocolError && e.lineNumber === 8 && /nope/.test(e.message));
});

test('size limits: a string or a line over the limit is a too-large error', () => {
  const big = 'x'.repeat(100);
  const [r1] = parseLines(`m f="${big}"`, { maxStringBytes: 99 });
  assert.ok(r1 instanceof LineProtocolError && r1.kind === 'too-large');
  const [r2] = parseLines(`m,t=${big} f=1`, { maxStringBytes: 99 });
  assert.ok(r2 instanceof LineProtocolError && r2.kind === 'too-large');
  const [r3] = parseLines(`m f="${big}"`, { maxLineBytes: 50 });
  assert.ok(r3 instanceof LineProtocolError && r3.kind === 'too-large');
  const [r4] = parseLines(`m f="${big}"`, { maxStringBytes: 100 });
  assert.ok(!(r4 instanceof LineProtocolError));
});
