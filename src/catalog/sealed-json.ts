/**
 * A self-verifying text envelope for JSON documents on the object store (the catalog, snapshot
 * manifests): one header line with the document kind, its format version, the payload's length
 * in bytes and its CRC-32, then the payload.
 *
 *     SLUICE-CATALOG v2 len=1234 crc32=0a1b2c3d
 *     {"version":2,...}
 *
 * The header is parsed strictly (one spelling per value: no leading zeros, lowercase hex), so
 * any single damaged byte in it is a mismatch, and CRC-32 detects every single-bit flip and
 * every burst of up to 32 bits in the payload: a damaged document is refused, never misread.
 * The format is documented in docs/snapshots.md.
 */
import { crc32 } from 'node:zlib';

/** Why a sealed document could not be opened (the caller wraps it in its own typed error). */
export class SealedDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedDocumentError';
  }
}

// Kind: upper-case letters; version 1–999999999; length 0 or 1–10 digits without a leading zero.
const HEADER = /^SLUICE-([A-Z]{1,32}) v([1-9][0-9]{0,8}) len=(0|[1-9][0-9]{0,9}) crc32=([0-9a-f]{8})\n/;
/** Longest possible header line: bounds how much is decoded before the header is known. */
const MAX_HEADER_BYTES = 'SLUICE-'.length + 32 + ' v'.length + 9 + ' len='.length + 10 + ' crc32='.length + 8 + 1;

/** `payload` behind a header line naming `kind` (e.g. `CATALOG`) and `version`. */
export function sealDocument(kind: string, version: number, payload: Uint8Array): Uint8Array {
  const header = Buffer.from(`SLUICE-${kind} v${version} len=${payload.length} crc32=${crc32(payload).toString(16).padStart(8, '0')}\n`, 'latin1');
  if (HEADER.exec(header.toString('latin1'))?.[0].length !== header.length) throw new RangeError(`cannot seal a ${kind} document of version ${version}`);
  return Buffer.concat([header, payload]);
}

/**
 * Whether `bytes` are a bare JSON object (the unsealed form of version 1) rather than a sealed
 * document. A sealed one starts with `S`, two bits away from `{`: one flipped bit cannot turn
 * a sealed document into a bare one.
 */
export function isBareJsonDocument(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === 0x7b;
}

/**
 * The version and payload of a sealed document of `kind`, after checking its header, length and
 * checksum; SealedDocumentError saying what is wrong for anything else.
 */
export function openSealedDocument(bytes: Uint8Array, kind: string): { version: number; payload: Buffer } {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = buf.toString('latin1', 0, Math.min(buf.length, MAX_HEADER_BYTES));
  const match = HEADER.exec(head);
  if (match === null) throw new SealedDocumentError(`bad header line (expected "SLUICE-${kind} v<version> len=<bytes> crc32=<8 hex digits>"): ${JSON.stringify(head.split('\n')[0]!.slice(0, 80))}`);
  if (match[1] !== kind) throw new SealedDocumentError(`a SLUICE-${match[1]!} document where a SLUICE-${kind} document was expected`);
  const headerBytes = match[0].length;
  const length = Number(match[3]);
  const payload = buf.subarray(headerBytes);
  if (payload.length !== length) throw new SealedDocumentError(`payload is ${payload.length} bytes, the header says ${length} (truncated or extended)`);
  const actual = crc32(payload);
  if (actual !== Number.parseInt(match[4]!, 16)) throw new SealedDocumentError(`payload checksum mismatch (header crc32=${match[4]!}, payload ${actual.toString(16).padStart(8, '0')})`);
  return { version: Number(match[2]), payload };
}
