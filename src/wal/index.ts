export * from './model.js';
export * from './errors.js';
export { type WalConfig, type Gen1Duration, defaultWalConfig, resolveWalConfig, parseGen1Duration, gen1DurationNs } from './config.js';
export { type WalFileNotifier, type SnapshotStarted, type WalLogger, noopNotifier, silentLogger } from './notifier.js';
export { SnapshotTracker, type WalPeriod } from './snapshot-tracker.js';
export { type SnapshotPermit } from './semaphore.js';
export { encodeOp, encodeWalFile, encodeWalContents, decodeWalFile, decodeWalFileHeader, type WalFileHeader } from './codec.js';
export { walFileKey, parseWalFileKey } from './paths.js';
export { type ReplayProgress, type ReplayStats, type QuarantinedFile } from './replay.js';
export {
  ObjectStoreWal,
  openWal,
  backgroundWalFlush,
  validateNodeId,
  type OpenWalOptions,
  type FlushResult,
  type PersistedSnapshotMarker,
  type WalHealth,
  type WalStats,
} from './object-store-wal.js';
export { type Wal } from './wal.js';
