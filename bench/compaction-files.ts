/**
 * Parquet files per table per day, before and after compaction (docs/compaction.md, *Measured*):
 * DAYS days of one table (HOSTS series, a line per series every STEP_S seconds, GEN1 windows), a snapshot after every SNAPSHOT_EVERY_MIN minutes of data, LATE_PERCENT of the lines
 * late (into an earlier hour of the last six). Compaction runs in the background after each
 * snapshot, as on a server, with the default cold margin (30 minutes); at the end `compactNow`
 * settles it. "Before" counts every file the snapshots wrote (what a node without compaction
 * keeps); "after", the files the index holds.
 *
 *   npx tsx bench/compaction-files.ts   (DAYS=2 HOSTS=10 STEP_S=10 SNAPSHOT_EVERY_MIN=10 LATE_PERCENT=1 GEN1=1m WARM_HOUR_FILES=0)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SluiceDatabase } from '../src/database/database.js';
import { SeededRng } from '../src/effects/rng.js';
import { LocalObjectStore } from '../src/objectstore/local.js';
import type { PersistedFile } from '../src/persist/manifest.js';

const DAYS = Number(process.env.DAYS ?? 2);
const HOSTS = Number(process.env.HOSTS ?? 10);
const STEP_S = Number(process.env.STEP_S ?? 10);
const SNAPSHOT_EVERY_MIN = Number(process.env.SNAPSHOT_EVERY_MIN ?? 10);
const LATE_PERCENT = Number(process.env.LATE_PERCENT ?? 1);
const GEN1 = (process.env.GEN1 ?? '1m') as '1m' | '5m' | '10m';
const WARM_HOUR_FILES = Number(process.env.WARM_HOUR_FILES ?? 0);
const D0 = 1_699_920_000; // 2023-11-14T00:00:00Z

function perDay(files: Iterable<PersistedFile>): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of files) {
    const day = new Date(Number(f.minTimeNs / 1_000_000n)).toISOString().slice(0, 10);
    out.set(day, (out.get(day) ?? 0) + 1);
  }
  return new Map([...out].sort());
}

const dir = await mkdtemp(join(tmpdir(), 'sluice-compaction-files-'));
const store = await LocalObjectStore.open({ root: dir });
const db = await SluiceDatabase.open({ store, nodeId: 'n', wal: { gen1Duration: GEN1, flushIntervalMs: 5 }, compactionWarmHourMaxFiles: WARM_HOUR_FILES });
const rng = new SeededRng(1);
const started = performance.now();
try {
  const endS = D0 + DAYS * 86_400;
  for (let from = D0; from < endS; from += SNAPSHOT_EVERY_MIN * 60) {
    const lines: string[] = [];
    for (let t = from; t < from + SNAPSHOT_EVERY_MIN * 60; t += STEP_S) {
      for (let h = 0; h < HOSTS; h++) {
        const late = rng.nextInt(100) < LATE_PERCENT ? rng.nextInt(6 * 3600) : 0;
        lines.push(`cpu,host=h${h} usage=${rng.nextInt(10_000) / 100},n=${t}i ${Math.max(D0, t - late)}`);
      }
    }
    await db.writer.writeLp('db', Buffer.from(lines.join('\n')), { precision: 's' });
    await db.snapshotNow();
  }
  await db.compactNow();
  await db.remover.idle();
  const written = perDay(db.persistedFiles.snapshots.flatMap((m) => m.files));
  const kept = perDay(db.persistedFiles.all());
  const stats = db.compactor!.stats;
  console.log(`${DAYS} days, ${HOSTS} series, a line each every ${STEP_S} s, gen1 ${GEN1}, warm-hour files ${WARM_HOUR_FILES || 'off'}, a snapshot every ${SNAPSHOT_EVERY_MIN} min of data, ${LATE_PERCENT}% late lines`);
  console.log('day         files written by snapshots  files after compaction (levels)');
  for (const [day, n] of written) {
    const levels = db.persistedFiles.all().filter((f) => new Date(Number(f.minTimeNs / 1_000_000n)).toISOString().startsWith(day)).map((f) => f.level ?? 1);
    // By width: gen1, ten minutes, hour, six hours, day.
    const byLevel = [1, 5, 2, 4, 3].map((l) => `${levels.filter((x) => x === l).length}×L${l}`).join(' ');
    console.log(`${day}  ${String(n).padStart(26)}  ${String(kept.get(day) ?? 0).padStart(22)} (${byLevel})`);
  }
  const bytesWritten = db.persistedFiles.snapshots.flatMap((m) => m.files).reduce((n, f) => n + f.sizeBytes, 0);
  console.log(`${stats.compactions} compactions, ${stats.filesIn} files in → ${stats.filesOut} out, ${(stats.bytesIn / 1e6).toFixed(1)} MB in → ${(stats.bytesOut / 1e6).toFixed(1)} MB out (snapshots wrote ${(bytesWritten / 1e6).toFixed(1)} MB: compaction wrote ${(stats.bytesOut / bytesWritten).toFixed(2)}× that), ${stats.failures} failures; ${((performance.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await db.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
