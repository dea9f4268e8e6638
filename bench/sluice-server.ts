import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * A `sluice serve` child of a bench: the compiled CLI (`dist/src/cli/main.js`) run with the node
 * flags of its shebang, as the `sluice` command runs it, on a free loopback port, logging JSON.
 */
export interface SluiceServe {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Everything it logged so far (JSON lines on stderr). */
  log(): string;
  /** SIGTERM (its graceful shutdown: a final WAL flush), SIGKILL after 30 s; resolves once it exited. */
  stop(): Promise<void>;
  /** Resolves when the process has exited, however. */
  exited: Promise<void>;
}

/** The CLI next to this file once compiled: `dist/bench/` → `dist/src/cli/main.js`. */
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** The node flags of the CLI's `#!/usr/bin/env -S node …` line. */
export async function shebangFlags(): Promise<string[]> {
  const first = (await readFile(CLI, 'utf8')).split('\n', 1)[0]!;
  return (/^#!\/usr\/bin\/env -S node (.*)$/.exec(first)?.[1] ?? '').split(' ').filter((a) => a !== '');
}

/** Starts `sluice serve --data-dir <dataDir> …args` (node run with `nodeArgs` too) and resolves once it logs `listening`. */
export async function startSluiceServe(dataDir: string, args: readonly string[], nodeArgs: readonly string[] = []): Promise<SluiceServe> {
  const argv = [...(await shebangFlags()), ...nodeArgs, CLI, 'serve', '--data-dir', dataDir, '--http-bind', '127.0.0.1:0', '--log-format', 'json', ...args];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let log = '';
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      log += chunk;
      const m = /"msg":"listening","address":"([^"]+)"/.exec(log);
      if (m !== null) resolve({ child, url: `http://${m[1]}`, log: () => log, stop, exited });
    });
    child.once('exit', (code, signal) => reject(new Error(`sluice serve exited (${code ?? signal}) before listening: ${log}`)));
  });
}
