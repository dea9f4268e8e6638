import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../src/objectstore/memory.js';
import { probeConditionalPut } from '../../src/objectstore/probe.js';
import { UnsafeStoreError } from '../../src/objectstore/errors.js';
import { listAll, type ObjectStore, type PutMode } from '../../src/objectstore/types.js';
import { openWal } from '../../src/wal/object-store-wal.js';
import { noopNotifier } from '../../src/wal/notifier.js';

/** A store that ignores create-only puts, like S3 servers without If-None-Match support. */
function ignoringConditionalPuts(inner: ObjectStore): ObjectStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'put') return (key: string, data: Uint8Array, _mode: PutMode) => target.put(key, data, 'overwrite');
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

test('the probe passes an honest store and leaves nothing behind', async () => {
  const store = new MemoryObjectStore();
  await probeConditionalPut(store, 'node/probe');
  assert.deepEqual(await listAll(store, ''), []);
});

test('the probe refuses a store that ignores create-only puts, and so does openWal', async () => {
  const broken = ignoringConditionalPuts(new MemoryObjectStore());
  await assert.rejects(probeConditionalPut(broken, 'node/probe'), (err: unknown) => err instanceof UnsafeStoreError && /second create-only put/.test(err.message));
  await assert.rejects(openWal({ store: broken, nodeId: 'node', notifier: noopNotifier }), UnsafeStoreError);
  const wal = await openWal({ store: broken, nodeId: 'node', notifier: noopNotifier, skipStoreProbe: true, startBackgroundFlush: false });
  await wal.shutdown();
});
