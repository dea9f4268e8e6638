/**
 * Compaction manifests: the commit point of a compaction. One sealed JSON document per
 * compaction at `<node>/compactions/<16-digit inverted sequence>.info.json`, written create-only,
 * naming the files it removes (by key) and the file it adds. Startup applies them after the
 * snapshot manifests, in sequence order: a file named as removed is never read again. A
 * compacted Parquet file no manifest names is an unfinished compaction's leftover and is never
 * read. The protocol is in docs/compaction.md.
 */
import { isBareJsonDocument, openSealedDocument, sealDocument, SealedDocumentError } from '../catalog/sealed-json.js';
import { PersistError } from './errors.js';
import { decodeFileJson, documentObject, fieldChecks, fileJson, type PersistedFile } from './manifest.js';

/** The compaction manifest version this build writes and reads. */
export const COMPACTION_FORMAT_VERSION = 1;
const COMPACTION_KIND = 'COMPACTION';
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/**
 * 2: compacted within one hour; 3: within one day; 4: within six hours; 5: within ten minutes.
 * Numbered in the order the levels were added (2 and 3 are on stores already), not by width:
 * the width order is 1 (a gen1 window), 5, 2, 4, 3 — see `LEVEL_WINDOW_NS`.
 */
export type CompactionLevel = 2 | 3 | 4 | 5;

/** The window (UTC-aligned) a level's files cover. */
export const LEVEL_WINDOW_NS: Readonly<Record<CompactionLevel, bigint>> = { 2: 3_600_000_000_000n, 3: 86_400_000_000_000n, 4: 21_600_000_000_000n, 5: 600_000_000_000n };

/** Whether `level` is a compaction level (what a manifest may name). */
export function isCompactionLevel(level: number): level is CompactionLevel {
  return level === 2 || level === 3 || level === 4 || level === 5;
}

export interface CompactionManifest {
  version: number;
  nodeId: string;
  /** 1, 2, 3, … per node: the order startup applies them in. */
  compactionSequenceNumber: number;
  createdAtMs: number;
  dbId: number;
  tableId: number;
  level: CompactionLevel;
  /** The window merged, [start, start + level window). */
  windowStartNs: bigint;
  /** Keys of the files it replaces: every file of the table that lay in the window. */
  removed: string[];
  /** The file it adds (none when every input row was gone). */
  added: PersistedFile[];
}

export function compactionPrefix(nodeId: string): string {
  return `${nodeId}/compactions/`;
}

export function compactionKey(nodeId: string, compactionSequenceNumber: number): string {
  return `${compactionPrefix(nodeId)}${String(MAX_SEQ - compactionSequenceNumber).padStart(16, '0')}.info.json`;
}

/**
 * `<node>/dbs/<dbId>/<tableId>/<YYYY-MM-DD>/c<level>-<11-digit compaction seq>.parquet`: one key
 * per compaction sequence, so a compaction re-run after a crash overwrites its own leftover.
 */
export function compactedParquetKey(nodeId: string, dbId: number, tableId: number, windowStartNs: bigint, level: CompactionLevel, compactionSequenceNumber: number): string {
  const ms = Number(windowStartNs / 1_000_000n) - (windowStartNs % 1_000_000n < 0n ? 1 : 0);
  const iso = new Date(ms).toISOString();
  const date = iso.slice(0, iso.indexOf('T'));
  return `${nodeId}/dbs/${dbId}/${tableId}/${date}/c${level}-${String(compactionSequenceNumber).padStart(11, '0')}.parquet`;
}

/** The compaction sequence number of a compacted file's key, or undefined for any other key. */
export function compactionSequenceOfKey(key: string): number | undefined {
  const m = /\/c[2-5]-(\d{11})\.parquet$/.exec(key);
  return m === null ? undefined : Number(m[1]);
}

export function encodeCompactionManifest(m: CompactionManifest): Uint8Array {
  const json = { ...m, version: COMPACTION_FORMAT_VERSION, windowStartNs: String(m.windowStartNs), added: m.added.map(fileJson) };
  return sealDocument(COMPACTION_KIND, COMPACTION_FORMAT_VERSION, new TextEncoder().encode(`${JSON.stringify(json, null, 1)}\n`));
}

/** Verifies, parses and checks a compaction manifest; any damage is a `PersistError` CORRUPT_MANIFEST naming the key. */
export function decodeCompactionManifest(bytes: Uint8Array, key: string): CompactionManifest {
  const bad = (what: string): never => {
    throw new PersistError('CORRUPT_MANIFEST', `compaction manifest ${key}: ${what}`, key);
  };
  if (isBareJsonDocument(bytes)) return bad('not sealed');
  let version: number;
  let payload: Buffer;
  try {
    ({ version, payload } = openSealedDocument(bytes, COMPACTION_KIND));
  } catch (err) {
    if (!(err instanceof SealedDocumentError)) throw err;
    return bad(err.message);
  }
  if (version !== COMPACTION_FORMAT_VERSION) return bad(`unsupported version ${version} (this build reads ${COMPACTION_FORMAT_VERSION})`);
  const o = documentObject(payload, version, bad);
  const c = fieldChecks(bad);
  const level = c.int(o.level, 'level');
  if (!isCompactionLevel(level)) return bad(`level ${level} is not 2, 3, 4 or 5`);
  if (!Array.isArray(o.removed)) return bad('removed is not an array');
  if (!Array.isArray(o.added)) return bad('added is not an array');
  const added = (o.added as unknown[]).map((f, i) => decodeFileJson(f, `added[${i}]`, c));
  return {
    version,
    nodeId: c.str(o.nodeId, 'nodeId'),
    compactionSequenceNumber: c.int(o.compactionSequenceNumber, 'compactionSequenceNumber'),
    createdAtMs: c.int(o.createdAtMs, 'createdAtMs'),
    dbId: c.int(o.dbId, 'dbId'),
    tableId: c.int(o.tableId, 'tableId'),
    level,
    windowStartNs: c.big(o.windowStartNs, 'windowStartNs'),
    removed: (o.removed as unknown[]).map((k, i) => c.str(k, `removed[${i}]`)),
    added,
  };
}
