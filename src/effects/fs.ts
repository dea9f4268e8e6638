import * as nodeFs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';

/**
 * An open file, written sequentially. `sync` makes everything written so far durable
 * (fsync). After a failed `sync` the handle must not be synced again: close it and start over.
 */
export interface FsFileHandle {
  /** Appends all of `data` at the current end of what this handle wrote. */
  write(data: Uint8Array): Promise<void>;
  /** fsync: the file's contents written through this handle become durable. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** What `stat` reports. */
export interface FsStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
}

/**
 * The file-system operations the local object store needs, injected so tests can use a
 * simulated file system that forgets unsynced data on a crash.
 *
 * Errors are Node-style: an `Error` with a string `code` (`ENOENT`, `EEXIST`, `ENOTEMPTY`,
 * `EIO`, `ENOSPC`, …).
 */
export interface Fs {
  /** Creates a new file for writing; fails with `EEXIST` if it exists (O_CREAT|O_EXCL). */
  createExclusive(path: string): Promise<FsFileHandle>;
  /** Reads a whole file. */
  readFile(path: string): Promise<Uint8Array>;
  /** Reads bytes [start, end) of a file (fewer if the file is shorter). */
  readRange(path: string, start: number, end: number): Promise<Uint8Array>;
  stat(path: string): Promise<FsStat>;
  /** Hard link: fails with `EEXIST` if `newPath` exists. */
  link(existingPath: string, newPath: string): Promise<void>;
  /** Atomically replaces `newPath` with `oldPath`. */
  rename(oldPath: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates a directory and its parents; no error if it exists. */
  mkdirp(path: string): Promise<void>;
  /** Removes an empty directory. */
  rmdir(path: string): Promise<void>;
  /** Names in a directory (not sorted). */
  readdir(path: string): Promise<string[]>;
  /** fsync of a directory: its entries (creations, links, renames, unlinks) become durable. */
  syncDir(path: string): Promise<void>;
}

/** Whether an unknown error is a Node-style error with the given code. */
export function hasErrorCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

class NodeFileHandle implements FsFileHandle {
  constructor(private readonly handle: nodeFs.FileHandle) {}

  async write(data: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** The real file system (node:fs/promises), with real fsync of files and directories. */
export class NodeFs implements Fs {
  async createExclusive(path: string): Promise<FsFileHandle> {
    const flags = fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY;
    return new NodeFileHandle(await nodeFs.open(path, flags, 0o644));
  }

  async readFile(path: string): Promise<Uint8Array> {
    return nodeFs.readFile(path);
  }

  async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
    const handle = await nodeFs.open(path, 'r');
    try {
      const length = Math.max(0, end - start);
      const buf = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buf, filled, length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buf.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  async stat(path: string): Promise<FsStat> {
    const s = await nodeFs.stat(path);
    return { size: s.size, mtimeMs: s.mtimeMs, isDirectory: s.isDirectory() };
  }

  link(existingPath: string, newPath: string): Promise<void> {
    return nodeFs.link(existingPath, newPath);
  }

  rename(oldPath: string, newPath: string): Promise<void> {
    return nodeFs.rename(oldPath, newPath);
  }

  unlink(path: string): Promise<void> {
    return nodeFs.unlink(path);
  }

  async mkdirp(path: string): Promise<void> {
    await nodeFs.mkdir(path, { recursive: true });
  }

  rmdir(path: string): Promise<void> {
    return nodeFs.rmdir(path);
  }

  readdir(path: string): Promise<string[]> {
    return nodeFs.readdir(path);
  }

  async syncDir(path: string): Promise<void> {
    const handle = await nodeFs.open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
