/**
 * What the meta statement tests share: the data written to both InfluxDB 1.6.7 and Sluice, an
 * InfluxQL environment over a Sluice database, and answers printed as InfluxDB's /query JSON.
 */
import type { SluiceDatabase } from '../../src/database/database.js';
import { runInfluxQL, type InfluxQLEnvironment, type InfluxQLOptions } from '../../src/influxql/executor.js';
import type { StatementResult } from '../../src/influxql/result.js';

/** Database `t` (two shard groups: the week of 2020-01-01 and the week of 2020-01-20). */
export const META_DATA = String.raw`cpu,host=a,region=us v=1,i=10i,s="x",b=true 1577836800000000000
cpu,host=a,region=us v=3,i=20i 1577836830000000000
cpu,host=b,region=eu v=2,i=5i,s="y" 1577836810000000000
cpu,host=b,region=eu v=8 1577836870000000000
cpu,host=c v=4,i=-3i 1577836865000000000
cpu,host=a,region=us v=5,i=7i 1577836930000000000
cpu,host=e,region=ap v=9 1579478400000000000
mem,host=a used=100i,free=1.5 1577836800000000000
mem,host=b used=200i 1577836860000000000
disk\ io,host=d,mount\ point=/var rate=1.5 1577836800000000000
disk\ io,host=d,mount\ point=/home rate=2.5 1577836800000000000
events value="started",ok=true 1577836800000000000
events value="stopped",ok=false 1577836900000000000
Cpu,Host=A v=1 1577836800000000000
net,host=a\,b,iface=eth\ 0,zone=x\=y rx=1i 1577836800000000000
dup,x=1,y=1 f=1 1577836800000000000
dup,x=2,y=1 f=1 1577836800000000000`;
/** Database `other`. */
export const OTHER_DATA = 'load,host=z v=1 1577836800000000000';

/** A Sluice database as InfluxQL sees it. */
export function environmentOf(db: SluiceDatabase): InfluxQLEnvironment {
  return { catalog: db.catalog, query: db.query, createDatabase: (name) => db.createDatabase(name), nowNs: () => BigInt(Date.now()) * 1_000_000n };
}

/** A statement result as InfluxDB 1.x's /query JSON prints it (a series without a name has none). */
export function influxJson(result: StatementResult): string {
  const out: Record<string, unknown> = { statement_id: result.statement_id };
  if (result.series !== undefined) {
    out.series = result.series.map((s) => ({
      ...(s.name === '' ? {} : { name: s.name }),
      ...(s.tags === undefined ? {} : { tags: s.tags }),
      columns: s.columns,
      ...(s.values.length === 0 ? {} : { values: s.values }),
    }));
  }
  if (result.messages !== undefined) out.messages = result.messages;
  if (result.error !== undefined) out.error = result.error;
  return JSON.stringify(out, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
}

/** Every statement's answer to `q`, as InfluxDB's JSON. */
export async function answers(env: InfluxQLEnvironment, q: string, options: InfluxQLOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const r of runInfluxQL(env, q, options)) out.push(influxJson(r));
  return out;
}
