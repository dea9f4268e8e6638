/** FNV-1a: start from this value, then for each byte `h = Math.imul(h ^ byte, FNV_PRIME)`. */
export const FNV_OFFSET = 0x811c9dc5 | 0;
/** FNV-1a's 32-bit prime. */
export const FNV_PRIME = 0x01000193;

/** Node's fast path for ASCII bytes (not in its type declarations). */
export interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}

/**
 * Turns byte ranges into strings, creating each distinct string once: names and tag values
 * repeat on nearly every line, so the parser hashes bytes instead of allocating a string per
 * occurrence. Bounded: when full it starts over (strings already handed out stay valid).
 */
export class Interner {
  private hashes: Int32Array;
  private offsets: Int32Array;
  private lengths: Int32Array;
  private strings: Array<string | undefined>;
  private pool: Buffer;
  private poolUsed = 0;
  private count = 0;
  private mask: number;

  constructor(
    private readonly capacity = 1 << 16,
    private readonly maxPoolBytes = 16 * 1024 * 1024,
  ) {
    // start small and double up to `capacity`: most parsers see a few hundred names
    const slots = 1024;
    this.mask = slots - 1;
    this.hashes = new Int32Array(slots);
    this.offsets = new Int32Array(slots).fill(-1);
    this.lengths = new Int32Array(slots);
    this.strings = new Array(slots);
    this.pool = Buffer.allocUnsafe(16 * 1024);
  }

  /** Doubles the table, keeping every entry. */
  private growTable(): void {
    const old = { hashes: this.hashes, offsets: this.offsets, lengths: this.lengths, strings: this.strings };
    const slots = this.hashes.length * 2;
    this.mask = slots - 1;
    this.hashes = new Int32Array(slots);
    this.offsets = new Int32Array(slots).fill(-1);
    this.lengths = new Int32Array(slots);
    this.strings = new Array(slots);
    for (let i = 0; i < old.offsets.length; i++) {
      if (old.offsets[i] === -1) continue;
      let slot = old.hashes[i]! & this.mask;
      while (this.offsets[slot] !== -1) slot = (slot + 1) & this.mask;
      this.hashes[slot] = old.hashes[i]!;
      this.offsets[slot] = old.offsets[i]!;
      this.lengths[slot] = old.lengths[i]!;
      this.strings[slot] = old.strings[i];
    }
  }

  /** The string for bytes [start, end) of `buf` (UTF-8). */
  intern(buf: Buffer, start: number, end: number): string {
    let h = FNV_OFFSET;
    let isAscii = true;
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      if (b > 0x7f) isAscii = false;
      h = Math.imul(h ^ b, FNV_PRIME);
    }
    return this.internHashed(buf, start, end, h, isAscii);
  }

  /** Like {@link intern}, with the FNV-1a hash of the bytes (see {@link FNV_OFFSET}) already computed by the caller's scan. */
  internHashed(buf: Buffer, start: number, end: number, h: number, isAscii: boolean): string {
    const length = end - start;
    if (length > 256) return buf.toString('utf8', start, end);
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const offset = this.offsets[slot]!;
      if (offset === -1) break;
      if (this.hashes[slot] === h && this.lengths[slot] === length && this.sameBytes(buf, start, offset, length)) {
        return this.strings[slot]!;
      }
      slot = (slot + 1) & mask;
    }
    const s = isAscii ? (buf as unknown as Latin1Slicer).latin1Slice(start, end) : buf.toString('utf8', start, end);
    if (this.count >= this.capacity || this.poolUsed + length > this.maxPoolBytes) {
      this.reset();
      return this.internHashed(buf, start, end, h, isAscii);
    }
    if (this.count * 2 >= this.hashes.length) {
      this.growTable();
      return this.internHashed(buf, start, end, h, isAscii);
    }
    if (this.poolUsed + length > this.pool.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxPoolBytes, Math.max(this.pool.length * 2, this.poolUsed + length)));
      this.pool.copy(grown, 0, 0, this.poolUsed);
      this.pool = grown;
    }
    buf.copy(this.pool, this.poolUsed, start, end);
    this.hashes[slot] = h;
    this.offsets[slot] = this.poolUsed;
    this.lengths[slot] = length;
    this.strings[slot] = s;
    this.poolUsed += length;
    this.count++;
    return s;
  }

  /** Byte comparison by hand: names are short, and Buffer.compare's native call costs more than the loop. */
  private sameBytes(buf: Buffer, start: number, offset: number, length: number): boolean {
    const pool = this.pool;
    for (let i = 0; i < length; i++) if (buf[start + i] !== pool[offset + i]) return false;
    return true;
  }

  private reset(): void {
    this.offsets.fill(-1);
    this.strings.fill(undefined);
    this.poolUsed = 0;
    this.count = 0;
  }
}
