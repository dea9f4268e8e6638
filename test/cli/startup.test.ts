/**
 * `sluice serve` binds its port before it replays the WAL: a taken port fails at once, before
 * any replay, and while a long replay runs /health answers 503 with its progress and every
 * other route 503 with Retry-After.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SluiceDatabase } from '../../src/database/database.js';
import { LocalObjectStore } from '../../src/objectstore/local.js';
import { decodeWalFile, encodeWalContents } from '../../src/wal/codec.js';
import { walFileKey } from '../../src/wal/paths.js';
import { run, startServe } from './cli-process.js';

const WAL_FILES = 1500;
const TAGS_PER_FILE = 50;

/**
 * A data directory whose WAL holds WAL_FILES files for node `sluice-node`: two written by a real
 * database (the catalog, then TAGS_PER_FILE rows), and copies of the second under the following
 * sequence numbers. Replaying them one at a time takes a second or more.
 */
async function dataDirWithLongWal(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-startup-'));
  const store = await LocalObjectStore.open({ root: dir });
  const db = await SluiceDatabase.open({ store, nodeId: 'sluice-node', wal: { flushIntervalMs: 5 } });
  await db.writer.writeLp('d', Buffer.from('m,h=first v=1i 1'), { precision: 's' });
  let lp = '';
  for (let i = 0; i < TAGS_PER_FILE; i++) lp += `m,h=h${i} v=${i}i ${i + 2}\n`;
  await db.writer.writeLp('d', Buffer.from(lp), { precision: 's' });
  await db.close();
  await store.close();
  const { header, contents } = decodeWalFile(await readFile(join(dir, walFileKey('sluice-node', 2))), 'wal 2');
  const copies: Array<Promise<void>> = [];
  for (let seq = 3; seq <= WAL_FILES; seq++) {
    copies.push(writeFile(join(dir, walFileKey('sluice-node', seq)), encodeWalContents({ ...contents, walFileNumber: seq }, { nodeId: header.nodeId, writerEpoch: header.writerEpoch, putId: header.putId })));
  }
  await Promise.all(copies);
  return dir;
}

test('a taken port fails fast, in one line naming the address, before the WAL is replayed', async () => {
  const dir = await dataDirWithLongWal();
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as { port: number };
  try {
    const result = await run(['serve', '--data-dir', dir, '--http-bind', `127.0.0.1:${port}`, '--log-format', 'json']);
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines[lines.length - 1], `error: cannot listen on 127.0.0.1:${port}: address already in use (is another server running?)`);
    assert.ok(lines.slice(0, -1).every((l) => l.startsWith('{')), `only log lines before the error:\n${result.stderr}`);
    assert.doesNotMatch(result.stderr, /replaying WAL|claimed writer epoch/, 'nothing of the WAL was touched');
  } finally {
    await new Promise((resolve) => taken.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
});

test('during a long WAL replay the port answers: /health 503 with the progress, writes 503 with Retry-After; then it serves everything', async () => {
  const dir = await dataDirWithLongWal();
  const server = startServe(['--data-dir', dir, '--http-bind', '127.0.0.1:0', '--wal-replay-concurrency-limit', '1', '--wal-snapshot-size', '100000', '--write-workers', '0']);
  try {
    const bound = await server.logged('port bound; replaying the WAL before serving');
    const url = `http://${String(bound.address)}`;
    let isListening = false;
    const listening = server.logged('listening').then(() => (isListening = true));
    const healthBodies: string[] = [];
    let write: Response | undefined;
    while (!isListening) {
      const health = await fetch(`${url}/health`);
      const body = await health.text();
      if (isListening) break; // the answer may have raced the attach
      assert.equal(health.status, 503, body);
      healthBodies.push(body);
      if (write === undefined && /\d+\/\d+ WAL files/.test(body)) {
        write = await fetch(`${url}/api/v3/write_lp?db=d&precision=second`, { method: 'POST', body: 'm,h=during v=1i 1000' });
        assert.equal(write.status, 503, await write.text());
        assert.ok(write.headers.get('retry-after') !== null, 'a 503 while starting says when to retry');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await listening;
    const progress = healthBodies.filter((b) => new RegExp(`^starting: replaying WAL: \\d+/${WAL_FILES} WAL files, \\d+ ops, \\d+ bytes$`).test(b));
    assert.ok(progress.length >= 2, `the progress was seen to move during the replay: ${JSON.stringify(healthBodies.slice(0, 5))}`);
    const done = progress.map((b) => Number(/(\d+)\/\d+ WAL files/.exec(b)![1]));
    assert.ok(done[done.length - 1]! > done[0]!, `progress moves forward: ${done.join(', ')}`);
    assert.ok(write !== undefined, 'a write was tried during the replay');

    assert.equal((await fetch(`${url}/health`)).status, 200);
    const after = await fetch(`${url}/api/v3/write_lp?db=d&precision=second`, { method: 'POST', body: 'm,h=after v=1i 1000' });
    assert.equal(after.status, 204, await after.text());
    const q = await fetch(`${url}/api/v3/query_sql?db=d&format=json&q=${encodeURIComponent('SELECT count(DISTINCT h) AS n FROM m')}`);
    assert.equal(q.status, 200);
    assert.deepEqual(await q.json(), [{ n: 1 + TAGS_PER_FILE + 1 }], 'the replayed tags, and the one written after');
    assert.equal(await server.stop(), 0, server.log());
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
