/**
 * An InfluxQL statement's series as the one flat table InfluxDB 3's `/api/v3/query_influxql`
 * answers: `iox::measurement` (the series name), `time`, the GROUP BY tags, then the other
 * columns, each in the order it first appears; a series that lacks a column has null there. The
 * table is written by the same formatters as `/api/v3/query_sql` (src/query/format.ts: json,
 * jsonl, csv, pretty) or as Parquet (format-parquet.ts).
 */
import { DuckDBTimestampNanosecondsValue, type DuckDBValue } from '@duckdb/node-api';
import type { QueryColumn } from '../query/engine.js';
import type { InfluxValue, Series } from './result.js';

/** The name of InfluxDB 3's measurement column. */
export const MEASUREMENT_COLUMN = 'iox::measurement';

/** The flat table: its columns with DuckDB type names, and a way to walk its rows. */
export interface FlatTable {
  columns: QueryColumn[];
  /** Rows in series order; values are what src/query/format.ts formats (time as TIMESTAMP_NS). */
  rows(): Generator<DuckDBValue[]>;
  rowCount: number;
}

type Kind = 'time' | 'float' | 'integer' | 'unsigned' | 'string' | 'boolean' | 'null' | 'mixed';

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function kindOf(v: InfluxValue): Kind {
  switch (typeof v) {
    case 'number':
      return 'float';
    case 'bigint':
      return v < I64_MIN || v > I64_MAX ? 'unsigned' : 'integer';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    default:
      return 'null';
  }
}

/** Two kinds of one column met in different rows or series. */
function merge(a: Kind, b: Kind): Kind {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  const numeric = new Set<Kind>(['float', 'integer', 'unsigned']);
  if (numeric.has(a) && numeric.has(b)) return a === 'float' || b === 'float' ? 'float' : 'unsigned';
  return 'mixed';
}

/** The DuckDB type a column's kind is written as. */
const TYPE: Record<Kind, string> = {
  time: 'TIMESTAMP_NS',
  float: 'DOUBLE',
  integer: 'BIGINT',
  unsigned: 'UBIGINT',
  string: 'VARCHAR',
  boolean: 'BOOLEAN',
  null: 'VARCHAR',
  mixed: 'VARCHAR',
};

/** A value in a column of kind `kind`: numbers of a float column as doubles, other kinds' odd values as text. */
function cell(v: InfluxValue, kind: Kind): DuckDBValue {
  if (v === null) return null;
  if (kind === 'float') return typeof v === 'bigint' ? Number(v) : v;
  if (kind === 'mixed') return typeof v === 'string' ? v : String(v);
  return v;
}

/** Lays out `series` (one statement's) as InfluxDB 3's flat table. */
export function flattenSeries(series: readonly Series[]): FlatTable {
  const names: string[] = [MEASUREMENT_COLUMN];
  const index = new Map<string, number>([[MEASUREMENT_COLUMN, 0]]);
  const kinds: Kind[] = ['string'];
  const add = (name: string, kind: Kind): number => {
    let i = index.get(name);
    if (i === undefined) {
      i = names.length;
      index.set(name, i);
      names.push(name);
      kinds.push(kind);
    } else kinds[i] = merge(kinds[i]!, kind);
    return i;
  };
  if (series.some((s) => s.timeColumn)) add('time', 'time');
  for (const s of series) for (const k of Object.keys(s.tags ?? {})) add(k, 'string');
  // Per series: where each of its columns lands (time stays time).
  const layouts = series.map((s) => s.columns.map((c, ci) => (ci === 0 && s.timeColumn ? index.get('time')! : add(c, 'null'))));
  let rowCount = 0;
  series.forEach((s, si) => {
    const layout = layouts[si]!;
    rowCount += s.values.length;
    for (const row of s.values) {
      for (let c = 0; c < row.length; c++) {
        if (c === 0 && s.timeColumn) continue;
        const i = layout[c]!;
        kinds[i] = merge(kinds[i]!, kindOf(row[c]!));
      }
    }
  });
  const columns = names.map((name, i) => ({ name, type: TYPE[kinds[i]!] }));
  function* rows(): Generator<DuckDBValue[]> {
    for (let si = 0; si < series.length; si++) {
      const s = series[si]!;
      const layout = layouts[si]!;
      const tagCells = Object.entries(s.tags ?? {}).map(([k, v]) => [index.get(k)!, v] as const);
      for (const row of s.values) {
        const out = new Array<DuckDBValue>(names.length).fill(null);
        out[0] = s.name;
        for (const [i, v] of tagCells) out[i] = v;
        for (let c = 0; c < row.length; c++) {
          const v = row[c]!;
          const i = layout[c]!;
          if (c === 0 && s.timeColumn) out[i] = typeof v === 'bigint' ? new DuckDBTimestampNanosecondsValue(v) : null;
          else out[i] = cell(v, kinds[i]!);
        }
        yield out;
      }
    }
  }
  return { columns, rows, rowCount };
}

/**
 * `SHOW DATABASES` as InfluxDB 3's `/api/v3/query_influxql` answers it: `iox::database` and
 * `deleted` (Sluice never keeps a deleted database, so always false), not a measurement column.
 */
export function flattenDatabases(series: readonly Series[]): FlatTable {
  const names = series.flatMap((s) => s.values.map((row) => row[0]));
  return {
    columns: [
      { name: 'iox::database', type: 'VARCHAR' },
      { name: 'deleted', type: 'BOOLEAN' },
    ],
    rowCount: names.length,
    *rows() {
      for (const name of names) yield [typeof name === 'string' ? name : String(name), false];
    },
  };
}
