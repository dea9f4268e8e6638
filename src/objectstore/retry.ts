import type { Rng } from '../effects/rng.js';
import { PermanentStoreError } from './errors.js';

/** Whether a store error says a retry may succeed (`StoreIoError` with `isTransient`). */
export function isTransientStoreError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { isTransient?: unknown }).isTransient === true;
}

/**
 * Whether a store error says no retry can succeed ({@link PermanentStoreError}: bad credentials,
 * access denied, a missing bucket): retry loops give up on it at once. Errors that are neither
 * transient nor permanent (a full disk, an unknown answer) are for the caller's policy.
 */
export function isPermanentStoreError(err: unknown): err is PermanentStoreError {
  return err instanceof PermanentStoreError;
}

/**
 * The wait before retry `attempt` (1-based): `baseMs · 2^(attempt−1)`, capped at `maxMs`, then
 * jittered over its upper half so retrying callers spread out.
 */
export function backoffMs(rng: Rng, attempt: number, baseMs: number, maxMs: number): number {
  const capped = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(capped * (0.5 + 0.5 * rng.nextFloat()));
}
