// A child process for the caches' SIGKILL test: opens a Sluice database on a directory, makes a
// last cache and a distinct cache on table `c` (prints `C` once both are acknowledged), then runs
// concurrent line-protocol writers until it is killed, optionally snapshotting. Before each write
// it prints `T <id>`, after the acknowledgement `A <id>` (synchronous writes to fd 1).
import { writeSync } from 'node:fs';
import { SluiceDatabase } from '../../src/database/database.js';
import { LocalObjectStore } from '../../src/objectstore/local.js';
import { ManageError } from '../../src/write/manage.js';

const [dir, writersArg, runArg, intervalArg, snapshotEveryArg] = process.argv.slice(2);
const store = await LocalObjectStore.open({ root: dir! });
const db = await SluiceDatabase.open({ store, nodeId: 'kill', wal: { flushIntervalMs: Number(intervalArg), gen1Duration: '1m', flushSizeBytes: 16 * 1024 } });
const exists = (err: unknown) => {
  if (!(err instanceof ManageError && err.code === 'ALREADY_EXISTS')) throw err;
};
await db.manage.createTable('kill', 'c', ['host'], [{ name: 'v', type: 'int64' }]).catch(exists);
await db.manage.createLastCache('kill', 'c', { count: 2 }).catch(exists);
await db.manage.createDistinctCache('kill', 'c', { columns: ['host'] }).catch(exists);
writeSync(1, 'C\n');
writeSync(1, 'READY\n');

const base = BigInt(Date.now()) * 1_000_000n;
async function writer(w: number): Promise<void> {
  for (let k = 0; ; k++) {
    const id = Number(runArg) * 1_000_000 + w * 100_000 + k;
    writeSync(1, `T ${id}\n`);
    await db.writer.writeLp('kill', Buffer.from(`c,host=h${id % 7} v=${id}i ${base + BigInt(id)}`), { precision: 'ns' });
    writeSync(1, `A ${id}\n`);
  }
}

for (let w = 0; w < Number(writersArg); w++) void writer(w);
const snapshotEveryMs = Number(snapshotEveryArg);
if (snapshotEveryMs > 0) setInterval(() => void db.snapshotNow().catch(() => undefined), snapshotEveryMs);
