// The log explorer: the latest checkpoint, its signature verified here with
// a verifier key the user pinned (or the one the server states, saying so);
// any entry with its RFC 9162 inclusion proof, verified here against that
// checkpoint's root; and a control that flips a byte to watch a check fail.

import { h, replace, note, table } from '../dom.js';
import { get, withQuery } from '../api.js';
import { setParams, errorNote } from '../route.js';
import { fromBase64, fromHex, leafHash, parseVerifierKey, toBase64, toHex, verifyCheckpoint, verifyInclusion } from '../crypto.js';

const PIN_STORAGE = 'custodian.pinned-verifier-key';

function pinnedKey() {
  try {
    return localStorage.getItem(PIN_STORAGE);
  } catch {
    return null;
  }
}

const TAMPER_TARGETS = [
  { id: 'leaf', label: 'a byte of the entry' },
  { id: 'proof', label: 'a byte of the first proof hash' },
  { id: 'signature', label: 'a byte of the checkpoint’s signature' },
];

/** Flips the lowest bit of one byte of the signature in a signed note's last line. */
function flipSignatureByte(noteText) {
  const lines = noteText.split('\n');
  const i = lines.length - 2; // the last signature line (the note ends in \n)
  const at = lines[i].lastIndexOf(' ');
  const raw = fromBase64(lines[i].slice(at + 1));
  raw[raw.length - 1] ^= 1;
  lines[i] = `${lines[i].slice(0, at + 1)}${toBase64(raw)}`;
  return lines.join('\n');
}

export async function render(section, params, ctx) {
  const cp = await get('/api/v1/checkpoint');
  if (ctx.stale()) return;
  const state = { cp, tamper: null, entry: null, proof: null };

  section.append(
    h('h1', {}, 'Log explorer'),
    h(
      'p',
      { class: 'lede' },
      'Every record is a leaf of an append-only Merkle log (RFC 9162). Your browser checks the signed checkpoint and each inclusion proof itself, with its own code; it does not take the server’s word.',
    ),
  );

  // ---------------------------------------------------------- checkpoint
  const cpStatus = h('div', { id: 'checkpoint-status', 'aria-live': 'polite' });
  const pinInput = h('input', { id: 'pin-key', type: 'text', spellcheck: 'false', autocomplete: 'off', placeholder: 'origin+keyid+base64key', value: pinnedKey() ?? '' });
  const pinForm = h(
    'form',
    { class: 'inline-form', on: { submit: (e) => { e.preventDefault(); pin(pinInput.value.trim()); } } },
    h('label', { for: 'pin-key' }, 'Pin a verifier key (from the log’s operator, through another channel)'),
    h('div', { class: 'row' }, pinInput, h('button', { type: 'submit' }, 'Pin'), h('button', { type: 'button', on: { click: () => pin('') } }, 'Unpin')),
  );
  section.append(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'cp-h' },
      h('h2', { id: 'cp-h' }, 'Latest checkpoint'),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Log (origin)'), h('dd', {}, h('code', {}, cp.origin)),
        h('dt', {}, 'Entries (tree size)'), h('dd', { id: 'cp-size' }, String(cp.tree_size)),
        h('dt', {}, 'Root hash'), h('dd', {}, h('code', { class: 'hash' }, cp.root_hash)),
      ),
      h('details', {}, h('summary', {}, 'The signed note'), h('pre', { class: 'note-text' }, cp.note)),
      cpStatus,
      pinForm,
    ),
  );

  function pin(text) {
    try {
      if (text) {
        parseVerifierKey(text);
        localStorage.setItem(PIN_STORAGE, text);
      } else {
        localStorage.removeItem(PIN_STORAGE);
        pinInput.value = '';
      }
    } catch (e) {
      replace(cpStatus, note('error', `Not a verifier key: ${e.message}`));
      return;
    }
    check();
  }

  // --------------------------------------------------------------- entry
  const indexInput = h('input', { id: 'entry-index', type: 'number', min: '0', max: String(Math.max(0, cp.tree_size - 1)), step: '1', inputmode: 'numeric', required: true });
  const entryBox = h('div', { id: 'entry' });
  const proofStatus = h('div', { id: 'proof-status', 'aria-live': 'polite' });
  const proofBox = h('div', { id: 'proof' });
  const tamperTarget = h('select', { id: 'tamper-target' }, TAMPER_TARGETS.map((t) => h('option', { value: t.id }, t.label)));
  const tamperButton = h('button', { type: 'button', id: 'tamper', on: { click: () => { state.tamper = tamperTarget.value; check(); } } }, 'Flip a byte and check again');
  const undoButton = h('button', { type: 'button', id: 'untamper', on: { click: () => { state.tamper = null; check(); } } }, 'Undo');
  const tamperResult = h('p', { id: 'tamper-result', 'aria-live': 'polite' });
  const tamperBox = h(
    'fieldset',
    { class: 'tamper' },
    h('legend', {}, 'Tamper, to see the checks fail'),
    h('label', { for: 'tamper-target' }, 'Change '),
    tamperTarget,
    h('div', { class: 'row' }, tamperButton, undoButton),
    tamperResult,
    h('p', { class: 'hint' }, 'The change is made in this page only, to the copy your browser checks; nothing is sent.'),
  );

  section.append(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'entry-h' },
      h('h2', { id: 'entry-h' }, 'An entry and its inclusion proof'),
      cp.tree_size === 0
        ? note('info', 'The log is empty.')
        : h(
            'form',
            { class: 'inline-form', on: { submit: (e) => { e.preventDefault(); showEntry(Number(indexInput.value)); } } },
            h('label', { for: 'entry-index' }, `Entry index (0 to ${cp.tree_size - 1})`),
            h('div', { class: 'row' }, indexInput, h('button', { type: 'submit' }, 'Show and prove')),
          ),
      proofStatus,
      cp.tree_size === 0 ? null : tamperBox,
      entryBox,
      proofBox,
    ),
  );

  const recent = h('section', { class: 'card', 'aria-labelledby': 'recent-h' }, h('h2', { id: 'recent-h' }, 'Latest entries'));
  section.append(recent);

  check();

  async function showEntry(index) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= cp.tree_size) {
      replace(proofStatus, note('error', `Choose an index from 0 to ${cp.tree_size - 1}.`));
      return;
    }
    setParams('log', { index });
    indexInput.value = String(index);
    replace(proofStatus, note('loading', `Fetching entry ${index} and its proof…`));
    replace(entryBox);
    replace(proofBox);
    try {
      const [entry, proof] = await Promise.all([
        get(`/api/v1/entries/${index}`),
        get(withQuery('/api/v1/proofs/inclusion', { index, size: cp.tree_size })),
      ]);
      state.entry = entry;
      state.proof = proof;
    } catch (e) {
      replace(proofStatus, errorNote(e));
      return;
    }
    drawEntry();
    check();
  }

  function drawEntry() {
    const { entry } = state;
    if (entry.redacted || entry.submission === null) {
      replace(
        entryBox,
        h('h3', {}, `Entry ${entry.index}`),
        note('info', h('strong', {}, 'Redacted. '), 'This entry holds facility-level accounts, visible to their state and the inspectorate only. Its hash is public, so its inclusion is still proven below.'),
      );
      return;
    }
    const sub = entry.submission;
    const kinds = (sub.events ?? []).map((e) => e.kind).join(', ');
    replace(
      entryBox,
      h('h3', {}, `Entry ${entry.index}`),
      h('p', {}, `Submitted by `, h('code', {}, sub.actor ?? '?'), `, sequence ${sub.seq ?? '?'}: ${kinds}`),
      h('details', { open: true }, h('summary', {}, 'The submission (JSON)'), h('pre', { class: 'json', id: 'entry-json' }, JSON.stringify(sub, null, 2))),
    );
  }

  function check() {
    // The checkpoint: the pinned key if there is one, else the server's.
    const pinned = pinnedKey();
    const keyText = pinned || cp.verifier_key;
    const noteText = state.tamper === 'signature' ? flipSignatureByte(cp.note) : cp.note;
    let result;
    try {
      result = verifyCheckpoint(noteText, keyText);
    } catch (e) {
      result = { ok: false, reason: e.message };
    }
    const which = pinned
      ? ['the key you pinned: ', h('code', {}, keyText)]
      : ['the key the server states: ', h('code', {}, keyText), '. That proves only that the server signed it; pin the key you got from the log’s operator to check it independently.'];
    replace(
      cpStatus,
      result.ok
        ? h('p', { class: 'verdict ok', id: 'checkpoint-verdict', role: 'status' }, h('span', { class: 'mark', 'aria-hidden': 'true' }, '✔'), h('strong', {}, 'Signature verified'), ' in your browser (Ed25519, RFC 8032) with ', which)
        : h('p', { class: 'verdict bad', id: 'checkpoint-verdict', role: 'alert' }, h('span', { class: 'mark', 'aria-hidden': 'true' }, '✘'), h('strong', {}, 'Signature NOT verified: '), result.reason, '. Checked with ', which),
    );
    const cpOk = result.ok;

    if (!state.entry || !state.proof) return;
    const { entry, proof } = state;
    let leafBytes = entry.leaf ? fromHex(entry.leaf) : null;
    if (leafBytes && state.tamper === 'leaf') {
      leafBytes = leafBytes.slice();
      leafBytes[Math.floor(leafBytes.length / 2)] ^= 1;
    }
    const lh = leafBytes ? leafHash(leafBytes) : fromHex(entry.leaf_hash);
    const path = proof.proof.map(fromHex);
    if (state.tamper === 'proof' && path.length) {
      path[0] = path[0].slice();
      path[0][0] ^= 1;
    }
    // Checked against the checkpoint's root as the note states it (parsed
    // above), not the root the proof's JSON claims.
    const root = result.checkpoint ? result.checkpoint.root : fromHex(cp.root_hash);
    const size = result.checkpoint ? result.checkpoint.treeSize : cp.tree_size;
    const inc = proof.tree_size === size ? verifyInclusion(entry.index, size, lh, path, root) : { ok: false, reason: `the proof is for size ${proof.tree_size}, the checkpoint's is ${size}` };
    const tampered = state.tamper ? [' (after flipping ', TAMPER_TARGETS.find((t) => t.id === state.tamper).label, ')'] : '';
    replace(
      proofStatus,
      inc.ok && cpOk
        ? h('p', { class: 'verdict ok', id: 'proof-verdict', role: 'status' }, h('span', { class: 'mark', 'aria-hidden': 'true' }, '✔'), h('strong', {}, 'Inclusion verified: '), `entry ${entry.index} is in the log of ${size} entries whose signed checkpoint verified above (RFC 9162 §2.1.3.2, computed in your browser).`)
        : inc.ok
          ? h('p', { class: 'verdict bad', id: 'proof-verdict', role: 'alert' }, h('span', { class: 'mark', 'aria-hidden': 'true' }, '✘'), h('strong', {}, 'Not verified: '), `the proof leads to the checkpoint’s root, but the checkpoint’s signature does not verify`, tampered, '.')
          : h('p', { class: 'verdict bad', id: 'proof-verdict', role: 'alert' }, h('span', { class: 'mark', 'aria-hidden': 'true' }, '✘'), h('strong', {}, 'Inclusion NOT verified: '), inc.reason, tampered, '.'),
    );
    const mark = (ok) => h('span', { class: `mark ${ok ? 'ok' : 'bad'}`, 'aria-hidden': 'true' }, ok ? '✔ ' : '✘ ');
    replace(
      tamperResult,
      state.tamper ? ['After flipping ', TAMPER_TARGETS.find((t) => t.id === state.tamper).label, ': '] : 'As served: ',
      mark(cpOk), `checkpoint signature ${cpOk ? 'verified' : 'NOT verified'}; `,
      mark(inc.ok), `inclusion ${inc.ok ? 'verified' : 'NOT verified'}.`,
    );
    const computed = verifyInclusion(entry.index, size, lh, path, root);
    replace(
      proofBox,
      h(
        'details',
        {},
        h('summary', {}, `The proof: ${path.length} hashes`),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Leaf hash, SHA-256(0x00 ‖ entry)'),
          h('dd', {}, h('code', { class: 'hash' }, toHex(lh)), leafBytes ? ' (computed here from the entry’s bytes)' : ' (as the server gives it: the entry is redacted)'),
          h('dt', {}, 'Audit path, leaf to root'),
          h('dd', {}, h('ol', { class: 'hashes' }, path.map((p) => h('li', {}, h('code', { class: 'hash' }, toHex(p)))))),
          h('dt', {}, 'Root the path leads to'),
          h('dd', {}, h('code', { class: 'hash' }, computed.ok ? toHex(computed.root) : computed.reason.match(/leads to root (\w+)/)?.[1] ?? '—')),
          h('dt', {}, 'Root in the signed checkpoint'),
          h('dd', {}, h('code', { class: 'hash' }, toHex(root))),
        ),
      ),
    );
  }

  // The latest entries, newest first, each a link to its proof.
  const from = Math.max(0, cp.tree_size - 12);
  if (cp.tree_size > 0) {
    get(withQuery('/api/v1/entries', { from, to: cp.tree_size }))
      .then((page) => {
        const rows = page.entries
          .slice()
          .reverse()
          .map((e) =>
            h(
              'tr',
              {},
              h('td', {}, h('a', { href: `#/log?index=${e.index}` }, String(e.index))),
              h('td', {}, e.submission ? h('code', {}, e.submission.actor) : h('em', {}, 'redacted')),
              h('td', {}, e.submission ? (e.submission.events ?? []).map((x) => x.kind).join(', ') : 'facility accounts'),
            ),
          );
        recent.append(table(null, ['Index', 'Submitted by', 'Events'], rows, { class: 'compact' }));
      })
      .catch((e) => recent.append(errorNote(e)));
    const asked = Number(params.get('index'));
    const start = params.has('index') && Number.isSafeInteger(asked) ? asked : cp.tree_size - 1;
    indexInput.value = String(start);
    await showEntry(start);
  }
}
