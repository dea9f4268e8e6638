/**
 * One run of the HTTP fuzzer against a `sluice serve` child: known points written first, then
 * generated requests on many keep-alive connections with known points beside them, every answer
 * judged, a crash looked into at once (the server restarted, the requests in flight replayed one
 * by one until one kills it again), and the checks after the run (health, write bytes and query
 * slots back to 0, every acknowledged known point read back).
 */
import { SeededRng } from '../../src/effects/rng.js';
import type { ServerProcess } from './kill-harness.js';
import { CLOSE_AFTER_FIN_MS, FuzzConnection, type ExchangeResult } from './http-fuzz-client.js';
import { bodyShape, FailureLog, routeOf } from './http-fuzz-failures.js';
import { KnownPoints } from './http-fuzz-known.js';
import { RequestGenerator, type FuzzRequest } from './http-fuzz-requests.js';
import { headerOf, type WireResponse } from './http-fuzz-response.js';
import { crashSignature, FuzzServer } from './http-fuzz-server.js';

export interface FuzzRunOptions {
  seed: number;
  /** Requests to process (answered, closed without an answer, or cut off by the client). */
  requests: number;
  connections: number;
  /** The bundled CLI, its data directory and an admin token for it. */
  cli: string;
  dataDir: string;
  token: string;
  /** Known points written (and acknowledged) before the fuzzing starts. */
  knownBefore: number;
  /** Most known points written during the fuzzing. */
  knownDuringMax: number;
  /** The run stops here, whatever its count. */
  deadlineMs: number;
}

/** What happened, counted. */
export interface FuzzCounts {
  answered: number;
  closedUnanswered: number;
  aborted: number;
  unprocessed: number;
  lostToCrash: number;
  extra: number;
  interim: number;
  overload503: number;
  statuses: Map<number, number>;
  kinds: Map<string, number>;
  open: number;
  mutated: number;
  /** Complete pipelined requests left unanswered when a later request on the connection was refused by the HTTP parser. */
  droppedBeforeRefused: number;
  /** Open requests whose connection the server closed only after HANG_MS (by its keep-alive timeout). */
  closedLate: number;
}

/** Longest a complete request may wait for its answer: the write admission wait plus the write timeout, and slack. */
const HANG_MS = 30_000;
/** After this many crashes the run stops (each costs a restart and a triage). */
const MAX_CRASHES = 12;
/** The database of the known points: the generator never writes to it. */
const KNOWN_DB = 'fuzz_known_points';
/** The server's flags: a short WAL flush interval keeps writes (and so the run) fast; snapshots happen during the run. */
const SERVER_FLAGS = ['--wal-flush-interval', '10ms', '--wal-snapshot-size', '100', '--query-timeout', '5s'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

/** One RNG stream per connection, from the base seed (splitmix32). */
function streamSeed(seed: number, stream: number): number {
  let z = (seed + Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

export class FuzzRun {
  readonly failures = new FailureLog();
  readonly counts: FuzzCounts = { answered: 0, closedUnanswered: 0, aborted: 0, unprocessed: 0, lostToCrash: 0, extra: 0, interim: 0, overload503: 0, statuses: new Map(), kinds: new Map(), open: 0, mutated: 0, droppedBeforeRefused: 0, closedLate: 0 };
  readonly server: FuzzServer;
  readonly known: KnownPoints;
  crashes = 0;
  /** Why the run stopped before its count, if it did. */
  stopReason: string | undefined;
  knownAckedBefore = 0;
  fuzzSeconds = 0;
  /** After the run: sluice_write_bytes_in_flight, how long it took to drain, rows of known points checked. */
  after = { writeBytesInFlight: '?', drainMs: 0, rowsChecked: 0 };
  /** Batches on the wire now: the candidates when the server dies. */
  private readonly inFlight = new Set<FuzzRequest[]>();
  private readonly crashSignatures = new Set<string>();
  private recovery: Promise<void> = Promise.resolve();
  /** An error in one loop of the harness stops the others; it is rethrown once they are done. */
  private harnessError: unknown;

  constructor(private readonly options: FuzzRunOptions) {
    this.server = new FuzzServer(options.cli, ['--object-store', 'file', '--data-dir', options.dataDir, ...SERVER_FLAGS], (dead) => {
      this.recovery = this.investigateCrash(dead);
    });
    this.known = new KnownPoints(new SeededRng(streamSeed(options.seed, 1_000_000)), KNOWN_DB, options.token, () => this.hostPort);
  }

  get processed(): number {
    return this.counts.answered + this.counts.closedUnanswered + this.counts.aborted;
  }

  private get hostPort(): string {
    return `127.0.0.1:${this.server.port}`;
  }

  private get isDone(): boolean {
    return this.processed >= this.options.requests || this.stopReason !== undefined;
  }

  /** Starts the server, writes the known points of before, fuzzes, and runs the checks of after. */
  async run(): Promise<void> {
    await this.server.start();
    await this.guard(this.knownWriter(() => this.known.stats.attempted >= this.options.knownBefore || this.stopReason !== undefined, 0));
    if (this.harnessError !== undefined) throw this.harnessError;
    this.knownAckedBefore = this.known.ackedCount;
    if (this.knownAckedBefore !== this.known.stats.attempted) this.failures.record('known write not acknowledged', 'before the fuzzing', undefined, [], `${this.known.stats.attempted - this.knownAckedBefore} of ${this.known.stats.attempted} known points written before the fuzzing were not acknowledged`);

    const startedMs = performance.now();
    let unanswered = 0;
    const progress = setInterval(() => {
      const seconds = (performance.now() - startedMs) / 1000;
      void this.gauges().then((g) => {
        console.log(`# http fuzz progress: ${this.processed} requests, ${seconds.toFixed(0)} s; server: ${g ?? 'no answer to GET /metrics within 10 s'}`);
        // A server that stops answering stops the run: waiting out every connection's requests would only add noise.
        unanswered = g === undefined && this.server.isAlive ? unanswered + 1 : 0;
        if (unanswered === 2) {
          this.failures.record('server stopped answering', 'GET /metrics', undefined, [], 'the server, still running, did not answer GET /metrics within 10 s twice in a row');
          this.stopReason ??= 'the server stopped answering';
        }
      });
      if (seconds * 1000 > this.options.deadlineMs) this.stopReason ??= `the run passed its deadline of ${this.options.deadlineMs / 1000} s with ${this.processed} of ${this.options.requests} requests processed`;
    }, 15_000);
    // Known points beside the fuzzing, up to a bound that keeps the read-back small when the run is slow.
    const knownDone = () => this.isDone || this.known.stats.attempted >= this.options.knownBefore + this.options.knownDuringMax;
    const loops = [...Array.from({ length: this.options.connections }, (_, i) => this.fuzzConnection(i)), this.knownWriter(knownDone, 25), this.knownWriter(knownDone, 25)];
    await Promise.all(loops.map((loop) => this.guard(loop)));
    clearInterval(progress);
    await this.recovery;
    if (this.harnessError !== undefined) throw this.harnessError;
    this.fuzzSeconds = (performance.now() - startedMs) / 1000;
    await this.checkAfter();
  }

  private async guard(loop: Promise<void>): Promise<void> {
    try {
      await loop;
    } catch (err) {
      this.harnessError ??= err;
      this.stopReason ??= `harness error: ${(err as Error).message}`;
    }
  }

  // ---- judging answers -----------------------------------------------------------------------

  private judgeResponse(response: WireResponse, request: FuzzRequest, context: FuzzRequest[]): void {
    bump(this.counts.statuses, response.status);
    if (response.status < 500) return;
    const retryAfter = headerOf(response, 'retry-after');
    if (response.status === 503 && retryAfter !== undefined && /^\d+$/.test(retryAfter)) {
      this.counts.overload503++;
      return;
    }
    this.failures.record(`${response.status} answer`, `${routeOf(request.bytes)}: ${bodyShape(response.body)}`, request, context, `answer: ${JSON.stringify(`${response.head}\r\n\r\n${response.body.subarray(0, 600).toString('latin1')}`)}`);
  }

  /** Judges one exchange; `generation` is the server's when it was sent. */
  private async judge(result: ExchangeResult, sent: FuzzRequest[], mode: 'exact' | 'open', generation: number): Promise<void> {
    const { counts, failures } = this;
    for (const a of result.answered) {
      counts.answered++;
      counts.interim += a.interimCount;
      this.judgeResponse(a.response, a.request, sent);
    }
    for (const r of result.extra) {
      counts.extra++;
      this.judgeResponse(r, sent[sent.length - 1]!, sent);
    }
    const head = result.unanswered[0];
    if (result.malformed !== undefined) {
      failures.record('malformed answer', result.malformed.reason.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, '#'), head ?? result.answered.at(-1)?.request, sent, result.malformed.message.slice(0, 1500));
    }
    if (result.hung && head !== undefined) failures.record('no answer', `${head.kind} request: nothing for ${HANG_MS / 1000} s`, head, sent, `the server neither answered nor closed the connection for ${HANG_MS / 1000} s`);
    // Every answer came, but after the client closed its side the server kept the connection open.
    if (result.closedLate && !result.hung) counts.closedLate++;
    // An exact exchange answered in full that still hung: its last answer had no length (a body
    // read to the close) and the connection stayed open, so it ended only when we closed it.
    if (result.hung && head === undefined && mode === 'exact') failures.record('answer without an end', `${result.answered.at(-1)?.request.kind ?? 'a'} request: a body read to the close, the connection left open`, result.answered.at(-1)?.request, sent, `the answer (${result.answered.at(-1)?.response.head.split('\r\n')[0]}) had neither Content-Length nor chunked framing, and the server kept the connection open for ${HANG_MS / 1000} s, so the answer never ended`);
    if (result.hung && head === undefined && mode === 'open') failures.record('connection left open', `${sent[sent.length - 1]!.kind} request sent alone, then the client's FIN: open ${CLOSE_AFTER_FIN_MS / 1000} s later`, sent[sent.length - 1], sent, `the server answered (${[...result.answered.map((a) => a.response), ...result.extra].map((r) => r.head.split('\r\n')[0]).join('; ')}), then kept the connection open for ${CLOSE_AFTER_FIN_MS / 1000} s after the client closed its side (past its keep-alive timeout)`);
    if (result.keptOpenAfterClose) failures.record('connection kept open', 'after an answer with Connection: close', result.answered.at(-1)?.request, sent, 'the server did not close the connection within 5 s of an answer that said Connection: close');
    if (head === undefined || result.hung) return;
    // The connection closed with requests unanswered: because the server died, or by choice.
    if (this.server.generation !== generation || (await this.server.exitsWithin(300))) {
      counts.lostToCrash += result.unanswered.length;
      return;
    }
    counts.unprocessed += result.unanswered.length - 1;
    counts.closedUnanswered++;
    // A close is explained by an answer that said so, or by a request from the head on that the
    // HTTP parser may refuse: node then drops the connection, and with it the answers not yet
    // flushed to earlier pipelined requests. Otherwise a complete request went unanswered.
    const explained = result.sawClosingResponse || result.malformed !== undefined || sent.slice(sent.indexOf(head)).some((r) => r.mayClose || r.framing === 'open');
    if (explained) {
      if (mode === 'exact' && sent.indexOf(head) < sent.length - 1 && !head.mayClose) counts.droppedBeforeRefused++;
    } else {
      failures.record('closed without an answer', `${head.kind} request`, head, sent, `the server closed the connection (${result.socketError ?? 'FIN'}) without answering a complete request`);
    }
  }

  // ---- crashes ---------------------------------------------------------------------------------

  /** Sends requests alone on a new connection, as they were sent in the run; true if the server died of them. */
  private async killsServer(requests: FuzzRequest[]): Promise<boolean> {
    let c: FuzzConnection;
    try {
      c = await FuzzConnection.open(this.server.port, 5_000);
    } catch {
      return !this.server.isAlive;
    }
    const exact = requests.filter((r) => r.framing === 'exact' && r.abortAfterBytes === undefined);
    const last = requests.find((r) => r.framing === 'open' || r.abortAfterBytes !== undefined);
    if (exact.length > 0) await c.send(exact, 'exact');
    if (last?.abortAfterBytes !== undefined) await c.abort(last, last.abortAfterBytes);
    else if (last !== undefined) await c.send([last], 'open');
    c.destroy();
    return this.server.exitsWithin(250);
  }

  private async investigateCrash(dead: ServerProcess): Promise<void> {
    const server = this.server;
    server.pause();
    this.crashes++;
    const exit = await dead.exited;
    const { signature, tail } = crashSignature(dead.log(), exit);
    const batches = [...this.inFlight];
    await server.start();
    if (!this.crashSignatures.has(signature)) {
      this.crashSignatures.add(signature);
      let culprit: FuzzRequest[] | undefined;
      // One request at a time first, then each batch as it was pipelined.
      const singles = batches.flat().slice(0, 400);
      for (const r of singles) {
        if (await this.killsServer([r])) {
          culprit = [r];
          break;
        }
      }
      if (culprit === undefined) {
        for (const b of batches) {
          if (await this.killsServer(b)) {
            culprit = b;
            break;
          }
        }
      }
      if (!server.isAlive) await server.start();
      const how = culprit === undefined ? `not reproduced by replaying the ${singles.length} requests in flight one by one nor their batches` : culprit.length === 1 ? 'reproduced by this request alone' : 'reproduced by this batch, pipelined';
      this.failures.record('server exited', signature, culprit?.length === 1 ? culprit[0] : undefined, culprit ?? batches.flat().slice(0, 20), `${how}; the server's last words:\n${tail.slice(-3000)}`);
    } else {
      this.failures.record('server exited', signature, undefined, [], '');
    }
    if (this.crashes >= MAX_CRASHES) this.stopReason ??= `the server died ${this.crashes} times`;
    server.resume();
  }

  // ---- the loops -----------------------------------------------------------------------------

  /** Writes known points, one request at a time, until `isDone()`. */
  private async knownWriter(isDone: () => boolean, pauseMs: number): Promise<void> {
    const server = this.server;
    let conn: FuzzConnection | undefined;
    while (!isDone()) {
      await server.ready();
      const generation = server.generation;
      const { request, keys } = this.known.nextWrite();
      try {
        conn ??= await FuzzConnection.open(server.port, HANG_MS);
      } catch (err) {
        if (!server.isAlive || server.generation !== generation) continue;
        throw err;
      }
      const batch = [request];
      this.inFlight.add(batch);
      const result = await conn.send(batch, 'exact');
      this.inFlight.delete(batch);
      const answer = result.answered[0]?.response;
      if (answer?.status === 204) this.known.ack(keys);
      else {
        this.known.indeterminate(keys);
        if (answer !== undefined && answer.status !== 503) this.failures.record('known write refused', `${answer.status} ${routeOf(request.bytes)}: ${bodyShape(answer.body)}`, request, batch, `a well-formed write of known points was answered ${answer.status}: ${answer.body.subarray(0, 500).toString('utf8')}`);
      }
      await this.judge(result, batch, 'exact', generation);
      if (result.closed || result.sawClosingResponse) {
        conn.destroy();
        conn = undefined;
      }
      if (pauseMs > 0) await sleep(pauseMs);
    }
    conn?.destroy();
  }

  /** One fuzzing connection: batches of generated requests until the count is reached. */
  private async fuzzConnection(stream: number): Promise<void> {
    const { server, counts } = this;
    const generator = new RequestGenerator(new SeededRng(streamSeed(this.options.seed, stream)), { hostPort: () => this.hostPort, token: this.options.token, protectedDb: KNOWN_DB });
    let conn: FuzzConnection | undefined;
    while (!this.isDone) {
      await server.ready();
      const batch = generator.nextBatch();
      const all = batch.last === undefined ? batch.pipelined : [...batch.pipelined, batch.last];
      for (const r of all) {
        bump(counts.kinds, r.kind);
        if (r.framing === 'open') counts.open++;
        if (r.label.includes('mutated(')) counts.mutated++;
      }
      const generation = server.generation;
      this.inFlight.add(all);
      try {
        if (batch.pipelined.length > 0) {
          conn ??= await FuzzConnection.open(server.port, HANG_MS);
          const result = await conn.send(batch.pipelined, 'exact');
          await this.judge(result, batch.pipelined, 'exact', generation);
          if (result.closed || result.sawClosingResponse || batch.pipelined.some((r) => r.mayClose)) {
            conn.destroy();
            conn = undefined;
          }
        }
        if (batch.last !== undefined) {
          const c = conn ?? (await FuzzConnection.open(server.port, HANG_MS));
          conn = undefined;
          if (batch.last.abortAfterBytes !== undefined) {
            await c.abort(batch.last, batch.last.abortAfterBytes);
            counts.aborted++;
          } else {
            await this.judge(await c.send([batch.last], 'open'), all, 'open', generation);
          }
          c.destroy();
        }
      } catch (err) {
        // A refused connection while the server is down or restarting; anything else is a bug here.
        if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || (server.isAlive && server.generation === generation)) throw err;
        conn = undefined;
      } finally {
        this.inFlight.delete(all);
      }
    }
    conn?.destroy();
  }

  // ---- checks ------------------------------------------------------------------------------------

  /** One authenticated GET on a new connection; a 503 with Retry-After is retried for up to `retryForMs`. */
  private async get(path: string, retryForMs = 0, hangMs = HANG_MS): Promise<WireResponse | undefined> {
    const deadlineMs = performance.now() + retryForMs;
    for (;;) {
      const c = await FuzzConnection.open(this.server.port, hangMs);
      const request: FuzzRequest = { bytes: Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${this.hostPort}\r\nAuthorization: Bearer ${this.options.token}\r\n\r\n`, 'latin1'), framing: 'exact', mayClose: false, isHead: false, kind: 'check', label: `check GET ${path.slice(0, 60)}` };
      const result = await c.send([request], 'exact');
      c.destroy();
      const answer = result.answered[0]?.response;
      if (answer === undefined || result.malformed !== undefined) {
        // A malformed answer is a finding wherever it comes; silence is judged by the caller.
        if (result.malformed !== undefined) this.failures.record('malformed answer', result.malformed.reason.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, '#'), request, [request], result.malformed.message.slice(0, 1500));
        return undefined;
      }
      if (answer.status !== 503 || headerOf(answer, 'retry-after') === undefined || performance.now() > deadlineMs) return answer;
      await sleep(500);
    }
  }

  /** A few of the server's gauges, for the progress lines; undefined if /metrics did not answer within 10 s. */
  private async gauges(): Promise<string | undefined> {
    let answer: WireResponse | undefined;
    try {
      answer = await this.get('/metrics', 0, 10_000);
    } catch {
      return undefined; // refused: the server is down (a crash is being looked into)
    }
    if (answer === undefined) return undefined;
    const text = answer.body.toString('utf8');
    const names = ['sluice_queries_running', 'sluice_queries_waiting', 'sluice_write_bytes_in_flight', 'sluice_buffer_rows', 'sluice_buffer_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes', 'process_resident_memory_bytes'];
    return names.map((n) => `${n.replace(/^(sluice|process|nodejs)_/, '')}=${new RegExp(`^${n} (\\S+)$`, 'm').exec(text)?.[1] ?? '?'}`).join(' ');
  }

  /** After the run: alive, healthy, write bytes and query slots back to 0, every acknowledged known point as written. */
  private async checkAfter(): Promise<void> {
    const { failures, server } = this;
    if (!server.isAlive) {
      failures.record('server exited', 'after the run', undefined, [], server.log().slice(-3000));
      return;
    }
    const health = await this.get('/health');
    if (health === undefined) failures.record('no answer after the run', 'GET /health', undefined, [], 'GET /health after the run got no answer');
    if (health !== undefined && health.status !== 200) failures.record('unhealthy after the run', `/health ${health.status}`, undefined, [], health.body.toString('utf8'));
    // Write bodies are counted until their write settles (past an answered deadline too), and a
    // query holds its slot until it ends: wait for both to come back to 0.
    const drainStartedMs = performance.now();
    let queriesRunning: string | undefined;
    let slotsReclaimed: string | undefined;
    for (;;) {
      const metrics = await this.get('/metrics');
      const text = metrics?.body.toString('utf8') ?? '';
      this.after.writeBytesInFlight = metrics === undefined ? 'no answer' : (/^sluice_write_bytes_in_flight (\S+)$/m.exec(text)?.[1] ?? `missing (${metrics.status})`);
      queriesRunning = /^sluice_queries_running (\S+)$/m.exec(text)?.[1];
      slotsReclaimed = /^sluice_query_slots_reclaimed_total (\S+)$/m.exec(text)?.[1];
      if ((this.after.writeBytesInFlight === '0' && (queriesRunning ?? '0') === '0') || metrics === undefined || performance.now() - drainStartedMs > 25_000) break;
      await sleep(250);
    }
    const drainMs = (this.after.drainMs = performance.now() - drainStartedMs);
    if (queriesRunning !== undefined && queriesRunning !== '0') failures.record('query slot leak', `sluice_queries_running ${queriesRunning}`, undefined, [], `sluice_queries_running is ${queriesRunning} ${(drainMs / 1000).toFixed(0)} s after the last request, with no query in flight: query slots were taken and never given back${watchdogLines(server.log())}`);
    // The server gives a slot back from a query stuck well past its timeout (so one cannot starve
    // the rest), but each such query is still a bug: something its timeout did not reach.
    if (slotsReclaimed !== undefined && slotsReclaimed !== '0') failures.record('query past its timeout', `sluice_query_slots_reclaimed_total ${slotsReclaimed}`, undefined, [], `${slotsReclaimed} queries still ran well past the query timeout (their slots were given back)${watchdogLines(server.log())}`);
    if (this.after.writeBytesInFlight === 'no answer') failures.record('no answer after the run', 'GET /metrics', undefined, [], 'GET /metrics after the run got no answer');
    else if (this.after.writeBytesInFlight !== '0') failures.record('write admission leak', `sluice_write_bytes_in_flight ${this.after.writeBytesInFlight}`, undefined, [], `sluice_write_bytes_in_flight is ${this.after.writeBytesInFlight}, not 0, ${(drainMs / 1000).toFixed(0)} s after the last request: write bytes were admitted and never released`);
    const rows = await this.get(this.known.readBackPath(), 60_000);
    if (rows === undefined) failures.record('no answer after the run', 'known points read-back', undefined, [], 'the query reading the known points back got no answer');
    if (rows !== undefined && rows.status !== 200) failures.record('known points unreadable', `${rows.status}`, undefined, [], `reading the known points back answered ${rows.status}: ${rows.body.subarray(0, 1000).toString('utf8')}`);
    if (rows?.status === 200) {
      try {
        this.after.rowsChecked = this.known.check(rows.body.toString('utf8'));
      } catch (err) {
        failures.record('known points changed', (err as Error).message.slice(0, 200), undefined, [], (err as Error).message);
      }
    }
  }

  /** The `# http fuzz: …` lines. */
  summary(): string[] {
    const { counts } = this;
    const classes = [1, 2, 3, 4, 5].map((c) => `${c}xx=${[...counts.statuses].filter(([s]) => Math.floor(s / 100) === c).reduce((n, [, k]) => n + k, 0)}`).join(' ');
    return [
      `# http fuzz: ${this.processed} requests (${counts.answered} answered, ${counts.closedUnanswered} closed without an answer, ${counts.aborted} cut off by the client; ${counts.unprocessed} more unread behind a closed connection, ${counts.lostToCrash} lost to crashes) over ${this.options.connections} connections with pipelining in ${this.fuzzSeconds.toFixed(1)} s`,
      `# http fuzz: answers ${classes} (${counts.overload503} of the 5xx are 503 with Retry-After), ${counts.interim} interim 1xx, ${counts.extra} extra answers to open requests; ${counts.droppedBeforeRefused} complete pipelined requests unanswered because a later one on the connection was refused by the HTTP parser; ${counts.closedLate} connections closed only by the keep-alive timeout after the client's FIN`,
      `# http fuzz: statuses ${[...counts.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`,
      `# http fuzz: requests by kind ${[...counts.kinds].sort(([, a], [, b]) => b - a).map(([k, n]) => `${k}=${n}`).join(' ')}; ${counts.mutated} mutated, ${counts.open} sent alone at the end of a connection (open framing)`,
      `# http fuzz: known points ${this.knownAckedBefore} acknowledged before the run and ${this.known.ackedCount - this.knownAckedBefore} during it (${this.known.stats.indeterminate} indeterminate), ${this.after.rowsChecked} rows read back value by value`,
      `# http fuzz: ${this.crashes} server crashes; sluice_write_bytes_in_flight ${this.after.writeBytesInFlight} ${(this.after.drainMs / 1000).toFixed(1)} s after the last request`,
    ];
  }
}

/** The server's own word on queries holding their slots too long (its watchdog's log lines), for a slot-leak finding. */
function watchdogLines(log: string): string {
  const lines = log.split('\n').filter((line) => line.includes('query still holds its slot'));
  return lines.length === 0 ? '' : `\nthe server's watchdog logged ${lines.length} times, first and last:\n${lines[0]!.slice(0, 3000)}\n${lines[lines.length - 1]!.slice(0, 3000)}`;
}
