/**
 * A whole Sluice node in one object: the persisted snapshots and catalog loaded, the WAL
 * replayed into the queryable buffer, the line-protocol writer and the SQL engine ready. The
 * server and the CLI are faces over this.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { QueryableBuffer, type BufferedRows } from '../buffer/queryable-buffer.js';
import type { Catalog, CatalogLimits } from '../catalog/catalog.js';
import { CacheFiller, Caches } from '../cache/caches.js';
import { CatalogApplier } from '../catalog/notifier.js';
import { SYSTEM_CLOCK, type Clock } from '../effects/clock.js';
import type { Rng } from '../effects/rng.js';
import { Engine } from '../engine/duckdb.js';
import { Mirrors } from '../engine/mirrors.js';
import type { ObjectStore } from '../objectstore/types.js';
import { loadPersistedState, PersistedFiles, type IndexedFiles, type PersistedState } from '../persist/load.js';
import { ParquetMemCache } from '../persist/mem-cache.js';
import type { SnapshotManifest } from '../persist/manifest.js';
import { Persister, type PersisterView, type SnapshotPersister } from '../persist/persister.js';
import type { Follower, ManifestFollower } from '../cluster/follower.js';
import { gen1Conflict, isIngestNode, listRegisteredNodes, NodeDiscovery } from '../cluster/registry.js';
import { CatalogMerger } from '../cluster/catalog-merge.js';
import { loadReplicaSource, MergedBuffers, MergedFiles, MergedPersisters, type ReplicaSource } from '../cluster/replica.js';
import { ReplicaWal } from '../cluster/replica-wal.js';
import { FileRemover } from '../persist/file-remover.js';
import { Compactor, type CompactorOptions } from '../compact/compactor.js';
import { QueryEngine } from '../query/engine.js';
import { gen1DurationNs, type WalConfig } from '../wal/config.js';
import { silentLogger, type WalFileNotifier, type WalLogger } from '../wal/notifier.js';
import { WalFileListing } from '../wal/listing.js';
import { openWal, type ObjectStoreWal } from '../wal/object-store-wal.js';
import { resolveWalConfig } from '../wal/config.js';
import type { Wal } from '../wal/wal.js';
import type { ReplayProgress } from '../wal/replay.js';
import { CatalogManager } from '../write/manage.js';
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
  /**
   * Bytes the rows of recently persisted Parquet files may keep in memory for reads (default
   * 20 % of the machine's memory; 0 keeps none). See `../persist/mem-cache.ts`.
   */
  parquetMemCacheBytes?: number;
  /**
   * Whether files one-series queries read from Parquet are read back into that memory, for the
   * next such query (default true).
   */
  parquetMemCacheFill?: boolean;
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
  /** Limits on databases, tables and columns (default: defaultCatalogLimits()). */
  catalogLimits?: CatalogLimits;
  /** How often files past their database's retention period are looked for (default 60 000 ms; 0: never). */
  retentionCheckIntervalMs?: number;
  /** First retry delay of a failed background file removal (default 1 000 ms). */
  removeRetryDelayMs?: number;
  /**
   * How long Parquet files that left the query index (replaced by a compaction, of a deleted
   * table, past retention) stay on the store before they are deleted (default 0): query nodes
   * following this node may still read them for a while.
   */
  fileDeleteDelayMs?: number;
  /** Background compaction of cold windows' Parquet files (default true; docs/compaction.md). */
  compaction?: boolean;
  /** How far behind the newest persisted row a window's end must be to be compacted (default 30 minutes). */
  compactionColdMarginMs?: number;
  /** Files the newest (warm) hour of a table may hold before it is compacted anyway (default 0: only cold hours). */
  compactionWarmHourMaxFiles?: number;
  /** Compact after each snapshot and at start (default true); false: only when `compactNow` is called (tests). */
  compactionInBackground?: boolean;
  /** Tests only: called at each step of a compaction; a throw stops it there, as a crash would. */
  onCompactionStep?: CompactorOptions['onStep'];
}

/** A query node's database: it follows an ingest node's files on the store and takes no writes. */
export interface OpenReplicaOptions extends Omit<OpenDatabaseOptions, 'compaction' | 'compactionInBackground' | 'compactionColdMarginMs' | 'compactionWarmHourMaxFiles' | 'onCompactionStep' | 'forceSnapshotBytes' | 'writeWorkers' | 'startBackgroundFlush' | 'skipStoreProbe'> {
  /** The ingest nodes whose WAL files, snapshots and compactions this node follows (their union is what it serves). */
  followNodeIds: readonly string[];
  /** How often the store is polled for the next WAL file and new compactions (default 250 ms). */
  replicationIntervalMs?: number;
  /** With no `followNodeIds`: follow the ingest nodes this cluster's registry lists, now and as they appear. */
  clusterId?: string;
  /** How often the registry is polled for new ingest nodes (default 1 000 ms). */
  registryIntervalMs?: number;
}

/** What the database builds from the persisted state once the WAL claimed its epoch. */
interface Built {
  state: PersistedState;
  engine: Engine;
  mirrors: Mirrors;
  persistedFiles: PersistedFiles;
  persister: SnapshotPersister;
  buffer: QueryableBuffer;
  caches: Caches;
  notifier: WalFileNotifier;
}

export class SluiceDatabase {
  private closed = false;
  private retentionTimer: NodeJS.Timeout | undefined;
  /** Merges cold windows' Parquet files in the background (undefined when compaction is off). */
  compactor: Compactor | undefined;
  /** A replica's replication of each ingest node it follows (none on a writing node). */
  followers: Follower[] = [];
  /** A replica's watch on the cluster registry for new ingest nodes. */
  discovery: NodeDiscovery | undefined;
  /** Throws when a newer writer took this node id (a replica is never fenced). */
  checkFence: () => Promise<void> = async () => undefined;
  /** Creates and deletes databases and tables (through the WAL). */
  readonly manage: CatalogManager;

  private constructor(
    readonly nodeId: string,
    readonly store: ObjectStore,
    readonly catalog: Catalog,
    readonly wal: Wal,
    readonly buffer: BufferedRows,
    readonly writer: LineProtocolWriter,
    readonly query: QueryEngine,
    readonly persister: PersisterView,
    readonly persistedFiles: IndexedFiles,
    readonly manifests: SnapshotManifest[],
    private readonly engine: Engine,
    private readonly mirrors: Mirrors,
    private readonly scratchDir: string,
    /** Removes the Parquet files of deleted tables and past retention from the store, in the background. */
    readonly remover: FileRemover,
    clock: Clock,
    /** The last-value and distinct-value caches, filled from every applied WAL file (docs/caches.md). */
    readonly caches: Caches,
  ) {
    this.manage = new CatalogManager(catalog, wal, clock);
  }

  static async open(options: OpenDatabaseOptions): Promise<SluiceDatabase> {
    const { store, nodeId } = options;
    const clock = options.clock ?? SYSTEM_CLOCK;
    const logger = options.logger ?? silentLogger;
    const started = clock.monotonicMs();
    const scratchDir = await mkdtemp(join(tmpdir(), 'sluice-'));
    const remover = new FileRemover({ store, clock, logger, ...(options.removeRetryDelayMs === undefined ? {} : { retryDelayMs: options.removeRetryDelayMs }), ...(options.fileDeleteDelayMs === undefined ? {} : { graceMs: options.fileDeleteDelayMs }) });
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
    const build = (): Promise<Built> =>
      buildCore(options, scratchDir, remover, (state, mirrors) => {
        const persister = new Persister({ store, nodeId, mirrors, scratchDir, clock, logger, ...(options.parquetCompression === undefined ? {} : { compression: options.parquetCompression }) });
        persister.setFenceCheck(() => fenceCheck());
        return persister;
      });
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
      remover.close();
      built?.persister.close();
      built?.engine.close();
      await rm(scratchDir, { recursive: true, force: true });
      throw err;
    }
    const { state, engine, mirrors, persistedFiles, persister, buffer, caches } = built!;
    buffer.attachWal(wal);
    // Files of databases and tables deleted (or past retention) before the last start — the
    // manifests still name them; a removal a crash cut short is finished now.
    await buffer.sweepFiles('deleted or past retention before this start');
    const writer = new LineProtocolWriter(state.catalog, wal, { clock, workers: options.writeWorkers ?? 0 });
    writer.warmWorkers();
    const gen1Ns = gen1DurationNs(wal.getConfig().gen1Duration);
    const query = newQueryEngine(options, built!, cacheDir, new WalFileListing(store, nodeId), gen1Ns);
    logger.info({ nodeId, snapshots: state.manifests.length, parquetFiles: persistedFiles.fileCount, bufferedRows: buffer.getStats().rows, startupMs: clock.monotonicMs() - started }, 'database open');
    const db = new SluiceDatabase(nodeId, store, state.catalog, wal, buffer, writer, query, persister, persistedFiles, state.manifests, engine, mirrors, scratchDir, remover, clock, caches);
    db.checkFence = () => fenceCheck();
    if (options.compaction ?? true) {
      const compactor = new Compactor({
        store,
        nodeId,
        catalog: state.catalog,
        mirrors,
        persistedFiles,
        remover,
        scratchDir,
        clock,
        logger,
        checkFence: () => fenceCheck(),
        nextSequenceNumber: (state.compactions.at(-1)?.compactionSequenceNumber ?? 0) + 1,
        gen1DurationNs: gen1Ns,
        afterCommit: () => buffer.sweepFiles('deleted or past retention at compaction'),
        ...(options.parquetCompression === undefined ? {} : { compression: options.parquetCompression }),
        ...(options.compactionColdMarginMs === undefined ? {} : { coldMarginNs: BigInt(Math.round(options.compactionColdMarginMs)) * 1_000_000n }),
        ...(options.compactionWarmHourMaxFiles === undefined ? {} : { warmHourMaxFiles: options.compactionWarmHourMaxFiles }),
        ...(options.onCompactionStep === undefined ? {} : { onStep: options.onCompactionStep }),
      });
      db.compactor = compactor;
      if (options.compactionInBackground ?? true) {
        // After each snapshot (the files it added may make windows cold), and now.
        persistedFiles.onSnapshotAdded = () => compactor.kick();
        compactor.kick();
      }
    }
    db.startRetentionChecks(options.retentionCheckIntervalMs ?? 60_000, logger);
    return db;
  }

  /**
   * Opens a replica of ingest node `followNodeId` (a query node): loads its snapshots, applies
   * its WAL files above the last one, and follows new ones every replication interval (see
   * `../cluster/follower.ts`). Writes and schema changes are refused (`ReadOnlyWalError`);
   * nothing is written or deleted under the followed node's prefix.
   */
  static async openReplica(options: OpenReplicaOptions): Promise<SluiceDatabase> {
    const { store, followNodeIds } = options;
    if (followNodeIds.length === 0 && options.clusterId === undefined) throw new Error('a replica follows ingest nodes: name them, or a cluster whose registry lists them');
    const clock = options.clock ?? SYSTEM_CLOCK;
    const logger = options.logger ?? silentLogger;
    const started = clock.monotonicMs();
    const intervalMs = options.replicationIntervalMs ?? 250;
    const scratchDir = await mkdtemp(join(tmpdir(), 'sluice-replica-'));
    // Never started: a replica removes nothing (each ingest node removes its own files).
    const remover = new FileRemover({ store, clock, logger });
    remover.close();
    let engine: Engine | undefined;
    try {
      // On a local store the whole root: ingest nodes found later write under it too.
      engine = await openEngine(options, scratchDir, []);
      const mirrors = new Mirrors(engine);
      const merger = new CatalogMerger(options.catalogLimits);
      const memCacheBytes = options.parquetMemCacheBytes ?? Math.floor(totalmem() / 5);
      const memCache = memCacheBytes > 0 ? new ParquetMemCache(memCacheBytes) : undefined;
      let caches: Caches | undefined;
      // Shared with the merged views, which read them at each query: a node found later joins them.
      const buffers: QueryableBuffer[] = [];
      const indexes: PersistedFiles[] = [];
      const manifests: ManifestFollower[] = [];
      const followers: Follower[] = [];
      const load = async (nodeId: string, state?: PersistedState): Promise<ReplicaSource> => {
        const source = await loadReplicaSource({ store, nodeId, merger, mirrors, memCache, clock, logger, intervalMs, caches: () => caches!, ...(state === undefined ? {} : { state }) });
        buffers.push(source.buffer);
        indexes.push(source.files);
        manifests.push(source.manifests);
        followers.push(source.follower);
        return source;
      };
      let initial = [...followNodeIds];
      const notFollowed = new Map<string, string>();
      const walConfig = resolveWalConfig(options.wal);
      if (initial.length === 0 && options.clusterId !== undefined) {
        const registered = (await listRegisteredNodes(store, options.clusterId, logger)).filter(isIngestNode);
        // A node of another gen1 duration is not followed (a stale entry must not keep the
        // query node from serving the others): it is reported as the discovery's failure.
        initial = [];
        for (const node of registered) {
          const conflict = gen1Conflict(node, walConfig.gen1Duration);
          if (conflict === undefined) initial.push(node.nodeId);
          else {
            logger.warn({ err: conflict, nodeId: node.nodeId }, 'not following a registered ingest node');
            notFollowed.set(node.nodeId, conflict.message);
          }
        }
      }
      // Read in parallel, merged in the order given (the merged ids follow it).
      const states = await Promise.all(initial.map((nodeId) => loadPersistedState(store, nodeId)));
      for (const [i, nodeId] of initial.entries()) await load(nodeId, states[i]);
      const buffer = new MergedBuffers(buffers);
      const files = new MergedFiles(indexes, memCache);
      const catalog = merger.merged;
      caches = new Caches(catalog, { bufferedChunks: (dbId, tableId) => buffer.chunksOf(dbId, tableId), hasPersistedFiles: (dbId, tableId) => files.filesOf(dbId, tableId).length > 0 }, logger);
      caches.loadFromCatalog();
      let discovery: NodeDiscovery | undefined;
      const wal = new ReplicaWal(followers, walConfig, () => discovery?.failures ?? new Map());
      const writer = new LineProtocolWriter(catalog, wal, { clock });
      const query = new QueryEngine({
        catalog,
        buffer,
        persistedFiles: files,
        mirrors,
        store,
        cacheDir: join(scratchDir, 'cache'),
        clock,
        system: { walFiles: (signal) => new WalFileListing(store, followers[0]?.nodeId ?? options.nodeId).list(signal), caches, nowMs: () => clock.nowMs() },
        gen1DurationNs: gen1DurationNs(walConfig.gen1Duration),
        conflictOf: (dbId, table) => merger.conflictOf(dbId, table),
        ...(options.queryTimeoutMs === undefined ? {} : { timeoutMs: options.queryTimeoutMs }),
        ...(options.parquetMemCacheFill === undefined ? {} : { fillMemCache: options.parquetMemCacheFill }),
      });
      const db = new SluiceDatabase(options.nodeId, store, catalog, wal, buffer, writer, query, new MergedPersisters(manifests), files, [...files.snapshots], engine, mirrors, scratchDir, remover, clock, caches);
      db.followers = followers;
      try {
        await Promise.all(followers.map((f) => f.start()));
      } catch (err) {
        await db.close();
        throw err;
      }
      if (options.clusterId !== undefined && followNodeIds.length === 0) {
        // Ingest nodes that register later are followed from the next registry poll on.
        db.discovery = discovery = new NodeDiscovery({
          failures: notFollowed,
          list: () => listRegisteredNodes(store, options.clusterId!, logger),
          known: () => followers.map((f) => f.nodeId),
          follow: async (node) => {
            const { nodeId } = node;
            const conflict = gen1Conflict(node, walConfig.gen1Duration);
            if (conflict !== undefined) throw conflict;
            const source = await load(nodeId);
            await source.follower.start();
            logger.info({ nodeId }, 'following a new ingest node');
          },
          intervalMs: options.registryIntervalMs ?? 1000,
          logger,
        });
        db.discovery.start();
      }
      logger.info({ nodeId: options.nodeId, following: followers.map((f) => f.nodeId), parquetFiles: files.fileCount, bufferedRows: buffer.getStats().rows, startupMs: clock.monotonicMs() - started }, 'replica open');
      db.startRetentionChecks(options.retentionCheckIntervalMs ?? 60_000, logger);
      return db;
    } catch (err) {
      engine?.close();
      await rm(scratchDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Enforces retention periods every `everyMs` (0: never). */
  startRetentionChecks(everyMs: number, logger: WalLogger): void {
    if (everyMs <= 0) return;
    this.retentionTimer = setInterval(() => {
      this.enforceRetention().catch((err: unknown) => logger.error({ err }, 'enforcing retention periods failed'));
    }, everyMs);
    this.retentionTimer.unref();
  }

  /**
   * Takes the persisted files wholly past their database's retention period (and any left of
   * deleted tables) out of the query index and removes them from the store in the background.
   * Runs on a timer; rows past retention are invisible to queries at once regardless.
   */
  enforceRetention(): Promise<number> {
    return this.buffer.sweepFiles('past the retention period');
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
   * Runs compactions until none is due and waits for them (the background compactor does the
   * same after each snapshot); resolves with how many committed. 0 when compaction is off.
   */
  async compactNow(): Promise<number> {
    return (await this.compactor?.compactAll()) ?? 0;
  }

  /**
   * Drops everything at once, as a crash would: nothing is flushed, pending writes are never
   * acknowledged, the engine is released. For tests and tools that model a dying process.
   */
  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.retentionTimer);
    void this.discovery?.stop();
    this.compactor?.close();
    this.remover.close();
    this.wal.abandon();
    await this.writer.close();
    this.persister.close();
    this.engine.close();
    // A compaction under way writes in the scratch directory until it notices (its engine is gone).
    await this.compactor?.idle();
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
    clearInterval(this.retentionTimer);
    await this.discovery?.stop();
    this.compactor?.close();
    this.remover.close();
    try {
      await this.wal.shutdown();
      await this.writer.close();
      await this.buffer.idle();
      await this.compactor?.idle();
      await this.query.memFiller?.idle();
      await this.mirrors.idle();
    } finally {
      this.persister.close();
      this.engine.close();
      // When the WAL's shutdown failed, a compaction may still be under way in the scratch directory.
      await this.compactor?.idle();
      await rm(this.scratchDir, { recursive: true, force: true });
    }
  }
}

/** The SQL engine, allowed to read the scratch directory and, on a local store, the files of `nodeIds` (none: of the whole store). */
function openEngine(options: Pick<OpenDatabaseOptions, 'store' | 'queryMemoryLimit' | 'queryThreads'>, scratchDir: string, nodeIds: readonly string[]): Promise<Engine> {
  const allowed = [scratchDir];
  for (const nodeId of nodeIds) {
    const localFiles = options.store.localPath?.(`${nodeId}/dbs/x`);
    if (localFiles !== undefined) allowed.push(dirname(localFiles));
  }
  const root = nodeIds.length === 0 ? options.store.localPath?.('x') : undefined;
  if (root !== undefined) allowed.push(dirname(root));
  return Engine.open({
    allowedDirectories: allowed,
    ...(options.queryMemoryLimit === undefined ? {} : { memoryLimit: options.queryMemoryLimit }),
    ...(options.queryThreads === undefined ? {} : { threads: options.queryThreads }),
  });
}

/**
 * Loads what `options.nodeId` persisted and builds the engine, the index of its files, the
 * buffer (made durable by `persister`), the caches, and the notifier WAL files are applied
 * through — the same for a writing node and a replica.
 */
async function buildCore(
  options: Pick<OpenDatabaseOptions, 'store' | 'nodeId' | 'catalogLimits' | 'queryMemoryLimit' | 'queryThreads' | 'parquetMemCacheBytes' | 'forceSnapshotBytes' | 'clock' | 'logger'>,
  scratchDir: string,
  remover: FileRemover | undefined,
  makePersister: (state: PersistedState, mirrors: Mirrors) => SnapshotPersister,
): Promise<Built> {
  const { store, nodeId } = options;
  const clock = options.clock ?? SYSTEM_CLOCK;
  const logger = options.logger ?? silentLogger;
  const state = await loadPersistedState(store, nodeId, options.catalogLimits === undefined ? {} : { limits: options.catalogLimits });
  const engine = await openEngine(options, scratchDir, [nodeId]);
  const mirrors = new Mirrors(engine);
  const persistedFiles = PersistedFiles.load(state.manifests, state.compactions);
  const memCacheBytes = options.parquetMemCacheBytes ?? Math.floor(totalmem() / 5);
  if (memCacheBytes > 0) persistedFiles.memCache = new ParquetMemCache(memCacheBytes);
  const persister = makePersister(state, mirrors);
  const buffer = new QueryableBuffer({
    catalog: state.catalog,
    persister,
    persistedFiles,
    mirrors,
    logger,
    clock,
    ...(remover === undefined ? {} : { remover }),
    ...(options.forceSnapshotBytes === undefined ? {} : { forceSnapshotBytes: options.forceSnapshotBytes }),
  });
  const caches = new Caches(state.catalog, { bufferedChunks: (dbId, tableId) => buffer.chunksOf(dbId, tableId), hasPersistedFiles: (dbId, tableId) => persistedFiles.filesOf(dbId, tableId).length > 0 }, logger);
  caches.loadFromCatalog();
  return { state, engine, mirrors, persistedFiles, persister, buffer, caches, notifier: new CatalogApplier(state.catalog, new CacheFiller(caches, buffer)) };
}

function newQueryEngine(options: Pick<OpenDatabaseOptions, 'store' | 'clock' | 'queryTimeoutMs' | 'parquetMemCacheFill'>, built: Built, cacheDir: string, walListing: WalFileListing, gen1Ns: bigint): QueryEngine {
  const clock = options.clock ?? SYSTEM_CLOCK;
  return new QueryEngine({
    catalog: built.state.catalog,
    buffer: built.buffer,
    persistedFiles: built.persistedFiles,
    mirrors: built.mirrors,
    store: options.store,
    cacheDir,
    clock,
    system: { walFiles: (signal) => walListing.list(signal), caches: built.caches, nowMs: () => clock.nowMs() },
    gen1DurationNs: gen1Ns,
    ...(options.queryTimeoutMs === undefined ? {} : { timeoutMs: options.queryTimeoutMs }),
    ...(options.parquetMemCacheFill === undefined ? {} : { fillMemCache: options.parquetMemCacheFill }),
  });
}

/** Every snapshot manifest of a node, newest first, with its files: `wal inspect` for snapshots. */
export async function listSnapshots(store: ObjectStore, nodeId: string): Promise<SnapshotManifest[]> {
  return (await loadPersistedState(store, nodeId)).manifests;
}
