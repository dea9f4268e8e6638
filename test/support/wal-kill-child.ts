// A child process for the SIGKILL test: opens a WAL on a directory and runs concurrent writers
// until it is killed. Before each write it prints `T <id>`, after the acknowledgement `A <id>`,
// with synchronous writes to fd 1, so every line printed reaches the parent even if the process
// is killed right after.
import { writeSync } from 'node:fs';
import { LocalObjectStore } from '../../src/objectstore/local.js';
import { openWal } from '../../src/wal/object-store-wal.js';
import { noopNotifier } from '../../src/wal/notifier.js';
import { writeOp } from './wal-helpers.js';

const [dir, writersArg, runArg, intervalArg] = process.argv.slice(2);
const writers = Number(writersArg);
const run = Number(runArg);
const store = await LocalObjectStore.open({ root: dir! });
const wal = await openWal({
  store,
  nodeId: 'kill-test',
  notifier: noopNotifier,
  config: { flushIntervalMs: Number(intervalArg), flushSizeBytes: 8 * 1024, snapshotSize: 1_000_000 },
});
writeSync(1, 'READY\n');

async function writer(w: number): Promise<void> {
  for (let k = 0; ; k++) {
    // ids are unique across runs and writers: run × 1e9 + writer × 1e6 + k
    const id = run * 1_000_000_000 + w * 1_000_000 + k;
    const rowsPerOp = 1 + (k % 5);
    writeSync(1, `T ${id}\n`);
    await wal.writeOps([writeOp(BigInt(id), rowsPerOp, id * 10)]);
    writeSync(1, `A ${id}\n`);
  }
}

for (let w = 0; w < writers; w++) void writer(w);
