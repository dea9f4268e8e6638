/**
 * The buffer's byte total against the memory the process really spends on it: forced snapshots
 * fire on that total, so it must not be far off. Measured as the growth of the V8 heap plus
 * array buffers (typed arrays live there) across a large write, after full garbage collections,
 * with the first write's one-time costs (code paths, pools) paid before the baseline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { tempDatabase } from '../support/db-helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** TSBS-like lines: `hosts` series with 4 tags, 5 integer and 5 float fields, every 10 s. */
function lines(count: number, hosts: number, startNs: bigint): Buffer[] {
  const bodies: Buffer[] = [];
  let body: string[] = [];
  for (let i = 0; i < count; i++) {
    const h = i % hosts;
    const t = startNs + BigInt(Math.floor(i / hosts)) * 10_000_000_000n;
    const ints = [0, 1, 2, 3, 4].map((f) => `i${f}=${(i * 7 + f * 13) % 1000}i`).join(',');
    const floats = [0, 1, 2, 3, 4].map((f) => `f${f}=${((i * 31 + f) % 10_000) / 100}`).join(',');
    body.push(`cpu,host=host_${h},region=r${h % 9},rack=${h % 100},os=os${h % 2} ${ints},${floats} ${t}`);
    if (body.length === 5_000) {
      bodies.push(Buffer.from(body.join('\n')));
      body = [];
    }
  }
  if (body.length > 0) bodies.push(Buffer.from(body.join('\n')));
  return bodies;
}

function measure(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

test('the buffer counts within 20 % of the memory its rows really take', { timeout: 120_000 }, async () => {
  const { db, cleanup } = await tempDatabase({ forceSnapshotBytes: Number.MAX_SAFE_INTEGER, wal: { flushIntervalMs: 5, gen1Duration: '10m', snapshotSize: 1_000_000 } });
  try {
    const start = 1_735_689_600_000_000_000n;
    const bodies = lines(300_000, 1_000, start);
    // One-time costs first (on another database, so the measured one starts empty).
    for (const body of lines(10_000, 1_000, start)) await db.writer.writeLp('warm', body, { precision: 'ns', acceptPartial: false });
    const bytesBefore = db.buffer.getStats().bytes;
    const memoryBefore = measure();
    for (const body of bodies) await db.writer.writeLp('bench', body, { precision: 'ns', acceptPartial: false });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the last WAL flush's buffers go
    const grown = measure() - memoryBefore;
    const counted = db.buffer.getStats().bytes - bytesBefore;
    const ratio = counted / grown;
    console.log(`# buffer memory: 300 000 rows counted ${(counted / 1e6).toFixed(2)} MB, heap + array buffers grew ${(grown / 1e6).toFixed(2)} MB (ratio ${ratio.toFixed(3)})`);
    assert.ok(ratio >= 0.8 && ratio <= 1.2, `the buffer counted ${counted} bytes for rows that took ${grown} bytes (ratio ${ratio.toFixed(3)}, allowed 0.8–1.2)`);
  } finally {
    await cleanup();
  }
});
