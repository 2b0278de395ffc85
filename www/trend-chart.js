// The trend chart: net growth of the top suspects across all loaded snapshots, with round
// value ticks, capture times, and a readout of every value at the snapshot under the pointer
// (or chosen with the arrow keys). SVG built node by node: labels are text.
import { el, svg } from './dom.js';
import * as fmt from './format.js';
import { byteTicks, timeLabels } from './chart-ticks.js';

const WIDTH = 720;
const HEIGHT = 256;
const PAD = { left: 78, right: 36, top: 14, bottom: 58 };
const COLORS = ['#2456c9', '#b3261e', '#1b7f3b', '#9c27b0', '#e07b00'];
const LABEL_CHARS = 48;

/** Cumulative net bytes of each of the first `top` suspects, one point per snapshot. */
function series(analysis, top) {
  return analysis.suspects.slice(0, top).map((s) => {
    const points = [0];
    for (const b of s.netBytesPerInterval) points.push(points.at(-1) + b);
    return { label: s.path, points };
  });
}

function text(attributes, content) {
  const node = svg('text', attributes);
  node.textContent = content;
  return node;
}

function shortened(label) {
  return label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label;
}

/**
 * The chart of the first `top` suspects' growth, as an SVG element (null when there is no
 * trend to draw), with what the interactive page needs to point at its parts.
 */
export function trendChart(analysis, top = 5) {
  const lines = series(analysis, top);
  const snapshots = analysis.snapshots;
  const n = snapshots.length;
  if (!lines.length || n < 2) return null;
  const values = lines.flatMap((l) => l.points);
  const ticks = byteTicks(Math.min(0, ...values), Math.max(1, ...values), 4);
  const min = ticks[0].value;
  const max = ticks.at(-1).value;
  const x = (i) => PAD.left + (i * (WIDTH - PAD.left - PAD.right)) / (n - 1);
  const y = (v) => PAD.top + ((max - v) * (HEIGHT - PAD.top - PAD.bottom)) / (max - min || 1);
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'trend-chart', role: 'img' });
  const title = svg('title');
  title.textContent = 'Net growth of the top suspects across the snapshots';
  chart.append(title);
  chart.append(svg('line', { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: y(min), class: 'axis' }));
  for (const tick of ticks) {
    chart.append(svg('line', { x1: PAD.left - 4, y1: y(tick.value), x2: WIDTH - PAD.right, y2: y(tick.value),
      class: tick.value === 0 ? 'axis' : 'grid' }));
    chart.append(text({ x: PAD.left - 8, y: y(tick.value) + 4, 'text-anchor': 'end', class: 'tick' }, tick.label));
  }
  const times = timeLabels(snapshots.map((s) => s.time));
  snapshots.forEach((snap, i) => {
    const label = text({ x: x(i), y: HEIGHT - PAD.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, `#${i + 1}`);
    const hint = svg('title');
    hint.textContent = `${snap.name}${snap.time ? ` — ${fmt.captureTime(snap.time)}` : ''}`;
    label.append(hint);
    chart.append(label);
    if (times[i]) chart.append(text({ x: x(i), y: HEIGHT - PAD.bottom + 30, 'text-anchor': 'middle', class: 'tick time' }, times[i]));
  });
  chart.append(text({ x: (PAD.left + WIDTH) / 2, y: HEIGHT - 6, 'text-anchor': 'middle', class: 'axis-label' },
    times[0] ? 'snapshot, oldest first (capture time, UTC)' : 'snapshot, oldest first'));
  const dots = lines.map((line, k) => {
    const color = COLORS[k % COLORS.length];
    const points = line.points.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    chart.append(svg('polyline', { points, fill: 'none', stroke: color, 'stroke-width': 2 }));
    return line.points.map((v, i) => {
      const dot = svg('circle', { cx: x(i), cy: y(v), r: 4, fill: color, class: 'point' });
      const hint = svg('title');
      hint.textContent = `${line.label}: ${fmt.signedBytes(v)} at snapshot #${i + 1} (${snapshots[i].name})`;
      dot.append(hint);
      chart.append(dot);
      return dot;
    });
  });
  return { chart, lines, snapshots, times, dots, x, bottom: y(min) };
}

/** `<ul>` naming each line's color (an SVG square filled with it: no stylesheet holds the colors). */
export function trendLegend(lines) {
  const legend = el('ul', 'legend');
  lines.forEach((line, k) => {
    const swatch = svg('svg', { class: 'swatch', width: 10, height: 10, 'aria-hidden': 'true' });
    swatch.append(svg('rect', { width: 10, height: 10, rx: 2, fill: COLORS[k % COLORS.length] }));
    const item = el('li');
    item.append(swatch, el('code', '', line.label));
    legend.append(item);
  });
  return legend;
}

/** The chart on the page, with a readout of the values under the pointer or the arrow keys. */
export function renderTrend(container, analysis, top = 5) {
  container.replaceChildren();
  const built = trendChart(analysis, top);
  if (!built) return;
  const { chart, lines, snapshots, times, dots, x, bottom } = built;
  const n = snapshots.length;
  chart.setAttribute('tabindex', 0);
  chart.setAttribute('aria-label', 'Net growth of the top suspects across the snapshots; arrow keys read the values');
  const guide = svg('line', { y1: PAD.top, y2: bottom, class: 'guide', visibility: 'hidden' });
  chart.insertBefore(guide, chart.querySelector('polyline')); // under the lines and their points
  const readout = svg('g', { class: 'readout', visibility: 'hidden' });
  chart.append(readout);
  const spoken = el('p', 'sr-only'); // the readout, for screen readers (the chart is one image to them)
  spoken.setAttribute('aria-live', 'polite');

  let shown = -1;
  function show(i) {
    shown = i;
    guide.setAttribute('x1', x(i));
    guide.setAttribute('x2', x(i));
    guide.setAttribute('visibility', 'visible');
    dots.forEach((row) => row.forEach((dot, j) => dot.setAttribute('r', j === i ? 6 : 4)));
    readout.replaceChildren();
    const box = svg('rect', { rx: 4, class: 'readout-box' });
    readout.append(box);
    const head = `#${i + 1} ${snapshots[i].name}${times[i] ? ` · ${times[i]}` : ''}`;
    readout.append(text({ x: 10, y: 18, class: 'readout-head' }, head));
    lines.forEach((line, k) => {
      const row = 18 + 17 * (k + 1);
      readout.append(svg('rect', { x: 10, y: row - 9, width: 9, height: 9, rx: 2, fill: COLORS[k % COLORS.length] }));
      readout.append(text({ x: 25, y: row, class: 'readout-value' }, `${fmt.signedBytes(line.points[i])}  ${shortened(line.label)}`));
    });
    readout.setAttribute('visibility', 'visible');
    spoken.textContent = `Snapshot ${head}: ${lines.map((line) => `${line.label} ${fmt.signedBytes(line.points[i])}`).join('; ')}`;
    const size = readout.getBBox();
    const width = size.x + size.width + 10;
    const height = 18 + 17 * lines.length + 10;
    box.setAttribute('width', width);
    box.setAttribute('height', height);
    const left = x(i) + 12 + width <= WIDTH - 4 ? x(i) + 12 : Math.max(4, x(i) - 12 - width);
    readout.setAttribute('transform', `translate(${left.toFixed(1)},${PAD.top})`);
  }
  function hide() {
    shown = -1;
    guide.setAttribute('visibility', 'hidden');
    readout.setAttribute('visibility', 'hidden');
    dots.forEach((row) => row.forEach((dot) => dot.setAttribute('r', 4)));
  }
  chart.addEventListener('pointermove', (event) => {
    const rect = chart.getBoundingClientRect();
    const at = ((event.clientX - rect.left) * WIDTH) / rect.width;
    const i = Math.round(((at - PAD.left) * (n - 1)) / (WIDTH - PAD.left - PAD.right));
    const nearest = Math.min(n - 1, Math.max(0, i));
    if (nearest !== shown) show(nearest);
  });
  chart.addEventListener('pointerleave', hide);
  chart.addEventListener('blur', hide);
  chart.addEventListener('focus', () => show(shown < 0 ? n - 1 : shown));
  chart.addEventListener('keydown', (event) => {
    const step = { ArrowLeft: -1, ArrowRight: 1 }[event.key];
    if (step !== undefined) {
      event.preventDefault();
      show(Math.min(n - 1, Math.max(0, (shown < 0 ? n - 1 : shown) + step)));
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      show(event.key === 'Home' ? 0 : n - 1);
    } else if (event.key === 'Escape') {
      hide();
    }
  });

  const legend = trendLegend(lines);
  container.append(chart, spoken, legend);
}
