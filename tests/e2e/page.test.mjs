// End-to-end tests of the page in headless Chromium, on the demo snapshots from a real leaking process.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serve } from '../../tools/serve.mjs';
import { dropFiles, launch, watchErrors } from './browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const demo = join(root, 'www', 'demo');
const shots = join(root, 'tests', 'e2e', 'screenshots');
const manifest = JSON.parse(readFileSync(join(demo, 'manifest.json'), 'utf8'));
const demoFiles = manifest.files.map((name) => join(demo, name));

let server;
let browser;
let url;

before(async () => {
  server = await serve(join(root, 'www'), 0);
  url = `http://127.0.0.1:${server.address().port}/`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
  const outside = browser.requests.filter((u) => !u.startsWith(url) && !u.startsWith('data:'));
  assert.deepEqual(outside, [], 'no request may leave 127.0.0.1');
});

/** A fresh page; with `cores`, the page sees that many (decode workers depend on it). */
async function openPage({ cores } = {}) {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  if (cores) await page.addInitScript((n) => Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => n }), cores);
  await page.goto(url);
  return { page, errors };
}

/** A fresh page given the oldest and the newest demo snapshot through the file input. */
async function openWithOldestAndNewest() {
  const opened = await openPage();
  await opened.page.setInputFiles('#file-input', [demoFiles[0], demoFiles.at(-1)]);
  return opened;
}

/**
 * Opens a type's new-object groups in the comparison table. The table is virtualized and
 * re-renders its rows (on scroll, when a row is measured), so a click can land while a row is
 * replaced: the click is repeated until the row says it is open, never once it does.
 */
async function openGroups(page, typeName) {
  const button = page.locator('#comparison-body tr[data-key] button.expand', { hasText: new RegExp(`^[▸▾] ${typeName}$`) });
  for (let attempt = 1; ; attempt++) {
    if (await button.getAttribute('aria-expanded') !== 'true') await button.click();
    try {
      await page.waitForSelector('#comparison-body .groups-row', { timeout: 5000 });
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

async function topRowType(page) {
  await page.waitForSelector('#comparison:not([hidden]) #comparison-body tr[data-key]', { timeout: 20000 });
  const text = await page.locator('#comparison-body tr[data-key]').first().locator('td').first().textContent();
  return text.replace(/^[▸▾] /, ''); // expandable rows start with a disclosure mark
}

test('file input: the leaking dict type is the top row of the comparison', async () => {
  const { page, errors } = await openWithOldestAndNewest();
  assert.equal(await topRowType(page), 'dict');
  const caption = await page.textContent('#comparison-caption');
  assert.match(caption, /leaky-1\.hsnap\.gz → leaky-3\.hsnap\.gz/);
  await page.screenshot({ path: join(shots, 'comparison.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the empty page says how to capture, and offers the capture script for download', async () => {
  const { page, errors } = await openPage();
  const howto = page.locator('#howto');
  assert.equal(await howto.isVisible(), true);
  assert.deepEqual(await howto.locator('h3').allTextContents(), [
    'In the process you want to look into',
    'A process that is already running (Linux; gdb or lldb before Python 3.14)',
    'A service started under heapsnap: a snapshot every 5 minutes, and on SIGUSR2',
  ]);
  assert.match(await howto.textContent(), /heapsnap\.capture\("\/tmp\/app-1\.hsnap\.gz"\)[\s\S]*heapsnap\.py attach 4242[\s\S]*heapsnap\.py run --every 5m/);
  await page.screenshot({ path: join(shots, 'empty.png') });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#capture-script')]);
  assert.equal(download.suggestedFilename(), 'heapsnap.py');
  assert.equal(readFileSync(await download.path(), 'utf8'), readFileSync(join(root, 'capture-script', 'heapsnap.py'), 'utf8'));
  await page.setInputFiles('#file-input', [demoFiles[0], demoFiles.at(-1)]);
  await page.locator('#suspects .suspect').first().waitFor({ timeout: 20000 });
  assert.equal(await howto.isHidden(), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('demo button loads the demo snapshots; the first suspect names the leaking dict', async () => {
  const { page, errors } = await openPage();
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => e.duration)))
      .observe({ type: 'longtask' });
  });
  await page.click('#demo-button');
  assert.equal(await topRowType(page), 'dict');
  const longTasks = await page.evaluate(() => window.__longTasks);
  console.log(`main-thread long tasks while loading the demo: ${JSON.stringify(longTasks.map(Math.round))} ms`);
  assert.ok(longTasks.every((d) => d <= 100), `no main-thread task over 100 ms: ${longTasks}`);
  const first = page.locator('#suspects .suspect').first();
  assert.equal(await first.locator('.path').textContent(), '__main__._RECORD_CACHE');
  assert.match(await first.locator('.sentence').textContent(),
    /grew 2,000 → 6,000 entries .* over 3 snapshots; new entries look like \{id, user, path, status, ts, ok, bytes\} \(dict\); created at leaky_service\.py:\d+/);
  assert.equal(await page.locator('#trend svg polyline').count(), 1);
  assert.equal(await page.locator('#trend svg circle.point').count(), 3);
  assert.match(await page.locator('#trend svg circle.point').nth(2).locator('title').textContent(),
    /__main__\._RECORD_CACHE: \+1\.5 MiB at snapshot #3/);
  const ticks = await page.locator('#trend svg text.tick:not(.time)').allTextContents();
  assert.deepEqual(ticks.filter((t) => !t.startsWith('#')), ['0 B', '+0.5 MiB', '+1 MiB', '+1.5 MiB']);
  assert.equal(await page.locator('#trend svg text.time').count(), 3);
  // The readout: every value at the snapshot under the pointer, and with the arrow keys.
  await page.locator('#trend svg.trend-chart').scrollIntoViewIfNeeded();
  const middle = await page.locator('#trend svg circle.point').nth(1).boundingBox();
  await page.mouse.move(middle.x + middle.width / 2, middle.y - 40);
  const readout = page.locator('#trend svg g.readout');
  assert.equal(await readout.getAttribute('visibility'), 'visible');
  assert.match(await readout.textContent(), /^#2 leaky-2\.hsnap\.gz · \d\d:\d\d:\d\d\+\d+(\.\d)? KiB  __main__\._RECORD_CACHE$/);
  await page.locator('#trend').screenshot({ path: join(shots, 'trend.png') });
  await page.mouse.move(0, 0);
  assert.equal(await readout.getAttribute('visibility'), 'hidden');
  await page.locator('#trend svg.trend-chart').focus();
  await page.keyboard.press('Home');
  assert.match(await readout.textContent(), /^#1 leaky-1\.hsnap\.gz .*0 B  __main__\._RECORD_CACHE$/);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.match(await readout.textContent(), /^#3 .*\+1\.5 MiB  __main__/);
  assert.match(await page.locator('#trend p.sr-only[aria-live]').textContent(),
    /^Snapshot #3 leaky-3\.hsnap\.gz · \d\d:\d\d:\d\d: __main__\._RECORD_CACHE \+1\.5 MiB$/);
  await page.keyboard.press('Escape');
  assert.equal(await readout.getAttribute('visibility'), 'hidden');
  const growing = page.locator('#growing .growing').first();
  assert.equal(await growing.locator('.path').textContent(), '__main__._RECORD_CACHE');
  assert.match(await page.textContent('#new-groups'), /4,000.*dict.*\{id, user, path, status, ts, ok, bytes\}/s);
  await page.screenshot({ path: join(shots, 'suspects.png'), fullPage: true });
  await growing.locator('summary').click();
  await growing.locator('.item.added').first().waitFor();
  await growing.screenshot({ path: join(shots, 'growing.png') });
  await page.waitForFunction((n) => document.querySelectorAll('#file-list li.ready').length === n, demoFiles.length);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the type table sorts, filters and exports what it shows', async () => {
  const { page, errors } = await openWithOldestAndNewest();
  assert.equal(await topRowType(page), 'dict');
  await openGroups(page, 'dict');
  assert.match(await page.textContent('#comparison-body .groups-row'), /4,000 ×\s*\{id, user, path, status, ts, ok, bytes\}/);
  await page.locator('#comparison').screenshot({ path: join(shots, 'types-expanded.png') });
  await page.click('#comparison-head button:has-text("#new")');
  assert.equal(await page.getAttribute('#comparison-head th:nth-child(2)', 'aria-sort'), 'descending');
  assert.equal(await topRowType(page), 'int', 'most new objects');
  await page.keyboard.press('/');
  await page.keyboard.type('STR');
  const types = await page.locator('#comparison-body td.type').allTextContents();
  assert.ok(types.length >= 1 && types.every((t) => t.toLowerCase().includes('str')), types.join());
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'typeName,newCount,deletedCount,countDelta,newBytes,freedBytes,bytesDelta,bytesAfter');
  assert.equal(csv.length, types.length + 1);
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const exported = JSON.parse(readFileSync(await json.path(), 'utf8'));
  const dict = exported.types.find((t) => t.typeName === 'dict');
  assert.deepEqual(Object.keys(dict).filter((k) => k !== 'retainedAfter'), ['typeName', 'newCount', 'deletedCount', 'countDelta', 'newBytes', 'freedBytes',
    'bytesDelta', 'bytesAfter', 'counts', 'bytes']);
  assert.ok(dict.counts.length >= 2 && dict.bytes.length === dict.counts.length, 'a count and bytes per snapshot');
  assert.ok(dict.newCount >= 4000 && dict.bytes.every((b) => b > 0), JSON.stringify(dict));
  const [report] = await Promise.all([page.waitForEvent('download'), page.click('#export-report')]);
  const html = readFileSync(await report.path(), 'utf8');
  assert.match(html, /heapsnap report: leaky-1\.hsnap\.gz → leaky-3\.hsnap\.gz/);
  assert.match(html, /__main__\._RECORD_CACHE \(dict\) grew/, 'the suspect sentence');
  assert.match(html, /types filtered by “str”/i);
  assert.doesNotMatch(html, /<script/i, 'no script in the report');
  const reportPage = await browser.context.newPage();
  await reportPage.setContent(html);
  assert.equal(await reportPage.locator('svg.trend-chart polyline').count(), 1, 'the trend chart');
  assert.equal(await reportPage.locator('svg.trend-chart [tabindex], svg.trend-chart .readout').count(), 0, 'a still chart');
  assert.deepEqual(await reportPage.locator('.legend code').allTextContents(), ['__main__._RECORD_CACHE']);
  await reportPage.screenshot({ path: join(shots, 'report.png'), fullPage: true });
  await reportPage.close();
  assert.deepEqual(errors, []);
  await page.close();
});

test('the URL hash keeps the view, and #a=URL&b=URL loads snapshots', async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${url}#files=leaky-1.hsnap.gz,leaky-3.hsnap.gz&q=int&sort=newCount`);
  assert.match(await page.textContent('#status'), /drop those files/);
  await page.setInputFiles('#file-input', [demoFiles[0], demoFiles.at(-1)]);
  assert.equal(await topRowType(page), 'int');
  assert.equal(await page.inputValue('#type-filter'), 'int');
  assert.match(await page.evaluate(() => location.hash), /q=int/);

  await page.goto(`${url}#a=${url}demo/leaky-1.hsnap.gz&b=${url}demo/leaky-3.hsnap.gz`);
  await page.reload();
  const path = page.locator('#suspects .suspect .path').first();
  await path.waitFor();
  assert.equal(await path.textContent(), '__main__._RECORD_CACHE');
  assert.match(await page.evaluate(() => location.hash), /^#a=http/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('snapshots of two processes are compared by holder path, and the page says so', async () => {
  const { page, errors } = await openPage();
  // The newest demo snapshot as if another process (a restarted service) had written it.
  const text = gunzipSync(readFileSync(demoFiles.at(-1))).toString('utf8');
  const restarted = gzipSync(Buffer.from(text.replace(/^#pid\t\d+$/m, '#pid\t1'), 'utf8'));
  await dropFiles(page, [
    { name: manifest.files[0], bytes: readFileSync(demoFiles[0]) },
    { name: 'restarted.hsnap.gz', bytes: restarted },
  ]);
  const path = page.locator('#suspects .suspect .path').first();
  await path.waitFor();
  assert.equal(await path.textContent(), '__main__._RECORD_CACHE');
  assert.match(await page.textContent('#coverage'), /restarted\.hsnap\.gz comes from another process .*matched by holder path/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a file that is not a snapshot shows an error naming file and line; the others stay loaded', async () => {
  const { page, errors } = await openPage();
  const good = (i) => ({ name: manifest.files[i], bytes: readFileSync(demoFiles[i]) });
  await dropFiles(page, [good(0), { name: 'notes.txt', bytes: Buffer.from('hello\nworld\n') }, good(2)]);
  await page.waitForSelector('#file-list li.error');
  const message = await page.textContent('#file-list li.error');
  assert.match(message, /notes\.txt/);
  assert.match(message, /line 1/);
  assert.equal(await topRowType(page), 'dict');
  assert.equal(await page.locator('#file-list li.ready').count(), 2);

  const broken = readFileSync(demoFiles[1]).subarray(0, 2000);
  await dropFiles(page, [{ name: 'cut.hsnap.gz', bytes: broken }]);
  await page.waitForFunction(() => document.querySelectorAll('#file-list li.error').length === 2);
  assert.match(await page.locator('#file-list li.error').nth(1).textContent(), /cut\.hsnap\.gz.*gzip/);
  await page.screenshot({ path: join(shots, 'errors.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('files show their stage while loading; one can be cancelled, a loaded one removed', async () => {
  const { page, errors } = await openPage({ cores: 4 });
  const good = (i) => ({ name: manifest.files[i], bytes: readFileSync(demoFiles[i]) });
  // Three gzip files at once: the first parses in the analysis worker, the others inflate in
  // decode workers meanwhile (four cores); a damaged one fails there with a message naming it.
  const broken = { name: 'cut.hsnap.gz', bytes: readFileSync(demoFiles[1]).subarray(0, 2000) };
  const seen = page.evaluate(() => new Promise((resolve) => {
    const texts = new Set();
    new MutationObserver(() => {
      for (const meta of document.querySelectorAll('#file-list li.loading .meta')) texts.add(meta.textContent);
      if (document.querySelectorAll('#file-list li.ready').length === 3) resolve([...texts]);
    }).observe(document.getElementById('file-list'), { childList: true, subtree: true });
  }));
  await dropFiles(page, [good(0), good(1), broken, good(2)]);
  const stages = await page.locator('#file-list progress.stage').count();
  assert.ok(stages >= 1, 'a loading file shows a progress bar');
  await page.waitForFunction(() => document.querySelectorAll('#file-list li.ready').length === 3, null, { timeout: 20000 });
  assert.match(await page.locator('#file-list li.error').textContent(), /cut\.hsnap\.gz.*gzip/);
  // A decode worker says how far it has read too.
  const texts = await seen;
  assert.ok(texts.some((t) => /^inflating [\d.]+ (KiB|MiB) of [\d.]+ MiB…$/.test(t)), JSON.stringify(texts));
  assert.equal(await topRowType(page), 'dict');

  await page.getByRole('button', { name: `Remove ${manifest.files[1]}` }).click();
  await page.getByRole('button', { name: 'Remove cut.hsnap.gz' }).click();
  assert.equal(await page.locator('#file-list li').count(), 2);
  await page.waitForFunction(() => /leaky-1\.hsnap\.gz → leaky-3\.hsnap\.gz/.test(document.getElementById('comparison-caption').textContent));

  // Cancel while loading: the file goes, nothing is left behind, the rest still compares.
  // (Dropped and cancelled in one task, before the small file can finish.)
  const cancelled = await page.evaluate(({ name, data }) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name));
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    const button = document.querySelector(`#file-list button[aria-label="Cancel ${name}"]`);
    button?.click();
    return Boolean(button);
  }, { name: manifest.files[1], data: good(1).bytes.toString('base64') });
  assert.ok(cancelled, 'a file being read has a Cancel button');
  assert.equal(await page.locator('#file-list li').count(), 2);
  await page.waitForTimeout(300);
  assert.equal(await page.locator('#file-list li').count(), 2);
  await page.getByRole('button', { name: `Remove ${manifest.files[2]}` }).click();
  await page.waitForFunction(() => document.getElementById('comparison').hidden);
  assert.match(await page.textContent('#status'), /Add a second snapshot/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a gzip file being parsed shows how many of its bytes have been read', async () => {
  const { page, errors } = await openPage();
  const seen = page.evaluate(() => new Promise((resolve) => {
    const states = [];
    new MutationObserver(() => {
      for (const item of document.querySelectorAll('#file-list li.loading')) {
        const bar = item.querySelector('progress.stage');
        states.push([item.querySelector('.meta').textContent, bar.hasAttribute('value') ? bar.value : null]);
      }
      if (document.querySelectorAll('#file-list li.ready').length === 2) resolve(states);
    }).observe(document.getElementById('file-list'), { childList: true, subtree: true });
  }));
  await page.setInputFiles('#file-input', [demoFiles[0], demoFiles.at(-1)]);
  const states = await seen;
  const counted = states.filter(([text]) => /^parsing [\d.]+ (B|KiB|MiB) of [\d.]+ MiB…$/.test(text));
  assert.ok(counted.some(([text]) => !text.startsWith('parsing 0 B')), JSON.stringify(states));
  assert.ok(counted.every(([, value]) => value !== null && value >= 0 && value <= 1), JSON.stringify(states));
  assert.ok(counted.some(([, value]) => value > 0 && value < 1), 'the bar moves: ' + JSON.stringify(states));
  assert.deepEqual(errors, []);
  await page.close();
});

test('files about to come ready the workers; no worker is left over once they are in', async () => {
  const { page, errors } = await openPage({ cores: 4 });
  const workers = async (n) => {
    for (let i = 0; i < 100 && page.workers().length !== n; i++) await page.waitForTimeout(100);
    return page.workers().length;
  };
  const dragFilesIn = () => page.evaluate(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['x'], 'x.hsnap'));
    document.body.dispatchEvent(new DragEvent('dragenter', { dataTransfer: transfer, bubbles: true }));
  });
  assert.equal(await workers(1), 1, 'the analysis worker');
  // A drag of files entering the page: a decode worker starts and the analysis worker writes
  // to the memory the files will need.
  await dragFilesIn();
  assert.equal(await workers(2), 2, 'and a decode worker, ready');
  // A drag that leaves the page stops it; one that comes back starts another.
  await page.evaluate(() => document.body.dispatchEvent(new DragEvent('dragleave', { bubbles: true })));
  assert.equal(await workers(1), 1, 'the drag left: no decode worker');
  await dragFilesIn();
  assert.equal(await workers(2), 2, 'the drag is back');
  await dropFiles(page, demoFiles.map((f, i) => ({ name: manifest.files[i], bytes: readFileSync(f) })));
  await page.waitForSelector('#worker-memory:not([hidden])', { timeout: 20000 });
  assert.ok(Number(await page.getAttribute('#worker-memory', 'data-bytes')) >= 140 * 2 ** 20, 'memory readied');
  assert.equal(await topRowType(page), 'dict');
  // Decode workers stop when done; so does a readied one that no file needed.
  await page.waitForFunction(() => document.querySelectorAll('#file-list li.ready').length === 3);
  assert.equal(await workers(1), 1, 'only the analysis worker is left');
  assert.deepEqual(errors, []);
  await page.close();
});

test('with two cores, the analysis worker reads every file itself: no decode worker starts', async () => {
  const { page, errors } = await openPage({ cores: 2 });
  const good = (i) => ({ name: manifest.files[i], bytes: readFileSync(demoFiles[i]) });
  let most = 0;
  const count = setInterval(() => { most = Math.max(most, page.workers().length); }, 5);
  const broken = { name: 'cut.hsnap.gz', bytes: readFileSync(demoFiles[1]).subarray(0, 2000) };
  await dropFiles(page, [good(0), broken, good(1), good(2)]);
  await page.waitForFunction(() => document.querySelectorAll('#file-list li.ready').length === 3, null, { timeout: 20000 });
  clearInterval(count);
  assert.equal(most, 1, 'only the analysis worker, all along');
  assert.match(await page.locator('#file-list li.error').textContent(), /cut\.hsnap\.gz.*gzip/);
  assert.equal(await topRowType(page), 'dict');
  assert.deepEqual(errors, []);
  await page.close();
});

test('baseline and current are selectable; the view and the link follow', async () => {
  const { page, errors } = await openPage();
  await page.setInputFiles('#file-input', demoFiles);
  await page.waitForFunction(() => /leaky-1\.hsnap\.gz → leaky-3\.hsnap\.gz/.test(document.getElementById('comparison-caption').textContent));
  assert.deepEqual(await page.locator('#baseline-select option').allTextContents(), manifest.files);
  await page.selectOption('#baseline-select', manifest.files[1]);
  await page.waitForFunction(() => /leaky-2\.hsnap\.gz → leaky-3\.hsnap\.gz/.test(document.getElementById('comparison-caption').textContent));
  assert.match(await page.evaluate(() => location.hash), /base=leaky-2\.hsnap\.gz/);
  assert.equal(await topRowType(page), 'dict');
  // The trend still spans all three snapshots.
  assert.deepEqual(await page.locator('#trend svg text.tick title').allTextContents().then((t) => t.map((s) => s.split(' — ')[0])),
    manifest.files);
  await page.screenshot({ path: join(shots, 'pair.png'), fullPage: false });

  // A link with the pair reproduces it once the same files are loaded.
  const link = await page.evaluate(() => location.hash);
  const again = await browser.context.newPage();
  await again.goto(url + link);
  await again.setInputFiles('#file-input', demoFiles);
  await again.waitForFunction(() => /leaky-2\.hsnap\.gz → leaky-3\.hsnap\.gz/.test(document.getElementById('comparison-caption').textContent));
  assert.equal(await again.locator('#baseline-select').inputValue(), manifest.files[1]);
  await again.close();
  assert.deepEqual(errors, []);
  await page.close();
});

/** Two snapshots with `n` types: one object each before, two after (so every type grew). */
function manyTypes(n) {
  const head = '#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\n';
  const name = (i) => `m.T${String(i).padStart(6, '0')}`;
  const before = [];
  const after = [];
  for (let i = 0; i < n; i++) {
    const id = (0x100000 + i * 2).toString(16);
    before.push(`${name(i)}\t${name(i)}(x=1)\t${48 + (i % 7) * 8}\t-\t${id}\t-\t-`);
    after.push(`${name(i)}\t${name(i)}(x=1)\t${48 + (i % 7) * 8}\t-\t${id}\t-\t-`);
    after.push(`${name(i)}\t${name(i)}(x=2)\t56\t-\t${(0x100001 + i * 2).toString(16)}\t-\t-`);
  }
  const file = (lines, t) => Buffer.from(`${head}#time\t${t}\n${lines.join('\n')}\n#end\t${lines.length}\n`);
  return [{ name: 'many-1.hsnap', bytes: file(before, '2026-01-01T00:00:00Z') },
    { name: 'many-2.hsnap', bytes: file(after, '2026-01-01T00:01:00Z') }];
}

/** A fresh page given `files` by drag and drop, once its first suspect is shown. */
async function firstSuspectOf(files) {
  const opened = await openPage();
  await dropFiles(opened.page, files);
  const first = opened.page.locator('#suspects .suspect').first();
  await first.waitFor({ timeout: 20000 });
  return { ...opened, first };
}

/** A snapshot file of `lines` (type, repr, size, len, id, parent, edge), sorted, captured at minute `t`. */
function pathSnapshot(name, t, lines) {
  const head = '#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\n';
  const sorted = [...lines].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const text = `${head}#time\t2026-01-01T00:0${t}:00Z\n${sorted.join('\n')}\n#end\t${sorted.length}\n`;
  return { name, bytes: Buffer.from(text) };
}

/** Snapshot `t` of a module whose `VISITS` dict holds an events list per visitor; each gains one event per interval. */
function visits(t, visitors = 30) {
  const lines = ["module\t<module 'm'>\t72\t-\t10\t-\tm", 'dict\t{…}\t64\t1\t11\t10\t.__dict__',
    `dict\t{…}\t64\t${visitors}\t12\t11\t['VISITS']`];
  for (let v = 0; v < visitors; v++) {
    const list = (0x100000 + v).toString(16);
    lines.push(`list\t[…]\t64\t${t + 2}\t${list}\t12\t['visitor-${v}']`);
    for (let e = 0; e < t + 2; e++) {
      lines.push(`tuple\t('click', ${e})\t100\t2\t${(0x10000000 + v * 4096 + e).toString(16)}\t${list}\t[${e}]`);
    }
  }
  return pathSnapshot(`visits-${t + 1}.hsnap`, t, lines);
}

test('growth spread over many sibling lists is one suspect, named by its path pattern', async () => {
  const { page, errors, first } = await firstSuspectOf([visits(0), visits(1), visits(2)]);
  assert.equal(await page.locator('#suspects .suspect').count(), 1);
  assert.equal(await first.locator('code.path').textContent(), "m.VISITS[*]");
  assert.equal(await first.locator('.type').textContent(), ' (30 × list)');
  assert.match(await first.locator('.sentence').textContent(), /grew 60 → 120 entries in all \(\+5\.9 KiB\)/);
  assert.match(await first.locator('.detail').textContent(), /total length per snapshot60 → 90 → 120/);
  const growing = page.locator('#growing details.growing').first();
  assert.equal(await growing.locator('summary code.path').textContent(), 'm.VISITS[*]');
  assert.match(await growing.locator('summary').textContent(), /\(30 × list\) 60 → 120 entries in all/);
  await growing.locator('summary').click();
  assert.match(await growing.textContent(), /the one that grew most\s*m\.VISITS\['visitor-\d+'\] 2 → 4 entries/);
  await growing.screenshot({ path: join(shots, 'growing-siblings.png') });
  await page.screenshot({ path: join(shots, 'siblings.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

/** Snapshot `t` of a module whose `journal` instance's `text` is a new, longer str each time. */
function journal(t) {
  const n = 4000 * (t + 1);
  const lines = ["module\t<module 'm'>\t72\t-\t10\t-\tm", 'dict\t{…}\t64\t1\t11\t10\t.__dict__',
    "m.Journal\tJournal(…)\t48\t-\t12\t11\t['journal']", 'dict\t{…}\t100\t1\t13\t12\t.__dict__',
    `str\t'line 1\\nline 2\\n'…\t${49 + n}\t${n}\t${(0x1000 + t).toString(16)}\t13\t['text']`];
  return pathSnapshot(`journal-${t + 1}.hsnap`, t, lines);
}

test('a str rebuilt longer is named by its attribute, not by the dict that holds it', async () => {
  const { page, errors, first } = await firstSuspectOf([journal(0), journal(1), journal(2)]);
  assert.equal(await first.locator('code.path').textContent(), 'm.journal.text');
  assert.match(await first.locator('.sentence').textContent(),
    /grew 4,000 → 12,000 characters \(\+7\.8 KiB\) over 3 snapshots, replaced by a larger str/);
  assert.match(await first.locator('.detail').textContent(), /replacedits holder grew with no more entries/);
  await first.screenshot({ path: join(shots, 'replaced.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('100,000 types: the table is virtualized, shows the rows wherever it scrolls, and arrows move between rows', async () => {
  const { page, errors } = await openPage();
  // Long tasks after the drop event: the harness's own task (building the files) ends with it.
  await page.evaluate(() => {
    window.__loadTasks = [];
    new PerformanceObserver((list) => window.__loadTasks.push(...list.getEntries())).observe({ type: 'longtask' });
    document.addEventListener('drop', () => { window.__dropAt = performance.now(); }, { capture: true });
  });
  await dropFiles(page, manyTypes(100000));
  await page.waitForFunction(() => document.getElementById('comparison-count').textContent === '100,000 types', null, { timeout: 60000 });
  const loadTasks = await page.evaluate(() => window.__loadTasks.filter((e) => e.startTime > window.__dropAt).map((e) => Math.round(e.duration)));
  console.log('main-thread long tasks while loading 100k types:', loadTasks, 'ms');
  const inDom = await page.locator('#comparison-body tr[data-key]').count();
  assert.ok(inDom > 10 && inDom < 300, `only the rows near the viewport are rendered (${inDom})`);
  assert.equal(await page.getAttribute('#comparison', 'aria-rowcount'), '100001');

  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => e.duration)))
      .observe({ type: 'longtask' });
  });
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  for (let y = 0; y < height; y += Math.ceil(height / 40)) {
    await page.evaluate((top) => window.scrollTo(0, top), y);
    await page.waitForTimeout(16);
    // After each jump the rows on screen get rendered, and only a few around them.
    await page.waitForFunction(() => {
      const middle = innerHeight / 2;
      const body = document.getElementById('comparison-body').getBoundingClientRect();
      return body.top > middle || body.bottom < middle
        || [...document.querySelectorAll('#comparison-body tr[data-key]')].some((r) => {
          const box = r.getBoundingClientRect();
          return box.top <= middle && box.bottom >= middle;
        });
    }, null, { timeout: 10000 }).catch(() => assert.fail(`no rendered row at the middle of the screen at ${y}px`));
    const rows = await page.locator('#comparison-body tr[data-key]').count();
    assert.ok(rows > 0 && rows < 300, `rows in the DOM at ${y}px: ${rows}`);
  }
  // Smoothness is reported, not asserted: a loaded CI machine makes any threshold flaky.
  const longTasks = await page.evaluate(() => window.__longTasks);
  console.log('long tasks while scrolling 100k rows:', longTasks.map(Math.round), 'ms');

  // Keyboard: / focuses the filter, ArrowDown enters the table, arrows move, End jumps.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.keyboard.press('/');
  await page.keyboard.press('ArrowDown');
  const focusedKey = () => page.evaluate(() => document.activeElement?.dataset?.key ?? null);
  const first = await focusedKey();
  await page.keyboard.press('ArrowDown');
  const second = await focusedKey();
  assert.ok(first && second && first !== second, `${first} then ${second}`);
  await page.keyboard.press('End');
  const last = await focusedKey();
  const rows = await page.evaluate(() => Number(document.getElementById('comparison').getAttribute('aria-rowcount')));
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-rowindex')), String(rows));
  assert.ok(last !== second);
  const box = await page.evaluate(() => { const r = document.activeElement.getBoundingClientRect(); return [r.top, r.bottom, innerHeight]; });
  assert.ok(box[0] >= 0 && box[1] <= box[2], `the focused last row is in view: ${box}`);
  await page.keyboard.press('Home');
  assert.equal(await focusedKey(), first);
  await page.screenshot({ path: join(shots, 'many-types.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('Enter on a focused type row opens its new-object groups', async () => {
  const { page, errors } = await openWithOldestAndNewest();
  assert.equal(await topRowType(page), 'dict');
  await page.locator('#comparison-body tr[data-key]').first().focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('#comparison-body tr.groups-row');
  assert.match(await page.textContent('#comparison-body tr.groups-row'), /×/);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !document.querySelector('#comparison-body tr.groups-row'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('raw view: a type\'s sorted lines side by side, changed regions only, virtualized', async () => {
  const { page, errors } = await openWithOldestAndNewest();
  assert.equal(await topRowType(page), 'dict');
  await openGroups(page, 'dict');
  await page.click('#comparison-body .groups-row button.raw-open');
  await page.waitForSelector('#raw:not([hidden]) .raw-row.changed');
  assert.match(await page.textContent('#raw .raw-head'), /Raw lines of dict/);
  // Lines are the snapshot's own (tab-separated, escaped), only in the later file on the right.
  const added = await page.locator('#raw .raw-row.changed .right.added').allTextContents();
  assert.ok(added.length && added.every((line) => line.startsWith('dict\t')));
  assert.ok(added.some((line) => /^dict\t\{'id': \d+, 'user'/.test(line)), 'the leaking records are among the added lines');
  assert.ok(await page.locator('#raw .raw-row.skipped').count() > 0, 'unchanged stretches are folded');
  const rendered = await page.locator('#raw .raw-row.changed, #raw .raw-row.same').count();
  assert.ok(rendered < 200, `virtualized: ${rendered} rows in the DOM`);
  await page.locator('#raw .raw-scroll').evaluate((s) => { s.scrollTop = s.scrollHeight; });
  await page.waitForTimeout(100);
  assert.ok(await page.locator('#raw .raw-row').count() > 0);
  await page.locator('#raw .raw-scroll').evaluate((s) => { s.scrollTop = 0; });
  await page.screenshot({ path: join(shots, 'raw.png') });
  // Every line: no folding left.
  await page.uncheck('#raw .raw-toggle input');
  await page.waitForFunction(() => !document.querySelector('#raw .raw-row.skipped') && document.querySelector('#raw .raw-row.same'));
  await page.click('#raw .raw-head button');
  assert.equal(await page.isHidden('#raw'), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('who keeps it alive: the dominator tree, retained sizes and the referrers of a suspect', async () => {
  const { page, errors } = await openPage();
  await page.setInputFiles('#file-input', demoFiles);
  await page.waitForSelector('#retained-section:not([hidden]) .dom-item', { timeout: 20000 });
  const top = page.locator('#retained-section .dom-tree > .dom-item').first();
  assert.match(await top.locator('.path').first().textContent(), /^__main__\._RECORD_CACHE$/, 'the leak retains most');
  await top.locator('button.expand').first().click();
  await page.waitForSelector('#retained-section .dom-children .dom-item');
  assert.match(await top.locator('.dom-children .path').first().textContent(), /^__main__\._RECORD_CACHE\[\d+\]$/);
  // The comparison gains a retained column; the suspect its retained series and a way in.
  assert.match(await page.textContent('#comparison-head'), /retained/);
  assert.match(await page.textContent('#suspects .suspect'), /retained per snapshot/);
  await page.click('#suspects .suspect button:has-text("who keeps it alive?")');
  await page.waitForSelector('#retained-section .retainers h3');
  const panel = await page.textContent('#retained-section .retainers');
  assert.match(panel, /__main__\._RECORD_CACHE/);
  assert.match(panel, /referred to by \d+ object/);
  assert.match(panel, /__main__\.__dict__/);
  await page.locator('#retained-section').screenshot({ path: join(shots, 'retained.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('contents from a snapshot are shown as text, never run', async () => {
  const { page, errors } = await openPage();
  const head = '#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\n';
  const a = `${head}#end\t0\n`;
  const b = `${head}<img src=x onerror=window.__pwned=1>\t</script><b>x</b>\t64\t-\t10\n#end\t1\n`;
  await dropFiles(page, [{ name: 'a.hsnap', bytes: Buffer.from(a) }, { name: '<i>b</i>.hsnap', bytes: Buffer.from(b) }]);
  assert.equal(await topRowType(page), '<img src=x onerror=window.__pwned=1>');
  assert.equal(await page.locator('#comparison-body img').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  // The HTML report keeps it text too: escaped, and the report runs no script at all.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-report')]);
  const report = readFileSync(await download.path(), 'utf8');
  assert.ok(report.startsWith('<!doctype html>'));
  assert.ok(report.includes('&lt;img src=x onerror=window.__pwned=1&gt;'), 'escaped');
  assert.ok(!report.includes('<img') && !/<script/i.test(report));
  assert.match(report, /default-src 'none'/);
  const viewer = await browser.context.newPage();
  await viewer.setContent(report);
  assert.equal(await viewer.locator('img').count(), 0);
  assert.equal(await viewer.evaluate(() => window.__pwned), undefined);
  await viewer.close();
  assert.deepEqual(errors, []);
  await page.close();
});
