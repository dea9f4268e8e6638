/**
 * Broken-build checks for the object-store suites (goal M1 in docs/testing.md): with one safety step of
 * the WAL switched off, the writers suite finds a seed, within a bounded number, where an
 * acknowledged write is lost (or duplicated, or invented) — and the very same seeds pass with
 * the switch off, so it is the switch that breaks them.
 *
 * - skipPutIdCheck: a conflicting WAL put is taken as our own without comparing put ids, so a
 *   newer writer adopts a fenced writer's file as its own and acknowledges writes it lacks.
 * - skipEpochRecheck: the WAL acknowledges without re-checking its epoch after the put, so a
 *   zombie acknowledges files the newer writer replaces or never replays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testSeed } from '../../src/effects/rng.js';
import { withTestSwitch, type TestSwitches } from '../../src/effects/test-switches.js';
import type { AckReport } from '../support/ack-checker.js';
import { writersRun } from './faulty-store-scenarios.js';

/** Seeds tried per switch before the check fails (a seed catches skipPutIdCheck ~8 % of the time, skipEpochRecheck ~70 %). */
const BOUND = Number(process.env.BROKEN_BUILDS_STORE_SEEDS ?? 150);

const isBroken = (r: AckReport): boolean => r.lost.length + r.duplicates.length + r.unexpected.length + r.partial.length > 0;

async function caughtWithin(name: keyof TestSwitches): Promise<void> {
  const base = testSeed();
  let caughtAt: number | undefined;
  let report: AckReport | undefined;
  let violations = 0;
  for (let i = 0; i < BOUND && caughtAt === undefined; i++) {
    const seed = (base + i) >>> 0;
    const r = await withTestSwitch(name, () => writersRun(seed));
    if (r.violations.length > 0) violations++;
    if (isBroken(r.report)) {
      caughtAt = seed;
      report = r.report;
    }
  }
  assert.ok(caughtAt !== undefined && report !== undefined, `${name}: no seed of ${BOUND} from ${base} lost an acknowledged write (replay with SEED=${base})`);
  const tried = caughtAt - base + 1;
  // The same seeds, with the switch off: clean.
  for (let i = 0; i < tried; i++) {
    const seed = (base + i) >>> 0;
    const r = await writersRun(seed);
    r.checker.check(r.present, `(${name} off, seed ${seed}, replay with SEED=${base})`);
    assert.deepEqual(r.violations, [], `${name} off, seed ${seed} (replay with SEED=${base})`);
  }
  console.log(
    `# broken builds (store): ${name} caught by the writers suite at seed ${caughtAt} (${tried} of at most ${BOUND} seeds from SEED=${base}): ` +
      `lost ${report.lost.length}, duplicated ${report.duplicates.length}, unexpected ${report.unexpected.length}, partial ${report.partial.length}; ` +
      `${violations} of those seeds also broke fencing or liveness; the same ${tried} seeds pass with it off`,
  );
}

test('broken build: without the put-id check a newer writer adopts a fenced writer’s WAL file and loses acknowledged writes', () => caughtWithin('skipPutIdCheck'));

test('broken build: without the epoch re-check after each put a zombie acknowledges writes that are then lost', () => caughtWithin('skipEpochRecheck'));
