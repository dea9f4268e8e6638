// A child process for the CREATE DATABASE SIGKILL test: opens a Sluice database on a directory
// and creates databases `c<id>` one after another (with a line written now and then, and
// snapshots, so the catalog also travels through snapshots) until it is killed. Before each
// creation it prints `T <id>`, after the acknowledgement `A <id>`. It stops creating at `count`
// and waits for the kill (the catalog allows 100 databases).
import { writeSync } from 'node:fs';
import { SluiceDatabase } from '../../src/database/database.js';
import { LocalObjectStore } from '../../src/objectstore/local.js';

const [dir, runArg, countArg, intervalArg] = process.argv.slice(2);
const store = await LocalObjectStore.open({ root: dir! });
const db = await SluiceDatabase.open({ store, nodeId: 'kill', wal: { flushIntervalMs: Number(intervalArg), gen1Duration: '1m', snapshottedWalFilesToKeep: 1 } });
writeSync(1, 'READY\n');
for (let k = 0; k < Number(countArg); k++) {
  const id = Number(runArg) * 1000 + k;
  writeSync(1, `T ${id}\n`);
  await db.createDatabase(`c${id}`);
  writeSync(1, `A ${id}\n`);
  if (k % 3 === 0) await db.writer.writeLp(`c${id}`, Buffer.from(`m,k=${k} f=${k}i`), { precision: 'ns' });
  if (k % 4 === 0) void db.snapshotNow().catch(() => undefined);
}
setInterval(() => undefined, 1000);
