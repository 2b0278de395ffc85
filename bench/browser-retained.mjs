// The page's analysis worker in headless Chromium, on one snapshot with edges: time to parse
// it, then to build its reference graph and dominator tree (the retained-size views' first
// call). Usage: node bench/browser-retained.mjs FILE  → prints JSON {parseSeconds, dominatorsSeconds}.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../tools/serve.mjs';
import { launch } from '../tests/e2e/browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const server = await serve(root, 0);
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/bench/retained-page.html`);
  await page.waitForSelector('html[data-warmed-up]', { state: 'attached', timeout: 30000 }); // warmed up first (see browser.mjs)
  await page.setInputFiles('#file', process.argv[2]);
  console.log(JSON.stringify(await page.evaluate(() => window.timed)));
} finally {
  await browser.close();
  server.close();
}
