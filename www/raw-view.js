// The seed's view, kept: the sorted lines of one type in the two compared snapshots, side by
// side, changed regions only by default. The worker computes the rows; this file only shows
// them, virtualized (fixed row height, rows positioned in a tall scroller).
import { el } from './dom.js';
import * as fmt from './format.js';

const ROW = 20; // px per row, matches .raw-row in style.css
const OVERSCAN = 30; // rows rendered above and below the visible ones

/**
 * Shows `diff` (from the worker) in `section`. `names` are the compared files;
 * `reload(all)` asks for every line (all = true) or changed regions only.
 */
export function renderRaw(section, diff, names, all, reload) {
  section.replaceChildren();
  section.hidden = false;
  const head = el('div', 'raw-head');
  head.append(
    el('h2', '', `Raw lines of ${diff.typeName}`),
    el('span', 'muted', `${names[0]}: ${fmt.count(diff.lines[0])} lines (−${fmt.count(diff.changed[0])}) · ` +
      `${names[1]}: ${fmt.count(diff.lines[1])} lines (+${fmt.count(diff.changed[1])})` +
      (diff.truncated ? ` · first ${fmt.count(diff.rows.length)} rows` : '')),
  );
  const toggle = el('label', 'raw-toggle');
  const box = el('input');
  box.type = 'checkbox';
  box.checked = !all;
  box.addEventListener('change', () => reload(!box.checked));
  toggle.append(box, ' changed regions only');
  const close = el('button', 'button', 'close');
  close.type = 'button';
  close.addEventListener('click', () => { section.hidden = true; section.replaceChildren(); });
  head.append(toggle, close);

  const columns = el('div', 'raw-row raw-columns');
  columns.append(el('span', 'left', names[0]), el('span', 'right', names[1]));
  const scroller = el('div', 'raw-scroll');
  scroller.tabIndex = 0;
  scroller.setAttribute('role', 'region');
  scroller.setAttribute('aria-label', `raw lines of ${diff.typeName}, side by side`);
  const inner = el('div', 'raw-inner');
  inner.style.height = `${diff.rows.length * ROW}px`;
  const windowed = el('div', 'raw-window');
  inner.append(windowed);
  scroller.append(inner);
  section.append(head, columns, scroller);
  if (!diff.rows.length) scroller.replaceChildren(el('p', 'muted', 'no lines of this type in either snapshot'));

  let frame = 0;
  const paint = () => {
    frame = 0;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(diff.rows.length, Math.ceil((scroller.scrollTop + scroller.clientHeight) / ROW) + OVERSCAN);
    windowed.style.transform = `translateY(${first * ROW}px)`;
    const rows = [];
    for (let i = first; i < last; i++) rows.push(rawRow(diff.rows[i]));
    windowed.replaceChildren(...rows);
  };
  scroller.addEventListener('scroll', () => { frame ||= requestAnimationFrame(paint); }, { passive: true });
  paint();
  section.scrollIntoView({ block: 'start' });
}

function rawRow([kind, left, right, count]) {
  const row = el('div', `raw-row ${kind}`);
  if (kind === 'skipped') {
    row.append(el('span', 'skip', `⋯ ${fmt.count(count)} unchanged line${count === 1 ? '' : 's'}`));
    return row;
  }
  row.append(
    el('span', `left${kind === 'changed' && left != null ? ' removed' : ''}`, left ?? ''),
    el('span', `right${kind === 'changed' && right != null ? ' added' : ''}`, right ?? ''),
  );
  return row;
}
