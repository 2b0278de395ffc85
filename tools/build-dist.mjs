// Writes dist/heapsnap.html: the whole analyzer in one file that works from file:// with no
// network — for snapshots copied off production onto an air-gapped laptop.
// Usage: node tools/build-dist.mjs PKG_DIR   (PKG_DIR holds the wasm-bindgen --target no-modules output)
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = resolve(process.argv[2] ?? join(root, 'target', 'dist-pkg'));
const www = join(root, 'www');

// Swap the served page's worker factory for the single-file one.
const singleFileWorker = {
  name: 'single-file-worker',
  setup(build) {
    build.onResolve({ filter: /\/worker-factory\.js$/ }, () => ({ path: join(root, 'tools', 'dist', 'worker-factory.js') }));
  },
};

async function bundle(entry, plugins = []) {
  const out = await esbuild.build({
    entryPoints: [entry], bundle: true, format: 'iife', write: false, minify: true,
    target: 'es2022', plugins, legalComments: 'none',
  });
  return out.outputFiles[0].text;
}

// Text that sits inside <script> must not close it.
const scriptSafe = (js) => js.replace(/<\/script/gi, '<\\/script');
const sha256 = (text) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

const app = scriptSafe(await bundle(join(www, 'app.js'), [singleFileWorker]));
const worker = scriptSafe(readFileSync(join(pkg, 'heapsnap.js'), 'utf8') + '\n' + await bundle(join(root, 'tools', 'dist', 'worker-entry.js')));
const wasm = readFileSync(join(pkg, 'heapsnap_bg.wasm')).toString('base64');
const css = readFileSync(join(www, 'style.css'), 'utf8');

const csp = [
  "default-src 'none'",
  `script-src ${sha256(app)} 'wasm-unsafe-eval'`,
  'worker-src blob:',
  `style-src ${sha256(css)}`,
  'img-src data:',
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

let html = readFileSync(join(www, 'index.html'), 'utf8');
const replace = (from, to) => {
  if (!html.includes(from)) throw new Error(`index.html no longer contains ${from}`);
  html = html.replace(from, () => to);
};
replace(/<meta http-equiv="Content-Security-Policy" content="[^"]*">/.exec(html)[0],
  `<meta http-equiv="Content-Security-Policy" content="${csp}">`);
replace('<link rel="stylesheet" href="style.css">', `<style>${css}</style>`);
// The capture script's download link carries the file itself.
const captureScript = readFileSync(join(root, 'capture-script', 'heapsnap.py')).toString('base64');
replace('href="heapsnap.py"', `href="data:text/x-python;base64,${captureScript}"`);
replace('<script type="module" src="app.js"></script>\n', '');
replace('</body>', [
  `<script type="application/octet-stream" id="heapsnap-wasm">${wasm}</script>`,
  `<script type="text/plain" id="heapsnap-worker">${worker}</script>`,
  `<script>${app}</script>`,
  '</body>',
].join('\n'));

mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', 'heapsnap.html'), html);
console.log(`dist/heapsnap.html: ${(html.length / 1024).toFixed(0)} KiB`);
