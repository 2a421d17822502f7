// Material accountancy per material balance area (MBA) the viewer may read:
// MUF per balance with ±2σ and ±3σ bands, CUMUF with its ±3σ band, and
// SITMUF with Page's statistic, its threshold h and the alarms. The numbers
// are the accountancy engine's (`custodian accountancy evaluate`); this page
// only draws them.

import { h, replace, note, leafLink } from '../dom.js';
import { get } from '../api.js';
import { signedInAs } from '../api.js';
import { errorNote } from '../route.js';
import { lineChart } from '../charts.js';

function fmt(v, digits = 1) {
  return Number.isFinite(v) ? v.toFixed(digits) : '—';
}

export async function render(section, params, ctx) {
  section.append(
    h('h1', {}, 'Material accountancy'),
    h(
      'p',
      { class: 'lede' },
      'For each material balance area: material unaccounted for (MUF) per balance period against its measurement uncertainty σ, the cumulative MUF, and the sequential tests (standardised ITMUF and Page’s test) that raise an alarm when losses build up.',
    ),
  );
  const list = await get('/api/v1/accountancy/mbas');
  if (ctx.stale()) return;
  const mbas = list.mbas ?? [];
  const who = signedInAs();
  if (!who) {
    section.append(
      note(
        'warn',
        h('strong', {}, 'Facility accounts are visible to their state and the inspectorate. '),
        `You are not signed in, so ${list.hidden ?? 'their'} material balance area${list.hidden === 1 ? ' is' : 's are'} hidden. `,
        h('a', { href: '#/signin' }, 'Sign in'),
        ' with a state’s or an inspector’s key to see them.',
      ),
    );
  } else if (list.hidden) {
    section.append(note('info', `Signed in as ${who}: ${list.hidden} more material balance area${list.hidden === 1 ? ' is' : 's are'} not visible to you.`));
  }
  if (!mbas.length) {
    if (who) section.append(note('info', 'No material balance area is visible to you.'));
    return;
  }

  const chooser = h('nav', { class: 'card mba-list', 'aria-label': 'Material balance areas' }, h('h2', {}, 'Material balance areas'), h('ul', {}, mbas.map((m) => h('li', {}, h('a', { href: `#/accountancy?mba=${encodeURIComponent(m.mba)}` }, m.mba), ` · ${m.facility ?? ''} (${m.state ?? ''})`))));
  section.append(chooser);
  const chosen = params.get('mba');
  const show = chosen ? mbas.filter((m) => m.mba === chosen) : mbas;
  for (const m of show) {
    const card = h('section', { class: 'card mba', dataset: { mba: m.mba }, 'aria-label': `MBA ${m.mba}` }, h('h2', {}, `MBA ${m.mba}`, h('span', { class: 'count' }, ` · ${m.facility ?? ''}, ${m.state ?? ''}`)), note('loading', 'Loading…'));
    section.append(card);
    try {
      const ev = await get(`/api/v1/accountancy/mbas/${encodeURIComponent(m.mba)}/evaluation`);
      if (ctx.stale()) return;
      drawEvaluation(card, m, ev);
    } catch (e) {
      // 422: the engine has too little to evaluate yet (fewer than two
      // closed physical inventories); that is a fact about the data.
      const body = e.status === 422 ? note('info', `Not evaluated: ${e.message}.`) : errorNote(e);
      replace(card, h('h2', {}, `MBA ${m.mba}`, h('span', { class: 'count' }, ` · ${m.facility ?? ''}, ${m.state ?? ''}`)), body);
    }
  }
}

function drawEvaluation(card, m, ev) {
  const n = ev.muf?.length ?? 0;
  const labels = (ev.balance_periods ?? []).map((b) => (b.period?.end ?? '').slice(0, 7) || String(b.index));
  while (labels.length < n) labels.push(String(labels.length + 1));
  const unit = ev.unit ?? '';
  const sigma = ev.sigma_muf ?? [];
  const cumSigma = (ev.cumuf_variance ?? []).map(Math.sqrt);
  const h_ = ev.page_h;
  const pageAlarms = (ev.page ?? []).map((v, i) => ({ v, i })).filter(({ v }) => v > h_);
  const first = ev.page_first_alarm_balance;

  const summary = ev.page_alarm
    ? h('p', { class: 'verdict bad', id: `page-alarm-${m.mba}` }, h('span', { class: 'mark', 'aria-hidden': 'true' }, '▼'), h('strong', {}, 'Page’s test: ALARM'), ` at balance ${first} (${labels[first - 1] ?? ''}): statistic ${fmt(ev.page[first - 1], 2)} > h = ${fmt(h_, 2)}.`)
    : h('p', { class: 'verdict ok', id: `page-alarm-${m.mba}` }, h('span', { class: 'mark', 'aria-hidden': 'true' }, '✔'), h('strong', {}, 'Page’s test: no alarm'), ` over ${n} balances (h = ${fmt(h_, 2)}).`);

  replace(
    card,
    h('h2', {}, `MBA ${m.mba}`, h('span', { class: 'count' }, ` · ${m.facility ?? ''}, ${m.state ?? ''}`)),
    h('p', {}, `${n} balance periods; quantity in ${unit}; α = ${ev.alpha}.`),
    summary,
    h(
      'div',
      { class: 'charts' },
      lineChart({
        title: `MUF per balance, with ±2σ and ±3σ`,
        description: `Material unaccounted for in each of ${n} balance periods of MBA ${m.mba}, in ${unit}, with bands of two and three standard deviations of its measurement error.`,
        unit,
        labels,
        bands: [
          { name: '±3σ', lower: sigma.map((x) => -3 * x), upper: sigma.map((x) => 3 * x), cls: 'band3' },
          { name: '±2σ', lower: sigma.map((x) => -2 * x), upper: sigma.map((x) => 2 * x), cls: 'band2' },
        ],
        series: [{ name: 'MUF', values: ev.muf, cls: 's1' }],
        alarms: ev.muf.map((v, i) => ({ index: i, value: v, label: '> 3σ' })).filter((a) => Math.abs(a.value) > 3 * sigma[a.index]),
      }),
      lineChart({
        title: 'Cumulative MUF (CUMUF), with ±3σ',
        description: `The running sum of MUF over the balances of MBA ${m.mba}, in ${unit}, with a band of three standard deviations of the sum (covariances included).`,
        unit,
        labels,
        bands: [{ name: '±3σ', lower: cumSigma.map((x) => -3 * x), upper: cumSigma.map((x) => 3 * x), cls: 'band3' }],
        series: [{ name: 'CUMUF', values: ev.cumuf, cls: 's2' }],
        alarms: (ev.cumuf ?? []).map((v, i) => ({ index: i, value: v, label: '> 3σ' })).filter((a) => Math.abs(a.value) > 3 * cumSigma[a.index]).slice(0, 1),
      }),
      lineChart({
        title: 'SITMUF and Page’s statistic, with threshold h',
        description: `Standardised independent transformed MUF per balance and Page's cumulative-sum statistic (k = ${ev.page_k}), which alarms when it exceeds h = ${fmt(h_, 2)}.${ev.page_alarm ? ` First alarm at balance ${first}.` : ' No alarm.'}`,
        unit: 'σ units',
        labels,
        series: [
          { name: 'SITMUF', values: ev.sitmuf, cls: 's1' },
          { name: 'Page’s statistic', values: ev.page, cls: 's3', shape: 'square' },
        ],
        lines: [{ name: 'h', value: h_, cls: 'h' }],
        alarms: pageAlarms.length ? [{ index: pageAlarms[0].i, value: pageAlarms[0].v, label: 'alarm' }] : [],
      }),
    ),
    findingsList(ev.findings ?? []),
  );
}

function findingsList(findings) {
  if (!findings.length) return h('p', {}, 'No finding.');
  return h(
    'details',
    { class: 'findings', open: true },
    h('summary', {}, `Findings (${findings.length})`),
    h(
      'ul',
      {},
      findings.map((f) =>
        h(
          'li',
          {},
          h('strong', {}, String(f.kind).replaceAll('_', ' ')),
          ` at balance ${f.balance}`,
          f.period ? ` (${f.period.start} to ${f.period.end})` : '',
          Number.isFinite(f.statistic) ? `: statistic ${fmt(f.statistic, 2)}, threshold ${fmt(f.threshold, 2)}` : '',
          '. Evidence: ',
          [...new Set((f.evidence ?? []).map((e) => e.leaf))].map((l, i) => [i ? ', ' : '', leafLink(l)]),
        ),
      ),
    ),
  );
}
