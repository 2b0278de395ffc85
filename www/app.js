// The page: takes snapshot files, hands their bytes to the analysis worker, shows the comparison.
// Every text that comes from a snapshot is set with textContent, never parsed as HTML.
import { AnalyzerClient } from './analyzer-client.js';
import * as fmt from './format.js';

const analyzer = new AnalyzerClient(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
const files = []; // {key, name, state: 'loading' | 'ready' | 'error', info?, error?}
let nextKey = 1;
let compareToken = 0;

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function loadFile(name, bufferPromise) {
  const entry = { key: `s${nextKey++}`, name, state: 'loading' };
  files.push(entry);
  renderFiles();
  try {
    const buffer = await bufferPromise;
    entry.info = await analyzer.load(entry.key, name, buffer);
    entry.state = 'ready';
  } catch (error) {
    entry.state = 'error';
    // Core errors start with the file name, which the list already shows.
    entry.error = error.message.startsWith(`${name}: `) ? error.message.slice(name.length + 2) : error.message;
  }
  renderFiles();
  await refreshComparison();
}

function readyFiles() {
  // Oldest first, by the capture time in the header; file name breaks ties.
  return files
    .filter((f) => f.state === 'ready')
    .sort((a, b) => (a.info.time ?? '').localeCompare(b.info.time ?? '') || a.name.localeCompare(b.name));
}

function renderFiles() {
  const list = $('file-list');
  list.replaceChildren();
  for (const f of files) {
    const item = el('li', f.state);
    item.append(el('span', 'name', f.name));
    if (f.state === 'loading') item.append(el('span', 'meta', 'reading…'));
    if (f.state === 'error') item.append(el('span', 'meta', f.error));
    if (f.state === 'ready') {
      const i = f.info;
      const parts = [`${fmt.count(i.objects)} objects`, fmt.bytes(i.bytes)];
      if (i.time) parts.push(i.time.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
      if (i.pid) parts.push(`pid ${i.pid}`);
      item.append(el('span', 'meta', parts.join(' · ')));
    }
    list.append(item);
  }
}

async function refreshComparison() {
  const ready = readyFiles();
  const token = ++compareToken;
  if (ready.length < 2) {
    $('comparison').hidden = true;
    $('status').textContent = ready.length === 1 ? 'Add a second snapshot of the same process to compare.' : '';
    return;
  }
  const before = ready[0];
  const after = ready[ready.length - 1];
  $('status').textContent = 'Comparing…';
  try {
    const comparison = await analyzer.compare(before.key, after.key);
    if (token !== compareToken) return;
    renderComparison(comparison);
    $('status').textContent = '';
  } catch (error) {
    $('status').textContent = `Comparison failed: ${error.message}`;
  }
}

function renderComparison(comparison) {
  $('comparison-caption').textContent = `${comparison.before} → ${comparison.after}, by byte growth`;
  const body = $('comparison-body');
  const rows = comparison.rows.filter((r) => r.newCount || r.deletedCount).slice(0, 500);
  body.replaceChildren(
    ...rows.map((r) => {
      const tr = el('tr');
      tr.append(
        el('td', 'type', r.typeName),
        el('td', 'num', fmt.count(r.newCount)),
        el('td', 'num', fmt.count(r.deletedCount)),
        el('td', `num ${tone(r.countDelta)}`, fmt.signedCount(r.countDelta)),
        el('td', `num ${tone(r.bytesDelta)}`, fmt.signedBytes(r.bytesDelta)),
        el('td', 'num', fmt.bytes(r.bytesAfter)),
      );
      return tr;
    }),
  );
  $('comparison').hidden = false;
}

function tone(delta) {
  return delta > 0 ? 'grow' : delta < 0 ? 'shrink' : '';
}

function loadFileList(fileList) {
  for (const file of fileList) loadFile(file.name, file.arrayBuffer());
}

function setUpDrop() {
  let depth = 0;
  document.addEventListener('dragenter', (e) => {
    e.preventDefault();
    depth += 1;
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) document.body.classList.remove('dragging');
  });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    document.body.classList.remove('dragging');
    if (e.dataTransfer?.files?.length) loadFileList(e.dataTransfer.files);
  });
  $('file-input').addEventListener('change', (e) => {
    loadFileList(e.target.files);
    e.target.value = '';
  });
}

async function setUpDemo() {
  // `make demo` writes demo/manifest.json next to the page; a static deploy has none.
  let manifest;
  try {
    const response = await fetch('demo/manifest.json');
    if (!response.ok) return;
    manifest = await response.json();
  } catch {
    return;
  }
  const button = $('demo-button');
  button.hidden = false;
  button.addEventListener('click', () => {
    for (const name of manifest.files) {
      loadFile(name, fetch(`demo/${encodeURIComponent(name)}`).then((r) => {
        if (!r.ok) throw new Error(`cannot fetch ${name}: HTTP ${r.status}`);
        return r.arrayBuffer();
      }));
    }
  });
}

setUpDrop();
setUpDemo();
