// The worker's message loop, shared by the served page's module worker and the single-file
// build's classic worker. Messages in: {id, op, ...args}; out: {id, ok, result | error}.
import { packTypeRows } from './type-rows.js';

/**
 * Serves analysis requests on `self` once `workspace` (a Promise of a wasm Workspace)
 * resolves. `intercept(data)` may claim a message first (returns true when it did).
 */
export function serve(workspace, intercept = () => false) {
  // Tells the page how many of the file's bytes call `id` has read so far.
  const progressOf = (id) => ({ report: (bytes) => self.postMessage({ id, progress: bytes }) });
  const ops = {
    load: (ws, { id, key, name, buffer }) => ws.load(key, name, new Uint8Array(buffer), progressOf(id)),
    analyze: (ws, { keys, top, baseline, current }) =>
      ws.analyze(Uint32Array.from(keys), top, baseline ?? undefined, current ?? undefined),
    remove: (ws, { key }) => ws.remove(key),
    memory: (ws) => ws.memory_bytes(),
    prepare: (ws, { bytes }) => ws.prepare_memory(bytes),
    warmUp: (ws, { retained }) => ws.warm_up(retained),
    dominated: (ws, { key, index, limit }) => ws.dominated(key, index ?? undefined, limit),
    retainers: (ws, { key, index, limit }) => ws.retainers(key, index, limit),
    raw: (ws, { before, after, typeName, all }) => ws.raw(before, after, typeName, all),
    inflate: (ws, { id, name, buffer }) => ws.inflate(name, new Uint8Array(buffer), progressOf(id)),
  };
  self.onmessage = async ({ data }) => {
    if (intercept(data)) return;
    try {
      const ws = await workspace;
      const op = ops[data.op];
      if (!op) throw new Error(`unknown operation ${data.op}`);
      const result = op(ws, data) ?? null;
      // Bytes go back transferred, not copied; so do the comparison's rows, as columns.
      const transfer = result instanceof Uint8Array ? [result.buffer] : [];
      if (data.op === 'analyze') {
        const { packed, transfer: buffers } = packTypeRows(result.types);
        result.types = packed;
        transfer.push(...buffers);
      }
      self.postMessage({ id: data.id, ok: true, result }, transfer);
    } catch (error) {
      self.postMessage({ id: data.id, ok: false, error: String(error?.message ?? error) });
    }
  };
}
