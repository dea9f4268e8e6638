/** Small helpers over a seeded RNG for the HTTP fuzzer's generators. */
import type { Rng } from '../../src/effects/rng.js';

/** Small helpers over the RNG. */
export class Pick {
  constructor(readonly rng: Rng) {}
  int(n: number): number {
    return this.rng.nextInt(n);
  }
  chance(p: number): boolean {
    return this.rng.nextFloat() < p;
  }
  one<T>(items: readonly T[]): T {
    return items[this.rng.nextInt(items.length)]!;
  }
  /** One of weighted choices: `[[weight, value], …]`. */
  weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T {
    let total = 0;
    for (const [w] of choices) total += w;
    let r = this.rng.nextFloat() * total;
    for (const [w, v] of choices) {
      r -= w;
      if (r < 0) return v;
    }
    return choices[choices.length - 1]![1];
  }
  /** Like weighted, for choices that cost something to build: only the chosen one is built. */
  lazy<T>(choices: ReadonlyArray<readonly [number, () => T]>): T {
    return this.weighted(choices)();
  }
  bytes(n: number): Buffer {
    return Buffer.from(this.rng.bytes(n));
  }
  /** A short string from printable ASCII, unicode and a few specials. */
  text(maxLength: number): string {
    const n = this.int(maxLength + 1);
    let s = '';
    for (let i = 0; i < n; i++) s += this.one(TEXT_CHARS);
    return s;
  }
}

/** Characters for random text: printable ASCII, separators, quotes, unicode, a NUL, a DEL, a line separator. */
export const TEXT_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', ' ', ',', '=', '"', "'", '\\', '/', '.', '-', '_', '%', '&', '?', '#', ';', ':', '+', '*', '(', ')', '[', ']', '{', '}', 'é', 'ß', '中', '😀', '\t', '\u0000', '\u007f', '\u2028'];
