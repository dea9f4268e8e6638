/**
 * A write worker: parses and validates line-protocol bodies against its copy of the catalog and
 * encodes the resulting WAL ops, off the main thread. It never keeps schema changes: each job's
 * are undone once reported; the main thread decides whether they hold (see ValidatePool).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Catalog, type CatalogLimits } from '../catalog/catalog.js';
import { LineProtocolParser, type ParseOptions } from '../lineprotocol/parser.js';
import { encodeOp } from '../wal/codec.js';
import type { WalOp, WriteBatch } from '../wal/model.js';
import type { ValidateJob, ValidateReply, WorkerMessage } from './validate-pool.js';
import { validateLineProtocol } from './validator.js';

const { parse, limits } = workerData as { parse: ParseOptions; limits: CatalogLimits };
const parser = new LineProtocolParser(parse);
let catalog = new Catalog(limits);
let catalogVersion = -1;

/** The distinct buffers behind a write batch's typed arrays. */
function rowBuffers(batch: WriteBatch): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const table of batch.tableChunks.values()) {
    for (const chunk of table.chunkTimeToChunk.values()) {
      buffers.add(chunk.timeNs.buffer as ArrayBuffer);
      for (const column of chunk.columns.values()) {
        buffers.add(('indices' in column ? column.indices : column.values).buffer as ArrayBuffer);
        if (column.validity !== undefined) buffers.add(column.validity.buffer as ArrayBuffer);
      }
    }
  }
  return [...buffers];
}

function run(job: ValidateJob): { reply: ValidateReply; transfer: ArrayBuffer[] } {
  const body = Buffer.from(job.body, job.bodyOffset, job.bodyLength);
  // The body's buffer goes back with the reply, so the main thread can validate it again.
  const transfer: ArrayBuffer[] = [job.body];
  try {
    const v = validateLineProtocol(catalog, parser, job.db, body, job.options);
    const ops: WalOp[] = [];
    if (v.catalogBatch !== undefined) ops.push({ kind: 'catalog', batch: v.catalogBatch });
    if (v.writeBatch !== undefined) ops.push({ kind: 'write', batch: v.writeBatch });
    const encoded = ops.map((op) => encodeOp(op));
    v.undo();
    for (const e of encoded) if (e.byteOffset === 0 && e.byteLength === e.buffer.byteLength) transfer.push(e.buffer as ArrayBuffer);
    // The rows' typed arrays move too (each is this job's own): no copy on the main thread.
    if (v.writeBatch !== undefined) transfer.push(...rowBuffers(v.writeBatch));
    return {
      reply: { type: 'done', id: job.id, basedOn: catalogVersion, catalogBatch: v.catalogBatch, writeBatch: v.writeBatch, encoded, lineCount: v.lineCount, fieldCount: v.fieldCount, tagCount: v.tagCount, errors: v.errors, body: job.body },
      transfer,
    };
  } catch (err) {
    if (process.env.SLUICE_DEBUG_WORKER) console.error(err);
    // Any refusal (a bad database name, a limit, an op the WAL cannot encode) is redone on the
    // main thread, which throws the typed error there.
    return { reply: { type: 'redo', id: job.id, body: job.body }, transfer };
  }
}

parentPort!.on('message', (message: WorkerMessage) => {
  if (message.type === 'catalog') {
    catalog = Catalog.deserialize(message.bytes, limits);
    catalogVersion = message.version;
    return;
  }
  const { reply, transfer } = run(message);
  try {
    parentPort!.postMessage(reply, transfer);
  } catch {
    // A buffer that cannot move (say, one of Node's pooled slabs): send copies instead.
    parentPort!.postMessage(reply);
  }
});
