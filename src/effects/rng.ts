import { randomBytes } from 'node:crypto';

/** Randomness, injected so a seeded test replays exactly. */
export interface Rng {
  /** A uniformly random unsigned 32-bit integer. */
  nextU32(): number;
  /** A float in [0, 1). */
  nextFloat(): number;
  /** An integer in [0, n). */
  nextInt(n: number): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}

/** Cryptographically random: for put ids and tokens in production. */
export class SystemRng implements Rng {
  nextU32(): number {
    return randomBytes(4).readUInt32LE(0);
  }
  nextFloat(): number {
    return this.nextU32() / 0x1_0000_0000;
  }
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }
  bytes(n: number): Uint8Array {
    return randomBytes(n);
  }
}

/** A fast seeded generator (sfc32); the same seed gives the same sequence everywhere. */
export class SeededRng implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  nextFloat(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.nextU32() & 0xff;
    return out;
  }
}

/**
 * The seed for a randomized test: `SEED=…` from the environment, else a fresh one. The test
 * prints it so a failure replays.
 */
export function testSeed(): number {
  const fromEnv = process.env.SEED;
  if (fromEnv !== undefined && fromEnv !== '') return Number(fromEnv) >>> 0;
  return randomBytes(4).readUInt32LE(0);
}
