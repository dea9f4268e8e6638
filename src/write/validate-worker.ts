/**
 * A write worker: parses and validates line-protocol bodies against its copy of the catalog and
 * encodes the resulting WAL ops, off the main thread. It never keeps schema changes: each job's
 * are undone once reported; the main thread decides whether they hold (see ValidatePool).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Catalog, type CatalogLimits } from '../catalog/catalog.js';
import { LineProtocolParser, type ParseOptions } from '../lineprotocol/parser.js';
import { encodeOp } from '../wal/codec.js';
import type { WalOp } from '../wal/model.js';
import type { ValidateJob, ValidateReply, WorkerMessage } from './validate-pool.js';
import { validateLineProtocol } from './validator.js';

const { parse, limits } = workerData as { parse: ParseOptions; limits: CatalogLimits };
const parser = new LineProtocolParser(parse);
let catalog = new Catalog(limits);
let catalogVersion = -1;

function run(job: ValidateJob): { reply: ValidateReply; transfer: ArrayBuffer[] } {
  const body = Buffer.from(job.body, job.bodyOffset, job.bodyLength);
  const transfer: ArrayBuffer[] = [];
  try {
    const v = validateLineProtocol(catalog, parser, job.db, body, job.options);
    const ops: WalOp[] = [];
    if (v.catalogBatch !== undefined) ops.push({ kind: 'catalog', batch: v.catalogBatch });
    if (v.writeBatch !== undefined) ops.push({ kind: 'write', batch: v.writeBatch });
    const encoded = ops.map((op) => encodeOp(op));
    v.undo();
    for (const e of encoded) if (e.byteOffset === 0 && e.byteLength === e.buffer.byteLength) transfer.push(e.buffer as ArrayBuffer);
    return {
      reply: { type: 'done', id: job.id, basedOn: catalogVersion, catalogBatch: v.catalogBatch, writeBatch: v.writeBatch, encoded, lineCount: v.lineCount, fieldCount: v.fieldCount, tagCount: v.tagCount, errors: v.errors },
      transfer,
    };
  } catch (err) {
    if (process.env.SLUICE_DEBUG_WORKER) console.error(err);
    // Any refusal (a bad database name, a limit, an op the WAL cannot encode) is redone on the
    // main thread, which throws the typed error there.
    return { reply: { type: 'redo', id: job.id }, transfer };
  }
}

parentPort!.on('message', (message: WorkerMessage) => {
  if (message.type === 'catalog') {
    catalog = Catalog.deserialize(message.bytes, limits);
    catalogVersion = message.version;
    return;
  }
  const { reply, transfer } = run(message);
  parentPort!.postMessage(reply, transfer);
});
