// The TypeScript declarations (generated from the Rust types by tsify,
// plus js/index.d.ts) type-check a program using every function, and
// reject wrong options and wrong uses of the reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('tsc --noEmit accepts test/types-check.ts', () => {
  const dir = fileURLToPath(new URL('..', import.meta.url));
  const r = spawnSync('node_modules/.bin/tsc', ['-p', 'test/tsconfig.json'], { cwd: dir, encoding: 'utf8' });
  assert.ifError(r.error);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
