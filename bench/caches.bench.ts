// What the caches cost the write path (docs/caches.md): every applied WAL file goes through
// Caches.apply after the queryable buffer. Without caches it should cost nothing per row; with
// them, the rows/s they take bound how much of ingest they may eat (ingest runs ~170 k lines/s
// on 2 cores: a cache taking 1.7 M rows/s costs ~10 % of one core at that rate).
import type { Bench, BenchResult } from './harness.js';
import { Caches } from '../src/cache/caches.js';
import { Catalog } from '../src/catalog/catalog.js';
import { FieldKind, writeBatchForTable, type ColumnDefinition, type Field, type Row, type WalContents, type WalOp } from '../src/wal/model.js';

const GEN1_NS = 600_000_000_000n;
const ROWS_PER_OP = 1_000;
const OPS_PER_FILE = 10;
const ROWS = ROWS_PER_OP * OPS_PER_FILE;
const TAGS = ['hostname', 'region', 'datacenter', 'rack', 'os', 'arch', 'team', 'service', 'service_version', 'service_environment'];

/** TSBS cpu-only shape: 10 tags (1 000 hosts) + 10 int64 fields, 10 s apart per host. */
function tsbsRows(fileIndex: number): Row[] {
  const regions = ['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1'];
  const rows: Row[] = [];
  for (let i = 0; i < ROWS; i++) {
    const host = i % 1000;
    const values = [`host_${host}`, regions[host % regions.length]!, `${regions[host % regions.length]}a`, String(host % 100), host % 2 === 0 ? 'Ubuntu16.10' : 'Ubuntu15.10', host % 3 === 0 ? 'x64' : 'x86', ['SF', 'NYC', 'LON', 'CHI'][host % 4]!, String(host % 20), String(host % 2), host % 2 === 0 ? 'production' : 'staging'];
    const fields: Field[] = values.map((value, c) => ({ columnId: c + 1, kind: FieldKind.Tag, value }));
    for (let c = 0; c < 10; c++) fields.push({ columnId: 11 + c, kind: FieldKind.Int64, value: BigInt((i * 7 + c * 13) % 100) });
    rows.push({ timeNs: 1_700_000_000_000_000_000n + BigInt(fileIndex * 10 + Math.floor(i / 1000)) * 10_000_000_000n, fields });
  }
  return rows;
}

function setup(): { catalog: Catalog; files: WalContents[] } {
  const columns: ColumnDefinition[] = [{ id: 0, name: 'time', type: 'time' }, ...TAGS.map((name, i): ColumnDefinition => ({ id: i + 1, name, type: 'tag' }))];
  for (let c = 0; c < 10; c++) columns.push({ id: 11 + c, name: `usage_${c}`, type: 'int64' });
  const catalog = new Catalog();
  catalog.applyCatalogBatch({ databaseId: 0, databaseName: 'bench', timeNs: 0n, ops: [{ kind: 'createDatabase' }, { kind: 'createTable', tableId: 0, tableName: 'cpu', columns }] });
  const files: WalContents[] = [];
  for (let f = 0; f < 8; f++) {
    const rows = tsbsRows(f);
    const ops: WalOp[] = [];
    for (let o = 0; o < OPS_PER_FILE; o++) ops.push({ kind: 'write', batch: writeBatchForTable(0, 'bench', 0, rows.slice(o * ROWS_PER_OP, (o + 1) * ROWS_PER_OP), GEN1_NS) });
    files.push({ persistTimestampMs: 1_700_000_000_000 + f, minTimestampNs: 0n, maxTimestampNs: 0n, walFileNumber: f + 1, ops });
  }
  return { catalog, files };
}

/** Rows per second of this process's CPU time (not wall time: the figure holds on a busy machine). */
function rowsPerSecond(caches: Caches, files: readonly WalContents[]): number {
  let n = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - start < 1500) {
    caches.apply(files[n % files.length]!);
    n++;
  }
  const used = process.cpuUsage(cpu);
  return (n * ROWS) / ((used.user + used.system) / 1e6);
}

const bench: Bench = {
  name: 'caches',
  async run(): Promise<BenchResult[]> {
    const note = `TSBS cpu rows (10 tags, 10 int64 fields), WAL files of ${OPS_PER_FILE} ops × ${ROWS_PER_OP.toLocaleString('en-US')} rows, per CPU second`;
    const out: BenchResult[] = [];
    const cases: Array<[string, CatalogOpsFor]> = [
      ['no caches', () => []],
      ['a last cache on hostname (count 1)', () => [{ kind: 'createLastCache', cache: { tableId: 0, tableName: 'cpu', name: 'lc', keyColumnIds: [1], valueColumnIds: undefined, count: 1, ttlSeconds: 14_400 } }]],
      ['a last cache on the series key (10 tags, count 1)', () => [{ kind: 'createLastCache', cache: { tableId: 0, tableName: 'cpu', name: 'lc', keyColumnIds: TAGS.map((_, i) => i + 1), valueColumnIds: undefined, count: 1, ttlSeconds: 14_400 } }]],
      ['a distinct cache on region, hostname', () => [{ kind: 'createDistinctCache', cache: { tableId: 0, tableName: 'cpu', name: 'dc', columnIds: [2, 1], maxCardinality: 100_000, maxAgeSeconds: 1_000_000_000 } }]],
    ];
    for (const [name, ops] of cases) {
      const { catalog, files } = setup();
      const caches = new Caches(catalog, { bufferedChunks: () => [], hasPersistedFiles: () => false });
      const made = ops();
      if (made.length > 0) {
        const batch = { databaseId: 0, databaseName: 'bench', timeNs: 0n, ops: made };
        catalog.applyCatalogBatch(batch);
        caches.apply({ persistTimestampMs: 0, minTimestampNs: 0n, maxTimestampNs: 0n, walFileNumber: 0, ops: [{ kind: 'catalog', batch }] });
      }
      rowsPerSecond(caches, files); // warm up
      out.push({ name: `apply, ${name}`, value: rowsPerSecond(caches, files), unit: 'rows/s', note });
    }
    return out;
  },
};

type CatalogOpsFor = () => Array<Extract<WalOp, { kind: 'catalog' }>['batch']['ops'][number]>;

export default bench;
