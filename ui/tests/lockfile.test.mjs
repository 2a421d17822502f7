// The lock file names no registry host (ui/.npmrc sets
// omit-lockfile-registry-resolved), so `npm ci` resolves every package
// through whatever registry the machine's npm is configured with; and every
// package's licence is one ui/README.md names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ui = fileURLToPath(new URL('../', import.meta.url));
const lock = JSON.parse(readFileSync(`${ui}package-lock.json`, 'utf8'));

test('the lock file records no resolved URL and no registry host', () => {
  for (const [name, p] of Object.entries(lock.packages)) {
    assert.equal(p.resolved, undefined, `${name} has a resolved URL`);
    if (name) assert.match(p.integrity ?? '', /^sha512-/, `${name} has no sha512 integrity`);
  }
  assert.doesNotMatch(JSON.stringify(lock), /registry\.|npmjs|yarnpkg/);
  assert.match(readFileSync(`${ui}.npmrc`, 'utf8'), /^omit-lockfile-registry-resolved=true$/m);
});

test('every package is under a licence ui/README.md names (MIT, Apache-2.0, ISC)', () => {
  const readme = readFileSync(`${ui}README.md`, 'utf8');
  for (const [name, p] of Object.entries(lock.packages)) {
    if (!name) continue;
    assert.ok(['MIT', 'Apache-2.0', 'ISC'].includes(p.license), `${name}: licence ${p.license}`);
    if (!p.optional) assert.ok(readme.includes(name.replace(/^node_modules\//, '')), `ui/README.md does not name ${name}`);
  }
});
