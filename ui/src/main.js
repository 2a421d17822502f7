// Custodian's web UI: one page, hash routes (#/registry, #/items, ...), each
// drawn from the JSON of the API (docs/ARCHITECTURE.md, "Web UI").

import { h, replace, note } from './dom.js';
import { onSignChange, signedInAs } from './api.js';
import { parseHash, errorNote } from './route.js';
import * as registry from './pages/registry.js';
import * as items from './pages/items.js';
import * as findings from './pages/findings.js';
import * as accountancy from './pages/accountancy.js';
import * as escrow from './pages/escrow.js';
import * as log from './pages/log.js';
import * as signin from './pages/signin.js';

const PAGES = [
  { path: 'registry', label: 'Registry', page: registry },
  { path: 'items', label: 'Items', page: items },
  { path: 'findings', label: 'Findings', page: findings },
  { path: 'accountancy', label: 'Accountancy', page: accountancy },
  { path: 'escrow', label: 'Escrow', page: escrow },
  { path: 'log', label: 'Log', page: log },
  { path: 'signin', label: 'Sign in', page: signin },
];

let generation = 0;

async function draw() {
  const { path, params } = parseHash(location.hash);
  const entry = PAGES.find((p) => p.path === path);
  const main = document.getElementById('main');
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.path === path) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const mine = ++generation;
  if (!entry) {
    replace(main, h('h1', {}, 'Not found'), note('error', `There is no page "${path}". `, h('a', { href: '#/registry' }, 'Go to the registry.')));
    return;
  }
  document.title = `${entry.label} · Custodian`;
  main.setAttribute('aria-busy', 'true');
  replace(main, h('h1', {}, entry.label), note('loading', 'Loading…'));
  try {
    // A page draws into a fresh section; `stale()` tells it the user has
    // moved on, so late answers are dropped.
    const section = h('section', { class: `page page-${path}` });
    await entry.page.render(section, params, { stale: () => mine !== generation });
    if (mine === generation) replace(main, section);
  } catch (e) {
    if (mine === generation) replace(main, h('h1', {}, entry.label), errorNote(e));
  } finally {
    if (mine === generation) main.removeAttribute('aria-busy');
  }
}

function drawWho() {
  const who = document.getElementById('who');
  const name = signedInAs();
  replace(who, name ? ['Signed in as ', h('strong', {}, name)] : 'Public view (not signed in)');
  const link = document.querySelector('nav a[data-path="signin"]');
  if (link) link.textContent = name ? 'Account' : 'Sign in';
}

function start() {
  const nav = document.getElementById('nav');
  replace(nav, h('ul', {}, PAGES.map((p) => h('li', {}, h('a', { href: `#/${p.path}`, dataset: { path: p.path } }, p.label)))));
  drawWho();
  onSignChange(() => {
    drawWho();
    draw();
  });
  window.addEventListener('hashchange', () => {
    draw();
    document.getElementById('main').focus({ preventScroll: true });
  });
  draw();
}

start();
