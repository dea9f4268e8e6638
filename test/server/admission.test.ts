import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceDatabase } from '../../src/database/database.js';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { Admission as WriteAdmission } from '../../src/server/admission.js';
import { SluiceServer } from '../../src/server/http.js';

test('admission by bytes: first come first served, a body over the limit alone, a timeout admits nothing', async () => {
  const a = new WriteAdmission(100);
  const order: string[] = [];
  assert.equal(await a.acquire(60, 1_000), true);
  const b = a.acquire(50, 1_000).then((ok) => order.push(`b ${ok}`));
  const c = a.acquire(10, 1_000).then((ok) => order.push(`c ${ok}`)); // would fit, but b came first
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [], 'b does not fit; c waits behind it');
  a.release(60);
  await Promise.all([b, c]);
  assert.deepEqual(order, ['b true', 'c true']);
  assert.equal(a.bytesInFlight, 60);
  a.release(50);
  a.release(10);
  // A body larger than the limit is admitted when nothing else is in flight, and alone.
  assert.equal(await a.acquire(500, 1_000), true);
  const small = a.acquire(1, 50);
  assert.equal(await small, false, 'timed out while the large body was in flight');
  assert.equal(a.bytesInFlight, 500, 'a timed-out request holds nothing');
  // A large waiter that times out lets the smaller ones behind it in.
  a.release(500);
  assert.equal(await a.acquire(90, 1_000), true);
  const large = a.acquire(50, 30);
  const behind = a.acquire(5, 1_000);
  assert.equal(await large, false);
  assert.equal(await behind, true);
  a.charge(20); // a body that turned out larger than declared
  assert.equal(a.bytesInFlight, 115);
  assert.deepEqual(a.stats, { waited: 5, timedOut: 2, refused: 0, reclaimed: 0 });
});

test('a unit held past its overdue time is given back once, and counted; the work still ends in its own time', async () => {
  const a = new WriteAdmission(1);
  assert.equal(await a.acquire(1, 1_000), true);
  const overdue: number[] = [];
  let finish!: () => void;
  const stuck = a.holding(1, 50, () => overdue.push(a.bytesInFlight), () => new Promise<string>((resolve) => (finish = () => resolve('done'))));
  // The next query waits in line; the stuck one's unit comes back at its overdue time and lets it in.
  assert.equal(await a.acquire(1, 2_000), true, 'the waiter got the reclaimed unit');
  assert.deepEqual(overdue, [1], 'told once, while it still held the unit');
  assert.equal(a.stats.reclaimed, 1);
  finish();
  assert.equal(await stuck, 'done');
  assert.equal(a.bytesInFlight, 1, 'the late end gives nothing back twice');
  // Work that ends in time gives its unit back, and nothing is reclaimed.
  assert.equal(await a.holding(1, 1_000, () => assert.fail('not overdue'), async () => 7), 7);
  assert.equal(a.bytesInFlight, 0);
  await assert.rejects(a.acquire(1, 1_000).then(() => a.holding(1, 1_000, () => undefined, async () => { throw new Error('boom'); })), /boom/);
  assert.equal(a.bytesInFlight, 0, 'a failure gives the unit back too');
  assert.equal(a.stats.reclaimed, 1);
});

test('over the in-flight limit, writes wait unread and then land; one that waits past the write timeout gets 503 and nothing is written', { timeout: 30_000 }, async () => {
  // A 2 s flush interval and no size trigger: each write is in flight until the next tick.
  const db = await SluiceDatabase.open({ store: new MemoryObjectStore(), nodeId: 'n', wal: { flushIntervalMs: 2_000, flushSizeBytes: 1 << 30 } });
  const body = (i: number) => `m,h=h${i} v=${i}i 17000000${String(i).padStart(2, '0')}`;
  const size = Buffer.byteLength(body(10));
  const server = new SluiceServer({ db, maxWriteBytesInFlight: 2 * size, writeTimeoutMs: 5_000 });
  const { port } = await server.listen('127.0.0.1', 0);
  const url = `http://127.0.0.1:${port}/api/v3/write_lp?db=d&precision=s`;
  try {
    // Five writes, two admitted at a time: all land, in as many flush ticks as it takes.
    const answers = await Promise.all([10, 11, 12, 13, 14].map(async (i) => (await fetch(url, { method: 'POST', body: body(i) })).status));
    assert.deepEqual(answers, [204, 204, 204, 204, 204]);
    assert.ok(server.admission.stats.waited >= 3, `writes waited for admission: ${JSON.stringify(server.admission.stats)}`);
    assert.equal(server.admission.bytesInFlight, 0);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^sluice_write_admission_waits_total [3-9]$/m);
    assert.match(metrics, /^sluice_write_bytes_in_flight 0$/m);
    const rows = await db.query.query('d', 'SELECT count(*) AS n FROM m');
    assert.equal(Number(rows.rows[0]![0]), 5);

    // Now a write timeout shorter than the flush interval: two writes fill the limit and time out
    // ("outcome unknown"); a third never gets in and is refused outright, unread.
    const quick = new SluiceServer({ db, maxWriteBytesInFlight: 2 * size, writeTimeoutMs: 500 });
    const q = await quick.listen('127.0.0.1', 0);
    const quickUrl = `http://127.0.0.1:${q.port}/api/v3/write_lp?db=d&precision=s`;
    try {
      const first = [20, 21].map((i) => fetch(quickUrl, { method: 'POST', body: body(i) }));
      await new Promise((r) => setTimeout(r, 100));
      const refused = await fetch(quickUrl, { method: 'POST', body: body(22) });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.match(await refused.text(), /^write refused, nothing was written: the server is busy/);
      for (const r of await Promise.all(first)) {
        assert.equal(r.status, 503);
        assert.match(await r.text(), /outcome unknown/i);
      }
      // The two admitted writes land with the next tick; their bytes are released then.
      for (let i = 0; i < 100 && quick.admission.bytesInFlight > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(quick.admission.bytesInFlight, 0);
      const after = await db.query.query('d', 'SELECT h FROM m ORDER BY h');
      assert.deepEqual(after.rows.map((r) => r[0]), ['h10', 'h11', 'h12', 'h13', 'h14', 'h20', 'h21'], 'the refused write is nowhere');
    } finally {
      await quick.close();
    }
  } finally {
    await server.close();
    await db.close();
  }
});
