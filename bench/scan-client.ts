/**
 * The client side of `flight.bench.ts`, run in a worker thread so that reading an answer does not
 * compete with the server for its event loop (the server runs on the bench's main thread). Each
 * job streams one query's answer and counts it; nothing is kept but counters (and, when asked,
 * one Arrow record batch at a time while decoding).
 *
 * - `flight`: a raw `@grpc/grpc-js` DoGet with passthrough serializers: bytes and FlightData
 *   messages counted, rows read from each record batch's flatbuffer header (`RecordBatch.length`);
 *   with `decode`, every message is also fed to apache-arrow's stream reader and the rows it
 *   decodes are counted instead.
 * - `http`: `GET /api/v3/query_sql` read chunk by chunk; rows counted by byte (`{` for json,
 *   newlines for jsonl and csv, less csv's header line): valid for answers whose values hold
 *   neither (the bench's table).
 */
import { parentPort } from 'node:worker_threads';
import { request } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { RecordBatchReader } from 'apache-arrow';

export type ScanJob =
  | { kind: 'flight'; port: number; database: string; sql: string; decode: boolean }
  | { kind: 'http'; port: number; database: string; sql: string; format: 'json' | 'jsonl' | 'csv' };

export interface ScanResult {
  rows: number;
  /** Bytes of the answer as the client received them (FlightData messages, or the HTTP body). */
  bytes: number;
  /** FlightData messages (Flight), body chunks (HTTP). */
  messages: number;
  /** Request sent → last byte read. */
  ms: number;
  /** Request sent → first byte of the answer. */
  firstByteMs: number;
  /** Flight with `decode`: the decoded schema's column names. */
  columns?: string[];
}

export type ClientRequest = { id: number; job: ScanJob } | { id: number; close: true };
export type ClientReply = { id: number; result: ScanResult } | { id: number; error: string };

// ---- Flight ---------------------------------------------------------------------------------------

const passthrough = (b: Buffer): Buffer => b;
const FlightClient = grpc.makeGenericClientConstructor(
  {
    DoGet: {
      path: '/arrow.flight.protocol.FlightService/DoGet',
      requestStream: false,
      responseStream: true,
      requestSerialize: passthrough,
      requestDeserialize: passthrough,
      responseSerialize: passthrough,
      responseDeserialize: passthrough,
      originalName: 'DoGet',
    },
  },
  'FlightService',
);

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** `Ticket { bytes ticket = 1; }` around InfluxDB 3's JSON ticket. */
export function influxTicket(database: string, sql: string): Buffer {
  const json = Buffer.from(JSON.stringify({ database, sql_query: sql, query_type: 'sql' }));
  return Buffer.concat([Buffer.from([0x0a, ...varint(json.length)]), json]);
}

/** `FlightData`'s `data_header` (field 2) and `data_body` (field 1000), as views of `bytes`. */
export function flightDataParts(bytes: Uint8Array): { header: Uint8Array; body: Uint8Array } {
  let header: Uint8Array = new Uint8Array(0);
  let body: Uint8Array = new Uint8Array(0);
  let at = 0;
  const readVarint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[at++];
      if (b === undefined) throw new Error('FlightData: truncated varint');
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  };
  while (at < bytes.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        readVarint();
        break;
      case 1:
        at += 8;
        break;
      case 5:
        at += 4;
        break;
      case 2: {
        const length = readVarint();
        const value = bytes.subarray(at, at + length);
        if (value.length !== length) throw new Error('FlightData: truncated field');
        at += length;
        if (field === 2) header = value;
        else if (field === 1000) body = value;
        break;
      }
      default:
        throw new Error(`FlightData: unexpected wire type ${key & 7}`);
    }
  }
  return { header, body };
}

/** `RecordBatch.length` of an Arrow IPC `Message` flatbuffer; 0 for other messages (the schema). */
export function recordBatchRows(message: Uint8Array): number {
  if (message.length < 8) return 0;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const field = (table: number, slot: number): number => {
    const vtable = table - view.getInt32(table, true);
    const at = 4 + slot * 2;
    return at < view.getUint16(vtable, true) ? view.getUint16(vtable + at, true) : 0;
  };
  const root = view.getUint32(0, true);
  const typeAt = field(root, 1); // header_type: 3 = RecordBatch
  if (typeAt === 0 || view.getUint8(root + typeAt) !== 3) return 0;
  const headerAt = field(root, 2);
  const batch = root + headerAt + view.getUint32(root + headerAt, true);
  const lengthAt = field(batch, 0);
  return lengthAt === 0 ? 0 : Number(view.getBigInt64(batch + lengthAt, true));
}

/** An IPC stream message (continuation marker, padded metadata length, metadata, body) for one FlightData. */
function ipcMessage(header: Uint8Array, body: Uint8Array): Uint8Array {
  const padded = (header.length + 7) & ~7;
  const out = new Uint8Array(8 + padded + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xffffffff, true);
  view.setInt32(4, padded, true);
  out.set(header, 8);
  out.set(body, 8 + padded);
  return out;
}

async function flightScan(job: Extract<ScanJob, { kind: 'flight' }>): Promise<ScanResult> {
  const client = new FlightClient(`127.0.0.1:${job.port}`, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
  const started = performance.now();
  let firstByteMs = -1;
  let bytes = 0;
  let messages = 0;
  let headerRows = 0;
  const call = (client as unknown as { DoGet(ticket: Buffer): grpc.ClientReadableStream<Buffer> }).DoGet(influxTicket(job.database, job.sql));
  try {
    if (!job.decode) {
      await new Promise<void>((resolve, reject) => {
        call.on('data', (data: Buffer) => {
          if (firstByteMs < 0) firstByteMs = performance.now() - started;
          bytes += data.length;
          messages++;
          headerRows += recordBatchRows(flightDataParts(data).header);
        });
        call.on('end', resolve);
        call.on('error', reject);
      });
      return { rows: headerRows, bytes, messages, ms: performance.now() - started, firstByteMs };
    }
    // Decoded: each FlightData becomes an IPC stream message for apache-arrow's reader.
    async function* ipc(): AsyncGenerator<Uint8Array> {
      for await (const data of call as AsyncIterable<Buffer>) {
        if (firstByteMs < 0) firstByteMs = performance.now() - started;
        bytes += data.length;
        messages++;
        const { header, body } = flightDataParts(data);
        headerRows += recordBatchRows(header);
        yield ipcMessage(header, body);
      }
      yield new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    }
    const reader = await RecordBatchReader.from(ipc());
    let rows = 0;
    let columns: string[] | undefined;
    for await (const batch of reader) {
      columns ??= batch.schema.fields.map((f) => f.name);
      rows += batch.numRows;
      // Touch every column so it is really decoded, not only framed.
      for (let c = 0; c < batch.numCols; c++) batch.getChildAt(c)!.get(batch.numRows - 1);
    }
    if (rows !== headerRows) throw new Error(`apache-arrow decoded ${rows} rows, the batch headers say ${headerRows}`);
    return { rows, bytes, messages, ms: performance.now() - started, firstByteMs, columns: columns ?? reader.schema.fields.map((f) => f.name) };
  } finally {
    client.close();
  }
}

// ---- HTTP ---------------------------------------------------------------------------------------

function httpScan(job: Extract<ScanJob, { kind: 'http' }>): Promise<ScanResult> {
  const path = `/api/v3/query_sql?db=${encodeURIComponent(job.database)}&format=${job.format}&q=${encodeURIComponent(job.sql)}`;
  const marker = job.format === 'json' ? 0x7b : 0x0a;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request({ host: '127.0.0.1', port: job.port, path, method: 'GET', agent: false }, (res) => {
      let firstByteMs = -1;
      let bytes = 0;
      let messages = 0;
      let marks = 0;
      let errorBody = '';
      res.on('data', (chunk: Buffer) => {
        if (firstByteMs < 0) firstByteMs = performance.now() - started;
        bytes += chunk.length;
        messages++;
        if (res.statusCode !== 200) errorBody += chunk.toString('utf8').slice(0, 1000);
        for (let i = chunk.indexOf(marker); i !== -1; i = chunk.indexOf(marker, i + 1)) marks++;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`query_sql ${job.format}: status ${res.statusCode}: ${errorBody}`));
        if (!res.complete) return reject(new Error(`query_sql ${job.format}: the answer was cut off after ${bytes} bytes`));
        resolve({ rows: job.format === 'csv' ? marks - 1 : marks, bytes, messages, ms: performance.now() - started, firstByteMs });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// ---- worker loop ----------------------------------------------------------------------------------

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', (message: ClientRequest) => {
    if ('close' in message) {
      port.close();
      return;
    }
    const run = message.job.kind === 'flight' ? flightScan(message.job) : httpScan(message.job);
    run.then(
      (result) => port.postMessage({ id: message.id, result } satisfies ClientReply),
      (err: unknown) => port.postMessage({ id: message.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies ClientReply),
    );
  });
}
