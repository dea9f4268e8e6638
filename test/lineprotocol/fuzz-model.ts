/**
 * An independent model of what a write must store, for the end-to-end half of the fuzz suite:
 * given the points the parser reads from a body, it decides line by line what the catalog must
 * refuse (reserved or bad names, a type that conflicts, a time outside the storable range, a
 * limit) and keeps the rows a query must return — one per series and time, each field its last
 * written value, as the buffer and the Parquet files deduplicate. Written from the documented
 * rules (docs/line-protocol.md), not from the validator's code.
 */
import { LineProtocolError } from '../../src/lineprotocol/errors.js';
import type { Point } from '../../src/lineprotocol/parser.js';
import { FieldKind } from '../../src/wal/model.js';

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const UNIT_NS: Record<string, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };
const TYPE_OF_KIND: Record<number, string> = { [FieldKind.String]: 'string', [FieldKind.Int64]: 'int64', [FieldKind.UInt64]: 'uint64', [FieldKind.Float64]: 'float64', [FieldKind.Boolean]: 'bool' };

/** One stored row: tags, fields (as comparable text) and time, by column name. */
interface ModelRow {
  cells: Map<string, string>;
}

interface ModelTable {
  columns: Map<string, string>;
  /** Rows by series and time. */
  rows: Map<string, ModelRow>;
}

/** What the model expects of one write. */
export interface ExpectedWrite {
  /** Line numbers that must be reported, ascending (with accept_partial false, the first only). */
  rejected: number[];
  /** Lines that must be stored. */
  stored: number;
  /** The body has no line at all. */
  isEmpty: boolean;
}

/** The comparable text of a value, as `cell()` of test/support/db-helpers.ts writes a query's. */
export function cellOfValue(kind: number, value: string | bigint | number | boolean): string {
  switch (kind) {
    case FieldKind.Int64:
    case FieldKind.UInt64:
      return `${BigInt(value as bigint)}n`;
    case FieldKind.Float64:
      return Object.is(value, -0) ? '-0' : String(value);
    case FieldKind.Boolean:
      return String(value);
    default:
      return JSON.stringify(value);
  }
}

function isGoodName(name: string): boolean {
  const bytes = Buffer.byteLength(name, 'utf8');
  return bytes >= 1 && bytes <= 511 && !CONTROL.test(name);
}

/** The model of a node's catalog and rows (one gen1 duration, default limits). */
export class WriteModel {
  /** Tables by database, then name. */
  readonly databases = new Map<string, Map<string, ModelTable>>();
  private tableCount = 0;

  constructor(
    private readonly gen1DurationNs: bigint,
    private readonly limits = { maxTables: 2000, maxColumnsPerTable: 500 },
  ) {}

  /** The time a point is stored at, or why it cannot be. */
  private timeOf(point: Point, precision: string, ingestTimeNs: bigint): bigint | undefined {
    let timeNs: bigint;
    if (point.timestamp === undefined) {
      const unit = precision === 'auto' ? 1n : UNIT_NS[precision]!;
      timeNs = ingestTimeNs - (ingestTimeNs % unit); // the ingest time is positive
    } else {
      let unit = precision;
      if (unit === 'auto') {
        const magnitude = point.timestamp < 0n ? -point.timestamp : point.timestamp;
        unit = magnitude < 5_000_000_000n ? 's' : magnitude < 5_000_000_000_000n ? 'ms' : magnitude < 5_000_000_000_000_000n ? 'us' : 'ns';
      }
      timeNs = point.timestamp * UNIT_NS[unit]!;
      if (timeNs < I64_MIN || timeNs > I64_MAX) return undefined;
    }
    // the gen1 window the row falls in must start and end inside int64
    const g = this.gen1DurationNs;
    const windowStartNs = timeNs >= 0n ? (timeNs / g) * g : -((-timeNs + g - 1n) / g) * g;
    if (windowStartNs < I64_MIN || windowStartNs + g > I64_MAX) return undefined;
    return timeNs;
  }

  /**
   * Applies a body's points (and parse errors) as a write with these options would, and says
   * what the write must answer. With `acceptPartial` false, a body with a bad line changes nothing.
   */
  apply(db: string, entries: ReadonlyArray<Point | LineProtocolError>, options: { precision: string; acceptPartial: boolean; ingestTimeNs: bigint }): ExpectedWrite {
    const rejected: number[] = [];
    const tables = this.databases.get(db) ?? new Map<string, ModelTable>();
    // The columns of the tables this body touches, as they would be after it (committed at the end).
    const draft = new Map<string, Map<string, string>>();
    const newTables = new Set<string>();
    const rows: Array<{ table: string; key: string; cells: Map<string, string> }> = [];
    for (const entry of entries) {
      if (entry instanceof LineProtocolError) {
        rejected.push(entry.lineNumber);
        continue;
      }
      const timeNs = this.timeOf(entry, options.precision, options.ingestTimeNs);
      const known = draft.get(entry.measurement) ?? tables.get(entry.measurement)?.columns;
      let ok = timeNs !== undefined;
      if (ok && known === undefined) ok = isGoodName(entry.measurement) && this.tableCount + newTables.size < this.limits.maxTables;
      const columns = new Map(known ?? [['time', 'time']]);
      const keys: Array<[string, string]> = [...entry.tags.map(([k]): [string, string] => [k, 'tag']), ...entry.fields.map(([k, kind]): [string, string] => [k, TYPE_OF_KIND[kind]!])];
      for (const [name, type] of keys) {
        if (!ok) break;
        if (name === 'time') ok = false; // reserved for the timestamp
        else if (columns.has(name)) ok = columns.get(name) === type;
        else if (!isGoodName(name) || columns.size + 1 > this.limits.maxColumnsPerTable) ok = false;
        else columns.set(name, type);
      }
      if (!ok) {
        rejected.push(entry.lineNumber);
        continue;
      }
      draft.set(entry.measurement, columns);
      if (known === undefined) newTables.add(entry.measurement);
      const tags = [...entry.tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const cells = new Map<string, string>();
      for (const [k, v] of tags) cells.set(k, JSON.stringify(v));
      for (const [k, kind, v] of entry.fields) cells.set(k, cellOfValue(kind, v));
      cells.set('time', `t${timeNs}`);
      rows.push({ table: entry.measurement, key: `${JSON.stringify(tags)}@${timeNs}`, cells });
    }
    rejected.sort((a, b) => a - b);
    const isRefused = !options.acceptPartial && rejected.length > 0;
    const expected: ExpectedWrite = { rejected: isRefused ? rejected.slice(0, 1) : rejected, stored: isRefused ? 0 : rows.length, isEmpty: entries.length === 0 };
    if (expected.stored === 0) return expected; // nothing written: no database, table or column either
    // Commit: the schema, then the rows (a later row of a series and time overwrites the fields it has).
    this.databases.set(db, tables);
    for (const [name, columns] of draft) {
      const table = tables.get(name);
      if (table === undefined) {
        tables.set(name, { columns, rows: new Map() });
        this.tableCount++;
      } else {
        table.columns = columns;
      }
    }
    for (const row of rows) {
      const target = tables.get(row.table)!.rows;
      const old = target.get(row.key);
      if (old === undefined) target.set(row.key, { cells: row.cells });
      else for (const [k, v] of row.cells) old.cells.set(k, v);
    }
    return expected;
  }

  /**
   * The rows a query of table `name` must return, as `col=value` strings sorted by column name,
   * sorted. `isZeroSigned` false: a float -0 is expected as 0 (see the end-to-end test's Parquet pass).
   */
  rowsOf(db: string, name: string, isZeroSigned = true): string[] {
    const table = this.databases.get(db)?.get(name);
    if (table === undefined) return [];
    const out: string[] = [];
    for (const row of table.rows.values()) {
      const cells = [...row.cells].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      out.push(cells.map(([k, v]) => `${k}=${!isZeroSigned && v === '-0' ? '0' : v}`).join(' '));
    }
    return out.sort();
  }

  /** The schema of a database, as `table: col:type, …` lines sorted. */
  schemaOf(db: string): string[] {
    const tables = this.databases.get(db);
    if (tables === undefined) return [];
    return [...tables].map(([name, t]) => `${JSON.stringify(name)}: ${[...t.columns].map(([c, ty]) => `${JSON.stringify(c)}:${ty}`).sort().join(', ')}`).sort();
  }
}
