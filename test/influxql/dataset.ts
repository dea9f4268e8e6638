/**
 * The seeded dataset of the InfluxQL differential tests: the same line protocol is written to
 * InfluxDB 1.x and to Sluice. Times are fixed in the past (2017-07-14 02:40 to 06:40 UTC, at
 * irregular intervals, some with nanoseconds); the seed picks the intervals and the values.
 * Only what InfluxDB 1.6 accepts: no unsigned fields (Debian's influxd refuses `v=5u` with 400
 * "invalid number"), one type per field per measurement.
 */
import type { Rng } from '../../src/effects/rng.js';

/** The first point's time: 2017-07-14T02:40:00Z (Grafana's example `$timeFilter` starts here). */
export const T0_NS = 1_500_000_000_000_000_000n;
/** The data spans four hours from {@link T0_NS}. */
export const SPAN_NS = 4n * 3600n * 1_000_000_000n;

/** The main database and a second one (for `SHOW DATABASES` and `db.rp.m` sources). */
export const DB = 'diff';
export const OTHER_DB = 'other';

/** Line protocol for each database, one point a line, precision ns. */
export interface Dataset {
  lines: Record<string, string[]>;
}

const NS_PER_S = 1_000_000_000n;

/** Irregular times from T0 for one series: gaps of `minS`..`maxS` seconds, every third with a sub-second part. */
function times(rng: Rng, minS: number, maxS: number): bigint[] {
  const out: bigint[] = [];
  let t = T0_NS + BigInt(rng.nextInt(maxS)) * NS_PER_S;
  while (t < T0_NS + SPAN_NS) {
    out.push(t);
    let gap = BigInt(minS + rng.nextInt(maxS - minS + 1)) * NS_PER_S;
    const k = rng.nextInt(3);
    if (k === 1) gap += BigInt(rng.nextInt(1000)) * 1_000_000n; // milliseconds
    else if (k === 2) gap += BigInt(rng.nextInt(1_000_000_000)); // nanoseconds
    t += gap;
  }
  return out;
}

/** A float with two decimals in [lo, hi), written as line protocol writes it. */
function float2(rng: Rng, lo: number, hi: number): string {
  return String(Math.round((lo + rng.nextFloat() * (hi - lo)) * 100) / 100);
}

/**
 * A float with four decimals in [lo, hi): values of the selectors' fields rarely repeat, since
 * InfluxDB picks the time of one of several equal values by its unstable sort.
 */
function float4(rng: Rng, lo: number, hi: number): string {
  return String(Math.round((lo + rng.nextFloat() * (hi - lo)) * 10_000) / 10_000);
}

/** The dataset for a seed. */
export function buildDataset(rng: Rng): Dataset {
  const diff: string[] = [];
  const other: string[] = [];

  // cpu: host and region tags (server04 has no region; one series has no host), float and
  // integer fields, usage_system missing from about one point in six.
  const cpuSeries = [
    'cpu,host=server01,region=us-west',
    'cpu,host=server02,region=us-west',
    'cpu,host=server03,region=us-east',
    'cpu,host=server04',
    'cpu,region=us-east',
  ];
  // Each series' times are offset by its index in nanoseconds: no two points of one measurement
  // share a time (InfluxDB orders such ties arbitrarily; the measurement `ties` has them on purpose).
  for (const [k, series] of cpuSeries.entries()) {
    for (const t0 of times(rng, 60, 420)) {
      const t = t0 + BigInt(k);
      const fields = [`usage_user=${float4(rng, 0, 100)}`];
      if (rng.nextInt(6) !== 0) fields.push(`usage_system=${float4(rng, 0, 30)}`);
      fields.push(`usage_idle=${float4(rng, 0, 100)}`, `procs=${100 + rng.nextInt(300)}i`);
      diff.push(`${series} ${fields.join(',')} ${t}`);
    }
  }

  // mem: integer fields (one above 2^32), a float; free missing from some points.
  for (const [k, host] of ['server01', 'server02', 'server03'].entries()) {
    for (const t0 of times(rng, 120, 600)) {
      const t = t0 + BigInt(k);
      const used = 1_000_000_000 + rng.nextInt(1_000_000_000) * 4;
      const fields = [`used=${used}i`];
      if (rng.nextInt(5) !== 0) fields.push(`free=${17_179_869_184 - used}i`);
      fields.push(`used_percent=${float4(rng, 5, 95)}`);
      diff.push(`mem,host=${host} ${fields.join(',')} ${t}`);
    }
  }

  // counters: integers past 2^53 (exact in JSON or not at all).
  let c = 9_007_199_254_740_993n;
  for (const t of times(rng, 300, 900)) {
    c += BigInt(1 + rng.nextInt(1000));
    diff.push(`counters,kind=big value=${c}i ${t}`);
  }

  // net: a counter that resets (non_negative_derivative), negative and zero floats (abs, ceil, ln of ≤ 0).
  let bytes = 1_000_000;
  let point = 0;
  for (const t of times(rng, 30, 240)) {
    bytes = rng.nextInt(12) === 0 ? rng.nextInt(5000) : bytes + rng.nextInt(200_000);
    const delta = rng.nextInt(10) === 0 ? '0' : float4(rng, -50, 50);
    // state and status: one value in two points of three or more, so mode() has a single answer
    // (InfluxDB's ties over more than 12 points are not reproducible).
    const common = point++ % 3 !== 0 || rng.nextInt(10) < 6;
    const state = common ? 1 : 2 + rng.nextInt(8);
    const status = common ? 'ok' : ['warn', 'crit'][rng.nextInt(2)]!;
    diff.push(`net,host=server01,iface=eth0 bytes_recv=${bytes}i,delta=${delta},state=${state}i,status="${status}" ${t}`);
  }

  // events: string and boolean fields, some missing; strings with spaces, quotes and commas.
  const messages = ['deploy started', 'deploy "v2" done', 'alert: disk, 90%', 'all clear', 'restart'];
  for (const [k, kind] of ['deploy', 'alert'].entries()) {
    for (const t0 of times(rng, 600, 1800)) {
      const t = t0 + BigInt(k);
      const fields: string[] = [];
      if (rng.nextInt(4) !== 0) fields.push(`message="${messages[rng.nextInt(messages.length)]!.replace(/"/g, '\\"')}"`);
      if (rng.nextInt(4) !== 0) fields.push(`ok=${rng.nextInt(2) === 0 ? 'true' : 'false'}`);
      fields.push(`code=${rng.nextInt(5)}i`);
      diff.push(`events,kind=${kind} ${fields.join(',')} ${t}`);
    }
  }

  // Names that need quoting: upper case (Cpu is not cpu), a space in a measurement, a space in a
  // tag key, a comma in a tag value, a space in a field key.
  for (const t of times(rng, 900, 2400)) diff.push(`Cpu,host=server01,Region=EU usage_user=${float2(rng, 0, 100)} ${t}`);
  for (const t of times(rng, 900, 2400)) diff.push(`disk\\ io,mount\\ point=/var\\,log,host=server02 read\\ bytes=${rng.nextInt(1_000_000)}i,util=${float2(rng, 0, 1)} ${t}`);

  // ties: three series whose points share their times.
  for (const t of times(rng, 600, 1800)) for (const host of ['a', 'b', 'c']) diff.push(`ties,host=${host} v=${rng.nextInt(100)}i ${t}`);

  // modes: mode() ties over up to 12 points of a series, where InfluxDB's order is time order:
  // each seeded series holds two or three values equally often, in a shuffled order.
  for (let k = 0; k < 8; k++) {
    const values = ['crit', 'ok', 'warn'].slice(0, 2 + rng.nextInt(2));
    const per = 1 + rng.nextInt(Math.floor(12 / values.length));
    const series = values.flatMap((v) => Array<string>(per).fill(v));
    for (let i = series.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [series[i], series[j]] = [series[j]!, series[i]!];
    }
    series.forEach((v, i) => diff.push(`modes,case=c${k} s="${v}",i=${v.length * 10 + v.charCodeAt(0)}i,f=${v.length / 8} ${T0_NS + BigInt(i * 60) * NS_PER_S}`));
  }

  // The other database.
  for (const t of times(rng, 600, 1800)) other.push(`load,host=server01 load1=${float2(rng, 0, 4)} ${t}`);

  return { lines: { [DB]: diff, [OTHER_DB]: other } };
}
