/**
 * Compaction on a real database (src/compact/compactor.ts, docs/compaction.md): cold windows'
 * files merge into one file per hour or day, queries answer exactly as before (duplicates,
 * merged fields, later snapshots winning), late data into a compacted hour wins, a restart
 * applies the compaction manifests, and each crash window (after the output, after the commit)
 * ends in a clean start. The seeded differential test is in differential.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listAll } from '../../src/objectstore/types.js';
import { compactionPrefix } from '../../src/persist/compaction-manifest.js';
import { SluiceDatabase, type OpenDatabaseOptions } from '../../src/database/database.js';
import { SimClock } from '../../src/effects/clock.js';
import { StoreIoError } from '../../src/objectstore/errors.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { queryRows, tempDatabase } from '../support/db-helpers.js';

const D0 = 1_699_920_000; // 2023-11-14T00:00:00Z, in seconds
const H = 3600;

/** Writes `lines` (precision s) to database db and waits for the acknowledgement. */
async function write(db: SluiceDatabase, lines: string[]): Promise<void> {
  await db.writer.writeLp('db', Buffer.from(lines.join('\n')), { precision: 's' });
}

/** Every row of cpu, sorted. */
function everything(db: SluiceDatabase): Promise<string[]> {
  return queryRows(db, 'db', 'SELECT * FROM cpu ORDER BY host, time');
}

async function parquetFiles(db: SluiceDatabase): Promise<Array<{ level: number; rows: number }>> {
  const result = await db.query.query('db', "SELECT level, row_count FROM system.parquet_files WHERE table_name = 'cpu' ORDER BY min_time");
  return result.rows.map((r) => ({ level: Number(r[0]), rows: Number(r[1]) }));
}

/**
 * Four snapshots over day D0 (hours 0–2) and the first hours of D1, with a point written again
 * in a later snapshot (one field changed, one left null: the older value must stay), so the
 * files of one window overlap.
 */
async function writeDays(db: SluiceDatabase): Promise<void> {
  const snapshots = [
    [`cpu,host=a u=1,i=1i,s="x" ${D0 + 60}`, `cpu,host=b u=2 ${D0 + 120}`, `cpu,host=a u=3 ${D0 + H + 60}`],
    [`cpu,host=a u=10 ${D0 + 60}`, `cpu,host=a u=4 ${D0 + 2 * H + 60}`, `cpu,host=b i=5i ${D0 + 2 * H + 600}`],
    [`cpu,host=b s="late" ${D0 + 120}`, `cpu,host=a u=6 ${D0 + 24 * H + 60}`, `cpu,host=a u=7 ${D0 + 24 * H + 900}`],
    [`cpu,host=a u=8 ${D0 + 24 * H + 1200}`, `cpu,host=b u=9 ${D0 + 25 * H + 2000}`, `cpu,host=b u=9.5 ${D0 + 26 * H}`],
  ];
  for (const lines of snapshots) {
    await write(db, lines);
    await db.snapshotNow();
  }
}

const WAL = { flushIntervalMs: 5, gen1Duration: '1m' as const };

test('compaction merges a cold day into one level-3 file and cold hours into level-2 files; queries answer exactly as before, and after a restart', async () => {
  const t = await tempDatabase({ wal: WAL, compactionInBackground: false });
  let db2: SluiceDatabase | undefined;
  try {
    const { db } = t;
    await writeDays(db);
    const before = await everything(db);
    const filesBefore = await parquetFiles(db);
    assert.ok(filesBefore.length >= 9, `gen1 files before: ${filesBefore.length}`);
    assert.ok(filesBefore.every((f) => f.level === 1));
    // The point written twice: u from the later snapshot, i and s kept from the first.
    assert.ok(before.some((r) => r.includes('i=1n') && r.includes('u=10') && r.includes('s="x"')), before.join('\n'));
    assert.ok(before.some((r) => r.includes('host="b"') && r.includes('u=2') && r.includes('s="late"')), before.join('\n'));

    const committed = await db.compactNow();
    const after = await parquetFiles(db);
    // D0 (cold: the newest row is at D1 02:00) → one level-3 file; D1's hour 0 (three gen1 files) → one level-2 file; hours 1 and 2 of D1 hold one file each.
    assert.deepEqual(after.map((f) => f.level), [3, 2, 1, 1]);
    assert.equal(committed, 2);
    assert.deepEqual(await everything(db), before, 'the same answer after compaction');
    assert.equal(db.compactor!.stats.filesOut, 2);
    assert.equal(db.compactor!.stats.filesIn, filesBefore.length - 2);
    assert.equal(after.reduce((n, f) => n + f.rows, 0), before.length, 'each point stored once');
    // Compacted inputs leave the store once no query reads them.
    await db.remover.idle();
    const stored = (await listAll(t.store, 'node1/dbs/')).filter((m) => m.key.endsWith('.parquet')).map((m) => m.key);
    assert.equal(stored.length, 4, stored.join('\n'));
    assert.equal((await listAll(t.store, compactionPrefix('node1'))).length, 2);
    assert.equal(await db.compactNow(), 0, 'nothing left to compact');

    await db.close();
    db2 = await t.open();
    assert.deepEqual(await everything(db2), before, 'the same answer after a restart');
    assert.deepEqual((await parquetFiles(db2)).map((f) => f.level), [3, 2, 1, 1]);
    assert.equal(db2.compactor!.nextSequenceNumber, 3);
  } finally {
    await t.cleanup(...(db2 === undefined ? [] : [db2]));
  }
});

test('late data written into an already compacted hour wins: buffered, snapshotted, compacted again, and after a restart', async () => {
  const t = await tempDatabase({ wal: WAL, compactionInBackground: false, compactionColdMarginMs: 0 });
  let db2: SluiceDatabase | undefined;
  try {
    const { db } = t;
    await write(db, [`cpu,host=a u=1,i=1i ${D0 + 60}`, `cpu,host=a u=2 ${D0 + 200}`]);
    await db.snapshotNow();
    await write(db, [`cpu,host=a u=3 ${D0 + 300}`]);
    await db.snapshotNow();
    await write(db, [`cpu,host=z u=0 ${D0 + H + 10}`]); // moves the newest row past hour 0
    await db.snapshotNow();
    assert.equal(await db.compactNow(), 1);
    assert.deepEqual((await parquetFiles(db)).map((f) => f.level), [2, 1]);
    const point = () => queryRows(db2 ?? db, 'db', `SELECT u, i FROM cpu WHERE host = 'a' AND time = '2023-11-14T00:01:00Z'`);
    assert.deepEqual(await point(), ['u=1 i=1n']);
    // The same point again, new value: buffered, it is newer than every file.
    await write(db, [`cpu,host=a u=100 ${D0 + 60}`]);
    assert.deepEqual(await point(), ['u=100 i=1n']);
    // Snapshotted: a gen1 file of a later snapshot inside the compacted hour.
    await db.snapshotNow();
    assert.deepEqual((await parquetFiles(db)).map((f) => f.level), [2, 1, 1]);
    assert.deepEqual(await point(), ['u=100 i=1n']);
    const all = await everything(db);
    assert.equal(all.length, 4);
    // Compacted again with it: still the new value, each point once.
    assert.equal(await db.compactNow(), 1);
    assert.deepEqual((await parquetFiles(db)).map((f) => f.level), [2, 1]);
    assert.deepEqual(await point(), ['u=100 i=1n']);
    assert.deepEqual(await everything(db), all);
    await db.close();
    db2 = await t.open();
    assert.deepEqual(await point(), ['u=100 i=1n']);
    assert.deepEqual(await everything(db2), all);
  } finally {
    await t.cleanup(...(db2 === undefined ? [] : [db2]));
  }
});

for (const step of ['output-written', 'committed'] as const) {
  test(`a crash ${step === 'output-written' ? 'after the output is written, before the commit' : 'after the commit, before the inputs are deleted'}: the restart answers the same, removes what is left over and compacts cleanly`, async () => {
    // A store without local paths: the compactor downloads its inputs, as on S3.
    const store = new MemoryObjectStore();
    let dead = false;
    const open = (onCompactionStep?: OpenDatabaseOptions['onCompactionStep']) =>
      SluiceDatabase.open({ store, nodeId: 'node1', wal: WAL, compactionInBackground: false, skipStoreProbe: true, ...(onCompactionStep === undefined ? {} : { onCompactionStep }) });
    const db = await open(async (at) => {
      // Dead from this step on: nothing after it happens.
      if (at === step) dead = true;
      if (dead) throw new Error(`simulated crash at ${at}`);
    });
    let db2: SluiceDatabase | undefined;
    try {
      await writeDays(db);
      const before = await everything(db);
      const inputs = db.persistedFiles.all().length;
      await db.compactNow();
      assert.ok(db.compactor!.stats.failures >= 1);
      assert.equal(db.compactor!.stats.compactions, step === 'committed' ? 1 : 0);
      assert.deepEqual(await everything(db), before);
      // The store holds the output besides every input.
      assert.ok((await listAll(store, 'node1/dbs/')).length > inputs);
      await db.kill();
      db2 = await open();
      assert.deepEqual(await everything(db2), before, 'the restart answers the same');
      assert.equal(db2.compactor!.nextSequenceNumber, step === 'committed' ? 2 : 1);
      assert.ok(db2.persistedFiles.all().length < inputs === (step === 'committed'), 'the committed compaction applies at start');
      assert.equal(await db2.compactNow(), step === 'committed' ? 1 : 2);
      assert.ok(db2.compactor!.stats.leftoversRemoved >= 1, 'leftovers found at start');
      assert.deepEqual(await everything(db2), before);
      await db2.remover.idle();
      const stored = (await listAll(store, 'node1/dbs/')).filter((m) => m.key.endsWith('.parquet')).map((m) => m.key).sort();
      assert.deepEqual(stored, db2.persistedFiles.all().map((f) => f.key).sort(), 'the store holds exactly the indexed files');
      assert.deepEqual((await parquetFiles(db2)).map((f) => f.level), [3, 2, 1, 1]);
    } finally {
      await db.close();
      await db2?.close();
    }
  });
}

test('retention: a compacted file partly past the period stays and is filtered, wholly past it goes', async () => {
  const DAY_MS = 86_400_000;
  const clock = new SimClock(D0 * 1000 + 10 * DAY_MS);
  const store = new MemoryObjectStore();
  const db = await SluiceDatabase.open({ store, nodeId: 'node1', wal: WAL, clock, compactionInBackground: false, compactionColdMarginMs: 0, skipStoreProbe: true, startBackgroundFlush: false });
  const writeNow = async (lines: string[]) => {
    const done = db.writer.writeLp('db', Buffer.from(lines.join('\n')), { precision: 's' });
    await db.wal.flushBuffer();
    await done;
  };
  try {
    const created = db.manage.createDatabase('db', { retentionPeriodNs: 3n * 86_400_000_000_000n });
    await db.wal.flushBuffer();
    await created;
    // Day D0+8, hour 0: two gen1 files (merged into one file); later rows make the day cold.
    const t1 = D0 + 8 * 86_400;
    await writeNow([`cpu,host=a u=1 ${t1 + 60}`]);
    await db.snapshotNow();
    await writeNow([`cpu,host=a u=2 ${t1 + 1800}`, `cpu,host=a u=3 ${D0 + 10 * 86_400 - 60}`]);
    await db.snapshotNow();
    assert.equal(await db.compactNow(), 1);
    const levels = () => db.query.query('db', 'SELECT level FROM system.parquet_files ORDER BY min_time').then((r) => r.rows.map((row) => Number(row[0])));
    assert.deepEqual(await levels(), [3, 1]);
    // The cutoff moves between the merged file's two rows: the file stays, its older row is filtered.
    await clock.advance(DAY_MS + 1000 * 1000);
    assert.equal(await db.enforceRetention(), 0);
    assert.deepEqual(await queryRows(db, 'db', 'SELECT u FROM cpu ORDER BY time'), ['u=2', 'u=3']);
    assert.deepEqual(await levels(), [3, 1]);
    // Past its newest row: the compacted file goes, from the index and the store.
    await clock.advance(1000 * 1000);
    assert.equal(await db.enforceRetention(), 1);
    assert.deepEqual(await queryRows(db, 'db', 'SELECT u FROM cpu ORDER BY time'), ['u=3']);
    await db.remover.idle();
    const stored = (await listAll(store, 'node1/dbs/')).filter((m) => m.key.endsWith('.parquet')).map((m) => m.key);
    assert.deepEqual(stored, db.persistedFiles.all().map((f) => f.key));
  } finally {
    await db.close();
  }
});

test('a store that fails compaction puts fails the compaction — logged and counted, queries unaffected — and it succeeds once the store heals', async () => {
  class RefusingStore extends MemoryObjectStore {
    refusing = true;
    override async put(key: string, data: Uint8Array, mode: 'create' | 'overwrite'): Promise<void> {
      if (this.refusing && /\/c[23]-\d+\.parquet$/.test(key)) throw new StoreIoError(`refused put of ${key}`, false);
      return super.put(key, data, mode);
    }
  }
  const store = new RefusingStore();
  const errors: string[] = [];
  const logger = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: (_: unknown, msg: string) => errors.push(msg) } as never;
  const db = await SluiceDatabase.open({ store, nodeId: 'node1', wal: WAL, skipStoreProbe: true, logger, compactionInBackground: false });
  try {
    await writeDays(db);
    const before = await everything(db);
    assert.equal(await db.compactNow(), 0);
    assert.equal(db.compactor!.stats.failures, 1);
    assert.match(db.compactor!.stats.lastError!, /refused put/);
    assert.ok(errors.includes('compaction failed; tried again at the next round'), errors.join('; '));
    assert.deepEqual(await everything(db), before);
    store.refusing = false;
    assert.equal(await db.compactNow(), 2);
    assert.deepEqual(await everything(db), before);
  } finally {
    await db.close();
  }
});

test('a fenced writer never commits a compaction: a second writer on the node id takes over, the first one\'s compaction fails at its fence check and leaves no manifest', async () => {
  const store = new MemoryObjectStore();
  const open = () => SluiceDatabase.open({ store, nodeId: 'node1', wal: WAL, skipStoreProbe: true, compactionInBackground: false });
  const zombie = await open();
  let successor: SluiceDatabase | undefined;
  try {
    await writeDays(zombie);
    const before = await everything(zombie);
    successor = await open(); // claims the next writer epoch: the first writer is fenced
    assert.equal(await zombie.compactNow(), 0);
    assert.ok(zombie.compactor!.stats.failures >= 1, 'the fenced compaction failed');
    assert.equal((await listAll(store, compactionPrefix('node1'))).length, 0, 'no compaction manifest from the fenced writer');
    assert.deepEqual(await everything(successor), before);
    // The successor compacts, and removes the fenced writer's unreferenced output first.
    assert.equal(await successor.compactNow(), 2);
    assert.equal(successor.compactor!.stats.leftoversRemoved, 1);
    assert.deepEqual(await everything(successor), before);
  } finally {
    await zombie.kill();
    await successor?.close();
  }
});

test('queries running while compactions commit and delete their inputs always answer every point once with its last value', async () => {
  const t = await tempDatabase({ wal: WAL, compactionInBackground: false });
  try {
    const { db } = t;
    await writeDays(db);
    const before = await everything(db);
    let stop = false;
    let answers = 0;
    const failures: unknown[] = [];
    const reader = async (): Promise<void> => {
      try {
        while (!stop) {
          assert.deepEqual(await everything(db), before, 'an answer during compaction');
          answers++;
        }
      } catch (err) {
        failures.push(err);
      }
    };
    const readers = [reader(), reader(), reader()];
    assert.equal(await db.compactNow(), 2);
    await db.remover.idle(); // the inputs are deleted while the readers go on
    stop = true;
    await Promise.all(readers);
    if (failures.length > 0) throw failures[0];
    assert.ok(answers >= 3, `${answers} answers`);
    assert.deepEqual(await everything(db), before);
  } finally {
    await t.cleanup();
  }
});
