/**
 * What running InfluxQL gives back, before it is formatted for a client: per statement, a list
 * of series (InfluxDB 1.x's shape) or an error. The HTTP routes (src/server/influxql-routes.ts)
 * turn it into v1 JSON, CSV or the v3 formats.
 */

/** One value of a result row: exact 64-bit integers as bigint, time as bigint nanoseconds. */
export type InfluxValue = number | bigint | string | boolean | null;

export interface Series {
  /** The measurement (or `databases`, `measurements`, … for SHOW statements). */
  name: string;
  /** The GROUP BY tags of this series (absent when none). */
  tags?: Record<string, string>;
  columns: string[];
  /** Rows; when `timeColumn` is true, column 0 is the time in nanoseconds since the epoch (bigint). */
  values: InfluxValue[][];
  /** True when column 0 is `time` (formatted per `epoch`); false for SHOW answers. */
  timeColumn: boolean;
  /** Set on a chunk of a series that continues in the next chunk. */
  partial?: boolean;
  /** The statement's `tz('…')`: InfluxDB prints RFC3339 times with that zone's offset. */
  timezone?: string;
}

export interface StatementResult {
  statement_id: number;
  series?: Series[];
  /** The statement's error, as InfluxDB words it (`database not found: x`); the others still run. */
  error?: string;
  /** Set on a chunk of a statement's result that continues in the next chunk. */
  partial?: boolean;
  /** Notes InfluxDB adds (e.g. a deprecation warning); rarely used. */
  messages?: Array<{ level: string; text: string }>;
}
