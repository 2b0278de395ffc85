// The trend chart: net growth of the top suspects across all loaded snapshots, with axes,
// labels and a value on every point (hover). SVG built node by node: labels are text.
import { el, svg } from './dom.js';
import * as fmt from './format.js';

const WIDTH = 720;
const HEIGHT = 240;
const PAD = { left: 78, right: 16, top: 14, bottom: 44 };
const COLORS = ['#2456c9', '#b3261e', '#1b7f3b', '#9c27b0', '#e07b00'];

/** Cumulative net bytes of each of the first `top` suspects, one point per snapshot. */
function series(analysis, top) {
  return analysis.suspects.slice(0, top).map((s) => {
    const points = [0];
    for (const b of s.netBytesPerInterval) points.push(points.at(-1) + b);
    return { label: s.path, points };
  });
}

export function renderTrend(container, analysis, top = 5) {
  container.replaceChildren();
  const lines = series(analysis, top);
  const n = analysis.snapshots.length;
  if (!lines.length || n < 2) return;
  const max = Math.max(1, ...lines.flatMap((l) => l.points));
  const min = Math.min(0, ...lines.flatMap((l) => l.points));
  const x = (i) => PAD.left + (i * (WIDTH - PAD.left - PAD.right)) / (n - 1);
  const y = (v) => PAD.top + ((max - v) * (HEIGHT - PAD.top - PAD.bottom)) / (max - min || 1);
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'trend-chart', role: 'img' });
  const title = svg('title');
  title.textContent = 'Net growth of the top suspects across the snapshots';
  chart.append(title);
  // Axes, with four value ticks and one tick per snapshot.
  chart.append(svg('line', { x1: PAD.left, y1: y(min), x2: WIDTH - PAD.right, y2: y(min), class: 'axis' }));
  chart.append(svg('line', { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: y(min), class: 'axis' }));
  for (let k = 0; k <= 4; k++) {
    const v = min + ((max - min) * k) / 4;
    chart.append(svg('line', { x1: PAD.left - 4, y1: y(v), x2: WIDTH - PAD.right, y2: y(v), class: 'grid' }));
    const label = svg('text', { x: PAD.left - 8, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' });
    label.textContent = fmt.signedBytes(Math.round(v));
    chart.append(label);
  }
  analysis.snapshots.forEach((snap, i) => {
    const label = svg('text', { x: x(i), y: HEIGHT - PAD.bottom + 16, 'text-anchor': 'middle', class: 'tick' });
    label.textContent = `#${i + 1}`;
    const hint = svg('title');
    hint.textContent = `${snap.name}${snap.time ? ` — ${snap.time}` : ''}`;
    label.append(hint);
    chart.append(label);
  });
  const axisLabel = svg('text', { x: (PAD.left + WIDTH) / 2, y: HEIGHT - 6, 'text-anchor': 'middle', class: 'axis-label' });
  axisLabel.textContent = 'snapshot, oldest first';
  chart.append(axisLabel);
  lines.forEach((line, k) => {
    const color = COLORS[k % COLORS.length];
    const points = line.points.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    chart.append(svg('polyline', { points, fill: 'none', stroke: color, 'stroke-width': 2 }));
    line.points.forEach((v, i) => {
      const dot = svg('circle', { cx: x(i), cy: y(v), r: 4, fill: color, class: 'point' });
      const hint = svg('title');
      hint.textContent = `${line.label}: ${fmt.signedBytes(v)} at snapshot #${i + 1} (${analysis.snapshots[i].name})`;
      dot.append(hint);
      chart.append(dot);
    });
  });
  const legend = el('ul', 'legend');
  lines.forEach((line, k) => {
    const item = el('li');
    const swatch = el('span', 'swatch');
    swatch.dataset.color = String(k % COLORS.length);
    item.append(swatch, el('code', '', line.label));
    legend.append(item);
  });
  container.append(chart, legend);
}
