/**
 * The HTTP fuzz: 200 000 generated and mutated raw HTTP requests (`test/support/http-fuzz-requests.ts`)
 * over many keep-alive sockets, pipelined, against a real `sluice serve` child process with a token,
 * while known points are written beside them (`test/support/http-fuzz-run.ts`). It proves that
 * nothing a client sends takes the server down or gets a broken answer:
 * - the process never exits;
 * - every answer is a well-formed HTTP/1.1 response (read by our own strict reader), or the
 *   connection closes — never in the middle of a response, never silently for a complete request;
 * - no 5xx but the documented overload answer, 503 with Retry-After;
 * - every known point acknowledged with 204, before or during the run, reads back value by value;
 * - afterwards /health answers 200, `sluice_write_bytes_in_flight` and `sluice_queries_running`
 *   return to 0.
 *
 * A crash is looked into at once: the server is restarted and the requests that were in flight are
 * replayed one by one until one kills it again, so the failure names the exact bytes; then the run
 * goes on. Every finding prints the raw request bytes (a JSON string, one character per byte) and
 * the seed: `SEED=…` replays the same requests on every connection. `FUZZ_SCALE=k` multiplies the
 * request count (the soak runs it ×5).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testSeed } from '../../src/effects/rng.js';
import { bundleCli } from '../support/kill-harness.js';
import { FuzzRun } from '../support/http-fuzz-run.js';
import { createToken } from '../support/http-fuzz-server.js';
import { MalformedResponseError, ResponseReader } from '../support/http-fuzz-response.js';
import { framingOf } from '../support/http-fuzz-wire.js';

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
// The default suite sends 200 000 (about 9 minutes on 2 cores, beside the other tests); the soak
// (FUZZ_SCALE=5) sends a million.
const REQUESTS = Math.round(200_000 * SCALE);
/** Keep-alive connections sending at once. */
const CONNECTIONS = Number(process.env.FUZZ_CONCURRENCY ?? 48);

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  // Last in, first out: the server processes die before their data directory goes.
  for (const step of cleanup.reverse()) await step();
});

test(`http fuzz: ${REQUESTS} generated and mutated raw requests over ${CONNECTIONS} keep-alive connections never take the server down, always get a well-formed answer or a closed connection, no 5xx but 503 with Retry-After, and every acknowledged known point reads back`, { timeout: 900_000 * Math.max(1, SCALE) }, async () => {
  const seed = testSeed();
  console.log(`# http fuzz seed=${seed} (replay with SEED=${seed})`);
  const startedMs = performance.now();
  const { path: cli, removeBundle } = await bundleCli();
  cleanup.push(removeBundle);
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-http-fuzz-'));
  cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
  const token = await createToken(cli, dataDir);

  const run = new FuzzRun({ seed, requests: REQUESTS, connections: CONNECTIONS, cli, dataDir, token, knownBefore: 2_000, knownDuringMax: 60_000 * Math.max(1, SCALE), deadlineMs: 600_000 * Math.max(1, SCALE) });
  cleanup.push(() => run.server.killAll());
  await run.run();
  for (const line of run.summary()) console.log(line);
  console.log(`# http fuzz: ${((performance.now() - startedMs) / 1000).toFixed(1)} s in all`);

  assert.equal(run.failures.size, 0, `the HTTP fuzz found ${run.failures.size} distinct failures${run.stopReason === undefined ? '' : ` (stopped early: ${run.stopReason})`}:\n${run.failures.report(seed)}`);
  assert.ok(run.processed >= REQUESTS, `only ${run.processed} of ${REQUESTS} requests were processed${run.stopReason === undefined ? '' : `: ${run.stopReason}`}`);
});

// ---- the fuzzer's own instruments, pinned by worked examples ---------------------------------------

/** Feeds `wire` to a ResponseReader in pieces of `step` bytes, then closes: the statuses read, or the error. */
function readResponses(wire: string, options: { step?: number; head?: boolean } = {}): string {
  const out: string[] = [];
  const reader = new ResponseReader(
    () => options.head === true,
    (r) => out.push(`${r.status}${r.isInterim ? '(interim)' : ''}:${r.body.toString('latin1')}`),
  );
  const bytes = Buffer.from(wire, 'latin1');
  const step = options.step ?? bytes.length;
  try {
    for (let i = 0; i < bytes.length; i += step) reader.push(bytes.subarray(i, i + step));
    reader.close();
  } catch (err) {
    if (!(err instanceof MalformedResponseError)) throw err;
    out.push(`malformed: ${err.reason}`);
  }
  return out.join(' | ');
}

test('the fuzzer reads responses strictly: framing by Content-Length, chunked or close; HEAD, 1xx and 204 without bodies; anything else is malformed', () => {
  const cases: Array<[string, string, { head?: boolean }?]> = [
    ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n', '200:ok | 404:'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nok\r\nA\r\n0123456789\r\n0\r\nTrailer: 1\r\n\r\n', '200:ok0123456789'],
    ['HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\nuntil close', '400:until close'],
    ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n', '100(interim): | 204:'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', '200: | 200:', { head: true }],
    ['HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n', 'malformed: a 204 response with a body framing header'],
    ['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', 'malformed: bytes that do not start an HTTP/1.1 response'],
    ['HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n', 'malformed: bad status line "HTTP/1.1 2000 OK"'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx', 'malformed: 2 Content-Length fields'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n', 'malformed: both Content-Length and Transfer-Encoding'],
    ['HTTP/1.1 200 OK\r\nX Bad: 1\r\nContent-Length: 0\r\n\r\n', 'malformed: a header name that is not a token: "X Bad"'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok', 'malformed: the connection closed in the middle of a response (length)'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'malformed: bad chunk-size line "zz"'],
    ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n', '200: | malformed: bytes after a response that closes the connection'],
    ['garbage', 'malformed: bytes that do not start an HTTP/1.1 response'],
  ];
  for (const [wire, expected, options] of cases) {
    assert.equal(readResponses(wire, options), expected, JSON.stringify(wire));
    // The same bytes one at a time: the reader does not depend on how they arrive.
    assert.equal(readResponses(wire, { ...options, step: 1 }), expected, `${JSON.stringify(wire)} byte by byte`);
  }
});

test("the fuzzer asks node's own HTTP parser how the server will frame a request", () => {
  const cases: Array<[string, { framing: string; mayClose: boolean }]> = [
    ['GET /health HTTP/1.1\r\nHost: a\r\n\r\n', { framing: 'exact', mayClose: false }],
    ['POST /write HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n', { framing: 'exact', mayClose: false }],
    ['GET / HTTP/1.0\r\n\r\n', { framing: 'exact', mayClose: true }],
    ['GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { framing: 'exact', mayClose: true }],
    ['GET / HTTP/1.1\r\n\r\n', { framing: 'exact', mayClose: true }], // no Host: 400
    ['GET / HTTP/1.1\r\nHost: a\r\nExpect: nothing\r\n\r\n', { framing: 'exact', mayClose: true }], // 417
    ['GET\0 / HTTP/1.1\r\nHost: a\r\n\r\n', { framing: 'exact', mayClose: true }], // parse error: 400
    ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab', { framing: 'open', mayClose: true }], // the server waits for 3 more bytes
    ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nab', { framing: 'open', mayClose: true }], // 'b' starts another request
    ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\naPO', { framing: 'open', mayClose: true }], // 'PO' begins a method: the next request pipelined fails to parse
    ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\na', { framing: 'exact', mayClose: false }],
    ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', { framing: 'exact', mayClose: true }],
    ['POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2 ;x\r\nab\r\n0\r\n\r\n', { framing: 'exact', mayClose: true }],
  ];
  for (const [wire, expected] of cases) {
    const { framing, mayClose } = framingOf(Buffer.from(wire, 'latin1'));
    assert.deepEqual({ framing, mayClose }, expected, JSON.stringify(wire));
  }
});
