// A small line of a series across the loaded snapshots, with its values in a tooltip.
import { svg } from './dom.js';

export function sparkline(values, label, width = 80, height = 18) {
  const node = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'sparkline', role: 'img' });
  const title = svg('title');
  title.textContent = label;
  node.append(title);
  if (values.length < 2) return node;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const x = (i) => 2 + (i * (width - 4)) / (values.length - 1);
  const y = (v) => height - 2 - ((v - min) * (height - 4)) / span;
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  node.append(svg('polyline', { points, fill: 'none', 'stroke-width': 1.5 }));
  node.append(svg('circle', { cx: x(values.length - 1), cy: y(values.at(-1)), r: 2 }));
  return node;
}
