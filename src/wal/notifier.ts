import type { SnapshotDetails, WalContents } from './model.js';

/** What {@link WalFileNotifier.notifyAndSnapshot} returns once the contents are applied. */
export interface SnapshotStarted {
  /** Settles when the snapshot is persisted (its manifest written); rejects if it failed. */
  persisted: Promise<void>;
}

/**
 * Receives every WAL file once it is durable, in file order (the seed's `WalFileNotifier`).
 * The queryable buffer implements it; writers are acknowledged only after it returns.
 */
export interface WalFileNotifier {
  /** Applies a durable WAL file. */
  notify(contents: WalContents): Promise<void>;
  /**
   * Applies a durable WAL file that carries a snapshot marker, then starts persisting the
   * snapshot. Resolves once the contents are applied (so writers can be acknowledged) with a
   * handle whose `persisted` promise settles when the snapshot is persisted.
   */
  notifyAndSnapshot(contents: WalContents, details: SnapshotDetails): Promise<SnapshotStarted>;
}

/** A notifier that applies nothing and persists nothing: for tools that only read the WAL. */
export const noopNotifier: WalFileNotifier = {
  notify: async () => {},
  notifyAndSnapshot: async () => ({ persisted: Promise.resolve() }),
};

/** The minimal logger the WAL writes to; pino's logger fits it. */
export interface WalLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A logger that discards everything. */
export const silentLogger: WalLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
