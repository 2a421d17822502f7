// A few lines of DOM building, so the pages read as the markup they make.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'on') {
      for (const [event, fn] of Object.entries(v)) el.addEventListener(event, fn);
    } else if (k === 'text') {
      el.textContent = v;
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

/** Appends children: nodes, strings, numbers, arrays of them; null and false are skipped. */
export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** An HTML element: h('a', {href: '#/log'}, 'the log'). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Removes every child of `el` and appends `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A link to leaf `index` in the log explorer. */
export function leafLink(index, label) {
  return h('a', { href: `#/log?index=${index}`, class: 'leaf' }, label ?? `leaf ${index}`);
}

/**
 * A figure with its sources: hovering shows them (title), and the figure is
 * a disclosure (details/summary) that opens to list them, so touch screens
 * and keyboards reach them too.
 */
export function sourced(figure, sources, extra) {
  const list = (Array.isArray(sources) ? sources : [sources]).filter(Boolean);
  if (list.length === 0 && !extra) return h('span', { class: 'figure' }, figure);
  return h(
    'details',
    { class: 'src' },
    h('summary', { title: list.join('\n') }, h('span', { class: 'figure' }, figure)),
    h('div', { class: 'src-body' }, extra ?? null, list.length ? h('p', { class: 'src-head' }, list.length === 1 ? 'Source' : 'Sources') : null, list.length ? h('ul', {}, list.map((x) => h('li', {}, x))) : null),
  );
}

/** A status line that screen readers announce. */
export function note(kind, ...children) {
  return h('p', { class: `note ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

/**
 * A table: a caption, column headers and rows (tr elements). Each cell gets
 * its column's name as `data-label`, which a stacked table (class `stack`)
 * shows beside the value on a narrow screen.
 */
export function table(caption, headers, rows, attrs = {}) {
  const names = headers.map((x) => (x instanceof Node ? x.textContent : String(x)));
  for (const tr of rows.flat()) {
    [...tr.children].forEach((cell, i) => {
      if (cell.tagName === 'TD' && !cell.hasAttribute('colspan') && names[i]) cell.dataset.label = names[i];
    });
  }
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      attrs,
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows),
    ),
  );
}

/** Today's date, UTC, as YYYY-MM-DD. */
export function today() {
  return new Date().toISOString().slice(0, 10);
}
