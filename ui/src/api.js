// Every request the UI makes goes through `get`: when someone has signed in,
// it carries a signed-read `Authorization` header (docs/FORMATS.md §18) made
// here, in the browser, with the key kept in this tab's sessionStorage.

import { authorizationHeader, parseSigningKey, randomNonce, readTime } from './crypto.js';

const KEY_STORAGE = 'custodian.signing-key';

/** An API error: the HTTP status and the JSON error's code, message and field. */
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

let key = null;
try {
  const stored = sessionStorage.getItem(KEY_STORAGE);
  if (stored) key = parseSigningKey(stored);
} catch {
  sessionStorage.removeItem(KEY_STORAGE);
}

const listeners = new Set();

/** Calls `fn` whenever someone signs in or out. */
export function onSignChange(fn) {
  listeners.add(fn);
}

/** The signed-in actor's id, or null for the public. */
export function signedInAs() {
  return key ? key.name : null;
}

/** The signed-in key (name, id, public key), or null. */
export function signedInKey() {
  return key;
}

function announce() {
  for (const fn of listeners) fn();
}

/**
 * Parses a key file's text and keeps it for this tab; throws if it is not
 * one. With `quiet`, the pages are not told yet (the sign-in page first
 * checks that the server takes the key, then calls `announceSignIn`).
 */
export function signIn(text, { quiet = false } = {}) {
  const parsed = parseSigningKey(text.trim());
  sessionStorage.setItem(KEY_STORAGE, text.trim());
  key = parsed;
  if (!quiet) announce();
  return parsed;
}

/** Tells the pages that someone signed in quietly. */
export function announceSignIn() {
  announce();
}

/** Forgets the key. */
export function signOut({ quiet = false } = {}) {
  sessionStorage.removeItem(KEY_STORAGE);
  key = null;
  if (!quiet) announce();
}

let originPromise = null;
let clockOffsetMs = 0;

/**
 * The log's origin (it is part of what a signed read signs), asked once
 * without a signature. The answer's Date header also gives the server's
 * clock, so a client whose clock is off still signs a time the server takes.
 */
function logOrigin() {
  if (!originPromise) {
    originPromise = fetch('/api/v1/checkpoint', { cache: 'no-store' })
      .then(async (r) => {
        const date = Date.parse(r.headers.get('date') ?? '');
        if (Number.isFinite(date)) clockOffsetMs = date - Date.now();
        if (!r.ok) throw new ApiError(r.status, 'checkpoint', `the server's checkpoint: HTTP ${r.status}`);
        return (await r.json()).origin;
      })
      .catch((e) => {
        originPromise = null;
        throw e;
      });
  }
  return originPromise;
}

/** A path with a query, parameters with null/empty values left out. */
export function withQuery(path, params) {
  const parts = Object.entries(params ?? {})
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.length ? `${path}?${parts.join('&')}` : path;
}

/** The signed-read header for `GET pathAndQuery`, or null when no one is signed in. */
export async function authorizationFor(pathAndQuery) {
  if (!key) return null;
  const origin = await logOrigin();
  const time = readTime(new Date(Date.now() + clockOffsetMs));
  return authorizationHeader(key, origin, 'GET', pathAndQuery, time, randomNonce());
}

/**
 * GETs `pathAndQuery` (exactly as signed) and returns its JSON, or its text
 * with `{text: true}`; throws ApiError for an error answer.
 */
export async function get(pathAndQuery, { text = false, signed = true } = {}) {
  const headers = { Accept: text ? 'text/plain' : 'application/json' };
  const auth = signed ? await authorizationFor(pathAndQuery) : null;
  if (auth) headers.Authorization = auth;
  let response;
  try {
    response = await fetch(pathAndQuery, { headers, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network', `the server did not answer (${e.message})`);
  }
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      // Not JSON: keep the status alone.
    }
    const err = body?.error ?? {};
    throw new ApiError(response.status, err.code ?? `http_${response.status}`, err.message ?? `HTTP ${response.status}`, err.field ?? null);
  }
  return text ? response.text() : response.json();
}
