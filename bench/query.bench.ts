import type { Bench, BenchResult } from './harness.js';
import { percentile, snapshotAll, withBenchDatabase } from './harness.js';
import { splitLines, tsbsCpuLines } from './tsbs.js';
import { BufferChunk } from '../src/buffer/chunk.js';
import { Catalog } from '../src/catalog/catalog.js';
import type { SluiceDatabase } from '../src/database/database.js';
import { LineProtocolParser } from '../src/lineprotocol/parser.js';
import type { TableChunk } from '../src/wal/model.js';
import { validateLineProtocol } from '../src/write/validator.js';

/** Rows written for the snapshot and query cases (and rows per buffer chunk in the append case). */
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const HOSTS = 1000; // tsbsCpuLines' default: one row per host every 10 s
const TICK_NS = 10_000_000_000n;
const START_NS = 1_735_689_600_000_000_000n; // tsbsCpuLines' first timestamp
const BATCH_LINES = 5_000; // a TSBS client batch
const APPEND_ROWS = 1_000_000; // rows appended in total in the append case
const SOURCE_ROWS = 100_000; // rows validated once as the append case's source TableChunks
const VALUES_PER_ROW = 21; // 10 tags + 10 int64 fields + time
const QUERY_RUNS = 5; // timed runs after the first
const DB = 'bench';

if (!Number.isSafeInteger(ROWS) || ROWS < BATCH_LINES) throw new Error(`BENCH_ROWS must be an integer ≥ ${BATCH_LINES}, got ${process.env.BENCH_ROWS}`);

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** 1. `BufferChunk.append` of TSBS cpu TableChunks, validated once up front. */
function bufferAppend(): BenchResult[] {
  const catalog = new Catalog();
  const parser = new LineProtocolParser();
  const sources: TableChunk[] = [];
  for (const body of splitLines(tsbsCpuLines(Math.min(SOURCE_ROWS, ROWS), HOSTS), BATCH_LINES)) {
    const v = validateLineProtocol(catalog, parser, DB, body, { precision: 'ns', acceptPartial: false, ingestTimeNs: 0n, gen1DurationNs: 600_000_000_000n });
    if (v.errors.length > 0) throw new Error(v.errors[0]!.errorMessage);
    for (const table of v.writeBatch?.tableChunks.values() ?? []) sources.push(...table.chunkTimeToChunk.values());
  }
  const sourceRows = sources.reduce((n, c) => n + c.rowCount, 0);
  const warm = new BufferChunk(1, 1, 0n);
  for (const c of sources) warm.append(c);

  // Fill chunks of `chunkRows` rows (cycling through the sources) until APPEND_ROWS rows were
  // appended: one gen1 window of this data (60 000 rows), and one chunk of ROWS rows.
  const measure = (chunkRows: number): { rowsPerSec: number; last: BufferChunk; appended: number } => {
    let appended = 0;
    let elapsedMs = 0;
    let last: BufferChunk | undefined;
    while (appended < APPEND_ROWS) {
      const chunk = new BufferChunk(1, 1, 0n);
      let s = 0;
      const start = performance.now();
      while (chunk.rowCount < chunkRows) {
        chunk.append(sources[s]!);
        s = (s + 1) % sources.length;
      }
      elapsedMs += performance.now() - start;
      appended += chunk.rowCount;
      last = chunk;
    }
    return { rowsPerSec: (appended * 1000) / elapsedMs, last: last!, appended };
  };
  const window = measure(Math.min(60_000, ROWS));
  const big = measure(Math.min(ROWS, APPEND_ROWS));
  const rows = big.last.rowCount;
  const bytes = big.last.byteSize();
  const sourcesNote = `${sources.length} source TableChunks of ~${int(sourceRows / sources.length)} rows`;
  return [
    { name: 'buffer append, TSBS cpu-only, 60 000-row chunks (one gen1 window)', value: window.rowsPerSec, unit: 'rows/s', note: `${int(window.appended)} rows, ${sourcesNote}` },
    { name: `buffer append, TSBS cpu-only, ${int(rows)}-row chunks`, value: big.rowsPerSec, unit: 'rows/s', note: `${int(big.appended)} rows; one chunk this large grows in 64 Ki-row segments, never copied` },
    {
      name: 'buffer bytes per value',
      value: bytes / (rows * VALUES_PER_ROW),
      unit: 'B',
      note: `chunk.byteSize() ${(bytes / 1048576).toFixed(1)} MiB (allocated capacity ${int(big.last.capacity)} rows, dictionaries) / (${int(rows)} rows × ${VALUES_PER_ROW} values: 10 tags + 10 int64 fields + time)`,
    },
  ];
}

interface TimedQuery {
  label: string;
  sql: string;
  /** The count the first cell of the result must hold, if it is one. */
  count?: number;
  note: string;
}

/**
 * Runs each query once (the first run) and QUERY_RUNS more times, checking the counts.
 * `firstNote` notes what the first run of the first query also pays for.
 */
async function timeQueries(db: SluiceDatabase, where: string, queries: readonly TimedQuery[], firstNote: string): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const [i, q] of queries.entries()) {
    const timed = async (): Promise<number> => {
      const start = performance.now();
      const result = await db.query.query(DB, q.sql);
      const ms = performance.now() - start;
      const cell = result.rows[0]?.[0];
      if (cell === undefined) throw new Error(`${where}: ${q.label} returned no rows`);
      if (q.count !== undefined && Number(cell) !== q.count) throw new Error(`${where}: ${q.label} counted ${String(cell)}, expected ${q.count}`);
      return ms;
    };
    const first = await timed();
    const runs: number[] = [];
    for (let r = 0; r < QUERY_RUNS; r++) runs.push(await timed());
    results.push({ name: `${q.label}, ${where}, first run`, value: first, unit: 'ms', note: i === 0 ? `${q.note}; ${firstNote}` : q.note });
    results.push({ name: `${q.label}, ${where}, median of ${QUERY_RUNS}`, value: percentile(runs, 50), unit: 'ms', note: q.note });
  }
  return results;
}

/** 2 and 3. N rows written into a database: queries over the buffer, the snapshot, the same queries over Parquet. */
async function snapshotAndQueries(): Promise<BenchResult[]> {
  return withBenchDatabase('query', {}, async (db) => {
    // tsbsCpuLines builds one string (~350 B a line): V8's string limit caps BENCH_ROWS near 1.5 M.
    const bodies = splitLines(tsbsCpuLines(ROWS, HOSTS), BATCH_LINES);
    const lpBytes = bodies.reduce((n, b) => n + b.length, 0);
    for (let i = 0; i < bodies.length; i += 4) {
      // a few writes in flight so they share WAL flushes
      await Promise.all(bodies.slice(i, i + 4).map((b) => db.writer.writeLp(DB, b, { precision: 'ns', acceptPartial: false })));
    }
    const stats = db.buffer.getStats();
    if (stats.rows !== ROWS) throw new Error(`buffered ${stats.rows} rows, expected ${ROWS}`);

    const ticks = Math.ceil(ROWS / HOSTS);
    const fromTick = Math.floor(ticks * 0.45);
    const toTick = Math.floor(ticks * 0.55);
    const fromNs = START_NS + BigInt(fromTick) * TICK_NS;
    const toNs = START_NS + BigInt(toTick) * TICK_NS;
    const rangeRows = Math.max(0, Math.min(ROWS, toTick * HOSTS) - fromTick * HOSTS);
    const queries: TimedQuery[] = [
      { label: 'count(*)', sql: 'SELECT count(*) FROM cpu', count: ROWS, note: `${int(ROWS)} rows` },
      { label: 'avg(usage_user) GROUP BY hostname', sql: 'SELECT hostname, avg(usage_user) FROM cpu GROUP BY hostname', note: `${int(ROWS)} rows, ${HOSTS} groups` },
      {
        label: 'count, avg(usage_user) over 10 % of the time span',
        sql: `SELECT count(*), avg(usage_user) FROM cpu WHERE time >= make_timestamp_ns(${fromNs}) AND time < make_timestamp_ns(${toNs})`,
        count: rangeRows,
        note: `${int(rangeRows)} of ${int(ROWS)} rows`,
      },
    ];
    const buffered = await timeQueries(db, 'buffer', queries, 'includes checking the buffered rows for duplicate points');

    const { ms: snapshotMs, files, bytes: parquetBytes } = await snapshotAll(db);

    const persisted = await timeQueries(db, 'Parquet', queries, 'includes rebuilding the views over the new files');
    return [
      ...buffered,
      {
        name: 'snapshot (snapshotNow)',
        value: (ROWS * 1000) / snapshotMs,
        unit: 'rows/s',
        note: `${int(ROWS)} rows in ${stats.chunks} buffer chunks → ${files} Parquet files in ${snapshotMs.toFixed(0)} ms; buffer already checked for duplicates by the queries; local store`,
      },
      {
        name: 'Parquet bytes per value',
        value: parquetBytes / (ROWS * VALUES_PER_ROW),
        unit: 'B',
        note: `${(parquetBytes / 1048576).toFixed(1)} MiB / (${int(ROWS)} rows × ${VALUES_PER_ROW} values); line protocol ${(lpBytes / ROWS).toFixed(0)} B/row, buffer ${(stats.bytes / (ROWS * VALUES_PER_ROW)).toFixed(2)} B/value`,
      },
      ...persisted,
    ];
  });
}

const bench: Bench = {
  name: 'query',
  async run() {
    return [...bufferAppend(), ...(await snapshotAndQueries())];
  },
};
export default bench;
