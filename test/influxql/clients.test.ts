/**
 * The InfluxDB 1.x clients against InfluxDB 1.x and Sluice side by side: the `influx` npm client
 * (ping, database names, CREATE DATABASE, writes, queries with RFC3339 and epoch times,
 * GROUP BY time with fill) reads back exactly what it wrote from both, and Debian's `influx` CLI
 * prints the same json, csv and column output for both.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Influx from 'influx';
import { SeededRng, testSeed } from '../../src/effects/rng.js';
import { diffJson, parseJsonExact, startInfluxDB1, startSluice, type TestPeer } from '../support/influxdb1.js';
import { diffColumns, diffCsv } from './compare.js';

const run = promisify(execFile);
const DB = 'clients';
/** 2017-07-14T02:40:00Z, as the differential dataset. */
const T0_NS = 1_500_000_000_000_000_000n;

let influxd: TestPeer;
let sluice: TestPeer;

before(async () => {
  [influxd, sluice] = await Promise.all([startInfluxDB1(), startSluice()]);
});
after(async () => {
  await Promise.all([influxd?.stop(), sluice?.stop()]);
});

interface Written {
  timeNs: bigint;
  location: string;
  temperature: number;
  humidity: number;
  note: string;
  raining: boolean;
}

/** Seeded points over two hours, some with nanoseconds in their time. */
function points(seed: number): Written[] {
  const rng = new SeededRng(seed);
  const out: Written[] = [];
  let t = T0_NS;
  for (let i = 0; i < 120; i++) {
    t += BigInt(20 + rng.nextInt(100)) * 1_000_000_000n + (i % 3 === 0 ? BigInt(rng.nextInt(1_000_000_000)) : 0n);
    out.push({
      timeNs: t,
      location: ['lab', 'roof', 'cellar'][i % 3]!,
      temperature: Math.round((rng.nextFloat() * 40 - 10) * 100) / 100 + 0, // + 0: no -0
      humidity: rng.nextInt(100),
      note: `reading ${i}, "quoted"`,
      raining: rng.nextInt(2) === 0,
    });
  }
  return out;
}

function clientFor(peer: TestPeer): Influx.InfluxDB {
  return new Influx.InfluxDB({ host: peer.host, port: peer.port, database: DB });
}

test('the influx npm client: ping, databases, writes and queries read back what was written, as InfluxDB 1.x answers', async () => {
  const seed = testSeed();
  console.log(`# influxql clients seed=${seed} (replay with SEED=${seed})`);
  const written = points(seed);
  const answers: Record<string, unknown[]> = {};
  for (const peer of [influxd, sluice]) {
    const client = clientFor(peer);
    const [pong] = await client.ping(5_000);
    assert.equal(pong?.online, true, `${peer.name}: ping`);

    await client.createDatabase(DB);
    await client.createDatabase(DB); // idempotent
    assert.deepEqual(await client.getDatabaseNames(), [DB], `${peer.name}: database names`);

    await client.writePoints(
      written.map((p) => ({
        measurement: 'weather',
        tags: { location: p.location },
        fields: { temperature: p.temperature, humidity: p.humidity, note: p.note, raining: p.raining },
        timestamp: String(p.timeNs),
      })),
      { precision: 'n' },
    );

    // RFC3339 times (no epoch): every point, exactly, with its nanoseconds.
    const rows = await client.query<{ time: Influx.INanoDate; location: string; temperature: number; humidity: number; note: string; raining: boolean }>('SELECT * FROM weather');
    assert.equal(rows.length, written.length, `${peer.name}: rows`);
    rows.forEach((r, i) => {
      const p = written[i]!;
      assert.equal(r.time.getNanoTime(), String(p.timeNs), `${peer.name}: time of row ${i}`);
      assert.deepEqual(
        { location: r.location, temperature: r.temperature, humidity: r.humidity, note: r.note, raining: r.raining },
        { location: p.location, temperature: p.temperature, humidity: p.humidity, note: p.note, raining: p.raining },
        `${peer.name}: row ${i}`,
      );
    });

    // Epoch times: ms precision names the millisecond.
    const byMs = await client.query<{ time: Date; temperature: number }>(`SELECT temperature FROM weather WHERE location = 'roof'`, { precision: 'ms' });
    const roof = written.filter((p) => p.location === 'roof');
    assert.deepEqual(
      byMs.map((r) => [r.time.getTime(), r.temperature]),
      roof.map((p) => [Number(p.timeNs / 1_000_000n), p.temperature]),
      `${peer.name}: epoch=ms`,
    );

    // GROUP BY time with fill, tags, aggregates: compared between the servers below.
    const range = `time >= '2017-07-14T02:40:00Z' AND time < '2017-07-14T04:40:00Z'`;
    const grouped = await client.query(`SELECT mean(temperature), max(humidity), count(note) FROM weather WHERE ${range} GROUP BY time(10m), location fill(0)`);
    const filled = await client.query(`SELECT mean(temperature) FROM weather WHERE location = 'cellar' AND ${range} GROUP BY time(3m) fill(previous)`, { precision: 's' });
    const placeholders = await client.query(`SELECT humidity FROM weather WHERE location = $loc AND humidity > $h`, { placeholders: { loc: 'lab', h: 50 } });
    answers[peer.name] = [JSON.parse(JSON.stringify(grouped.groups())), JSON.parse(JSON.stringify(filled)), JSON.parse(JSON.stringify(placeholders))];
    assert.ok((grouped.groups() as unknown[]).length === 3, `${peer.name}: one group per location`);
  }
  const diffs = diffJson(answers.influxdb, answers.sluice);
  assert.deepEqual(diffs, [], `the npm client's answers differ: ${diffs.join('; ')}`);
});

/** Runs Debian's `influx` CLI against a peer; resolves with what it printed and its exit code. */
async function cli(peer: TestPeer, query: string, format: 'json' | 'csv' | 'column'): Promise<string> {
  const args = ['-host', peer.host, '-port', String(peer.port), '-database', DB, '-execute', query, '-format', format, '-precision', 'rfc3339'];
  try {
    const { stdout, stderr } = await run('influx', args, { timeout: 20_000, maxBuffer: 16 << 20 });
    return `${stdout}${stderr}`;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number | string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}(exit ${e.code})`;
  }
}

function tryJson(text: string): unknown {
  try {
    return parseJsonExact(text);
  } catch {
    return text;
  }
}

test("Debian's influx CLI prints the same json, csv and column output from both servers", async () => {
  // The first test wrote the data to both (run alone, this test writes its own).
  for (const peer of [influxd, sluice]) {
    const res = await fetch(`${peer.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE ${DB}` }) });
    await res.arrayBuffer();
    const lp = points(7)
      .slice(0, 40)
      .map((p) => `cli,location=${p.location} temperature=${p.temperature},humidity=${p.humidity}i,note="${p.note.replace(/"/g, '\\"')}",raining=${p.raining} ${p.timeNs}`)
      .join('\n');
    const w = await fetch(`${peer.url}/write?db=${DB}&precision=ns`, { method: 'POST', body: lp });
    assert.equal(w.status, 204, `${peer.name}: write`);
  }
  const queries = [
    'SELECT * FROM cli',
    `SELECT temperature, note FROM cli WHERE location = 'lab'`,
    `SELECT mean(temperature), sum(humidity) FROM cli WHERE time >= '2017-07-14T02:40:00Z' AND time < '2017-07-14T03:40:00Z' GROUP BY time(15m), location fill(none)`,
    `SELECT count(raining) FROM cli GROUP BY location`,
    'SHOW MEASUREMENTS',
    'SHOW TAG VALUES FROM cli WITH KEY = location',
    'SHOW FIELD KEYS FROM cli',
    'SHOW DATABASES',
    'SELECT * FROM nosuch',
    'SELECT mean(temperature) FROM cli; SELECT max(humidity) FROM cli',
  ];
  const differing: string[] = [];
  let compared = 0;
  for (const q of queries) {
    for (const format of ['json', 'csv', 'column'] as const) {
      const [a, b] = await Promise.all([cli(influxd, q, format), cli(sluice, q, format)]);
      compared++;
      if (format === 'json') {
        const diffs = diffJson(tryJson(a), tryJson(b));
        if (diffs.length > 0) differing.push(`${q} (-format json): ${diffs.join('; ')}\n--- InfluxDB\n${a}\n--- Sluice\n${b}`);
      } else {
        // Floats within the tolerance (a mean summed in another order); everything else exactly.
        const diffs = format === 'csv' ? diffCsv(a, b) : diffColumns(a, b);
        if (diffs.length > 0) differing.push(`${q} (-format ${format}): ${diffs.join('; ')}\n--- InfluxDB\n${a}\n--- Sluice\n${b}`);
      }
    }
  }
  console.log(`# influx CLI: ${compared} outputs compared, ${compared - differing.length} equal`);
  assert.deepEqual(differing, [], differing.join('\n\n'));
});
