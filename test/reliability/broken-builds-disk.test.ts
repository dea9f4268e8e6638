/**
 * Deliberately broken builds (goal M1 in docs/testing.md) for the disk: each test switch turns one safety
 * step off, and the power-loss suites must catch it within a bounded number of seeds — an
 * acknowledged write lost, a WAL that cannot reopen, or numbering that reuses a quarantined
 * file's number — while the same seeds pass with the switch off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testSeed } from '../../src/effects/rng.js';
import { withTestSwitch, type TestSwitches } from '../../src/effects/test-switches.js';
import { tornTailScenario, walCrashPoint } from './power-loss-harness.js';

/** Most seeds a broken build may survive before the suite must have caught it. */
const MAX_SEEDS = Number(process.env.BROKEN_BUILD_SEEDS ?? 200);

interface Caught {
  seedsTried: number[];
  message: string;
}

/** Runs `scenario` on seeds from `base` with `name` on, until one fails; fails itself if none does. */
async function catchBroken(name: keyof TestSwitches, base: number, scenario: (seed: number) => Promise<unknown>): Promise<Caught> {
  const seedsTried: number[] = [];
  return withTestSwitch(name, async () => {
    for (let i = 0; i < MAX_SEEDS; i++) {
      const seed = (base + i) >>> 0;
      seedsTried.push(seed);
      try {
        await scenario(seed);
      } catch (err) {
        return { seedsTried, message: (err as Error).message };
      }
    }
    assert.fail(`${name}: the broken build passed ${MAX_SEEDS} seeds from ${base} (replay with SEED=${base})`);
  });
}

const CASES: Array<{ name: keyof TestSwitches; suite: string; scenario: (seed: number) => Promise<unknown> }> = [
  { name: 'ackBeforeFsync', suite: 'power loss at seeded crash points', scenario: (seed) => walCrashPoint(seed) },
  { name: 'skipDirFsync', suite: 'power loss at seeded crash points', scenario: (seed) => walCrashPoint(seed) },
  { name: 'keepSequenceAfterQuarantine', suite: 'torn newest WAL file with quarantine', scenario: (seed) => tornTailScenario(seed) },
  // Without the numbering check, what reuse leads to: the number's second quarantine meets the
  // first quarantined copy, and the WAL cannot open.
  { name: 'keepSequenceAfterQuarantine', suite: 'torn newest WAL file with quarantine, numbering unchecked', scenario: (seed) => tornTailScenario(seed, false) },
];

for (const { name, suite, scenario } of CASES) {
  test(`broken build ${name}: the "${suite}" scenario catches it within ${MAX_SEEDS} seeds; the same seeds pass without it`, { timeout: 120_000 }, async () => {
    const base = testSeed();
    const caught = await catchBroken(name, base, scenario);
    for (const seed of caught.seedsTried) await scenario(seed); // the real build passes them all
    console.log(`# broken build ${name}: caught by ${suite} after ${caught.seedsTried.length} seed(s) from ${base} (${caught.message.split('\n')[0]!.slice(0, 160)}); the same ${caught.seedsTried.length} seed(s) pass with it off`);
  });
}
