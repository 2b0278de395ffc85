// A self-contained HTML report of the current view, to attach to a ticket: suspects, growing
// containers and the comparison as shown (filter and sort). No script inside, one inline
// stylesheet, a CSP that forbids everything else. Built with DOM nodes and textContent and
// then serialized, so text from snapshots stays text.
import * as fmt from './format.js';
import { trendChart, trendLegend } from './trend-chart.js';

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d1f21; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 24px; }
.muted { color: #66707a; } code, .mono { font-family: ui-monospace, Menlo, monospace; font-size: 12px; }
table { border-collapse: collapse; } th, td { padding: 3px 8px; border-bottom: 1px solid #e3e5e8; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; } .grow { color: #b42318; }
li { margin-bottom: 10px; } .example { white-space: pre-wrap; word-break: break-all; }
.trend-chart { width: 100%; max-width: 760px; display: block; } .trend-chart .axis { stroke: #66707a; }
.trend-chart .grid { stroke: #e3e5e8; } .trend-chart .tick, .trend-chart .axis-label { fill: #66707a; font-size: 11px; }
.legend { list-style: none; padding: 0; display: flex; gap: 16px; flex-wrap: wrap; } .swatch { margin-right: 6px; }
`;

const MAX_ROWS = 2000;

/** The report's HTML text for `analysis`, with the comparison `rows` as shown. */
export function reportHtml(analysis, rows, view) {
  const title = `heapsnap report: ${analysis.before} → ${analysis.after}`;
  const doc = document.implementation.createHTMLDocument(title);
  const add = (parent, tag, text, className) => {
    const node = doc.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    parent.append(node);
    return node;
  };
  const body = doc.body;
  add(body, 'h1', title);
  add(body, 'p', `Written ${new Date().toISOString()} by the heapsnap page` +
    (view.filter ? `; types filtered by “${view.filter}”` : '') + '.', 'muted');

  add(body, 'h2', 'Snapshots');
  const files = add(body, 'ul');
  for (const s of analysis.snapshots) {
    const parts = [`${fmt.count(s.objects)} objects`, fmt.bytes(s.bytes)];
    if (s.time) parts.push(fmt.captureTime(s.time));
    if (s.rssCoverage != null) parts.push(`Python objects explain ${Math.round(s.rssCoverage * 100)}% of RSS (${fmt.bytes(s.rss)})`);
    const li = add(files, 'li');
    add(li, 'code', s.name);
    li.append(` — ${parts.join(' · ')}`);
    for (const note of s.notes) add(li, 'div', `Note: ${note}`, 'muted');
  }

  add(body, 'h2', 'Leak suspects');
  if (!analysis.suspects.length) add(body, 'p', 'No holder grew steadily.', 'muted');
  const suspects = add(body, 'ol');
  for (const s of analysis.suspects) {
    const li = add(suspects, 'li');
    add(li, 'div', s.sentence);
    if (s.lens.some((n) => n != null)) {
      add(li, 'div', `${s.holders > 1 ? 'total length' : 'length'} per snapshot: ${s.lens.map((n) => (n == null ? '–' : fmt.count(n))).join(' → ')}`, 'muted');
    }
    for (const g of s.entries.slice(0, 3)) {
      add(li, 'div', `${fmt.count(g.count)} × ${g.typeName} ${g.shape} — ${fmt.bytes(g.bytes)}`, 'mono');
      if (g.examples[0] !== undefined) add(li, 'div', g.examples[0], 'mono example muted');
    }
    for (const [site, count] of s.sites.slice(0, 3)) add(li, 'div', `created at ${site} × ${fmt.count(count)}`, 'mono');
  }

  const trend = trendChart(analysis);
  if (trend) {
    add(body, 'h2', 'Growth of the top suspects');
    body.append(doc.importNode(trend.chart, true), doc.importNode(trendLegend(trend.lines), true));
  }

  if (analysis.growing.length) {
    add(body, 'h2', 'Growing containers');
    const list = add(body, 'ul');
    for (const g of analysis.growing) {
      const li = add(list, 'li');
      if (g.siblings) {
        add(li, 'code', g.siblings.pattern);
        li.append(` (${fmt.count(g.siblings.count)} × ${g.typeName}) ${fmt.count(g.siblings.lenBefore)} → ${fmt.count(g.siblings.lenAfter)} ${fmt.lengthUnit(g.typeName)} in all; the one that grew most: `);
      }
      add(li, 'code', g.path);
      li.append(` (${g.typeName}) ${fmt.count(g.lenBefore)} → ${fmt.count(g.lenAfter)} ${fmt.lengthUnit(g.typeName)}`);
    }
  }

  add(body, 'h2', `All types: ${analysis.before} → ${analysis.after}`);
  const table = add(body, 'table');
  const head = add(add(table, 'thead'), 'tr');
  for (const [label, cls] of [['type'], ['#new', 'num'], ['#deleted', 'num'], ['Δcount', 'num'], ['Δbytes', 'num'], ['bytes after', 'num']]) {
    add(head, 'th', label, cls);
  }
  const tbody = add(table, 'tbody');
  for (const r of rows.slice(0, MAX_ROWS)) {
    const tr = add(tbody, 'tr');
    add(tr, 'td', r.typeName, 'mono');
    add(tr, 'td', fmt.count(r.newCount), 'num');
    add(tr, 'td', fmt.count(r.deletedCount), 'num');
    add(tr, 'td', fmt.signedCount(r.countDelta), `num${r.countDelta > 0 ? ' grow' : ''}`);
    add(tr, 'td', fmt.signedBytes(r.bytesDelta), `num${r.bytesDelta > 0 ? ' grow' : ''}`);
    add(tr, 'td', fmt.bytes(r.bytesAfter), 'num');
  }
  if (rows.length > MAX_ROWS) add(body, 'p', `First ${fmt.count(MAX_ROWS)} of ${fmt.count(rows.length)} types.`, 'muted');
  // The head is written as text: a <style> node made here would fall under this page's CSP.
  const meta = '<meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">` +
    `${doc.head.querySelector('title').outerHTML}<style>${STYLE}</style>`;
  return `<!doctype html>\n<html><head>${meta}</head>${doc.body.outerHTML}</html>\n`;
}
