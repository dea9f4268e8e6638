/**
 * A whole Sluice node in one object: the persisted snapshots and catalog loaded, the WAL
 * replayed into the queryable buffer, the line-protocol writer and the SQL engine ready. The
 * server and the CLI are faces over this.
 */
import { listWalFiles } from '../wal/listing.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { QueryableBuffer } from '../buffer/queryable-buffer.js';
import type { Catalog } from '../catalog/catalog.js';
import { CatalogApplier } from '../catalog/notifier.js';
import { SystemClock, type Clock } from '../effects/clock.js';
import type { Rng } from '../effects/rng.js';
import { Engine } from '../engine/duckdb.js';
import { Mirrors } from '../engine/mirrors.js';
import type { ObjectStore } from '../objectstore/types.js';
import { loadPersistedState, PersistedFiles, type PersistedState } from '../persist/load.js';
import type { SnapshotManifest } from '../persist/manifest.js';
import { Persister } from '../persist/persister.js';
import { QueryEngine } from '../query/engine.js';
import type { WalConfig } from '../wal/config.js';
import { silentLogger, type WalFileNotifier, type WalLogger } from '../wal/notifier.js';
import { openWal, type ObjectStoreWal } from '../wal/object-store-wal.js';
import type { ReplayProgress } from '../wal/replay.js';
import { LineProtocolWriter } from '../write/write-lp.js';

export interface OpenDatabaseOptions {
  store: ObjectStore;
  nodeId: string;
  wal?: Partial<WalConfig>;
  clock?: Clock;
  rng?: Rng;
  logger?: WalLogger;
  /** Buffered bytes above which a snapshot is forced (default 50 % of the machine's memory). */
  forceSnapshotBytes?: number;
  /** DuckDB memory limit (default DuckDB's: 80 % of the machine's memory). */
  queryMemoryLimit?: string;
  /** Default query timeout in milliseconds (default 30 000). */
  queryTimeoutMs?: number;
  queryThreads?: number;
  /** Parquet compression of snapshots (default zstd). */
  parquetCompression?: 'zstd' | 'snappy';
  startBackgroundFlush?: boolean;
  skipStoreProbe?: boolean;
  /** Threads that parse and validate large write bodies off the main thread (default 0). */
  writeWorkers?: number;
  onReplayProgress?: (progress: ReplayProgress) => void;
}

/** What the database builds from the persisted state once the WAL claimed its epoch. */
interface Built {
  state: PersistedState;
  engine: Engine;
  mirrors: Mirrors;
  persistedFiles: PersistedFiles;
  persister: Persister;
  buffer: QueryableBuffer;
  notifier: WalFileNotifier;
}

export class SluiceDatabase {
  private closed = false;

  private constructor(
    readonly nodeId: string,
    readonly store: ObjectStore,
    readonly catalog: Catalog,
    readonly wal: ObjectStoreWal,
    readonly buffer: QueryableBuffer,
    readonly writer: LineProtocolWriter,
    readonly query: QueryEngine,
    readonly persister: Persister,
    readonly persistedFiles: PersistedFiles,
    readonly manifests: SnapshotManifest[],
    private readonly engine: Engine,
    private readonly mirrors: Mirrors,
    private readonly scratchDir: string,
  ) {}

  static async open(options: OpenDatabaseOptions): Promise<SluiceDatabase> {
    const { store, nodeId } = options;
    const clock = options.clock ?? new SystemClock();
    const logger = options.logger ?? silentLogger;
    const started = clock.monotonicMs();
    const scratchDir = await mkdtemp(join(tmpdir(), 'sluice-'));
    const cacheDir = join(scratchDir, 'cache');

    // What was persisted is read only after the WAL claimed its writer epoch: read before, a
    // fenced writer could still commit a newer snapshot and delete the WAL files it covers, and
    // replay would start below them (the writers suite shows acknowledged writes lost that way).
    // So the engine, buffer and persister are built in `loadLastSnapshot`, and the WAL's
    // notifier forwards to them.
    let built: Built | undefined;
    let fenceCheck: () => Promise<void> = async () => undefined;
    const forward: WalFileNotifier = {
      notify: (contents) => built!.notifier.notify(contents),
      notifyAndSnapshot: (contents, details) => built!.notifier.notifyAndSnapshot(contents, details),
    };
    const build = async (): Promise<Built> => {
      const state = await loadPersistedState(store, nodeId);
      const allowed = [scratchDir];
      const localFiles = store.localPath?.(`${nodeId}/dbs/x`);
      if (localFiles !== undefined) allowed.push(dirname(localFiles));
      const engine = await Engine.open({
        allowedDirectories: allowed,
        ...(options.queryMemoryLimit === undefined ? {} : { memoryLimit: options.queryMemoryLimit }),
        ...(options.queryThreads === undefined ? {} : { threads: options.queryThreads }),
      });
      const mirrors = new Mirrors(engine);
      const persistedFiles = new PersistedFiles();
      for (const m of [...state.manifests].reverse()) persistedFiles.add(m);
      const persister = new Persister({ store, nodeId, mirrors, scratchDir, clock, logger, ...(options.parquetCompression === undefined ? {} : { compression: options.parquetCompression }) });
      persister.setFenceCheck(() => fenceCheck());
      const buffer = new QueryableBuffer({
        catalog: state.catalog,
        persister,
        persistedFiles,
        mirrors,
        logger,
        ...(options.forceSnapshotBytes === undefined ? {} : { forceSnapshotBytes: options.forceSnapshotBytes }),
      });
      return { state, engine, mirrors, persistedFiles, persister, buffer, notifier: new CatalogApplier(state.catalog, buffer) };
    };
    let wal: ObjectStoreWal;
    try {
      wal = await openWal({
        store,
        nodeId,
        notifier: forward,
        clock,
        logger,
        onEpochClaimed: (w) => {
          fenceCheck = () => w.checkFence();
        },
        loadLastSnapshot: async () => {
          built = await build();
          return built.state.lastSnapshot;
        },
        ...(options.wal === undefined ? {} : { config: options.wal }),
        ...(options.rng === undefined ? {} : { rng: options.rng }),
        ...(options.startBackgroundFlush === undefined ? {} : { startBackgroundFlush: options.startBackgroundFlush }),
        ...(options.skipStoreProbe === undefined ? {} : { skipStoreProbe: options.skipStoreProbe }),
        ...(options.onReplayProgress === undefined ? {} : { onReplayProgress: options.onReplayProgress }),
      });
    } catch (err) {
      built?.persister.close();
      built?.engine.close();
      await rm(scratchDir, { recursive: true, force: true });
      throw err;
    }
    const { state, engine, mirrors, persistedFiles, persister, buffer } = built!;
    buffer.attachWal(wal);
    const writer = new LineProtocolWriter(state.catalog, wal, { clock, workers: options.writeWorkers ?? 0 });
    writer.warmWorkers();
    const query = new QueryEngine({
      catalog: state.catalog,
      buffer,
      persistedFiles,
      mirrors,
      store,
      cacheDir,
      system: { walFiles: () => listWalFiles(store, nodeId) },
      ...(options.queryTimeoutMs === undefined ? {} : { timeoutMs: options.queryTimeoutMs }),
    });
    logger.info({ nodeId, snapshots: state.manifests.length, parquetFiles: persistedFiles.fileCount, bufferedRows: buffer.getStats().rows, startupMs: clock.monotonicMs() - started }, 'database open');
    return new SluiceDatabase(nodeId, store, state.catalog, wal, buffer, writer, query, persister, persistedFiles, state.manifests, engine, mirrors, scratchDir);
  }

  /** A private scratch directory the SQL engine may write (query results as Parquet go here). */
  get scratchDirectory(): string {
    return this.scratchDir;
  }

  /** Forces a snapshot of everything buffered and waits until it is persisted and cleaned up. */
  snapshotNow(): Promise<void> {
    return this.wal.forceSnapshot();
  }

  /**
   * Drops everything at once, as a crash would: nothing is flushed, pending writes are never
   * acknowledged, the engine is released. For tests and tools that model a dying process.
   */
  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wal.abandon();
    await this.writer.close();
    this.persister.close();
    this.engine.close();
    await rm(this.scratchDir, { recursive: true, force: true });
  }

  /**
   * Creates database `name` durably (a catalog op through the WAL, acknowledged once the WAL file
   * holding it is on the store); when it exists, resolves once what made it is durable. InfluxQL's
   * CREATE DATABASE. WriteError
   * INVALID_DATABASE for a name the catalog refuses, LIMIT past the catalog's database limit.
   */
  createDatabase(name: string): Promise<void> {
    return this.writer.createDatabase(name);
  }

  /** Flushes, stops the WAL and releases the engine. Does not close the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.wal.shutdown();
      await this.writer.close();
      await this.buffer.idle();
      await this.mirrors.idle();
    } finally {
      this.persister.close();
      this.engine.close();
      await rm(this.scratchDir, { recursive: true, force: true });
    }
  }
}

/** Every snapshot manifest of a node, newest first, with its files: `wal inspect` for snapshots. */
export async function listSnapshots(store: ObjectStore, nodeId: string): Promise<SnapshotManifest[]> {
  return (await loadPersistedState(store, nodeId)).manifests;
}
