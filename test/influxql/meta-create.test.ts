/**
 * CREATE DATABASE and the statements Sluice refuses, through the parser and the executor. The
 * answers marked "influxd" are InfluxDB 1.6.7's, recorded with the same statements; the others
 * are Sluice's own (a name its catalog refuses, retention options, statements it does not run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDatabase } from '../support/db-helpers.js';
import { answers, environmentOf, META_DATA } from './meta-support.js';

async function withDatabase(run: (env: Awaited<ReturnType<typeof tempDatabase>>) => Promise<void>): Promise<void> {
  const env = await tempDatabase();
  try {
    await env.db.writer.writeLp('t', Buffer.from(META_DATA), { precision: 'ns' });
    await run(env);
  } finally {
    await env.cleanup();
  }
}

test('CREATE DATABASE is seen by the next statement of the same query (influxd)', () =>
  withDatabase(async ({ db }) => {
    assert.deepEqual(await answers(environmentOf(db), 'CREATE DATABASE newdb; SHOW DATABASES', { database: 't' }), [
      '{"statement_id":0}',
      '{"statement_id":1,"series":[{"name":"databases","columns":["name"],"values":[["t"],["newdb"]]}]}',
    ]);
    assert.deepEqual(await answers(environmentOf(db), 'CREATE DATABASE n2; SHOW MEASUREMENTS ON n2; SHOW RETENTION POLICIES ON n2; SHOW TAG KEYS ON n2; SHOW SERIES ON n2; SHOW FIELD KEYS ON n2'), [
      '{"statement_id":0}',
      '{"statement_id":1}',
      '{"statement_id":2,"series":[{"columns":["name","duration","shardGroupDuration","replicaN","default"],"values":[["autogen","0s","168h0m0s",1,true]]}]}',
      '{"statement_id":3}',
      '{"statement_id":4}',
      '{"statement_id":5}',
    ]);
    await db.writer.writeLp('n2', Buffer.from('m,k=v f=1i 1577836800000000000'), { precision: 'ns' });
    assert.deepEqual(await answers(environmentOf(db), 'SHOW SERIES ON n2'), ['{"statement_id":0,"series":[{"columns":["key"],"values":[["m,k=v"]]}]}']);
  }));

test('CREATE DATABASE of a database that exists changes nothing and succeeds (influxd)', () =>
  withDatabase(async ({ db }) => {
    const version = db.catalog.version;
    assert.deepEqual(await answers(environmentOf(db), 'CREATE DATABASE t'), ['{"statement_id":0}']);
    assert.equal(db.catalog.version, version);
    assert.deepEqual(await answers(environmentOf(db), 'SHOW MEASUREMENTS ON t LIMIT 1'), ['{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["Cpu"]]}]}']);
  }));

test('CREATE DATABASE with the options autogen has anyway is taken (influxd)', () =>
  withDatabase(async ({ db }) => {
    assert.deepEqual(await answers(environmentOf(db), 'CREATE DATABASE w WITH DURATION INF REPLICATION 1 SHARD DURATION 1w NAME autogen; SHOW RETENTION POLICIES ON w'), [
      '{"statement_id":0}',
      '{"statement_id":1,"series":[{"columns":["name","duration","shardGroupDuration","replicaN","default"],"values":[["autogen","0s","168h0m0s",1,true]]}]}',
    ]);
  }));

test('names InfluxDB 1.x refuses are "invalid name" (influxd); names only the catalog refuses get its reason', () =>
  withDatabase(async ({ db }) => {
    const env = environmentOf(db);
    assert.deepEqual(await answers(env, 'CREATE DATABASE "a/b"'), ['{"statement_id":0,"error":"invalid name"}']);
    assert.deepEqual(await answers(env, 'CREATE DATABASE ""'), ['{"statement_id":0,"error":"invalid name"}']);
    assert.deepEqual(await answers(env, 'CREATE DATABASE "a\\\\b"'), ['{"statement_id":0,"error":"invalid name"}']);
    // InfluxDB 1.6 creates these; Sluice's catalog (InfluxDB 3's rule) does not.
    assert.deepEqual(await answers(env, 'CREATE DATABASE "a b"'), [
      `{"statement_id":0,"error":"invalid database name \\"a b\\": it must start with an ASCII letter or digit and contain only ASCII letters, digits, '_' and '-'"}`,
    ]);
    assert.deepEqual(await answers(env, 'SHOW DATABASES'), ['{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["t"]]}]}']);
  }));

test('CREATE DATABASE with retention options of its own is refused as not supported, and creates nothing', () =>
  withDatabase(async ({ db }) => {
    const env = environmentOf(db);
    assert.deepEqual(await answers(env, 'CREATE DATABASE shortlived WITH DURATION 1d'), [
      '{"statement_id":0,"error":"CREATE DATABASE WITH DURATION 1d is not supported by Sluice: it keeps one retention policy per database, autogen, which keeps data forever"}',
    ]);
    assert.deepEqual(await answers(env, 'CREATE DATABASE x WITH NAME weekly'), [
      '{"statement_id":0,"error":"CREATE DATABASE WITH NAME weekly is not supported by Sluice: it keeps one retention policy per database, autogen, which keeps data forever"}',
    ]);
    assert.equal(db.catalog.database('shortlived'), undefined);
    assert.equal(db.catalog.database('x'), undefined);
  }));

test('the 101st database gets the catalog limit error, worded as a write gets it', () =>
  withDatabase(async ({ db }) => {
    const env = environmentOf(db);
    const statements = Array.from({ length: 99 }, (_, i) => `CREATE DATABASE d${i}`).join('; ');
    const created = await answers(env, statements);
    assert.ok(created.every((a, i) => a === `{"statement_id":${i}}`), created.find((a) => a.includes('error')));
    assert.equal(db.catalog.listDatabases().length, 100);
    assert.deepEqual(await answers(env, 'CREATE DATABASE one_too_many'), ['{"statement_id":0,"error":"Adding a new database would exceed limit of 100 databases"}']);
    assert.deepEqual(await answers(env, 'CREATE DATABASE d5'), ['{"statement_id":0}'], 'an existing one is still fine');
    await assert.rejects(db.writer.writeLp('one_too_many', Buffer.from('m f=1'), {}), /Adding a new database would exceed limit of 100 databases/);
  }));

test('a GET (read-only) CREATE DATABASE runs and carries InfluxDB 1.x warning (influxd)', () =>
  withDatabase(async ({ db }) => {
    assert.deepEqual(await answers(environmentOf(db), 'CREATE DATABASE "my-db"', { readOnly: true }), [
      `{"statement_id":0,"messages":[{"level":"warning","text":"deprecated use of 'CREATE DATABASE \\"my-db\\"' in a read only context, please use a POST request instead"}]}`,
    ]);
    assert.ok(db.catalog.database('my-db') !== undefined);
    assert.deepEqual(await answers(environmentOf(db), 'CREATE DATABASE "a/b"', { readOnly: true }), ['{"statement_id":0,"error":"invalid name"}'], 'an error carries no warning');
  }));

const UNSUPPORTED: Array<[string, string]> = [
  ['DROP MEASUREMENT cpu', 'DROP MEASUREMENT'],
  ["DROP SERIES FROM cpu WHERE host = 'a'", 'DROP SERIES'],
  ["DELETE FROM cpu WHERE time < '2000-01-01T00:00:00Z'", 'DELETE'],
  ['DROP DATABASE t', 'DROP DATABASE'],
  ['CREATE RETENTION POLICY weekly ON t DURATION 7d REPLICATION 1', 'CREATE RETENTION POLICY'],
  ['ALTER RETENTION POLICY autogen ON t DURATION 1d', 'ALTER RETENTION POLICY'],
  ['DROP RETENTION POLICY autogen ON t', 'DROP RETENTION POLICY'],
  ["CREATE USER nobody WITH PASSWORD 'secret'", 'CREATE USER'],
  ['DROP USER nobody', 'DROP USER'],
  ['GRANT ALL TO nobody', 'GRANT'],
  ['REVOKE ALL PRIVILEGES FROM nobody', 'REVOKE'],
  ["SET PASSWORD FOR nobody = 'x'", 'SET PASSWORD'],
  ['SHOW USERS', 'SHOW USERS'],
  ['SHOW GRANTS FOR nobody', 'SHOW GRANTS'],
  ['SHOW CONTINUOUS QUERIES', 'SHOW CONTINUOUS QUERIES'],
  ['SHOW QUERIES', 'SHOW QUERIES'],
  ['KILL QUERY 1', 'KILL QUERY'],
  ['SHOW SHARDS', 'SHOW SHARDS'],
  ['SHOW SHARD GROUPS', 'SHOW SHARD GROUPS'],
  ['SHOW STATS', 'SHOW STATS'],
  ['SHOW DIAGNOSTICS', 'SHOW DIAGNOSTICS'],
  ['SHOW SUBSCRIPTIONS', 'SHOW SUBSCRIPTIONS'],
  ['EXPLAIN SELECT * FROM cpu', 'EXPLAIN'],
];

test('every statement Sluice does not run is an error naming it, and changes nothing', () =>
  withDatabase(async ({ db }) => {
    const env = environmentOf(db);
    const version = db.catalog.version;
    for (const [q, name] of UNSUPPORTED) {
      assert.deepEqual(await answers(env, q, { database: 't' }), [`{"statement_id":0,"error":"${name} is not supported by Sluice"}`], q);
    }
    assert.equal(db.catalog.version, version);
    // The statements after a refused one still run.
    assert.deepEqual(await answers(env, 'DROP MEASUREMENT cpu; SHOW MEASUREMENTS LIMIT 1', { database: 't' }), [
      '{"statement_id":0,"error":"DROP MEASUREMENT is not supported by Sluice"}',
      '{"statement_id":1,"series":[{"name":"measurements","columns":["name"],"values":[["Cpu"]]}]}',
    ]);
  }));
