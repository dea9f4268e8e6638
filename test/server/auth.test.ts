/**
 * TokenStore as a running server uses it: tokens created or deleted by another process (the
 * `sluice create token` / `delete token` commands open their own TokenStore on the same store)
 * take effect within TOKEN_REFRESH_MS, on a hit as well as a miss.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimClock } from '../../src/effects/clock.js';
import { LocalObjectStore } from '../../src/objectstore/local.js';
import type { ObjectStore } from '../../src/objectstore/types.js';
import { DuplicateTokenError, TOKEN_REFRESH_MS, TokenStore, UnknownTokenError } from '../../src/server/auth.js';

async function withStore(fn: (store: LocalObjectStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-auth-'));
  const store = await LocalObjectStore.open({ root: dir });
  try {
    await fn(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A store that counts the reads of the token file. */
function countingReads(store: ObjectStore): { store: ObjectStore; reads: () => number } {
  let reads = 0;
  const counted = Object.create(store) as ObjectStore;
  counted.get = (key: string) => {
    if (key.endsWith('tokens.json')) reads++;
    return store.get(key);
  };
  return { store: counted, reads: () => reads };
}

test('a token created while the server runs is enforced within a second; until then the copy is not re-read', async () => {
  await withStore(async (store) => {
    const clock = new SimClock();
    const counted = countingReads(store);
    const running = await TokenStore.open(counted.store, 'n', { clock });
    assert.equal(await running.isEnabled(), false);
    const token = await (await TokenStore.open(store, 'n')).create('_admin', true); // another process
    const readsBefore = counted.reads();
    await clock.advance(TOKEN_REFRESH_MS - 1);
    assert.equal(await running.isEnabled(), false, 'a copy younger than a second is used as it is');
    assert.equal(await running.verify(token), false);
    assert.equal(counted.reads(), readsBefore);
    await clock.advance(1);
    assert.equal(await running.isEnabled(), true);
    assert.equal(await running.verify(token), true);
    assert.equal(await running.verify(`${token}x`), false);
    assert.equal(counted.reads(), readsBefore + 1, 'one read for both checks');
  });
});

test('a token deleted while the server runs is rejected within a second, though the last check accepted it', async () => {
  await withStore(async (store) => {
    const clock = new SimClock();
    const cli = await TokenStore.open(store, 'n');
    const kept = await cli.create('kept', true);
    const doomed = await cli.create('doomed', true);
    const running = await TokenStore.open(store, 'n', { clock });
    assert.equal(await running.verify(doomed), true);
    await cli.delete('doomed');
    assert.equal(await running.verify(doomed), true, 'still within the second');
    await clock.advance(TOKEN_REFRESH_MS);
    assert.equal(await running.verify(doomed), false);
    assert.equal(await running.verify(kept), true);
    await cli.delete('kept');
    await clock.advance(TOKEN_REFRESH_MS);
    assert.equal(await running.isEnabled(), false, 'no tokens left: auth is off again');
    assert.equal(running.count, 0);
  });
});

test('on the real clock: create and delete take effect within a second', async () => {
  await withStore(async (store) => {
    const running = await TokenStore.open(store, 'n');
    const cli = await TokenStore.open(store, 'n');
    const token = await cli.create('t', true);
    const createdAt = Date.now();
    while (!(await running.verify(token))) {
      assert.ok(Date.now() - createdAt < TOKEN_REFRESH_MS + 200, 'the new token was not accepted within a second');
      await new Promise((r) => setTimeout(r, 20));
    }
    await cli.delete('t');
    const deletedAt = Date.now();
    while (await running.verify(token)) {
      assert.ok(Date.now() - deletedAt < TOKEN_REFRESH_MS + 200, 'the deleted token was still accepted after a second');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});

test('concurrent checks of a stale copy share one read; a failed read refuses and the next check retries', async () => {
  await withStore(async (store) => {
    const clock = new SimClock();
    const token = await (await TokenStore.open(store, 'n')).create('a', true);
    let isFailing = false;
    let reads = 0;
    const flaky = Object.create(store) as ObjectStore;
    flaky.get = async (key: string) => {
      reads++;
      if (isFailing) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      return store.get(key);
    };
    const running = await TokenStore.open(flaky, 'n', { clock });
    await clock.advance(TOKEN_REFRESH_MS);
    reads = 0;
    assert.deepEqual(await Promise.all([running.verify(token), running.verify(token), running.isEnabled()]), [true, true, true]);
    assert.equal(reads, 1);
    await clock.advance(TOKEN_REFRESH_MS);
    isFailing = true;
    await assert.rejects(running.verify(token), /EIO/);
    isFailing = false;
    assert.equal(await running.verify(token), true);
  });
});

test('create refuses a taken name and delete an unknown one, with typed errors', async () => {
  await withStore(async (store) => {
    const tokens = await TokenStore.open(store, 'n');
    await tokens.create('ci', true);
    await assert.rejects(tokens.create('ci', true), (err: unknown) => err instanceof DuplicateTokenError && err.tokenName === 'ci');
    await assert.rejects(tokens.delete('nope'), (err: unknown) => err instanceof UnknownTokenError && /no token named "nope"/.test(err.message));
    assert.deepEqual(tokens.names, ['ci']);
  });
});
