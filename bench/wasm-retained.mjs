// The WebAssembly build's dominators, timed under Node (the V8 engine Chromium runs):
// node bench/wasm-retained.mjs PKG_DIR FILE  → JSON {parseSeconds, dominatorsSeconds}.
// PKG_DIR holds `wasm-bindgen --target nodejs` output of the same wasm the page uses.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const [pkg, file] = process.argv.slice(2);
const { Workspace } = createRequire(import.meta.url)(join(resolve(pkg), 'heapsnap.js'));
const ws = new Workspace();
const bytes = readFileSync(file);
let t = performance.now();
ws.load(1, file, bytes);
const parseSeconds = (performance.now() - t) / 1000;
t = performance.now();
ws.dominated(1, undefined, 10); // the first call builds the graph and the dominator tree
const dominatorsSeconds = (performance.now() - t) / 1000;
console.log(JSON.stringify({ parseSeconds, dominatorsSeconds }));
