/**
 * Tokens against a running `sluice serve`: created or deleted by the CLI while it runs, they take
 * effect within a second; --without-auth says which tokens it ignores.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startServe } from './cli-process.js';

async function write(url: string, token?: string): Promise<number> {
  const res = await fetch(`${url}/api/v3/write_lp?db=d&precision=second`, { method: 'POST', body: 'm v=1i 1', headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

/** Polls until `check` holds; fails if it takes longer than `withinMs` (a second, plus slack for a loaded machine). */
async function within(withinMs: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const startedMs = Date.now();
  while (!(await check())) {
    assert.ok(Date.now() - startedMs < withinMs, `${what}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a token created by the CLI while the server runs is required within a second; deleting it takes effect within a second', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-tokens-'));
  const server = startServe(['--data-dir', dir, '--http-bind', '127.0.0.1:0']);
  try {
    const listening = await server.logged('listening');
    assert.equal(listening.auth, 'on once a token exists');
    const url = `http://${String(listening.address)}`;
    assert.equal(await write(url), 204, 'no tokens: no authentication');

    const created = await run(['create', 'token', '--admin', '--name', 'ci', '--data-dir', dir]);
    assert.equal(created.code, 0, created.stderr);
    const token = /Token: (apiv3_\S+)/.exec(created.stdout)![1]!;
    const createdMs = Date.now();
    await within(2_000, 'the new token enforced', async () => (await write(url)) === 401);
    assert.ok(Date.now() - createdMs < 2_000);
    assert.equal(await write(url, token), 204);
    assert.equal(await write(url, `${token}x`), 401);

    const second = await run(['create', 'token', '--admin', '--name', 'other', '--data-dir', dir]);
    const otherToken = /Token: (apiv3_\S+)/.exec(second.stdout)![1]!;
    const deleted = await run(['delete', 'token', '--name', 'ci', '--data-dir', dir]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /Deleted token "ci"/);
    await within(2_000, 'the deleted token refused', async () => (await write(url, token)) === 401);
    assert.equal(await write(url, otherToken), 204, 'the other token still works');
    assert.equal(await write(url), 401, 'a token is still required');
    const again = await run(['delete', 'token', '--name', 'ci', '--data-dir', dir]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'error: no token named "ci"; the tokens are: other\n');
    assert.equal(await server.stop(), 0, server.log());
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('--without-auth with tokens present warns that they are ignored, and serves without them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-tokens-'));
  for (const name of ['a', 'b']) assert.equal((await run(['create', 'token', '--admin', '--name', name, '--data-dir', dir])).code, 0);
  const server = startServe(['--data-dir', dir, '--http-bind', '127.0.0.1:0', '--without-auth']);
  try {
    const listening = await server.logged('listening');
    const warning = JSON.parse(server.log().split('\n').find((l) => l.includes('"level":"warn"') && l.includes('without-auth'))!) as { msg: string; tokens: string[] };
    assert.equal(warning.msg, '--without-auth: the 2 existing tokens are ignored; every request is served without authentication');
    assert.deepEqual(warning.tokens, ['a', 'b']);
    assert.equal(listening.auth, 'off (--without-auth)');
    assert.equal(await write(`http://${String(listening.address)}`), 204);
    assert.equal(await server.stop(), 0, server.log());
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
