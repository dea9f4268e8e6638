/**
 * The cluster registry: one small object per node under `cluster=<id>/nodes/<node-id>.json`
 * (`=` cannot appear in a node id, so the prefix never meets a node's own), rewritten by its
 * node every heartbeat — id, mode, when it started, when it was last seen. Query nodes list it
 * to find the ingest nodes whose data they serve. A writer checks its fence before each
 * heartbeat, so a fenced (zombie) writer stops refreshing its entry; the newer writer of the
 * node id owns it from its first heartbeat on.
 */
import { listAll, type ObjectStore } from '../objectstore/types.js';
import type { Clock } from '../effects/clock.js';
import type { WalLogger } from '../wal/notifier.js';
import type { Gen1Duration } from '../wal/config.js';

export type NodeMode = 'ingest' | 'query' | 'all';

export interface NodeRegistration {
  clusterId: string;
  nodeId: string;
  mode: NodeMode;
  startedAtMs: number;
  lastSeenMs: number;
  version: string;
  /** The node's `--gen1-duration` (absent in entries of versions before it was written). */
  gen1Duration?: Gen1Duration;
}

/** A node of the cluster is set up in a way this node cannot work with (a different `--gen1-duration`). */
export class ClusterConfigError extends Error {
  override readonly name = 'ClusterConfigError';
  constructor(
    readonly nodeId: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Why a query node of gen1 duration `own` cannot follow `node` (it uses another one: a query
 * node groups every followed node's buffered rows and snapshots by its own gen1 windows), or
 * undefined when it can.
 */
export function gen1Conflict(node: NodeRegistration, own: Gen1Duration): ClusterConfigError | undefined {
  if (node.gen1Duration === undefined || node.gen1Duration === own) return undefined;
  return new ClusterConfigError(node.nodeId, `ingest node ${JSON.stringify(node.nodeId)} uses --gen1-duration ${node.gen1Duration} and this node ${own}: every node of a cluster must use the same; not following it`);
}

const CLUSTER_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function validateClusterId(clusterId: string): void {
  if (!CLUSTER_ID.test(clusterId)) throw new RangeError(`cluster id must match ${String(CLUSTER_ID)}, got ${JSON.stringify(clusterId)}`);
}

export function registryPrefix(clusterId: string): string {
  return `cluster=${clusterId}/nodes/`;
}

export function registrationKey(clusterId: string, nodeId: string): string {
  return `${registryPrefix(clusterId)}${nodeId}.json`;
}

/** Every node registered in the cluster (entries that do not parse are skipped, and logged). */
export async function listRegisteredNodes(store: ObjectStore, clusterId: string, logger?: WalLogger): Promise<NodeRegistration[]> {
  const out: NodeRegistration[] = [];
  for (const meta of await listAll(store, registryPrefix(clusterId))) {
    if (!meta.key.endsWith('.json')) continue;
    try {
      const entry = JSON.parse(Buffer.from(await store.get(meta.key)).toString('utf8')) as NodeRegistration;
      if (typeof entry.nodeId === 'string' && (entry.mode === 'ingest' || entry.mode === 'query' || entry.mode === 'all')) out.push(entry);
      else logger?.warn({ key: meta.key }, 'ignoring a registry entry that is not a node');
    } catch (err) {
      logger?.warn({ err, key: meta.key }, 'ignoring a registry entry that cannot be read');
    }
  }
  return out.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
}

/** Keeps this node's entry fresh: written at once, then every `intervalMs`, after `checkFence` passes. */
export class NodeHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAtMs: number;
  private running: Promise<void> | undefined;

  constructor(
    private readonly options: {
      store: ObjectStore;
      clusterId: string;
      nodeId: string;
      mode: NodeMode;
      version: string;
      /** Written into the entry, so that query nodes check it against their own. */
      gen1Duration?: Gen1Duration;
      clock: Clock;
      intervalMs: number;
      logger: WalLogger;
      /** Throws when a newer writer took this node id (the entry is then no longer ours). */
      checkFence: () => Promise<void>;
    },
  ) {
    validateClusterId(options.clusterId);
    this.startedAtMs = Math.floor(options.clock.nowMs());
  }

  async start(): Promise<void> {
    await this.beat();
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.running = this.beat()
        .catch((err: unknown) => this.options.logger.warn({ err }, 'cluster heartbeat failed; trying again'))
        .finally(() => {
          this.running = undefined;
          if (this.timer !== undefined) this.schedule();
        });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const { store, clusterId, nodeId, mode, version, clock, gen1Duration } = this.options;
    await this.options.checkFence();
    const entry: NodeRegistration = { clusterId, nodeId, mode, startedAtMs: this.startedAtMs, lastSeenMs: Math.floor(clock.nowMs()), version, ...(gen1Duration === undefined ? {} : { gen1Duration }) };
    await store.put(registrationKey(clusterId, nodeId), Buffer.from(JSON.stringify(entry)), 'overwrite');
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

/** Whether query nodes serve this node's data: it takes writes. */
export function isIngestNode(node: NodeRegistration): boolean {
  return node.mode === 'ingest' || node.mode === 'all';
}

/** A query node's watch on the registry: each ingest node not yet followed is followed once it appears. */
export class NodeDiscovery {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Nodes whose following failed at the last poll (tried again at the next). */
  readonly failures: Map<string, string>;

  constructor(
    private readonly options: {
      /** Failures known before the first poll (nodes not followed at open). */
      failures?: Map<string, string>;
      list: () => Promise<NodeRegistration[]>;
      known: () => readonly string[];
      follow: (node: NodeRegistration) => Promise<void>;
      intervalMs: number;
      logger: WalLogger;
    },
  ) {
    this.failures = options.failures ?? new Map();
  }

  start(): void {
    this.schedule();
  }

  /** One poll now (tests; polls keep running in the background). */
  pollNow(): Promise<void> {
    this.running ??= this.poll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pollNow()
        .catch((err: unknown) => this.options.logger.warn({ err }, 'reading the cluster registry failed; trying again'))
        .finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const known = new Set(this.options.known());
    for (const node of await this.options.list()) {
      const { nodeId } = node;
      // A node followed by now (its follower reports its own trouble) has no failure here.
      if (known.has(nodeId)) this.failures.delete(nodeId);
      if (this.stopped || known.has(nodeId) || !isIngestNode(node)) continue;
      try {
        await this.options.follow(node);
        this.failures.delete(nodeId);
      } catch (err) {
        // Logged once per cause, not at every poll.
        const message = (err as Error).message;
        if (this.failures.get(nodeId) !== message) this.options.logger.warn({ err, nodeId }, 'following a new ingest node failed; trying again at the next poll');
        this.failures.set(nodeId, message);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
