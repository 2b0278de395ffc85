// The analysis worker: owns the WebAssembly module and every parsed snapshot.
// Messages in: {id, op, ...args}; out: {id, ok, result | error}. Snapshot bytes arrive transferred.
import init, { Workspace } from './pkg/heapsnap.js';

let workspace;
const ready = init().then(() => {
  workspace = new Workspace();
});

const ops = {
  load: ({ key, name, buffer }) => workspace.load(key, name, new Uint8Array(buffer)),
  analyze: ({ keys, top }) => workspace.analyze(Uint32Array.from(keys), top),
  remove: ({ key }) => workspace.remove(key),
};

self.onmessage = async ({ data }) => {
  try {
    await ready;
    const op = ops[data.op];
    if (!op) throw new Error(`unknown operation ${data.op}`);
    self.postMessage({ id: data.id, ok: true, result: op(data) ?? null });
  } catch (error) {
    self.postMessage({ id: data.id, ok: false, error: String(error?.message ?? error) });
  }
};
