// The per-type comparison table (Chrome DevTools "Comparison" semantics), with a sparkline
// of each type's bytes across all loaded snapshots; sortable columns and a type filter.
import { el } from './dom.js';
import * as fmt from './format.js';
import { sparkline } from './sparkline.js';

const MAX_ROWS = 500;

const COLUMNS = [
  { key: 'typeName', label: 'type', numeric: false },
  { key: 'newCount', label: '#new', numeric: true },
  { key: 'deletedCount', label: '#deleted', numeric: true },
  { key: 'countDelta', label: 'Δcount', numeric: true },
  { key: 'bytesDelta', label: 'Δbytes', numeric: true },
  { key: 'bytesAfter', label: 'bytes after', numeric: true },
];

const state = { analysis: null, sortKey: 'bytesDelta', descending: true, filter: '', expanded: new Set() };
let onChange = () => {};

/** The table's view (sort and filter), for the URL. */
export function viewState() {
  return { sortKey: state.sortKey, descending: state.descending, filter: state.filter };
}

export function renderComparison(analysis) {
  state.analysis = analysis;
  state.groups = new Map(analysis.newGroups.map((t) => [t.typeName, t.groups]));
  document.getElementById('comparison-caption').textContent =
    `${analysis.before} → ${analysis.after}: objects by type, matched by identity`;
  renderHead();
  renderBody();
  document.getElementById('comparison-tools').hidden = false;
  document.getElementById('comparison').hidden = false;
}

/** Wires the filter box; `initial` restores a view from the URL, `changed` hears of edits. */
export function setUpComparison(initial, changed) {
  onChange = changed;
  const filter = document.getElementById('type-filter');
  if (initial.sortKey && COLUMNS.some((c) => c.key === initial.sortKey)) {
    state.sortKey = initial.sortKey;
    state.descending = initial.descending;
  }
  state.filter = initial.filter.toLowerCase();
  filter.value = initial.filter;
  filter.addEventListener('input', () => {
    state.filter = filter.value.trim().toLowerCase();
    renderBody();
    onChange();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === '/' && document.activeElement !== filter && !document.getElementById('comparison').hidden) {
      e.preventDefault();
      filter.focus();
    }
  });
}

/** The rows as shown: filtered and sorted, ties broken by byte growth, then name. */
export function visibleRows() {
  if (!state.analysis) return [];
  const column = COLUMNS.find((c) => c.key === state.sortKey);
  const sign = state.descending ? -1 : 1;
  return state.analysis.types
    .filter((r) => r.newCount || r.deletedCount)
    .filter((r) => !state.filter || r.typeName.toLowerCase().includes(state.filter))
    .sort((a, b) => {
      const primary = column.numeric ? a[column.key] - b[column.key] : a.typeName.localeCompare(b.typeName);
      return sign * primary || b.bytesDelta - a.bytesDelta || a.typeName.localeCompare(b.typeName);
    });
}

function renderHead() {
  const row = el('tr');
  for (const column of COLUMNS) {
    const th = el('th', column.numeric ? 'num' : 'type');
    th.scope = 'col';
    const active = column.key === state.sortKey;
    th.setAttribute('aria-sort', active ? (state.descending ? 'descending' : 'ascending') : 'none');
    const button = el('button', 'sort', column.label + (active ? (state.descending ? ' ▼' : ' ▲') : ''));
    button.type = 'button';
    button.addEventListener('click', () => {
      state.descending = active ? !state.descending : column.numeric;
      state.sortKey = column.key;
      renderHead();
      renderBody();
      onChange();
    });
    th.append(button);
    row.append(th);
  }
  const trend = el('th', '', 'trend');
  trend.scope = 'col';
  row.append(trend);
  document.getElementById('comparison-head').replaceChildren(row);
}

function renderBody() {
  const rows = visibleRows();
  const body = [];
  for (const r of rows.slice(0, MAX_ROWS)) {
    const tr = el('tr');
    const trend = el('td', 'trend');
    trend.append(sparkline(r.bytes, `bytes: ${r.bytes.map(fmt.bytes).join(' → ')}`));
    const groups = state.groups.get(r.typeName);
    const typeCell = el('td', 'type');
    if (groups?.length) {
      const open = state.expanded.has(r.typeName);
      const toggle = el('button', 'expand', `${open ? '▾' : '▸'} ${r.typeName}`);
      toggle.type = 'button';
      toggle.setAttribute('aria-expanded', String(open));
      toggle.addEventListener('click', () => {
        if (open) state.expanded.delete(r.typeName);
        else state.expanded.add(r.typeName);
        renderBody();
      });
      typeCell.append(toggle);
    } else {
      typeCell.textContent = r.typeName;
    }
    tr.append(
      typeCell,
      el('td', 'num', fmt.count(r.newCount)),
      el('td', 'num', fmt.count(r.deletedCount)),
      el('td', `num ${tone(r.countDelta)}`, fmt.signedCount(r.countDelta)),
      el('td', `num ${tone(r.bytesDelta)}`, fmt.signedBytes(r.bytesDelta)),
      el('td', 'num', fmt.bytes(r.bytesAfter)),
      trend,
    );
    body.push(tr);
    if (groups?.length && state.expanded.has(r.typeName)) body.push(groupsRow(groups));
  }
  document.getElementById('comparison-body').replaceChildren(...body);
  document.getElementById('comparison-count').textContent =
    rows.length > MAX_ROWS ? `showing ${MAX_ROWS} of ${fmt.count(rows.length)} types` : `${fmt.count(rows.length)} types`;
}

/** The new objects of a type, grouped by shape: a row spanning the table. */
function groupsRow(groups) {
  const tr = el('tr', 'groups-row');
  const td = el('td');
  td.colSpan = COLUMNS.length + 1;
  for (const g of groups) {
    const line = el('div', 'group-line');
    line.append(
      el('span', 'num', `${fmt.count(g.count)} ×`),
      el('span', 'mono', ` ${g.shape} `),
      el('span', 'muted', fmt.bytes(g.bytes)),
    );
    if (g.examples[0] !== undefined) line.append(el('div', 'mono example', g.examples[0]));
    for (const [site, count] of g.sites.slice(0, 2)) line.append(el('div', 'mono muted', `${site} × ${fmt.count(count)}`));
    td.append(line);
  }
  tr.append(td);
  return tr;
}

function tone(delta) {
  return delta > 0 ? 'grow' : delta < 0 ? 'shrink' : '';
}
