/**
 * Times as InfluxDB 3 writes them in SQL: RFC3339 strings (`'2024-01-01T00:00:00Z'`,
 * `'2024-01-01 00:00:00.123456789+02:00'`, `'2024-01-01'`) read exactly to the nanosecond, and
 * the AST nodes that carry a nanosecond time to the engine (`make_timestamp_ns(<integer>)`, the
 * form time pruning reads without evaluating it: `constantTimeNs` in `./engine.ts`).
 */
import { parseJsonKeepingBigInts, type AstNode } from './ast.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(?:([Zz])|([+-])(\d{2}):?(\d{2})?)?$/;

/** Nanoseconds since the Unix epoch of an RFC3339 (or ISO date) string; undefined if it is none or out of range. */
export function rfc3339ToNs(text: string): bigint | undefined {
  const m = RFC3339.exec(text.trim());
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2024-02-30 over into March: such a date is no date.
  if (new Date(ms).getUTCDate() !== day || year < 1678 || year > 2261) return undefined;
  let ns = BigInt(ms) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0') || '0');
  if (m[9] !== undefined) {
    const offsetMinutes = Number(m[10]) * 60 + Number(m[11] ?? '0');
    if (Number(m[10]) > 23 || Number(m[11] ?? '0') > 59) return undefined;
    ns -= BigInt(m[9] === '+' ? offsetMinutes : -offsetMinutes) * 60_000_000_000n;
  }
  // TIMESTAMP_NS holds int64 nanoseconds (about 1677-09-21 to 2262-04-11).
  return ns > -(2n ** 63n) && ns < 2n ** 63n - 1n ? ns : undefined;
}

/** The string of a VARCHAR constant node, else undefined. */
export function stringConstant(node: unknown): string | undefined {
  const n = node as AstNode | undefined;
  const value = n?.value as { type?: { id?: unknown }; is_null?: unknown; value?: unknown } | undefined;
  return n?.class === 'CONSTANT' && value?.type?.id === 'VARCHAR' && value.is_null === false && typeof value.value === 'string' ? value.value : undefined;
}

/** `make_timestamp_ns(<ns>)` as an AST node, at `location` (a query_location of the node it replaces). */
export function timestampNode(ns: bigint, location: unknown): AstNode {
  // A BIGINT constant past 2^53 must be a marked integer (see ast.ts): made by its own parser.
  const value = (parseJsonKeepingBigInts(`{"v":${ns}}`) as { v: unknown }).v;
  const constant = { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', query_location: location, value: { type: { id: 'BIGINT', type_info: null }, is_null: false, value } };
  return functionNode('make_timestamp_ns', [constant], location);
}

/** A plain function call node. */
export function functionNode(name: string, children: unknown[], location: unknown, schema = ''): AstNode {
  return { class: 'FUNCTION', type: 'FUNCTION', alias: '', query_location: location, function_name: name, schema, children, filter: null, order_bys: { type: 'ORDER_MODIFIER', orders: [] }, distinct: false, is_operator: false, export_state: false, catalog: '' };
}

/** `CAST(child AS <type>)` as an AST node. */
export function castNode(child: unknown, type: string, location: unknown): AstNode {
  return { class: 'CAST', type: 'OPERATOR_CAST', alias: '', query_location: location, child, cast_type: { id: type, type_info: null }, try_cast: false };
}

/** Whether `node` is a reference to a `time` column (`time`, `cpu.time`). */
export function isTimeColumn(node: unknown): boolean {
  const n = node as AstNode | undefined;
  if (n?.class !== 'COLUMN_REF') return false;
  const names = n.column_names as unknown[];
  return Array.isArray(names) && names[names.length - 1] === 'time';
}
