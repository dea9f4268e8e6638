/** Digits of the zero-padded sequence number in a WAL file's name. */
const SEQUENCE_DIGITS = 11;
const WAL_FILE_NAME = /^(\d{11})\.wal$/;

/** The largest sequence number a WAL file key can hold (11 digits keep keys sorting in sequence order). */
export const MAX_WAL_FILE_KEY_SEQUENCE_NUMBER = 99_999_999_999;

/** `<nodeId>/wal/`: the prefix under which a node's WAL files live. */
export function walFilePrefix(nodeId: string): string {
  return `${nodeId}/wal/`;
}

/** `<nodeId>/wal-quarantine/`: where replay moves corrupt WAL files in quarantine mode. */
export function walQuarantinePrefix(nodeId: string): string {
  return `${nodeId}/wal-quarantine/`;
}

/** The key of WAL file `seq`: `<nodeId>/wal/<seq, 11 digits>.wal` (sorts in sequence order). */
export function walFileKey(nodeId: string, seq: number): string {
  // a 12th digit would sort before smaller numbers and not parse back
  if (!Number.isSafeInteger(seq) || seq < 0 || seq > MAX_WAL_FILE_KEY_SEQUENCE_NUMBER) {
    throw new RangeError(`WAL file sequence number ${seq} does not fit in ${SEQUENCE_DIGITS} digits`);
  }
  return `${walFilePrefix(nodeId)}${String(seq).padStart(SEQUENCE_DIGITS, '0')}.wal`;
}

/** The sequence number in a WAL file key of this node, or undefined if the key is not one. */
export function parseWalFileKey(key: string, nodeId: string): number | undefined {
  const prefix = walFilePrefix(nodeId);
  if (!key.startsWith(prefix)) return undefined;
  const match = WAL_FILE_NAME.exec(key.slice(prefix.length));
  if (match === null) return undefined;
  const seq = Number(match[1]);
  return seq >= 1 ? seq : undefined;
}

/** Digits of the zero-padded epoch in an epoch object's name. */
const EPOCH_DIGITS = 16;
const EPOCH_NAME = /^(\d{16})\.epoch$/;

/** `<nodeId>/epochs/`: where writers of a node id claim their epochs (never deleted). */
export function epochPrefix(nodeId: string): string {
  return `${nodeId}/epochs/`;
}

/** The key of writer epoch `epoch`: `<nodeId>/epochs/<epoch, 16 digits>.epoch`. */
export function epochKey(nodeId: string, epoch: bigint): string {
  if (epoch < 1n || epoch > 9_999_999_999_999_999n) throw new RangeError(`writer epoch ${epoch} does not fit in ${EPOCH_DIGITS} digits`);
  return `${epochPrefix(nodeId)}${String(epoch).padStart(EPOCH_DIGITS, '0')}.epoch`;
}

/** The epoch in an epoch object key of this node, or undefined if the key is not one. */
export function parseEpochKey(key: string, nodeId: string): bigint | undefined {
  const prefix = epochPrefix(nodeId);
  if (!key.startsWith(prefix)) return undefined;
  const match = EPOCH_NAME.exec(key.slice(prefix.length));
  return match === null ? undefined : BigInt(match[1]!);
}
