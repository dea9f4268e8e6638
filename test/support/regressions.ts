import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Failing seeds kept for good: `npm run soak` appends a seed that failed to
 * `test/regressions/<suite>.json`, and the default suite replays every kept seed first.
 */
const DIR = join(import.meta.dirname, '..', 'regressions');

/** The kept seeds of a suite (none if its file does not exist). */
export function regressionSeeds(suite: string): number[] {
  const path = join(DIR, `${suite}.json`);
  if (!existsSync(path)) return [];
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { seeds: Array<{ seed: number }> };
  return doc.seeds.map((s) => s.seed);
}

/** Keeps a failing seed (only while soaking: `SOAK=1`), with the error that it gave. */
export function keepFailingSeed(suite: string, seed: number, err: unknown): void {
  if (process.env.SOAK !== '1') return;
  mkdirSync(DIR, { recursive: true });
  const path = join(DIR, `${suite}.json`);
  const doc = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { seeds: Array<{ seed: number; error: string; found: string }> }) : { seeds: [] };
  if (doc.seeds.some((s) => s.seed === seed)) return;
  doc.seeds.push({ seed, error: (err instanceof Error ? err.message : String(err)).slice(0, 500), found: new Date().toISOString() });
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
}

/**
 * Runs `count` seeds from `base` after the kept regression seeds of `suite`; a failing seed is
 * kept (when soaking) and rethrown with the seed in its message.
 */
export async function runSeeds(suite: string, base: number, count: number, one: (seed: number) => Promise<void>): Promise<{ regressions: number; seeds: number }> {
  const kept = regressionSeeds(suite);
  const seeds = [...kept, ...Array.from({ length: count }, (_, i) => (base + i) >>> 0)];
  for (const seed of seeds) {
    try {
      await one(seed);
    } catch (err) {
      keepFailingSeed(suite, seed, err);
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`${suite}: seed ${seed} failed (replay with SEED=${seed}): ${message}`, { cause: err });
    }
  }
  return { regressions: kept.length, seeds: seeds.length };
}
