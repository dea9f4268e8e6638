/**
 * `sluice create|show|delete database` and `sluice create|delete table` as a person runs them:
 * real `sluice` processes talking to a real server on loopback, InfluxDB 3's words in and out.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runNode, type Finished } from './cli-process.js';
import { startServer } from '../support/http-helpers.js';
import { bundleCli } from '../support/kill-harness.js';

// The CLI bundled once: each command then starts in a fraction of the time tsx takes.
let cli: string;
let removeBundle: () => Promise<void> = async () => undefined;
before(async () => {
  ({ path: cli, removeBundle } = await bundleCli());
});
after(() => removeBundle());

/** Runs `sluice …args` (the bundle) to the end. */
function run(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Finished> {
  return runNode([cli], args, env, stdin);
}

test('sluice create/show/delete database and create/delete table against a running server', { timeout: 180_000 }, async () => {
  const s = await startServer({}, { withTokens: true });
  try {
    const host = `http://127.0.0.1:${s.port}`;
    const env = { SLUICE_HOST: host, SLUICE_TOKEN: s.token! };
    const ok = async (args: string[], stdin?: string) => {
      const r = await run(args, env, stdin);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    assert.equal(await ok(['create', 'database', 'metrics', '--retention-period', '30d']), 'Database "metrics" created successfully\n');
    assert.equal(s.db.catalog.retentionPeriodNs(s.db.catalog.database('metrics')!.id), 30n * 86_400_000_000_000n);
    assert.equal(await ok(['create', 'database', 'other', '--host', host]), 'Database "other" created successfully\n');
    assert.equal(await ok(['show', 'databases', '--format', 'json']), '[{"iox::database":"metrics"},{"iox::database":"other"}]\n');
    assert.equal(await ok(['show', 'databases']), '+---------------+\n| iox::database |\n+---------------+\n| metrics       |\n| other         |\n+---------------+\n');
    assert.equal(await ok(['create', 'table', 'cpu', '--database', 'metrics', '--tags', 'host,region', '--fields', 'usage:float64,count:int64']), 'Table "metrics"."cpu" created successfully\n');
    assert.deepEqual([...s.db.catalog.database('metrics')!.tables.get('cpu')!.columns.keys()], ['time', 'host', 'region', 'usage', 'count']);
    assert.equal(await ok(['delete', 'table', 'cpu', '--database', 'metrics', '--yes']), 'Table "metrics"."cpu" deleted successfully\n');
    assert.equal(s.db.catalog.database('metrics')!.tables.size, 0);
    // Without --yes the question is asked and answered on stdin.
    const refused = await run(['delete', 'database', 'other'], env, 'no\n');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Are you sure you want to delete "other"\? Enter 'yes' or 'y' to confirm/);
    assert.match(refused.stderr, /Cannot proceed without confirmation/);
    assert.ok(s.db.catalog.database('other') !== undefined);
    assert.equal(await ok(['delete', 'database', 'other'], 'yes\n'), 'Database "other" deleted successfully\n');
    assert.equal(await ok(['show', 'databases', '--format', 'csv']), 'iox::database\nmetrics\n');
    const withDeleted = await ok(['show', 'databases', '--format', 'jsonl', '--show-deleted']);
    assert.match(withDeleted, /^\{"iox::database":"metrics","deleted":false\}\n\{"iox::database":"other-\d{8}T\d{6}","deleted":true\}\n$/);

    // Refusals: the server's status and words, exit 1; a malformed command line says how to fix it.
    const failures: Array<[string[], RegExp]> = [
      [['create', 'database', 'metrics'], /HTTP 409: attempted to create a resource that already exists/],
      [['create', 'database', 'x', '--retention-period', 'forever'], /HTTP 400: invalid retention period "forever"/],
      [['delete', 'database', 'nope', '--yes'], /HTTP 404: Database not found nope/],
      [['delete', 'table', 'nope', '--database', 'metrics', '--yes'], /HTTP 404: Table nope not in DB schema for metrics/],
      [['create', 'table', 't', '--database', 'metrics', '--fields', 'x:decimal'], /HTTP 400: unknown field type "decimal"/],
      [['create', 'table', 't', '--database', 'metrics', '--fields', 'x'], /--fields: "x" is not name:type/],
      [['create', 'table', 't'], /--database is required/],
      [['create', 'database'], /give the database name as the one argument/],
    ];
    // Run side by side: each is a process start.
    const replies = await Promise.all(failures.map(([args]) => run(args, env)));
    failures.forEach(([args, message], i) => {
      assert.equal(replies[i]!.code, 1, args.join(' '));
      assert.match(replies[i]!.stderr, message, args.join(' '));
    });
    const unauthorized = await run(['show', 'databases'], { SLUICE_HOST: host });
    assert.match(unauthorized.stderr, /HTTP 401/);
  } finally {
    await s.stop();
  }
});

test('every management command has --help naming its flags', { timeout: 60_000 }, async () => {
  const helps = await Promise.all(['create database', 'show databases', 'delete database', 'create table', 'delete table'].map((c) => run([...c.split(' '), '--help'])));
  const expected = [/--retention-period/, /--show-deleted/, /--yes/, /--fields .*\n?[\s\S]*--tags|--tags[\s\S]*--fields/, /--database/];
  helps.forEach((h, i) => {
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Usage: sluice /);
    assert.match(h.stdout, /--host/);
    assert.match(h.stdout, expected[i]!);
  });
  const top = await run(['--help']);
  for (const c of ['create database', 'show databases', 'delete database', 'create table', 'delete table']) assert.ok(top.stdout.includes(c), c);
});
