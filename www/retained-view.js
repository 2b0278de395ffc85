// Who keeps it alive (snapshots captured with edges): the dominator tree of the current
// snapshot, largest retained subtrees first, and for a selected object its referrers and the
// object whose release would free it. The worker computes; this file shows.
import { el } from './dom.js';
import * as fmt from './format.js';

const LIMIT = 30;
let client = null;
let key = null;
let panel = null;

/** Shows the dominator tree of the snapshot under `snapshotKey` in `section`. */
export async function renderRetained(section, analyzer, snapshotKey, name) {
  client = analyzer;
  key = snapshotKey;
  section.replaceChildren();
  section.hidden = false;
  section.append(
    el('h2', '', 'Who keeps it alive'),
    el('p', 'muted', `In ${name}: each object with what it alone keeps alive (its retained size — what would be ` +
      'freed if it let go); modules are opened, their globals listed in their place. Open a row for what it ' +
      'retains; select one for everything that refers to it.'),
  );
  const columns = el('div', 'dom-row dom-head');
  columns.append(el('span', 'num', 'retained'), el('span', 'num', 'shallow'), el('span', '', 'object'));
  const tree = el('ul', 'dom-tree');
  tree.setAttribute('role', 'tree');
  panel = el('div', 'retainers');
  panel.setAttribute('aria-live', 'polite');
  section.append(columns, tree, panel);
  tree.append(el('li', 'muted', 'computing the dominator tree…'));
  try {
    const tops = await client.dominated(key, null, LIMIT);
    tree.replaceChildren(...tops.map((n) => treeItem(n, 0)));
  } catch (error) {
    tree.replaceChildren(el('li', 'error', error.message));
  }
}

/** Shows what refers to object `index` and what keeps it alive. */
export async function showRetainers(index) {
  if (!client || !panel) return;
  panel.replaceChildren(el('p', 'muted', 'finding what refers to it…'));
  try {
    const r = await client.retainers(key, index, LIMIT);
    panel.replaceChildren(el('h3', '', 'Selected object'), nodeLine(r.object, true));
    panel.append(el('div', 'fact-label', 'kept alive by (its release would free this object)'));
    panel.append(r.dominator ? nodeLine(r.dominator) : el('p', 'muted', 'nothing alone: a root, or held from several roots'));
    panel.append(el('div', 'fact-label', `referred to by ${fmt.count(r.referrerCount)} object${r.referrerCount === 1 ? '' : 's'}`));
    const list = el('ul', 'referrers');
    for (const n of r.referrers) {
      const li = el('li');
      li.append(nodeLine(n));
      list.append(li);
    }
    if (r.referrerCount > r.referrers.length) list.append(el('li', 'muted', `and ${fmt.count(r.referrerCount - r.referrers.length)} more`));
    panel.append(list);
    panel.scrollIntoView({ block: 'nearest' });
  } catch (error) {
    panel.replaceChildren(el('p', 'error', error.message));
  }
}

function treeItem(node, depth) {
  const li = el('li', 'dom-item');
  li.setAttribute('role', 'treeitem');
  li.setAttribute('aria-level', String(depth + 1));
  const row = el('div', 'dom-row');
  const toggle = el('button', 'expand', '▸');
  toggle.type = 'button';
  toggle.setAttribute('aria-label', `what ${node.path} retains`);
  toggle.setAttribute('aria-expanded', 'false');
  const children = el('ul', 'dom-children');
  children.setAttribute('role', 'group');
  children.hidden = true;
  toggle.addEventListener('click', async () => {
    const open = toggle.getAttribute('aria-expanded') === 'true';
    toggle.setAttribute('aria-expanded', String(!open));
    toggle.textContent = open ? '▸' : '▾';
    children.hidden = open;
    if (!open && !children.childElementCount) {
      const kids = await client.dominated(key, node.index, LIMIT);
      children.replaceChildren(...(kids.length ? kids.map((k) => treeItem(k, depth + 1)) : [el('li', 'muted', 'retains nothing else')]));
    }
  });
  row.append(
    el('span', 'num', fmt.bytes(node.retained)),
    el('span', 'num muted', fmt.bytes(node.shallow)),
  );
  const label = el('span', 'dom-label');
  label.append(toggle, selectButton(node));
  row.append(label);
  li.append(row, children);
  return li;
}

function selectButton(node) {
  const button = el('button', 'link');
  button.type = 'button';
  button.append(el('code', 'path', node.path), el('span', 'type', ` (${node.typeName}) `), el('span', 'mono muted', node.contents));
  button.addEventListener('click', () => showRetainers(node.index));
  return button;
}

function nodeLine(node, selected = false) {
  const line = el('div', `dom-row${selected ? ' selected' : ''}`);
  line.append(el('span', 'num', fmt.bytes(node.retained)), el('span', 'num muted', fmt.bytes(node.shallow)));
  const label = el('span', 'dom-label');
  label.append(selected ? el('code', 'path', `${node.path} (${node.typeName}) `) : selectButton(node));
  if (selected) label.append(el('span', 'mono muted', node.contents));
  line.append(label);
  return line;
}
