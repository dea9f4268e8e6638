/**
 * A peer database run as a child process for comparisons (InfluxDB 1.x in the tests and benches,
 * VictoriaMetrics in the query bench): started on a free loopback port with a private temp
 * directory, ready once its health route answers, stopped with SIGTERM (SIGKILL after a grace)
 * and its directory removed.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (a small race until the server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface PeerProcessOptions {
  /** For messages, e.g. `influxd`. */
  name: string;
  command: string;
  args: readonly string[];
  /** Its private directory, removed when it stops. */
  dir: string;
  port: number;
  /** GET this path until it answers `readyStatus` … */
  healthPath: string;
  readyStatus: number;
  /** … within this long. */
  startTimeoutMs: number;
  /** SIGKILL this long after SIGTERM. */
  killAfterMs: number;
}

/** Starts the peer and resolves once it is ready; a peer that exits or never gets ready is stopped and the error carries its output. */
export async function startPeerProcess(o: PeerProcessOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(o.command, [...o.args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${o.port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), o.killAfterMs);
      await exited;
      clearTimeout(timer);
    }
    await rm(o.dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + o.startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`${o.name} exited (${child.exitCode ?? child.signalCode}) before answering ${o.healthPath}: ${log}`);
    }
    try {
      const res = await fetch(`${url}${o.healthPath}`);
      await res.arrayBuffer();
      if (res.status === o.readyStatus) break;
    } catch {
      // not listening yet: try again until the deadline
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${o.name} did not answer ${o.healthPath} within ${o.startTimeoutMs / 1000} s: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, stop };
}
