/**
 * The parser-and-validator half of the line-protocol fuzz suite (fuzz.test.ts runs it on a worker
 * thread behind a watchdog). Each input is a generated body, valid or damaged, validated against a
 * catalog that lives for a few thousand inputs (sometimes with tiny limits), with a random
 * precision, accept_partial, gen1 duration and database name. What must hold for every input:
 * nothing but a WriteError escapes (and only the kinds the request can cause), the line counts add
 * up, the rows fit the WAL's format, a refused body or an undo leaves the catalog as it was.
 */
import { Catalog, defaultCatalogLimits, type CatalogLimits } from '../../src/catalog/catalog.js';
import { SeededRng, type Rng } from '../../src/effects/rng.js';
import { EXCERPT_BYTES, LineProtocolError } from '../../src/lineprotocol/errors.js';
import { LineProtocolParser, parseLines, type ParseOptions } from '../../src/lineprotocol/parser.js';
import { encodeOp } from '../../src/wal/codec.js';
import { I64_MAX, I64_MIN, type WalOp } from '../../src/wal/model.js';
import { WriteError } from '../../src/write/errors.js';
import { parsePrecision, type Precision } from '../../src/write/precision.js';
import { validateLineProtocol, type ValidatedWrite, type ValidateOptions } from '../../src/write/validator.js';
import { mutate, randomBytes, validBody } from './fuzz-bodies.js';

/** Where the fuzzer is, readable from another thread while it runs (and after it hangs). */
export interface FuzzProgress {
  /** [0]: inputs finished; [1]: length of the current input; [2]: its context, packed (see {@link describeContext}). */
  counters: Int32Array;
  /** The current input's bytes (its first `bytes.length` bytes). */
  bytes: Uint8Array;
}

/** What the validator fuzz did, for the printed counts. */
export interface ValidatorFuzzStats {
  inputs: number;
  /** Inputs that were valid bodies, untouched. */
  validBodies: number;
  linesStored: number;
  lineErrors: number;
  /** A sample of the rejected lines (the first of every 8th body with errors, about), by the shape of their message. */
  lineErrorKinds: Record<string, number>;
  /** Requests refused whole, by WriteError code. */
  refused: Record<string, number>;
  /** Inputs whose ops were encoded with the WAL codec. */
  encoded: number;
  /** Inputs checked line by line against a separate parse. */
  crossChecked: number;
  catalogs: number;
  maxInputMs: number;
  elapsedMs: number;
}

/** A broken property, with the input that broke it. */
export class FuzzFailure extends Error {
  constructor(
    message: string,
    readonly input: Buffer,
    readonly context: string,
  ) {
    super(`${message}\n  context: ${context}\n  input (${input.length} bytes): ${JSON.stringify(input.subarray(0, 2000).toString('latin1'))}`);
    this.name = 'FuzzFailure';
  }
}

const PRECISIONS: Precision[] = ['auto', 's', 'ms', 'us', 'ns'];
const GEN1_NS = [60_000_000_000n, 300_000_000_000n, 600_000_000_000n];
/** Database names: mostly a few good ones (schemas build up), some refused. */
const DATABASES = ['db', 'db', 'db', 'db', 'db', 'db', 'db', 'db', 'other', 'other', 'x-1', 'A9_b', 'time', '', '_x', 'a/b', 'naïve', 'd'.repeat(512)];
/** Precision parameters as a client could send them; the own-property traps among them. */
const PRECISION_TEXTS = ['s', 'ms', 'us', 'ns', 'n', 'u', 'second', 'auto', '', 'S', 'minutes', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
/** An input may take this long on its own; more is a (near-)hang. */
export const MAX_INPUT_MS = 3000;

/** The context of an input in words, from its packed form. */
export function describeContext(packed: number): string {
  const precision = PRECISIONS[packed & 7];
  const acceptPartial = ((packed >> 3) & 1) === 1;
  const gen1 = GEN1_NS[(packed >> 4) & 3];
  const db = DATABASES[(packed >> 6) & 31];
  const limits = (packed >> 11) & 1 ? 'small limits' : 'default limits';
  return `precision=${precision} acceptPartial=${acceptPartial} gen1=${gen1}ns db=${JSON.stringify(db?.slice(0, 20))} ${limits}`;
}

/** A message without what varies (names, values, numbers): its kind, for the printed counts. */
export function errorKind(message: string): string {
  return message.replace(/`[^`]*`|'[^']*'|"[^"]*"|-?\d+/g, '…').slice(0, 90);
}

/** Mostly one or two lines (damage then hits the line it is in), now and then more. */
function poolBody(rng: Rng): string {
  return validBody(rng, { maxLines: rng.nextInt(8) === 0 ? 6 : 2 });
}

function smallLimits(rng: Rng): CatalogLimits {
  return { maxDatabases: 1 + rng.nextInt(3), maxTables: 1 + rng.nextInt(40), maxColumnsPerTable: 2 + rng.nextInt(20) };
}

/**
 * The catalog's counters and the schema of database `dbName` (a body changes no other), as one
 * string: equal before and after a refused body or an undo.
 */
function fingerprint(catalog: Catalog, dbName: string): string {
  let out = `${catalog.peekNextDatabaseId()}|${catalog.totalTables()}|${catalog.listDatabases().length}`;
  const db = catalog.database(dbName);
  if (db === undefined) return out;
  out += `|${db.id}/${db.nextTableId}/${db.tables.size}`;
  for (const t of db.tablesById.values()) {
    out += `|${t.id}:${t.name}/${t.nextColumnId}/${t.columns.size}`;
    for (const c of t.columnsById.values()) out += `,${c.id}:${c.type}`;
  }
  return out;
}

/** The input being checked, for a failure's report. */
interface Where {
  seed: number;
  index: number;
  packed: number;
  parserIndex: number;
  body: Buffer;
}

function fail(where: Where, what: string): never {
  const context = `seed ${where.seed}, input ${where.index}: ${describeContext(where.packed)}${where.parserIndex === 1 ? ' maxStringBytes=600 maxLineBytes=4096' : ''}`;
  throw new FuzzFailure(what, Buffer.from(where.body), context);
}

/** Runs `inputs` fuzz inputs from `seed`; throws FuzzFailure on the first broken property. */
export function runValidatorFuzz(seed: number, inputs: number, progress?: FuzzProgress): ValidatorFuzzStats {
  const rng = new SeededRng(seed);
  const stats: ValidatorFuzzStats = { inputs: 0, validBodies: 0, linesStored: 0, lineErrors: 0, lineErrorKinds: {}, refused: {}, encoded: 0, crossChecked: 0, catalogs: 0, maxInputMs: 0, elapsedMs: 0 };
  const started = performance.now();
  const pool: Buffer[] = Array.from({ length: 2000 }, () => Buffer.from(poolBody(rng)));
  const scratch = Buffer.alloc(64 * 1024);
  const parsers: Array<{ parser: LineProtocolParser; options: ParseOptions }> = [
    { parser: new LineProtocolParser(), options: {} },
    { parser: new LineProtocolParser({ maxStringBytes: 600, maxLineBytes: 4096 }), options: { maxStringBytes: 600, maxLineBytes: 4096 } },
  ];
  let catalog = new Catalog();
  let limitsKind = 0;
  let catalogInputsLeft = 0;
  const where: Where = { seed, index: 0, packed: 0, parserIndex: 0, body: scratch };

  for (let index = 0; index < inputs; index++) {
    if (catalogInputsLeft-- <= 0) {
      limitsKind = rng.nextInt(8) === 0 ? 1 : 0;
      catalog = new Catalog(limitsKind === 1 ? smallLimits(rng) : defaultCatalogLimits());
      catalogInputsLeft = 200 + rng.nextInt(5000);
      stats.catalogs++;
    }
    if (index % 20_000 === 19_999) for (let i = 0; i < 200; i++) pool[rng.nextInt(pool.length)] = Buffer.from(poolBody(rng));

    // The body.
    const mode = rng.nextInt(20);
    let body: Buffer;
    if (mode < 3) {
      body = pool[rng.nextInt(pool.length)]!;
      stats.validBodies++;
    } else if (mode === 3) {
      body = scratch.subarray(0, randomBytes(rng, scratch));
    } else if (mode === 4 && rng.nextInt(100) === 0) {
      // a line of thousands of keys: the column limit must refuse it without a quadratic scan
      const keys = Array.from({ length: 1000 + rng.nextInt(3000) }, (_, k) => k);
      const line = rng.nextInt(2) === 0 ? `wide ${keys.map((k) => `f${k}=${k}i`).join(',')}` : `wide,${keys.map((k) => `t${k}=v`).join(',')} f=1`;
      body = Buffer.from(`${line} ${1_700_000_000_000_000_000n + BigInt(index)}\nwide f0=1i`);
    } else if (mode === 5 && rng.nextInt(200) === 0) {
      // now and then a body of many lines, some damaged
      const parts: Buffer[] = [];
      for (let i = 0; i < 200; i++) parts.push(pool[rng.nextInt(pool.length)]!, Buffer.from('\n'));
      const joined = Buffer.concat(parts);
      const len = mutate(rng, joined.subarray(0, Math.min(joined.length, scratch.length - 4096)), scratch, pool[rng.nextInt(pool.length)]!);
      body = scratch.subarray(0, len);
    } else {
      body = scratch.subarray(0, mutate(rng, pool[rng.nextInt(pool.length)]!, scratch, pool[rng.nextInt(pool.length)]!));
    }

    // The request around it.
    const precisionIndex = rng.nextInt(PRECISIONS.length);
    const acceptPartial = rng.nextInt(6) !== 0;
    const gen1Index = rng.nextInt(GEN1_NS.length);
    // mostly good names: a refused name stops the request before the body is read
    const dbIndex = rng.nextInt(20) === 0 ? rng.nextInt(DATABASES.length) : rng.nextInt(13);
    const parserIndex = rng.nextInt(4) === 0 ? 1 : 0;
    const packed = precisionIndex | ((acceptPartial ? 1 : 0) << 3) | (gen1Index << 4) | (dbIndex << 6) | (limitsKind << 11);
    if (progress !== undefined) {
      const n = Math.min(body.length, progress.bytes.length);
      progress.bytes.set(body.subarray(0, n));
      progress.counters[1] = body.length;
      progress.counters[2] = packed;
    }
    where.index = index;
    where.packed = packed;
    where.parserIndex = parserIndex;
    where.body = body;
    const options: ValidateOptions = {
      precision: PRECISIONS[precisionIndex]!,
      acceptPartial,
      ingestTimeNs: 1_735_689_600_000_000_000n + BigInt(index),
      gen1DurationNs: GEN1_NS[gen1Index]!,
    };
    const dbName = DATABASES[dbIndex]!;
    const isNewDatabase = catalog.database(dbName) === undefined;
    const before = isNewDatabase || rng.nextInt(50) === 0 ? fingerprint(catalog, dbName) : undefined;

    const t0 = performance.now();
    let validated: ValidatedWrite | undefined;
    try {
      validated = validateLineProtocol(catalog, parsers[parserIndex]!.parser, dbName, body, options);
    } catch (err) {
      if (!(err instanceof WriteError)) fail(where, `threw ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`);
      // Only what the request itself can cause: a bad database name, or a new database past the limit.
      const isExpected = err.code === 'INVALID_DATABASE' || (err.code === 'LIMIT' && isNewDatabase && catalog.listDatabases().length >= catalog.limits.maxDatabases);
      if (!(isExpected)) fail(where, `unexpected WriteError ${err.code}: ${err.message}`);
      if (!(err.message.length > 0 && (err.code !== 'LIMIT' || err.message.includes(String(catalog.limits.maxDatabases))))) fail(where, `a refusal without a useful message: ${err.message}`);
      if (before !== undefined) if (!(fingerprint(catalog, dbName) === before)) fail(where, 'a refused request changed the catalog');
      stats.refused[err.code] = (stats.refused[err.code] ?? 0) + 1;
    }
    const inputMs = performance.now() - t0;
    if (inputMs > stats.maxInputMs) stats.maxInputMs = inputMs;
    if (!(inputMs < MAX_INPUT_MS)) fail(where, `one input took ${inputMs.toFixed(0)} ms`);

    if (validated !== undefined) {
      const v = validated;
      // Line numbers: physical, ascending, inside the body; messages say something.
      let newlines = 0;
      for (let i = body.indexOf(0x0a); i !== -1; i = body.indexOf(0x0a, i + 1)) newlines++;
      let last = 0;
      for (const e of v.errors) {
        if (!(e.lineNumber > last && e.lineNumber <= newlines + 1)) fail(where, `line number ${e.lineNumber} after ${last} in a body of ${newlines + 1} lines`);
        if (!(typeof e.errorMessage === 'string' && e.errorMessage.length > 0)) fail(where, 'an empty error message');
        if (!(Buffer.byteLength(e.originalLine) <= EXCERPT_BYTES * 3)) fail(where, 'an excerpt longer than the limit');
        if (!(e.isLimit !== true || /limit(?: of|:) \d+/.test(e.errorMessage))) fail(where, `a limit error that does not name its limit: ${e.errorMessage}`);
        last = e.lineNumber;
        if ((stats.lineErrors + v.errors.length) % 8 === 0 && e === v.errors[0]) {
          // a sample is enough to show which kinds were met
          const kind = errorKind(e.errorMessage);
          stats.lineErrorKinds[kind] = (stats.lineErrorKinds[kind] ?? 0) + 1;
        }
      }
      if (!acceptPartial) {
        if (!(v.errors.length <= 1)) fail(where, 'accept_partial=false reported more than the first bad line');
        if (v.errors.length > 0) {
          if (!(v.lineCount === 0 && v.writeBatch === undefined && v.catalogBatch === undefined)) fail(where, 'accept_partial=false kept lines of a bad body');
          if (before !== undefined) if (!(fingerprint(catalog, dbName) === before)) fail(where, 'accept_partial=false left schema changes of a bad body');
        }
      }
      // Rows: as many as lines stored, each inside its gen1 window, and the ops encode.
      let rows = 0;
      if (v.writeBatch !== undefined) {
        const gen1 = options.gen1DurationNs;
        for (const table of v.writeBatch.tableChunks.values()) {
          for (const [chunkTime, chunk] of table.chunkTimeToChunk) {
            rows += chunk.rowCount;
            if (!(chunkTime >= I64_MIN && chunkTime + gen1 <= I64_MAX)) fail(where, `chunk time ${chunkTime} whose window leaves int64`);
            const windowEndNs = chunkTime + gen1;
            for (let r = 0; r < chunk.rowCount; r++) {
              const t = chunk.timeNs[r]!;
              if (t < chunkTime || t >= windowEndNs || t < table.minTimeNs || t > table.maxTimeNs) fail(where, `row time ${t} outside chunk ${chunkTime} or the table's min/max`);
            }
          }
        }
      }
      if (!(rows === v.lineCount)) fail(where, `${rows} rows for ${v.lineCount} lines`);
      if (!((v.writeBatch === undefined) === (v.lineCount === 0))) fail(where, 'a write batch without lines or lines without one');
      if (v.lineCount > 0 && rng.nextInt(6) === 0) {
        const ops: WalOp[] = [];
        if (v.catalogBatch !== undefined) ops.push({ kind: 'catalog', batch: v.catalogBatch });
        ops.push({ kind: 'write', batch: v.writeBatch! });
        try {
          for (const op of ops) encodeOp(op);
        } catch (err) {
          fail(where, `the WAL codec refused the validated ops: ${String(err)}`);
        }
        stats.encoded++;
      }
      // Now and then, the same body through a parser of its own: every line is stored or reported,
      // and every line the parser refused is among the reported ones.
      if (acceptPartial && rng.nextInt(12) === 0) {
        const parsed = parseLines(body, parsers[parserIndex]!.options);
        const reported = new Set(v.errors.map((e) => e.lineNumber));
        if (!(v.lineCount + v.errors.length === parsed.length)) fail(where, `${v.lineCount} stored + ${v.errors.length} errors for ${parsed.length} lines`);
        for (const p of parsed) if (p instanceof LineProtocolError) if (!(reported.has(p.lineNumber))) fail(where, `parser error on line ${p.lineNumber} not reported`);
        stats.crossChecked++;
      }
      stats.linesStored += v.lineCount;
      stats.lineErrors += v.errors.length;
      // As writeLp does for a body with nothing to write, and now and then for a refused WAL append.
      if (v.lineCount === 0 || rng.nextInt(10) === 0) {
        v.undo();
        if (before !== undefined) if (!(fingerprint(catalog, dbName) === before)) fail(where, 'undo did not restore the catalog');
      }
    }

    // The precision parameter itself, as a client sends it.
    if (rng.nextInt(16) === 0) {
      const text = PRECISION_TEXTS[rng.nextInt(PRECISION_TEXTS.length)]!;
      try {
        const p = parsePrecision(text);
        if (!(PRECISIONS.includes(p))) fail(where, `precision ${JSON.stringify(text)} parsed to ${String(p)}`);
      } catch (err) {
        if (!(err instanceof WriteError && err.code === 'INVALID_PRECISION')) fail(where, `precision ${JSON.stringify(text)} threw ${String(err)}`);
      }
    }
    stats.inputs++;
    if (progress !== undefined) progress.counters[0] = stats.inputs;
  }
  stats.elapsedMs = performance.now() - started;
  return stats;
}
