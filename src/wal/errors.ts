/** Base of every WAL error; `code` says which kind a caller can act on. */
export class WalError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A WalConfig value is out of range. */
export class InvalidWalConfigError extends WalError {
  constructor(readonly field: string, message: string) {
    super('INVALID_CONFIG', `invalid WAL config ${field}: ${message}`);
  }
}

/** The buffer holds as many ops or bytes as it may; retry after the next flush. */
export class BufferFullError extends WalError {
  constructor(
    readonly bufferedOps: number,
    readonly bufferedBytes: number,
    readonly limit: string,
  ) {
    super('BUFFER_FULL', `wal buffer full with ${bufferedOps} ops (${bufferedBytes} bytes): ${limit}`);
  }
}

/** A query node's log: it follows an ingest node's WAL and takes no writes of its own. */
export class ReadOnlyWalError extends WalError {
  constructor(readonly followedNodeId: string) {
    super('READ_ONLY', `this node serves queries only (--mode query, following node ${JSON.stringify(followedNodeId)}): write through an ingest node`);
  }
}

/** The WAL is shutting down or shut down and accepts no writes. */
export class WalShutdownError extends WalError {
  constructor() {
    super('SHUTDOWN', 'wal is shutdown and not accepting writes');
  }
}

/**
 * The WAL stopped itself: another writer wrote a file this one meant to write (fencing), or
 * an unrecoverable error happened. Every waiting and later write gets this error.
 */
export class WalStoppedError extends WalError {
  constructor(
    /** Why, without the `wal stopped:` prefix (what `health().lastError` says). */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('STOPPED', `wal stopped: ${reason}`, options);
  }
}

/** A WAL file's bytes are damaged or not a WAL file; names the file and what is wrong. */
export class CorruptWalFileError extends WalError {
  constructor(
    readonly source: string,
    readonly reason: string,
    readonly offset?: number,
  ) {
    super('CORRUPT_WAL_FILE', `corrupt WAL file ${source}: ${reason}${offset === undefined ? '' : ` (at byte ${offset})`}`);
  }
}

/** An op cannot be encoded into the WAL (a value out of range, a name too long). */
export class InvalidWalOpError extends WalError {
  constructor(message: string) {
    super('INVALID_OP', `invalid WAL op: ${message}`);
  }
}

/** Replay found a gap: a WAL file after the last snapshot is missing. */
export class MissingWalFileError extends WalError {
  constructor(
    readonly walFileSequenceNumber: number,
    readonly key: string,
  ) {
    super('MISSING_WAL_FILE', `WAL file ${walFileSequenceNumber} is missing (${key}); replay cannot continue past the gap`);
  }
}

/** A newer writer claimed this node id: this one must stop writing (it is a zombie). */
export class FencedError extends WalError {
  constructor(
    readonly ownEpoch: bigint,
    readonly newerEpoch: bigint,
  ) {
    super('FENCED', `writer epoch ${ownEpoch} was fenced: a newer writer claimed epoch ${newerEpoch} for this node id`);
  }
}
