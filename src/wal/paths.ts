/** Digits of the zero-padded sequence number in a WAL file's name. */
const SEQUENCE_DIGITS = 11;
const WAL_FILE_NAME = /^(\d{11})\.wal$/;

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
