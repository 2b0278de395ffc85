// The page: takes snapshot files, hands their bytes to the analysis worker, shows suspects
// and the comparison. Every text from a snapshot is set with textContent, never parsed as HTML.
import { AnalyzerClient } from './analyzer-client.js';
import { renderComparison, setUpComparison, viewState } from './comparison-view.js';
import { setUpExport } from './export.js';
import { el } from './dom.js';
import * as fmt from './format.js';
import { renderGrowing, renderNewGroups } from './growth-view.js';
import { renderRaw } from './raw-view.js';
import { renderRetained, showRetainers } from './retained-view.js';
import { renderSuspects } from './suspects-view.js';
import { renderTrend } from './trend-chart.js';
import { readHash, writeHash } from './url-state.js';
import { createWorker, singleFile } from './worker-factory.js';

const analyzer = new AnalyzerClient(createWorker());
const files = []; // {key, name, state: 'loading' | 'ready' | 'error', info?, error?}
// A failed warm-up only means slower first results. The dominators' turn waits for the
// analysis' and is skipped when files are already coming. The page says when it is done
// (html[data-warmed-up]), for the benchmark.
analyzer.warmUp()
  .then(() => files.length || analyzer.warmUp(true))
  .catch(() => {})
  .finally(() => { document.documentElement.dataset.warmedUp = ''; });
let nextKey = 1;
let analysisToken = 0;
let lastAnalysis = null;
let comparedPair = null; // the baseline and current entries of the shown analysis
const fromUrl = readHash();
const loadedUrls = [];

// The compared pair, by file name; null means the oldest (baseline) or the newest (current).
const pair = { baseline: fromUrl.baseline, current: fromUrl.current };

function saveView() {
  writeHash({ ...viewState(), ...pair, files: readyFiles().map((f) => f.name), urls: loadedUrls });
}

const $ = (id) => document.getElementById(id);

// With cores to spare, gzip files inflate in short-lived decode workers, in parallel, then
// the analysis worker parses the text. A decode worker is stopped when done, which frees its
// memory. Each one costs a copy of the text out of its memory and into the analysis worker's,
// and on two cores it competes with the analysis worker: there, a pair of 1M-object files
// showed its first suspect about 0.2 s later with a decode worker than without (medians of
// alternating runs, bench/browser.mjs), so with two cores or fewer the analysis worker
// inflates every file itself.
const cores = navigator.hardwareConcurrency || 2;
const decodeSlots = cores > 2 ? Math.min(4, cores - 1) : 0;
let decodersBusy = 0;
const decodeQueue = [];
let analyzerLoads = 0; // files sent to the analysis worker and not yet parsed

// When files are about to come (a drag enters the page, the file button is pressed, URLs are
// being fetched), the workers get a head start: the analysis worker writes to the memory that
// two ~1M-object files need (about 140 MiB: their text fields and columns), so that they are
// not read into fresh pages (a fault per 4 KiB), and a decode worker (if any) starts and does
// the same. Two such files then show their first suspect in 0.70–0.82 s instead of 0.79–0.97 s
// (5 alternating runs). The analysis worker keeps that memory (a wasm memory never shrinks);
// an unused decode worker is stopped once the files are in, or the drag leaves the page.
const PREPARE_ANALYZER_BYTES = 140 * 2 ** 20;
const PREPARE_DECODER_BYTES = 100 * 2 ** 20;
let spareDecoder = null;
let readied = false; // the workers were readied for the files about to come

function prepareForFiles(bytes = PREPARE_ANALYZER_BYTES) {
  if (readied) return;
  readied = true;
  analyzer.prepare(bytes).catch(() => {});
  if (decodeSlots === 0) return;
  spareDecoder = new AnalyzerClient(createWorker());
  spareDecoder.prepare(PREPARE_DECODER_BYTES).catch(() => {});
}

function takeDecoder() {
  const decoder = spareDecoder ?? new AnalyzerClient(createWorker());
  spareDecoder = null;
  return decoder;
}

/** Stops the readied decode worker, unless a file still loading may need it. */
function stopSpareDecoder() {
  if (files.some((f) => f.state === 'loading')) return;
  spareDecoder?.terminate();
  spareDecoder = null;
  readied = false;
}

async function inflateInWorker(entry, buffer) {
  if (decodersBusy >= decodeSlots) await new Promise((resolve) => decodeQueue.push(resolve));
  decodersBusy += 1;
  const decoder = takeDecoder();
  entry.cancel = () => decoder.terminate('cancelled');
  try {
    return await decoder.inflate(entry.name, buffer, progressOf(entry, 'inflating', buffer.byteLength));
  } finally {
    decoder.terminate();
    entry.cancel = null;
    decodersBusy -= 1;
    decodeQueue.shift()?.();
  }
}

const isGzip = (buffer) => {
  const head = new Uint8Array(buffer, 0, Math.min(2, buffer.byteLength));
  return head[0] === 0x1f && head[1] === 0x8b;
};

/**
 * Enters `stage` of `bytes` bytes, `done` of them so far when that is known. A file's stages:
 * reading, inflating (in a decode worker), waiting (for the analysis worker), parsing.
 */
function setStage(entry, stage, bytes, done = null) {
  entry.stage = stage;
  entry.stageBytes = bytes;
  entry.stageDone = done;
  renderFiles();
}

/** A worker's progress callback for `entry` in `stage` (of `bytes` bytes), while it loads. */
const progressOf = (entry, stage, bytes) => (done) => {
  if (entry.state === 'loading' && !entry.cancelled) setStage(entry, stage, bytes, done);
};

async function loadFile(name, bufferPromise) {
  const entry = { key: nextKey++, name, state: 'loading', stage: 'reading' };
  files.push(entry);
  renderFiles();
  try {
    let buffer = await bufferPromise;
    if (entry.cancelled) return;
    // While the analysis worker is busy with another file, this one inflates alongside.
    if (isGzip(buffer) && analyzerLoads > 0 && decodeSlots > 0) {
      setStage(entry, 'inflating', buffer.byteLength, 0);
      buffer = (await inflateInWorker(entry, buffer)).buffer;
      if (entry.cancelled) return;
    }
    const size = buffer.byteLength;
    // A gzip file waits until the worker reports that its turn has come (the worker may be busy
    // with another file, or readying its memory); plain text says 'parsing' all along.
    const gzip = isGzip(buffer);
    setStage(entry, gzip ? 'waiting' : 'parsing', size, gzip ? 0 : null);
    analyzerLoads += 1;
    try {
      entry.info = await analyzer.load(entry.key, name, buffer, progressOf(entry, 'parsing', size));
    } finally {
      analyzerLoads -= 1;
    }
    if (entry.cancelled) {
      analyzer.remove(entry.key);
      return;
    }
    entry.state = 'ready';
  } catch (error) {
    if (entry.cancelled) return;
    entry.state = 'error';
    // Core errors start with the file name, which the list already shows.
    entry.error = error.message.startsWith(`${name}: `) ? error.message.slice(name.length + 2) : error.message;
  }
  renderFiles();
  stopSpareDecoder();
  await refreshAnalysis();
  showWorkerMemory();
}

async function showWorkerMemory() {
  const line = $('worker-memory');
  try {
    const bytes = await analyzer.memory();
    line.textContent = `The analysis worker holds ${fmt.bytes(bytes)} of memory for ${readyFiles().length} snapshot(s).`;
    line.dataset.bytes = String(bytes);
    line.hidden = !readyFiles().length;
  } catch {
    line.hidden = true;
  }
}

/** Stops loading `entry`, or forgets it once loaded; the analysis follows. */
function removeFile(entry) {
  entry.cancelled = true;
  entry.cancel?.();
  if (entry.state === 'ready') analyzer.remove(entry.key);
  files.splice(files.indexOf(entry), 1);
  stopSpareDecoder();
  renderFiles();
  refreshAnalysis();
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
  $('howto').hidden = files.length > 0; // the how-to belongs to the empty page
  for (const f of files) {
    const item = el('li', f.state);
    item.append(el('span', 'name', f.name));
    if (f.state === 'loading') {
      // The stage's share done when it is known; otherwise the bar only says it is busy.
      const bar = el('progress', 'stage');
      const known = f.stageDone != null && f.stageBytes > 0;
      if (known && f.stage !== 'waiting') bar.value = f.stageDone / f.stageBytes;
      bar.setAttribute('aria-label', `${f.name}: ${f.stage}`);
      let text;
      if (f.stage === 'waiting') text = `waiting for the worker (${fmt.bytes(f.stageBytes)})…`;
      else if (known) text = `${f.stage} ${fmt.bytes(f.stageDone)} of ${fmt.bytes(f.stageBytes)}…`;
      else text = `${f.stage}${f.stageBytes ? ` ${fmt.bytes(f.stageBytes)}` : ''}…`;
      item.append(bar, el('span', 'meta', text));
    }
    if (f.state === 'error') item.append(el('span', 'meta', f.error));
    if (f.state === 'ready') {
      const i = f.info;
      const parts = [`${fmt.count(i.objects)} objects`, fmt.bytes(i.bytes)];
      if (i.time) parts.push(fmt.captureTime(i.time));
      if (i.pid) parts.push(`pid ${i.pid}`);
      item.append(el('span', 'meta', parts.join(' · ')));
    }
    const remove = el('button', 'remove', '×');
    remove.title = f.state === 'loading' ? 'Cancel' : 'Remove';
    remove.setAttribute('aria-label', `${remove.title} ${f.name}`);
    remove.addEventListener('click', () => removeFile(f));
    item.append(remove);
    list.append(item);
  }
}

/** Resolves in a later task, after the browser has had the chance to render. */
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

async function refreshAnalysis() {
  const ready = readyFiles();
  const token = ++analysisToken;
  if (ready.length < 2) {
    $('pair-tools').hidden = true;
    $('raw').hidden = true;
    $('retained-section').hidden = true;
    $('comparison').hidden = true;
    $('comparison-tools').hidden = true;
    $('suspects-section').hidden = true;
    $('status').textContent = ready.length === 1 ? 'Add a second snapshot of the same process to compare.' : '';
    return;
  }
  $('status').textContent = 'Analyzing…';
  const baseline = ready.find((f) => f.name === pair.baseline) ?? ready[0];
  const current = ready.find((f) => f.name === pair.current) ?? ready.at(-1);
  renderPairTools(ready, baseline, current);
  try {
    const analysis = await analyzer.analyze(ready.map((f) => f.key), { baseline: baseline.key, current: current.key });
    if (token !== analysisToken) return;
    lastAnalysis = analysis;
    comparedPair = [baseline, current];
    $('raw').hidden = true;
    saveView();
    renderCoverage(analysis);
    renderSuspects($('suspects'), analysis, current.info.hasRefs ? showRetainers : null);
    renderTrend($('trend'), analysis);
    $('suspects-section').hidden = false;
    // The suspects show first; the rest is built in later tasks, so that no one task (the
    // script and the layout it causes) keeps the page from answering for long.
    await nextTask();
    if (token !== analysisToken) return;
    renderGrowing($('growing'), analysis);
    renderNewGroups($('new-groups'), analysis);
    await nextTask();
    if (token !== analysisToken) return;
    renderComparison(analysis);
    $('status').textContent = '';
    if (current.info.hasRefs) renderRetained($('retained-section'), analyzer, current.key, current.name);
    else $('retained-section').hidden = true;
  } catch (error) {
    $('status').textContent = `Analysis failed: ${error.message}`;
  }
}

function renderPairTools(ready, baseline, current) {
  for (const [select, chosen] of [[$('baseline-select'), baseline], [$('current-select'), current]]) {
    select.replaceChildren(...ready.map((f) => {
      const option = el('option', '', f.name);
      option.value = f.name;
      option.selected = f === chosen;
      return option;
    }));
  }
  $('pair-tools').hidden = false;
}

function setUpPairTools() {
  const changed = () => {
    const ready = readyFiles();
    const [b, c] = [$('baseline-select').value, $('current-select').value];
    // The defaults stay implicit, so a new, newer file becomes the current one.
    pair.baseline = b === ready[0]?.name ? null : b;
    pair.current = c === ready.at(-1)?.name ? null : c;
    refreshAnalysis();
  };
  $('baseline-select').addEventListener('change', changed);
  $('current-select').addEventListener('change', changed);
}

async function showRaw(typeName, all) {
  if (!comparedPair) return;
  const [a, b] = comparedPair;
  $('status').textContent = `Reading the raw lines of ${typeName}…`;
  try {
    const diff = await analyzer.raw(a.key, b.key, typeName, all);
    renderRaw($('raw'), diff, [a.name, b.name], all, (everyLine) => showRaw(typeName, everyLine));
    $('status').textContent = '';
  } catch (error) {
    $('status').textContent = `Raw view failed: ${error.message}`;
  }
}

function renderCoverage(analysis) {
  const last = analysis.snapshots.at(-1);
  const text = last.rssCoverage == null
    ? ''
    : `Python objects explain ${Math.round(last.rssCoverage * 100)}% of the process's RSS (${fmt.bytes(last.rss)}) in ${last.name}` +
      (last.rssCoverage < 0.5 ? ': the rest is native memory (C extensions, allocator), which a native-memory profiler sees.' : '.');
  const notes = analysis.snapshots.flatMap((snapshot) => snapshot.notes);
  $('coverage').textContent = [text, ...notes.map((n) => `Note: ${n}.`)].filter(Boolean).join(' ');
}

/**
 * About the memory the analysis worker takes for `fileList`: a gzip snapshot's text is about 7x
 * the file and half of it is kept, with the columns about 6x in all; plain text is kept whole,
 * with the columns about 1.4x.
 */
const memoryFor = (fileList) =>
  [...fileList].reduce((sum, f) => sum + f.size * (/\.gz$/i.test(f.name) ? 6.3 : 1.4), 0);

function loadFileList(fileList) {
  // Unless they were announced (a drag, the file button), the worker readies memory while
  // they are read: only what they need, so that small files do not wait for big ones' memory.
  prepareForFiles(Math.min(PREPARE_ANALYZER_BYTES, memoryFor(fileList)));
  for (const file of fileList) loadFile(file.name, file.arrayBuffer());
}

function setUpDrop() {
  let depth = 0;
  document.addEventListener('dragenter', (e) => {
    e.preventDefault();
    if (e.dataTransfer?.types?.includes('Files')) prepareForFiles();
    depth += 1;
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) {
      document.body.classList.remove('dragging');
      stopSpareDecoder();
    }
  });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    document.body.classList.remove('dragging');
    if (e.dataTransfer?.files?.length) loadFileList(e.dataTransfer.files);
  });
  // Pressing "choose files" (the label) opens the file dialog: files come next.
  $('file-input').closest('label').addEventListener('pointerdown', () => prepareForFiles());
  $('file-input').addEventListener('click', () => prepareForFiles());
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
  // The files are listed from a later task: changing the page inside the click's own task
  // would make the browser lay it out there too, for the pointer events that follow.
  button.addEventListener('click', async () => {
    await nextTask();
    for (const name of manifest.files) loadFile(name, fetchLater(`demo/${encodeURIComponent(name)}`, name));
  });
}

/**
 * The bytes at `url` (`what` names it in errors), fetched from a later task: the caller's
 * task only lists the files, and starting the requests waits for the next one.
 */
async function fetchLater(url, what) {
  await nextTask();
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${what}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

async function loadFromUrls(urls) {
  if (urls.length) prepareForFiles(); // while they download
  for (const url of urls) {
    loadedUrls.push(url);
    const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() || url);
    loadFile(name, fetchLater(url, url));
  }
}

setUpDrop();
setUpPairTools();
setUpComparison(fromUrl, saveView, (typeName) => showRaw(typeName, false));
if (fromUrl.files.length) {
  $('status').textContent = `This link shows ${fromUrl.files.join(', ')}: drop those files to see it.`;
}
if (!singleFile) loadFromUrls(fromUrl.urls);
setUpExport(() => lastAnalysis);
if (!singleFile) setUpDemo(); // the single-file build makes no request at all
