/**
 * `FlightData` on the wire, encoded by hand: it carries every record batch of every answer, so it
 * is written as three length-delimited fields around the IPC message's own bytes, with no
 * intermediate object. Decoding (of `DoPut` parameters, small) goes through protobufjs.
 */
import type { IpcMessage } from './arrow.js';
import { pb } from './proto.js';
import { FlightRequestError } from './tickets.js';

/** Bytes of a protobuf varint. */
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** `FlightData { data_header = 2; data_body = 1000; }` for one IPC message. */
export function encodeFlightData(message: IpcMessage): Buffer {
  const headerTag = [0x12, ...varint(message.header.length)]; // field 2, length-delimited
  const bodyTag = message.body.length === 0 ? [] : [0xc2, 0x3e, ...varint(message.body.length)]; // field 1000, length-delimited
  const out = Buffer.allocUnsafe(headerTag.length + message.header.length + bodyTag.length + message.body.length);
  let at = 0;
  for (const b of headerTag) out[at++] = b;
  out.set(message.header, at);
  at += message.header.length;
  for (const b of bodyTag) out[at++] = b;
  out.set(message.body, at);
  return out;
}

export interface DecodedFlightData {
  descriptor?: { type: number | string; cmd: Uint8Array; path: string[] };
  header: Uint8Array;
  body: Uint8Array;
}

export function decodeFlightData(bytes: Uint8Array): DecodedFlightData {
  let m;
  try {
    m = pb.FlightData.decode(bytes);
  } catch (err) {
    throw new FlightRequestError(`malformed FlightData: ${(err as Error).message}`);
  }
  return { ...(m.flight_descriptor === undefined || m.flight_descriptor === null ? {} : { descriptor: m.flight_descriptor }), header: m.data_header, body: m.data_body };
}
