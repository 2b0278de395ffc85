// What grew, object by object: the new objects grouped by shape, and the containers
// present in both snapshots whose length grew, their contents diffed item by item.
import { el } from './dom.js';
import * as fmt from './format.js';

export function renderNewGroups(container, analysis) {
  const table = el('table', 'groups');
  const head = el('tr');
  for (const [label, cls] of [['count', 'num'], ['type', ''], ['bytes', 'num'], ['shape', ''], ['example', '']]) {
    const th = el('th', cls, label);
    th.scope = 'col';
    head.append(th);
  }
  table.append(el('thead'), el('tbody'));
  table.tHead.append(head);
  for (const t of analysis.newGroups.slice(0, 6)) {
    for (const g of t.groups.slice(0, 4)) {
      const tr = el('tr');
      tr.append(
        el('td', 'num', fmt.count(g.count)),
        el('td', 'mono', g.typeName),
        el('td', 'num', fmt.bytes(g.bytes)),
        el('td', 'mono', g.shape),
        el('td', 'mono example-cell', g.examples[0] ?? ''),
      );
      table.tBodies[0].append(tr);
    }
  }
  container.replaceChildren(table);
}

export function renderGrowing(container, analysis) {
  container.replaceChildren();
  for (const g of analysis.growing.slice(0, 8)) {
    const box = el('details', 'growing');
    const summary = el('summary');
    const s = g.siblings;
    summary.append(
      el('code', 'path', s ? s.pattern : g.path),
      el('span', 'type', s ? ` (${fmt.count(s.count)} × ${g.typeName}) ` : ` (${g.typeName}) `),
      el('span', 'growth', s ? `${fmt.count(s.lenBefore)} → ${fmt.count(s.lenAfter)} ${fmt.lengthUnit(g.typeName)} in all`
        : `${fmt.count(g.lenBefore)} → ${fmt.count(g.lenAfter)} ${fmt.lengthUnit(g.typeName)}`),
    );
    box.append(summary);
    if (s) {
      const largest = el('div', 'fact');
      largest.append(el('span', 'fact-label', 'the one that grew most'),
        el('span', 'fact-value mono', `${g.path} ${fmt.count(g.lenBefore)} → ${fmt.count(g.lenAfter)} ${fmt.lengthUnit(g.typeName)}`));
      box.append(largest);
    }
    const sides = el('div', 'sides');
    const before = el('div', 'side');
    const after = el('div', 'side');
    before.append(el('div', 'fact-label', 'before'));
    after.append(el('div', 'fact-label', 'after'));
    for (const [tag, item] of g.contentsDiff) {
      if (tag !== '+') before.append(el('div', `mono item ${tag === '-' ? 'removed' : ''}`, item));
      if (tag !== '-') after.append(el('div', `mono item ${tag === '+' ? 'added' : ''}`, item));
    }
    sides.append(before, after);
    box.append(sides);
    if (g.addedTotal) {
      const more = g.addedTotal - g.added.length;
      box.append(el('div', 'mono added', `added entries: ${g.added.join(' ')}${more > 0 ? ` (+${fmt.count(more)} more)` : ''}`));
    }
    if (g.removedTotal) {
      const more = g.removedTotal - g.removed.length;
      box.append(el('div', 'mono removed', `removed entries: ${g.removed.join(' ')}${more > 0 ? ` (+${fmt.count(more)} more)` : ''}`));
    }
    container.append(box);
  }
}
