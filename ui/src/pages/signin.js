// Sign in: the user loads their key file (one line, PRIVATE+KEY+...; docs/
// FORMATS.md §6). The key stays in this tab's sessionStorage; what leaves the
// browser is a signature on each read (FORMATS.md §18), never the key.

import { h, replace, note } from '../dom.js';
import { announceSignIn, get, signIn, signOut, signedInKey } from '../api.js';
import { toHex, verifierKeyText } from '../crypto.js';

export async function render(section) {
  const key = signedInKey();
  section.append(h('h1', {}, key ? 'Account' : 'Sign in'));
  const status = h('div', { id: 'signin-status', 'aria-live': 'polite' });

  if (key) {
    section.append(
      h(
        'section',
        { class: 'card' },
        h('p', { id: 'signed-in' }, 'Signed in as ', h('strong', {}, key.name), ' (key id ', h('code', {}, toHex(key.id)), ').'),
        h('p', {}, 'Your public key: ', h('code', { class: 'hash' }, verifierKeyText(key.name, key.publicKey))),
        h('p', { class: 'hint' }, 'Each request this page makes carries your signature. The key itself stays in this browser tab (sessionStorage) and is forgotten when the tab closes.'),
        h('button', { type: 'button', id: 'signout', on: { click: () => { signOut(); location.hash = '#/signin'; } } }, 'Sign out'),
      ),
      status,
    );
    return;
  }

  const file = h('input', { id: 'key-file', type: 'file' });
  const text = h('textarea', { id: 'key-text', rows: '2', spellcheck: 'false', autocomplete: 'off', placeholder: 'PRIVATE+KEY+actor+keyid+…' });

  async function submit(line) {
    replace(status, note('loading', 'Checking the key with the server…'));
    let parsed;
    try {
      parsed = signIn(line, { quiet: true });
    } catch (e) {
      replace(status, note('error', `This is not a key file: ${e.message}.`));
      return;
    }
    // A signed read the server must accept: an unknown or revoked actor, or
    // a clock too far off, is refused here rather than on every page.
    try {
      await get('/api/v1/checkpoint');
    } catch (e) {
      signOut({ quiet: true });
      replace(status, note('error', `The server refused a read signed by ${parsed.name} (${e.code}): ${e.message}`));
      return;
    }
    announceSignIn();
    location.hash = '#/accountancy';
  }

  section.append(
    h(
      'section',
      { class: 'card' },
      h(
        'p',
        { class: 'lede' },
        'Most of Custodian is public. Facility-level material accounts are visible to their own state and to the inspectorate only: sign in with your actor key to see them.',
      ),
      h(
        'form',
        {
          id: 'signin-form',
          on: {
            submit: async (e) => {
              e.preventDefault();
              if (file.files.length) await submit(await file.files[0].text());
              else if (text.value.trim()) await submit(text.value);
              else replace(status, note('error', 'Choose your key file, or paste its line.'));
            },
          },
        },
        h('div', { class: 'field' }, h('label', { for: 'key-file' }, 'Your key file'), file),
        h('div', { class: 'field' }, h('label', { for: 'key-text' }, 'or paste its one line'), text),
        h('button', { type: 'submit' }, 'Sign in'),
      ),
      h(
        'p',
        { class: 'hint' },
        'The key is kept in this browser tab only (sessionStorage) and is never sent: each request carries an Ed25519 signature made here. In the demo, the actors’ key files are in the ',
        h('code', {}, '<database>.keys/'),
        ' directory (try ',
        h('code', {}, 'inspector-1.key'),
        ').',
      ),
      status,
    ),
  );
}
