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

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
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

  const run = new FuzzRun({ seed, requests: REQUESTS, connections: CONNECTIONS, cli, dataDir, token, knownBefore: 2_000, deadlineMs: 600_000 * Math.max(1, SCALE) });
  cleanup.push(() => run.server.killAll());
  await run.run();
  for (const line of run.summary()) console.log(line);
  console.log(`# http fuzz: ${((performance.now() - startedMs) / 1000).toFixed(1)} s in all`);

  assert.equal(run.failures.size, 0, `the HTTP fuzz found ${run.failures.size} distinct failures${run.stopReason === undefined ? '' : ` (stopped early: ${run.stopReason})`}:\n${run.failures.report(seed)}`);
  assert.ok(run.processed >= REQUESTS, `only ${run.processed} of ${REQUESTS} requests were processed${run.stopReason === undefined ? '' : `: ${run.stopReason}`}`);
});
