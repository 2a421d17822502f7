// The browser's own checks (src/crypto.js) against the repository's fixed
// vectors (tests/vectors/, each naming its source): RFC 8032 signatures,
// RFC 9162 inclusion proofs (transparency-dev/merkle's, with their mutation
// probes), C2SP signed notes and Custodian checkpoints, and the signed-read
// header of docs/FORMATS.md §18.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ed from '@noble/ed25519';
import * as c from '../src/crypto.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const vector = (p) => JSON.parse(readFileSync(`${root}tests/vectors/${p}`, 'utf8'));

test('Ed25519 signatures (the signer of signed reads) match RFC 8032 §7.1', () => {
  for (const f of readdirSync(`${root}tests/vectors/ed25519`)) {
    const v = vector(`ed25519/${f}`);
    const sig = ed.sign(c.fromHex(v.message_hex), c.fromHex(v.secret_key_hex));
    assert.equal(c.toHex(sig), v.signature_hex, f);
    assert.equal(c.toHex(ed.getPublicKey(c.fromHex(v.secret_key_hex))), v.public_key_hex, f);
  }
});

test('base64 round-trips and is strict', () => {
  for (const n of [0, 1, 2, 3, 4, 31, 32, 33, 68]) {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);
    assert.deepEqual(c.fromBase64(c.toBase64(b)), b);
  }
  assert.throws(() => c.fromBase64('abc'));
  assert.throws(() => c.fromBase64('ab=='.replace('b', 'B')), /canonical/);
});

test('leaf and node hashes match RFC 6962 / 9162 vectors', () => {
  assert.equal(c.toHex(c.leafHash(new Uint8Array())), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  assert.equal(c.toHex(c.leafHash(new TextEncoder().encode('L123456'))), '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56');
  assert.equal(
    c.toHex(c.nodeHash(new TextEncoder().encode('N123'), new TextEncoder().encode('N456'))),
    'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
  );
});

test('inclusion proofs: every happy path verifies, every tampered proof fails', () => {
  const leaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(c.fromHex);
  const roots = vector('merkle/roots.json');
  const rootOf = (size) => c.fromHex(roots.roots.find((x) => x.size === size).root_hex);
  let checked = 0;
  for (const v of vector('merkle/inclusion.json').cases) {
    const proof = v.proof.map(c.fromHex);
    const lh = c.leafHash(leaves[v.index]);
    assert.ok(c.verifyInclusion(v.index, v.size, lh, proof, rootOf(v.size)).ok, JSON.stringify(v));
    // Flip one bit of each proof hash, then of the leaf hash: each must fail.
    for (let i = 0; i < proof.length; i++) {
      const bad = proof.map((p) => p.slice());
      bad[i][0] ^= 1;
      assert.ok(!c.verifyInclusion(v.index, v.size, lh, bad, rootOf(v.size)).ok);
    }
    const badLeaf = lh.slice();
    badLeaf[31] ^= 0x80;
    assert.ok(!c.verifyInclusion(v.index, v.size, badLeaf, proof, rootOf(v.size)).ok);
    checked++;
  }
  assert.ok(checked >= 5);
});

test('inclusion probes of transparency-dev/merkle give the expected answer', () => {
  const probes = vector('merkle/inclusion-probes.json').cases;
  for (const p of probes) {
    let ok;
    try {
      const proof = (p.proof ?? []).map(c.fromBase64);
      const lh = c.fromBase64(p.leafHash);
      const root = c.fromBase64(p.root);
      ok = lh.length === 32 && root.length === 32 && c.verifyInclusion(p.leafIdx, p.treeSize, lh, proof, root).ok;
    } catch {
      ok = false;
    }
    assert.equal(ok, !p.wantErr, p.file);
  }
});

test('signed notes: the C2SP example key and Custodian checkpoints verify', () => {
  const ex = vector('signed-note/c2sp-example.json');
  const key = c.parseVerifierKey(ex.vkey);
  assert.equal(c.toHex(key.publicKey), ex.public_key_hex);
  assert.equal(c.toHex(key.id), ex.key_id_hex);
  assert.throws(() => c.parseVerifierKey(ex.vkey.replace('530d903a', '530d903b')), /does not match/);

  for (const f of ['custodian-size-8.json', 'custodian-size-0.json']) {
    const v = vector(`checkpoint/${f}`);
    const got = c.verifyCheckpoint(v.note, v.vkey);
    assert.ok(got.ok, `${f}: ${got.reason}`);
    assert.equal(got.checkpoint.treeSize, v.size);
    assert.equal(c.toHex(got.checkpoint.root), v.root_hex);
    assert.equal(c.verifierKeyText(v.name, c.fromHex(v.public_key_hex)), v.vkey);
    // One flipped character in the body, or in the signature, fails.
    const body = v.note.replace(`\n${v.size}\n`, `\n${v.size + 1}\n`);
    assert.ok(!c.verifyCheckpoint(body, v.vkey).ok);
    const sigAt = v.note.lastIndexOf(' ') + 5;
    const flipped = v.note.slice(0, sigAt) + (v.note[sigAt] === 'A' ? 'B' : 'A') + v.note.slice(sigAt + 1);
    assert.ok(!c.verifyCheckpoint(flipped, v.vkey).ok);
    // A different key of the same name fails.
    assert.ok(!c.verifyCheckpoint(v.note, ex.vkey).ok);
  }
});

test('key files parse and their key id is checked', () => {
  const v = vector('checkpoint/custodian-size-8.json');
  const seed = c.fromHex(v.key_seed_hex);
  const line = `PRIVATE+KEY+${v.name}+${v.key_id_hex}+${c.toBase64(Uint8Array.of(1, ...seed))}\n`;
  const key = c.parseSigningKey(line);
  assert.equal(c.toHex(key.publicKey), v.public_key_hex);
  assert.throws(() => c.parseSigningKey(line.replace(v.key_id_hex, '00000000')), /does not match/);
  assert.throws(() => c.parseSigningKey('PUBLIC+KEY+x'), /PRIVATE\+KEY/);
});
