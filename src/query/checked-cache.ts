/**
 * Checked statements by database and text. Checking a statement (parse, serialize its tree,
 * resolve names, apply the dialect, render it back) costs the engine two or three round trips
 * and about 2 ms — as much as running a small query — and dashboards send the same few texts
 * many times a second. A check depends only on the text and the database's schema, so an entry
 * holds while the catalog has not changed (any change drops every entry at once) and nothing in
 * it depends on the time it was made (`now()` stays a call in the checked SQL). Failed checks
 * are not kept. Least recently used entries go first.
 */
import type { DatabaseSchema } from '../catalog/catalog.js';
import type { CheckedQuery } from './sql-check.js';

/** Entries kept. */
const MAX_ENTRIES = 512;
/** Longer texts are checked every time (bounds what the cache holds to a few MB). */
const MAX_TEXT_CHARS = 16_384;

export class CheckedStatementCache {
  private readonly entries = new Map<string, CheckedQuery>();
  private catalogVersion = -1;
  /** Lookups answered from the cache, and made. */
  readonly stats = { hits: 0, lookups: 0 };

  constructor(private readonly currentCatalogVersion: () => number) {}

  /** The checked form of `sql` in `database`: from the cache, or `check()`'s (kept when it succeeds). */
  async get(database: DatabaseSchema, sql: string, check: () => Promise<CheckedQuery>): Promise<CheckedQuery> {
    this.stats.lookups++;
    if (sql.length > MAX_TEXT_CHARS) return check();
    const version = this.currentCatalogVersion();
    if (version !== this.catalogVersion) {
      this.entries.clear();
      this.catalogVersion = version;
    }
    const key = `${database.id}\0${sql}`;
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.stats.hits++;
      this.entries.delete(key); // to the back: most recently used
      this.entries.set(key, hit);
      return hit;
    }
    const checked = await check();
    // Kept only if the catalog did not change while it was being checked.
    if (this.currentCatalogVersion() === this.catalogVersion) {
      this.entries.set(key, checked);
      if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    }
    return checked;
  }
}
