// The default view: ranked leak suspects, each a one-sentence verdict; click for its detail.
import { el } from './dom.js';
import * as fmt from './format.js';
import { sparkline } from './sparkline.js';

/** `showRetainers(index)`, when given, opens who keeps a holder alive (snapshots with edges). */
export function renderSuspects(container, analysis, showRetainers = null) {
  container.replaceChildren();
  if (!analysis.suspects.length) {
    container.append(el('p', 'empty', 'No leak suspects: no holder grew by 1 KiB or more between these snapshots (a one-off jump counts less than steady growth).'));
    return;
  }
  const list = el('ol', 'suspects');
  analysis.suspects.forEach((s, i) => list.append(suspectItem(s, i === 0, showRetainers)));
  container.append(list);
}

function suspectItem(s, open, showRetainers) {
  const item = el('li', 'suspect');
  const details = el('details');
  details.open = open;
  const summary = el('summary');
  const type = s.holders > 1 ? `${fmt.count(s.holders)} × ${s.typeName}` : s.typeName;
  summary.append(el('code', 'path', s.path), el('span', 'type', ` (${type})`));
  const lens = s.lens.filter((l) => l !== null);
  const lengthLabel = s.holders > 1 ? 'total length' : 'length';
  if (lens.length >= 2) summary.append(sparkline(lens, `${lengthLabel}: ${lens.map(fmt.count).join(' → ')}`));
  summary.append(el('span', 'growth', fmt.signedBytes(s.netBytes)), el('p', 'sentence', s.sentence));
  details.append(summary);
  details.append(detail(s, showRetainers));
  item.append(details);
  return item;
}

function detail(s, showRetainers) {
  const box = el('div', 'detail');
  const lens = s.lens.map((l) => (l === null ? '–' : fmt.count(l))).join(' → ');
  if (s.holders > 1) {
    const which = s.path.includes('[*]') ? 'one per [*] key or index'
      : 'roots of one label (objects no root reaches, or the frames of threads named alike)';
    box.append(fact('holders', `${fmt.count(s.holders)} × ${s.typeName}, ${which}: their growth is spread among them, so together they are one suspect`));
  }
  if (s.replaced) {
    box.append(fact('replaced', `its holder grew with no more entries: the ${s.typeName} at this path is a new, larger one in each snapshot (rebuilt, as s += … does), so the path is named, not the holder`));
  }
  if (s.lens.some((l) => l !== null)) {
    box.append(fact(s.holders > 1 ? 'total length per snapshot' : 'length per snapshot', lens));
  }
  if (s.retained?.length) {
    box.append(fact('retained per snapshot', s.retained.map((b) => (b === null ? '–' : fmt.bytes(b))).join(' → ')));
  }
  if (showRetainers) {
    const who = el('button', 'button', s.holders > 1 ? 'who keeps the largest one alive?' : 'who keeps it alive?');
    who.type = 'button';
    who.addEventListener('click', () => showRetainers(s.index));
    box.append(who);
  }
  box.append(fact('net growth per interval', s.netBytesPerInterval.map(fmt.signedBytes).join(', ')));
  const contentsLabel = s.holders > 1 ? 'contents of the one that grew most' : s.replaced ? 'value now' : 'holder contents';
  box.append(fact(contentsLabel, s.contents, 'mono'));
  for (const g of s.entries) {
    const group = el('div', 'group');
    group.append(el('div', 'group-head', `${fmt.count(g.count)} × ${g.typeName} ${g.shape} — ${fmt.bytes(g.bytes)}`));
    for (const example of g.examples) group.append(el('div', 'example mono', example));
    box.append(group);
  }
  if (s.sites.length) {
    const sites = el('ul', 'sites');
    for (const [site, count] of s.sites) sites.append(el('li', 'mono', `${site} × ${fmt.count(count)}`));
    box.append(el('div', 'fact-label', 'allocated at'), sites);
  }
  return box;
}

function fact(label, value, valueClass = '') {
  const row = el('div', 'fact');
  row.append(el('span', 'fact-label', label), el('span', `fact-value ${valueClass}`, value));
  return row;
}
