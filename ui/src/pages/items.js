// Items as of a time, grouped by custodian (who physically holds them) or by
// controller (who may authorise their use); an item held abroad, or whose
// custodian and controller differ, is marked in words as well as colour.
// Each item's history opens on click; the alerts the record raises are above.

import { h, replace, note, table, leafLink, today } from '../dom.js';
import { get, withQuery } from '../api.js';
import { setParams, errorNote } from '../route.js';

function where(item) {
  const loc = item.location ?? {};
  if (loc.kind === 'at_site') return `${loc.site}`;
  if (loc.kind === 'in_transit') return `in transit ${loc.from ?? ''} → ${loc.to ?? ''}`;
  return loc.kind ? loc.kind.replaceAll('_', ' ') : '—';
}

function alertText(a) {
  const rest = Object.entries(a)
    .filter(([k]) => !['kind', 'item', 'evidence'].includes(k))
    .map(([k, v]) => `${k.replaceAll('_', ' ')}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join('; ');
  return rest;
}

export async function render(section, params, ctx) {
  let at = params.get('at') || today();
  const by = params.get('by') === 'controller' ? 'controller' : 'custodian';
  const dateInput = h('input', { id: 'items-at', type: 'date', value: at, max: today() });
  const groupBy = (value, label) =>
    h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'group-by', value, checked: by === value }), ` ${label}`);
  const form = h(
    'form',
    { class: 'card row filters', id: 'items-form' },
    h('label', { for: 'items-at' }, 'As of'),
    dateInput,
    h('fieldset', { class: 'radios' }, h('legend', {}, 'Group by'), groupBy('custodian', 'custodian (who holds it)'), groupBy('controller', 'controller (who may authorise use)')),
    h('button', { type: 'submit' }, 'Show'),
  );
  const go = (e) => {
    e?.preventDefault();
    const chosen = form.querySelector('input[name=group-by]:checked')?.value ?? 'custodian';
    location.hash = `#/items?at=${dateInput.value || today()}&by=${chosen}`;
  };
  form.addEventListener('submit', go);
  form.addEventListener('change', (e) => {
    if (e.target.name === 'group-by') go();
  });

  section.append(
    h('h1', {}, 'Items'),
    h('p', { class: 'lede' }, 'Discrete items (warheads, bombs, sealed containers) as the log records them. Custody and control are separate on purpose: under nuclear sharing they can differ.'),
    form,
  );

  const [list, alerts] = await Promise.all([
    get(withQuery('/api/v1/items', { at })),
    get(withQuery('/api/v1/alerts', { at })).catch((e) => ({ error: e })),
  ]);
  if (ctx.stale()) return;

  // Alerts first: what the record itself raises.
  const alertBox = h('section', { class: 'card', id: 'alerts', 'aria-labelledby': 'alerts-h' }, h('h2', { id: 'alerts-h' }, `Alerts as of ${list.at ?? at}`));
  if (alerts.error) alertBox.append(errorNote(alerts.error));
  else if (!alerts.alerts?.length) alertBox.append(h('p', {}, 'None.'));
  else
    alertBox.append(
      table(
        null,
        ['Alert', 'Item', 'Details', 'Evidence'],
        alerts.alerts.map((a) =>
          h('tr', {}, h('th', { scope: 'row' }, h('span', { class: 'mark', 'aria-hidden': 'true' }, '⚠ '), a.kind.replaceAll('_', ' ')), h('td', {}, h('code', {}, a.item ?? '—')), h('td', {}, alertText(a)), h('td', {}, (a.evidence ?? []).map((e) => [leafLink(e.leaf), ' '])))),
        { class: 'stack' },
      ),
    );
  section.append(alertBox);

  const items = list.items ?? [];
  const groups = new Map();
  for (const it of items) {
    const key = it[by] ?? '—';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(it);
  }
  const differ = items.filter((i) => i.custodian !== i.controller).length;
  const abroad = items.filter((i) => i.state && i.custodian && i.state !== i.custodian).length;
  section.append(
    h('p', { id: 'items-summary' }, `${items.length} items as of ${list.at ?? at}; ${abroad} held outside their custodian’s territory; ${differ} whose custodian and controller differ.`),
  );
  if (items.length === 0) section.append(note('info', 'The log records no items at this time.'));

  for (const [key, group] of [...groups.entries()].sort()) {
    const rows = [];
    for (const it of group) {
      const isAbroad = it.state && it.custodian && it.state !== it.custodian;
      const isSplit = it.custodian !== it.controller;
      const historyCell = h('td', { colspan: '7', id: `hist-${it.item}` });
      const historyRow = h('tr', { class: 'history', hidden: true }, historyCell);
      const button = h('button', { type: 'button', class: 'item-toggle', 'aria-expanded': 'false', 'aria-controls': `hist-${it.item}` }, it.item);
      button.addEventListener('click', async () => {
        const open = button.getAttribute('aria-expanded') !== 'true';
        button.setAttribute('aria-expanded', String(open));
        historyRow.hidden = !open;
        if (open && !historyCell.dataset.loaded) {
          historyCell.dataset.loaded = '1';
          replace(historyCell, note('loading', 'Loading the history…'));
          try {
            const hist = await get(`/api/v1/items/${encodeURIComponent(it.item)}/history`);
            replace(historyCell, historyList(hist));
          } catch (e) {
            replace(historyCell, errorNote(e));
          }
        }
      });
      rows.push(
        h(
          'tr',
          { class: [isSplit ? 'split' : '', isAbroad ? 'abroad' : ''].join(' ').trim(), dataset: { item: it.item } },
          h('th', { scope: 'row' }, button, h('div', { class: 'sub' }, it.item_type ?? '')),
          h('td', {}, it.status ?? '—'),
          h('td', {}, where(it), it.state ? [' in ', h('strong', {}, it.state)] : null, isAbroad ? h('span', { class: 'tag abroad' }, 'abroad') : null, it.deployment ? h('div', { class: 'sub' }, `deployed to ${it.deployment.host}: ${it.deployment.arrangement ?? ''}`) : null),
          h('td', { class: 'custodian' }, it.custodian ?? '—'),
          h('td', { class: 'controller' }, it.controller ?? '—', isSplit ? h('span', { class: 'tag split', title: 'custody and control are held by different states' }, 'custody ≠ control') : null),
          h('td', {}, it.assignment ? `${it.assignment.unit_state}: ${it.assignment.delivery_system ?? ''}` : '—'),
          h('td', {}, it.last ? leafLink(it.last.leaf, `leaf ${it.last.leaf}`) : '—'),
        ),
        historyRow,
      );
    }
    section.append(
      h(
        'section',
        { class: 'card group', 'aria-label': `${by} ${key}` },
        h('h2', {}, `${by === 'custodian' ? 'Custodian' : 'Controller'} ${key}`, h('span', { class: 'count' }, ` · ${group.length} item${group.length === 1 ? '' : 's'}`)),
        table(null, ['Item', 'Status', 'Where', 'Custodian', 'Controller', 'Assigned to', 'Last event'], rows, { class: 'items stack' }),
      ),
    );
  }
}

function historyList(hist) {
  const events = hist.events ?? [];
  if (!events.length) return h('p', {}, 'No events.');
  return h(
    'ol',
    { class: 'timeline' },
    events.map(({ event, leaf }) =>
      h(
        'li',
        {},
        h('time', { datetime: event.time }, event.time.replace('T', ' ').replace(':00Z', ' UTC')),
        ' ',
        h('strong', {}, event.kind),
        ' by ',
        h('code', {}, event.actor),
        event.approvals?.length ? ` (approved by ${event.approvals.map((a) => a.actor).join(', ')})` : '',
        ' · ',
        leafLink(leaf),
        h('details', {}, h('summary', {}, 'Details'), h('pre', { class: 'json' }, JSON.stringify(event.payload, null, 2))),
      ),
    ),
  );
}
