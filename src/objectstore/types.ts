/** What a store knows of one object. */
export interface ObjectMeta {
  key: string;
  sizeBytes: number;
  lastModifiedMs: number;
}

/**
 * `create`: succeed only if no object has this key (else {@link AlreadyExistsError});
 * `overwrite`: replace atomically whatever is there.
 */
export type PutMode = 'create' | 'overwrite';

/** Options of {@link ObjectStore.list}. */
export interface ListOptions {
  /** Only keys that start with this string. */
  prefix: string;
  /** Only keys strictly greater than this one (byte order): the cursor of the previous page. */
  startAfter?: string;
  /** At most this many objects in the page (default and maximum: 1 000). */
  maxKeys?: number;
}

/** One page of a listing, sorted by key in byte order. */
export interface ListPage {
  objects: ObjectMeta[];
  /** Pass as `startAfter` to get the next page; absent on the last page. */
  nextStartAfter?: string;
}

/**
 * An object store: a flat namespace of immutable-by-convention objects under `/`-separated
 * keys. Implementations: memory, a local directory, S3.
 *
 * Every method either succeeds completely or throws: a put that throws may or may not have
 * taken effect (an ambiguous outcome the caller must resolve), but never leaves a partial
 * object under the key.
 */
export interface ObjectStore {
  /** A short description for logs and errors (`memory`, `file:/data`, `s3://bucket/prefix`). */
  readonly description: string;
  /** Stores `data` under `key`. `create` mode fails with AlreadyExistsError if the key exists. */
  put(key: string, data: Uint8Array, mode: PutMode): Promise<void>;
  /** The whole object; NotFoundError if absent. */
  get(key: string): Promise<Uint8Array>;
  /** Bytes [start, end) of the object (clamped to its size); NotFoundError if absent. */
  getRange(key: string, start: number, end: number): Promise<Uint8Array>;
  /** The object's metadata; NotFoundError if absent. */
  head(key: string): Promise<ObjectMeta>;
  /** One page of keys with a prefix, in byte order. */
  list(options: ListOptions): Promise<ListPage>;
  /** Removes the object; succeeds if it is already absent. */
  delete(key: string): Promise<void>;
  /** Releases resources (locks, connections). */
  close(): Promise<void>;
  /**
   * A path on this machine's real file system that holds the object's bytes, for engines that
   * read files directly (the SQL engine reads Parquet this way); only stores on a local disk have it.
   */
  localPath?(key: string): string | undefined;
}

/** The largest page {@link ObjectStore.list} returns. */
export const MAX_LIST_KEYS = 1000;

/** Every object under a prefix, following pages, in byte order. */
export async function listAll(store: ObjectStore, prefix: string): Promise<ObjectMeta[]> {
  const out: ObjectMeta[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const page = await store.list(startAfter === undefined ? { prefix } : { prefix, startAfter });
    out.push(...page.objects);
    if (page.nextStartAfter === undefined) return out;
    startAfter = page.nextStartAfter;
  }
}

/** Compares two keys in byte (UTF-8) order, as S3 sorts them. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
