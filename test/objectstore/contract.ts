import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlreadyExistsError, InvalidKeyError, NotFoundError } from '../../src/objectstore/errors.js';
import type { ObjectStore } from '../../src/objectstore/types.js';
import { compareKeys, listAll } from '../../src/objectstore/types.js';

/** Registers the behaviour every ObjectStore must have, for a store made by `open`. */
export function objectStoreContract(name: string, open: () => Promise<{ store: ObjectStore; dispose(): Promise<void> }>): void {
  const withStore = async (fn: (store: ObjectStore) => Promise<void>): Promise<void> => {
    const { store, dispose } = await open();
    try {
      await fn(store);
    } finally {
      await store.close();
      await dispose();
    }
  };

  test(`${name}: put, get, head, ranged get, delete`, () =>
    withStore(async (store) => {
      await store.put('a/b/c.bin', Buffer.from('hello world'), 'create');
      assert.equal(Buffer.from(await store.get('a/b/c.bin')).toString(), 'hello world');
      assert.equal((await store.head('a/b/c.bin')).sizeBytes, 11);
      assert.equal(Buffer.from(await store.getRange('a/b/c.bin', 6, 11)).toString(), 'world');
      assert.equal(Buffer.from(await store.getRange('a/b/c.bin', 6, 1000)).toString(), 'world', 'range clamped to the size');
      await store.delete('a/b/c.bin');
      await assert.rejects(store.get('a/b/c.bin'), NotFoundError);
      await assert.rejects(store.head('a/b/c.bin'), NotFoundError);
      await assert.rejects(store.getRange('a/b/c.bin', 0, 1), NotFoundError);
      await store.delete('a/b/c.bin'); // deleting what is gone succeeds
    }));

  test(`${name}: a create-only put of an existing key fails and keeps the original bytes`, () =>
    withStore(async (store) => {
      await store.put('k/v', Buffer.from('first'), 'create');
      await assert.rejects(store.put('k/v', Buffer.from('second'), 'create'), AlreadyExistsError);
      assert.equal(Buffer.from(await store.get('k/v')).toString(), 'first');
      await store.put('k/v', Buffer.from('third'), 'overwrite');
      assert.equal(Buffer.from(await store.get('k/v')).toString(), 'third');
    }));

  test(`${name}: of 50 concurrent create-only puts of one key exactly one succeeds`, () =>
    withStore(async (store) => {
      const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => store.put('race/key', Buffer.from(`writer ${i}`), 'create')));
      const winners = results.filter((r) => r.status === 'fulfilled');
      assert.equal(winners.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof AlreadyExistsError);
      assert.match(Buffer.from(await store.get('race/key')).toString(), /^writer \d+$/);
    }));

  test(`${name}: a stored object does not change when the caller reuses its buffer`, () =>
    withStore(async (store) => {
      const data = Buffer.from('abc');
      await store.put('x/y', data, 'create');
      data.write('zzz');
      assert.equal(Buffer.from(await store.get('x/y')).toString(), 'abc');
    }));

  test(`${name}: listing 2 500 keys is sorted in byte order and paginates`, () =>
    withStore(async (store) => {
      const keys: string[] = [];
      for (let i = 0; i < 2500; i++) keys.push(`list/${i % 3 === 0 ? 'é' : 'e'}${String(i)}`);
      keys.push('list/Z', 'list/a/b', 'list/a-b', 'list/10', 'list/9', 'lister/not-this');
      await Promise.all(keys.map((k) => store.put(k, Buffer.from(k), 'create')));
      const first = await store.list({ prefix: 'list/' });
      assert.equal(first.objects.length, 1000);
      assert.ok(first.nextStartAfter !== undefined);
      const all = await listAll(store, 'list/');
      const expected = keys.filter((k) => k.startsWith('list/')).sort(compareKeys);
      assert.deepEqual(all.map((o) => o.key), expected);
      const page = await store.list({ prefix: 'list/', startAfter: expected[10]!, maxKeys: 5 });
      assert.deepEqual(page.objects.map((o) => o.key), expected.slice(11, 16));
    }));

  test(`${name}: a prefix may end in the middle of a segment`, () =>
    withStore(async (store) => {
      for (const k of ['n/wal/00000000001.wal', 'n/wal/00000000002.wal', 'n/wal/00000000010.wal', 'n/walrus', 'n/wax']) await store.put(k, Buffer.from('x'), 'create');
      assert.deepEqual((await listAll(store, 'n/wal/0000000000')).map((o) => o.key), ['n/wal/00000000001.wal', 'n/wal/00000000002.wal']);
      assert.deepEqual((await listAll(store, 'n/wal')).map((o) => o.key), ['n/wal/00000000001.wal', 'n/wal/00000000002.wal', 'n/wal/00000000010.wal', 'n/walrus']);
      assert.deepEqual((await listAll(store, 'nothing/')).map((o) => o.key), []);
    }));

  test(`${name}: unsafe keys are refused with InvalidKeyError`, () =>
    withStore(async (store) => {
      for (const key of ['', '/abs', 'trailing/', 'a//b', '../escape', 'a/../b', 'a/./b', 'nul\u0000', 'back\\slash', '.hidden', 'a/.lock', 'x'.repeat(300)]) {
        await assert.rejects(store.put(key, Buffer.from('x'), 'create'), InvalidKeyError, JSON.stringify(key));
      }
    }));
}
