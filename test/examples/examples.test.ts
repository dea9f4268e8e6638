import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

test('the WAL example runs twice on one directory and finds every acknowledged op, once, in order', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-example-test-'));
  try {
    const script = fileURLToPath(new URL('../../examples/wal-on-a-directory.ts', import.meta.url));
    for (let run = 0; run < 2; run++) {
      const result = spawnSync(process.execPath, ['--import', 'tsx', script, dir], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /100 ops back exactly once, in order/);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
