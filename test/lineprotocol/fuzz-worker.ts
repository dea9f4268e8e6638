/** Runs the validator fuzz on a worker thread, so the test's main thread can watch it for a hang. */
import { parentPort, workerData } from 'node:worker_threads';
import { FuzzFailure, runValidatorFuzz } from './fuzz-validate.js';

const { seed, inputs, counters, bytes } = workerData as { seed: number; inputs: number; counters: SharedArrayBuffer; bytes: SharedArrayBuffer };
try {
  const stats = runValidatorFuzz(seed, inputs, { counters: new Int32Array(counters), bytes: new Uint8Array(bytes) });
  parentPort!.postMessage({ kind: 'done', stats });
} catch (err) {
  parentPort!.postMessage({ kind: 'failed', message: err instanceof FuzzFailure ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err) });
}
