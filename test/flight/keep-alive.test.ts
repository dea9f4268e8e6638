/**
 * A Flight answer that produces nothing for a while after its schema sends empty record batches
 * (InfluxDB 3's keep-alive, every 5 s by default; 100 ms here), then its rows: the client sees the
 * stream alive and the answer unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchReader } from 'apache-arrow';
import { SluiceServer } from '../../src/server/http.js';
import { tempDatabase } from '../support/db-helpers.js';
import { flightDataParts, IPC_END, ipcFrame, jsonTicket, rawFlightClient } from '../support/flight-raw.js';

test('a slow Flight answer sends empty batches while it computes, then its rows', { timeout: 60_000 }, async () => {
  const env = await tempDatabase();
  const server = new SluiceServer({ db: env.db, flightKeepAliveMs: 100 });
  const { port } = await server.listen('127.0.0.1', 0);
  const client = rawFlightClient(port);
  try {
    await env.db.writer.writeLp('db1', Buffer.from('m v=1 1'), { precision: 's' });
    const messages: Buffer[] = [];
    const arrivals: number[] = [];
    const started = performance.now();
    // About a second and a half of computing before the one row (its answer is 15 384 616).
    for await (const m of client.DoGet(jsonTicket({ database: 'db1', sql_query: 'SELECT count(*) AS n FROM range(200000000) WHERE (range * 7) % 13 = 1' })) as AsyncIterable<Buffer>) {
      const { header, body } = flightDataParts(m);
      messages.push(ipcFrame(header, body));
      arrivals.push(performance.now() - started);
    }
    const batches = [...RecordBatchReader.from(Buffer.concat([...messages, IPC_END]))];
    const sizes = batches.map((b) => b.numRows);
    console.log(`# flight keep-alive: ${sizes.length} batches (${sizes.filter((n) => n === 0).length} empty) over ${arrivals.at(-1)!.toFixed(0)} ms`);
    assert.ok(sizes.length >= 3, `empty batches came while the answer was computed: ${JSON.stringify(sizes)}`);
    assert.deepEqual(sizes.slice(0, -1).filter((n) => n !== 0), [], 'every batch before the answer is empty');
    assert.equal(sizes.at(-1), 1);
    assert.equal(batches.at(-1)!.getChild('n')!.get(0), 15_384_616n);
    assert.equal(batches[0]!.schema.fields[0]!.name, 'n');
  } finally {
    client.close();
    await server.close();
    await env.cleanup();
  }
});
