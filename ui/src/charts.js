// Line charts drawn as SVG: series over balance periods, shaded bands
// (±kσ), horizontal thresholds and marked alarms. Every chart has a text
// title and description for screen readers and a table of its numbers; no
// meaning rests on colour alone (lines differ in dash, points in shape, and
// alarms are labelled in words).

import { h, s } from './dom.js';

const M = { top: 18, right: 30, bottom: 44, left: 74 };

/** Tick values: about `count` round numbers covering [lo, hi]. */
export function ticks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function fmt(v) {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

let chartCount = 0;

/**
 * A chart.
 * - `labels`: x labels, one per point;
 * - `series`: [{name, values, cls}] (lines with points);
 * - `bands`: [{name, lower, upper, cls}] (shaded areas);
 * - `lines`: [{name, value, cls}] (horizontal thresholds);
 * - `alarms`: [{index, value, label}] (marked points).
 */
export function lineChart({ title, description, unit, labels, series = [], bands = [], lines = [], alarms = [] }) {
  const id = `chart-${++chartCount}`;
  const n = labels.length;
  // A narrow screen gets a narrower drawing (drawn less scaled down, so its
  // text stays legible) with fewer x labels.
  const narrow = typeof window !== 'undefined' && window.matchMedia?.('(max-width: 600px)').matches;
  const W = narrow ? 400 : 640;
  const H = narrow ? 300 : 280;
  const xLabelsMax = narrow ? 4 : 7;
  const all = [
    ...series.flatMap((x) => x.values),
    ...bands.flatMap((b) => [...b.lower, ...b.upper]),
    ...lines.map((l) => l.value),
    0,
  ].filter(Number.isFinite);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  const pad = (hi - lo || 1) * 0.08;
  lo -= pad;
  hi += pad;
  const ys = ticks(lo, hi);
  const step = ys.length > 1 ? ys[1] - ys[0] : 1;
  const tickText = (v) => v.toFixed(Math.max(0, Math.min(3, -Math.floor(Math.log10(step) + 1e-9))));
  lo = Math.min(lo, ys[0]);
  hi = Math.max(hi, ys[ys.length - 1]);
  const x = (i) => M.left + (n <= 1 ? (W - M.left - M.right) / 2 : (i * (W - M.left - M.right)) / (n - 1));
  const y = (v) => M.top + ((hi - v) * (H - M.top - M.bottom)) / (hi - lo);
  const path = (vals) => vals.map((v, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');

  const svg = s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, preserveAspectRatio: 'xMidYMid meet' },
    s('title', { id: `${id}-t` }, title),
    s('desc', { id: `${id}-d` }, description),
    // Grid and y axis.
    ys.map((v) => [
      s('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), class: v === 0 ? 'axis zero' : 'grid' }),
      s('text', { x: M.left - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, tickText(v)),
    ]),
    unit ? s('text', { x: 14, y: M.top + (H - M.top - M.bottom) / 2, class: 'unit', transform: `rotate(-90 14 ${M.top + (H - M.top - M.bottom) / 2})`, 'text-anchor': 'middle' }, unit) : null,
    // x labels: at most about 8, so they stay readable on a phone.
    labels.map((l, i) => (n <= xLabelsMax || i % Math.ceil(n / xLabelsMax) === 0 ? s('text', { x: x(i), y: H - M.bottom + 16, class: 'tick', 'text-anchor': 'middle' }, l) : null)),
    s('line', { x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom, class: 'axis' }),
    // Bands, widest first.
    bands.map((b) => s('path', { d: `${path(b.upper)}${b.lower.map((v, i) => `L${x(n - 1 - i).toFixed(1)},${y(b.lower[n - 1 - i]).toFixed(1)}`).join('')}Z`, class: `band ${b.cls}` }, s('title', {}, b.name))),
    lines.map((l) => [
      s('line', { x1: M.left, x2: W - M.right, y1: y(l.value), y2: y(l.value), class: `threshold ${l.cls ?? ''}` }),
      s('text', { x: W - M.right - 4, y: y(l.value) - 5, class: 'label', 'text-anchor': 'end' }, `${l.name} = ${fmt(l.value)}`),
    ]),
    series.map((ser) => [
      s('path', { d: path(ser.values), class: `series ${ser.cls}` }),
      ser.values.map((v, i) => s(ser.shape === 'square' ? 'rect' : 'circle', ser.shape === 'square' ? { x: x(i) - 3.5, y: y(v) - 3.5, width: 7, height: 7, class: `point ${ser.cls}` } : { cx: x(i), cy: y(v), r: 3.5, class: `point ${ser.cls}` }, s('title', {}, `${ser.name}, ${labels[i]}: ${fmt(v)}${unit ? ` ${unit}` : ''}`))),
    ]),
    alarms.map((a) =>
      s(
        'g',
        { class: 'alarm' },
        s('path', { d: `M${x(a.index)},${y(a.value) - 16}l-7,-12h14z`, class: 'alarm-mark' }),
        s('text', { x: Math.min(x(a.index) + 10, W - M.right - 40), y: y(a.value) - 20, class: 'label alarm-label' }, a.label),
        s('title', {}, `${a.label}: ${labels[a.index]}, ${fmt(a.value)}`),
      ),
    ),
  );

  const legend = h(
    'ul',
    { class: 'legend' },
    series.map((ser) => h('li', {}, h('span', { class: `swatch line ${ser.cls}`, 'aria-hidden': 'true' }), ser.name)),
    bands.map((b) => h('li', {}, h('span', { class: `swatch area ${b.cls}`, 'aria-hidden': 'true' }), b.name)),
    lines.map((l) => h('li', {}, h('span', { class: `swatch dash ${l.cls ?? ''}`, 'aria-hidden': 'true' }), l.name)),
    alarms.length ? h('li', {}, h('span', { class: 'swatch tri', 'aria-hidden': 'true' }, '▼'), 'alarm') : null,
  );
  const data = h(
    'details',
    { class: 'chart-data' },
    h('summary', {}, 'The numbers'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'compact' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Balance'), series.map((x) => h('th', { scope: 'col' }, x.name)), bands.map((b) => h('th', { scope: 'col' }, `${b.name} (upper)`)))),
        h('tbody', {}, labels.map((l, i) => h('tr', {}, h('th', { scope: 'row' }, l), series.map((x) => h('td', {}, fmt(x.values[i]))), bands.map((b) => h('td', {}, fmt(b.upper[i])))))),
      ),
    ),
  );
  return h('figure', { class: 'chart-fig', id }, h('figcaption', {}, title), svg, legend, data);
}
