// Time from the page receiving two snapshot files (the file input's change event) to the first
// suspect on screen, measured inside the page, in headless Chromium. (The harness's own file
// transfer into the browser is not counted.) Usage: node bench/browser.mjs A B  → prints JSON.
// With --picked, the reader presses "choose files" 1 s before the files arrive, as a file
// dialog takes at least that: the page readies its workers meanwhile (see app.js). With
// --cores=N, the page sees N cores (navigator.hardwareConcurrency): with more than two, it
// inflates files in decode workers beside the analysis worker.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../tools/serve.mjs';
import { launch } from '../tests/e2e/browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// With --retained, also the time until the dominator tree of the newest snapshot is shown.
const retained = process.argv.includes('--retained');
const picked = process.argv.includes('--picked');
const files = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const server = await serve(join(root, 'www'), 0);
const browser = await launch();
try {
  const page = await browser.context.newPage();
  const cores = process.argv.find((a) => a.startsWith('--cores='));
  if (cores) {
    await page.addInitScript((n) => Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => n }),
      Number(cores.slice('--cores='.length)));
  }
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  // Files come once the worker has compiled the wasm and warmed up (about 0.6 s after the page
  // opens here), as they do from a reader, who needs longer than that to pick or drag them.
  await page.waitForSelector('html[data-warmed-up]', { state: 'attached', timeout: 30000 });
  const shown = page.evaluate((selector) => new Promise((resolve) => {
    let t0 = 0;
    document.getElementById('file-input').addEventListener('change', () => { t0 = performance.now(); }, { capture: true });
    const done = () => document.querySelector(selector);
    new MutationObserver((_, observer) => {
      if (t0 && done()) {
        observer.disconnect();
        resolve((performance.now() - t0) / 1000);
      }
    }).observe(document.body, { childList: true, subtree: true });
  }), retained ? '#retained-section .dom-item' : '#suspects .suspect, #suspects .empty');
  if (picked) {
    await page.dispatchEvent('label:has(#file-input)', 'pointerdown');
    await page.waitForTimeout(1000);
  }
  await page.setInputFiles('#file-input', files);
  const seconds = await shown;
  await page.waitForSelector('#worker-memory:not([hidden])', { timeout: 120000 });
  const workerBytes = Number(await page.getAttribute('#worker-memory', 'data-bytes'));
  const mainHeapBytes = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? null);
  console.log(JSON.stringify({ seconds, workerBytes, mainHeapBytes }));
} finally {
  await browser.close();
  server.close();
}
