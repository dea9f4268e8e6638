import type { Catalog } from '../catalog/catalog.js';
import type { Clock } from '../effects/clock.js';
import { SystemClock } from '../effects/clock.js';
import { LineProtocolParser, type ParseOptions } from '../lineprotocol/parser.js';
import { gen1DurationNs } from '../wal/config.js';
import type { WalOp } from '../wal/model.js';
import type { ObjectStoreWal } from '../wal/object-store-wal.js';
import { WriteError, type WriteLineError } from './errors.js';
import type { Precision } from './precision.js';
import { validateLineProtocol } from './validator.js';

/** Options of one write. */
export interface WriteLpOptions {
  /** Unit of the timestamps; default `auto`. */
  precision?: Precision;
  /** Keep valid lines and report bad ones (default true, as InfluxDB 3's v3 API). */
  acceptPartial?: boolean;
  /** Acknowledge once buffered, before the WAL file is durable. */
  noSync?: boolean;
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

/** The write path: line protocol → validated ops → the WAL. */
export class LineProtocolWriter {
  private readonly parser: LineProtocolParser;
  private readonly clock: Clock;

  constructor(
    private readonly catalog: Catalog,
    private readonly wal: ObjectStoreWal,
    options: { clock?: Clock; parse?: ParseOptions } = {},
  ) {
    this.parser = new LineProtocolParser(options.parse);
    this.clock = options.clock ?? new SystemClock();
  }

  /**
   * Writes a body of line protocol to database `db`. Resolves when the rows are durable and
   * applied (or, with `noSync`, buffered). With `acceptPartial` false any bad line rejects the
   * whole body (WriteError PARSE) and nothing is written; a body with no lines and no errors is
   * WriteError EMPTY_WRITE.
   */
  async writeLp(db: string, body: Buffer, options: WriteLpOptions = {}): Promise<WriteLpResult> {
    const precision = options.precision ?? 'auto';
    const acceptPartial = options.acceptPartial ?? true;
    const validated = validateLineProtocol(this.catalog, this.parser, db, body, {
      precision,
      acceptPartial,
      ingestTimeNs: this.clock.nowNs(),
      gen1DurationNs: gen1DurationNs(this.wal.getConfig().gen1Duration),
    });
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
        this.wal.bufferOpsUnconfirmed(ops);
        durable = Promise.resolve();
      } else {
        durable = this.wal.enqueueOps(ops);
      }
    } catch (err) {
      validated.undo();
      throw err;
    }
    await durable;
    return result;
  }
}
