import { FNV_OFFSET, FNV_PRIME } from './interner.js';

/**
 * Finds a value by the exact bytes of a key, without making a string of them: the parser looks up
 * every line's series key (measurement and tags, ~200 bytes in TSBS) here. Keys are hashed and
 * compared 32 bits at a time through Int32Array views of the body and of a pool of copies. A word
 * view sees a key's bytes grouped by the key's address modulo 4, so each key is entered under four
 * hashes (one per alignment), and keeps a copy of its bytes for each alignment a body has shown it
 * at. Lines usually come in a repeating order of series (time-major: every host, then again), so
 * the key that followed the previous one last time is compared first, before any hashing.
 * Bounded: when full it starts over (values already handed out stay valid).
 */
export class SeriesTable<V> {
  // slots of the hash table: four per key
  private mask: number;
  private slotHashes: Int32Array;
  /** Key length per slot, -1 for an empty slot. */
  private slotLengths: Int32Array;
  private slotEntries: Int32Array;
  private slotAligns: Uint8Array;
  // entries: one per key
  private values: Array<V | undefined> = [];
  private entryLengths: Int32Array;
  /** Per entry, four pool offsets: the copy of the key at each address modulo 4 (-1: none yet). */
  private entryOffsets: Int32Array;
  /** Per entry, the entry looked up right after it last time (-1: none). */
  private entryNext: Int32Array;
  private entryCount = 0;
  private lastEntry = -1;
  private pool: Buffer;
  private pool32: Int32Array;
  private poolUsed = 0;
  /** A place to lay a key at each alignment, to hash it as a body at that alignment would. */
  private readonly scratch = Buffer.alloc(MAX_KEY_BYTES + 8);
  private readonly scratch32 = new Int32Array(this.scratch.buffer, this.scratch.byteOffset, this.scratch.length >> 2);
  /** The current body's memory as 32-bit words from its ArrayBuffer's start, and where the body sits in it. */
  private body32: Int32Array = new Int32Array(0);
  private bodyOffset = 0;

  constructor(
    private readonly maxEntries = 100_000,
    private readonly maxPoolBytes = 64 * 1024 * 1024,
  ) {
    const slots = 4096;
    this.mask = slots - 1;
    this.slotHashes = new Int32Array(slots);
    this.slotLengths = new Int32Array(slots).fill(-1);
    this.slotEntries = new Int32Array(slots);
    this.slotAligns = new Uint8Array(slots);
    this.entryLengths = new Int32Array(slots / 8);
    this.entryOffsets = new Int32Array(slots / 2).fill(-1);
    this.entryNext = new Int32Array(slots / 8).fill(-1);
    this.pool = Buffer.alloc(64 * 1024);
    this.pool32 = new Int32Array(this.pool.buffer, 0, this.pool.buffer.byteLength >> 2);
  }

  /** Sets the body the next lookups read (before {@link get} or {@link set} with it). */
  setBody(buf: Buffer): void {
    const memory = buf.buffer;
    if (this.body32.buffer !== memory || this.body32.length !== memory.byteLength >> 2) this.body32 = new Int32Array(memory, 0, memory.byteLength >> 2);
    this.bodyOffset = buf.byteOffset;
  }

  /** The value stored for bytes [start, end) of the current body, if any. */
  get(buf: Buffer, start: number, end: number): V | undefined {
    const length = end - start;
    if (length > MAX_KEY_BYTES) return undefined;
    const address = this.bodyOffset + start;
    const align = address & 3;
    // the key that followed the previous one last time
    if (this.lastEntry !== -1) {
      const predicted = this.entryNext[this.lastEntry]!;
      if (predicted !== -1 && this.entryLengths[predicted] === length) {
        const offset = this.entryOffsets[predicted * 4 + align]!;
        if (offset !== -1 && this.sameWords(buf, start, length, offset)) {
          this.lastEntry = predicted;
          return this.values[predicted];
        }
      }
    }
    const h = hashKey(buf, start, length, this.body32, address);
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const slotLength = this.slotLengths[slot]!;
      if (slotLength === -1) return undefined;
      if (slotLength === length && this.slotHashes[slot] === h && this.slotAligns[slot] === align) {
        const entry = this.slotEntries[slot]!;
        const offset = this.entryOffsets[entry * 4 + align]!;
        let isSame: boolean;
        if (offset !== -1) isSame = this.sameWords(buf, start, length, offset);
        else {
          isSame = this.sameBytes(buf, start, length, this.anyOffset(entry));
          // the same key at a new alignment: keep a copy for it (unless the pool is full)
          if (isSame && (this.poolUsed + length + 4 <= this.pool.length || this.growPool(length))) this.entryOffsets[entry * 4 + align] = this.copyIn(buf, start, end, align);
        }
        if (isSame) {
          this.follow(entry);
          return this.values[entry];
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  /**
   * The value of the key that followed the previous one last time, if the current body holds that
   * key's bytes at `start` with `terminator` right after them; else undefined (nothing changed).
   * Lets a caller skip finding where its key ends when it is the expected one.
   */
  getNext(buf: Buffer, start: number, terminator: number): V | undefined {
    if (this.lastEntry === -1) return undefined;
    const predicted = this.entryNext[this.lastEntry]!;
    if (predicted === -1) return undefined;
    const length = this.entryLengths[predicted]!;
    if (start + length >= buf.length || buf[start + length] !== terminator) return undefined;
    const offset = this.entryOffsets[predicted * 4 + ((this.bodyOffset + start) & 3)]!;
    if (offset === -1 || !this.sameWords(buf, start, length, offset)) return undefined;
    this.lastEntry = predicted;
    return this.values[predicted];
  }

  /** Stores `value` for bytes [start, end) of the current body, a key {@link get} did not find. */
  set(buf: Buffer, start: number, end: number, value: V): void {
    const length = end - start;
    if (length > MAX_KEY_BYTES) return;
    if (this.entryCount >= this.maxEntries || (this.poolUsed + length + 4 > this.pool.length && !this.growPool(length))) this.reset();
    if ((this.entryCount + 1) * 8 > this.slotLengths.length) this.growTable();
    const entry = this.entryCount++;
    const address = this.bodyOffset + start;
    this.values[entry] = value;
    this.entryLengths[entry] = length;
    this.entryNext[entry] = -1;
    for (let a = 0; a < 4; a++) this.entryOffsets[entry * 4 + a] = -1;
    this.entryOffsets[entry * 4 + (address & 3)] = this.copyIn(buf, start, end, address & 3);
    for (let a = 0; a < 4; a++) {
      let h: number;
      if (a === (address & 3)) h = hashKey(buf, start, length, this.body32, address);
      else {
        // lay the key at alignment a and hash it there
        buf.copy(this.scratch, 4 + a, start, end);
        h = hashKey(this.scratch, 4 + a, length, this.scratch32, this.scratch.byteOffset + 4 + a);
      }
      this.insertSlot(h, length, entry, a);
    }
    this.follow(entry);
  }

  /** Notes that `entry` came after the previous lookup's, and is now the previous one. */
  private follow(entry: number): void {
    if (this.lastEntry !== -1) this.entryNext[this.lastEntry] = entry;
    this.lastEntry = entry;
  }

  private insertSlot(h: number, length: number, entry: number, align: number): void {
    let slot = h & this.mask;
    while (this.slotLengths[slot] !== -1) slot = (slot + 1) & this.mask;
    this.slotHashes[slot] = h;
    this.slotLengths[slot] = length;
    this.slotEntries[slot] = entry;
    this.slotAligns[slot] = align;
  }

  /** Copies the key into the pool at an address ≡ align (mod 4); returns its offset. */
  private copyIn(buf: Buffer, start: number, end: number, align: number): number {
    const poolAlign = (this.pool.byteOffset + this.poolUsed) & 3;
    const offset = this.poolUsed + ((align - poolAlign + 4) & 3);
    buf.copy(this.pool, offset, start, end);
    this.poolUsed = offset + (end - start);
    return offset;
  }

  private anyOffset(entry: number): number {
    for (let a = 0; a < 4; a++) {
      const offset = this.entryOffsets[entry * 4 + a]!;
      if (offset !== -1) return offset;
    }
    throw new Error('a series table entry without a copy of its key');
  }

  /** Whether the pool could grow to fit `length` more bytes (and did). */
  private growPool(length: number): boolean {
    const needed = this.poolUsed + length + 4;
    if (needed > this.maxPoolBytes) return false;
    // Buffer.alloc gives each pool its own ArrayBuffer from offset 0: offsets keep their address modulo 4
    const grown = Buffer.alloc(Math.min(this.maxPoolBytes, Math.max(needed, this.pool.length * 2)));
    this.pool.copy(grown, 0, 0, this.poolUsed);
    this.pool = grown;
    this.pool32 = new Int32Array(grown.buffer, 0, grown.buffer.byteLength >> 2);
    return true;
  }

  private growTable(): void {
    const slots = this.slotLengths.length * 2;
    const old = { hashes: this.slotHashes, lengths: this.slotLengths, entries: this.slotEntries, aligns: this.slotAligns };
    this.mask = slots - 1;
    this.slotHashes = new Int32Array(slots);
    this.slotLengths = new Int32Array(slots).fill(-1);
    this.slotEntries = new Int32Array(slots);
    this.slotAligns = new Uint8Array(slots);
    for (let i = 0; i < old.lengths.length; i++) if (old.lengths[i] !== -1) this.insertSlot(old.hashes[i]!, old.lengths[i]!, old.entries[i]!, old.aligns[i]!);
    const lengths = new Int32Array(slots / 8);
    lengths.set(this.entryLengths);
    this.entryLengths = lengths;
    const offsets = new Int32Array(slots / 2).fill(-1);
    offsets.set(this.entryOffsets);
    this.entryOffsets = offsets;
    const next = new Int32Array(slots / 8).fill(-1);
    next.set(this.entryNext);
    this.entryNext = next;
  }

  private reset(): void {
    this.slotLengths.fill(-1);
    this.values.fill(undefined);
    this.entryCount = 0;
    this.lastEntry = -1;
    this.poolUsed = 0;
  }

  /** Compares the body's bytes with the pool's copy at the same alignment: bytes up to a word boundary, then words, then bytes. */
  private sameWords(buf: Buffer, start: number, length: number, offset: number): boolean {
    const pool = this.pool;
    const address = this.bodyOffset + start;
    let head = (4 - (address & 3)) & 3;
    if (head > length) head = length;
    for (let k = 0; k < head; k++) if (buf[start + k] !== pool[offset + k]) return false;
    const words = (length - head) >> 2;
    const body32 = this.body32;
    const pool32 = this.pool32;
    const bodyWord = (address + head) >> 2;
    const poolWord = (this.pool.byteOffset + offset + head) >> 2;
    for (let k = 0; k < words; k++) if (body32[bodyWord + k] !== pool32[poolWord + k]) return false;
    for (let k = head + words * 4; k < length; k++) if (buf[start + k] !== pool[offset + k]) return false;
    return true;
  }

  private sameBytes(buf: Buffer, start: number, length: number, offset: number): boolean {
    const pool = this.pool;
    for (let k = 0; k < length; k++) if (buf[start + k] !== pool[offset + k]) return false;
    return true;
  }
}

/** Longest key the table keeps. */
export const MAX_KEY_BYTES = 2048;

/**
 * A hash of every byte of the key, read as `words` (an Int32Array over the memory `bytes` sits in,
 * from its start) sees it at `address`: bytes to the first word boundary, whole words, the last
 * bytes; then murmur3's finalizer, so the high bits the multiplications gather reach the low bits
 * that pick the slot.
 */
function hashKey(bytes: Uint8Array, start: number, length: number, words: Int32Array, address: number): number {
  let h = Math.imul(FNV_OFFSET ^ length, FNV_PRIME);
  let head = (4 - (address & 3)) & 3;
  if (head > length) head = length;
  for (let k = 0; k < head; k++) h = Math.imul(h ^ bytes[start + k]!, FNV_PRIME);
  const count = (length - head) >> 2;
  const first = (address + head) >> 2;
  for (let j = 0; j < count; j++) h = Math.imul(h ^ words[first + j]!, FNV_PRIME);
  for (let k = head + count * 4; k < length; k++) h = Math.imul(h ^ bytes[start + k]!, FNV_PRIME);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
