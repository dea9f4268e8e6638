/**
 * InfluxDB 3's SQL functions that DuckDB lacks, as macros in the engine's `sluice` schema,
 * created once when the engine opens. Queries reach them through the dialect rewrite
 * (`src/query/dialect.ts`), which qualifies the user's `date_bin(...)` as `sluice.date_bin(...)`:
 * the user's text never becomes SQL here, and a macro never shadows one of DuckDB's functions.
 * Times are nanosecond timestamps (`TIMESTAMP_NS`), as `time` is.
 */
export const DIALECT_MACROS: readonly string[] = [
  // Floor of `t` to a multiple of `s` after `o` (all nanoseconds), also for times before `o`.
  'CREATE MACRO sluice.bin_ns(s, t, o) AS o + (t - o) - (((t - o) % s) + s) % s',
  // An interval as nanoseconds: DataFusion's date_bin takes no months (their length varies).
  "CREATE MACRO sluice.stride_ns(i) AS CASE WHEN datepart('month', i) <> 0 OR datepart('year', i) <> 0 THEN error('date_bin: a stride of months or years is not supported, use days or less') WHEN epoch_ns(make_timestamp_ns(0) + i) <= 0 THEN error('date_bin: the stride must be a positive interval') ELSE epoch_ns(make_timestamp_ns(0) + i) END",
  // date_bin(stride, source[, origin]): the start of the bin holding `source`; bins start at `origin` (default the Unix epoch).
  'CREATE MACRO sluice.date_bin(stride, source) AS make_timestamp_ns(sluice.bin_ns(sluice.stride_ns(stride), epoch_ns(CAST(source AS TIMESTAMP_NS)), 0)), (stride, source, origin) AS make_timestamp_ns(sluice.bin_ns(sluice.stride_ns(stride), epoch_ns(CAST(source AS TIMESTAMP_NS)), epoch_ns(CAST(origin AS TIMESTAMP_NS))))',
  // Selectors: a struct {value, time} of one row. Nulls are never selected; ties go to the earliest time.
  "CREATE MACRO sluice.selector_first(v, t) AS arg_min({'value': v, 'time': t}, CASE WHEN v IS NOT NULL THEN t END)",
  "CREATE MACRO sluice.selector_last(v, t) AS arg_max({'value': v, 'time': t}, CASE WHEN v IS NOT NULL THEN t END)",
  "CREATE MACRO sluice.selector_min(v, t) AS arg_min({'value': v, 'time': t}, CASE WHEN v IS NOT NULL THEN {'v': v, 't': epoch_ns(CAST(t AS TIMESTAMP_NS))} END)",
  "CREATE MACRO sluice.selector_max(v, t) AS arg_max({'value': v, 'time': t}, CASE WHEN v IS NOT NULL THEN {'v': v, 't': -epoch_ns(CAST(t AS TIMESTAMP_NS))} END)",
  // to_timestamp(x): a string is an RFC3339 time, a number is seconds since the epoch (fractions kept).
  "CREATE MACRO sluice.to_timestamp(x) AS CASE WHEN typeof(x) = 'VARCHAR' THEN CAST(CAST(CAST(x AS VARCHAR) AS TIMESTAMPTZ) AS TIMESTAMP_NS) WHEN typeof(x) IN ('DOUBLE', 'FLOAT') OR typeof(x) LIKE 'DECIMAL%' THEN make_timestamp_ns(CAST(TRY_CAST(x AS DOUBLE) * 1e9 AS BIGINT)) ELSE make_timestamp_ns(TRY_CAST(x AS BIGINT) * 1000000000) END",
  // to_timestamp_<unit>(x): a number counts that unit since the epoch; a string is truncated to it.
  ...(
    [
      ['seconds', 1000000000n],
      ['millis', 1000000n],
      ['micros', 1000n],
      ['nanos', 1n],
    ] as const
  ).map(
    ([unit, ns]) =>
      `CREATE MACRO sluice.to_timestamp_${unit}(x) AS CASE WHEN typeof(x) = 'VARCHAR' THEN make_timestamp_ns(sluice.bin_ns(${ns}, epoch_ns(CAST(CAST(CAST(x AS VARCHAR) AS TIMESTAMPTZ) AS TIMESTAMP_NS)), 0)) WHEN typeof(x) IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'HUGEINT') THEN make_timestamp_ns(TRY_CAST(x AS BIGINT) * ${ns}) ELSE make_timestamp_ns(CAST(TRY_CAST(x AS DOUBLE) * ${ns} AS BIGINT)) END`,
  ),
  // Conditional and math functions of DataFusion's that DuckDB lacks.
  'CREATE MACRO sluice.nvl2(x, if_not_null, if_null) AS CASE WHEN x IS NOT NULL THEN if_not_null ELSE if_null END',
  'CREATE MACRO sluice.nanvl(x, y) AS CASE WHEN isnan(x) THEN y ELSE x END',
  'CREATE MACRO sluice.iszero(x) AS x = 0',
  "CREATE MACRO sluice.find_in_set(s, list) AS coalesce(list_position(string_split(list, ','), s), 0)",
  'CREATE MACRO sluice.regexp_count(s, pattern) AS len(regexp_extract_all(s, pattern))',
  // Seconds since the epoch (floored), of a time; a number of seconds as a time.
  'CREATE MACRO sluice.to_unixtime(t) AS CAST(floor(epoch_ns(t) / 1e9) AS BIGINT)',
  'CREATE MACRO sluice.from_unixtime(x) AS sluice.to_timestamp_seconds(x)',
  'CREATE MACRO sluice.to_date(x) AS CAST(x AS DATE)',
  // tz(time[, zone]): the wall-clock time in `zone` (default UTC) of a UTC time.
  "CREATE MACRO sluice.tz(t) AS t, (t, zone) AS timezone(zone, CAST(t AS TIMESTAMPTZ))",
];
