/**
 * Real InfluxDB clients from npm against a real Sluice server on loopback: each writes points
 * the way applications do, and every value is read back with SQL and compared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InfluxDB, Point as V2Point } from '@influxdata/influxdb-client';
import { InfluxDBClient, Point as V3Point } from '@influxdata/influxdb3-client';
import Influx from 'influx';
import { SluiceServer } from '../../src/server/http.js';
import { TokenStore } from '../../src/server/auth.js';
import { queryRows, tempDatabase } from '../support/db-helpers.js';

async function start(withTokens: boolean) {
  const env = await tempDatabase();
  const tokens = withTokens ? await TokenStore.open(env.store, 'node1') : undefined;
  const token = tokens === undefined ? 'unused' : await tokens.create('_admin', true);
  const server = new SluiceServer({ db: env.db, tokens });
  const { port } = await server.listen('127.0.0.1', 0);
  return {
    ...env,
    port,
    token,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await server.close();
      await env.cleanup();
    },
  };
}

const BASE_NS = 1_700_000_000_123_456_789n;

test('@influxdata/influxdb-client (v2 write API): every field type, gzip batches and precisions, read back exactly', async () => {
  const s = await start(true);
  try {
    const client = new InfluxDB({ url: s.url, token: s.token });
    const writeApi = client.getWriteApi('any-org', 'v2db', 'ns', { batchSize: 500, flushInterval: 0, maxRetries: 0 });
    // 1 200 points: batches of 500 lines, each well past the 1 000-byte gzip threshold.
    for (let i = 0; i < 1200; i++) {
      writeApi.writePoint(
        new V2Point('cpu')
          .tag('host', `h${i % 7}`)
          .tag('region', i % 2 === 0 ? 'eu west' : 'us,east')
          .floatField('usage', i / 8)
          .intField('count', i === 0 ? -9007199254740991 : i)
          .uintField('bytes', i === 1 ? '18446744073709551615' : i * 3)
          .stringField('note', `n "${i}" \\ end`)
          .booleanField('ok', i % 3 === 0)
          .timestamp(String(BASE_NS + BigInt(i))),
      );
    }
    // The client's Point API checks integers as JS numbers; raw records carry the int64 extremes.
    writeApi.writeRecord(`edge,host=x count=-9223372036854775808i,max=9223372036854775807i ${BASE_NS}`);
    await writeApi.close();
    const secApi = client.getWriteApi('any-org', 'v2db', 's', { flushInterval: 0, maxRetries: 0 });
    secApi.writePoint(new V2Point('mem').tag('host', 'a').intField('free', 42).timestamp(1_700_000_000));
    await secApi.close();

    assert.deepEqual(await queryRows(s.db, 'v2db', 'SELECT count(*) AS n, count(DISTINCT host) AS hosts, sum(count) AS c FROM cpu'), [`n=1200n hosts=7n c=${-9007199254740991n + BigInt((1199 * 1200) / 2)}n`]);
    assert.deepEqual(await queryRows(s.db, 'v2db', 'SELECT count, max, time FROM edge'), [`count=-9223372036854775808n max=9223372036854775807n time=t${BASE_NS}`]);
    const rows = await s.db.query.query('v2db', 'SELECT * FROM cpu ORDER BY time');
    const col = (name: string) => rows.columns.findIndex((c) => c.name === name);
    for (let i = 0; i < 1200; i++) {
      const r = rows.rows[i]!;
      assert.equal(r[col('host')], `h${i % 7}`);
      assert.equal(r[col('region')], i % 2 === 0 ? 'eu west' : 'us,east');
      assert.equal(r[col('usage')], i / 8);
      assert.equal(r[col('count')], i === 0 ? -9007199254740991n : BigInt(i));
      assert.equal(r[col('bytes')], i === 1 ? 18446744073709551615n : BigInt(i * 3));
      assert.equal(r[col('note')], `n "${i}" \\ end`);
      assert.equal(r[col('ok')], i % 3 === 0);
      assert.equal((r[col('time')] as { nanos: bigint }).nanos, BASE_NS + BigInt(i));
    }
    assert.deepEqual(await queryRows(s.db, 'v2db', 'SELECT free, time FROM mem'), ['free=42n time=t1700000000000000000']);

    // A bad token is an error the client reports (401, not retried).
    const bad = new InfluxDB({ url: s.url, token: 'nope' }).getWriteApi('o', 'v2db', 'ns', { maxRetries: 0 });
    bad.writeRecord('cpu,host=x usage=1');
    await assert.rejects(bad.close(), (err: Error & { statusCode?: number }) => err.statusCode === 401);
  } finally {
    await s.stop();
  }
});

test('influx (node-influx, v1 /write): points with tags, numbers as floats, seconds precision, read back exactly', async () => {
  const s = await start(false);
  try {
    const influx = new Influx.InfluxDB({ host: '127.0.0.1', port: s.port, database: 'v1db' });
    const points = Array.from({ length: 300 }, (_, i) => ({
      measurement: 'weather',
      tags: { station: `s${i % 5}`, city: i % 2 === 0 ? 'Oslo' : 'São Paulo' },
      fields: { temp: i - 100.25, humidity: i, raining: i % 4 === 0, label: `reading ${i}` },
      timestamp: new Date(Date.UTC(2024, 0, 1) + i * 1000),
    }));
    await influx.writePoints(points, { precision: 's' });
    const rows = await s.db.query.query('v1db', 'SELECT * FROM weather ORDER BY time');
    assert.equal(rows.rows.length, 300);
    const col = (name: string) => rows.columns.findIndex((c) => c.name === name);
    assert.equal(rows.columns[col('humidity')]!.type, 'DOUBLE', 'node-influx writes numbers without a schema as floats');
    for (let i = 0; i < 300; i++) {
      const r = rows.rows[i]!;
      assert.equal(r[col('station')], `s${i % 5}`);
      assert.equal(r[col('city')], i % 2 === 0 ? 'Oslo' : 'São Paulo');
      assert.equal(r[col('temp')], i - 100.25);
      assert.equal(r[col('humidity')], i);
      assert.equal(r[col('raining')], i % 4 === 0);
      assert.equal(r[col('label')], `reading ${i}`);
      assert.equal((r[col('time')] as { nanos: bigint }).nanos, BigInt(Date.UTC(2024, 0, 1) + i * 1000) * 1_000_000n);
    }
    assert.ok((await influx.ping(2000))[0]!.online, 'ping');
  } finally {
    await s.stop();
  }
});

test('@influxdata/influxdb3-client (write): points and line protocol through /api/v2/write and no_sync /api/v3/write_lp', async () => {
  const s = await start(true);
  try {
    const client = new InfluxDBClient({ host: s.url, token: s.token, database: 'v3db', authScheme: 'Bearer' });
    const points = Array.from({ length: 100 }, (_, i) =>
      V3Point.measurement('sensor')
        .setTag('id', `dev-${i % 10}`)
        .setFloatField('value', i * 0.5)
        .setIntegerField('seq', i)
        .setUintegerField('raw', i * 1000)
        .setStringField('state', i % 2 === 0 ? 'on' : 'off')
        .setBooleanField('alarm', i === 42)
        .setTimestamp(String(BASE_NS + BigInt(i) * 1000n)),
    );
    await client.write(points);
    await client.write('sensor,id=lp value=-1.5,seq=-1i 1700000000', 'v3db', undefined, { precision: 's' });
    await client.write('sensor,id=nosync value=7 1700000001', 'v3db', undefined, { precision: 's', noSync: true });
    await s.db.wal.flushBuffer();
    const rows = await s.db.query.query('v3db', "SELECT * FROM sensor WHERE id LIKE 'dev-%' ORDER BY time");
    assert.equal(rows.rows.length, 100);
    const col = (name: string) => rows.columns.findIndex((c) => c.name === name);
    for (let i = 0; i < 100; i++) {
      const r = rows.rows[i]!;
      assert.equal(r[col('id')], `dev-${i % 10}`);
      assert.equal(r[col('value')], i * 0.5);
      assert.equal(r[col('seq')], BigInt(i));
      assert.equal(r[col('raw')], BigInt(i * 1000));
      assert.equal(r[col('state')], i % 2 === 0 ? 'on' : 'off');
      assert.equal(r[col('alarm')], i === 42);
      assert.equal((r[col('time')] as { nanos: bigint }).nanos, BASE_NS + BigInt(i) * 1000n);
    }
    assert.deepEqual(await queryRows(s.db, 'v3db', "SELECT id, value, seq, time FROM sensor WHERE id IN ('lp', 'nosync') ORDER BY id"), [
      'id="lp" value=-1.5 seq=-1n time=t1700000000000000000',
      'id="nosync" value=7 seq=null time=t1700000001000000000',
    ]);
    // A partial write is an error the client reports with the server's line details.
    await assert.rejects(client.write('sensor,id=x value=1 1\nsensor,id=y value=oops 1', 'v3db'), /line 2/);
    await client.close();
  } finally {
    await s.stop();
  }
});
