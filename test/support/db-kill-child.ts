// A child process for the database SIGKILL test: opens a Sluice database on a directory, runs
// concurrent line-protocol writers and a snapshot loop until it is killed. Before each write it
// prints `T <id>`, after the acknowledgement `A <id>` (synchronous writes to fd 1).
import { writeSync } from 'node:fs';
import { SluiceDatabase } from '../../src/database/database.js';
import { LocalObjectStore } from '../../src/objectstore/local.js';

const [dir, writersArg, runArg, intervalArg, snapshotEveryArg] = process.argv.slice(2);
const store = await LocalObjectStore.open({ root: dir! });
const db = await SluiceDatabase.open({
  store,
  nodeId: 'kill',
  wal: { flushIntervalMs: Number(intervalArg), gen1Duration: '1m', snapshottedWalFilesToKeep: 2, flushSizeBytes: 16 * 1024 },
});
writeSync(1, 'READY\n');

async function writer(w: number): Promise<void> {
  for (let k = 0; ; k++) {
    const id = Number(runArg) * 1_000_000 + w * 100_000 + k;
    writeSync(1, `T ${id}\n`);
    // Two lines per write; the point key (w, time) is unique per id; time spreads over many gen1 windows.
    const body = `k,w=${w} id=${id}i,v=${id * 2}i ${id}\nk,w=${w},half=1 id=${id}i ${id}`;
    await db.writer.writeLp('kill', Buffer.from(body), { precision: 's' });
    writeSync(1, `A ${id}\n`);
  }
}

for (let w = 0; w < Number(writersArg); w++) void writer(w);
setInterval(() => void db.snapshotNow().catch(() => undefined), Number(snapshotEveryArg));
