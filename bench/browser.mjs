// Time from giving the page two snapshot files to the first suspect on screen, in headless
// Chromium. Usage: node bench/browser.mjs A B  → prints JSON.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../tools/serve.mjs';
import { launch } from '../tests/e2e/browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = process.argv.slice(2);
const server = await serve(join(root, 'www'), 0);
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForTimeout(500); // let the worker compile the wasm first, as a reader would
  const t0 = Date.now();
  await page.setInputFiles('#file-input', files);
  await page.locator('#suspects .suspect, #suspects .empty').first().waitFor({ timeout: 120000 });
  const seconds = (Date.now() - t0) / 1000;
  console.log(JSON.stringify({ seconds }));
} finally {
  await browser.close();
  server.close();
}
