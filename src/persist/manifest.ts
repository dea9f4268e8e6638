/**
 * Snapshot manifests: the commit point of a snapshot. One sealed JSON document (a checksummed
 * header line, then the JSON: see sealed-json.ts) per snapshot at
 * `<node>/snapshots/<16-digit inverted sequence>.info.json` (so a plain sorted listing is newest
 * first), naming the catalog written with it and every Parquet file it added. A Parquet file no
 * manifest names is garbage from an unfinished snapshot and is never read.
 */
import { isBareJsonDocument, openSealedDocument, sealDocument, SealedDocumentError } from '../catalog/sealed-json.js';
import { PersistError } from './errors.js';

/** The manifest version this build writes: 2 is sealed (checksummed); 1, bare JSON, is still read. */
export const MANIFEST_FORMAT_VERSION = 2;
/** The kind in a sealed manifest's header line. */
const MANIFEST_KIND = 'MANIFEST';
/** Sequence numbers are inverted against this (2^53 - 1, exact in a JS number) so newer keys sort first. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** One Parquet file: the deduplicated rows of one table in one gen1 window, sorted by tags and time. */
export interface PersistedFile {
  key: string;
  dbId: number;
  tableId: number;
  chunkTimeNs: bigint;
  minTimeNs: bigint;
  maxTimeNs: bigint;
  rowCount: number;
  sizeBytes: number;
  /** Column ids the file holds (others of the table are null in it). */
  columnIds: number[];
  /**
   * The snapshot that wrote it: later snapshots win on duplicate points. A compacted file carries
   * the newest of its inputs' (it holds their newest values, and every file newer than it holds
   * newer values).
   */
  snapshotSequenceNumber: number;
  /**
   * 1: a snapshot's file, one gen1 window; compacted: 5 within ten minutes, 2 within one hour,
   * 4 within six hours, 3 within one day (see docs/compaction.md). Absent in manifests before
   * compaction: 1.
   */
  level?: number;
  /**
   * Per tag column the file holds: its least and greatest value (byte order of their UTF-8), so
   * a query for other tag values leaves the file out without opening it. Absent in manifests
   * written before: such a file is never left out by its tags.
   */
  tagRanges?: TagRange[];
}

/** The least and greatest value of one tag column in a file. */
export interface TagRange {
  columnId: number;
  min: string;
  max: string;
}

export interface SnapshotManifest {
  version: number;
  nodeId: string;
  snapshotSequenceNumber: number;
  /** The last WAL file the snapshot covers: replay starts after it. */
  walFileSequenceNumber: number;
  catalogKey: string;
  createdAtMs: number;
  forced: boolean;
  files: PersistedFile[];
}

export function snapshotPrefix(nodeId: string): string {
  return `${nodeId}/snapshots/`;
}

export function manifestKey(nodeId: string, snapshotSequenceNumber: number): string {
  return `${snapshotPrefix(nodeId)}${String(MAX_SEQ - snapshotSequenceNumber).padStart(16, '0')}.info.json`;
}

export function catalogKey(nodeId: string, snapshotSequenceNumber: number): string {
  return `${nodeId}/catalog/${String(MAX_SEQ - snapshotSequenceNumber).padStart(16, '0')}.catalog.json`;
}

/** `<node>/dbs/<dbId>/<tableId>/<YYYY-MM-DD>/<HH-MM>/<walSeq>.parquet` — ids only, never names. */
export function parquetKey(nodeId: string, dbId: number, tableId: number, chunkTimeNs: bigint, walSeq: number): string {
  const ms = Number(chunkTimeNs / 1_000_000n) - (chunkTimeNs % 1_000_000n < 0n ? 1 : 0);
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ (or ±YYYYYY-…)
  const tIndex = iso.indexOf('T');
  const date = iso.slice(0, tIndex);
  const time = iso.slice(tIndex + 1, tIndex + 6).replace(':', '-');
  return `${nodeId}/dbs/${dbId}/${tableId}/${date}/${time}/${String(walSeq).padStart(11, '0')}.parquet`;
}

/** A file as JSON: 64-bit times as decimal strings; `level` only when above 1, `tagRanges` when known (older readers never saw them). */
export function fileJson(f: PersistedFile): Record<string, unknown> {
  const { level, tagRanges, ...rest } = f;
  return {
    ...rest,
    chunkTimeNs: String(f.chunkTimeNs),
    minTimeNs: String(f.minTimeNs),
    maxTimeNs: String(f.maxTimeNs),
    ...(level === undefined || level === 1 ? {} : { level }),
    ...(tagRanges === undefined ? {} : { tagRanges }),
  };
}

/** The checks a document's JSON fields go through; each calls `bad` (which throws) on a mismatch. */
export interface FieldChecks {
  int(v: unknown, what: string): number;
  str(v: unknown, what: string): string;
  big(v: unknown, what: string): bigint;
  bad(what: string): never;
}

/** Field checks that report through `bad`. */
export function fieldChecks(bad: (what: string) => never): FieldChecks {
  return {
    bad,
    int: (v, what) => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : bad(`${what} is not a non-negative integer`)),
    str: (v, what) => (typeof v === 'string' ? v : bad(`${what} is not a string`)),
    big: (v, what) => {
      if (typeof v !== 'string' || !/^-?\d{1,20}$/.test(v)) return bad(`${what} is not an integer string`);
      return BigInt(v);
    },
  };
}

/** A sealed document's payload as a JSON object whose `version` is the header's; anything else goes to `bad`. */
export function documentObject(payload: Uint8Array, version: number, bad: (what: string) => never): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (err) {
    return bad(`not valid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('not an object');
  const o = raw as Record<string, unknown>;
  if (o.version !== version) return bad(`version ${JSON.stringify(o.version)} in a version ${version} document`);
  return o;
}

/** A file from its JSON (`where` names it in errors, e.g. `files[3]`); `defaultSequence` when it names none (version 1). */
export function decodeFileJson(f: unknown, where: string, c: FieldChecks, defaultSequence?: number): PersistedFile {
  if (typeof f !== 'object' || f === null) return c.bad(`${where} is not an object`);
  const r = f as Record<string, unknown>;
  if (!Array.isArray(r.columnIds)) return c.bad(`${where}.columnIds is not an array`);
  const file: PersistedFile = {
    key: c.str(r.key, `${where}.key`),
    dbId: c.int(r.dbId, `${where}.dbId`),
    tableId: c.int(r.tableId, `${where}.tableId`),
    chunkTimeNs: c.big(r.chunkTimeNs, `${where}.chunkTimeNs`),
    minTimeNs: c.big(r.minTimeNs, `${where}.minTimeNs`),
    maxTimeNs: c.big(r.maxTimeNs, `${where}.maxTimeNs`),
    rowCount: c.int(r.rowCount, `${where}.rowCount`),
    sizeBytes: c.int(r.sizeBytes, `${where}.sizeBytes`),
    columnIds: (r.columnIds as unknown[]).map((id, j) => c.int(id, `${where}.columnIds[${j}]`)),
    snapshotSequenceNumber: c.int(r.snapshotSequenceNumber ?? defaultSequence, `${where}.snapshotSequenceNumber`),
  };
  if (r.level !== undefined) {
    const level = c.int(r.level, `${where}.level`);
    if (level < 1 || level > 5) return c.bad(`${where}.level ${level} is not 1 to 5`);
    if (level > 1) file.level = level;
  }
  if (r.tagRanges !== undefined) {
    if (!Array.isArray(r.tagRanges)) return c.bad(`${where}.tagRanges is not an array`);
    file.tagRanges = (r.tagRanges as unknown[]).map((t, j) => {
      if (typeof t !== 'object' || t === null) return c.bad(`${where}.tagRanges[${j}] is not an object`);
      const o = t as Record<string, unknown>;
      return { columnId: c.int(o.columnId, `${where}.tagRanges[${j}].columnId`), min: c.str(o.min, `${where}.tagRanges[${j}].min`), max: c.str(o.max, `${where}.tagRanges[${j}].max`) };
    });
  }
  return file;
}

/** The manifest as a sealed document of the current version (whatever `m.version` says). */
export function encodeManifest(m: SnapshotManifest): Uint8Array {
  const json = {
    ...m,
    version: MANIFEST_FORMAT_VERSION,
    files: m.files.map(fileJson),
  };
  return sealDocument(MANIFEST_KIND, MANIFEST_FORMAT_VERSION, new TextEncoder().encode(`${JSON.stringify(json, null, 1)}\n`));
}

/**
 * Verifies, parses and checks a manifest (sealed version 2, or bare JSON version 1); any damage
 * is a `PersistError` CORRUPT_MANIFEST naming the key.
 */
export function decodeManifest(bytes: Uint8Array, key: string): SnapshotManifest {
  const bad = (what: string): never => {
    throw new PersistError('CORRUPT_MANIFEST', `snapshot manifest ${key}: ${what}`, key);
  };
  let json = bytes;
  let version = 1;
  if (!isBareJsonDocument(bytes)) {
    try {
      ({ version, payload: json } = openSealedDocument(bytes, MANIFEST_KIND));
    } catch (err) {
      if (!(err instanceof SealedDocumentError)) throw err;
      return bad(err.message);
    }
    if (version !== MANIFEST_FORMAT_VERSION) return bad(`unsupported version ${version} (this build reads 1 and ${MANIFEST_FORMAT_VERSION})`);
  }
  const o = documentObject(json, version, bad);
  const checks = fieldChecks(bad);
  const { int, str } = checks;
  if (!Array.isArray(o.files)) return bad('files is not an array');
  const snapshotSequenceNumber = int(o.snapshotSequenceNumber, 'snapshotSequenceNumber');
  const files = (o.files as unknown[]).map((f, i) => decodeFileJson(f, `files[${i}]`, checks, snapshotSequenceNumber));
  const manifest: SnapshotManifest = {
    version,
    nodeId: str(o.nodeId, 'nodeId'),
    snapshotSequenceNumber,
    walFileSequenceNumber: int(o.walFileSequenceNumber, 'walFileSequenceNumber'),
    catalogKey: str(o.catalogKey, 'catalogKey'),
    createdAtMs: int(o.createdAtMs, 'createdAtMs'),
    forced: typeof o.forced === 'boolean' ? o.forced : bad('forced is not a boolean'),
    files,
  };
  return manifest;
}
