// The single-file build, opened from file:// with no server: it must work and request nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launch, watchErrors } from './browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const demo = join(root, 'www', 'demo');
const manifest = JSON.parse(readFileSync(join(demo, 'manifest.json'), 'utf8'));
const shots = join(root, 'tests', 'e2e', 'screenshots');

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
  const network = browser.requests.filter((u) => !/^(file|blob|data):/.test(u));
  assert.deepEqual(network, [], 'the single-file build makes no network request');
});

test('dist/heapsnap.html works from file:// and names the leak', async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await page.goto(pathToFileURL(join(root, 'dist', 'heapsnap.html')).href);
  assert.equal(await page.isHidden('#demo-button'), true);
  const script = await page.getAttribute('#capture-script', 'href');
  assert.ok(script.startsWith('data:text/x-python;base64,'), 'the capture script is in the file');
  assert.equal(Buffer.from(script.split(',')[1], 'base64').toString('utf8'),
    readFileSync(join(root, 'capture-script', 'heapsnap.py'), 'utf8'));
  await page.setInputFiles('#file-input', manifest.files.map((f) => join(demo, f)));
  const path = page.locator('#suspects .suspect .path').first();
  await path.waitFor({ timeout: 20000 });
  assert.equal(await path.textContent(), '__main__._RECORD_CACHE');
  await page.screenshot({ path: join(shots, 'dist-file.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
