/**
 * The InfluxQL answer formats, pinned by worked examples whose expected text is what InfluxDB
 * 1.6.7's influxd answered for the same data (v1 JSON, pretty, chunked pieces, CSV), and the
 * flat table of InfluxDB 3's /api/v3/query_influxql.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochDivisor, epochValue, formatRfc3339Nano } from '../../src/influxql/format-time.js';
import { chunkModeOf, chunkStatementResult, formatV1Error, formatV1Json, goJsonFloat, goJsonString } from '../../src/influxql/format-v1.js';
import { formatV1Csv, formatV1CsvError, goCsvField, goFixedFloat, tagsKey } from '../../src/influxql/format-v1-csv.js';
import { flattenSeries, MEASUREMENT_COLUMN } from '../../src/influxql/format-v3.js';
import type { Series, StatementResult } from '../../src/influxql/result.js';
import { ParamsError, parseInfluxQLParams, parseV3Params, parseV3QueryBody } from '../../src/server/influxql-params.js';

const S = 1_000_000_000n;

/** The data of the worked examples: `cpu` as influxd 1.6 returned it for `SELECT * FROM cpu`. */
const cpu: Series = {
  name: 'cpu',
  columns: ['time', 'b', 'host', 'i', 'region', 's', 'v'],
  timeColumn: true,
  values: [
    [S, true, 'a', 5n, 'w', 'x y', 1],
    [S + 123n, false, 'b', -9223372036854775807n, null, 'q"z', 1.5],
    [1_500_000_000n, null, 'a', 1n, null, null, 0.1],
    [2n * S, null, 'a', 9223372036854775807n, null, null, 1e300],
  ],
};

test('v1 JSON: the statements of one query as influxd 1.6 writes them (RFC3339 times, exact integers, Go floats, omitted empties)', () => {
  const results: StatementResult[] = [
    { statement_id: 0, series: [cpu] },
    { statement_id: 1, series: [{ name: 'mem', columns: ['time', 'free', 'host'], timeColumn: true, values: [[S, 3e-7, 'a'], [1_100_000_000n, 1.2345678901234569e23, 'a']] }] },
    { statement_id: 2 },
    { statement_id: 3, error: 'database not found: nodb' },
  ];
  assert.equal(
    formatV1Json(results, { epochDivisor: undefined, pretty: false }),
    '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","b","host","i","region","s","v"],"values":[["1970-01-01T00:00:01Z",true,"a",5,"w","x y",1],["1970-01-01T00:00:01.000000123Z",false,"b",-9223372036854775807,null,"q\\"z",1.5],["1970-01-01T00:00:01.5Z",null,"a",1,null,null,0.1],["1970-01-01T00:00:02Z",null,"a",9223372036854775807,null,null,1e+300]]}]},' +
      '{"statement_id":1,"series":[{"name":"mem","columns":["time","free","host"],"values":[["1970-01-01T00:00:01Z",3e-7,"a"],["1970-01-01T00:00:01.1Z",1.2345678901234569e+23,"a"]]}]},{"statement_id":2},{"statement_id":3,"error":"database not found: nodb"}]}\n',
  );
  // A query of only `;` has no results: Go leaves the empty list out.
  assert.equal(formatV1Json([], { epochDivisor: undefined, pretty: false }), '{}\n');
  // A series without rows has no "values" (SHOW DATABASES on a server without databases).
  assert.equal(formatV1Json([{ statement_id: 0, series: [{ name: 'databases', columns: ['name'], values: [], timeColumn: false }] }], { epochDivisor: undefined, pretty: false }), '{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"]}]}]}\n');
  // Messages come before partial and error, as 1.x's Result marshals them.
  assert.equal(
    formatV1Json([{ statement_id: 0, messages: [{ level: 'warning', text: 'deprecated <use>' }], partial: true, error: 'e' }], { epochDivisor: undefined, pretty: false }),
    '{"results":[{"statement_id":0,"messages":[{"level":"warning","text":"deprecated \\u003cuse\\u003e"}],"partial":true,"error":"e"}]}\n',
  );
});

test('v1 JSON: every epoch divides nanoseconds as Go does (truncating toward zero); µ and unknown units are nanoseconds as in 1.6', () => {
  const table: Array<[string | undefined, bigint | undefined, bigint]> = [
    [undefined, undefined, 0n],
    ['', undefined, 0n],
    ['  ', undefined, 0n],
    ['ns', 1n, 1_500_000_123n],
    ['u', 1000n, 1_500_000n],
    ['ms', 1_000_000n, 1500n],
    ['s', S, 1n],
    ['m', 60n * S, 0n],
    ['h', 3600n * S, 0n],
    ['µ', 1n, 1_500_000_123n],
    ['fortnight', 1n, 1_500_000_123n],
  ];
  for (const [epoch, divisor, value] of table) {
    assert.equal(epochDivisor(epoch), divisor, String(epoch));
    if (divisor !== undefined) assert.equal(epochValue(1_500_000_123n, divisor), value, String(epoch));
  }
  assert.equal(epochValue(-1_500_000_000n, S), -1n, 'toward zero, not floor');
  const series: Series = { name: 'm', columns: ['time', 'v'], timeColumn: true, values: [[1_500_000_123n, 1n]] };
  assert.equal(formatV1Json([{ statement_id: 0, series: [series] }], { epochDivisor: 1_000_000n, pretty: false }), '{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[[1500,1]]}]}]}\n');
});

test('RFC3339Nano as Go prints it: fraction trimmed, Z or the tz() offset, before 1970 too', () => {
  const table: Array<[bigint, string | undefined, string]> = [
    [0n, undefined, '1970-01-01T00:00:00Z'],
    [1n, undefined, '1970-01-01T00:00:00.000000001Z'],
    [1_500_000_000n, undefined, '1970-01-01T00:00:01.5Z'],
    [1_000_000_123n, undefined, '1970-01-01T00:00:01.000000123Z'],
    [-1n, undefined, '1969-12-31T23:59:59.999999999Z'],
    [-9223372036854775806n, undefined, '1677-09-21T00:12:43.145224194Z'],
    [9223372036854775806n, undefined, '2262-04-11T23:47:16.854775806Z'],
    [1_704_067_200n * S, 'America/Chicago', '2023-12-31T18:00:00-06:00'],
    [1_719_792_000n * S + 250_000_000n, 'Europe/Paris', '2024-07-01T02:00:00.25+02:00'],
    [1_704_067_200n * S, 'Asia/Kolkata', '2024-01-01T05:30:00+05:30'],
    [1_704_067_200n * S, 'Europe/London', '2024-01-01T00:00:00Z'],
  ];
  for (const [ns, tz, text] of table) assert.equal(formatRfc3339Nano(ns, tz), text, `${ns} ${tz}`);
});

test("Go's JSON strings and floats: HTML-safe escapes, \\u00XX control characters, U+2028, lone surrogates; shortest floats, -0", () => {
  const strings: Array<[string, string]> = [
    ['plain', '"plain"'],
    ['<a&b>', '"\\u003ca\\u0026b\\u003e"'],
    ['q"z\\', '"q\\"z\\\\"'],
    ['\n\r\t\u0001\u0008\u000c\u001f\u007f', '"\\n\\r\\t\\u0001\\u0008\\u000c\\u001f\u007f"'],
    ['\u2028\u2029', '"\\u2028\\u2029"'],
    ['ünï✓😀', '"ünï✓😀"'],
    ['a\ud800b', '"a\ufffdb"'],
    ['\udc00', '"\ufffd"'],
  ];
  for (const [s, json] of strings) assert.equal(goJsonString(s), json, JSON.stringify(s));
  const floats: Array<[number, string]> = [
    [1, '1'],
    [1.5, '1.5'],
    [0.1, '0.1'],
    [-0, '-0'],
    [1e20, '100000000000000000000'],
    [1e21, '1e+21'],
    [1e300, '1e+300'],
    [0.000001, '0.000001'],
    [3e-7, '3e-7'],
    [1.2345678901234569e23, '1.2345678901234569e+23'],
    [Number.NaN, 'null'],
    [Number.POSITIVE_INFINITY, 'null'],
  ];
  for (const [v, text] of floats) assert.equal(goJsonFloat(v), text, String(v));
});

test('v1 pretty JSON is json.MarshalIndent with four spaces, as influxd 1.6 answers pretty=true', () => {
  const grouped = (host: string, row: Series['values'][number]): Series => ({ name: 'cpu', tags: { host }, columns: ['time', 'b', 'i', 'region', 's', 'v'], timeColumn: true, values: [row] });
  const results: StatementResult[] = [
    { statement_id: 0, series: [grouped('a', [S, true, 5n, 'w', 'x y', 1]), grouped('b', [S + 123n, false, -9223372036854775807n, null, 'q"z', 1.5])] },
    { statement_id: 1, series: [{ name: 'cpu', columns: ['tagKey'], timeColumn: false, values: [['host'], ['region']] }] },
    { statement_id: 2 },
  ];
  const series = (host: string, values: string[]) => `                {
                    "name": "cpu",
                    "tags": {
                        "host": "${host}"
                    },
                    "columns": [
                        "time",
                        "b",
                        "i",
                        "region",
                        "s",
                        "v"
                    ],
                    "values": [
                        [
${values.map((v) => `                            ${v}`).join(',\n')}
                        ]
                    ]
                }`;
  const expected = `{
    "results": [
        {
            "statement_id": 0,
            "series": [
${series('a', ['"1970-01-01T00:00:01Z"', 'true', '5', '"w"', '"x y"', '1'])},
${series('b', ['"1970-01-01T00:00:01.000000123Z"', 'false', '-9223372036854775807', 'null', '"q\\"z"', '1.5'])}
            ]
        },
        {
            "statement_id": 1,
            "series": [
                {
                    "name": "cpu",
                    "columns": [
                        "tagKey"
                    ],
                    "values": [
                        [
                            "host"
                        ],
                        [
                            "region"
                        ]
                    ]
                }
            ]
        },
        {
            "statement_id": 2
        }
    ]
}
`;
  assert.equal(formatV1Json(results, { epochDivisor: undefined, pretty: true }), expected);
  assert.equal(formatV1Error('missing required parameter "q"', true), '{\n    "error": "missing required parameter \\"q\\""\n}\n');
  assert.equal(formatV1Json([], { epochDivisor: undefined, pretty: true }), '{}\n');
});

test('chunked: each series its own piece, at most chunk_size rows, partial on the series that goes on and on every piece but the statement\'s last', () => {
  const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => [BigInt(from + i), i] as Series['values'][number]);
  const a: Series = { name: 'cpu', tags: { host: 'a' }, columns: ['time', 'v'], timeColumn: true, values: rows(3) };
  const b: Series = { name: 'cpu', tags: { host: 'b' }, columns: ['time', 'v'], timeColumn: true, values: rows(1, 10) };
  const shape = (r: StatementResult) => ({ id: r.statement_id, partial: r.partial === true, series: (r.series ?? []).map((s) => `${s.tags?.host}:${s.values.length}${s.partial === true ? '+' : ''}`) });
  // chunk_size=2: host a's three rows in two pieces (the first marked partial), then host b.
  assert.deepEqual([...chunkStatementResult({ statement_id: 0, series: [a, b] }, 2)].map(shape), [
    { id: 0, partial: true, series: ['a:2+'] },
    { id: 0, partial: true, series: ['a:1'] },
    { id: 0, partial: false, series: ['b:1'] },
  ]);
  // chunk_size=3: host a fits one piece exactly, not partial.
  assert.deepEqual([...chunkStatementResult({ statement_id: 0, series: [a, b] }, 3)].map(shape), [
    { id: 0, partial: true, series: ['a:3'] },
    { id: 0, partial: false, series: ['b:1'] },
  ]);
  // Errors and empty results are one piece; a series without rows is one piece.
  assert.deepEqual([...chunkStatementResult({ statement_id: 4, error: 'x' }, 1)], [{ statement_id: 4, error: 'x' }]);
  assert.deepEqual([...chunkStatementResult({ statement_id: 5 }, 1)], [{ statement_id: 5 }]);
  assert.deepEqual([...chunkStatementResult({ statement_id: 6, series: [{ ...b, values: [] }] }, 1)].map(shape), [{ id: 6, partial: false, series: ['b:0'] }]);
  // SHOW TAG KEYS and SHOW TAG VALUES: a document per series, never partial, whatever chunk_size;
  // SHOW DATABASES, SHOW MEASUREMENTS and the like: one document (as influxd 1.6 sends them).
  assert.deepEqual([...chunkStatementResult({ statement_id: 1, series: [a, b] }, 1, 'series')].map(shape), [
    { id: 1, partial: false, series: ['a:3'] },
    { id: 1, partial: false, series: ['b:1'] },
  ]);
  assert.deepEqual([...chunkStatementResult({ statement_id: 2, series: [a, b] }, 1, 'whole')].map(shape), [{ id: 2, partial: false, series: ['a:3', 'b:1'] }]);
  const modes = Object.fromEntries((['select', 'showSeries', 'showFieldKeys', 'showCardinality', 'showTagKeys', 'showTagValues', 'showDatabases', 'showMeasurements', 'showRetentionPolicies', 'createDatabase'] as const).map((k) => [k, chunkModeOf(k)]));
  assert.deepEqual(modes, { select: 'rows', showSeries: 'rows', showFieldKeys: 'rows', showCardinality: 'rows', showTagKeys: 'series', showTagValues: 'series', showDatabases: 'whole', showMeasurements: 'whole', showRetentionPolicies: 'whole', createDatabase: 'whole' });
  // The pieces written as documents are what influxd 1.6 sends with chunked=true&chunk_size=2.
  const docs = [...chunkStatementResult({ statement_id: 0, series: [{ ...a, values: [[S, 1], [1_500_000_000n, 0.1], [2n * S, 1e300]] }] }, 2)].map((r) => formatV1Json([r], { epochDivisor: undefined, pretty: false }));
  assert.deepEqual(docs, [
    '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","v"],"values":[["1970-01-01T00:00:01Z",1],["1970-01-01T00:00:01.5Z",0.1]],"partial":true}],"partial":true}]}\n',
    '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","v"],"values":[["1970-01-01T00:00:02Z",1e+300]]}]}]}\n',
  ]);
});

test('v1 CSV as influxd 1.6 writes it: name,tags,time,… headers, series keys with escapes, ns times, plain-decimal floats, Go quoting', () => {
  const grouped: StatementResult = {
    statement_id: 0,
    series: [
      { name: 'cpu', tags: { host: 'a' }, columns: ['time', 'b', 'i', 'region', 's', 'v'], timeColumn: true, values: [[S, true, 5n, 'w', 'x y', 1], [2n * S, null, 9223372036854775807n, null, null, 1e300]] },
      { name: 'cpu', tags: { host: 'b' }, columns: ['time', 'b', 'i', 'region', 's', 'v'], timeColumn: true, values: [[S + 123n, false, -9223372036854775807n, null, 'q"z', 1.5]] },
    ],
  };
  const databases: StatementResult = { statement_id: 1, series: [{ name: 'databases', columns: ['name'], timeColumn: false, values: [['db0'], ['d1']] }] };
  const tagKeys: StatementResult = { statement_id: 3, series: [{ name: 'cpu', columns: ['tagKey'], timeColumn: false, values: [['host'], ['region']] }, { name: 'mem', columns: ['tagKey'], timeColumn: false, values: [['host']] }] };
  assert.equal(
    formatV1Csv([grouped, databases, { statement_id: 2, error: 'database not found: x' }, tagKeys], undefined),
    `name,tags,time,b,i,region,s,v
cpu,host=a,1000000000,true,5,w,x y,1
cpu,host=a,2000000000,,9223372036854775807,,,1${'0'.repeat(300)}
cpu,host=b,1000000123,false,-9223372036854775807,,"q""z",1.5

name,tags,name
databases,,db0
databases,,d1

name,tags,tagKey
cpu,,host
cpu,,region
mem,,host
`,
  );
  assert.equal(formatV1Csv([{ statement_id: 0, series: [{ name: 'm', columns: ['time', 'v'], timeColumn: true, values: [[1_500_000_123n, 2]] }] }], 1_000_000n), 'name,tags,time,v\nm,,1500,2\n');
  // A header again when the columns change within a statement.
  assert.equal(
    formatV1Csv([{ statement_id: 0, series: [{ name: 'a', columns: ['time', 'x'], timeColumn: true, values: [[1n, 1]] }, { name: 'b', columns: ['time', 'y'], timeColumn: true, values: [[2n, 2]] }] }], undefined),
    'name,tags,time,x\na,,1,1\n\nname,tags,time,y\nb,,2,2\n',
  );
  assert.equal(tagsKey({ u: 'x', t: 'a,b c=d', 'a=k': '1', empty: '' }), 'a\\=k=1,t=a\\,b\\ c\\=d,u=x');
  assert.equal(goCsvField(tagsKey({ u: 'x', t: 'a,b c=d', 'a=k': '1' })), '"a\\=k=1,t=a\\,b\\ c\\=d,u=x"');
  for (const [field, text] of [['', ''], ['a b', 'a b'], [' lead', '" lead"'], ['\\.', '"\\."'], ['l\nf', '"l\nf"'], ['\ufefftrail', '\ufefftrail']] as const) assert.equal(goCsvField(field), text, JSON.stringify(field));
  for (const [v, text] of [[1e21, '1000000000000000000000'], [3e-7, '0.0000003'], [1.25e-10, '0.000000000125'], [-1.5e22, '-15000000000000000000000'], [1.2345678901234569e23, '123456789012345690000000'], [-0, '-0'], [0.1, '0.1']] as const) {
    assert.equal(goFixedFloat(v), text, String(v));
  }
  assert.equal(formatV1CsvError('error parsing query: found SELEC, expected SELECT at line 1, char 1'), 'error\n"error parsing query: found SELEC, expected SELECT at line 1, char 1"\n');
});

test('the v3 flat table: iox::measurement, time, the GROUP BY tags, then columns as they first appear; types per column', () => {
  const table = flattenSeries([
    { name: 'cpu', tags: { host: 'a' }, columns: ['time', 'v', 'n'], timeColumn: true, values: [[S, 1.5, 1n]] },
    { name: 'mem', tags: { host: 'b', Host: 'B' }, columns: ['time', 'v', 'free'], timeColumn: true, values: [[2n * S, 2n, 'x']] },
  ]);
  assert.deepEqual(table.columns, [
    { name: MEASUREMENT_COLUMN, type: 'VARCHAR' },
    { name: 'time', type: 'TIMESTAMP_NS' },
    { name: 'host', type: 'VARCHAR' },
    { name: 'Host', type: 'VARCHAR' },
    { name: 'v', type: 'DOUBLE' },
    { name: 'n', type: 'BIGINT' },
    { name: 'free', type: 'VARCHAR' },
  ]);
  const rows = [...table.rows()].map((r) => r.map((v) => (v !== null && typeof v === 'object' ? String(v) : v)));
  assert.deepEqual(rows, [
    ['cpu', '1970-01-01 00:00:01', 'a', null, 1.5, 1n, null],
    ['mem', '1970-01-01 00:00:02', 'b', 'B', 2, null, 'x'],
  ]);
  assert.equal(table.rowCount, 2);
  // SHOW answers have no time column.
  assert.deepEqual(flattenSeries([{ name: 'measurements', columns: ['name'], timeColumn: false, values: [['cpu']] }]).columns.map((c) => c.name), [MEASUREMENT_COLUMN, 'name']);
});

test('params: 1.x reads integers exactly and floats by their dot, refuses exponents without a dot and non-objects; v3 reads serde numbers', () => {
  assert.deepEqual(parseInfluxQLParams('{"h":"a","n":3,"f":3.0,"b":true,"z":null,"o":{"integer":9007199254740993}} trailing'), { h: 'a', n: 3n, f: 3, b: true, z: null, o: { integer: 9007199254740993n } });
  assert.equal(parseInfluxQLParams(''), undefined);
  assert.equal(parseInfluxQLParams('null'), undefined);
  const refused: Array<[string, string]> = [
    ['{"h":1e5}', 'error parsing json value: strconv.ParseInt: parsing "1e5": invalid syntax'],
    ['{"h":99999999999999999999}', 'error parsing json value: strconv.ParseInt: parsing "99999999999999999999": value out of range'],
    ['[1]', 'error parsing query parameters: json: cannot unmarshal array into Go value of type map[string]interface {}'],
    ['"s"', 'error parsing query parameters: json: cannot unmarshal string into Go value of type map[string]interface {}'],
    ['nope', "error parsing query parameters: invalid character 'n' looking for beginning of value"],
    ['{"a":1', 'error parsing query parameters: unexpected end of JSON input'],
  ];
  for (const [text, message] of refused) assert.throws(() => parseInfluxQLParams(text), (err: unknown) => err instanceof ParamsError && err.message === message, text);
  assert.deepEqual(parseV3Params('{"n":3,"f":3.0,"e":1e2,"big":18446744073709551615}'), { n: 3n, f: 3, e: 100, big: 18446744073709551615n });
  assert.throws(() => parseV3Params('{"n":3} x'), ParamsError);
  assert.deepEqual(parseV3QueryBody('{"db":"d","q":"SELECT 1","format":"csv","params":{"x":2}}'), { db: 'd', q: 'SELECT 1', format: 'csv', params: { x: 2n } });
  assert.throws(() => parseV3QueryBody('[]'), ParamsError);
});
