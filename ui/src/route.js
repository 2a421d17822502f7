// Routes (#/page?param=value) and the error note every page shows.

import { h, note } from './dom.js';
import { ApiError, signedInAs } from './api.js';

/** The route of a hash: `#/items?at=2026-06-02` → {path: 'items', params}. */
export function parseHash(hash) {
  const text = hash.replace(/^#\/?/, '');
  const q = text.indexOf('?');
  const path = (q < 0 ? text : text.slice(0, q)) || 'registry';
  const params = new URLSearchParams(q < 0 ? '' : text.slice(q + 1));
  return { path, params };
}

/** Sets the hash's parameters without drawing the page again (slider moves). */
export function setParams(path, params) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== '')).toString();
  history.replaceState(null, '', `#/${path}${query ? `?${query}` : ''}`);
}

/** The note for a failed request, saying what the user can do about it. */
export function errorNote(e) {
  if (e instanceof ApiError) {
    if (e.status === 404 && e.code === 'not_found' && /no such route/.test(e.message)) {
      return note('error', 'This server does not serve this view yet (', h('code', {}, '404'), ').');
    }
    if (e.status === 401) {
      return note('error', `Your signed read was refused (${e.code}): ${e.message}. `, h('a', { href: '#/signin' }, 'Sign in again'), ' or sign out.');
    }
    if (e.status === 403) {
      return note('error', `Not visible to you: ${e.message}. `, signedInAs() ? '' : h('a', { href: '#/signin' }, 'Sign in'), signedInAs() ? '' : ' with a key that may read it.');
    }
    return note('error', `The server answered ${e.status || 'nothing'} (${e.code}): ${e.message}`, e.field ? ` [field: ${e.field}]` : '');
  }
  return note('error', `Something went wrong in this page: ${e.message}`);
}

