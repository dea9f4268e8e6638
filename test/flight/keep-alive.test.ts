/**
 * A Flight answer that produces nothing for a while after its schema sends empty record batches
 * (InfluxDB 3's keep-alive, every 5 s by default; 100 ms here), then its rows: the client sees the
 * stream alive and the answer unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { RecordBatchReader } from 'apache-arrow';
import { SluiceServer } from '../../src/server/http.js';
import { tempDatabase } from '../support/db-helpers.js';

const passthrough = (b: Buffer) => b;
const FlightClient = grpc.makeGenericClientConstructor(
  { DoGet: { path: '/arrow.flight.protocol.FlightService/DoGet', requestStream: false, responseStream: true, requestSerialize: passthrough, requestDeserialize: passthrough, responseSerialize: passthrough, responseDeserialize: passthrough } } as unknown as grpc.ServiceDefinition,
  'FlightService',
);

/** `Ticket { bytes ticket = 1; }` (a ticket under 128 bytes). */
function ticket(json: object): Buffer {
  const body = Buffer.from(JSON.stringify(json));
  assert.ok(body.length < 128);
  return Buffer.concat([Buffer.from([0x0a, body.length]), body]);
}

/** FlightData's header (field 2) and body (field 1000) as one IPC message, framed. */
function ipcMessage(bytes: Buffer): Buffer {
  const parts = new Map<number, Buffer>();
  let at = 0;
  const varint = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  while (at < bytes.length) {
    const field = Math.floor(varint() / 8);
    const len = varint();
    parts.set(field, bytes.subarray(at, at + len));
    at += len;
  }
  const header = parts.get(2)!;
  const frame = Buffer.alloc(8);
  frame.writeUInt32LE(0xffffffff, 0);
  frame.writeInt32LE(header.length, 4);
  return Buffer.concat([frame, header, parts.get(1000) ?? Buffer.alloc(0)]);
}

test('a slow Flight answer sends empty batches while it computes, then its rows', { timeout: 60_000 }, async () => {
  const env = await tempDatabase();
  const server = new SluiceServer({ db: env.db, flightKeepAliveMs: 100 });
  const { port } = await server.listen('127.0.0.1', 0);
  const client = new (FlightClient as unknown as new (a: string, c: grpc.ChannelCredentials) => grpc.Client & { DoGet(t: Buffer): grpc.ClientReadableStream<Buffer> })(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    await env.db.writer.writeLp('db1', Buffer.from('m v=1 1'), { precision: 's' });
    const messages: Buffer[] = [];
    const arrivals: number[] = [];
    const started = performance.now();
    // About a second and a half of computing before the one row (its answer is 15 384 616).
    for await (const m of client.DoGet(ticket({ database: 'db1', sql_query: 'SELECT count(*) AS n FROM range(200000000) WHERE (range * 7) % 13 = 1' })) as AsyncIterable<Buffer>) {
      messages.push(ipcMessage(m));
      arrivals.push(performance.now() - started);
    }
    const batches = [...RecordBatchReader.from(Buffer.concat([...messages, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])]))];
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
