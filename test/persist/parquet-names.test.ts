import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
      `COPY (SELECT 'h' || (i % 3) AS "^host", 'x' || (i % 5) AS host, i::DOUBLE AS "^usage", i AS usage, i % 2 = 0 AS "é^^" FROM range(20000) t(i)) ` +
        `TO '${path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048, FIELD_IDS {'^host': 11, 'host': 12, '^usage': 13, 'usage': 14, 'é^^': 15}, KV_METADATA {k: 'v'})`,
    );
    const written = new Uint8Array(await readFile(path));
    assert.deepEqual(parquetColumnNames(written), ['^host', 'host', '^usage', 'usage', 'é^^']);
    const renamed = renameParquetColumns(written, (n) => nameOfSql(n)!);
    assert.deepEqual(parquetColumnNames(renamed), ['Host', 'host', 'Usage', 'usage', 'é^']);
    assert.deepEqual(renamed.subarray(0, 4), written.subarray(0, 4));
    const metadata = parquetMetadata(arrayBuffer(renamed));
    assert.ok(metadata.row_groups.length >= 3, `several row groups: ${metadata.row_groups.length}`);
    assert.deepEqual(metadata.schema.map((s) => s.field_id), [undefined, 11, 12, 13, 14, 15]);
    for (const group of metadata.row_groups) assert.deepEqual(group.columns.map((c) => c.meta_data!.path_in_schema), [['Host'], ['host'], ['Usage'], ['usage'], ['é^']]);
    assert.deepEqual(metadata.key_value_metadata, [{ key: 'k', value: 'v' }]);
    const rows = await parquetReadObjects({ file: arrayBuffer(renamed), compressors });
    assert.equal(rows.length, 20000);
    for (const i of [0, 1, 2047, 2048, 19999]) assert.deepEqual(rows[i], { Host: `h${i % 3}`, host: `x${i % 5}`, Usage: i, usage: BigInt(i), 'é^': i % 2 === 0 });
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
