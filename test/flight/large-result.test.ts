/**
 * A large answer streams through Flight with bounded server memory: 10 000 000 rows (about
 * 240 MB of Arrow) go out of a real `sluice serve` process batch by batch, each produced only
 * once gRPC took the one before, so the server's resident memory grows by far less than the
 * answer. The rows are decoded with apache-arrow and checked (count, sums, first and last).
 * `FLIGHT_LARGE_ROWS` changes the count.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordBatchReader } from 'apache-arrow';
import { flightDataParts, ipcFrame, jsonTicket, rawFlightClient } from '../support/flight-raw.js';
import { bundleCli, startServer } from '../support/kill-harness.js';

const ROWS = Number(process.env.FLIGHT_LARGE_ROWS ?? 10_000_000);
/** The answer is ~24 bytes a row; the server may hold a few batches of it, never the whole. */
const MAX_RSS_GROWTH_BYTES = 160 * 1024 * 1024;

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

test(`a ${ROWS}-row answer streams through Flight with bounded server memory, every row decoded`, { timeout: 300_000 }, async () => {
  const { path: cli, removeBundle } = await bundleCli();
  cleanup.push(removeBundle);
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-flight-large-'));
  cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
  const server = await startServer(cli, ['--object-store', 'file', '--data-dir', dataDir, '--max-query-result-bytes', String(4 * 1024 ** 3), '--query-timeout', '120s']);
  cleanup.push(async () => {
    server.child.kill('SIGKILL');
    await server.exited;
  });
  const port = new URL(server.url).port;
  const write = await fetch(`${server.url}/api/v3/write_lp?db=big`, { method: 'POST', body: 'm v=1 1' });
  assert.equal(write.status, 204);

  const pid = server.child.pid!;
  const before = rssOf(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 25);
  const client = rawFlightClient(port);
  const started = performance.now();
  let rows = 0;
  let batches = 0;
  let sumN = 0n;
  let sumV = 0;
  // apache-arrow reads Timestamp(ns) as milliseconds (a float).
  let firstTimeMs: number | undefined;
  let lastTimeMs: number | undefined;
  let schemaHeader: Buffer | undefined;
  try {
    const sql = `SELECT i AS n, i::DOUBLE / 2 AS v, make_timestamp_ns(i * 1000) AS time FROM range(${ROWS}) t(i)`;
    const stream = client.DoGet(jsonTicket({ database: 'big', sql_query: sql, query_type: 'sql' }));
    for await (const message of stream as AsyncIterable<Buffer>) {
      const { header, body } = flightDataParts(message);
      if (schemaHeader === undefined) {
        schemaHeader = header;
        continue;
      }
      // Each batch decoded on its own: the schema message, then this batch.
      const reader = RecordBatchReader.from(Buffer.concat([ipcFrame(schemaHeader), ipcFrame(header, body)]));
      for (const batch of reader) {
        batches++;
        const n = batch.getChild('n')!;
        const v = batch.getChild('v')!;
        const t = batch.getChild('time')!;
        for (let i = 0; i < batch.numRows; i++) {
          sumN += n.get(i) as bigint;
          sumV += v.get(i) as number;
        }
        firstTimeMs ??= Number(t.get(0));
        lastTimeMs = Number(t.get(batch.numRows - 1));
        rows += batch.numRows;
      }
    }
  } finally {
    clearInterval(sampler);
    client.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const growth = peak - before;
  console.log(`# flight large result: ${rows} rows in ${batches} batches, ${seconds.toFixed(1)} s (${(rows / seconds / 1e6).toFixed(2)} M rows/s incl. decoding); server RSS ${(before / 2 ** 20).toFixed(0)} MiB before, peak growth ${(growth / 2 ** 20).toFixed(0)} MiB (bound ${MAX_RSS_GROWTH_BYTES / 2 ** 20} MiB)`);
  const n = BigInt(ROWS);
  assert.equal(rows, ROWS);
  assert.equal(sumN, (n * (n - 1n)) / 2n);
  assert.equal(sumV, (ROWS * (ROWS - 1)) / 4);
  assert.equal(firstTimeMs, 0);
  assert.equal(lastTimeMs, (ROWS - 1) / 1000, 'the last row is at (ROWS - 1) µs');
  assert.ok(growth < MAX_RSS_GROWTH_BYTES, `the server's RSS grew by ${(growth / 2 ** 20).toFixed(0)} MiB streaming the answer`);
});
