// Compliance findings side by side: one column per interpretation, each
// verdict with its reasoning, the facts it rests on (with their sources) and
// the log leaves it cites. The software takes no side: every reading it
// knows is evaluated and shown in the same way.

import { h, note, sourced, leafLink, today } from '../dom.js';
import { get, withQuery } from '../api.js';

const VERDICT = {
  complies: { mark: '✔', label: 'complies' },
  violates: { mark: '✘', label: 'violates' },
};

function verdictOf(v) {
  return VERDICT[v] ?? { mark: '?', label: String(v ?? 'no verdict').replaceAll('_', ' ') };
}

function leafList(events) {
  const leaves = [...new Set((events ?? []).map((e) => e.leaf))].sort((a, b) => a - b);
  return leaves.map((l, i) => [i ? ' ' : '', leafLink(l)]);
}

export async function render(section, params, ctx) {
  const at = params.get('at') || today();
  const obligation = params.get('obligation') || '';
  const dateInput = h('input', { id: 'findings-at', type: 'date', value: at, max: today() });
  const form = h('form', { class: 'card row filters' }, h('label', { for: 'findings-at' }, 'As of'), dateInput, h('button', { type: 'submit' }, 'Evaluate'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/findings?at=${dateInput.value || today()}${obligation ? `&obligation=${encodeURIComponent(obligation)}` : ''}`;
  });
  section.append(
    h('h1', {}, 'Findings'),
    h('p', { class: 'lede' }, 'Treaty obligations evaluated over the record under every interpretation Custodian knows. Where states read a rule differently, each reading has its own column; none is preferred.'),
    form,
  );

  const doc = await get(withQuery('/api/v1/findings', { at, obligation }));
  if (ctx.stale()) return;
  const interps = doc.interpretations ?? [];
  const findings = doc.findings ?? [];

  if (interps.length) {
    section.append(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'interp-h' },
        h('h2', { id: 'interp-h' }, 'The interpretations'),
        h(
          'div',
          { class: 'columns' },
          interps.map((i) =>
            h(
              'article',
              { class: 'interp' },
              h('h3', {}, i.name),
              h('p', {}, i.summary),
              i.tenets?.length ? h('details', {}, h('summary', {}, 'Tenets'), h('ol', {}, i.tenets.map((t) => h('li', {}, t)))) : null,
              sourced('Sources', i.sources ?? []),
            ),
          ),
        ),
      ),
    );
  }
  if (!findings.length) {
    section.append(note('info', `No finding as of ${doc.at ?? at}.`));
    return;
  }

  // One card per obligation and subject, one column per interpretation.
  const groups = new Map();
  for (const f of findings) {
    const key = `${f.obligation}\u0000${f.subject}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(f);
  }
  const order = interps.map((i) => i.id);
  const name = (id) => interps.find((i) => i.id === id)?.name ?? id;
  section.append(h('p', { id: 'findings-summary' }, `${findings.length} findings on ${groups.size} questions as of ${doc.at ?? at}.`));
  for (const group of groups.values()) {
    const { obligation: ob, subject } = group[0];
    group.sort((a, b) => order.indexOf(a.interpretation) - order.indexOf(b.interpretation));
    const verdicts = new Set(group.map((f) => f.verdict));
    section.append(
      h(
        'section',
        { class: 'card finding', dataset: { obligation: ob, subject }, 'aria-label': `${ob} ${subject}` },
        h('h2', {}, h('code', {}, ob), ' · ', subject, verdicts.size > 1 ? h('span', { class: 'tag' }, 'readings disagree') : null),
        h(
          'div',
          { class: 'columns' },
          group.map((f) => {
            const v = verdictOf(f.verdict);
            return h(
              'article',
              { class: `verdict-col v-${f.verdict}`, dataset: { interpretation: f.interpretation, verdict: f.verdict } },
              h('h3', {}, name(f.interpretation)),
              h('p', { class: `verdict ${f.verdict === 'complies' ? 'ok' : f.verdict === 'violates' ? 'bad' : 'warn'}` }, h('span', { class: 'mark', 'aria-hidden': 'true' }, v.mark), h('strong', {}, v.label)),
              h('details', { open: true }, h('summary', {}, 'Reasoning'), h('ol', { class: 'reasoning' }, (f.reasoning ?? []).map((r) => h('li', {}, r.replace(/^\d+\.\s*/, ''))))),
              h('details', {}, h('summary', {}, `Facts (${(f.facts ?? []).length})`), h('ul', { class: 'facts-list' }, (f.facts ?? []).map((x) => h('li', {}, sourced(x.statement, [x.source, x.table ? `table: ${x.table}` : null]))))),
              h('p', { class: 'cites' }, 'Cites ', leafList(f.events)),
            );
          }),
        ),
      ),
    );
  }
  if (doc.general_rules?.length) {
    section.append(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'rules-h' },
        h('h2', { id: 'rules-h' }, 'General rules applied as reasoning steps'),
        h('ul', {}, doc.general_rules.map((r) => h('li', {}, sourced(r.name, [r.source], h('p', {}, r.text))))),
      ),
    );
  }
}
