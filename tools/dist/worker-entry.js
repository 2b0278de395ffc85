// Single-file build: the classic worker's body, after the no-modules wasm-bindgen glue
// (which defines the global `wasm_bindgen`).
import { serve } from '../../www/worker-core.js';

let resolve;
let reject;
const workspace = new Promise((ok, fail) => {
  resolve = ok;
  reject = fail;
});

serve(workspace, (data) => {
  if (data.op === 'init') {
    try {
      wasm_bindgen.initSync({ module: data.module });
      resolve(new wasm_bindgen.Workspace());
    } catch (error) {
      reject(error);
    }
    return true;
  }
  if (data.op === 'init-failed') {
    reject(new Error(`cannot compile the analyzer: ${data.error}`));
    return true;
  }
  return false;
});
