/**
 * VictoriaMetrics single-node as a bench peer: Debian's `victoria-metrics` (1.79), installed when
 * missing and started directly (never as a service) on a private temp `-storageDataPath`, a free
 * loopback port and `-retentionPeriod=100y` (the default month would drop the dataset's fixed
 * 2025 timestamps). It takes line protocol on its InfluxDB `/write` endpoint — each field becomes
 * the series `cpu_<field>`, tags become labels, plus `db=<db>` — and answers MetricsQL on
 * `/api/v1/query_range`. A 204 only means the rows are in memory: `/internal/force_flush` makes
 * them searchable.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startPeerProcess } from '../test/support/peer-process.js';

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


/** Starts VictoriaMetrics (installing it first if needed) and resolves once `/health` answers. */
export async function startVictoriaMetrics(): Promise<VictoriaMetrics> {
  await ensureVictoriaMetricsInstalled();
  const version = (await run('dpkg-query', ['-W', '-f=${Version}', 'victoria-metrics']).catch(() => ({ stdout: 'unknown' }))).stdout.trim();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-vm-'));
  const port = await freePort();
  const { url, stop } = await startPeerProcess({
    name: 'victoria-metrics',
    command: 'victoria-metrics',
    args: [`-storageDataPath=${join(dir, 'data')}`, `-httpListenAddr=127.0.0.1:${port}`, '-retentionPeriod=100y', '-loggerLevel=WARN'],
    dir,
    port,
    healthPath: '/health',
    readyStatus: 200,
    startTimeoutMs: 120_000,
    killAfterMs: 10_000,
  });
  const flush = async (): Promise<void> => {
    const res = await fetch(`${url}/internal/force_flush`);
    await res.text();
    if (res.status !== 200) throw new Error(`victoria-metrics /internal/force_flush answered ${res.status}`);
  };
  return { url, version, flush, stop };
}
