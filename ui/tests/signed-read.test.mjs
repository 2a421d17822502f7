// The browser's signed-read signer (src/crypto.js, used by src/api.js)
// against the fixed vector of docs/FORMATS.md §18, which the server's
// auth.rs is tested with too: same key, request, time and nonce → the same
// Authorization header, byte for byte (Ed25519 is deterministic).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as c from '../src/crypto.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const VECTOR = `${root}crates/custodian-server/tests/vectors/signed-read.json`;

test('the signed-read header matches the FORMATS.md §18 vector', { skip: !existsSync(VECTOR) && !process.env.CI && `no vector at ${VECTOR}` }, () => {
  const v = JSON.parse(readFileSync(VECTOR, 'utf8'));
  const key = c.parseSigningKey(v.signer_key);
  assert.equal(key.name, v.actor);
  assert.equal(c.toHex(key.seed), v.seed_hex);
  assert.equal(c.verifierKeyText(key.name, key.publicKey), v.verifier_key);
  const message = c.readMessage(v.origin, v.method, v.path_and_query, v.time, v.nonce);
  assert.equal(c.toHex(new TextEncoder().encode(message)), v.message_hex);
  const header = c.authorizationHeader(key, v.origin, v.method, v.path_and_query, v.time, v.nonce);
  assert.equal(header, v.authorization);

  // Where FORMATS.md §18 prints the header, it is this one.
  const formats = readFileSync(`${root}docs/FORMATS.md`, 'utf8');
  const section = formats.split(/\n## /).find((s) => s.startsWith('18.'));
  if (section && section.includes('Custodian-Read actor=xaa-officer-1')) {
    assert.ok(section.includes(v.authorization), 'FORMATS.md §18 prints another header than the vector');
  }
});

test('readTime and randomNonce have the forms the server takes', () => {
  assert.equal(c.readTime(new Date(Date.UTC(2026, 0, 5, 8, 0, 0, 789))), '2026-01-05T08:00:00Z');
  const n = c.randomNonce();
  assert.match(n, /^[0-9a-f]{32}$/);
  assert.notEqual(n, c.randomNonce());
});
