import { validateDatabaseName, type Catalog } from '../catalog/catalog.js';
import type { Clock } from '../effects/clock.js';
import { SystemClock } from '../effects/clock.js';
import { LineProtocolParser, type ParseOptions } from '../lineprotocol/parser.js';
import { gen1DurationNs } from '../wal/config.js';
import type { CatalogBatch, WalOp } from '../wal/model.js';
import type { Wal } from '../wal/wal.js';
import { WriteError, type WriteLineError } from './errors.js';
import type { Precision } from './precision.js';
import { ValidatePool, WriteWorkerLostError, type ValidateDone } from './validate-pool.js';
import { validateLineProtocol, type ValidatedWrite, type ValidateOptions } from './validator.js';

/** Options of one write. */
export interface WriteLpOptions {
  /** Unit of the timestamps; default `auto`. */
  precision?: Precision;
  /** Keep valid lines and report bad ones (default true, as InfluxDB 3's v3 API). */
  acceptPartial?: boolean;
  /** Acknowledge once buffered, before the WAL file is durable. */
  noSync?: boolean;
  /**
   * The caller gives up `body`: the writer may move its memory to a write worker instead of
   * copying it, which leaves the caller's Buffer detached (empty). The server does this.
   */
  detachBody?: boolean;
}

/** What a write did. */
export interface WriteLpResult {
  /** Lines written. */
  lineCount: number;
  /** Field values written. */
  fieldCount: number;
  /** Tag values written. */
  tagCount: number;
  /** Lines rejected (accept_partial): physical line number, start of the line, reason. */
  invalidLines: WriteLineError[];
}

/** Bodies smaller than this are validated on the main thread: the hop to a worker costs more. */
const DEFAULT_WORKER_MIN_BYTES = 64 * 1024;

/** How a writer is built. */
export interface WriterOptions {
  clock?: Clock;
  parse?: ParseOptions;
  /** Threads that parse and validate large bodies off the main thread (default 0: none). */
  workers?: number;
  /** Smallest body sent to a worker, in bytes (default 64 KiB). */
  workerMinBytes?: number;
}

/** The write path: line protocol → validated ops → the WAL. */
export class LineProtocolWriter {
  private readonly parser: LineProtocolParser;
  private readonly clock: Clock;
  private readonly pool: ValidatePool | undefined;
  private readonly workerMinBytes: number;
  /**
   * Bodies validated by a worker and committed as they were; results sent to a worker again
   * because the schema changed under them; bodies validated on the main thread after all.
   */
  readonly workerStats = { committed: 0, retried: 0, redone: 0 };

  constructor(
    private readonly catalog: Catalog,
    private readonly wal: Wal,
    options: WriterOptions = {},
  ) {
    this.parser = new LineProtocolParser(options.parse);
    this.clock = options.clock ?? new SystemClock();
    this.pool = (options.workers ?? 0) > 0 ? new ValidatePool(catalog, options.workers!, options.parse) : undefined;
    this.workerMinBytes = options.workerMinBytes ?? DEFAULT_WORKER_MIN_BYTES;
  }

  /** Starts the worker threads now rather than at the first large body. */
  warmWorkers(): void {
    this.pool?.warm();
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  /**
   * Writes a body of line protocol to database `db`. Resolves when the rows are durable and
   * applied (or, with `noSync`, buffered). With `acceptPartial` false any bad line rejects the
   * whole body (WriteError PARSE) and nothing is written; a body with no lines and no errors is
   * WriteError EMPTY_WRITE.
   */
  async writeLp(db: string, body: Buffer, options: WriteLpOptions = {}): Promise<WriteLpResult> {
    const acceptPartial = options.acceptPartial ?? true;
    const validateOptions: ValidateOptions = {
      precision: options.precision ?? 'auto',
      acceptPartial,
      ingestTimeNs: this.clock.nowNs(),
      gen1DurationNs: gen1DurationNs(this.wal.getConfig().gen1Duration),
    };
    let validated: ValidatedWrite | undefined;
    let encoded: Uint8Array[] | undefined;
    if (this.pool !== undefined && body.length >= this.workerMinBytes) {
      // A result that no longer holds (another body changed the schema first) goes to a worker
      // once more, which then validates against the new catalog; after that, the main thread.
      for (let attempt = 1; attempt <= 2; attempt++) {
        const outcome = await this.pool.validate(db, body, validateOptions, options.detachBody ?? false);
        if (outcome.kind === 'lost') throw new WriteWorkerLostError(outcome.error);
        body = outcome.body; // moved back from the worker
        if (outcome.kind === 'redo') break; // a refusal to report, a dead worker, a closed pool
        const done = outcome.done;
        // From here on, one tick: nothing else touches the catalog until the ops are buffered.
        if (this.holds(done)) {
          validated = this.adopt(done);
          encoded = done.encoded;
          this.workerStats.committed++;
          break;
        }
        if (attempt === 1) this.workerStats.retried++;
      }
      if (validated === undefined) this.workerStats.redone++;
    }
    validated ??= validateLineProtocol(this.catalog, this.parser, db, body, validateOptions);
    if (!acceptPartial && validated.errors.length > 0) {
      throw new WriteError(validated.errors.some((e) => e.isLimit) ? 'LIMIT' : 'PARSE', 'line protocol parsing error', validated.errors);
    }
    const result: WriteLpResult = { lineCount: validated.lineCount, fieldCount: validated.fieldCount, tagCount: validated.tagCount, invalidLines: validated.errors };
    const ops: WalOp[] = [];
    if (validated.catalogBatch !== undefined) ops.push({ kind: 'catalog', batch: validated.catalogBatch });
    if (validated.writeBatch !== undefined) ops.push({ kind: 'write', batch: validated.writeBatch });
    if (validated.lineCount === 0) {
      // nothing to write: schema changes (a new database) would only be noise in the WAL
      validated.undo();
      if (validated.errors.length === 0) throw new WriteError('EMPTY_WRITE', 'incoming write was empty');
      return result;
    }
    // Buffering happens in this same tick as validation: if the WAL refuses the ops, the schema
    // changes are undone before any other request could have used them.
    let durable: Promise<void>;
    try {
      if (options.noSync ?? false) {
        this.wal.bufferOpsUnconfirmed(ops, encoded);
        durable = Promise.resolve();
      } else {
        durable = this.wal.enqueueOps(ops, encoded);
      }
    } catch (err) {
      validated.undo();
      throw err;
    }
    await durable;
    return result;
  }

  /**
   * Creates database `name` durably: a catalog batch with one `createDatabase` op, applied to the
   * catalog at once (the next statement sees it) and resolved once the WAL file holding it is on
   * the store. WriteError INVALID_DATABASE for a name the catalog refuses, LIMIT past the
   * catalog's database limit (the same words a write gets).
   *
   * When the database exists the op goes to the WAL all the same (replay applies it as a no-op):
   * the database may exist only because a write or another CREATE DATABASE still waiting for its
   * WAL file made it, and the answer must not come before that file is durable.
   */
  async createDatabase(name: string): Promise<void> {
    try {
      validateDatabaseName(name);
    } catch (err) {
      throw new WriteError('INVALID_DATABASE', (err as Error).message);
    }
    const existing = this.catalog.database(name);
    if (existing !== undefined) {
      await this.wal.enqueueOps([{ kind: 'catalog', batch: { databaseId: existing.id, databaseName: name, timeNs: this.clock.nowNs(), ops: [{ kind: 'createDatabase' }] } }]);
      return;
    }
    if (this.catalog.listDatabases().length >= this.catalog.limits.maxDatabases) {
      throw new WriteError('LIMIT', `Adding a new database would exceed limit of ${this.catalog.limits.maxDatabases} databases`);
    }
    const batch: CatalogBatch = { databaseId: this.catalog.peekNextDatabaseId(), databaseName: name, timeNs: this.clock.nowNs(), ops: [{ kind: 'createDatabase' }] };
    this.catalog.applyCatalogBatch(batch);
    // As in writeLp: applied and buffered in one tick, undone if the WAL refuses it.
    let durable: Promise<void>;
    try {
      durable = this.wal.enqueueOps([{ kind: 'catalog', batch }]);
    } catch (err) {
      this.catalog.revertCatalogBatch(batch);
      throw err;
    }
    await durable;
  }

  /**
   * Whether a worker's result still holds against the catalog now: nothing removed since the
   * worker's copy, and, if the body adds schema, no change at all (its new ids were computed
   * from that copy).
   */
  private holds(done: ValidateDone): boolean {
    if (this.catalog.removalVersion > done.basedOn) return false;
    return done.catalogBatch === undefined || this.catalog.version === done.basedOn;
  }

  /** A worker's result as the main thread's own: its schema changes applied to the catalog. */
  private adopt(done: ValidateDone): ValidatedWrite {
    const batch = done.catalogBatch;
    if (batch !== undefined) this.catalog.applyCatalogBatch(batch);
    const catalog = this.catalog;
    return {
      catalogBatch: batch,
      writeBatch: done.writeBatch,
      lineCount: done.lineCount,
      fieldCount: done.fieldCount,
      tagCount: done.tagCount,
      errors: done.errors,
      undo: () => {
        if (batch !== undefined) catalog.revertCatalogBatch(batch);
      },
    };
  }
}
