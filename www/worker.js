// The analysis worker: owns the WebAssembly module and every parsed snapshot.
// Messages in: {id, op, ...args}; out: {id, ok, result | error}. Snapshot bytes arrive transferred.
import init, { parseSnapshot } from './pkg/heapsnap.js';

const ready = init();
const snapshots = new Map();

const ops = {
  load({ key, name, buffer }) {
    const snapshot = parseSnapshot(name, new Uint8Array(buffer));
    snapshots.get(key)?.free();
    snapshots.set(key, snapshot);
    return snapshot.info();
  },
  compare({ before, after }) {
    return get(before).compare(get(after));
  },
  summary({ key }) {
    return get(key).summary();
  },
  drop({ key }) {
    snapshots.get(key)?.free();
    snapshots.delete(key);
    return null;
  },
};

function get(key) {
  const snapshot = snapshots.get(key);
  if (!snapshot) throw new Error(`no snapshot loaded as ${key}`);
  return snapshot;
}

self.onmessage = async ({ data }) => {
  try {
    await ready;
    const op = ops[data.op];
    if (!op) throw new Error(`unknown operation ${data.op}`);
    self.postMessage({ id: data.id, ok: true, result: op(data) });
  } catch (error) {
    self.postMessage({ id: data.id, ok: false, error: String(error?.message ?? error) });
  }
};
