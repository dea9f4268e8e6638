/**
 * Flight SQL's metadata commands, answered from the catalog with the Arrow schemas Flight SQL
 * fixes for them: catalogs (one, `public`), schemas (`iox`, where a database's tables live, as
 * InfluxDB 3 names it), tables (with their Arrow schema on request), table types and SqlInfo.
 * The database is the request's `database` header.
 */
import {
  Binary,
  Bool,
  DenseUnion,
  Field,
  Int32,
  Int64,
  List,
  makeData,
  Map_,
  RecordBatch,
  Schema,
  Struct,
  Uint32,
  Utf8,
  vectorFromArray,
  type Data,
} from 'apache-arrow';
import type { DatabaseSchema, TableSchema } from '../catalog/catalog.js';
import { sqlType } from '../engine/duckdb.js';
import { tableColumns } from '../engine/relations.js';
import { ArrowResultBuilder, recordBatch, schemaBytes, type ArrowColumnSource } from './arrow.js';
import type { MetadataCommand } from './tickets.js';

export const CATALOG = 'public';
export const TABLE_SCHEMA = 'iox';
const TABLE_TYPE = 'BASE TABLE';

const utf8 = (name: string, nullable = false) => new Field(name, new Utf8(), nullable);

export const METADATA_SCHEMAS = {
  catalogs: new Schema([utf8('catalog_name')]),
  schemas: new Schema([utf8('catalog_name', true), utf8('db_schema_name')]),
  tables: new Schema([utf8('catalog_name', true), utf8('db_schema_name', true), utf8('table_name'), utf8('table_type')]),
  tablesWithSchema: new Schema([utf8('catalog_name', true), utf8('db_schema_name', true), utf8('table_name'), utf8('table_type'), new Field('table_schema', new Binary(), false)]),
  tableTypes: new Schema([utf8('table_type')]),
  sqlInfo: new Schema([new Field('info_name', new Uint32(), false), new Field('value', sqlInfoValueType(), false)]),
};

/** The schema of a metadata command's answer. */
export function metadataSchema(command: MetadataCommand): Schema {
  if (command.kind === 'tables') return command.includeSchema ? METADATA_SCHEMAS.tablesWithSchema : METADATA_SCHEMAS.tables;
  return METADATA_SCHEMAS[command.kind];
}

/** The answer to a metadata command over `database` (undefined: no database header; only catalogs, schemas, table types and SqlInfo answer). */
export function metadataBatch(command: MetadataCommand, database: DatabaseSchema | undefined, serverVersion: string): RecordBatch {
  switch (command.kind) {
    case 'catalogs':
      return stringBatch(METADATA_SCHEMAS.catalogs, [[CATALOG]]);
    case 'schemas': {
      const ok = (command.catalog === undefined || command.catalog === CATALOG) && likeMatches(command.schemaPattern, TABLE_SCHEMA);
      return stringBatch(METADATA_SCHEMAS.schemas, ok ? [[CATALOG], [TABLE_SCHEMA]] : [[], []]);
    }
    case 'tableTypes':
      return stringBatch(METADATA_SCHEMAS.tableTypes, [[TABLE_TYPE]]);
    case 'tables': {
      const inScope = (command.catalog === undefined || command.catalog === CATALOG) && likeMatches(command.schemaPattern, TABLE_SCHEMA) && (command.tableTypes.length === 0 || command.tableTypes.includes(TABLE_TYPE));
      const tables = inScope && database !== undefined ? [...database.tables.values()].filter((t) => likeMatches(command.tablePattern, t.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : [];
      const columns: string[][] = [tables.map(() => CATALOG), tables.map(() => TABLE_SCHEMA), tables.map((t) => t.name), tables.map(() => TABLE_TYPE)];
      const schema = command.includeSchema ? METADATA_SCHEMAS.tablesWithSchema : METADATA_SCHEMAS.tables;
      const children: Data[] = columns.map((values) => vectorFromArray(values, new Utf8()).data[0]!);
      if (command.includeSchema) children.push(vectorFromArray(tables.map((t) => schemaBytes(tableArrowSchema(t))), new Binary()).data[0]!);
      return recordBatch(schema, children, tables.length);
    }
    case 'sqlInfo':
      return sqlInfoBatch(command.info, serverVersion);
  }
}

/** A table's Arrow schema as queries answer `SELECT *`: tags, fields and time, with InfluxDB 3's metadata. */
export function tableArrowSchema(table: TableSchema): Schema {
  // In the order `SELECT *` answers them (the engine's views list columns by name).
  const columns: ArrowColumnSource[] = tableColumns(table.columns.values()).map((c) => ({ name: c.name, type: sqlType(c.type), tableColumnType: c.type }));
  return new ArrowResultBuilder(columns).schema;
}

function stringBatch(schema: Schema, columns: string[][]): RecordBatch {
  const length = columns[0]?.length ?? 0;
  const children = columns.map((values) => vectorFromArray(values, new Utf8()).data[0]!);
  return recordBatch(schema, children, length);
}

/**
 * SQL LIKE as Flight SQL's filter patterns use it: `%` any run, `_` one character, `\` escapes;
 * no pattern matches everything.
 */
export function likeMatches(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 'u').test(value);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

// ---- SqlInfo -------------------------------------------------------------------------------------

/** The union Flight SQL gives SqlInfo values: string, bool, int64, int32 bitmask, string list, int32→int32 list map. */
function sqlInfoValueType(): DenseUnion {
  return new DenseUnion([0, 1, 2, 3, 4, 5], sqlInfoChildren());
}

function sqlInfoChildren(): Field[] {
  return [
    new Field('string_value', new Utf8(), false),
    new Field('bool_value', new Bool(), false),
    new Field('bigint_value', new Int64(), false),
    new Field('int32_bitmask', new Int32(), false),
    new Field('string_list', new List(new Field('item', new Utf8(), true)), false),
    new Field('int32_to_int32_list_map', new Map_(new Field('entries', new Struct([new Field('key', new Int32(), false), new Field('value', new List(new Field('item', new Int32(), true)), true)] as never[]), false)), false),
  ];
}

type InfoValue = { string: string } | { bool: boolean } | { int32: number };

/** The SqlInfo ids Sluice answers (`arrow.flight.protocol.sql.SqlInfo`). */
function sqlInfoValues(serverVersion: string): Map<number, InfoValue> {
  return new Map<number, InfoValue>([
    [0, { string: 'Sluice' }], // FLIGHT_SQL_SERVER_NAME
    [1, { string: serverVersion }], // FLIGHT_SQL_SERVER_VERSION
    [2, { string: '1.3' }], // FLIGHT_SQL_SERVER_ARROW_VERSION (the IPC format version)
    [3, { bool: true }], // FLIGHT_SQL_SERVER_READ_ONLY
    [4, { bool: true }], // FLIGHT_SQL_SERVER_SQL
    [5, { bool: false }], // FLIGHT_SQL_SERVER_SUBSTRAIT
    [8, { int32: 0 }], // FLIGHT_SQL_SERVER_TRANSACTION: none
    [9, { bool: false }], // FLIGHT_SQL_SERVER_CANCEL
    [500, { bool: false }], // SQL_DDL_CATALOG
    [501, { bool: false }], // SQL_DDL_SCHEMA
    [502, { bool: false }], // SQL_DDL_TABLE
    [504, { string: '"' }], // SQL_IDENTIFIER_QUOTE_CHAR
  ]);
}

function sqlInfoBatch(requested: number[], serverVersion: string): RecordBatch {
  const all = sqlInfoValues(serverVersion);
  const ids = requested.length === 0 ? [...all.keys()] : requested.filter((id) => all.has(id));
  const strings: string[] = [];
  const bools: boolean[] = [];
  const ints: number[] = [];
  const typeIds = new Int8Array(ids.length);
  const offsets = new Int32Array(ids.length);
  ids.forEach((id, i) => {
    const v = all.get(id)!;
    if ('string' in v) {
      typeIds[i] = 0;
      offsets[i] = strings.push(v.string) - 1;
    } else if ('bool' in v) {
      typeIds[i] = 1;
      offsets[i] = bools.push(v.bool) - 1;
    } else {
      typeIds[i] = 3;
      offsets[i] = ints.push(v.int32) - 1;
    }
  });
  const [stringField, boolField, bigintField, int32Field, listField, mapField] = sqlInfoChildren() as [Field, Field, Field, Field, Field<List>, Field<Map_>];
  const emptyList = makeData({ type: listField.type, length: 0, nullCount: 0, valueOffsets: new Int32Array([0]), child: vectorFromArray([], new Utf8()).data[0]! });
  const entries = mapField.type.children[0]!.type as Struct;
  const emptyMap = makeData({
    type: mapField.type,
    length: 0,
    nullCount: 0,
    valueOffsets: new Int32Array([0]),
    child: makeData({ type: entries, length: 0, nullCount: 0, children: [vectorFromArray([], new Int32()).data[0]!, makeData({ type: entries.children[1]!.type as List, length: 0, nullCount: 0, valueOffsets: new Int32Array([0]), child: vectorFromArray([], new Int32()).data[0]! })] }),
  });
  const union = makeData({
    type: sqlInfoValueType(),
    length: ids.length,
    nullCount: 0,
    typeIds,
    valueOffsets: offsets,
    children: [vectorFromArray(strings, stringField.type).data[0]!, vectorFromArray(bools, boolField.type).data[0]!, vectorFromArray([], bigintField.type).data[0]!, vectorFromArray(ints, int32Field.type).data[0]!, emptyList, emptyMap],
  });
  const names = vectorFromArray(ids, new Uint32()).data[0]!;
  const schema = METADATA_SCHEMAS.sqlInfo;
  return recordBatch(schema, [names, union], ids.length);
}
