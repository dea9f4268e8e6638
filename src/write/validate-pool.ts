import { Worker } from 'node:worker_threads';
import type { Catalog } from '../catalog/catalog.js';
import type { ParseOptions } from '../lineprotocol/parser.js';
import type { CatalogBatch, WriteBatch } from '../wal/model.js';
import type { WriteLineError } from './errors.js';
import type { ValidateOptions } from './validator.js';

/** A body to validate: its bytes, moved to the worker (and moved back with the reply). */
export interface ValidateJob {
  type: 'validate';
  id: number;
  db: string;
  body: ArrayBuffer;
  bodyOffset: number;
  bodyLength: number;
  options: ValidateOptions;
}

/** What a worker made of a body, against its catalog copy at version `basedOn`. */
export interface ValidateDone {
  type: 'done';
  id: number;
  basedOn: number;
  catalogBatch: CatalogBatch | undefined;
  writeBatch: WriteBatch | undefined;
  /** `encodeOp` of the catalog op (if any) then the write op (if any). */
  encoded: Uint8Array[];
  lineCount: number;
  fieldCount: number;
  tagCount: number;
  errors: WriteLineError[];
  /** The job's body buffer, moved back. */
  body: ArrayBuffer;
}

export type ValidateReply = ValidateDone | { type: 'redo'; id: number; body: ArrayBuffer };

/** What became of a body sent to a worker. */
export type PoolOutcome =
  /** The worker's result, and the body (moved back: the caller's view of it may be detached). */
  | { kind: 'done'; done: ValidateDone; body: Buffer }
  /** The main thread must validate the body (a refusal to report, a closed pool). */
  | { kind: 'redo'; body: Buffer }
  /** The worker died with the body moved to it: the body is gone and nothing was written. */
  | { kind: 'lost'; error: Error };

/** A write body that was moved to a write worker that then died; nothing of it was written. */
export class WriteWorkerLostError extends Error {
  constructor(cause: Error) {
    super(`the write worker holding this body failed (${cause.message}); nothing was written, retry`, { cause });
  }
}

export type WorkerMessage = ValidateJob | { type: 'catalog'; version: number; bytes: Uint8Array };

interface PoolWorker {
  worker: Worker;
  inFlight: number;
  catalogVersion: number;
}

/**
 * A worker's young generation, in MiB. What a job allocates dies with the job, so a small young
 * generation costs no throughput, and V8's default (up to 48 MiB, grown under a high allocation
 * rate) is resident memory for nothing: 4 MiB takes ~15 MB off the server's peak RSS.
 */
const WORKER_YOUNG_GENERATION_MB = 4;

/**
 * Threads that parse, validate and WAL-encode line-protocol bodies, so the main thread only
 * commits the result (the catalog is the main thread's; each worker keeps a copy, refreshed
 * when the catalog's version changed before a job is sent). A result holds if nothing was
 * removed from the catalog since the worker's copy and, when the body adds schema, nothing
 * changed at all; otherwise the caller validates the body again on the main thread.
 */
export class ValidatePool {
  private readonly workers: PoolWorker[] = [];
  private readonly pending = new Map<number, { entry: PoolWorker; resolve(reply: ValidateReply): void; reject(err: Error): void }>();
  private nextId = 1;
  private serialized: { version: number; bytes: Uint8Array } | undefined;
  private closed = false;

  constructor(
    private readonly catalog: Catalog,
    readonly size: number,
    private readonly parse: ParseOptions = {},
  ) {}

  /**
   * Starts every worker now, so the first bodies do not wait for a thread to boot and load its
   * modules (hundreds of milliseconds on a cold start). Idle workers do not hold the process open.
   */
  warm(): void {
    while (!this.closed && this.workers.length < this.size) this.start();
  }

  private start(): PoolWorker {
    // Compiled, this module is .js beside validate-worker.js; under tsx (tests) both are .ts.
    const workerData = { parse: this.parse, limits: this.catalog.limits };
    const isSource = import.meta.url.endsWith('.ts');
    const url = new URL(`./validate-worker.${isSource ? 'ts' : 'js'}`, import.meta.url);
    const worker = isSource
      ? // tsx's loader does not reach workers by itself: register it there, then load the worker
        new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true, workerData })
      : new Worker(url, { workerData, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    const entry: PoolWorker = { worker, inFlight: 0, catalogVersion: -1 };
    worker.on('message', (reply: ValidateReply) => {
      if (--entry.inFlight === 0) worker.unref(); // an idle worker does not keep the process alive
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply);
    });
    worker.on('error', (err) => this.fail(entry, err));
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(entry, new Error(`write worker exited with code ${code}`));
    });
    worker.unref();
    this.workers.push(entry);
    return entry;
  }

  private fail(entry: PoolWorker, err: Error): void {
    const i = this.workers.indexOf(entry);
    if (i >= 0) this.workers.splice(i, 1);
    // The dead worker's jobs fail (their callers redo a copied body, or report a moved one lost);
    // other workers' jobs go on.
    for (const [id, p] of this.pending) {
      if (p.entry !== entry) continue;
      this.pending.delete(id);
      p.reject(err);
    }
  }

  private pick(): PoolWorker {
    if (this.workers.length < this.size) return this.start();
    let best = this.workers[0]!;
    for (const w of this.workers) if (w.inFlight < best.inFlight) best = w;
    return best;
  }

  /**
   * Validates `body` on a worker. With `detach`, the body's memory moves to the worker and back
   * (no copy; the caller's `body` is unusable from the call on and must be taken from the
   * outcome); otherwise a copy moves. If a worker dies holding a moved body, the body is lost.
   */
  async validate(db: string, body: Buffer, options: ValidateOptions, detach = false): Promise<PoolOutcome> {
    if (this.closed) return { kind: 'redo', body };
    const entry = this.pick();
    if (entry.catalogVersion !== this.catalog.version) {
      if (this.serialized?.version !== this.catalog.version) this.serialized = { version: this.catalog.version, bytes: this.catalog.serialize() };
      entry.worker.postMessage({ type: 'catalog', version: this.serialized.version, bytes: this.serialized.bytes } satisfies WorkerMessage);
      entry.catalogVersion = this.serialized.version;
    }
    // Only a buffer that is the body alone can move; a pooled or shared one is copied.
    const movable = detach && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
    let moved: ArrayBuffer;
    if (movable) {
      moved = body.buffer as ArrayBuffer;
    } else {
      const copy = new Uint8Array(body.length);
      copy.set(body);
      moved = copy.buffer;
    }
    const id = this.nextId++;
    const job: ValidateJob = { type: 'validate', id, db, body: moved, bodyOffset: 0, bodyLength: body.length, options };
    const reply = new Promise<ValidateReply>((resolve, reject) => this.pending.set(id, { entry, resolve, reject }));
    if (entry.inFlight++ === 0) entry.worker.ref();
    entry.worker.postMessage(job, [job.body]);
    try {
      const r = await reply;
      const back = movable ? Buffer.from(r.body, 0, job.bodyLength) : body;
      return r.type === 'done' ? { kind: 'done', done: r, body: back } : { kind: 'redo', body: back };
    } catch (err) {
      return movable ? { kind: 'lost', error: err as Error } : { kind: 'redo', body };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
    // Jobs still out are never answered now: their callers must not wait forever.
    for (const p of this.pending.values()) p.reject(new Error('the write workers were closed'));
    this.pending.clear();
  }
}
