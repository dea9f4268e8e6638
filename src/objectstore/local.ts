import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { posix, resolve } from 'node:path';
import type { Fs } from '../effects/fs.js';
import { NodeFs, hasErrorCode } from '../effects/fs.js';
import { testSwitches } from '../effects/test-switches.js';
import type { Rng } from '../effects/rng.js';
import { SystemRng } from '../effects/rng.js';
import { AlreadyExistsError, InvalidKeyError, LockedError, NotFoundError, StoreIoError } from './errors.js';
import { validateKey } from './keys.js';
import type { ListOptions, ListPage, ObjectMeta, ObjectStore, PutMode } from './types.js';
import { MAX_LIST_KEYS, compareKeys } from './types.js';

/** Options of {@link LocalObjectStore.open}. */
export interface LocalObjectStoreOptions {
  /** The directory that holds the objects (created if missing). */
  root: string;
  fs?: Fs;
  rng?: Rng;
  /** Whether a process id is alive (for stale-lock takeover); default: `process.kill(pid, 0)`. */
  isProcessAlive?: (pid: number) => boolean;
  /** This machine's boot id, undefined where unknown; default: `/proc/sys/kernel/random/boot_id`. */
  readBootId?: () => string | undefined;
  /**
   * When a live process started, in clock ticks since boot, undefined where unknown; default:
   * field 22 (`starttime`) of `/proc/<pid>/stat`. Tells a reused process id from the lock's holder.
   */
  readProcessStartTime?: (pid: number) => string | undefined;
}

/** A held writer lock; `release` removes it. */
export interface LockHandle {
  readonly path: string;
  release(): Promise<void>;
}

const TEMP_FILE = /^\..*\.tmp$/;
const LOCK_FILE = '.lock';

/** Error codes after which the same operation may succeed later. */
const TRANSIENT_CODES = new Set(['EIO', 'ENOSPC', 'EDQUOT', 'EAGAIN', 'EBUSY', 'EINTR', 'EMFILE', 'ENFILE', 'ETIMEDOUT']);

function ioError(what: string, key: string | undefined, err: unknown): StoreIoError {
  const code = typeof err === 'object' && err !== null ? String((err as { code?: unknown }).code ?? '') : '';
  const message = err instanceof Error ? err.message : String(err);
  return new StoreIoError(`${what} failed: ${message}`, TRANSIENT_CODES.has(code), key, { cause: err });
}

/** What a lock file records about its holder; fields after `token` are missing in older files. */
interface LockHolder {
  pid: number;
  token: string;
  host?: string;
  bootId?: string;
  /** The holder's start time in clock ticks since boot (see readProcessStartTime). */
  startTime?: string;
  /** When the lock was taken (ISO 8601). */
  since?: string;
}

/** Hooks that judge whether a lock's holder still runs; injected by tests. */
interface HolderProbe {
  isProcessAlive: (pid: number) => boolean;
  readBootId: () => string | undefined;
  readProcessStartTime: (pid: number) => string | undefined;
}

function defaultReadBootId(): string | undefined {
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined; // no /proc (macOS, some sandboxes): locks are judged by pid alone
  }
}

function defaultReadProcessStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // no /proc, hidden pids, or the process just ended: judged by pid alone
  }
  // Field 2 (comm) is in parentheses and may hold spaces and ')': fields 3.. follow the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTime = fields[22 - 3];
  return startTime !== undefined && /^\d+$/.test(startTime) ? startTime : undefined;
}

/**
 * Why a lock's holder no longer holds it, or undefined if it may: the machine rebooted since, the
 * process is gone, or its pid now belongs to a process that started at another time (in a
 * container the server is pid 1 after every restart). Fields a lock or this system lacks are not
 * judged: an old lock file, or no /proc, falls back to the pid alone.
 */
function staleReason(holder: LockHolder, probe: HolderProbe): string | undefined {
  if (holder.pid <= 0) return 'unreadable lock file';
  const bootId = holder.bootId === undefined ? undefined : probe.readBootId();
  if (bootId !== undefined && bootId !== holder.bootId) return `taken before the machine rebooted (boot ${holder.bootId})`;
  if (!probe.isProcessAlive(holder.pid)) return `process ${holder.pid} is gone`;
  const startTime = holder.startTime === undefined ? undefined : probe.readProcessStartTime(holder.pid);
  if (startTime !== undefined && startTime !== holder.startTime) return `process id ${holder.pid} now belongs to another process`;
  return undefined;
}

function defaultIsProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return hasErrorCode(err, 'EPERM'); // exists, owned by someone else
  }
}

/**
 * An object store in a local directory, durable across power loss: a create-only put writes an
 * exclusive temp file, fsyncs it, links it to its final name (an existing name fails the link),
 * fsyncs the directory, and only then reports success. Overwrites rename a synced temp over the
 * old file and fsync the directory. Objects are files; keys are their paths under the root.
 */
export class LocalObjectStore implements ObjectStore {
  readonly description: string;
  /** Stale temp files removed when the store was opened. */
  removedTempFileCount = 0;
  /** Why the last stale lock this store took over was stale (for the log), if it took one over. */
  lastLockTakeover: string | undefined;
  private readonly durableDirs = new Set<string>();
  private readonly heldLocks = new Set<LockHandle>();

  private constructor(
    private readonly root: string,
    private readonly fs: Fs,
    private readonly rng: Rng,
    private readonly probe: HolderProbe,
  ) {
    this.description = `file:${root}`;
  }

  /** Opens (creating it durably if needed) a store at `root` and removes stale temp files. */
  static async open(options: LocalObjectStoreOptions): Promise<LocalObjectStore> {
    const probe: HolderProbe = {
      isProcessAlive: options.isProcessAlive ?? defaultIsProcessAlive,
      readBootId: options.readBootId ?? defaultReadBootId,
      readProcessStartTime: options.readProcessStartTime ?? defaultReadProcessStartTime,
    };
    const store = new LocalObjectStore(resolve(options.root), options.fs ?? new NodeFs(), options.rng ?? new SystemRng(), probe);
    await store.ensureDurableDir(store.root);
    store.removedTempFileCount = await store.removeTempFiles(store.root);
    return store;
  }

  localPath(key: string): string | undefined {
    return this.fs instanceof NodeFs ? this.pathOf(key) : undefined;
  }

  /** The store's root directory. */
  get rootDir(): string {
    return this.root;
  }

  private pathOf(key: string): string {
    validateKey(key);
    return posix.join(this.root, key);
  }

  private tempPathFor(path: string): string {
    const hex = Buffer.from(this.rng.bytes(8)).toString('hex');
    return posix.join(posix.dirname(path), `.${posix.basename(path)}.${hex}.tmp`);
  }

  /** Creates `dir` and its missing parents, each made durable by an fsync of its parent. */
  private async ensureDurableDir(dir: string): Promise<void> {
    if (this.durableDirs.has(dir)) return;
    const parent = posix.dirname(dir);
    if (parent !== dir && dir !== this.root) await this.ensureDurableDir(parent);
    try {
      await this.fs.mkdirp(dir);
      if (parent !== dir) await this.fs.syncDir(parent);
    } catch (err) {
      throw ioError(`creating directory ${dir}`, undefined, err);
    }
    this.durableDirs.add(dir);
  }

  /** Writes `data` to a new synced temp file beside `path`; returns the temp path. */
  private async writeSyncedTemp(path: string, data: Uint8Array, key: string): Promise<string> {
    await this.ensureDurableDir(posix.dirname(path));
    const tempPath = this.tempPathFor(path);
    let handle;
    try {
      handle = await this.fs.createExclusive(tempPath);
    } catch (err) {
      throw ioError(`creating a temp file for ${key}`, key, err);
    }
    try {
      await handle.write(data);
      if (!testSwitches.ackBeforeFsync) await handle.sync();
    } catch (err) {
      // Never fsync this handle again: its dirty pages may be gone. Drop the temp; the caller
      // retries with a fresh file. Cleanup errors are ignored: open() removes stale temps.
      await handle.close().catch(() => undefined);
      await this.fs.unlink(tempPath).catch(() => undefined);
      throw ioError(`writing ${key}`, key, err);
    }
    try {
      await handle.close();
    } catch (err) {
      await this.fs.unlink(tempPath).catch(() => undefined);
      throw ioError(`closing ${key}`, key, err);
    }
    return tempPath;
  }

  async put(key: string, data: Uint8Array, mode: PutMode): Promise<void> {
    const path = this.pathOf(key);
    const dir = posix.dirname(path);
    const tempPath = await this.writeSyncedTemp(path, data, key);
    if (mode === 'overwrite') {
      try {
        await this.fs.rename(tempPath, path);
        if (!testSwitches.skipDirFsync) await this.fs.syncDir(dir);
      } catch (err) {
        await this.fs.unlink(tempPath).catch(() => undefined);
        throw ioError(`publishing ${key}`, key, err);
      }
      return;
    }
    try {
      await this.fs.link(tempPath, path);
    } catch (err) {
      await this.fs.unlink(tempPath).catch(() => undefined);
      if (hasErrorCode(err, 'EEXIST')) {
        // Whatever holds the name may be an earlier attempt of ours whose directory fsync failed:
        // make the entry durable before the caller reads it back and concludes anything.
        try {
          await this.fs.syncDir(dir);
        } catch (syncErr) {
          throw ioError(`syncing the directory of ${key}`, key, syncErr);
        }
        throw new AlreadyExistsError(key);
      }
      throw ioError(`publishing ${key}`, key, err);
    }
    try {
      if (!testSwitches.skipDirFsync) await this.fs.syncDir(dir);
    } catch (err) {
      // The name exists but may not survive a crash: report failure; a retry finds the name,
      // syncs the directory and lets the caller check the content is its own.
      await this.fs.unlink(tempPath).catch(() => undefined);
      throw ioError(`syncing the directory of ${key}`, key, err);
    }
    // The temp name's removal is off the critical path and need not be durable or even
    // succeed: the object is published, and stale temps are removed at open.
    void this.fs.unlink(tempPath).catch(() => undefined);
  }

  async get(key: string): Promise<Uint8Array> {
    const path = this.pathOf(key);
    try {
      return await this.fs.readFile(path);
    } catch (err) {
      throw this.readError(key, err);
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const path = this.pathOf(key);
    try {
      return await this.fs.readRange(path, Math.max(0, start), Math.max(start, end));
    } catch (err) {
      throw this.readError(key, err);
    }
  }

  async head(key: string): Promise<ObjectMeta> {
    const path = this.pathOf(key);
    try {
      const s = await this.fs.stat(path);
      if (s.isDirectory) throw new NotFoundError(key);
      return { key, sizeBytes: s.size, lastModifiedMs: s.mtimeMs };
    } catch (err) {
      throw this.readError(key, err);
    }
  }

  private readError(key: string, err: unknown): Error {
    if (err instanceof NotFoundError) return err;
    if (hasErrorCode(err, 'ENOENT') || hasErrorCode(err, 'EISDIR') || hasErrorCode(err, 'ENOTDIR')) return new NotFoundError(key);
    return ioError(`reading ${key}`, key, err);
  }

  async list(options: ListOptions): Promise<ListPage> {
    const prefix = options.prefix;
    const slash = prefix.lastIndexOf('/');
    const dirPart = slash < 0 ? '' : prefix.slice(0, slash);
    if (dirPart !== '') {
      try {
        validateKey(dirPart);
      } catch (err) {
        if (err instanceof InvalidKeyError) return { objects: [] };
        throw err;
      }
    }
    const keys: string[] = [];
    await this.collectKeys(dirPart === '' ? this.root : posix.join(this.root, dirPart), dirPart, prefix, keys);
    keys.sort(compareKeys);
    const maxKeys = Math.min(options.maxKeys ?? MAX_LIST_KEYS, MAX_LIST_KEYS);
    const startAfter = options.startAfter;
    let i = 0;
    if (startAfter !== undefined) while (i < keys.length && compareKeys(keys[i]!, startAfter) <= 0) i++;
    const objects: ObjectMeta[] = [];
    for (; i < keys.length && objects.length < maxKeys; i++) {
      const key = keys[i]!;
      try {
        const s = await this.fs.stat(posix.join(this.root, key));
        objects.push({ key, sizeBytes: s.size, lastModifiedMs: s.mtimeMs });
      } catch (err) {
        if (!hasErrorCode(err, 'ENOENT')) throw ioError(`listing ${key}`, key, err);
        // deleted while listing: leave it out
      }
    }
    return i < keys.length && objects.length > 0 ? { objects, nextStartAfter: objects[objects.length - 1]!.key } : { objects };
  }

  /** Adds the keys under `dir` (whose key is `dirKey`) that start with `prefix`. */
  private async collectKeys(dir: string, dirKey: string, prefix: string, out: string[]): Promise<void> {
    let names: string[];
    try {
      names = await this.fs.readdir(dir);
    } catch (err) {
      if (hasErrorCode(err, 'ENOENT') || hasErrorCode(err, 'ENOTDIR')) return;
      throw ioError(`listing ${dir}`, undefined, err);
    }
    for (const name of names) {
      if (name.startsWith('.')) continue; // temp files and locks are the store's own
      const key = dirKey === '' ? name : `${dirKey}/${name}`;
      // descend only into directories that can hold matching keys
      if (!key.startsWith(prefix) && !prefix.startsWith(`${key}/`)) continue;
      let isDirectory: boolean;
      try {
        isDirectory = (await this.fs.stat(posix.join(dir, name))).isDirectory;
      } catch (err) {
        if (hasErrorCode(err, 'ENOENT')) continue;
        throw ioError(`listing ${key}`, key, err);
      }
      if (isDirectory) await this.collectKeys(posix.join(dir, name), key, prefix, out);
      else if (key.startsWith(prefix)) out.push(key);
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await this.fs.unlink(path);
    } catch (err) {
      if (hasErrorCode(err, 'ENOENT') || hasErrorCode(err, 'ENOTDIR')) return;
      throw ioError(`deleting ${key}`, key, err);
    }
    try {
      await this.fs.syncDir(posix.dirname(path));
    } catch (err) {
      throw ioError(`syncing the directory of ${key}`, key, err);
    }
  }

  private async removeTempFiles(dir: string): Promise<number> {
    let removed = 0;
    let names: string[];
    try {
      names = await this.fs.readdir(dir);
    } catch (err) {
      throw ioError(`scanning ${dir}`, undefined, err);
    }
    for (const name of names) {
      const path = posix.join(dir, name);
      const s = await this.fs.stat(path).catch(() => undefined);
      if (s === undefined) continue;
      if (s.isDirectory) removed += await this.removeTempFiles(path);
      else if (TEMP_FILE.test(name)) {
        await this.fs.unlink(path);
        removed++;
      }
    }
    if (removed > 0) await this.fs.syncDir(dir);
    return removed;
  }

  /**
   * Takes the exclusive writer lock `<root>/<name>/.lock` (one writer per node id). The lock file
   * records the holder's pid, host, boot id, start time and when it was taken; a lock whose holder
   * is gone (see staleReason) is taken over. LockedError, naming the holder, if it still runs.
   */
  async acquireLock(name: string): Promise<LockHandle> {
    validateKey(name);
    if (name.includes('/')) throw new InvalidKeyError(name, 'a lock name is one segment');
    const dir = posix.join(this.root, name);
    await this.ensureDurableDir(dir);
    const lockPath = posix.join(dir, LOCK_FILE);
    const token = Buffer.from(this.rng.bytes(16)).toString('hex');
    const bootId = this.probe.readBootId();
    const startTime = this.probe.readProcessStartTime(process.pid);
    const holder: LockHolder = {
      pid: process.pid,
      token,
      host: hostname(),
      ...(bootId === undefined ? {} : { bootId }),
      ...(startTime === undefined ? {} : { startTime }),
      since: new Date().toISOString(),
    };
    const body = Buffer.from(JSON.stringify(holder));
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await this.fs.createExclusive(lockPath);
        try {
          await handle.write(body);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await this.fs.syncDir(dir);
        const lock: LockHandle = { path: lockPath, release: () => this.releaseLock(lock, token) };
        this.heldLocks.add(lock);
        return lock;
      } catch (err) {
        if (!hasErrorCode(err, 'EEXIST')) throw ioError(`creating lock ${lockPath}`, undefined, err);
      }
      await this.takeOverIfStale(lockPath);
    }
    throw new LockedError(lockPath, 'could not take it over after 3 attempts');
  }

  /**
   * Removes a lock left by a dead process, or throws LockedError. The stale file is first renamed
   * to a name only we use, then checked to be the one we judged stale: if a racing process
   * replaced it in between, we moved a live lock and put it back. Without flock(2) a window
   * remains in which two racing takeovers could both succeed; the WAL's create-only file names
   * still stop the second writer at its first conflicting file.
   */
  private async takeOverIfStale(lockPath: string): Promise<void> {
    const holder = await this.readLock(lockPath);
    if (holder === undefined) return; // gone meanwhile: try creating again
    const reason = staleReason(holder, this.probe);
    if (reason === undefined) throw new LockedError(lockPath, await this.describeHolder(lockPath, holder));
    const asidePath = `${lockPath}.${Buffer.from(this.rng.bytes(8)).toString('hex')}.stale`;
    try {
      await this.fs.rename(lockPath, asidePath);
    } catch (err) {
      if (hasErrorCode(err, 'ENOENT')) return;
      throw ioError(`taking over lock ${lockPath}`, undefined, err);
    }
    const moved = await this.readLock(asidePath);
    if (moved !== undefined && moved.token !== holder.token) {
      await this.fs.link(asidePath, lockPath).catch(() => undefined);
      await this.fs.unlink(asidePath).catch(() => undefined);
      throw new LockedError(lockPath, 'another process took it over at the same time');
    }
    await this.fs.unlink(asidePath).catch(() => undefined);
    this.lastLockTakeover = `${lockPath}: ${reason}`;
  }

  /** `process 1 on host web-1 since 2025-…Z`, for a person deciding what to stop. */
  private async describeHolder(lockPath: string, holder: LockHolder): Promise<string> {
    let since = holder.since;
    if (since === undefined) {
      // Older lock files do not say: the file's modification time is when it was written.
      const s = await this.fs.stat(lockPath).catch(() => undefined);
      if (s !== undefined) since = new Date(s.mtimeMs).toISOString();
    }
    return `process ${holder.pid}${holder.host === undefined ? '' : ` on host ${holder.host}`}${since === undefined ? '' : ` since ${since}`}`;
  }

  private async readLock(path: string): Promise<LockHolder | undefined> {
    try {
      const parsed = JSON.parse(Buffer.from(await this.fs.readFile(path)).toString('utf8')) as Record<string, unknown>;
      const text = (name: string): Record<string, string> => {
        const value = parsed[name];
        return typeof value === 'string' ? { [name]: value } : {};
      };
      return {
        pid: typeof parsed.pid === 'number' && Number.isSafeInteger(parsed.pid) ? parsed.pid : -1,
        token: String(parsed.token ?? ''),
        ...text('host'),
        ...text('bootId'),
        ...text('startTime'),
        ...text('since'),
      };
    } catch (err) {
      if (hasErrorCode(err, 'ENOENT')) return undefined;
      // An unreadable or torn lock file (crash while writing it) belongs to nobody alive.
      return { pid: -1, token: '' };
    }
  }

  private async releaseLock(lock: LockHandle, token: string): Promise<void> {
    if (!this.heldLocks.delete(lock)) return;
    const current = await this.readLock(lock.path);
    if (current?.token !== token) return; // someone took it over; it is no longer ours to remove
    await this.fs.unlink(lock.path).catch((err: unknown) => {
      if (!hasErrorCode(err, 'ENOENT')) throw ioError(`releasing lock ${lock.path}`, undefined, err);
    });
    await this.fs.syncDir(posix.dirname(lock.path));
  }

  /** Releases every lock this store holds. */
  async close(): Promise<void> {
    for (const lock of [...this.heldLocks]) await lock.release();
  }
}
