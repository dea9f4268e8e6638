// Opens a WAL on a directory, writes with writeOps, reopens it, and checks that the notifier
// receives every acknowledged op exactly once, in order.
//
//   npm run example            (uses a fresh temporary directory)
//   npm run example -- ./data  (or a directory of your choice)
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FieldKind, LocalObjectStore, chunkRows, openWal, writeBatchForTable, type WalContents, type WalFileNotifier, type WalOp } from '../src/index.js';

const dir = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'sluice-example-')));
const GEN1_NS = 600_000_000_000n; // 10 minutes

/** A notifier that remembers the value of every row it is given. */
function collectingNotifier(seen: bigint[]): WalFileNotifier {
  const apply = (contents: WalContents): void => {
    for (const op of contents.ops) {
      if (op.kind !== 'write') continue;
      for (const table of op.batch.tableChunks.values()) {
        for (const chunk of table.chunkTimeToChunk.values()) {
          for (const row of chunkRows(chunk)) for (const f of row.fields) if (f.kind === FieldKind.Int64) seen.push(f.value);
        }
      }
    }
  };
  return {
    async notify(contents) {
      apply(contents);
    },
    async notifyAndSnapshot(contents) {
      apply(contents);
      return { persisted: Promise.resolve() };
    },
  };
}

function op(value: bigint): WalOp {
  const rows = [{ timeNs: BigInt(Date.now()) * 1_000_000n, fields: [{ columnId: 0, kind: FieldKind.Tag, value: 'example' } as const, { columnId: 1, kind: FieldKind.Int64, value } as const] }];
  return { kind: 'write', batch: writeBatchForTable(1, 'exampledb', 1, rows, GEN1_NS) };
}

// First run: write 100 ops from 10 concurrent writers; each writeOps resolves once durable.
const before: bigint[] = [];
let store = await LocalObjectStore.open({ root: dir });
const wal = await openWal({ store, nodeId: 'example-node', notifier: collectingNotifier(before), config: { flushIntervalMs: 20 } });
const alreadyThere = before.length;
const acknowledged: bigint[] = [];
await Promise.all(
  Array.from({ length: 10 }, async (_, writer) => {
    for (let i = 0; i < 10; i++) {
      const value = BigInt(writer * 1000 + i);
      await wal.writeOps([op(value)]);
      acknowledged.push(value);
    }
  }),
);
await wal.shutdown();
await store.close();
console.log(`wrote ${acknowledged.length} ops into ${wal.lastWalSequenceNumber()} WAL files under ${dir}`);

// Second run: replay hands every op back through the notifier, once, in file order.
const replayed: bigint[] = [];
store = await LocalObjectStore.open({ root: dir });
const reopened = await openWal({ store, nodeId: 'example-node', notifier: collectingNotifier(replayed) });
const fromThisRun = replayed.slice(alreadyThere);
assert.deepEqual(fromThisRun, before.slice(alreadyThere), 'replay gives the ops in the order they were first applied');
assert.deepEqual([...fromThisRun].sort((a, b) => Number(a - b)), [...acknowledged].sort((a, b) => Number(a - b)), 'every acknowledged op exactly once');
console.log(`reopened: ${reopened.getStats().replay?.filesReplayed} files replayed, ${fromThisRun.length} ops back exactly once, in order`);
await reopened.shutdown();
await store.close();
