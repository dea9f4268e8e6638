import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Runs a child script (through tsx) that prints `READY`, then `T <id>` before and `A <id>`
 * after each acknowledged write; SIGKILLs it `killAfterMs` after READY. Resolves once it died of
 * the kill; rejects if it exited on its own.
 */
export function runChildUntilKilled(script: string, args: string[], killAfterMs: number, attempted: Set<number>, acked: Set<number>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line === 'READY') timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else if (line.startsWith('T ')) attempted.add(Number(line.slice(2)));
        else if (line.startsWith('A ')) acked.add(Number(line.slice(2)));
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited with ${code} before the kill: ${stderr}`));
    });
  });
}

/** Where {@link bundleCli} writes: under node_modules so the bundle's imports of packages resolve. */
const BUNDLE_DIR = fileURLToPath(new URL('../../node_modules/.cache/sluice-kill-test/', import.meta.url));

/**
 * Compiles `src/cli/main.ts` (and the write worker it starts) with esbuild, the compiler tsx
 * itself uses, into ES modules with the DuckDB API inlined (only its native binding is loaded
 * from node_modules). A server started from it listens in well under half the time of one
 * started through tsx, which compiles every module at every start: the crash loop starts the
 * server dozens of times. Returns the CLI's path; `removeBundle` deletes the bundle.
 */
export async function bundleCli(): Promise<{ path: string; removeBundle: () => Promise<void> }> {
  await mkdir(dirname(BUNDLE_DIR), { recursive: true }); // a fresh checkout has no node_modules/.cache
  const dir = await mkdtemp(BUNDLE_DIR.replace(/\/$/, '-'));
  await build({
    entryPoints: { main: fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)), 'validate-worker': fileURLToPath(new URL('../../src/write/validate-worker.ts', import.meta.url)) },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['@duckdb/node-bindings', '@aws-sdk/*'],
    // The inlined CommonJS modules call require().
    banner: { js: "import { createRequire as sluiceCreateRequire } from 'node:module'; const require = sluiceCreateRequire(import.meta.url);" },
    outdir: dir,
    logLevel: 'error',
  });
  return { path: join(dir, 'main.js'), removeBundle: () => rm(dir, { recursive: true, force: true }) };
}

/** A running `sluice serve` child whose JSON log is followed for snapshot events. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** A snapshot was forced or started and its manifest not yet logged as persisted. */
  readonly isSnapshotInProgress: boolean;
  readonly snapshotsStarted: number;
  readonly snapshotsPersisted: number;
  /** Resolves at the next log line that starts a snapshot (forcing it or writing its marker). */
  nextSnapshotStart(): Promise<void>;
  log(): string;
}

const SNAPSHOT_START_MSGS = new Set(['buffer above its memory threshold: forcing a snapshot', 'snapshot started']);

/** Starts `node <cli> serve --log-format json …args`; resolves once it logs `listening`. */
export function startServer(cli: string, args: string[]): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'serve', '--http-bind', '127.0.0.1:0', '--log-format', 'json', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    let pending = '';
    let inProgress = false;
    let started = 0;
    let persisted = 0;
    let waiters: Array<() => void> = [];
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    const server: ServerProcess = {
      child,
      url: '',
      exited,
      get isSnapshotInProgress() {
        return inProgress;
      },
      get snapshotsStarted() {
        return started;
      },
      get snapshotsPersisted() {
        return persisted;
      },
      nextSnapshotStart: () => new Promise<void>((r) => waiters.push(r)),
      log: () => log,
    };
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      log += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        let entry: { msg?: string; address?: string };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue; // not a log line (a runtime warning): nothing to follow
        }
        if (entry.msg === 'listening') {
          server.url = `http://${entry.address}`;
          resolve(server);
        } else if (entry.msg !== undefined && SNAPSHOT_START_MSGS.has(entry.msg)) {
          if (entry.msg === 'snapshot started') started++;
          inProgress = true;
          const woken = waiters;
          waiters = [];
          for (const w of woken) w();
        } else if (entry.msg === 'snapshot persisted') {
          persisted++;
          inProgress = false;
        }
      }
    });
    void exited.then(({ code, signal }) => {
      if (server.url === '') reject(new Error(`server exited (${code ?? signal}) before listening: ${log}`));
    });
  });
}
