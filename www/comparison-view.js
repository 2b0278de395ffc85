// The per-type comparison table (Chrome DevTools "Comparison" semantics), with a sparkline
// of each type's bytes across all loaded snapshots; sortable columns and a type filter.
// Virtualized: only the rows near the viewport are in the DOM, so 100k+ types scroll
// smoothly. Keyboard: arrows move between rows, Enter opens a type's groups, / filters.
import { el } from './dom.js';
import * as fmt from './format.js';
import { sparkline } from './sparkline.js';

const ROW_HEIGHT = 31; // first guess of a row's height; rendered rows are measured
const OVERSCAN = 200; // px rendered above and below the viewport

const ALL_COLUMNS = [
  { key: 'typeName', label: 'type', numeric: false },
  { key: 'newCount', label: '#new', numeric: true },
  { key: 'deletedCount', label: '#deleted', numeric: true },
  { key: 'countDelta', label: 'Δcount', numeric: true },
  { key: 'bytesDelta', label: 'Δbytes', numeric: true },
  { key: 'bytesAfter', label: 'bytes after', numeric: true },
  { key: 'retainedAfter', label: 'retained', numeric: true, edges: true },
];
// The retained column exists only for snapshots captured with edges.
let COLUMNS = ALL_COLUMNS.filter((c) => !c.edges);

const state = { analysis: null, sortKey: 'bytesDelta', descending: true, filter: '', expanded: new Set(), focus: null };
let items = []; // what the table shows, in order: {key, kind: 'type' | 'groups', row, groups?}
let typeCount = 0;
const heights = new Map(); // measured height of each item unlike the typical one, by key
let typical = ROW_HEIGHT; // the height of a type row, once one was measured
let offsetsCache = null; // offsets() until the items or a height change
let frame = 0;
let onChange = () => {};
let onRaw = () => {};

/** The table's view (sort and filter), for the URL. */
export function viewState() {
  return { sortKey: state.sortKey, descending: state.descending, filter: state.filter };
}

export function renderComparison(analysis) {
  state.analysis = analysis;
  state.groups = new Map(analysis.newGroups.map((t) => [t.typeName, t.groups]));
  const retained = analysis.types.some((r) => r.retainedAfter != null);
  COLUMNS = ALL_COLUMNS.filter((c) => retained || !c.edges);
  if (!COLUMNS.some((c) => c.key === state.sortKey)) state.sortKey = 'bytesDelta';
  document.getElementById('comparison-caption').textContent =
    `${analysis.before} → ${analysis.after}: objects by type, matched by identity`;
  renderHead();
  renderBody();
  document.getElementById('comparison-tools').hidden = false;
  document.getElementById('comparison').hidden = false;
}

/**
 * Wires the filter box; `initial` restores a view from the URL, `changed` hears of edits,
 * `openRaw(typeName)` shows a type's raw lines.
 */
export function setUpComparison(initial, changed, openRaw) {
  onChange = changed;
  onRaw = openRaw;
  const filter = document.getElementById('type-filter');
  if (initial.sortKey && ALL_COLUMNS.some((c) => c.key === initial.sortKey)) {
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
  filter.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' && items.length) {
      e.preventDefault();
      focusItem(0);
    }
  });
  const body = document.getElementById('comparison-body');
  body.addEventListener('keydown', onRowKey);
  const schedule = () => {
    if (!frame && state.analysis) frame = requestAnimationFrame(() => { frame = 0; renderWindow(); });
  };
  window.addEventListener('scroll', schedule, { passive: true });
  window.addEventListener('resize', schedule);
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
      const primary = column.numeric ? a[column.key] - b[column.key] : byName(a, b);
      return sign * primary || b.bytesDelta - a.bytesDelta || byName(a, b);
    });
}

/** Type names in code-unit order, as the core sorts them: the core's rows then come in already sorted. */
function byName(a, b) {
  return a.typeName < b.typeName ? -1 : a.typeName > b.typeName ? 1 : 0;
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
  const trend = el('th', 'trend', 'trend');
  trend.scope = 'col';
  row.append(trend);
  document.getElementById('comparison-head').replaceChildren(row);
}

function renderBody() {
  const rows = visibleRows();
  items = [];
  const expanded = state.expanded.size > 0;
  for (let n = 0; n < rows.length; n++) {
    const r = rows[n];
    items.push({ key: rowKey(r), kind: 'type', row: r, n });
    if (expanded && state.expanded.has(r.typeName)) {
      items.push({ key: `g:${r.typeName}`, kind: 'groups', row: r, groups: state.groups.get(r.typeName) ?? [] });
    }
  }
  typeCount = rows.length;
  offsetsCache = null;
  document.getElementById('comparison').setAttribute('aria-rowcount', String(rows.length + 1));
  document.getElementById('comparison-count').textContent = `${fmt.count(rows.length)} types`;
  renderWindow();
}

/** A type row's key, made once per row: tables of 100k rows are re-sorted often. */
function rowKey(row) {
  row.key ??= `t:${row.typeName}`;
  return row.key;
}

/** Top offset of every item (and the total height), from measured or typical heights. */
function offsets() {
  if (offsetsCache) return offsetsCache;
  const at = new Float64Array(items.length + 1);
  const measured = heights.size > 0;
  for (let i = 0; i < items.length; i++) at[i + 1] = at[i] + ((measured && heights.get(items[i].key)) || typical);
  offsetsCache = at;
  return at;
}

/** Renders the items near the viewport between two spacer rows, then measures them. */
function renderWindow(again = true) {
  const body = document.getElementById('comparison-body');
  if (!state.analysis) return;
  const hadFocus = body.contains(document.activeElement); // replacing the rows would drop it
  const at = offsets();
  const top = -body.getBoundingClientRect().top;
  const from = Math.max(0, top - OVERSCAN);
  // At least a screenful from the top, so the table's start is there before it scrolls into view.
  const to = Math.max(top + window.innerHeight + OVERSCAN, window.innerHeight);
  let first = upperBound(at, from) - 1;
  first = Math.max(0, Math.min(first, items.length - 1));
  let last = first;
  while (last < items.length && at[last] < to) last++;
  const rendered = [spacer(at[first])];
  for (let i = first; i < last; i++) rendered.push(render(items[i]));
  rendered.push(spacer(at[items.length] - at[last]));
  body.replaceChildren(...rendered);
  let changed = false;
  for (let i = first; i < last; i++) {
    const height = rendered[i - first + 1].getBoundingClientRect().height;
    if (!height) continue;
    if (typical === ROW_HEIGHT && items[i].kind === 'type') typical = height; // rows unseen yet are like it
    if (Math.abs((heights.get(items[i].key) ?? typical) - height) > 0.5) {
      heights.set(items[i].key, height);
      changed = true;
    } else if (heights.has(items[i].key) && Math.abs(height - typical) <= 0.5) {
      heights.delete(items[i].key);
    }
  }
  if (changed) offsetsCache = null;
  const focused = state.focus && body.querySelector(`tr[data-key="${CSS.escape(state.focus)}"]`);
  if (hadFocus && focused) focused.focus({ preventScroll: true });
  if (changed && again) renderWindow(false);
}

function upperBound(sorted, value) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function spacer(height) {
  const tr = el('tr', 'spacer');
  tr.setAttribute('aria-hidden', 'true');
  const td = el('td');
  td.colSpan = COLUMNS.length + 1;
  td.style.height = `${height}px`;
  tr.append(td);
  return tr;
}

function render(item) {
  if (item.kind === 'groups') return groupsRow(item.groups, item.key, item.row);
  const r = item.row;
  const tr = el('tr');
  tr.dataset.key = item.key;
  tr.tabIndex = item.key === (state.focus ?? items[0]?.key) ? 0 : -1;
  tr.setAttribute('aria-rowindex', String(item.n + 2));
  const trend = el('td', 'trend');
  trend.append(sparkline(r.bytes, `bytes: ${r.bytes.map(fmt.bytes).join(' → ')}`));
  const typeCell = el('td', 'type');
  {
    const open = state.expanded.has(r.typeName);
    const toggle = el('button', 'expand', `${open ? '▾' : '▸'} ${r.typeName}`);
    toggle.type = 'button';
    toggle.tabIndex = -1;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.addEventListener('click', () => toggleGroups(r.typeName, item.key));
    typeCell.append(toggle);
  }
  tr.append(
    typeCell,
    el('td', 'num', fmt.count(r.newCount)),
    el('td', 'num', fmt.count(r.deletedCount)),
    el('td', `num ${tone(r.countDelta)}`, fmt.signedCount(r.countDelta)),
    el('td', `num ${tone(r.bytesDelta)}`, fmt.signedBytes(r.bytesDelta)),
    el('td', 'num', fmt.bytes(r.bytesAfter)),
  );
  if (COLUMNS.some((c) => c.edges)) tr.append(el('td', 'num', fmt.bytes(r.retainedAfter ?? 0)));
  tr.append(trend);
  tr.addEventListener('focus', () => { state.focus = item.key; });
  return tr;
}

function toggleGroups(typeName, key) {
  if (state.expanded.has(typeName)) state.expanded.delete(typeName);
  else state.expanded.add(typeName);
  state.focus = key;
  renderBody();
}

/** Arrow keys move between type rows, Home/End jump, Enter or Space opens a type's groups. */
function onRowKey(e) {
  const row = e.target.closest?.('tr[data-key]');
  if (!row) return;
  const typeItems = items.filter((i) => i.kind === 'type');
  const at = items.find((i) => i.key === row.dataset.key)?.n ?? 0;
  const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: typeItems.length - 1, PageDown: at + 10, PageUp: at - 10 };
  if (e.key in moves) {
    e.preventDefault();
    focusItem(Math.max(0, Math.min(typeItems.length - 1, moves[e.key])));
  } else if (e.key === 'Enter' || e.key === ' ') {
    const item = typeItems[at];
    e.preventDefault();
    toggleGroups(item.row.typeName, item.key);
  }
}

/** Focuses the `n`th type row, scrolling it into view first. */
function focusItem(n) {
  const typeItems = items.filter((i) => i.kind === 'type');
  const item = typeItems[n];
  if (!item) return;
  state.focus = item.key;
  const at = offsets();
  const index = items.indexOf(item);
  const body = document.getElementById('comparison-body');
  const bodyTop = body.getBoundingClientRect().top + window.scrollY;
  const rowTop = bodyTop + at[index];
  const rowBottom = bodyTop + at[index + 1];
  const header = document.getElementById('comparison-head').getBoundingClientRect().height;
  if (rowTop < window.scrollY + header) window.scrollTo(0, rowTop - header - 8);
  else if (rowBottom > window.scrollY + window.innerHeight) window.scrollTo(0, rowBottom - window.innerHeight + 8);
  renderWindow();
  body.querySelector(`tr[data-key="${CSS.escape(item.key)}"]`)?.focus({ preventScroll: true });
}

/** The new objects of a type, grouped by shape: a row spanning the table. */
function groupsRow(groups, key, row) {
  const tr = el('tr', 'groups-row');
  tr.dataset.groups = key;
  const td = el('td');
  td.colSpan = COLUMNS.length + 1;
  if (!groups.length) {
    td.append(el('div', 'muted', row.newCount ? 'new objects of this type are not grouped (only the types that gained most are)'
      : `no new objects; ${fmt.count(row.deletedCount)} deleted`));
  }
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
  const raw = el('button', 'button raw-open', 'raw lines side by side');
  raw.type = 'button';
  raw.addEventListener('click', () => onRaw(row.typeName));
  td.append(raw);
  tr.append(td);
  return tr;
}

function tone(delta) {
  return delta > 0 ? 'grow' : delta < 0 ? 'shrink' : '';
}
