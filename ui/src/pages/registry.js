// The registry as of a date: each state's NPT status (under every reading
// where readings differ), the CTBT entry-into-force gap, and the published
// estimates of forces and deployments, each figure with its sources.

import { h, replace, note, sourced, table, today } from '../dom.js';
import { get, withQuery } from '../api.js';
import { setParams, errorNote } from '../route.js';

const FIRST_DAY = '1968-01-01';
const DAY_MS = 86400000;

const dayNumber = (date) => Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${FIRST_DAY}T00:00:00Z`)) / DAY_MS);
const dayDate = (n) => new Date(Date.parse(`${FIRST_DAY}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** The NPT status of one state in one answer's lists. */
function nptStatus(value, code) {
  const has = (list) => (value[list] ?? []).includes(code);
  if (has('nuclear_weapon_states')) return { key: 'nws', label: 'Party: nuclear-weapon State' };
  if (has('non_nuclear_weapon_states')) return { key: 'nnws', label: 'Party: non-nuclear-weapon State' };
  if (has('withdrawal_pending')) return { key: 'pending', label: 'Party, withdrawal pending' };
  if (has('withdrawn')) return { key: 'withdrawn', label: 'Withdrawn' };
  if (has('ratification_revoked')) return { key: 'revoked', label: 'Ratification revoked' };
  if (has('parties')) return { key: 'party', label: 'Party' };
  if (has('signatories')) return { key: 'signatory', label: 'Signatory, not ratified' };
  if (has('non_signatories')) return { key: 'nonparty', label: 'Not a party' };
  return { key: 'unknown', label: 'No record' };
}

const STATUS_MARK = { nws: '◆', nnws: '●', pending: '◐', withdrawn: '✕', revoked: '✕', party: '●', signatory: '○', nonparty: '–', unknown: '?' };

/** Every state code an answer names. */
function statesOf(value) {
  const all = new Set();
  for (const v of Object.values(value)) if (Array.isArray(v)) for (const c of v) all.add(c);
  return [...all].sort();
}

/** Letters for the readings a document lists (A, B, C, … across its questions). */
function letters(readings) {
  const out = new Map();
  let n = 0;
  for (const q of readings ?? []) for (const r of q.readings ?? []) out.set(`${q.id}\u0000${r.id}`, String.fromCharCode(65 + n++));
  return out;
}

/** A short label of the readings an answer holds under ("A or C"), with their full text on hover. */
function underLabel(under, readings) {
  if (!under || under.length === 0) return { text: 'every reading', title: '' };
  const names = letters(readings);
  const label = (q, r) => readings.find((x) => x.id === q)?.readings.find((x) => x.id === r)?.label ?? `${q}: ${r}`;
  const parts = under.map((u) => Object.entries(u).map(([q, r]) => names.get(`${q}\u0000${r}`) ?? r).join(' + '));
  const titles = under.map((u) => Object.entries(u).map(([q, r]) => `${names.get(`${q}\u0000${r}`) ?? ''}: ${label(q, r)}`).join('; '));
  return { text: `reading${parts.length > 1 ? 's' : ''} ${parts.join(' or ')}`, title: titles.join('\n') };
}

/** The contested questions a document's answers depend on, each reading lettered, with its sources. */
function readingsLegend(readings, id) {
  if (!readings?.length) return null;
  const names = letters(readings);
  return h(
    'details',
    { class: 'readings', id },
    h('summary', {}, `Contested facts behind this answer: ${readings.length === 1 ? 'one question' : `${readings.length} questions`}, readings ${[...names.values()].join(', ')}`),
    readings.map((q) =>
      h(
        'div',
        { class: 'question' },
        h('p', {}, h('strong', {}, q.question)),
        h('ul', {}, (q.readings ?? []).map((r) => h('li', {}, h('strong', {}, `${names.get(`${q.id}\u0000${r.id}`)}: `), sourced(r.label, r.sources ?? [])))),
      ),
    ),
  );
}

/** The figure of one forces row: what it counts and how many. */
function forceFigure(row) {
  const parts = [];
  if (row.total_inventory !== null && row.total_inventory !== undefined) parts.push(`${row.total_inventory} total`);
  if (row.stockpile !== null && row.stockpile !== undefined) parts.push(`${row.stockpile} stockpile`);
  if (row.deployed !== null && row.deployed !== undefined) parts.push(`${row.deployed} deployed`);
  if (row.retired !== null && row.retired !== undefined) parts.push(`${row.retired} retired`);
  if (row.total_low !== null && row.total_low !== undefined) parts.push(row.total_high ? `${row.total_low}–${row.total_high}` : `≥ ${row.total_low}`);
  return parts.join(', ');
}

function rowSources(entry) {
  const r = entry.row;
  return [
    `${r.source}${r.source_date ? ` (${r.source_date})` : ''}`,
    r.note ? `Note: ${r.note}` : null,
    entry.at ? `${entry.at.file} line ${entry.at.line}` : null,
  ].filter(Boolean);
}

export async function render(section, params, ctx) {
  let at = params.get('at') || today();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(at)) at = today();
  const maxDay = dayNumber(today());

  const slider = h('input', { id: 'at-slider', type: 'range', min: '0', max: String(maxDay), step: '1', value: String(Math.min(maxDay, Math.max(0, dayNumber(at)))), 'aria-describedby': 'at-shown' });
  const dateInput = h('input', { id: 'at-date', type: 'date', min: FIRST_DAY, max: today(), value: at });
  const shown = h('output', { id: 'at-shown', for: 'at-slider' }, at);
  const filter = h('input', { id: 'state-filter', type: 'search', placeholder: 'e.g. FRA', autocomplete: 'off' });
  const onlyDiff = h('select', { id: 'status-filter' }, h('option', { value: '' }, 'all statuses'), ['nws', 'nnws', 'nonparty', 'signatory', 'withdrawn', 'differs'].map((k) => h('option', { value: k }, { nws: 'nuclear-weapon States', nnws: 'non-nuclear-weapon States', nonparty: 'not a party', signatory: 'signatories', withdrawn: 'withdrawn', differs: 'differs by reading' }[k])));
  const ctbtBox = h('section', { class: 'card', id: 'ctbt', 'aria-labelledby': 'ctbt-h' });
  const nptBox = h('section', { class: 'card', id: 'npt', 'aria-labelledby': 'npt-h' });
  const deployBox = h('section', { class: 'card', id: 'deployments', 'aria-labelledby': 'dep-h' });

  section.append(
    h('h1', {}, 'Registry'),
    h('p', { class: 'lede' }, 'Treaty status of every state as of a date, rebuilt from the log. Where readings of the facts differ, each is shown. Open any figure to see its sources.'),
    h(
      'div',
      { class: 'card date-control' },
      h('div', { class: 'row date-row' }, h('label', { for: 'at-slider' }, 'As of ', shown), h('span', { class: 'date-pick' }, h('label', { for: 'at-date', class: 'sr-only' }, 'Date'), dateInput)),
      h('div', { class: 'slider-row' }, h('span', { 'aria-hidden': 'true' }, '1968'), slider, h('span', { 'aria-hidden': 'true' }, today().slice(0, 4))),
    ),
    ctbtBox,
    nptBox,
    deployBox,
  );

  // Forces and deployments do not depend on the date's day: asked once.
  const [forces, deployments] = await Promise.all([
    get('/api/v1/registry/forces').catch((e) => ({ error: e })),
    get('/api/v1/registry/deployments').catch((e) => ({ error: e })),
  ]);
  if (ctx.stale()) return;

  const hosted = new Map();
  if (!deployments.error) {
    for (const d of deployments.deployments ?? []) {
      const host = d.row.host_state;
      if (!hosted.has(host)) hosted.set(host, []);
      hosted.get(host).push(d);
    }
  }

  function forcesAt(code, year) {
    if (forces.error) return [];
    const rows = (forces.estimates ?? []).filter((e) => e.row.state === code && e.row.year !== null && e.row.year <= year);
    if (rows.length === 0) return [];
    const latest = Math.max(...rows.map((e) => e.row.year));
    return rows.filter((e) => e.row.year === latest);
  }

  let data = null;
  let pending = 0;

  async function load(date) {
    const mine = ++pending;
    shown.textContent = date;
    replace(nptBox, h('h2', { id: 'npt-h' }, `NPT status on ${date}`), note('loading', 'Loading…'));
    try {
      const [npt, ctbt] = await Promise.all([
        get(withQuery('/api/v1/registry/status', { treaty: 'NPT', at: date })),
        get(withQuery('/api/v1/registry/in-force', { treaty: 'CTBT', at: date })).catch((e) => ({ error: e })),
      ]);
      if (mine !== pending || ctx.stale()) return;
      data = { date, npt, ctbt };
      drawCtbt();
      drawNpt();
    } catch (e) {
      if (mine !== pending) return;
      replace(nptBox, h('h2', { id: 'npt-h' }, `NPT status on ${date}`), errorNote(e));
    }
  }

  function coverageNote(coverage) {
    if (!coverage?.beyond_coverage) return null;
    const c = coverage.coverage ?? {};
    return note('warn', h('strong', {}, 'Beyond the data: '), `the sources are complete through ${c.complete_through}; later actions may be missing. `, sourced('Why', c.sources ?? [], h('p', {}, c.what ?? '')));
  }

  function drawCtbt() {
    const { ctbt, date } = data;
    if (ctbt.error) {
      replace(ctbtBox, h('h2', { id: 'ctbt-h' }, 'CTBT entry into force'), errorNote(ctbt.error));
      return;
    }
    const blocks = ctbt.answers.map((a) => {
      const u = underLabel(a.under, ctbt.readings ?? []);
      const v = a.value;
      const inForce = v.status?.kind === 'in_force';
      return h(
        'div',
        { class: 'answer' },
        ctbt.answers.length > 1 ? h('p', { class: 'under', title: u.title }, 'Under ', h('em', {}, u.text)) : a.under.length ? h('p', { class: 'hint', title: u.title }, `The same under every reading (${u.text}).`) : null,
        h(
          'p',
          { class: `verdict ${inForce ? 'ok' : 'warn'}` },
          h('span', { class: 'mark', 'aria-hidden': 'true' }, inForce ? '✔' : '…'),
          sourced(`${v.counted} of ${v.required} Annex 2 states have ratified`, a.sources),
          inForce ? ': in force.' : `: ${v.missing.length} missing.`,
        ),
        v.missing.length ? h('p', { class: 'missing' }, 'Missing: ', v.missing.map((c, i) => [i ? ', ' : '', h('strong', {}, c)])) : null,
        v.status?.reason ? h('p', { class: 'hint' }, v.status.reason) : null,
      );
    });
    replace(ctbtBox, h('h2', { id: 'ctbt-h' }, `CTBT entry into force on ${date}`), h('p', { class: 'hint' }, 'Art. XIV: the treaty enters into force when all 44 states of its Annex 2 have ratified it.'), blocks, readingsLegend(ctbt.readings, 'ctbt-readings'), coverageNote(ctbt.coverage));
  }

  const expanded = new Set();

  function drawNpt() {
    const { npt, ctbt, date } = data;
    const answers = npt.answers;
    const codes = [...new Set(answers.flatMap((a) => statesOf(a.value)))].sort();
    const missingCtbt = new Set(ctbt.error ? [] : ctbt.answers.flatMap((a) => a.value.missing));
    const year = Number(date.slice(0, 4));
    const multi = answers.length > 1;
    const headers = ['State', ...answers.map((a) => {
      if (!multi) return 'NPT status';
      const u = underLabel(a.under, npt.readings ?? []);
      return h('span', { title: u.title }, 'NPT status under ', h('em', {}, u.text));
    }), 'Warheads (published estimates)', 'Weapons of other states hosted'];

    const q = filter.value.trim().toUpperCase();
    const want = onlyDiff.value;
    const rows = [];
    let shownCount = 0;
    for (const code of codes) {
      const statuses = answers.map((a) => nptStatus(a.value, code));
      const differs = new Set(statuses.map((s) => s.key)).size > 1;
      if (q && !code.includes(q)) continue;
      if (want === 'differs' && !differs) continue;
      if (want && want !== 'differs' && !statuses.some((s) => s.key === want)) continue;
      shownCount++;
      const open = expanded.has(code);
      const toggle = h('button', { type: 'button', class: 'state-toggle', 'aria-expanded': String(open), 'aria-controls': `state-${code}` }, code);
      toggle.addEventListener('click', () => {
        if (expanded.has(code)) expanded.delete(code);
        else expanded.add(code);
        drawNpt();
      });
      const f = forcesAt(code, year);
      const hosts = hosted.get(code) ?? [];
      rows.push(
        h(
          'tr',
          { dataset: { state: code }, class: differs ? 'differs' : '' },
          h('th', { scope: 'row' }, toggle, missingCtbt.has(code) ? h('span', { class: 'tag', title: 'An Annex 2 state that has not ratified the CTBT at this date' }, 'CTBT gap') : null),
          statuses.map((s, i) =>
            h(
              'td',
              { class: `npt npt-${s.key}`, dataset: { status: s.key } },
              sourced([h('span', { class: 'mark', 'aria-hidden': 'true' }, STATUS_MARK[s.key]), ' ', s.label], answers[i].sources),
              differs && i === 0 ? h('span', { class: 'tag' }, 'differs by reading') : null,
            ),
          ),
          h('td', {}, f.length ? f.map((e) => h('div', {}, sourced(`${forceFigure(e.row)} (${e.row.year})`, rowSources(e)))) : h('span', { class: 'none' }, '—')),
          h('td', {}, hosts.length ? hosts.map((d) => h('div', {}, sourced(`${d.row.custodian_state} at ${d.row.site}${d.row.estimated_count ? ` (${d.row.estimated_count})` : ''}`, rowSources(d)))) : h('span', { class: 'none' }, '—')),
        ),
      );
      if (open) {
        const cell = h('td', { colspan: String(headers.length), id: `state-${code}` }, note('loading', 'Loading…'));
        rows.push(h('tr', { class: 'state-detail' }, cell));
        drawState(code, date, cell);
      }
    }
    const counts = answers.map((a) => {
      const v = a.value;
      return `${(v.parties ?? []).length} parties (${(v.nuclear_weapon_states ?? []).length} nuclear-weapon States)`;
    });
    replace(
      nptBox,
      h('h2', { id: 'npt-h' }, `NPT status on ${date}`),
      h('p', {}, multi ? `Readings differ: ${answers.map((a, i) => `${counts[i]} under ${underLabel(a.under, npt.readings ?? []).text}`).join('; ')}.` : `${counts[0]}.`),
      readingsLegend(npt.readings, 'npt-readings'),
      coverageNote(npt.coverage),
      h('div', { class: 'row filters' }, h('label', { for: 'state-filter' }, 'Find a state (ISO code)'), filter, h('label', { for: 'status-filter' }, 'Show'), onlyDiff),
      h('p', { class: 'hint', id: 'npt-count' }, `${shownCount} of ${codes.length} states. Open a state’s code for its treaty dates and sources.`),
      table(null, headers, rows, { class: 'registry' }),
      forces.error ? errorNote(forces.error) : h('p', { class: 'hint' }, forces.caveat ?? ''),
    );
  }

  async function drawState(code, date, cell) {
    try {
      const st = await get(withQuery(`/api/v1/registry/states/${encodeURIComponent(code)}`, { at: date }));
      const treaties = (st.treaties ?? []).map((t) =>
        h(
          'li',
          {},
          h('strong', {}, t.treaty), ': ',
          t.status.map((s, i) => {
            const v = s.value ?? {};
            const text = [v.status?.replaceAll('_', ' '), v.by ? `by ${v.by}` : null, v.since ? `since ${v.since}` : null, v.signed ? `signed ${v.signed}` : null].filter(Boolean).join(', ');
            return [i ? '; or ' : '', s.under?.length ? h('em', {}, `${underLabel(s.under, st.readings ?? []).text}: `) : null, sourced(text || JSON.stringify(v), s.sources)];
          }),
        ),
      );
      const cats = (st.npt_category ?? []).map((c) => sourced(String(c.value).replaceAll('_', ' '), c.sources));
      replace(
        cell,
        h('h3', {}, `${st.state?.name ?? code} (${code})`),
        cats.length ? h('p', {}, 'NPT category: ', cats) : null,
        h('ul', { class: 'treaties' }, treaties),
        (st.positions ?? []).length ? h('details', {}, h('summary', {}, `Stated positions (${st.positions.length})`), h('ul', {}, st.positions.map((p) => h('li', {}, sourced(`${p.row.year ?? ''} ${p.row.forum ?? ''}: ${p.row.position}`, [p.row.source, p.row.quote_or_paraphrase]))))) : null,
      );
    } catch (e) {
      replace(cell, errorNote(e));
    }
  }

  let timer = null;
  function choose(date, from) {
    if (from !== 'slider') slider.value = String(Math.min(maxDay, Math.max(0, dayNumber(date))));
    if (from !== 'date') dateInput.value = date;
    shown.textContent = date;
    setParams('registry', { at: date });
    clearTimeout(timer);
    timer = setTimeout(() => load(date), from === 'slider' ? 250 : 0);
  }
  slider.addEventListener('input', () => choose(dayDate(Number(slider.value)), 'slider'));
  dateInput.addEventListener('change', () => {
    if (/^\d{4}-\d{2}-\d{2}$/.test(dateInput.value)) choose(dateInput.value, 'date');
  });
  filter.addEventListener('input', () => data && drawNpt());
  onlyDiff.addEventListener('change', () => data && drawNpt());

  // Deployments abroad, as published (no date: each row names its source's date).
  if (deployments.error) {
    replace(deployBox, h('h2', { id: 'dep-h' }, 'Deployments abroad'), errorNote(deployments.error));
  } else {
    replace(
      deployBox,
      h('h2', { id: 'dep-h' }, 'Deployments abroad (published estimates)'),
      table(
        null,
        ['Host state', 'Weapons of', 'Site', 'Weapon type', 'Count'],
        (deployments.deployments ?? []).map((d) =>
          h('tr', {}, h('th', { scope: 'row' }, d.row.host_state), h('td', {}, d.row.custodian_state), h('td', {}, d.row.site), h('td', {}, d.row.weapon_type), h('td', {}, sourced(d.row.estimated_count ?? 'not given', rowSources(d))))),
      ),
      h('p', { class: 'hint' }, deployments.caveat ?? ''),
    );
  }

  await load(at);
}
