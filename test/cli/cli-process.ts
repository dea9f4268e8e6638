/** Runs the `sluice` command from the sources, as the CLI tests need it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** What a finished command printed and how it exited. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `sluice …args` to the end. */
export function run(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Finished> {
  return runNode(['--import', 'tsx', cli], args, env, stdin);
}

/** Runs `node …entry …args` to the end (`entry`: how to start the CLI, e.g. a bundle). */
export function runNode(entry: string[], args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...entry, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(stdin ?? '');
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A `sluice serve --log-format json` child whose log is followed. */
export interface Serving {
  child: ChildProcess;
  /** The log so far. */
  log(): string;
  /** Resolves with the first log entry whose `msg` is `msg`; rejects if the server exits first. */
  logged(msg: string): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `sluice serve --log-format json …args` (without waiting for anything). */
export function startServe(args: string[], env: Record<string, string> = {}): Serving {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--log-format', 'json', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  const waiters: Array<() => void> = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    log += chunk;
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const entries = (): Array<Record<string, unknown>> =>
    log
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const logged = (msg: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = entries().find((e) => e.msg === msg);
        if (found !== undefined) resolve(found);
        else if (child.exitCode !== null) reject(new Error(`server exited (${child.exitCode}) before logging ${JSON.stringify(msg)}: ${log}`));
        else waiters.push(check);
      };
      void exited.then(check);
      check();
    });
  return {
    child,
    log: () => log,
    logged,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
