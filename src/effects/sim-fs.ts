import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Fs, FsFileHandle, FsStat } from './fs.js';
import type { Rng } from './rng.js';
import { SeededRng } from './rng.js';

type Entry = { kind: 'file'; ino: number } | { kind: 'dir'; dir: SimDir };

interface SimDir {
  /** Entries as the running process sees them. */
  entries: Map<string, Entry>;
  /** Entries as they are on disk (what a crash keeps without luck). */
  durable: Map<string, Entry>;
  /** Entry changes since the last fsync of this directory, in order; a group is atomic (a rename). */
  pending: Array<Array<{ name: string; entry: Entry | undefined }>>;
}

interface SimInode {
  /** Bytes on disk. */
  durable: Buffer;
  /** Appends since the last fsync, in order; the process sees durable + these. */
  pending: Buffer[];
  mtimeMs: number;
}

/** An operation {@link SimFs.failAt} can fail. */
export type SimFsOp = 'createExclusive' | 'write' | 'sync' | 'close' | 'readFile' | 'readRange' | 'stat' | 'link' | 'rename' | 'unlink' | 'mkdirp' | 'rmdir' | 'readdir' | 'syncDir';

interface Fault {
  op: SimFsOp;
  remaining: number;
  code: string;
  isPersistent: boolean;
}

function fsError(code: string, syscall: string, path: string): Error {
  const err = new Error(`${code}: simulated ${syscall} '${path}'`) as Error & { code: string; syscall: string; path: string };
  err.code = code;
  err.syscall = syscall;
  err.path = path;
  return err;
}

function newDir(): SimDir {
  return { entries: new Map(), durable: new Map(), pending: [] };
}

function volatileBytes(inode: SimInode): Buffer {
  return inode.pending.length === 0 ? inode.durable : Buffer.concat([inode.durable, ...inode.pending]);
}

/**
 * A file system in memory that behaves like a POSIX one across a crash: file contents become
 * durable only through `sync` of the file, directory entries (create, link, rename, unlink,
 * mkdir) only through `syncDir` of their directory. {@link SimFs.crash} keeps what was durable
 * plus a seeded, in-order prefix of each file's and each directory's pending changes — the last
 * kept write possibly torn at a 512-byte or 4 KiB boundary — and forgets the rest.
 *
 * Deterministic: every call resolves through a microtask, and all choices come from the Rng.
 */
export class SimFs implements Fs {
  private root: SimDir = newDir();
  private readonly inodes = new Map<number, SimInode>();
  private nextIno = 1;
  /** Bumped by every crash: handles of an older generation fail with EBADF. */
  private generation = 0;
  private faults: Fault[] = [];
  private opsUntilFreeze: number | undefined;
  private isFrozen = false;
  /** Calls made, per operation. */
  readonly opCounts = new Map<SimFsOp, number>();
  /** When set, every call is appended here (for tests that pin the order of calls). */
  trace: Array<{ op: SimFsOp; path: string }> | undefined;
  /**
   * Every `sync` called again on a handle whose earlier `sync` failed (refused with EIO): the
   * dirty pages of such a handle may be gone, so a "successful" second fsync would lie. A test
   * asserts this stays empty.
   */
  readonly syncRetriesAfterFailure: string[] = [];
  /** While recording (see {@link startRecording}): the disk as it was before each call took effect. */
  private recorded: SimFs[] | undefined;

  constructor(private nowMs: () => number = () => 0) {}

  // ---- fault injection and crashes --------------------------------------------------------------

  /** Makes the `call`-th call (1-based, from now) of `op` fail with `code`; `persistent`: every call from then on. */
  failAt(op: SimFsOp, call: number, code: 'EIO' | 'ENOSPC' | string, persistent = false): void {
    this.faults.push({ op, remaining: call, code, isPersistent: persistent });
  }

  /** Removes every injected fault. */
  clearFaults(): void {
    this.faults = [];
  }

  /**
   * After `ops` more calls, the process "dies": every later call never settles, so nothing after
   * that instant reaches the disk. Call {@link crash} to get the post-crash state.
   */
  freezeAfter(ops: number): void {
    this.opsUntilFreeze = ops;
  }

  /** Whether the simulated process has died (see {@link freezeAfter}). */
  hasFrozen(): boolean {
    return this.isFrozen;
  }

  /**
   * Power loss: keeps every durable change and, per file and per directory, a random in-order
   * prefix of the pending ones (`mode` `keepAll`/`dropAll` for the extremes). Open handles die.
   */
  crash(rng: Rng, mode: 'random' | 'keepAll' | 'dropAll' = 'random'): void {
    const pick = (n: number): number => (mode === 'keepAll' ? n : mode === 'dropAll' ? 0 : rng.nextInt(n + 1));
    for (const inode of this.inodes.values()) {
      const keep = pick(inode.pending.length);
      const kept = inode.pending.slice(0, keep);
      if (mode === 'random' && keep > 0 && rng.nextInt(3) === 0) {
        // tear the last kept write at a sector or page boundary
        const last = kept[keep - 1]!;
        const unit = rng.nextInt(2) === 0 ? 512 : 4096;
        const base = inode.durable.length + kept.slice(0, keep - 1).reduce((n, b) => n + b.length, 0);
        const cut = Math.floor((base + rng.nextInt(last.length + 1)) / unit) * unit - base;
        kept[keep - 1] = last.subarray(0, Math.max(0, Math.min(last.length, cut)));
      }
      inode.durable = Buffer.concat([inode.durable, ...kept]);
      inode.pending = [];
    }
    // Every directory that exists now or on disk: each keeps a prefix of its pending changes.
    const all = new Set<SimDir>();
    const visit = (dir: SimDir): void => {
      if (all.has(dir)) return;
      all.add(dir);
      for (const e of [...dir.entries.values(), ...dir.durable.values()]) if (e.kind === 'dir') visit(e.dir);
    };
    visit(this.root);
    for (const dir of all) {
      for (const group of dir.pending.slice(0, pick(dir.pending.length))) {
        for (const change of group) {
          if (change.entry === undefined) dir.durable.delete(change.name);
          else dir.durable.set(change.name, change.entry);
        }
      }
      dir.pending = [];
    }
    for (const dir of all) dir.entries = new Map(dir.durable);
    this.generation++;
    this.isFrozen = false;
    this.opsUntilFreeze = undefined;
    this.faults = [];
  }

  /** Total calls made (every operation). */
  callCount(): number {
    let n = 0;
    for (const c of this.opCounts.values()) n += c;
    return n;
  }

  /**
   * A deep copy of the disk — durable and pending state alike — with no faults, freeze or open
   * handles: what a power loss at this instant would start from.
   */
  clone(): SimFs {
    const copy = new SimFs(this.nowMs);
    const dirs = new Map<SimDir, SimDir>();
    const copyEntry = (e: Entry): Entry => (e.kind === 'file' ? e : { kind: 'dir', dir: copyDir(e.dir) });
    const copyDir = (dir: SimDir): SimDir => {
      const done = dirs.get(dir);
      if (done !== undefined) return done;
      const out = newDir();
      dirs.set(dir, out);
      for (const [name, e] of dir.entries) out.entries.set(name, copyEntry(e));
      for (const [name, e] of dir.durable) out.durable.set(name, copyEntry(e));
      out.pending = dir.pending.map((group) => group.map((c) => ({ name: c.name, entry: c.entry === undefined ? undefined : copyEntry(c.entry) })));
      return out;
    };
    copy.root = copyDir(this.root);
    // Buffers are never changed in place (writes push new ones), so sharing them is safe.
    for (const [ino, inode] of this.inodes) copy.inodes.set(ino, { durable: inode.durable, pending: [...inode.pending], mtimeMs: inode.mtimeMs });
    copy.nextIno = this.nextIno;
    return copy;
  }

  /**
   * Starts keeping a {@link clone} of the disk before each call takes effect: each is one
   * instant the process could die at. {@link stopRecording} returns them, plus the disk after
   * the last call.
   */
  startRecording(): void {
    this.recorded = [];
  }

  /** Stops recording; returns the disk before each recorded call, then the disk now. */
  stopRecording(): SimFs[] {
    const images = this.recorded ?? [];
    this.recorded = undefined;
    images.push(this.clone());
    return images;
  }

  /** A digest of what the process sees (paths and bytes): equal digests, equal disks. */
  digest(): string {
    const hash = createHash('sha1');
    const dirs: string[] = [];
    const walk = (dir: SimDir, path: string): void => {
      for (const [name, e] of [...dir.entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
        const p = `${path}/${name}`;
        if (e.kind === 'dir') {
          dirs.push(p);
          walk(e.dir, p);
        } else {
          const bytes = volatileBytes(this.inodes.get(e.ino)!);
          hash.update(`${p}\0${bytes.length}\0`);
          hash.update(bytes);
        }
      }
    };
    walk(this.root, '');
    hash.update(dirs.join('\0'));
    return hash.digest('hex');
  }

  /** Every file reachable from the root as the process sees it: path → bytes. */
  listFiles(): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    const walk = (dir: SimDir, path: string): void => {
      for (const [name, e] of dir.entries) {
        const p = path === '/' ? `/${name}` : `${path}/${name}`;
        if (e.kind === 'dir') walk(e.dir, p);
        else out.set(p, volatileBytes(this.inodes.get(e.ino)!));
      }
    };
    walk(this.root, '/');
    return out;
  }

  // ---- the Fs interface -----------------------------------------------------------------------

  private async enter(op: SimFsOp, path: string): Promise<void> {
    await Promise.resolve();
    if (this.isFrozen) return new Promise<void>(() => {});
    if (this.opsUntilFreeze !== undefined) {
      if (this.opsUntilFreeze <= 0) {
        this.isFrozen = true;
        return new Promise<void>(() => {});
      }
      this.opsUntilFreeze--;
    }
    this.recorded?.push(this.clone());
    this.opCounts.set(op, (this.opCounts.get(op) ?? 0) + 1);
    this.trace?.push({ op, path });
    for (const f of this.faults) {
      if (f.op !== op) continue;
      f.remaining--;
      if (f.remaining === 0 || (f.isPersistent && f.remaining < 0)) throw fsError(f.code, op, path);
    }
  }

  private normalize(path: string): string {
    return posix.resolve('/', path);
  }

  /** The directory holding `path` and the last name, or throws ENOENT/ENOTDIR. */
  private parentOf(path: string, syscall: string): { dir: SimDir; name: string } {
    const p = this.normalize(path);
    if (p === '/') throw fsError('EEXIST', syscall, p);
    const dir = this.lookupDir(posix.dirname(p), syscall);
    return { dir, name: posix.basename(p) };
  }

  private lookupDir(path: string, syscall: string): SimDir {
    let dir = this.root;
    for (const part of this.normalize(path).split('/').filter((s) => s.length > 0)) {
      const e = dir.entries.get(part);
      if (e === undefined) throw fsError('ENOENT', syscall, path);
      if (e.kind !== 'dir') throw fsError('ENOTDIR', syscall, path);
      dir = e.dir;
    }
    return dir;
  }

  private lookup(path: string, syscall: string): Entry {
    const p = this.normalize(path);
    if (p === '/') return { kind: 'dir', dir: this.root };
    const { dir, name } = this.parentOf(p, syscall);
    const e = dir.entries.get(name);
    if (e === undefined) throw fsError('ENOENT', syscall, p);
    return e;
  }

  private setEntry(dir: SimDir, name: string, entry: Entry | undefined): void {
    this.setEntries(dir, [{ name, entry }]);
  }

  /** Applies changes to one directory as one atomic group. */
  private setEntries(dir: SimDir, changes: Array<{ name: string; entry: Entry | undefined }>): void {
    for (const { name, entry } of changes) {
      if (entry === undefined) dir.entries.delete(name);
      else dir.entries.set(name, entry);
    }
    dir.pending.push(changes);
  }

  private fileInode(path: string, syscall: string): SimInode {
    const e = this.lookup(path, syscall);
    if (e.kind === 'dir') throw fsError('EISDIR', syscall, path);
    return this.inodes.get(e.ino)!;
  }

  async createExclusive(path: string): Promise<FsFileHandle> {
    await this.enter('createExclusive', path);
    const { dir, name } = this.parentOf(path, 'open');
    if (dir.entries.has(name)) throw fsError('EEXIST', 'open', path);
    const ino = this.nextIno++;
    const inode: SimInode = { durable: Buffer.alloc(0), pending: [], mtimeMs: this.nowMs() };
    this.inodes.set(ino, inode);
    this.setEntry(dir, name, { kind: 'file', ino });
    const generation = this.generation;
    let isClosed = false;
    let hasFailedSync = false;
    const check = (syscall: string): void => {
      if (generation !== this.generation || isClosed) throw fsError('EBADF', syscall, path);
    };
    return {
      write: async (data: Uint8Array) => {
        await this.enter('write', path);
        check('write');
        inode.pending.push(Buffer.from(data));
        inode.mtimeMs = this.nowMs();
      },
      sync: async () => {
        if (hasFailedSync) {
          // Linux would report success here with the dirty data gone: refuse, and record it.
          this.syncRetriesAfterFailure.push(path);
          throw fsError('EIO', 'fsync (retried on a handle whose fsync failed)', path);
        }
        try {
          await this.enter('sync', path);
        } catch (err) {
          // Like Linux after a failed fsync: the dirty data is dropped.
          inode.pending = [];
          hasFailedSync = true;
          throw err;
        }
        check('fsync');
        inode.durable = volatileBytes(inode);
        inode.pending = [];
      },
      close: async () => {
        await this.enter('close', path);
        check('close');
        isClosed = true;
      },
    };
  }

  async readFile(path: string): Promise<Uint8Array> {
    await this.enter('readFile', path);
    return Buffer.from(volatileBytes(this.fileInode(path, 'open')));
  }

  async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
    await this.enter('readRange', path);
    const bytes = volatileBytes(this.fileInode(path, 'open'));
    return Buffer.from(bytes.subarray(Math.min(start, bytes.length), Math.min(end, bytes.length)));
  }

  async stat(path: string): Promise<FsStat> {
    await this.enter('stat', path);
    const e = this.lookup(path, 'stat');
    if (e.kind === 'dir') return { size: 0, mtimeMs: 0, isDirectory: true };
    const inode = this.inodes.get(e.ino)!;
    return { size: volatileBytes(inode).length, mtimeMs: inode.mtimeMs, isDirectory: false };
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    await this.enter('link', newPath);
    const e = this.lookup(existingPath, 'link');
    if (e.kind === 'dir') throw fsError('EPERM', 'link', existingPath);
    const { dir, name } = this.parentOf(newPath, 'link');
    if (dir.entries.has(name)) throw fsError('EEXIST', 'link', newPath);
    this.setEntry(dir, name, e);
  }

  async rename(oldPath: string, newPath: string): Promise<void> {
    await this.enter('rename', newPath);
    const from = this.parentOf(oldPath, 'rename');
    const e = from.dir.entries.get(from.name);
    if (e === undefined) throw fsError('ENOENT', 'rename', oldPath);
    const to = this.parentOf(newPath, 'rename');
    const existing = to.dir.entries.get(to.name);
    if (existing?.kind === 'dir' && e.kind !== 'dir') throw fsError('EISDIR', 'rename', newPath);
    if (from.dir === to.dir) {
      this.setEntries(from.dir, [
        { name: from.name, entry: undefined },
        { name: to.name, entry: e },
      ]);
    } else {
      // Across directories a crash may keep either half: real file systems promise no more.
      this.setEntry(from.dir, from.name, undefined);
      this.setEntry(to.dir, to.name, e);
    }
  }

  async unlink(path: string): Promise<void> {
    await this.enter('unlink', path);
    const { dir, name } = this.parentOf(path, 'unlink');
    const e = dir.entries.get(name);
    if (e === undefined) throw fsError('ENOENT', 'unlink', path);
    if (e.kind === 'dir') throw fsError('EISDIR', 'unlink', path);
    this.setEntry(dir, name, undefined);
  }

  async mkdirp(path: string): Promise<void> {
    await this.enter('mkdirp', path);
    let dir = this.root;
    for (const part of this.normalize(path).split('/').filter((s) => s.length > 0)) {
      const e = dir.entries.get(part);
      if (e === undefined) {
        const child = newDir();
        this.setEntry(dir, part, { kind: 'dir', dir: child });
        dir = child;
      } else if (e.kind === 'dir') {
        dir = e.dir;
      } else {
        throw fsError('ENOTDIR', 'mkdir', path);
      }
    }
  }

  async rmdir(path: string): Promise<void> {
    await this.enter('rmdir', path);
    const { dir, name } = this.parentOf(path, 'rmdir');
    const e = dir.entries.get(name);
    if (e === undefined) throw fsError('ENOENT', 'rmdir', path);
    if (e.kind !== 'dir') throw fsError('ENOTDIR', 'rmdir', path);
    if (e.dir.entries.size > 0) throw fsError('ENOTEMPTY', 'rmdir', path);
    this.setEntry(dir, name, undefined);
  }

  async readdir(path: string): Promise<string[]> {
    await this.enter('readdir', path);
    return [...this.lookupDir(path, 'scandir').entries.keys()];
  }

  async syncDir(path: string): Promise<void> {
    await this.enter('syncDir', path);
    const dir = this.lookupDir(path, 'fsync');
    dir.durable = new Map(dir.entries);
    dir.pending = [];
  }
}

/** What the disk kept of its pending changes in one crash state. */
export type CrashOutcome = 'keepNothing' | 'keepAll' | `seeded-${number}`;

/** One state a power loss can leave: the disk after dying before call `cut` (of `calls`). */
export interface CrashState {
  /** Calls that took effect before the death (`calls` = after the last one). */
  cut: number;
  calls: number;
  outcome: CrashOutcome;
  /** The disk after the power loss, ready to recover on. */
  fs: SimFs;
}

/** Options of {@link crashStates}. */
export interface CrashStateOptions {
  /** Seeded outcomes per cut besides keep-nothing and keep-all (each file and directory keeps a seeded in-order prefix, the last write maybe torn). Default 4. */
  seededPerCut?: number;
  /** Base seed of the seeded outcomes. */
  seed?: number;
  /** Skip states whose disk equals one already given (default true). */
  isDistinct?: boolean;
  /**
   * What else a state's check depends on at a cut (e.g. which writes were acknowledged by
   * then): states are equal only when their disks and these keys are.
   */
  keyOf?: (cut: number) => string;
}

/**
 * Every crash state of one recorded sequence of calls ({@link SimFs.startRecording}): each
 * prefix of the calls as the instant of death, times what the disk kept — nothing pending,
 * everything pending, and `seededPerCut` seeded subsets with tearing. States whose post-crash
 * disk equals an earlier one are skipped unless `isDistinct` is false; `skipped` counts them.
 */
export function* crashStates(images: readonly SimFs[], options: CrashStateOptions = {}): Generator<CrashState, { states: number; skipped: number }> {
  const seededPerCut = options.seededPerCut ?? 4;
  const seed = options.seed ?? 0;
  const isDistinct = options.isDistinct ?? true;
  const seen = new Set<string>();
  let states = 0;
  let skipped = 0;
  const calls = images.length - 1;
  for (let cut = 0; cut < images.length; cut++) {
    const outcomes: CrashOutcome[] = ['keepNothing', 'keepAll'];
    for (let i = 0; i < seededPerCut; i++) outcomes.push(`seeded-${i}`);
    for (const outcome of outcomes) {
      const fs = images[cut]!.clone();
      if (outcome === 'keepNothing') fs.crash(new SeededRng(0), 'dropAll');
      else if (outcome === 'keepAll') fs.crash(new SeededRng(0), 'keepAll');
      else fs.crash(new SeededRng((seed + cut * 7919 + Number(outcome.slice(7)) * 104_729) >>> 0), 'random');
      if (isDistinct) {
        const d = `${options.keyOf?.(cut) ?? ''}|${fs.digest()}`;
        if (seen.has(d)) {
          skipped++;
          continue;
        }
        seen.add(d);
      }
      states++;
      yield { cut, calls, outcome, fs };
    }
  }
  return { states, skipped };
}
