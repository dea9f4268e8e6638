/** Base of every object-store error; `code` says which kind. */
export class ObjectStoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly key?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A create-only put found an object already under the key. */
export class AlreadyExistsError extends ObjectStoreError {
  constructor(key: string) {
    super('ALREADY_EXISTS', `object already exists: ${key}`, key);
  }
}

/** No object under the key. */
export class NotFoundError extends ObjectStoreError {
  constructor(key: string) {
    super('NOT_FOUND', `object not found: ${key}`, key);
  }
}

/** The key is not one this store accepts (empty segment, `..`, control characters, too long). */
export class InvalidKeyError extends ObjectStoreError {
  constructor(key: string, reason: string) {
    super('INVALID_KEY', `invalid object key ${JSON.stringify(key)}: ${reason}`, key);
  }
}

/** Another process holds the writer lock for this node id. */
export class LockedError extends ObjectStoreError {
  constructor(readonly lockPath: string, detail: string) {
    super('LOCKED', `another process holds the lock ${lockPath}: ${detail}`);
  }
}

/** The store failed the conditional-put probe and cannot safely hold a WAL. */
export class UnsafeStoreError extends ObjectStoreError {
  constructor(description: string, reason: string) {
    super('UNSAFE_STORE', `object store ${description} does not honour create-only puts: ${reason}`);
  }
}

/** An I/O or transport failure; `isTransient` says whether a retry may succeed. */
export class StoreIoError extends ObjectStoreError {
  constructor(
    message: string,
    readonly isTransient: boolean,
    key?: string,
    options?: { cause?: unknown },
  ) {
    super('IO', message, key, options);
  }
}

/** The store operations a {@link PermanentStoreError} names, as HTTP methods say them. */
export type StoreOperation = 'PUT' | 'GET' | 'HEAD' | 'LIST' | 'DELETE';

/**
 * The store refused an operation in a way no retry changes: wrong credentials, access denied,
 * a missing bucket, a request the server will never accept. Not retried: a WAL that meets one
 * stops with it, a snapshot fails with it. `serviceCode` is the server's error code
 * (`AccessDenied`, `NoSuchBucket`, …); `status` its HTTP status.
 */
export class PermanentStoreError extends ObjectStoreError {
  /** Never worth retrying (the counterpart of {@link StoreIoError.isTransient}). */
  readonly isTransient = false;

  constructor(
    readonly service: string,
    readonly operation: StoreOperation,
    readonly status: number | undefined,
    readonly serviceCode: string,
    /** Where the operation went, as an operator would look for it (`s3://bucket/node/wal/…`). */
    readonly target: string,
    readonly detail: string,
    key?: string,
    options?: { cause?: unknown },
  ) {
    super('PERMANENT', `${service} says ${serviceCode}${status === undefined ? '' : ` (${status})`} for ${operation} ${target}: ${detail}`, key, options);
  }
}
