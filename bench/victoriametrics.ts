/**
 * VictoriaMetrics single-node as a bench peer: Debian's `victoria-metrics` (1.79), installed when
 * missing and started directly (never as a service) on a private temp `-storageDataPath`, a free
 * loopback port and `-retentionPeriod=100y` (the default month would drop the dataset's fixed
 * 2025 timestamps). It takes line protocol on its InfluxDB `/write` endpoint — each field becomes
 * the series `cpu_<field>`, tags become labels, plus `db=<db>` — and answers MetricsQL on
 * `/api/v1/query_range`. A 204 only means the rows are in memory: `/internal/force_flush` makes
 * them searchable.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A running VictoriaMetrics. */
export interface VictoriaMetrics {
  url: string;
  /** The Debian package's version, e.g. `1.79.5+ds1-2+b5` (the binary prints none). */
  version: string;
  /** Makes everything written searchable (`/internal/force_flush`). */
  flush(): Promise<void>;
  /** SIGTERM, SIGKILL after 10 s; removes its data directory. */
  stop(): Promise<void>;
}

async function isOnPath(binary: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${binary}`]);
    return true;
  } catch {
    return false; // `command -v` exits non-zero when the binary is missing
  }
}

/**
 * Installs Debian's `victoria-metrics` when `victoria-metrics` is not on PATH: as root or through
 * `sudo -n`, with a policy-rc.d that keeps the package from starting its service (as
 * scripts/influxdb1-test-server.sh does for influxd).
 */
export async function ensureVictoriaMetricsInstalled(): Promise<void> {
  if (await isOnPath('victoria-metrics')) return;
  const sudo = process.getuid?.() === 0 ? '' : 'sudo -n ';
  const script = `set -e
policy=/usr/sbin/policy-rc.d; created=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\\nexit 101\\n' | ${sudo}tee "$policy" >/dev/null; ${sudo}chmod +x "$policy"; created=1; fi
trap '[ "$created" = 1 ] && ${sudo}rm -f "$policy"' EXIT
${sudo}apt-get update -qq
DEBIAN_FRONTEND=noninteractive ${sudo}apt-get install -y -qq --no-install-recommends victoria-metrics >/dev/null`;
  try {
    await run('bash', ['-c', script], { maxBuffer: 1 << 20 });
  } catch (err) {
    throw new Error(`victoria-metrics is not installed and installing it failed (as root: apt-get install victoria-metrics): ${(err as Error).message}`);
  }
}

/** A free TCP port on 127.0.0.1 (a small race until the server binds it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts VictoriaMetrics (installing it first if needed) and resolves once `/health` answers. */
export async function startVictoriaMetrics(): Promise<VictoriaMetrics> {
  await ensureVictoriaMetricsInstalled();
  const version = (await run('dpkg-query', ['-W', '-f=${Version}', 'victoria-metrics']).catch(() => ({ stdout: 'unknown' }))).stdout.trim();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-vm-'));
  const port = await freePort();
  const child = spawn('victoria-metrics', [`-storageDataPath=${join(dir, 'data')}`, `-httpListenAddr=127.0.0.1:${port}`, '-retentionPeriod=100y', '-loggerLevel=WARN'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`victoria-metrics exited (${child.exitCode ?? child.signalCode}) before answering /health: ${log}`);
    }
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet: try again until the deadline
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`victoria-metrics did not answer /health within 120 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const flush = async (): Promise<void> => {
    const res = await fetch(`${url}/internal/force_flush`);
    await res.text();
    if (res.status !== 200) throw new Error(`victoria-metrics /internal/force_flush answered ${res.status}`);
  };
  return { url, version, flush, stop };
}
