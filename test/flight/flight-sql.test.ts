/**
 * Arrow Flight SQL against a real Sluice server on loopback, through the tests' own client
 * (test/support/flight-sql-client.ts: the published Flight.proto / FlightSql.proto, @grpc/grpc-js's
 * generic client, answers decoded with apache-arrow). Seeded points of every field type, some in
 * Parquet and some in the buffer, are read back value by value through the metadata commands,
 * statements, prepared statements with parameters, and InfluxDB 3's JSON tickets (SQL and
 * InfluxQL); failures must arrive as the right gRPC status codes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Bool, DataType, Float64, Int64, Table, TimeUnit, Uint64, Utf8, vectorFromArray, type Schema, type Timestamp } from 'apache-arrow';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { TokenStore } from '../../src/server/auth.js';
import { SLUICE_VERSION, SluiceServer } from '../../src/server/http.js';
import { tempDatabase } from '../support/db-helpers.js';
import { anyTypeUrl, decodeSql, FlightSqlClient, grpc, isStatus, packAny, readSchema, SQL_TYPE_URL_PREFIX, type FlightData } from '../support/flight-sql-client.js';

const seed = testSeed();
console.log(`# flight sql seed=${seed} (replay with SEED=${seed})`);
const rng = new SeededRng(seed);

// ---- the data ----------------------------------------------------------------------------------

type Kind = 'tag' | 'float' | 'integer' | 'uinteger' | 'string' | 'boolean';
type Cell = string | number | bigint | boolean | null;
type Row = Record<string, Cell>;

interface TableModel {
  name: string;
  columns: Record<string, Kind>;
  rows: Row[];
}

const ARROW_TYPE: Record<Kind | 'time', string> = {
  tag: 'Utf8',
  float: 'Float64',
  integer: 'Int64',
  uinteger: 'Uint64',
  string: 'Utf8',
  boolean: 'Bool',
  time: 'Timestamp<NANOSECOND>',
};
const IOX_TYPE: Record<Kind | 'time', string> = {
  tag: 'iox::column_type::tag',
  float: 'iox::column_type::field::float',
  integer: 'iox::column_type::field::integer',
  uinteger: 'iox::column_type::field::uinteger',
  string: 'iox::column_type::field::string',
  boolean: 'iox::column_type::field::boolean',
  time: 'iox::column_type::timestamp',
};

const pick = <T>(xs: readonly T[]): T => xs[rng.nextInt(xs.length)]!;
const u64 = (): bigint => (BigInt(rng.nextU32()) << 32n) | BigInt(rng.nextU32());

function randomFloat(): number {
  switch (rng.nextInt(4)) {
    case 0:
      return (rng.nextInt(2_000_001) - 1_000_000) / 1000;
    case 1:
      return pick([0, 1, -1.5, 0.1, 5e-324, 1.7976931348623157e308, -2.2250738585072014e-308, 123456789.98765433]);
    default: {
      // Any finite double but -0, from random bits: every digit must survive LP, Parquet and Arrow.
      for (;;) {
        const view = new DataView(new ArrayBuffer(8));
        view.setUint32(0, rng.nextU32());
        view.setUint32(4, rng.nextU32());
        const x = view.getFloat64(0);
        if (Number.isFinite(x) && !Object.is(x, -0)) return x;
      }
    }
  }
}

function randomInt(): bigint {
  return rng.nextInt(5) === 0 ? pick([-(1n << 63n), (1n << 63n) - 1n, 0n, -1n]) : BigInt.asIntN(64, u64()) >> BigInt(rng.nextInt(64));
}

function randomUint(): bigint {
  return rng.nextInt(5) === 0 ? pick([(1n << 64n) - 1n, 0n, 1n << 63n]) : u64() >> BigInt(rng.nextInt(64));
}

const STRING_CHARS = ['a', 'b', 'Z', '0', ' ', ',', '=', '"', '\\', "'", 'é', 'ß', '日', '本', '🚀', '\t', '{', '}'];
function randomString(): string {
  let s = '';
  for (let n = rng.nextInt(14); n > 0; n--) s += pick(STRING_CHARS);
  return s;
}

const HOSTS = ['h0', 'h1', 'h2', 'eu west', 'us,east', 'k=v', 'ünï', '日本'];
const REGIONS = ['us-east-1', 'eu central', 'ap,south'];

/** Distinct, increasing timestamps in ns, with sub-microsecond digits. */
let clockNs = 1_700_000_000_000_000_000n + BigInt(rng.nextInt(1_000_000_000));
const nextTime = (): bigint => (clockNs += 1_000_003n + BigInt(rng.nextInt(1000)));

const maybe = <T>(p: number, make: () => T): T | null => (rng.nextFloat() < p ? null : make());

function cpuRow(): Row {
  return {
    host: pick(HOSTS),
    region: maybe(0.2, () => pick(REGIONS)),
    usage: randomFloat(),
    count: maybe(0.1, randomInt),
    bytes: maybe(0.1, randomUint),
    note: maybe(0.2, randomString),
    ok: maybe(0.1, () => rng.nextInt(2) === 0),
    time: nextTime(),
  };
}

const cpu: TableModel = { name: 'cpu', columns: { host: 'tag', region: 'tag', usage: 'float', count: 'integer', bytes: 'uinteger', note: 'string', ok: 'boolean' }, rows: [] };
const mem: TableModel = { name: 'mem', columns: { host: 'tag', free: 'integer', used: 'float' }, rows: [] };
const diskIo: TableModel = { name: 'disk_io', columns: { dev: 'tag', reads: 'uinteger', healthy: 'boolean', label: 'string' }, rows: [] };
const diskSpace: TableModel = { name: 'disk_space', columns: { dev: 'tag', pct: 'float' }, rows: [] };
const diskio: TableModel = { name: 'diskio', columns: { v: 'integer' }, rows: [] };
const weather: TableModel = { name: 'weather', columns: { station: 'tag', temp: 'float' }, rows: [] };

const DB = 'fsql';
const OTHER_DB = 'otherdb';

const escapeTag = (s: string) => s.replace(/[,= \\]/g, (c) => `\\${c}`);
const escapeString = (s: string) => s.replace(/["\\]/g, (c) => `\\${c}`);

function lpLine(model: TableModel, row: Row): string {
  let line = model.name;
  for (const [name, kind] of Object.entries(model.columns)) if (kind === 'tag' && row[name] !== null) line += `,${name}=${escapeTag(row[name] as string)}`;
  const fields: string[] = [];
  for (const [name, kind] of Object.entries(model.columns)) {
    const v = row[name];
    if (kind === 'tag' || v === null || v === undefined) continue;
    if (kind === 'float') fields.push(`${name}=${String(v)}`);
    else if (kind === 'integer') fields.push(`${name}=${v}i`);
    else if (kind === 'uinteger') fields.push(`${name}=${v}u`);
    else if (kind === 'string') fields.push(`${name}="${escapeString(v as string)}"`);
    else fields.push(`${name}=${v ? 'true' : 'false'}`);
  }
  return `${line} ${fields.join(',')} ${row.time}`;
}

const lp = (model: TableModel, rows: Row[]) => Buffer.from(rows.map((r) => lpLine(model, r)).join('\n'));

function addRows(model: TableModel, n: number, make: () => Row): Row[] {
  const rows = Array.from({ length: n }, make);
  model.rows.push(...rows);
  return rows;
}

// ---- reading answers ---------------------------------------------------------------------------

/** A column's values: timestamps as exact ns bigints (apache-arrow's getter rounds them to ms). */
function cells(table: Table, name: string): Cell[] {
  const vector = table.getChild(name);
  assert.ok(vector !== null, `the answer has no column ${JSON.stringify(name)} (it has ${table.schema.fields.map((f) => f.name).join(', ')})`);
  const out: Cell[] = [];
  if (DataType.isTimestamp(vector.type)) {
    assert.equal((vector.type as Timestamp).unit, TimeUnit.NANOSECOND, `${name} is in ns`);
    for (const data of vector.data) for (let i = 0; i < data.length; i++) out.push(data.getValid(i) ? (data.values as BigInt64Array)[i]! : null);
    return out;
  }
  for (let i = 0; i < vector.length; i++) out.push(vector.get(i) as Cell);
  return out;
}

/** The answer's rows, column by column, equal `expected`'s (missing cells are null). */
function assertRows(table: Table, expected: readonly Row[], columns: readonly string[], what: string): void {
  assert.equal(table.numRows, expected.length, `${what}: row count`);
  for (const name of columns) {
    const want = expected.map((r) => (r[name] === undefined ? null : r[name]!));
    const got = cells(table, name);
    for (let i = 0; i < want.length; i++) {
      if (!Object.is(got[i], want[i])) assert.fail(`${what}: column ${name} row ${i}: got ${describeCell(got[i])}, wrote ${describeCell(want[i])}`);
    }
  }
}

const describeCell = (v: Cell | undefined) => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v));

/** Each field of `schema` is a column of `model` (or time) with its Arrow type and InfluxDB 3's column-type metadata. */
function assertTableSchema(schema: Schema, model: TableModel, columns: readonly string[], what: string): void {
  assert.deepEqual(
    schema.fields.map((f) => f.name),
    [...columns],
    `${what}: columns`,
  );
  for (const f of schema.fields) {
    const kind = f.name === 'time' ? 'time' : model.columns[f.name];
    assert.ok(kind !== undefined, `${what}: unexpected column ${f.name}`);
    assert.equal(String(f.type), ARROW_TYPE[kind], `${what}: type of ${f.name}`);
    if (kind === 'time') {
      assert.equal((f.type as Timestamp).timezone ?? null, null, `${what}: time has no zone`);
      assert.equal(f.nullable, false, `${what}: time is not nullable`);
    } else assert.equal(f.nullable, true, `${what}: ${f.name} is nullable`);
    assert.equal(f.metadata.get('iox::column::type'), IOX_TYPE[kind], `${what}: iox::column::type of ${f.name}`);
  }
}

/** A schema as comparable data: names, types, nullability and metadata, in order. */
const signature = (schema: Schema) => schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable, metadata: Object.fromEntries(f.metadata) }));

const sortedColumns = (model: TableModel) => [...Object.keys(model.columns), 'time'].sort();
const byTime = (a: Row, b: Row) => ((a.time as bigint) < (b.time as bigint) ? -1 : 1);

const jsonTicket = (value: Record<string, unknown>) => Buffer.from(JSON.stringify(value));
const statement = (query: string) => packAny('CommandStatementQuery', { query });
/** DoPut and Handshake end when the client half-closes: a short deadline turns a server that never answers into a failure, not a hang. */
const PUT = { deadlineMs: 4_000 };

// ---- the server --------------------------------------------------------------------------------

let env: Awaited<ReturnType<typeof tempDatabase>>;
let server: SluiceServer;
let token: string;
let port: number;
let client: FlightSqlClient;

describe('Flight SQL over gRPC', () => {
  before(async () => {
    env = await tempDatabase();
    const tokens = await TokenStore.open(env.store, 'node1');
    token = await tokens.create('_admin', true);
    // One query at a time: a query slot that a call fails to give back shows at the next query.
    server = new SluiceServer({ db: env.db, tokens, maxConcurrentQueries: 1, queryQueueTimeoutMs: 3_000 });
    ({ port } = await server.listen('127.0.0.1', 0));
    client = new FlightSqlClient(`127.0.0.1:${port}`, { token, database: DB });

    // Parquet: the first cpu rows, all of mem, the other database.
    await env.db.writer.writeLp(DB, lp(cpu, addRows(cpu, 90, cpuRow)), { precision: 'ns' });
    await env.db.writer.writeLp(DB, lp(mem, addRows(mem, 40, () => ({ host: pick(HOSTS), free: randomInt(), used: randomFloat(), time: nextTime() }))), { precision: 'ns' });
    await env.db.writer.writeLp(OTHER_DB, lp(weather, addRows(weather, 12, () => ({ station: pick(['oslo', 'lima']), temp: randomFloat(), time: nextTime() }))), { precision: 'ns' });
    await env.db.snapshotNow();
    // The buffer: more cpu rows, the disk tables (disk_io through the HTTP write API on the same port).
    await env.db.writer.writeLp(DB, lp(cpu, addRows(cpu, 110, cpuRow)), { precision: 'ns' });
    const diskIoRows = addRows(diskIo, 30, () => ({ dev: pick(['sda', 'sdb', 'nvme0n1']), reads: maybe(0.2, randomUint), healthy: maybe(0.2, () => rng.nextInt(2) === 0), label: randomString(), time: nextTime() }));
    const res = await fetch(`http://127.0.0.1:${port}/api/v3/write_lp?db=${DB}&precision=nanosecond`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: lp(diskIo, diskIoRows) });
    assert.equal(res.status, 204, await res.text());
    await env.db.writer.writeLp(DB, lp(diskSpace, addRows(diskSpace, 5, () => ({ dev: pick(['sda', 'sdb']), pct: randomFloat(), time: nextTime() }))), { precision: 'ns' });
    await env.db.writer.writeLp(DB, lp(diskio, addRows(diskio, 3, () => ({ v: randomInt(), time: nextTime() }))), { precision: 'ns' });

    // Both sources hold cpu rows.
    const database = env.db.catalog.database(DB)!;
    const cpuTable = [...database.tables.values()].find((t) => t.name === 'cpu')!;
    assert.ok(env.db.persistedFiles.filesOf(database.id, cpuTable.id).length > 0, 'cpu rows in Parquet');
    assert.ok(env.db.buffer.getStats().rows > 0, 'rows in the buffer');
  });

  after(async () => {
    client?.close();
    await server?.close();
    await env?.cleanup();
  });

  // ---- 1. metadata commands --------------------------------------------------------------------

  test('CommandGetCatalogs: FlightInfo with the fixed schema, then one catalog', async () => {
    const cmd = packAny('CommandGetCatalogs');
    const { info, schema, table } = await client.query(cmd);
    assert.deepEqual(signature(readSchema(info.schema)), [{ name: 'catalog_name', type: 'Utf8', nullable: false, metadata: {} }]);
    assert.deepEqual(signature(schema), signature(readSchema(info.schema)), 'the answer has the schema FlightInfo announced');
    assert.equal(info.flight_descriptor?.type, 'CMD');
    assert.deepEqual(info.flight_descriptor?.cmd, cmd, 'FlightInfo names the descriptor it answers');
    assert.equal(info.endpoint.length, 1);
    assert.deepEqual(cells(table, 'catalog_name'), ['public']);
  });

  test('CommandGetDbSchemas: the schema, with and without filters', async () => {
    const all = await client.query(packAny('CommandGetDbSchemas'));
    assert.deepEqual(signature(readSchema(all.info.schema)), [
      { name: 'catalog_name', type: 'Utf8', nullable: true, metadata: {} },
      { name: 'db_schema_name', type: 'Utf8', nullable: false, metadata: {} },
    ]);
    assert.deepEqual(signature(all.schema), signature(readSchema(all.info.schema)));
    assert.deepEqual([cells(all.table, 'catalog_name'), cells(all.table, 'db_schema_name')], [['public'], ['iox']]);

    for (const [filter, expected] of [
      [{ db_schema_filter_pattern: 'io%' }, ['iox']],
      [{ db_schema_filter_pattern: 'i_x' }, ['iox']],
      [{ db_schema_filter_pattern: '%' }, ['iox']],
      [{ db_schema_filter_pattern: 'public' }, []],
      [{ db_schema_filter_pattern: 'io' }, []],
      [{ catalog: 'public' }, ['iox']],
      [{ catalog: 'elsewhere' }, []],
    ] as const) {
      const r = await client.query(packAny('CommandGetDbSchemas', filter));
      assert.deepEqual(signature(r.schema), signature(all.schema), `schema with ${JSON.stringify(filter)}`);
      assert.deepEqual(cells(r.table, 'db_schema_name'), [...expected], `schemas with ${JSON.stringify(filter)}`);
    }
  });

  test('CommandGetTables: the header database’s tables, LIKE patterns, table types', async () => {
    const all = await client.query(packAny('CommandGetTables'));
    assert.deepEqual(signature(readSchema(all.info.schema)), [
      { name: 'catalog_name', type: 'Utf8', nullable: true, metadata: {} },
      { name: 'db_schema_name', type: 'Utf8', nullable: true, metadata: {} },
      { name: 'table_name', type: 'Utf8', nullable: false, metadata: {} },
      { name: 'table_type', type: 'Utf8', nullable: false, metadata: {} },
    ]);
    assert.deepEqual(signature(all.schema), signature(readSchema(all.info.schema)));
    const names = ['cpu', 'disk_io', 'disk_space', 'diskio', 'mem'];
    assert.deepEqual(cells(all.table, 'table_name'), names);
    assert.deepEqual(cells(all.table, 'catalog_name'), names.map(() => 'public'));
    assert.deepEqual(cells(all.table, 'db_schema_name'), names.map(() => 'iox'));
    assert.deepEqual(cells(all.table, 'table_type'), names.map(() => 'BASE TABLE'));

    for (const [filter, expected] of [
      [{ table_name_filter_pattern: 'disk%' }, ['disk_io', 'disk_space', 'diskio']],
      [{ table_name_filter_pattern: 'disk_%' }, ['disk_io', 'disk_space', 'diskio']],
      [{ table_name_filter_pattern: 'disk\\_%' }, ['disk_io', 'disk_space']],
      [{ table_name_filter_pattern: 'c_u' }, ['cpu']],
      [{ table_name_filter_pattern: '%e%' }, ['disk_space', 'mem']],
      [{ table_name_filter_pattern: 'cpu_' }, []],
      [{ table_name_filter_pattern: 'weather' }, []],
      [{ db_schema_filter_pattern: 'iox', table_name_filter_pattern: 'mem' }, ['mem']],
      [{ db_schema_filter_pattern: 'other' }, []],
      [{ catalog: 'public', table_types: ['BASE TABLE'] }, names],
      [{ table_types: ['VIEW'] }, []],
    ] as const) {
      const r = await client.query(packAny('CommandGetTables', filter));
      assert.deepEqual(cells(r.table, 'table_name'), [...expected], `tables with ${JSON.stringify(filter)}`);
    }

    // The database is the header's.
    const other = await client.query(packAny('CommandGetTables'), { database: OTHER_DB });
    assert.deepEqual(cells(other.table, 'table_name'), ['weather']);
    await assert.rejects(client.query(packAny('CommandGetTables'), { database: 'no_such_db' }), isStatus(grpc.status.NOT_FOUND));
  });

  test('CommandGetTables include_schema: each table’s Arrow schema with InfluxDB 3’s column types', async () => {
    const cmd = packAny('CommandGetTables', { include_schema: true });
    const r = await client.query(cmd);
    const expectedSchema = [
      { name: 'catalog_name', type: 'Utf8', nullable: true, metadata: {} },
      { name: 'db_schema_name', type: 'Utf8', nullable: true, metadata: {} },
      { name: 'table_name', type: 'Utf8', nullable: false, metadata: {} },
      { name: 'table_type', type: 'Utf8', nullable: false, metadata: {} },
      { name: 'table_schema', type: 'Binary', nullable: false, metadata: {} },
    ];
    assert.deepEqual(signature(readSchema(r.info.schema)), expectedSchema);
    assert.deepEqual(signature(r.schema), expectedSchema);
    assert.deepEqual(signature(await client.getSchema(cmd)), expectedSchema, 'GetSchema of the command');
    const models = new Map([cpu, mem, diskIo, diskSpace, diskio].map((m) => [m.name, m]));
    const names = cells(r.table, 'table_name') as string[];
    assert.deepEqual(names, [...models.keys()].sort());
    const schemas = r.table.getChild('table_schema')!;
    names.forEach((name, i) => {
      const schema = readSchema(schemas.get(i) as Uint8Array);
      const model = models.get(name)!;
      const columns = schema.fields.map((f) => f.name);
      assert.deepEqual([...columns].sort(), sortedColumns(model), `${name}: the table's columns`);
      assertTableSchema(schema, model, columns, `table_schema of ${name}`);
    });

    // Pattern and schema together.
    const one = await client.query(packAny('CommandGetTables', { include_schema: true, table_name_filter_pattern: 'disk\\_io' }));
    assert.deepEqual(cells(one.table, 'table_name'), ['disk_io']);
    const s = readSchema(one.table.getChild('table_schema')!.get(0) as Uint8Array);
    assertTableSchema(s, diskIo, s.fields.map((f) => f.name), 'table_schema of disk_io');
  });

  test('CommandGetTables include_schema: table_schema is the schema SELECT * answers (same columns, same order)', async () => {
    const r = await client.query(packAny('CommandGetTables', { include_schema: true }));
    const names = cells(r.table, 'table_name') as string[];
    for (let i = 0; i < names.length; i++) {
      const listed = readSchema(r.table.getChild('table_schema')!.get(i) as Uint8Array);
      const selected = await client.getSchema(statement(`SELECT * FROM "${names[i]}"`));
      assert.deepEqual(signature(listed), signature(selected), `${names[i]}: CommandGetTables' table_schema and the schema of SELECT *`);
    }
  });

  test('CommandGetTableTypes: one type, the one tables are listed with', async () => {
    const r = await client.query(packAny('CommandGetTableTypes'));
    assert.deepEqual(signature(readSchema(r.info.schema)), [{ name: 'table_type', type: 'Utf8', nullable: false, metadata: {} }]);
    assert.deepEqual(signature(r.schema), signature(readSchema(r.info.schema)));
    assert.deepEqual(cells(r.table, 'table_type'), ['BASE TABLE']);
  });

  test('CommandGetSqlInfo: the dense-union schema, every value, and a chosen subset', async () => {
    const all = await client.query(packAny('CommandGetSqlInfo'));
    for (const schema of [readSchema(all.info.schema), all.schema]) {
      assert.deepEqual(
        schema.fields.map((f) => [f.name, f.nullable]),
        [
          ['info_name', false],
          ['value', false],
        ],
      );
      assert.equal(String(schema.fields[0]!.type), 'Uint32');
      const union = schema.fields[1]!.type;
      assert.ok(DataType.isDenseUnion(union), `value is a dense union, not ${String(union)}`);
      assert.deepEqual(
        union.children.map((c) => c.name),
        ['string_value', 'bool_value', 'bigint_value', 'int32_bitmask', 'string_list', 'int32_to_int32_list_map'],
      );
      assert.deepEqual([...union.typeIds], [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(
        union.children.slice(0, 4).map((c) => String(c.type)),
        ['Utf8', 'Bool', 'Int64', 'Int32'],
      );
      assert.ok(DataType.isList(union.children[4]!.type) && String(union.children[4]!.type.children[0]!.type) === 'Utf8', 'string_list is list<utf8>');
      assert.ok(DataType.isMap(union.children[5]!.type), 'int32_to_int32_list_map is a map');
    }
    const ids = cells(all.table, 'info_name') as number[];
    assert.equal(new Set(ids).size, ids.length, 'each id once');
    const values = new Map(ids.map((id, i) => [id, all.table.getChild('value')!.get(i) as unknown]));
    assert.equal(values.get(0), 'Sluice', 'FLIGHT_SQL_SERVER_NAME');
    assert.equal(values.get(1), SLUICE_VERSION, 'FLIGHT_SQL_SERVER_VERSION');
    assert.equal(values.get(3), true, 'FLIGHT_SQL_SERVER_READ_ONLY');
    assert.equal(values.get(4), true, 'FLIGHT_SQL_SERVER_SQL');
    assert.equal(values.get(504), '"', 'SQL_IDENTIFIER_QUOTE_CHAR');

    const subset = await client.query(packAny('CommandGetSqlInfo', { info: [0, 1, 3] }));
    assert.deepEqual(signature(subset.schema), signature(all.schema));
    const subsetIds = cells(subset.table, 'info_name') as number[];
    assert.deepEqual([...subsetIds].sort((a, b) => a - b), [0, 1, 3], 'exactly the ids asked for');
    assert.deepEqual(
      new Map(subsetIds.map((id, i) => [id, subset.table.getChild('value')!.get(i) as unknown])),
      new Map<number, unknown>([
        [0, 'Sluice'],
        [1, SLUICE_VERSION],
        [3, true],
      ]),
    );
  });

  // ---- 2. statements ---------------------------------------------------------------------------

  test('CommandStatementQuery: every row of every table, Parquet and buffer, value by value and typed', async () => {
    for (const model of [cpu, mem, diskIo, diskSpace, diskio]) {
      const { info, schema, table } = await client.query(statement(`SELECT * FROM "${model.name}" ORDER BY time`));
      assert.equal(anyTypeUrl(info.endpoint[0]!.ticket!.ticket), `${SQL_TYPE_URL_PREFIX}TicketStatementQuery`, 'the ticket is a TicketStatementQuery');
      const columns = schema.fields.map((f) => f.name);
      assert.deepEqual([...columns].sort(), sortedColumns(model), `${model.name}: SELECT * columns`);
      assertTableSchema(schema, model, columns, `${model.name} answer`);
      assert.deepEqual(signature(readSchema(info.schema)), signature(schema), `${model.name}: FlightInfo's schema is the answer's`);
      assertRows(table, [...model.rows].sort(byTime), columns, model.name);
    }
    const other = await client.query(statement('SELECT * FROM weather ORDER BY time'), { database: OTHER_DB });
    assertRows(other.table, weather.rows, sortedColumns(weather), 'weather');
  });

  test('names as BI tools write them (public.iox.t), SHOW TABLES and the system tables through Flight SQL', async () => {
    const qualified = await client.query(statement('SELECT count(*) AS n FROM "public"."iox"."cpu"'));
    assert.equal(qualified.table.getChild('n')!.get(0), BigInt(cpu.rows.length));
    const tables = await client.query(statement("SELECT table_name FROM information_schema.tables WHERE table_schema = 'iox' ORDER BY table_name"));
    const expected = [...env.db.catalog.database(DB)!.tables.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.ok(expected.includes('cpu') && expected.includes('mem'));
    assert.deepEqual(tables.table.getChild('table_name')!.toArray(), expected);
    const show = await client.query(statement('SHOW COLUMNS FROM cpu'));
    assert.deepEqual(show.schema.fields.map((f) => f.name), ['table_catalog', 'table_schema', 'table_name', 'column_name', 'data_type', 'is_nullable']);
    const system = await client.query(statement("SELECT table_name, buffered_rows + persisted_rows AS n FROM system.tables WHERE table_name = 'cpu'"));
    assert.equal(system.table.getChild('n')!.get(0), BigInt(cpu.rows.length));
    // GetFlightInfo only plans it (not logged); DoGet runs it: one entry.
    const queries = await client.query(statement(`SELECT phase FROM system.queries WHERE query_text = 'SELECT count(*) AS n FROM "public"."iox"."cpu"'`));
    assert.deepEqual(queries.table.getChild('phase')!.toArray(), ['success'], 'the Flight query is in system.queries once');
  });

  test('CommandStatementQuery: projections, filters, aggregates, empty answers and many batches', async () => {
    const host = cpu.rows[0]!.host as string;
    const q1 = await client.query(statement(`SELECT time, note, usage FROM cpu WHERE host = '${host.replaceAll("'", "''")}' ORDER BY time`));
    assertTableSchema(q1.schema, cpu, ['time', 'note', 'usage'], 'projection');
    assertRows(q1.table, cpu.rows.filter((r) => r.host === host), ['time', 'note', 'usage'], `cpu of ${host}`);

    const q2 = await client.query(statement('SELECT host, count(*) AS n, count(note) AS notes FROM cpu GROUP BY host ORDER BY host'));
    assert.deepEqual(signature(q2.schema), [
      { name: 'host', type: 'Utf8', nullable: true, metadata: { 'iox::column::type': 'iox::column_type::tag' } },
      { name: 'n', type: 'Int64', nullable: true, metadata: {} },
      { name: 'notes', type: 'Int64', nullable: true, metadata: {} },
    ]);
    const hosts = [...new Set(cpu.rows.map((r) => r.host as string))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assertRows(
      q2.table,
      hosts.map((h) => ({ host: h, n: BigInt(cpu.rows.filter((r) => r.host === h).length), notes: BigInt(cpu.rows.filter((r) => r.host === h && r.note !== null).length) })),
      ['host', 'n', 'notes'],
      'counts by host',
    );

    const empty = await client.query(statement('SELECT * FROM cpu WHERE usage IS NULL'));
    assert.equal(empty.table.numRows, 0);
    assertTableSchema(empty.schema, cpu, empty.schema.fields.map((f) => f.name), 'an empty answer still has its schema');

    const many = await client.query(statement('SELECT range AS i FROM range(20000)'));
    assert.ok(many.batches.length > 1, `20 000 rows in several batches (got ${many.batches.length})`);
    const is = cells(many.table, 'i');
    assert.equal(is.length, 20_000);
    assert.ok(is.every((v, k) => v === BigInt(k)), 'every row, in order');
  });

  test('GetSchema and GetFlightInfo of a statement: the answer’s schema from its plan, the statement not run', async () => {
    const schema = await client.getSchema(statement('SELECT * FROM cpu'));
    const columns = schema.fields.map((f) => f.name);
    assert.deepEqual([...columns].sort(), sortedColumns(cpu));
    assertTableSchema(schema, cpu, columns, 'GetSchema');
    const answer = await client.query(statement('SELECT * FROM cpu LIMIT 1'));
    assert.deepEqual(signature(schema), signature(answer.schema));
    const expr = await client.getSchema(statement('SELECT usage * 2 AS twice, host FROM cpu'));
    assert.deepEqual(signature(expr), [
      { name: 'twice', type: 'Float64', nullable: true, metadata: {} },
      { name: 'host', type: 'Utf8', nullable: true, metadata: { 'iox::column::type': 'iox::column_type::tag' } },
    ]);
    // A statement that fails only when it runs (the cast of 'x'): its schema is still known, so
    // neither call ran it; DoGet, which runs it, is the one that fails.
    const failsWhenRun = statement("SELECT usage + 'x' AS bad FROM cpu");
    assert.deepEqual(signature(await client.getSchema(failsWhenRun)), [{ name: 'bad', type: 'Float64', nullable: true, metadata: {} }]);
    const info = await client.getFlightInfo(failsWhenRun);
    assert.deepEqual(signature(readSchema(info.schema)), [{ name: 'bad', type: 'Float64', nullable: true, metadata: {} }]);
    await assert.rejects(client.query(failsWhenRun), isStatus(grpc.status.INVALID_ARGUMENT));
  });

  // ---- 3. prepared statements ------------------------------------------------------------------

  test('prepared statement with $1/$2: create, bind with DoPut, GetFlightInfo, DoGet, rebind, close', async () => {
    const actions = await client.listActions();
    assert.ok(actions.some((a) => a.type === 'CreatePreparedStatement') && actions.some((a) => a.type === 'ClosePreparedStatement'), 'ListActions lists the prepared-statement actions');

    const prepared = await client.prepare('SELECT * FROM cpu WHERE host = $1 AND usage > $2 ORDER BY time');
    assert.ok(prepared.prepared_statement_handle.length > 0, 'a handle');
    let handle = prepared.prepared_statement_handle;
    const cmd = () => packAny('CommandPreparedStatementQuery', { prepared_statement_handle: handle });

    const bindAndRun = async (params: Table, expected: Row[], what: string) => {
      const put = await client.bind(handle, params, PUT);
      assert.equal(put.length, 1, `${what}: one PutResult`);
      const result = decodeSql<{ prepared_statement_handle?: Buffer | null }>('DoPutPreparedStatementResult', put[0]!.app_metadata);
      // A server may hand back a new handle for the bound statement: a client uses it from then on.
      if (result.prepared_statement_handle != null && result.prepared_statement_handle.length > 0) handle = result.prepared_statement_handle;
      const r = await client.query(cmd());
      const columns = r.schema.fields.map((f) => f.name);
      assert.deepEqual([...columns].sort(), sortedColumns(cpu), `${what}: columns`);
      assertTableSchema(r.schema, cpu, columns, what);
      assert.deepEqual(signature(readSchema(r.info.schema)), signature(r.schema), `${what}: FlightInfo's schema is the answer's`);
      assertRows(r.table, expected, columns, what);
    };

    for (const host of [cpu.rows[0]!.host as string, cpu.rows[cpu.rows.length - 1]!.host as string]) {
      const usages = cpu.rows.filter((r) => r.host === host).map((r) => r.usage as number).sort((a, b) => a - b);
      const threshold = usages[Math.floor(usages.length / 2)]!;
      const expected = cpu.rows.filter((r) => r.host === host && (r.usage as number) > threshold);
      const params = new Table({ $1: vectorFromArray([host], new Utf8()), $2: vectorFromArray([threshold], new Float64()) });
      await bindAndRun(params, expected, `host=${host} usage>${threshold}`);
    }

    // The ticket of the last answer, for after the close.
    const info = await client.getFlightInfo(cmd());
    const ticket = info.endpoint[0]!.ticket!.ticket;
    assert.deepEqual(await client.closePrepared(handle), []);
    await assert.rejects(client.doGet(ticket), isStatus(grpc.status.NOT_FOUND));
    await assert.rejects(client.getFlightInfo(cmd()), isStatus(grpc.status.NOT_FOUND));
    await assert.rejects(client.bind(handle, new Table({ $1: vectorFromArray(['h0'], new Utf8()), $2: vectorFromArray([0], new Float64()) }), PUT), isStatus(grpc.status.NOT_FOUND));
  });

  test('prepared statement with integer, boolean and unsigned parameters', async () => {
    const counts = cpu.rows.filter((r) => r.count !== null).map((r) => r.count as bigint).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const countThreshold = counts[Math.floor(counts.length / 3)]!;
    const p1 = await client.prepare('SELECT time, count, ok FROM cpu WHERE count > $1 AND ok = $2 ORDER BY time');
    await client.bind(p1.prepared_statement_handle, new Table({ a: vectorFromArray([countThreshold], new Int64()), b: vectorFromArray([true], new Bool()) }), PUT);
    const r1 = await client.query(packAny('CommandPreparedStatementQuery', { prepared_statement_handle: p1.prepared_statement_handle }));
    assertRows(r1.table, cpu.rows.filter((r) => r.count !== null && (r.count as bigint) > countThreshold && r.ok === true), ['time', 'count', 'ok'], `count>${countThreshold} and ok`);
    await client.closePrepared(p1.prepared_statement_handle);

    const bytes = cpu.rows.filter((r) => r.bytes !== null).map((r) => r.bytes as bigint).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const bytesThreshold = bytes[Math.floor(bytes.length / 2)]!;
    const p2 = await client.prepare('SELECT time, bytes FROM cpu WHERE bytes >= $1 ORDER BY time');
    await client.bind(p2.prepared_statement_handle, new Table({ a: vectorFromArray([bytesThreshold], new Uint64()) }), PUT);
    const r2 = await client.query(packAny('CommandPreparedStatementQuery', { prepared_statement_handle: p2.prepared_statement_handle }));
    assertRows(r2.table, cpu.rows.filter((r) => r.bytes !== null && (r.bytes as bigint) >= bytesThreshold), ['time', 'bytes'], `bytes>=${bytesThreshold}`);
    await client.closePrepared(p2.prepared_statement_handle);
  });

  test('prepared statement without parameters: its dataset schema at once, then run without DoPut', async () => {
    const prepared = await client.prepare('SELECT host, usage, time FROM cpu ORDER BY time');
    const declared = readSchema(prepared.dataset_schema);
    assertTableSchema(declared, cpu, ['host', 'usage', 'time'], 'dataset_schema');
    const cmd = packAny('CommandPreparedStatementQuery', { prepared_statement_handle: prepared.prepared_statement_handle });
    for (let run = 0; run < 2; run++) {
      const r = await client.query(cmd);
      assert.deepEqual(signature(r.schema), signature(declared), 'the answer has the declared schema');
      assertRows(r.table, cpu.rows, ['host', 'usage', 'time'], `run ${run}`);
    }
    assert.deepEqual(signature(await client.getSchema(cmd)), signature(declared), 'GetSchema of the prepared statement');
    await client.closePrepared(prepared.prepared_statement_handle);
    await assert.rejects(client.query(cmd), isStatus(grpc.status.NOT_FOUND));
  });

  test('CreatePreparedStatement refuses a statement that cannot run: INVALID_ARGUMENT at once, no handle', async () => {
    for (const query of ['SELEC host FROM cpu', 'SELECT * FROM no_such_table', 'SELECT nope FROM cpu', 'SELECT nope FROM cpu WHERE host = $1', "SELECT usage + 'x' FROM cpu"]) {
      await assert.rejects(client.prepare(query), isStatus(grpc.status.INVALID_ARGUMENT), query);
    }
    // Only an unbound parameter waits for DoPut.
    const ok = await client.prepare('SELECT usage FROM cpu WHERE host = $1');
    assert.ok(ok.prepared_statement_handle.length > 0);
    await client.closePrepared(ok.prepared_statement_handle);
  });

  // ---- 4. InfluxDB 3's JSON tickets ------------------------------------------------------------

  test('JSON ticket (sql): DoGet straight away, database from the ticket, with named params', async () => {
    const r = await client.doGet(jsonTicket({ database: DB, sql_query: 'SELECT * FROM mem ORDER BY time', query_type: 'sql' }), { database: null });
    const columns = r.schema.fields.map((f) => f.name);
    assert.deepEqual([...columns].sort(), sortedColumns(mem));
    assertTableSchema(r.schema, mem, columns, 'mem via JSON ticket');
    assertRows(r.table, mem.rows, columns, 'mem via JSON ticket');

    const host = cpu.rows[1]!.host as string;
    const p = await client.doGet(jsonTicket({ database: DB, sql_query: 'SELECT time, bytes, ok FROM cpu WHERE host = $host ORDER BY time', query_type: 'sql', params: { host } }), { database: null });
    assertRows(p.table, cpu.rows.filter((x) => x.host === host), ['time', 'bytes', 'ok'], 'named parameter');

    // query_type defaults to sql; the database may be named namespace_name; JSON may open with blanks.
    const d = await client.doGet(Buffer.concat([Buffer.from(' \t'), jsonTicket({ namespace_name: OTHER_DB, sql_query: 'SELECT temp, time FROM weather ORDER BY time' })]), { database: null });
    assertRows(d.table, weather.rows, ['temp', 'time'], 'weather via namespace_name');
  });

  test('JSON ticket (influxql): the flat table with iox::measurement', async () => {
    const host = cpu.rows[2]!.host as string;
    const r = await client.doGet(jsonTicket({ database: DB, sql_query: `SELECT usage, "count", note, ok, bytes FROM cpu WHERE host = '${host.replaceAll("'", "\\'")}'`, query_type: 'influxql' }));
    const names = r.schema.fields.map((f) => f.name);
    assert.deepEqual(names.slice(0, 2), ['iox::measurement', 'time']);
    assert.deepEqual([...names.slice(2)].sort(), ['bytes', 'count', 'note', 'ok', 'usage']);
    assert.equal(String(r.schema.fields[0]!.type), 'Utf8');
    assert.equal(String(r.schema.fields[1]!.type), 'Timestamp<NANOSECOND>');
    assert.equal(String(r.schema.fields[names.indexOf('usage')]!.type), 'Float64');
    const expected = cpu.rows.filter((x) => x.host === host).map((x) => ({ ...x, 'iox::measurement': 'cpu' }));
    assertRows(r.table, expected, ['iox::measurement', 'time', 'usage', 'count', 'note', 'ok', 'bytes'], 'InfluxQL SELECT');

    const g = await client.doGet(jsonTicket({ database: DB, sql_query: 'SELECT count(usage) FROM cpu GROUP BY host', query_type: 'influxql' }));
    assert.deepEqual(g.schema.fields.map((f) => f.name), ['iox::measurement', 'time', 'host', 'count']);
    const got = new Map((cells(g.table, 'host') as string[]).map((h, i) => [h, cells(g.table, 'count')[i]]));
    const want = new Map([...new Set(cpu.rows.map((x) => x.host as string))].map((h) => [h, BigInt(cpu.rows.filter((x) => x.host === h).length)]));
    assert.deepEqual(got, want, 'count by host');
    assert.ok((cells(g.table, 'iox::measurement') as string[]).every((m) => m === 'cpu'));
  });

  test('Handshake: Basic credentials answered with the bearer token, one response per request', async () => {
    const basic = `Basic ${Buffer.from(`flight-user:${token}`).toString('base64')}`;
    const { responses, headers } = await client.handshake(
      [
        { protocol_version: 0, payload: Buffer.alloc(0) },
        { protocol_version: 0, payload: Buffer.from('x') },
      ],
      { ...PUT, token: null, headers: { authorization: basic } },
    );
    assert.equal(responses.length, 2);
    assert.equal(headers.get('authorization')[0], `Bearer ${token}`);
    await assert.rejects(client.handshake([{ protocol_version: 0, payload: Buffer.alloc(0) }], { ...PUT, token: 'wrong-token' }), isStatus(grpc.status.UNAUTHENTICATED));
  });

  // ---- 5. errors -------------------------------------------------------------------------------

  test('tokens: a missing or wrong token is UNAUTHENTICATED on every call', async () => {
    for (const t of [null, 'wrong-token']) {
      const o = { token: t };
      await assert.rejects(client.getFlightInfo(statement('SELECT 1'), o), isStatus(grpc.status.UNAUTHENTICATED));
      await assert.rejects(client.getFlightInfo(packAny('CommandGetCatalogs'), o), isStatus(grpc.status.UNAUTHENTICATED));
      await assert.rejects(client.getSchema(statement('SELECT 1'), o), isStatus(grpc.status.UNAUTHENTICATED));
      await assert.rejects(client.doGet(jsonTicket({ database: DB, sql_query: 'SELECT 1' }), o), isStatus(grpc.status.UNAUTHENTICATED));
      await assert.rejects(client.prepare('SELECT 1', o), isStatus(grpc.status.UNAUTHENTICATED));
      await assert.rejects(client.listActions(o), isStatus(grpc.status.UNAUTHENTICATED));
    }
    await assert.rejects(client.doGet(jsonTicket({ database: DB, sql_query: 'SELECT 1' }), { token: null, headers: { authorization: 'Bearer' } }), isStatus(grpc.status.UNAUTHENTICATED));
    // The right token, as Token and as Basic's password, is accepted.
    const ok = await client.doGet(jsonTicket({ database: DB, sql_query: 'SELECT 42 AS x' }), { token: null, headers: { authorization: `Basic ${Buffer.from(`any:${token}`).toString('base64')}` } });
    assert.deepEqual(cells(ok.table, 'x'), [42]);
  });

  test('bad SQL, bad tickets and a missing database are INVALID_ARGUMENT; an unknown database NOT_FOUND', async () => {
    const invalid = isStatus(grpc.status.INVALID_ARGUMENT);
    await assert.rejects(client.getFlightInfo(statement('SELEC * FROM cpu')), invalid);
    await assert.rejects(client.getFlightInfo(statement('SELECT nope FROM cpu')), invalid);
    await assert.rejects(client.getFlightInfo(statement('SELECT * FROM no_such_table')), invalid);
    await assert.rejects(client.getFlightInfo(statement('DROP TABLE cpu')), invalid);
    await assert.rejects(client.getSchema(statement('SELECT 1; SELECT 2')), invalid);
    await assert.rejects(client.doGet(jsonTicket({ database: DB, sql_query: 'SELECT * FROM' })), invalid);
    await assert.rejects(client.doGet(jsonTicket({ database: DB, sql_query: 'SELEC usage FROM cpu', query_type: 'influxql' })), invalid);

    for (const bytes of [Buffer.from([0xde, 0xad, 0xbe, 0xef]), Buffer.alloc(0), Buffer.from('{"database": "fsql", "sql_query": '), Buffer.from('{"database":"fsql"}'), jsonTicket({ database: DB, sql_query: 'SELECT 1', query_type: 'flux' }), Buffer.from('[1,2]')]) {
      await assert.rejects(client.doGet(bytes), invalid, `ticket ${JSON.stringify(bytes.toString('latin1'))}`);
    }
    // A command that is an Any of something Flight SQL does not know.
    const unknownAny = Buffer.concat([Buffer.from([0x0a, 10]), Buffer.from('type.x/Foo'), Buffer.from([0x12, 0])]);
    await assert.rejects(client.doGet(unknownAny), invalid);
    await assert.rejects(client.getFlightInfo(unknownAny), invalid);
    // A PATH descriptor names no command.
    await assert.rejects(
      new Promise((resolve, reject) => client.raw.GetFlightInfo({ type: 'PATH', cmd: Buffer.alloc(0), path: ['cpu'] }, client.metadata(), {}, (err, v) => (err ? reject(err) : resolve(v)))),
      invalid,
    );

    // No database: the header is missing and the command does not name one.
    await assert.rejects(client.getFlightInfo(statement('SELECT 1'), { database: null }), invalid);
    await assert.rejects(client.getSchema(statement('SELECT 1'), { database: null }), invalid);
    await assert.rejects(client.prepare('SELECT 1', { database: null }), invalid);
    await assert.rejects(client.doGet(jsonTicket({ sql_query: 'SELECT 1' }), { database: null }), invalid);

    const notFound = isStatus(grpc.status.NOT_FOUND);
    await assert.rejects(client.getFlightInfo(statement('SELECT 1'), { database: 'no_such_db' }), notFound);
    await assert.rejects(client.doGet(jsonTicket({ database: 'no_such_db', sql_query: 'SELECT 1' })), notFound);
    await assert.rejects(client.doGet(jsonTicket({ database: 'no_such_db', sql_query: 'SELECT usage FROM cpu', query_type: 'influxql' })), notFound);
    await assert.rejects(client.prepare('SELECT 1', { database: 'no_such_db' }), notFound);

    // After all that, the server still answers.
    const r = await client.query(statement('SELECT count(*) AS n FROM cpu'));
    assert.deepEqual(cells(r.table, 'n'), [BigInt(cpu.rows.length)]);
  });

  test('a DoGet the client cancels mid-stream stops, and its query slot comes back', async () => {
    const stream = client.doGetStream(jsonTicket({ database: DB, sql_query: 'SELECT * FROM range(5000000)' }));
    let received = 0;
    const started = Date.now();
    const err = await new Promise<grpc.ServiceError>((resolve, reject) => {
      stream.on('data', (_m: FlightData) => {
        if (++received === 3) stream.cancel();
      });
      stream.on('error', resolve);
      stream.on('end', () => reject(new Error(`the stream ended after ${received} messages, uncancelled`)));
    });
    assert.equal(err.code, grpc.status.CANCELLED);
    assert.ok(received >= 3 && received < 2_000, `cancelled after ${received} messages`);

    // The server's side ends: the slot is given back and the call is counted as cancelled.
    while (server.queryAdmission.bytesInFlight > 0) {
      assert.ok(Date.now() - started < 5_000, 'the query slot came back within 5 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    assert.match(metrics, /sluice_flight_calls_total\{method="DoGet",code="1"\} [1-9]/, 'the DoGet is counted as CANCELLED');

    // With one query slot, a query now runs (a slot still held would make it wait and fail).
    const r = await client.query(statement('SELECT count(*) AS n FROM cpu'), { deadlineMs: 10_000 });
    assert.deepEqual(cells(r.table, 'n'), [BigInt(cpu.rows.length)]);
  });
});

// ---- 6. the query timeout ----------------------------------------------------------------------

test('the query timeout is DEADLINE_EXCEEDED, and the slot comes back', async () => {
  const slow = await tempDatabase({ queryTimeoutMs: 400 });
  const slowServer = new SluiceServer({ db: slow.db, maxConcurrentQueries: 1, queryQueueTimeoutMs: 3_000 });
  const { port: slowPort } = await slowServer.listen('127.0.0.1', 0);
  const c = new FlightSqlClient(`127.0.0.1:${slowPort}`, { database: 'slowdb' });
  try {
    await slow.db.writer.writeLp('slowdb', Buffer.from('t,k=v x=1i 1700000000000000001'), { precision: 'ns' });
    const SLOW = 'SELECT count(*) FROM range(100000000000)';
    let started = Date.now();
    await assert.rejects(c.doGet(jsonTicket({ database: 'slowdb', sql_query: SLOW })), isStatus(grpc.status.DEADLINE_EXCEEDED));
    assert.ok(Date.now() - started < 5_000, `timed out in ${Date.now() - started} ms`);
    started = Date.now();
    await assert.rejects(c.query(statement(SLOW)), isStatus(grpc.status.DEADLINE_EXCEEDED));
    assert.ok(Date.now() - started < 5_000, `timed out in ${Date.now() - started} ms`);
    // No tokens on this server: no authorization needed; and the one slot is free again.
    const r = await c.query(statement('SELECT x, time FROM t'));
    assert.deepEqual(cells(r.table, 'x'), [1n]);
    assert.deepEqual(cells(r.table, 'time'), [1700000000000000001n]);
  } finally {
    c.close();
    await slowServer.close();
    await slow.cleanup();
  }
});
