import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBTimestampNanosecondsValue, type DuckDBValue } from '@duckdb/node-api';
import { SluiceDatabase, type OpenDatabaseOptions } from '../../src/database/database.js';
import { LocalObjectStore } from '../../src/objectstore/local.js';
import type { ObjectStore } from '../../src/objectstore/types.js';
import type { QueryResult } from '../../src/query/engine.js';

/** A database on a local directory in a fresh temp dir; `cleanup` closes it and removes the dir. */
export async function tempDatabase(options: Partial<OpenDatabaseOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-db-test-'));
  const store = await LocalObjectStore.open({ root: dir });
  const open = (extra: Partial<OpenDatabaseOptions> = {}) => SluiceDatabase.open({ store, nodeId: 'node1', wal: { flushIntervalMs: 5 }, ...options, ...extra });
  const db = await open();
  return {
    dir,
    store,
    db,
    open,
    cleanup: async (...dbs: SluiceDatabase[]) => {
      for (const d of [db, ...dbs]) await d.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A cell as a comparable string: bigints and timestamps exactly, floats with all digits. */
export function cell(v: DuckDBValue): string {
  if (v === null) return 'null';
  if (v instanceof DuckDBTimestampNanosecondsValue) return `t${v.nanos}`;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  return JSON.stringify(v);
}

/** Rows as `col=value` strings, for exact comparisons. */
export function rowStrings(result: QueryResult): string[] {
  return result.rows.map((row) => row.map((v, i) => `${result.columns[i]!.name}=${cell(v)}`).join(' '));
}

export async function queryRows(db: SluiceDatabase, database: string, sql: string): Promise<string[]> {
  return rowStrings(await db.query.query(database, sql));
}

export async function walFileCount(store: ObjectStore, nodeId: string): Promise<number> {
  const page = await store.list({ prefix: `${nodeId}/wal/` });
  return page.objects.length;
}

/** Resolves once `check` holds, polling every `pollMs`; throws naming `what` after `timeoutMs`. */
export async function until(what: string, timeoutMs: number, check: () => Promise<boolean>, pollMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
