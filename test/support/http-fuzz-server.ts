/**
 * The `sluice serve` child process the HTTP fuzzer runs against: started on a free port, watched
 * for an exit nobody asked for, restarted on the same data directory after one (so the run can go
 * on and find more), and killed for good at the end.
 */
import { spawn } from 'node:child_process';
import { startServer, type ServerProcess } from './kill-harness.js';

export class FuzzServer {
  private process: ServerProcess | undefined;
  private readonly started: ServerProcess[] = [];
  private recovering: Promise<void> | undefined;
  private endRecovery: () => void = () => undefined;
  private isStopping = false;
  /** Port of the current process. */
  port = 0;
  /** Counts starts: a request sent in one generation and unanswered in a later one met a crash. */
  generation = 0;

  /** `onUnexpectedExit` runs when the current process exits while nobody stops it (not during recovery). */
  constructor(
    private readonly cli: string,
    private readonly args: string[],
    private readonly onUnexpectedExit: (dead: ServerProcess) => void,
  ) {}

  /** Starts a process (the first, or after a crash). */
  async start(): Promise<void> {
    const p = await startServer(this.cli, this.args);
    this.started.push(p);
    if (this.started.length === 1) killOnExit(this.started);
    this.process = p;
    this.port = Number(new URL(p.url).port);
    this.generation++;
    void p.exited.then(() => {
      if (this.process === p && !this.isStopping && this.recovering === undefined) this.onUnexpectedExit(p);
    });
  }

  /** The current process is running. */
  get isAlive(): boolean {
    const child = this.process?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** The current process's log (JSON lines, and whatever it printed when it died). */
  log(): string {
    return this.process?.log() ?? '';
  }

  /** Resolves once the current process has exited, or after `ms`, whichever is first; true if it exited. */
  async exitsWithin(ms: number): Promise<boolean> {
    const p = this.process;
    if (p === undefined || !this.isAlive) return true;
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([p.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
    clearTimeout(timer);
    return exited;
  }

  /** From now until {@link resume}, {@link ready} waits and exits are the caller's to handle. */
  pause(): void {
    if (this.recovering !== undefined) return;
    this.recovering = new Promise((resolve) => (this.endRecovery = resolve));
  }

  resume(): void {
    const end = this.endRecovery;
    this.recovering = undefined;
    end();
  }

  /** Resolves when requests may be sent (not while a crash is being looked into). */
  ready(): Promise<void> {
    return this.recovering ?? Promise.resolve();
  }

  /** Kills every process this started (SIGKILL) and waits for them to go. */
  async killAll(): Promise<void> {
    this.isStopping = true;
    for (const p of this.started) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
    await Promise.all(this.started.map((p) => p.exited));
  }
}

/**
 * Kills the processes (SIGKILL) when this test process exits or is interrupted, so that no server
 * outlives its test even when the `after` hook never runs (Ctrl-C, a killed runner).
 */
function killOnExit(processes: ServerProcess[]): void {
  const killAll = () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
  }
}

/** `sluice create token --admin` on the data directory; resolves with the token it printed. */
export function createToken(cli: string, dataDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'create', 'token', '--admin', '--object-store', 'file', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const m = /^Token: (\S+)$/m.exec(out);
      if (code === 0 && m !== null) resolve(m[1]!);
      else reject(new Error(`sluice create token exited ${code}: ${out}`));
    });
  });
}

/**
 * What a dead server said last, as a short signature for telling crashes apart: the first error
 * line after the last log line and the first stack frame of ours, digits and addresses blurred.
 */
export function crashSignature(log: string, exit: { code: number | null; signal: NodeJS.Signals | null }): { signature: string; tail: string } {
  const lines = log.split('\n');
  const tail = lines.slice(-40).join('\n');
  const plain = lines.filter((l) => l.trim() !== '' && !l.startsWith('{'));
  const error = plain.find((l) => /(Error|error|FATAL|fatal|Abort|abort|panic)/.test(l)) ?? plain[0];
  const frame = plain.find((l) => /^\s+at .*(src|dist|sluice|main\.js)/.test(l)) ?? '';
  // A JSON log line about the failure (a process-level handler that logged, then exited).
  const fatalJson = lines.filter((l) => l.startsWith('{') && /"level":"(fatal|error)"/.test(l)).pop();
  const text = error ?? (fatalJson === undefined ? `exit ${exit.code ?? exit.signal}` : (JSON.parse(fatalJson) as { msg?: string }).msg ?? fatalJson);
  const blur = (s: string) => s.replace(/file:\/\/\S+\//g, '').replace(/:\d+:\d+/g, '').replace(/\d+/g, '#').trim();
  return { signature: `${blur(text)}${frame === '' ? '' : ` ${blur(frame)}`} (exit ${exit.code ?? exit.signal})`, tail };
}
