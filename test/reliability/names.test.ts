/**
 * Names never become paths (reliability goal S3, DESIGN.md §3.7): generated database, table,
 * tag and field names — with `/`, `..`, `.`, NUL, C0/C1 controls, 600+ characters, Unicode with
 * RTL text, bidi controls and combining marks, `%2F`, backslashes, spaces, empty strings and
 * reserved words — sent through the line-protocol writer are either rejected with a typed error
 * that says what was wrong, or stored and read back exactly (from the catalog, its persisted
 * form and the WAL); and no name ever appears in an object key: every key on the store matches
 * an id-only pattern.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Catalog, type CatalogLimits, type DatabaseSchema } from '../../src/catalog/catalog.js';
import { SimClock } from '../../src/effects/clock.js';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { quoteIdent } from '../../src/engine/duckdb.js';
import { serializePoint } from '../../src/lineprotocol/serializer.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { listAll, type ObjectStore } from '../../src/objectstore/types.js';
import { decodeWalFile } from '../../src/wal/codec.js';
import { FieldKind, type SnapshotDetails, type WalContents } from '../../src/wal/model.js';
import type { SnapshotStarted, WalFileNotifier } from '../../src/wal/notifier.js';
import { openWal } from '../../src/wal/object-store-wal.js';
import { WriteError } from '../../src/write/errors.js';
import { LineProtocolWriter } from '../../src/write/write-lp.js';
import { tempDatabase } from '../support/db-helpers.js';
import { runSeeds } from '../support/regressions.js';

const NAMES = Number(process.env.NAMES_COUNT ?? 100_000);
const DB_NAMES = Number(process.env.NAMES_DB_COUNT ?? 1_500);

// ---- the generator -------------------------------------------------------------------------------

const RESERVED = [
  'time', 'TIME', 'select', 'SELECT', 'null', 'NULL', 'true', 'false', 'NaN', 'Infinity', 'CON', 'NUL', 'PRN', 'AUX', 'COM1', 'LPT1',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'information_schema', 'pg_catalog', 'main', 'sluice', 'system',
  'iox', '_internal', '_series', 'wal', 'snapshots', 'catalog', 'dbs', 'epochs', 'tokens.json', 'node1', 'node-1', '.wal', '.parquet',
];
const ATOMS = [
  'a', 'cpu', 'Host', 'x9', '/', '//', '..', '.', '../', '/..', '\u0000', '\t', '\n', '\r', '\r\n', '\u0001', '\u001b', '\u007f', '\u0085', '\u009f', '\u00a0',
  '%2F', '%2f', '%2e%2e', '%00', '%', '\\', '\\\\', ' ', '  ', ',', '=', '"', "'", '#', '*', '?', ':', '|', '<', '>', '$', '{', '}', '[', ']', '`', '~', '@', '!',
  'é', 'e\u0301', '\u0301', '\u0308\u0308', 'שלום', 'مرحبا', '\u202e', '\u202d', '\u200f', '\u200e', '\u2066', '\u200b', '\u200d', '\ufeff', '\ufffd', '🦆', '𝔘',
  '👩‍👩‍👧', '中文', 'Ω', 'ǅ', 'İ', 'ß', '_', '-', '0', '9', '42', '…', '\u2028', '\u2029', 'C:\\', '\\\\?\\', 'etc/passwd', ...RESERVED,
];

type Position = 'database' | 'table' | 'tag' | 'field';
const POSITIONS: readonly Position[] = ['database', 'table', 'tag', 'field'];

/** One generated name: concatenated atoms, empty, long (around the 511-byte limit and past 600 characters), reserved, path-like or ordinary. */
function generateName(rng: SeededRng): string {
  const pick = (): string => ATOMS[rng.nextInt(ATOMS.length)]!;
  switch (rng.nextInt(10)) {
    case 0:
      return '';
    case 1: {
      const unit = rng.nextInt(3) === 0 ? 'x' : pick() || 'x';
      const targetBytes = [500, 510, 511, 512, 513, 600, 601, 700, 1500][rng.nextInt(9)]!;
      let s = '';
      while (Buffer.byteLength(s) < targetBytes) s += unit;
      return rng.nextInt(2) === 0 ? s : s.slice(0, Math.max(1, targetBytes)); // 600+ characters either way for long units
    }
    case 2:
      return RESERVED[rng.nextInt(RESERVED.length)]!;
    case 3: {
      // A name the database rule accepts, so databases get created too.
      const first = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
      const rest = `${first}_-`;
      let s = first[rng.nextInt(first.length)]!;
      const n = rng.nextInt(12);
      for (let i = 0; i < n; i++) s += rest[rng.nextInt(rest.length)]!;
      return s;
    }
    case 4:
      return ['../../etc/passwd', '../', '..', '.', '/', '/abs/path', 'a/b/c', 'C:\\Windows', '\\\\server\\share', '..\\..\\x', 'a/../../b', '%2e%2e%2fx', 'x%2F..%2Fy', './.', '~/x'][rng.nextInt(15)]!;
    case 5:
      return pick();
    default: {
      let s = '';
      const n = 1 + rng.nextInt(6);
      for (let i = 0; i < n; i++) s += pick();
      return s;
    }
  }
}

/**
 * The name a line-protocol line carries for `name` in `position`: undefined when the line
 * cannot carry it (it splits, and its first part has no fields), null when the whole line is
 * blank or a comment. The serializer escapes `,`, `=`, space and `\`; line protocol has no
 * escape for a newline (it ends the line), and the parser — as InfluxDB's — skips leading tabs,
 * blank lines and `#` comment lines before a measurement.
 */
function carriedName(name: string, position: Position): string | null | undefined {
  if (position === 'database') return name; // the db argument, not part of the body
  if (position !== 'table') return name.includes('\n') ? undefined : name;
  let rest = name;
  for (;;) {
    rest = rest.replace(/^\t+/, '');
    const blank = /^\r?\n/.exec(rest);
    if (blank !== null) {
      rest = rest.slice(blank[0].length);
      continue;
    }
    if (rest.startsWith('#')) {
      const end = rest.indexOf('\n');
      if (end < 0) return null;
      rest = rest.slice(end + 1);
      continue;
    }
    return rest.includes('\n') ? undefined : rest;
  }
}

// ---- writing one name ------------------------------------------------------------------------------

const TS = 1_700_000_000_000_000_000n;
const NAMES_DB = 'names';
const BUCKETS = 32;

interface Sent {
  name: string;
  position: Position;
  /** The table its tag or field goes to. */
  table: string;
  outcome: 'accepted' | string;
}

function bodyFor(name: string, position: Position, table: string, i: number): { db: string; body: Buffer } {
  const timestamp = TS + BigInt(i);
  switch (position) {
    case 'database':
      return { db: name, body: Buffer.from(serializePoint({ measurement: 'm', tags: [], fields: [['f', FieldKind.Int64, 1n]], timestamp })) };
    case 'table':
      return { db: NAMES_DB, body: Buffer.from(serializePoint({ measurement: name, tags: [['k', 'v']], fields: [['f', FieldKind.Int64, 1n]], timestamp })) };
    case 'tag':
      return { db: NAMES_DB, body: Buffer.from(serializePoint({ measurement: table, tags: [[name, 'v']], fields: [['f', FieldKind.Int64, 1n]], timestamp })) };
    case 'field':
      return { db: NAMES_DB, body: Buffer.from(serializePoint({ measurement: table, tags: [], fields: [[name, FieldKind.Int64, 1n]], timestamp })) };
  }
}

/** Why a write was refused, from its typed error; a message no reason matches fails the test. */
function reasonOf(err: WriteError, sent: { name: string; position: Position }): string {
  const message = err.code === 'PARSE' || err.code === 'LIMIT' ? (err.lineErrors[0]?.errorMessage ?? err.message) : err.message;
  const reasons: Array<[RegExp, string]> = [
    [/must not be empty/, 'empty name'],
    [/longer than 511/, 'longer than 511 bytes'],
    [/contains a control character/, 'control character'],
    [/invalid database name [\s\S]*must start with an ASCII letter or digit/, 'database name outside [A-Za-z0-9][A-Za-z0-9_-]*'],
    [/reserved for the timestamp/, "'time' is reserved"],
    [/invalid column type for column/, 'column exists with another type'],
    [/would exceed/, 'catalog limit'],
    [/^Invalid measurement was provided$|^missing (tag|field) key$|^empty (measurement|tag key)$/, 'empty name (or a newline first: line protocol)'],
    [/No fields were provided|has no value|has an empty value|ends with a backslash|Found trailing content|unescaped =|invalid field value|Invalid measurement/, 'line protocol syntax (a newline ends the line)'],
  ];
  if (err.code === 'EMPTY_WRITE') {
    // blank lines and `#` comments only: line protocol reads no line at all
    assert.ok(carriedName(sent.name, sent.position) === null, `EMPTY_WRITE for ${JSON.stringify(sent.name)} (${sent.position})`);
    return 'no line left (the name makes it a comment or blank)';
  }
  for (const [pattern, reason] of reasons) {
    if (!pattern.test(message)) continue;
    if (reason.startsWith('empty name (or')) assert.ok(carriedName(sent.name, sent.position) === '' || sent.name.includes('\n'), `${JSON.stringify(message)} for ${JSON.stringify(sent.name)} (${sent.position})`);
    if (reason.startsWith('line protocol syntax')) assert.ok(sent.name.includes('\n') || sent.name === '' || /^[\t ]/.test(sent.name), `syntax error ${JSON.stringify(message)} for ${JSON.stringify(sent.name)} (${sent.position})`);
    return reason;
  }
  throw new Error(`a refusal that does not say what was wrong: ${err.code} ${JSON.stringify(message)} for ${JSON.stringify(sent.name)} (${sent.position})`);
}

/** Sends every name through `writer`, `window` at a time, and records each outcome. */
async function sendAll(writer: LineProtocolWriter, names: Array<{ name: string; position: Position; table: string }>, window: number): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (let start = 0; start < names.length; start += window) {
    const slice = names.slice(start, start + window);
    const settled = await Promise.allSettled(
      slice.map((n, k) => {
        const { db, body } = bodyFor(n.name, n.position, n.table, start + k);
        return writer.writeLp(db, body, { precision: 'ns', acceptPartial: false });
      }),
    );
    settled.forEach((s, k) => {
      const n = slice[k]!;
      if (s.status === 'fulfilled') {
        assert.equal(s.value.lineCount, 1, `one line written for ${JSON.stringify(n.name)}`);
        sent.push({ ...n, outcome: 'accepted' });
        return;
      }
      if (!(s.reason instanceof WriteError)) throw new Error(`${JSON.stringify(n.name)} (${n.position}): not a typed refusal: ${String(s.reason)}`, { cause: s.reason });
      sent.push({ ...n, outcome: reasonOf(s.reason, n) });
    });
  }
  return sent;
}

/** Every name of the catalog, by position, as `position\u0000table\u0000name` strings. */
function catalogNames(catalog: Catalog): Set<string> {
  const out = new Set<string>();
  for (const db of catalog.listDatabases()) {
    out.add(`database\u0000\u0000${db.name}`);
    for (const table of db.tables.values()) {
      if (db.name === NAMES_DB) out.add(`table\u0000\u0000${table.name}`);
      for (const column of table.columns.values()) out.add(`${column.type === 'tag' ? 'tag' : column.type === 'time' ? 'time' : 'field'}\u0000${db.name === NAMES_DB ? table.name : `(${db.name})`}\u0000${column.name}`);
    }
  }
  return out;
}

/** What the catalog must hold after `sent`: the accepted names and the fixed ones the bodies use. */
function expectedNames(sent: readonly Sent[]): Set<string> {
  const out = new Set<string>();
  const withTable = (table: string, dbLabel: string, tags: string[], fields: string[]): void => {
    if (dbLabel === NAMES_DB) out.add(`table\u0000\u0000${table}`);
    out.add(`time\u0000${dbLabel === NAMES_DB ? table : `(${dbLabel})`}\u0000time`);
    for (const t of tags) out.add(`tag\u0000${dbLabel === NAMES_DB ? table : `(${dbLabel})`}\u0000${t}`);
    for (const f of fields) out.add(`field\u0000${dbLabel === NAMES_DB ? table : `(${dbLabel})`}\u0000${f}`);
  };
  for (const s of sent) {
    if (s.outcome !== 'accepted') continue;
    const carried = carriedName(s.name, s.position);
    assert.ok(typeof carried === 'string', `${JSON.stringify(s.name)} (${s.position}) was accepted though line protocol cannot carry it`);
    switch (s.position) {
      case 'database':
        out.add(`database\u0000\u0000${s.name}`);
        withTable('m', s.name, [], ['f']);
        break;
      case 'table':
        withTable(carried, NAMES_DB, ['k'], ['f']);
        break;
      case 'tag':
        withTable(s.table, NAMES_DB, [carried], ['f']);
        break;
      case 'field':
        withTable(s.table, NAMES_DB, [], [carried]);
        break;
    }
  }
  if ([...out].some((k) => k.startsWith('table\u0000'))) out.add(`database\u0000\u0000${NAMES_DB}`);
  return out;
}

function assertCatalogHolds(catalog: Catalog, sent: readonly Sent[], where: string): void {
  const actual = catalogNames(catalog);
  const expected = expectedNames(sent);
  const missing = [...expected].filter((k) => !actual.has(k));
  const extra = [...actual].filter((k) => !expected.has(k));
  assert.deepEqual({ missing: missing.slice(0, 5).map((k) => k.split('\u0000')), extra: extra.slice(0, 5).map((k) => k.split('\u0000')) }, { missing: [], extra: [] }, `${where}: the catalog holds exactly the accepted names`);
}

/** Checks each accepted name against the catalog, with its column type. */
function assertEachAccepted(catalog: Catalog, sent: readonly Sent[]): void {
  const namesDb = catalog.database(NAMES_DB);
  for (const s of sent) {
    if (s.outcome !== 'accepted') continue;
    const carried = carriedName(s.name, s.position);
    assert.ok(typeof carried === 'string', `${JSON.stringify(s.name)} (${s.position}) was accepted though line protocol cannot carry it`);
    const found = (db: DatabaseSchema | undefined): boolean => {
      switch (s.position) {
        case 'database':
          return catalog.database(s.name)?.tables.get('m')?.columns.get('f')?.type === 'int64';
        case 'table':
          return db?.tables.get(carried)?.columns.get('k')?.type === 'tag';
        case 'tag':
          return db?.tables.get(s.table)?.columns.get(carried)?.type === 'tag';
        case 'field':
          return db?.tables.get(s.table)?.columns.get(carried)?.type === 'int64';
      }
    };
    assert.ok(found(namesDb), `accepted ${s.position} name ${JSON.stringify(s.name)} is stored exactly`);
  }
}

/** A notifier that keeps nothing: this suite reads the names back from the catalog and the WAL files. */
class NullNotifier implements WalFileNotifier {
  async notify(_contents: WalContents): Promise<void> {}
  async notifyAndSnapshot(_contents: WalContents, _details: SnapshotDetails): Promise<SnapshotStarted> {
    return { persisted: Promise.resolve() };
  }
}

const KEY_PATTERNS = (node: string): RegExp[] => {
  const n = node.replace(/[-]/g, '\\-');
  return [
    new RegExp(`^${n}/wal/\\d{11}\\.wal$`),
    new RegExp(`^${n}/epochs/\\d{16}\\.epoch$`),
    new RegExp(`^${n}/snapshots/\\d{16}\\.info\\.json$`),
    new RegExp(`^${n}/catalog/\\d{16}\\.catalog\\.json$`),
    new RegExp(`^${n}/dbs/\\d+/\\d+/[+-]?\\d{4,6}-\\d{2}-\\d{2}/\\d{2}-\\d{2}/\\d{11}\\.parquet$`),
    new RegExp(`^${n}/tokens\\.json$`),
  ];
};

async function assertIdOnlyKeys(store: ObjectStore, node: string, where: string): Promise<number> {
  const patterns = KEY_PATTERNS(node);
  const keys = (await listAll(store, '')).map((o) => o.key);
  for (const key of keys) assert.ok(patterns.some((p) => p.test(key)), `${where}: key ${JSON.stringify(key)} is not one of the id-only patterns`);
  return keys.length;
}

/** Every file and directory under a local store's root is named by ids (or is the store's lock or a temp file of such a name). */
async function assertIdOnlyPaths(root: string, node: string): Promise<number> {
  const patterns = KEY_PATTERNS(node);
  const dirPattern = new RegExp(`^${node}(/(wal|epochs|snapshots|catalog|dbs(/\\d+(/\\d+(/[+-]?\\d{4,6}-\\d{2}-\\d{2}(/\\d{2}-\\d{2})?)?)?)?))?$`);
  let count = 0;
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = relative(root, join(entry.parentPath ?? entry.path, entry.name)).split(sep).join('/');
    count++;
    if (entry.isDirectory()) {
      assert.match(path, dirPattern, `directory ${JSON.stringify(path)} is named by ids only`);
      continue;
    }
    const base = path.slice(path.lastIndexOf('/') + 1);
    const dir = path.slice(0, path.lastIndexOf('/') + 1);
    const unTemp = /^\.(.*)\.[0-9a-f]+\.tmp$/.exec(base);
    const asKey = base === '.lock' ? undefined : unTemp === null ? path : `${dir}${unTemp[1]}`;
    assert.ok(asKey === undefined || patterns.some((p) => p.test(asKey)), `file ${JSON.stringify(path)} is named by ids only`);
  }
  return count;
}

function generate(rng: SeededRng, count: number, positionOf: (i: number) => Position): Array<{ name: string; position: Position; table: string }> {
  return Array.from({ length: count }, (_, i) => {
    const position = positionOf(i);
    return { name: generateName(rng), position, table: `${position === 'tag' ? 'names_tags' : 'names_fields'}_${rng.nextInt(BUCKETS)}` };
  });
}

function tally(sent: readonly Sent[]): string {
  const byReason = new Map<string, number>();
  for (const s of sent) if (s.outcome !== 'accepted') byReason.set(s.outcome, (byReason.get(s.outcome) ?? 0) + 1);
  const byPosition = POSITIONS.map((p) => `${p} ${sent.filter((s) => s.position === p && s.outcome === 'accepted').length}/${sent.filter((s) => s.position === p).length}`).join(', ');
  const reasons = [...byReason].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join('; ');
  const stripped = sent.filter((s) => s.outcome === 'accepted' && carriedName(s.name, s.position) !== s.name).length;
  return `generated ${sent.length}, accepted ${sent.filter((s) => s.outcome === 'accepted').length} (${byPosition}; ${stripped} table names with leading tabs, blank or comment lines stored without them, as line protocol reads them), rejected ${sent.filter((s) => s.outcome !== 'accepted').length} — ${reasons}`;
}

// ---- the suites ------------------------------------------------------------------------------------

test(`${NAMES} generated names through the line-protocol writer: rejected with a reason or stored and read back exactly (catalog, persisted catalog, WAL); WAL keys id-only`, async () => {
  const base = testSeed();
  console.log(`# names seed ${base} (replay: SEED=${base})`);
  await runSeeds('names-writer', base, 1, async (seed) => {
    const rng = new SeededRng(seed);
    const limits: CatalogLimits = { maxDatabases: 1_000_000, maxTables: 1_000_000, maxColumnsPerTable: 1_000_000 };
    const catalog = new Catalog(limits);
    const store = new MemoryObjectStore();
    const clock = new SimClock(1_700_000_000_000);
    const wal = await openWal({ store, nodeId: 'node-1', notifier: new NullNotifier(), config: { flushIntervalMs: 1, snapshotSize: 1_000_000, maxWriteBufferSize: 1_000_000 }, skipStoreProbe: true });
    try {
      const writer = new LineProtocolWriter(catalog, wal, { clock });
      const names = generate(rng, NAMES, (i) => POSITIONS[i % 4]!);
      const sent = await sendAll(writer, names, 2_000);
      await wal.shutdown();
      assertEachAccepted(catalog, sent);
      assertCatalogHolds(catalog, sent, 'live catalog');
      // The persisted form: the catalog file reads back to the same names.
      const reread = Catalog.deserialize(catalog.serialize(), limits);
      assertCatalogHolds(reread, sent, 'catalog read back from its file');
      // The WAL: replaying its catalog ops rebuilds the same catalog, byte for byte.
      const replayed = new Catalog(limits);
      let walFiles = 0;
      for (const o of await listAll(store, 'node-1/wal/')) {
        walFiles++;
        for (const op of decodeWalFile(await store.get(o.key), o.key).contents.ops) if (op.kind === 'catalog') replayed.applyCatalogBatch(op.batch);
      }
      assert.equal(Buffer.from(replayed.serialize()).toString(), Buffer.from(catalog.serialize()).toString(), 'the WAL carries every name exactly');
      const keys = await assertIdOnlyKeys(store, 'node-1', 'writer level');
      console.log(`# names (writer level): ${tally(sent)}; read back from the catalog file and ${walFiles} WAL files; ${keys} keys, all id-only`);
    } finally {
      await wal.shutdown().catch(() => undefined);
    }
  });
});

test(`${DB_NAMES} generated names through a SluiceDatabase on a local directory: after a snapshot every key is id-only; after a restart every accepted name reads back, also through SQL`, async () => {
  const base = testSeed();
  console.log(`# names (database) seed ${base} (replay: SEED=${base})`);
  const rng = new SeededRng((base ^ 0x6e616d65) >>> 0);
  const t = await tempDatabase({ wal: { flushIntervalMs: 2 }, skipStoreProbe: true });
  let reopened;
  try {
    // Default catalog limits (100 databases, 2 000 tables): keep databases to one in ten names.
    const names = generate(rng, DB_NAMES, (i) => (i % 10 === 0 ? 'database' : POSITIONS[1 + (i % 3)]!));
    const sent = await sendAll(t.db.writer, names, 200);
    await t.db.snapshotNow();
    await t.db.writer.writeLp(NAMES_DB, Buffer.from(`after_snapshot,k=v f=1i ${TS}`), { precision: 'ns' }); // a WAL file after the snapshot too
    const afterSnapshot = await assertIdOnlyKeys(t.store, 'node1', 'after a snapshot');
    const parquet = (await listAll(t.store, 'node1/dbs/')).length;
    assert.ok(parquet > 0, 'the snapshot wrote Parquet files');
    await t.db.close();
    reopened = await t.open();
    assertEachAccepted(reopened.catalog, sent);
    const withExtra: Sent[] = [...sent, { name: 'after_snapshot', position: 'table', table: '', outcome: 'accepted' }];
    assertCatalogHolds(reopened.catalog, withExtra, 'after a restart');
    // SQL reads each accepted table and column back by its exact name.
    let sqlChecked = 0;
    for (const s of sent) {
      if (s.outcome !== 'accepted' || s.position === 'database') continue;
      const name = carriedName(s.name, s.position) as string;
      const sql = s.position === 'table' ? `SELECT count(*) FROM ${quoteIdent(name)}` : `SELECT count(${quoteIdent(name)}) FROM ${quoteIdent(s.table)}`;
      const result = await reopened.query.query(NAMES_DB, sql);
      assert.ok(Number(result.rows[0]![0]) >= 1, `${sql} finds the row written under that name`);
      sqlChecked++;
    }
    const keys = await assertIdOnlyKeys(t.store, 'node1', 'after a restart');
    const paths = await assertIdOnlyPaths(t.dir, 'node1');
    console.log(`# names (database): ${tally(sent)}; ${afterSnapshot} keys after the snapshot (${parquet} Parquet) and ${keys} after a restart, all id-only, as are the ${paths} files and directories on disk; ${sqlChecked} accepted tables/columns read back by SQL`);
  } finally {
    await t.cleanup(...(reopened === undefined ? [] : [reopened]));
  }
});
