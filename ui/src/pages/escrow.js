// Declarations in escrow: what each state committed to (a Merkle root over
// its declaration, which stays secret), what it has revealed since (entries,
// complete ranges, samples, totals within bounds, absence proofs), whether
// each reveal verified against the commitment, and the findings.

import { h, note, leafLink, table } from '../dom.js';
import { get } from '../api.js';

const MODE = {
  total: 'Total within bounds (range proof)',
  range: 'Complete range',
  sample: 'Random sample',
  response: 'Answer to a challenge',
  entry: 'Single entry',
};

function outcome(o) {
  if (o && typeof o === 'object') {
    if ('Ok' in o) return { ok: true, text: o.Ok };
    if ('Err' in o) return { ok: false, text: o.Err };
  }
  return { ok: false, text: JSON.stringify(o) };
}

export async function render(section, params, ctx) {
  section.append(
    h('h1', {}, 'Declarations in escrow'),
    h(
      'p',
      { class: 'lede' },
      'A state commits to its full declaration (items, sites, stocks) as one hash, so it cannot change or cherry-pick it later, then reveals it step by step. Each reveal is checked against the commitment; totals are proven within bounds without revealing the entries.',
    ),
  );
  const doc = await get('/api/v1/escrow');
  if (ctx.stale()) return;
  const decls = doc.declarations ?? [];
  if (!decls.length) section.append(note('info', 'No declaration is in escrow.'));
  for (const d of decls) {
    const opened = d.opened ?? [];
    const bad = opened.filter((o) => !outcome(o.outcome).ok).length;
    section.append(
      h(
        'section',
        { class: 'card declaration', dataset: { declaration: d.declaration } },
        h('h2', {}, `${d.state} · declaration `, h('code', {}, d.declaration)),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Complete as of'), h('dd', {}, d.as_of),
          h('dt', {}, 'Scope'), h('dd', {}, d.scope),
          h('dt', {}, 'Committed'), h('dd', {}, d.committed_by ? [d.committed_by.time, ' · ', leafLink(d.committed_by.leaf)] : '—'),
          h('dt', {}, 'Commitment (Merkle root)'), h('dd', {}, h('code', { class: 'hash' }, d.root)),
          h('dt', {}, 'Entries'), h('dd', {}, `${d.entries} committed; ${d.revealed ?? 0} revealed so far`),
        ),
        h(
          'p',
          { class: `verdict ${bad ? 'bad' : 'ok'}` },
          h('span', { class: 'mark', 'aria-hidden': 'true' }, bad ? '✘' : '✔'),
          bad ? `${bad} of ${opened.length} reveals do not verify against the commitment.` : `All ${opened.length} reveals verify against the commitment.`,
        ),
        table(
          'Reveals and proofs',
          ['When', 'What', 'Check', 'Leaf'],
          opened.map((o) => {
            const r = outcome(o.outcome);
            return h(
              'tr',
              { class: r.ok ? '' : 'failed' },
              h('td', {}, o.by?.time?.slice(0, 10) ?? '—'),
              h('th', { scope: 'row' }, MODE[o.mode] ?? o.mode),
              h('td', {}, h('span', { class: `mark ${r.ok ? 'ok' : 'bad'}`, 'aria-hidden': 'true' }, r.ok ? '✔ ' : '✘ '), h('span', { class: 'sr-only' }, r.ok ? 'verified: ' : 'failed: '), r.text),
              h('td', {}, o.by ? leafLink(o.by.leaf) : '—'),
            );
          }),
          { class: 'stack' },
        ),
      ),
    );
  }
  const findings = doc.findings ?? [];
  section.append(
    h(
      'section',
      { class: 'card', id: 'escrow-findings', 'aria-labelledby': 'ef-h' },
      h('h2', { id: 'ef-h' }, `Findings (${findings.length})`),
      findings.length
        ? h(
            'ul',
            { class: 'escrow-findings' },
            findings.map((f) =>
              h(
                'li',
                {},
                h('p', {}, h('span', { class: 'mark', 'aria-hidden': 'true' }, '⚠ '), h('strong', {}, `${String(f.kind).replaceAll('_', ' ')}`), ` · ${f.state} · declaration `, h('code', {}, f.declaration), f.status ? h('span', { class: 'tag' }, f.status) : null),
                h('p', {}, f.message),
                h('p', { class: 'cites' }, 'Evidence: ', (f.events ?? []).map((e, i) => [i ? ', ' : '', leafLink(e.leaf, `${e.event} (leaf ${e.leaf})`)])),
              ),
            ),
          )
        : h('p', {}, 'None.'),
    ),
  );
}
