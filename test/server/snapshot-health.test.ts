import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceDatabase } from '../../src/database/database.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { SluiceServer } from '../../src/server/http.js';
import { StoreIoError } from '../../src/objectstore/errors.js';
import type { PutMode } from '../../src/objectstore/types.js';

/** Fails the next `failParquetPuts` puts of Parquet files. */
class ParquetFailingStore extends MemoryObjectStore {
  failParquetPuts = 0;
  override async put(key: string, data: Uint8Array, mode: PutMode): Promise<void> {
    if (key.endsWith('.parquet') && this.failParquetPuts > 0) {
      this.failParquetPuts--;
      throw new StoreIoError('injected put failure', true, key);
    }
    return super.put(key, data, mode);
  }
}

test('failing snapshot puts show on /health (degraded, still 200: the WAL keeps every write) and in /metrics, and clear once a put succeeds', { timeout: 60_000 }, async () => {
  const flaky = new ParquetFailingStore();
  const db = await SluiceDatabase.open({ store: flaky, nodeId: 'n', wal: { flushIntervalMs: 5 } });
  const server = new SluiceServer({ db });
  const { port } = await server.listen('127.0.0.1', 0);
  const base = `http://127.0.0.1:${port}`;
  try {
    const w = await fetch(`${base}/api/v3/write_lp?db=d&precision=s`, { method: 'POST', body: 'm,h=a v=1 1700000000' });
    assert.equal(w.status, 204);
    flaky.failParquetPuts = 2; // the snapshot's first Parquet puts fail, then it goes through
    const snapshot = db.snapshotNow();
    let sawDegraded = false;
    for (let i = 0; i < 100 && !sawDegraded; i++) {
      const h = await fetch(`${base}/health`);
      const text = await h.text();
      if (/failed snapshot puts in a row/.test(text)) {
        assert.equal(h.status, 200);
        assert.match(text, /^OK \(degraded: \d+ failed snapshot puts in a row, retrying \(injected put failure\)\)$/);
        assert.match(await (await fetch(`${base}/metrics`)).text(), /^sluice_snapshot_put_failures_in_a_row [1-9]/m);
        sawDegraded = true;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(sawDegraded, '/health reported the failing snapshot puts');
    await snapshot;
    assert.equal(await (await fetch(`${base}/health`)).text(), 'OK');
    assert.match(await (await fetch(`${base}/metrics`)).text(), /^sluice_snapshot_put_failures_in_a_row 0$/m);
  } finally {
    await server.close();
    await db.close();
  }
});
