import { randomBytes } from 'node:crypto';
import { AlreadyExistsError, UnsafeStoreError } from './errors.js';
import type { ObjectStore } from './types.js';
import { listAll } from './types.js';

/**
 * Checks that a store honours create-only puts, which the WAL's fencing and its ambiguous-put
 * resolution rely on: a second create of the same key must fail with AlreadyExistsError and
 * leave the first object's bytes unchanged. Also checks overwrite, list and delete. Throws
 * UnsafeStoreError saying what failed; leaves nothing behind.
 */
export async function probeConditionalPut(store: ObjectStore, prefix: string): Promise<void> {
  const key = `${prefix}/probe-${randomBytes(8).toString('hex')}`;
  const first = Buffer.from(`first ${key}`);
  const second = Buffer.from(`second ${key}`);
  try {
    await store.put(key, first, 'create');
    let isRefused = false;
    try {
      await store.put(key, second, 'create');
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      isRefused = true;
    }
    if (!isRefused) throw new UnsafeStoreError(store.description, 'a second create-only put of the same key succeeded');
    if (!Buffer.from(await store.get(key)).equals(first)) throw new UnsafeStoreError(store.description, 'a refused create-only put changed the object');
    await store.put(key, second, 'overwrite');
    if (!Buffer.from(await store.get(key)).equals(second)) throw new UnsafeStoreError(store.description, 'an overwrite did not replace the object');
    const listed = await listAll(store, `${prefix}/probe-`);
    if (!listed.some((o) => o.key === key)) throw new UnsafeStoreError(store.description, 'a written object is missing from the listing');
  } finally {
    await store.delete(key).catch(() => undefined); // best effort: a leftover probe object harms nothing
  }
}
