/**
 * The smallest Flight client: `DoGet` over @grpc/grpc-js with bytes in and out, InfluxDB 3's JSON
 * ticket wrapped by hand, and `FlightData` read by hand into framed Arrow IPC messages — for
 * tests that look at the wire (batch sizes, keep-alive batches, memory) without a client library.
 */
import * as grpc from '@grpc/grpc-js';

const passthrough = (b: Buffer) => b;

/** A FlightService method with bytes in and out, for a generic grpc-js client. */
export function rawFlightMethod(name: string, responseStream: boolean) {
  return { path: `/arrow.flight.protocol.FlightService/${name}`, requestStream: false, responseStream, requestSerialize: passthrough, requestDeserialize: passthrough, responseSerialize: passthrough, responseDeserialize: passthrough };
}

const Constructor = grpc.makeGenericClientConstructor({ DoGet: rawFlightMethod('DoGet', true) } as unknown as grpc.ServiceDefinition, 'FlightService');

export type RawFlightClient = grpc.Client & { DoGet(ticket: Buffer, metadata?: grpc.Metadata): grpc.ClientReadableStream<Buffer> };

export function rawFlightClient(port: number | string): RawFlightClient {
  return new (Constructor as unknown as new (a: string, c: grpc.ChannelCredentials, o: object) => RawFlightClient)(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
}

function varint(n: number): number[] {
  const out: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 0x80) {
      out.push(v);
      return out;
    }
    out.push((v & 0x7f) | 0x80);
  }
}

/** `Ticket { bytes ticket = 1; }` around InfluxDB 3's JSON ticket. */
export function jsonTicket(json: object): Buffer {
  const body = Buffer.from(JSON.stringify(json));
  return Buffer.concat([Buffer.from([0x0a, ...varint(body.length)]), body]);
}

/** FlightData's data_header (field 2) and data_body (field 1000). */
export function flightDataParts(bytes: Buffer): { header: Buffer; body: Buffer } {
  let at = 0;
  let header: Buffer = Buffer.alloc(0);
  let body: Buffer = Buffer.alloc(0);
  const read = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  while (at < bytes.length) {
    const tag = read();
    if ((tag & 7) !== 2) throw new Error(`FlightData field ${Math.floor(tag / 8)} is not length-delimited`);
    const len = read();
    const value = bytes.subarray(at, at + len);
    at += len;
    if (tag >>> 3 === 2) header = value;
    else if (tag >>> 3 === 1000) body = value;
  }
  return { header, body };
}

/** One IPC message as a stream carries it: continuation marker, length, header, body. */
export function ipcFrame(header: Buffer, body: Buffer = Buffer.alloc(0)): Buffer {
  const frame = Buffer.alloc(8);
  frame.writeUInt32LE(0xffffffff, 0);
  frame.writeInt32LE(header.length, 4);
  return Buffer.concat([frame, header, body]);
}

/** The end-of-stream marker. */
export const IPC_END = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
