import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { nameOfSql, sqlName } from '../../src/engine/names.js';
import { ParquetFooterError, parquetColumnNames, renameParquetColumns } from '../../src/persist/parquet-names.js';

const arrayBuffer = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

test('renaming columns in the footer gives exact names every reader sees, keeps every value, and reverses byte for byte', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-parquet-names-'));
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    const path = join(dir, 'f.parquet');
    // Several row groups, a dictionary column, statistics, field ids and key-value metadata.
    await con.run(
      `COPY (SELECT 'h' || (i % 3) AS "^host", 'x' || (i % 5) AS host, i::DOUBLE AS "^usage", i AS usage, i % 2 = 0 AS "é^^", -i AS "\ufeff^^" FROM range(20000) t(i)) ` +
        `TO '${path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048, FIELD_IDS {'^host': 11, 'host': 12, '^usage': 13, 'usage': 14, 'é^^': 15, '\ufeff^^': 16}, KV_METADATA {k: 'v'})`,
    );
    const written = new Uint8Array(await readFile(path));
    // A leading byte-order mark is part of a name (a text decoder must not strip it).
    assert.deepEqual(parquetColumnNames(written), ['^host', 'host', '^usage', 'usage', 'é^^', '\ufeff^^']);
    const renamed = renameParquetColumns(written, (n) => nameOfSql(n)!);
    assert.deepEqual(parquetColumnNames(renamed), ['Host', 'host', 'Usage', 'usage', 'é^', '\ufeff^']);
    assert.deepEqual(renamed.subarray(0, 4), written.subarray(0, 4));
    const metadata = parquetMetadata(arrayBuffer(renamed));
    assert.ok(metadata.row_groups.length >= 3, `several row groups: ${metadata.row_groups.length}`);
    assert.deepEqual(metadata.schema.map((s) => s.field_id), [undefined, 11, 12, 13, 14, 15, 16]);
    // (hyparquet's text decoder drops a leading byte-order mark: the last column is checked with DuckDB below.)
    for (const group of metadata.row_groups) assert.deepEqual(group.columns.slice(0, 5).map((c) => c.meta_data!.path_in_schema), [['Host'], ['host'], ['Usage'], ['usage'], ['é^']]);
    assert.deepEqual(metadata.key_value_metadata, [{ key: 'k', value: 'v' }]);
    const rows = await parquetReadObjects({ file: arrayBuffer(renamed), compressors });
    assert.equal(rows.length, 20000);
    for (const i of [0, 1, 2047, 2048, 19999]) assert.deepEqual(rows[i], { Host: `h${i % 3}`, host: `x${i % 5}`, Usage: i, usage: BigInt(i), 'é^': i % 2 === 0, '^': BigInt(-i) });
    const renamedPath = join(dir, 'renamed.parquet');
    await writeFile(renamedPath, renamed);
    // Names as UTF-8 bytes in hex (DuckDB's node API, too, drops a leading byte-order mark from strings).
    const schema = await con.runAndReadAll(`SELECT hex(encode(name)), field_id FROM parquet_schema('${renamedPath}') WHERE field_id IS NOT NULL`);
    const hex = (name: string) => Buffer.from(name).toString('hex').toUpperCase();
    assert.deepEqual(schema.getRows(), [[hex('Host'), 11n], [hex('host'), 12n], [hex('Usage'), 13n], [hex('usage'), 14n], [hex('é^'), 15n], ['EFBBBF5E', 16n]]);
    const sum = await con.runAndReadAll(`SELECT sum(u)::BIGINT, sum(b)::BIGINT FROM read_parquet('${renamedPath}', schema = MAP {14: {name: 'u', type: 'BIGINT', default_value: NULL}, 16: {name: 'b', type: 'BIGINT', default_value: NULL}})`);
    assert.deepEqual(sum.getRows(), [[199990000n, -199990000n]]);
    // The data pages did not move: renaming back restores the file exactly.
    assert.deepEqual(renameParquetColumns(renamed, sqlName), written);
  } finally {
    con.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a file that is not Parquet, or whose footer is cut or damaged, is refused with ParquetFooterError', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-parquet-names-'));
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    const path = join(dir, 'f.parquet');
    await con.run(`COPY (SELECT 1 AS a) TO '${path}' (FORMAT parquet)`);
    const file = new Uint8Array(await readFile(path));
    const length = new DataView(file.buffer, file.byteOffset).getUint32(file.length - 8, true);
    const bad: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['not Parquet', new TextEncoder().encode('hello world, this is text')],
      ['footer length past the start', (() => { const f = file.slice(); new DataView(f.buffer).setUint32(f.length - 8, f.length, true); return f; })()],
      ['footer one byte short', (() => { const f = file.slice(); new DataView(f.buffer).setUint32(f.length - 8, length - 1, true); return f; })()],
      ['unknown Thrift type', (() => { const f = file.slice(); f[f.length - 8 - length] = 0x1e; return f; })()],
    ];
    for (const [what, bytes] of bad) assert.throws(() => renameParquetColumns(bytes, (n) => n), ParquetFooterError, what);
  } finally {
    con.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
});
