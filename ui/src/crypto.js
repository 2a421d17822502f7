// The checks the browser makes itself, with no help from the server and no
// WebCrypto (which plain-http pages off localhost do not get):
//
// - signed notes (C2SP signed-note; docs/FORMATS.md §6–7): verifier keys,
//   key ids, Ed25519 signatures over the note body;
// - RFC 9162 §2.1 Merkle hashes and the §2.1.3.2 inclusion-proof check;
// - signed reads (docs/FORMATS.md §18): the `Authorization` header.
//
// Pure functions of their arguments (the signer takes its time and nonce as
// arguments), so node:test checks them against fixed vectors.

import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';

ed.hashes.sha512 = sha512;

const utf8 = new TextEncoder();

/** Hex (lowercase) of bytes. */
export function toHex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Bytes of a hex string; throws on odd length or a non-hex digit. */
export function fromHex(text) {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new Error('not hex');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding (RFC 4648 §4) of bytes. */
export function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    s += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    s += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=';
    s += i + 2 < bytes.length ? B64[n & 63] : '=';
  }
  return s;
}

/** Bytes of standard padded base64; strict: throws on anything else. */
export function fromBase64(text) {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new Error('not base64');
  }
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text[i + j];
      n = (n << 6) | (c === '=' ? 0 : B64.indexOf(c));
    }
    for (const b of [(n >> 16) & 255, (n >> 8) & 255, n & 255]) if (o < out.length) out[o++] = b;
  }
  // Canonical only: re-encoding gives the same text.
  if (toBase64(out) !== text) throw new Error('not canonical base64');
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// ---------------------------------------------------------------- RFC 9162

/** RFC 9162 §2.1.1: the hash of a leaf, SHA-256(0x00 || leaf). */
export function leafHash(leaf) {
  return sha256(concat(Uint8Array.of(0), leaf));
}

/** RFC 9162 §2.1.1: the hash of an interior node, SHA-256(0x01 || left || right). */
export function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

/**
 * RFC 9162 §2.1.3.2, "Verifying an Inclusion Proof": the root that `path`
 * leads to from the leaf hash at `index` in a tree of `size` leaves, or an
 * error saying why the proof cannot be one. Sizes stay below 2^53, so plain
 * numbers with division (not 32-bit `>>`) are exact.
 */
export function rootFromInclusionProof(index, size, leafHashBytes, path) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    return { ok: false, reason: `index ${index} is not in a tree of ${size} leaves` };
  }
  let fn = index;
  let sn = size - 1;
  let r = leafHashBytes;
  const half = (x) => Math.floor(x / 2);
  for (const p of path) {
    if (p.length !== 32) return { ok: false, reason: 'a proof hash is not 32 bytes' };
    if (sn === 0) return { ok: false, reason: 'the proof is longer than the tree is deep' };
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return { ok: false, reason: 'the proof is shorter than the tree is deep' };
  return { ok: true, root: r };
}

/** Whether `path` proves the leaf hash at `index` is in the tree of `size` leaves with `root`. */
export function verifyInclusion(index, size, leafHashBytes, path, root) {
  const got = rootFromInclusionProof(index, size, leafHashBytes, path);
  if (!got.ok) return got;
  if (!equalBytes(got.root, root)) {
    return { ok: false, reason: `the proof leads to root ${toHex(got.root)}, not the checkpoint's ${toHex(root)}` };
  }
  return { ok: true, root: got.root };
}

// ------------------------------------------------------- signed notes, keys

/** The key id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || public key)[0..4] (FORMATS.md §6). */
export function keyId(name, publicKey) {
  return sha256(concat(utf8.encode(name), Uint8Array.of(0x0a, 0x01), publicKey)).slice(0, 4);
}

function splitKey(text, parts) {
  // Split on the first `parts - 1` plus signs only: base64 may hold `+`.
  const out = [];
  let rest = text;
  for (let i = 0; i < parts - 1; i++) {
    const at = rest.indexOf('+');
    if (at < 0) return null;
    out.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  out.push(rest);
  return out;
}

function keyBody(name, idHex, b64, what) {
  if (!name || /[\s+]/.test(name)) throw new Error(`${what}: bad name`);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new Error(`${what}: the key id is not 8 lowercase hex digits`);
  let raw;
  try {
    raw = fromBase64(b64);
  } catch {
    throw new Error(`${what}: the key is not base64`);
  }
  if (raw.length !== 33 || raw[0] !== 0x01) throw new Error(`${what}: not an Ed25519 key (0x01 || 32 bytes)`);
  return raw.slice(1);
}

/**
 * Parses a verifier key `<name>+<8 hex id>+<base64(0x01 || public key)>`
 * (golang/mod sumdb/note) and checks its id against the key.
 */
export function parseVerifierKey(text) {
  const parts = splitKey(text.trim(), 3);
  if (!parts) throw new Error('verifier key: expected <name>+<key id>+<key>');
  const [name, idHex, b64] = parts;
  const publicKey = keyBody(name, idHex, b64, 'verifier key');
  const id = keyId(name, publicKey);
  if (toHex(id) !== idHex) throw new Error(`verifier key: the key id ${idHex} does not match the key (${toHex(id)})`);
  return { name, id, publicKey, text: text.trim() };
}

/**
 * Parses a signing key file, one line `PRIVATE+KEY+<name>+<8 hex id>+<base64(0x01 || seed)>`,
 * and checks its id against the public key derived from the seed.
 */
export function parseSigningKey(text) {
  const line = text.replace(/\r?\n$/, '');
  if (line.includes('\n')) throw new Error('key file: expected one line');
  const parts = splitKey(line, 5);
  if (!parts || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') {
    throw new Error('key file: expected PRIVATE+KEY+<actor>+<key id>+<key>');
  }
  const [, , name, idHex, b64] = parts;
  const seed = keyBody(name, idHex, b64, 'key file');
  const publicKey = ed.getPublicKey(seed);
  const id = keyId(name, publicKey);
  if (toHex(id) !== idHex) throw new Error(`key file: the key id ${idHex} does not match the key (${toHex(id)})`);
  return { name, id, seed, publicKey };
}

/** The verifier key text of a public key (FORMATS.md §6). */
export function verifierKeyText(name, publicKey) {
  return `${name}+${toHex(keyId(name, publicKey))}+${toBase64(concat(Uint8Array.of(1), publicKey))}`;
}

const EM_DASH = '\u2014';

/**
 * Parses a C2SP signed note and its checkpoint body (FORMATS.md §7): the
 * origin, tree size and root, and the signature lines.
 */
export function parseCheckpointNote(note) {
  if (note.length > 1 << 20) throw new Error('note over 1 MiB');
  const split = note.indexOf('\n\n');
  if (split < 0) throw new Error('note: no blank line before the signatures');
  const body = note.slice(0, split + 1);
  const sigText = note.slice(split + 2);
  if (!sigText.endsWith('\n')) throw new Error('note: the signatures do not end in a newline');
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw new Error('checkpoint: fewer than three lines');
  const [origin, sizeText, rootB64] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw new Error('checkpoint: bad tree size');
  const treeSize = Number(sizeText);
  if (!Number.isSafeInteger(treeSize)) throw new Error('checkpoint: tree size too large');
  const root = fromBase64(rootB64);
  if (root.length !== 32) throw new Error('checkpoint: the root is not 32 bytes');
  const signatures = [];
  const sigLines = sigText.slice(0, -1).split('\n');
  if (sigLines.length > 100) throw new Error('note: more than 100 signatures');
  for (const line of sigLines) {
    const m = line.match(/^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/);
    if (!m) throw new Error(`note: bad signature line ${JSON.stringify(line)}`);
    const raw = fromBase64(m[2]);
    if (raw.length < 5) throw new Error('note: signature too short');
    signatures.push({ name: m[1], id: raw.slice(0, 4), signature: raw.slice(4) });
  }
  return { body, origin, treeSize, root, extensions: lines.slice(3), signatures };
}

/**
 * Verifies a checkpoint note with a verifier key: a signature line by that
 * key's name and id must verify over the body (RFC 8032 strict, not ZIP 215,
 * as the server's `verify_strict`), and the key's name must equal the origin
 * (FORMATS.md §7, "Custodian rule").
 */
export function verifyCheckpoint(note, verifierKey) {
  let parsed;
  try {
    parsed = parseCheckpointNote(note);
  } catch (e) {
    return { ok: false, reason: e.message };
  }
  const key = typeof verifierKey === 'string' ? parseVerifierKey(verifierKey) : verifierKey;
  if (key.name !== parsed.origin) {
    return { ok: false, reason: `the key is for ${JSON.stringify(key.name)}, the checkpoint's origin is ${JSON.stringify(parsed.origin)}`, checkpoint: parsed };
  }
  const line = parsed.signatures.find((s) => s.name === key.name && equalBytes(s.id, key.id));
  if (!line) return { ok: false, reason: 'no signature by this key', checkpoint: parsed };
  let good = false;
  try {
    good = line.signature.length === 64 && ed.verify(line.signature, utf8.encode(parsed.body), key.publicKey, { zip215: false });
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'the signature does not verify', checkpoint: parsed };
  return { ok: true, checkpoint: parsed };
}

// ------------------------------------------------------------ signed reads

/** The bytes a signed read signs (FORMATS.md §18). */
export function readMessage(origin, method, pathAndQuery, time, nonce) {
  return `custodian-read/v1\n${origin}\n${method}\n${pathAndQuery}\n${time}\n${nonce}\n`;
}

/** `YYYY-MM-DDTHH:MM:SSZ` of a Date (whole seconds, UTC). */
export function readTime(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** 32 lowercase hex digits from 16 random bytes (getRandomValues works on plain http). */
export function randomNonce() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return toHex(bytes);
}

/**
 * The `Authorization` header of a signed read (FORMATS.md §18):
 * `Custodian-Read actor=<id>,time=<time>,nonce=<nonce>,sig=<base64>`.
 */
export function authorizationHeader(key, origin, method, pathAndQuery, time, nonce) {
  const message = utf8.encode(readMessage(origin, method, pathAndQuery, time, nonce));
  const sig = ed.sign(message, key.seed);
  return `Custodian-Read actor=${key.name},time=${time},nonce=${nonce},sig=${toBase64(sig)}`;
}
