// The per-type comparison table (Chrome DevTools "Comparison" semantics), with a sparkline
// of each type's bytes across all loaded snapshots.
import { el } from './dom.js';
import * as fmt from './format.js';
import { sparkline } from './sparkline.js';

const MAX_ROWS = 500;

export function renderComparison(analysis) {
  document.getElementById('comparison-caption').textContent =
    `${analysis.before} → ${analysis.after}: objects by type, matched by identity, by byte growth`;
  const rows = analysis.types.filter((r) => r.newCount || r.deletedCount).slice(0, MAX_ROWS);
  document.getElementById('comparison-body').replaceChildren(
    ...rows.map((r) => {
      const tr = el('tr');
      const trend = el('td', 'trend');
      trend.append(sparkline(r.bytes, `bytes: ${r.bytes.map(fmt.bytes).join(' → ')}`));
      tr.append(
        el('td', 'type', r.typeName),
        el('td', 'num', fmt.count(r.newCount)),
        el('td', 'num', fmt.count(r.deletedCount)),
        el('td', `num ${tone(r.countDelta)}`, fmt.signedCount(r.countDelta)),
        el('td', `num ${tone(r.bytesDelta)}`, fmt.signedBytes(r.bytesDelta)),
        el('td', 'num', fmt.bytes(r.bytesAfter)),
        trend,
      );
      return tr;
    }),
  );
  document.getElementById('comparison').hidden = false;
}

function tone(delta) {
  return delta > 0 ? 'grow' : delta < 0 ? 'shrink' : '';
}
