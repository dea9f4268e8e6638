/**
 * The HTTP fuzz: hundreds of thousands of generated and mutated raw HTTP requests
 * (`test/support/http-fuzz-requests.ts`) over many keep-alive sockets, pipelined, against a real
 * `sluice serve` child process with a token, while known points are written beside them. It
 * proves that nothing a client sends takes the server down or gets a broken answer:
 * - the process never exits;
 * - every answer is a well-formed HTTP/1.1 response (read by our own strict reader), or the
 *   connection closes — never in the middle of a response, never silently for a complete request;
 * - no 5xx but the documented overload answer, 503 with Retry-After;
 * - every known point acknowledged with 204, before or during the run, reads back value by value;
 * - afterwards /health answers 200 and `sluice_write_bytes_in_flight` returns to 0.
 *
 * A crash is looked into at once: the server is restarted and the requests that were in flight
 * are replayed one by one until one kills it again, so the failure names the exact bytes; then
 * the run goes on. Every finding prints the raw request bytes and the seed (`SEED=…` replays the
 * same requests on every connection). `FUZZ_SCALE=k` multiplies the request count.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { bundleCli, type ServerProcess } from '../support/kill-harness.js';
import { FuzzConnection, type ExchangeResult } from '../support/http-fuzz-client.js';
import { bodyShape, FailureLog, routeOf } from '../support/http-fuzz-failures.js';
import { KnownPoints } from '../support/http-fuzz-known.js';
import { RequestGenerator, type FuzzBatch, type FuzzRequest } from '../support/http-fuzz-requests.js';
import { createToken, crashSignature, FuzzServer } from '../support/http-fuzz-server.js';
import { headerOf, type WireResponse } from '../support/http-fuzz-response.js';

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const REQUESTS = Math.round(200_000 * SCALE);
/** Keep-alive connections sending at once. */
const CONNECTIONS = Number(process.env.FUZZ_CONCURRENCY ?? 48);
/** Known points written (and acknowledged) before the fuzzing starts. */
const KNOWN_BEFORE = 2_000;
/** Longest a complete request may wait for its answer: the write admission wait plus the write timeout, and slack. */
const HANG_MS = 30_000;
/** After this many crashes the run stops (each costs a restart and a triage). */
const MAX_CRASHES = 12;
/** The run stops here whatever its count (a server that stops answering must not hang the suite): a failure. */
const RUN_DEADLINE_MS = 600_000 * Math.max(1, SCALE);
const KNOWN_DB = 'fuzz_known_points';

let cleanup: Array<() => Promise<void>> = [];
after(async () => {
  // Last in, first out: the server processes die before their data directory goes.
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

interface Counts {
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
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bump = <K>(m: Map<K, number>, k: K, n = 1) => m.set(k, (m.get(k) ?? 0) + n);

/** One RNG stream per connection, from the base seed. */
function streamSeed(seed: number, stream: number): number {
  let z = (seed + Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

test(`http fuzz: ${REQUESTS} generated and mutated raw requests over ${CONNECTIONS} keep-alive connections never take the server down, always get a well-formed answer or a closed connection, no 5xx but 503 with Retry-After, and every acknowledged known point reads back`, { timeout: 900_000 * Math.max(1, SCALE) }, async () => {
  const seed = testSeed();
  console.log(`# http fuzz seed=${seed} (replay with SEED=${seed})`);
  const startedMs = performance.now();
  const { path: cli, removeBundle } = await bundleCli();
  cleanup.push(removeBundle);
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-http-fuzz-'));
  cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
  const token = await createToken(cli, dataDir);

  const failures = new FailureLog();
  const counts: Counts = { answered: 0, closedUnanswered: 0, aborted: 0, unprocessed: 0, lostToCrash: 0, extra: 0, interim: 0, overload503: 0, statuses: new Map(), kinds: new Map(), open: 0, mutated: 0, droppedBeforeRefused: 0 };
  /** Batches on the wire now: the candidates when the server dies. */
  const inFlight = new Set<FuzzRequest[]>();
  const crashSignatures = new Set<string>();
  let crashes = 0;
  let stopReason: string | undefined;
  let recovery: Promise<void> = Promise.resolve();

  const server: FuzzServer = new FuzzServer(
    cli,
    ['--object-store', 'file', '--data-dir', dataDir, '--wal-flush-interval', '10ms', '--wal-snapshot-size', '100', '--query-timeout', '5s'],
    (dead) => {
      recovery = investigateCrash(dead);
    },
  );
  cleanup.push(() => server.killAll());
  await server.start();
  const hostPort = () => `127.0.0.1:${server.port}`;

  // ---- judging answers ---------------------------------------------------------------------

  function judgeResponse(response: WireResponse, request: FuzzRequest, context: FuzzRequest[]): void {
    bump(counts.statuses, response.status);
    if (response.status < 500) return;
    const retryAfter = headerOf(response, 'retry-after');
    if (response.status === 503 && retryAfter !== undefined && /^\d+$/.test(retryAfter)) {
      counts.overload503++;
      return;
    }
    failures.record(`${response.status} answer`, `${routeOf(request.bytes)}: ${bodyShape(response.body)}`, request, context, `answer: ${JSON.stringify(`${response.head}\r\n\r\n${response.body.subarray(0, 600).toString('latin1')}`)}`);
  }

  /** Judges one exchange; `generation` is the server's when it was sent. */
  async function judge(result: ExchangeResult, sent: FuzzRequest[], mode: 'exact' | 'open', generation: number): Promise<void> {
    for (const a of result.answered) {
      counts.answered++;
      counts.interim += a.interimCount;
      judgeResponse(a.response, a.request, sent);
    }
    for (const r of result.extra) {
      counts.extra++;
      judgeResponse(r, sent[sent.length - 1]!, sent);
    }
    const head = result.unanswered[0];
    if (result.malformed !== undefined) {
      failures.record('malformed answer', result.malformed.reason.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, '#'), head ?? result.answered.at(-1)?.request, sent, result.malformed.message.slice(0, 1500));
    }
    if (result.hung) failures.record('no answer', `${routeOf(head!.bytes)}: nothing for ${HANG_MS} ms`, head, sent, `the server neither answered nor closed the connection for ${HANG_MS} ms`);
    if (result.keptOpenAfterClose) failures.record('connection kept open', 'after an answer with Connection: close', result.answered.at(-1)?.request, sent, 'the server did not close the connection within 5 s of an answer that said Connection: close');
    if (head === undefined || result.hung) return;
    // The connection closed with requests unanswered: because the server died, or by choice.
    if (server.generation !== generation || (await server.exitsWithin(300))) {
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
      if (sent.indexOf(head) < sent.length - 1 && !head.mayClose) counts.droppedBeforeRefused++;
    } else {
      failures.record('closed without an answer', `${routeOf(head.bytes)} ${head.kind}`, head, sent, `the server closed the connection (${result.socketError ?? 'FIN'}) without answering a complete request`);
    }
  }

  // ---- crashes -------------------------------------------------------------------------------

  /** Sends one request alone on a new connection; true if the server died of it. */
  async function killsServer(requests: FuzzRequest[]): Promise<boolean> {
    let c: FuzzConnection;
    try {
      c = await FuzzConnection.open(server.port, 5_000);
    } catch {
      return !server.isAlive;
    }
    const exact = requests.filter((r) => r.framing === 'exact' && r.abortAfterBytes === undefined);
    const last = requests.find((r) => r.framing === 'open' || r.abortAfterBytes !== undefined);
    if (exact.length > 0) await c.send(exact, 'exact');
    if (last?.abortAfterBytes !== undefined) await c.abort(last, last.abortAfterBytes);
    else if (last !== undefined) await c.send([last], 'open');
    c.destroy();
    return server.exitsWithin(250);
  }

  async function investigateCrash(dead: ServerProcess): Promise<void> {
    server.pause();
    crashes++;
    const exit = await dead.exited;
    const { signature, tail } = crashSignature(dead.log(), exit);
    const batches = [...inFlight];
    await server.start();
    if (!crashSignatures.has(signature)) {
      crashSignatures.add(signature);
      let culprit: FuzzRequest[] | undefined;
      // One request at a time first, then each batch as it was pipelined.
      const singles = batches.flat().slice(0, 400);
      for (const r of singles) {
        if (await killsServer([r])) {
          culprit = [r];
          break;
        }
      }
      if (culprit === undefined) {
        for (const b of batches) {
          if (await killsServer(b)) {
            culprit = b;
            break;
          }
        }
      }
      if (!server.isAlive) await server.start();
      const context = culprit ?? batches.flat().slice(0, 20);
      failures.record('server exited', signature, culprit?.length === 1 ? culprit[0] : undefined, context, `${culprit === undefined ? `not reproduced by replaying the ${singles.length} requests in flight one by one nor their batches` : culprit.length === 1 ? 'reproduced by this request alone' : 'reproduced by this batch, pipelined'}; the server's last words:\n${tail.slice(-3000)}`);
    } else {
      failures.record('server exited', signature, undefined, [], '');
    }
    if (crashes >= MAX_CRASHES) stopReason = `the server died ${crashes} times`;
    server.resume();
  }

  // ---- known points --------------------------------------------------------------------------

  const known = new KnownPoints(new SeededRng(streamSeed(seed, 1_000_000)), KNOWN_DB, token, hostPort);

  /** Writes known points, one request at a time, until `isDone()`. */
  async function knownWriter(isDone: () => boolean, pauseMs: number): Promise<void> {
    let conn: FuzzConnection | undefined;
    while (!isDone()) {
      await server.ready();
      const generation = server.generation;
      const { request, keys } = known.nextWrite();
      try {
        conn ??= await FuzzConnection.open(server.port, HANG_MS);
      } catch (err) {
        if (!server.isAlive || server.generation !== generation) continue;
        throw err;
      }
      const batch = [request];
      inFlight.add(batch);
      const result = await conn.send(batch, 'exact');
      const status = result.answered[0]?.response.status;
      if (status === 204) known.ack(keys);
      else {
        known.indeterminate(keys);
        const r = result.answered[0]?.response;
        if (r !== undefined && r.status !== 503) failures.record('known write refused', `${r.status} ${routeOf(request.bytes)}: ${bodyShape(r.body)}`, request, [request], `a well-formed write of known points was answered ${r.status}: ${r.body.subarray(0, 500).toString('utf8')}`);
      }
      await judge(result, [request], 'exact', generation);
      inFlight.delete(batch);
      if (result.closed || result.sawClosingResponse) {
        conn.destroy();
        conn = undefined;
      }
      if (pauseMs > 0) await sleep(pauseMs);
    }
    conn?.destroy();
  }

  // ---- the fuzzing connections ---------------------------------------------------------------

  const processed = () => counts.answered + counts.closedUnanswered + counts.aborted;
  const fuzzDone = () => processed() >= REQUESTS || stopReason !== undefined;
  /** An error in one loop of the harness stops the others; it is rethrown once they are done. */
  let harnessError: unknown;
  const stopOnError = async (loop: Promise<void>): Promise<void> => {
    try {
      await loop;
    } catch (err) {
      harnessError ??= err;
      stopReason ??= `harness error: ${(err as Error).message}`;
    }
  };

  async function fuzzConnection(stream: number): Promise<void> {
    const generator = new RequestGenerator(new SeededRng(streamSeed(seed, stream)), { hostPort, token, protectedDb: KNOWN_DB });
    let conn: FuzzConnection | undefined;
    while (!fuzzDone()) {
      await server.ready();
      const batch: FuzzBatch = generator.nextBatch();
      const all = batch.last === undefined ? batch.pipelined : [...batch.pipelined, batch.last];
      for (const r of all) {
        bump(counts.kinds, r.kind);
        if (r.framing === 'open') counts.open++;
        if (r.label.includes('mutated(')) counts.mutated++;
      }
      const generation = server.generation;
      inFlight.add(all);
      try {
        if (batch.pipelined.length > 0) {
          conn ??= await FuzzConnection.open(server.port, HANG_MS);
          const result = await conn.send(batch.pipelined, 'exact');
          await judge(result, batch.pipelined, 'exact', generation);
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
            await judge(await c.send([batch.last], 'open'), all, 'open', generation);
          }
          c.destroy();
        }
      } catch (err) {
        // A refused connection while the server is down or restarting; anything else is a bug here.
        if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || (server.isAlive && server.generation === generation)) throw err;
        conn = undefined;
      } finally {
        inFlight.delete(all);
      }
    }
    conn?.destroy();
  }

  /** A few of the server's gauges, for the progress lines. */
  async function gauges(): Promise<string> {
    try {
      const c = await FuzzConnection.open(server.port, 10_000);
      const request: FuzzRequest = { bytes: Buffer.from(`GET /metrics HTTP/1.1\r\nHost: ${hostPort()}\r\nAuthorization: Bearer ${token}\r\n\r\n`, 'latin1'), framing: 'exact', mayClose: false, isHead: false, kind: 'check', label: 'progress /metrics' };
      const result = await c.send([request], 'exact');
      c.destroy();
      const text = result.answered[0]?.response.body.toString('utf8') ?? '';
      const names = ['sluice_queries_running', 'sluice_queries_waiting', 'sluice_write_bytes_in_flight', 'process_resident_memory_bytes'];
      return names.map((n) => `${n.replace(/^(sluice|process)_/, '')}=${new RegExp(`^${n} (\\S+)$`, 'm').exec(text)?.[1] ?? '?'}`).join(' ');
    } catch (err) {
      return `no answer (${(err as Error).message})`;
    }
  }

  // ---- the run -------------------------------------------------------------------------------

  await stopOnError(knownWriter(() => known.stats.attempted >= KNOWN_BEFORE || stopReason !== undefined, 0));
  if (harnessError !== undefined) throw harnessError;
  const ackedBefore = known.ackedCount;
  assert.equal(ackedBefore, known.stats.attempted, `every known write before the fuzzing is acknowledged: ${failures.report(seed)}`);

  const fuzzStartedMs = performance.now();
  const progress = setInterval(() => {
    const seconds = (performance.now() - fuzzStartedMs) / 1000;
    void gauges().then((g) => console.log(`# http fuzz progress: ${processed()} requests, ${seconds.toFixed(0)} s; server: ${g}`));
    if (seconds * 1000 > RUN_DEADLINE_MS) stopReason ??= `the run passed its deadline of ${RUN_DEADLINE_MS / 1000} s with ${processed()} of ${REQUESTS} requests processed`;
  }, 15_000);
  const knownDuring = [knownWriter(fuzzDone, 25), knownWriter(fuzzDone, 25)];
  await Promise.all([...Array.from({ length: CONNECTIONS }, (_, i) => fuzzConnection(i)), ...knownDuring].map(stopOnError));
  clearInterval(progress);
  await recovery;
  if (harnessError !== undefined) throw harnessError;
  const fuzzSeconds = (performance.now() - fuzzStartedMs) / 1000;

  // ---- afterwards ----------------------------------------------------------------------------

  /** One GET on a new connection; a 503 with Retry-After (overload) is retried for up to `retryForMs`. */
  const get = async (path: string, retryForMs = 0): Promise<WireResponse | undefined> => {
    const deadlineMs = performance.now() + retryForMs;
    for (;;) {
      const c = await FuzzConnection.open(server.port, HANG_MS);
      const request: FuzzRequest = { bytes: Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${hostPort()}\r\nAuthorization: Bearer ${token}\r\n\r\n`, 'latin1'), framing: 'exact', mayClose: false, isHead: false, kind: 'check', label: `check GET ${path.slice(0, 60)}` };
      const result = await c.send([request], 'exact');
      c.destroy();
      const answer = result.answered[0]?.response;
      if (answer === undefined || result.malformed !== undefined) {
        failures.record('no answer after the run', `GET ${path.split('?')[0]}`, request, [request], result.malformed?.message ?? `closed=${result.closed} hung=${result.hung}`);
        return undefined;
      }
      if (answer.status !== 503 || headerOf(answer, 'retry-after') === undefined || performance.now() > deadlineMs) return answer;
      await sleep(500);
    }
  };
  let inFlightBytes = '?';
  let drainMs = 0;
  let rowsChecked = 0;
  if (!server.isAlive) {
    failures.record('server exited', 'after the run', undefined, [], server.log().slice(-3000));
  } else {
    const health = await get('/health');
    if (health !== undefined && health.status !== 200) failures.record('unhealthy after the run', `/health ${health.status}`, undefined, [], health.body.toString('utf8'));
    // Write bodies are counted until their write settles (past an answered deadline too), and a
    // query holds its slot until it ends: wait for both to come back to 0.
    const drainStartedMs = performance.now();
    let queriesRunning: string | undefined;
    for (;;) {
      const metrics = await get('/metrics');
      const text = metrics?.body.toString('utf8') ?? '';
      inFlightBytes = metrics === undefined ? 'no answer' : (/^sluice_write_bytes_in_flight (\S+)$/m.exec(text)?.[1] ?? `missing (${metrics.status})`);
      queriesRunning = /^sluice_queries_running (\S+)$/m.exec(text)?.[1];
      if ((inFlightBytes === '0' && (queriesRunning ?? '0') === '0') || metrics === undefined || performance.now() - drainStartedMs > 25_000) break;
      await sleep(250);
    }
    drainMs = performance.now() - drainStartedMs;
    if (queriesRunning !== undefined && queriesRunning !== '0') failures.record('query slot leak', `sluice_queries_running ${queriesRunning}`, undefined, [], `sluice_queries_running is ${queriesRunning} ${(drainMs / 1000).toFixed(0)} s after the last request, with no query in flight: query slots were taken and never given back`);
    if (inFlightBytes !== '0') failures.record('write admission leak', `sluice_write_bytes_in_flight ${inFlightBytes}`, undefined, [], `sluice_write_bytes_in_flight is ${inFlightBytes}, not 0, ${(drainMs / 1000).toFixed(0)} s after the last request: write bytes were admitted and never released`);
    const readBackPath = known.readBackPath();
    const rows = await get(readBackPath, 60_000);
    if (rows !== undefined && rows.status !== 200) failures.record('known points unreadable', `${rows.status}`, undefined, [], `reading the known points back answered ${rows.status}: ${rows.body.subarray(0, 1000).toString('utf8')}`);
    if (rows?.status === 200) {
      try {
        rowsChecked = known.check(rows.body.toString('utf8'));
      } catch (err) {
        failures.record('known points changed', (err as Error).message.slice(0, 200), undefined, [], (err as Error).message);
      }
    }
  }

  const classes = [1, 2, 3, 4, 5].map((c) => `${c}xx=${[...counts.statuses].filter(([s]) => Math.floor(s / 100) === c).reduce((n, [, k]) => n + k, 0)}`).join(' ');
  console.log(`# http fuzz: ${processed()} requests (${counts.answered} answered, ${counts.closedUnanswered} closed without an answer, ${counts.aborted} cut off by the client; ${counts.unprocessed} more unread behind a closed connection, ${counts.lostToCrash} lost to crashes) over ${CONNECTIONS} connections with pipelining in ${fuzzSeconds.toFixed(1)} s`);
  console.log(`# http fuzz: answers ${classes} (${counts.overload503} of them 503 with Retry-After), ${counts.interim} interim 1xx, ${counts.extra} extra answers to open requests; ${counts.droppedBeforeRefused} complete pipelined requests unanswered because a later one on the connection was refused by the HTTP parser`);
  console.log(`# http fuzz: statuses ${[...counts.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  console.log(`# http fuzz: requests by kind ${[...counts.kinds].sort(([, a], [, b]) => b - a).map(([k, n]) => `${k}=${n}`).join(' ')}; ${counts.mutated} mutated, ${counts.open} sent alone at the end of a connection (open framing)`);
  console.log(`# http fuzz: known points ${ackedBefore} acknowledged before the run and ${known.ackedCount - ackedBefore} during it (${known.stats.indeterminate} indeterminate), ${rowsChecked} rows read back value by value`);
  console.log(`# http fuzz: ${crashes} server crashes; sluice_write_bytes_in_flight ${inFlightBytes} ${(drainMs / 1000).toFixed(1)} s after the last request; ${((performance.now() - startedMs) / 1000).toFixed(1)} s in all`);

  assert.equal(failures.size, 0, `the HTTP fuzz found ${failures.size} distinct failures${stopReason === undefined ? '' : ` (stopped early: ${stopReason})`}:\n${failures.report(seed)}`);
  assert.equal(crashes, 0);
  assert.ok(processed() >= REQUESTS, `only ${processed()} of ${REQUESTS} requests were processed${stopReason === undefined ? '' : `: ${stopReason}`}`);
});
