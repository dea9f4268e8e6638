import { availableParallelism } from 'node:os';
import { InvalidWalConfigError } from './errors.js';

/** The width of a gen1 window (a Parquet file's time span). */
export type Gen1Duration = '1m' | '5m' | '10m';

const GEN1_DURATION_MS: Record<Gen1Duration, number> = { '1m': 60_000, '5m': 300_000, '10m': 600_000 };

/** Nanoseconds in a gen1 duration. */
export function gen1DurationNs(d: Gen1Duration): bigint {
  return BigInt(GEN1_DURATION_MS[d]) * 1_000_000n;
}

/** Parses `1m`, `5m`, `10m` (or 60/300/600 s, 60000/300000/600000 ms as numbers of ms). */
export function parseGen1Duration(value: string | number): Gen1Duration {
  if (typeof value === 'number') {
    for (const [name, ms] of Object.entries(GEN1_DURATION_MS)) if (ms === value) return name as Gen1Duration;
  } else if (value in GEN1_DURATION_MS) {
    return value as Gen1Duration;
  }
  throw new InvalidWalConfigError('gen1Duration', `invalid gen1 duration ${String(value)}. Must be one of 1m, 5m, 10m`);
}

/** How the WAL batches, snapshots, retries and replays. Defaults follow InfluxDB 3. */
export interface WalConfig {
  /** Width of the gen1 windows rows are chunked by. Default `10m`. */
  gen1Duration: Gen1Duration;
  /** Most ops the buffer holds before writes get BufferFullError. Default 100 000. */
  maxWriteBufferSize: number;
  /** Most encoded bytes the buffer holds before writes get BufferFullError. Default 256 MiB. */
  maxWriteBufferBytes: number;
  /** Interval of the background flush. Default 1 000 ms. */
  flushIntervalMs: number;
  /**
   * Flush early, without waiting for the interval, once this many bytes are buffered (group
   * commit under load). Default 1 MiB.
   */
  flushSizeBytes: number;
  /** WAL files per snapshot: consider one at 1.5×, snapshot everything at 3×. Default 600. */
  snapshotSize: number;
  /** Snapshotted WAL files kept after a snapshot's cleanup. Default 300. */
  snapshottedWalFilesToKeep: number;
  /** WAL files fetched and decoded at once during replay. Default max(cpus, 10). */
  replayConcurrencyLimit: number;
  /** Move a corrupt WAL file aside on replay instead of failing startup. Default false. */
  quarantineCorruptFiles: boolean;
  /** First delay between retries of a failed WAL put. Default 100 ms. */
  putRetryBaseDelayMs: number;
  /** Largest delay between retries of a failed WAL put (retries go on until success or stop). Default 5 000 ms. */
  putRetryMaxDelayMs: number;
}

/** InfluxDB 3's defaults, plus Sluice's own limits. */
export function defaultWalConfig(): WalConfig {
  return {
    gen1Duration: '10m',
    maxWriteBufferSize: 100_000,
    maxWriteBufferBytes: 256 * 1024 * 1024,
    flushIntervalMs: 1_000,
    flushSizeBytes: 1024 * 1024,
    snapshotSize: 600,
    snapshottedWalFilesToKeep: 300,
    replayConcurrencyLimit: Math.max(availableParallelism(), 10),
    quarantineCorruptFiles: false,
    putRetryBaseDelayMs: 100,
    putRetryMaxDelayMs: 5_000,
  };
}

function requireInteger(field: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidWalConfigError(field, `must be an integer ≥ ${min}, got ${String(value)}`);
  }
}

/** Fills defaults and checks every value; throws InvalidWalConfigError naming the bad field. */
export function resolveWalConfig(partial: Partial<WalConfig> = {}): WalConfig {
  const config: WalConfig = { ...defaultWalConfig(), ...partial };
  parseGen1Duration(config.gen1Duration);
  requireInteger('maxWriteBufferSize', config.maxWriteBufferSize, 1);
  requireInteger('maxWriteBufferBytes', config.maxWriteBufferBytes, 1024);
  requireInteger('flushIntervalMs', config.flushIntervalMs, 1);
  requireInteger('flushSizeBytes', config.flushSizeBytes, 1);
  requireInteger('snapshotSize', config.snapshotSize, 1);
  requireInteger('snapshottedWalFilesToKeep', config.snapshottedWalFilesToKeep, 0);
  requireInteger('replayConcurrencyLimit', config.replayConcurrencyLimit, 1);
  requireInteger('putRetryBaseDelayMs', config.putRetryBaseDelayMs, 0);
  requireInteger('putRetryMaxDelayMs', config.putRetryMaxDelayMs, config.putRetryBaseDelayMs);
  if (typeof config.quarantineCorruptFiles !== 'boolean') {
    throw new InvalidWalConfigError('quarantineCorruptFiles', 'must be a boolean');
  }
  return config;
}
