import type { Clock } from '../effects/clock.js';
import { SystemClock } from '../effects/clock.js';
import { AlreadyExistsError, NotFoundError } from './errors.js';
import { validateKey } from './keys.js';
import type { ListOptions, ListPage, ObjectMeta, ObjectStore, PutMode } from './types.js';
import { MAX_LIST_KEYS, compareKeys } from './types.js';

interface StoredObject {
  data: Uint8Array;
  lastModifiedMs: number;
}

/** An object store in memory: for tests and for a server that keeps nothing across restarts. */
export class MemoryObjectStore implements ObjectStore {
  readonly description = 'memory';
  private readonly objects = new Map<string, StoredObject>();
  /** Keys in byte order, rebuilt lazily after a put or delete changes the key set. */
  private sortedKeys: string[] | undefined = [];
  private readonly clock: Clock;

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? new SystemClock();
  }

  async put(key: string, data: Uint8Array, mode: PutMode): Promise<void> {
    validateKey(key);
    const exists = this.objects.has(key);
    if (mode === 'create' && exists) throw new AlreadyExistsError(key);
    // A copy: a caller reusing its buffer must not change a stored object.
    this.objects.set(key, { data: new Uint8Array(data), lastModifiedMs: this.clock.nowMs() });
    if (!exists) this.sortedKeys = undefined;
  }

  async get(key: string): Promise<Uint8Array> {
    return this.find(key).data.slice();
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const { data } = this.find(key);
    return data.slice(Math.max(0, start), Math.min(data.length, Math.max(start, end)));
  }

  async head(key: string): Promise<ObjectMeta> {
    const o = this.find(key);
    return { key, sizeBytes: o.data.length, lastModifiedMs: o.lastModifiedMs };
  }

  async list(options: ListOptions): Promise<ListPage> {
    const keys = this.keysInOrder();
    const maxKeys = Math.min(options.maxKeys ?? MAX_LIST_KEYS, MAX_LIST_KEYS);
    let index = lowerBound(keys, options.startAfter !== undefined && compareKeys(options.startAfter, options.prefix) > 0 ? options.startAfter : options.prefix);
    if (options.startAfter !== undefined && keys[index] === options.startAfter) index++;
    const objects: ObjectMeta[] = [];
    for (; index < keys.length && objects.length < maxKeys; index++) {
      const key = keys[index]!;
      if (!key.startsWith(options.prefix)) break;
      const o = this.objects.get(key)!;
      objects.push({ key, sizeBytes: o.data.length, lastModifiedMs: o.lastModifiedMs });
    }
    const hasMore = index < keys.length && keys[index]!.startsWith(options.prefix);
    return hasMore ? { objects, nextStartAfter: objects[objects.length - 1]!.key } : { objects };
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    if (this.objects.delete(key)) this.sortedKeys = undefined;
  }

  async close(): Promise<void> {}

  private find(key: string): StoredObject {
    validateKey(key);
    const o = this.objects.get(key);
    if (o === undefined) throw new NotFoundError(key);
    return o;
  }

  private keysInOrder(): string[] {
    if (this.sortedKeys === undefined) this.sortedKeys = [...this.objects.keys()].sort(compareKeys);
    return this.sortedKeys;
  }
}

/** Index of the first key ≥ `target` in byte order. */
function lowerBound(keys: readonly string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
