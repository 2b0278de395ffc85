// Promise-based calls into the analysis worker. Buffers are transferred, never copied.
import { unpackTypeRows } from './type-rows.js';

export class AnalyzerClient {
  constructor(worker) {
    this.worker = worker;
    this.nextId = 1;
    this.pending = new Map();
    worker.onmessage = ({ data }) => {
      const call = this.pending.get(data.id);
      if (!call) return;
      if ('progress' in data) {
        call.onProgress?.(data.progress);
        return;
      }
      this.pending.delete(data.id);
      if (data.ok) call.resolve(data.result);
      else call.reject(new Error(data.error));
    };
    worker.onerror = (event) => {
      const error = new Error(`analysis worker failed: ${event.message || 'could not start'}`);
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    };
  }

  call(op, args = {}, transfer = [], onProgress = null) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, op, ...args }, transfer);
    });
  }

  /**
   * Parses a snapshot file; `buffer` (an ArrayBuffer) is transferred to the worker.
   * `onProgress(bytesRead)` is called as a gzip file is read.
   */
  load(key, name, buffer, onProgress = null) {
    return this.call('load', { key, name, buffer }, [buffer], onProgress);
  }

  /**
   * Suspects, per-type series and a comparison of the snapshots under `keys`; the comparison
   * runs from key `baseline` to key `current` (default: oldest to newest).
   */
  analyze(keys, { top = 20, baseline = null, current = null } = {}) {
    return this.call('analyze', { keys, top, baseline, current })
      .then((analysis) => ({ ...analysis, types: unpackTypeRows(analysis.types) }));
  }

  /** The raw lines of `typeName` in two snapshots, side by side (changed regions, or `all`). */
  raw(before, after, typeName, all = false) {
    return this.call('raw', { before, after, typeName, all });
  }

  /** What object `index` alone keeps alive (null: the tops of the dominator tree), most first. */
  dominated(key, index, limit = 30) {
    return this.call('dominated', { key, index, limit });
  }

  /** Object `index`'s referrers and immediate dominator. */
  retainers(key, index, limit = 30) {
    return this.call('retainers', { key, index, limit });
  }

  /**
   * Runs the parser and the analysis (or, with `retained`, the dominators) on a small
   * synthetic pair, so the engine has optimized them before real files arrive (it never
   * optimizes a function during one long call).
   */
  warmUp(retained = false) {
    return this.call('warmUp', { retained });
  }

  /** Readies `bytes` of the worker's memory for files about to arrive (see app.js). */
  prepare(bytes) {
    return this.call('prepare', { bytes });
  }

  /** Bytes of WebAssembly memory the worker holds. */
  memory() {
    return this.call('memory');
  }

  remove(key) {
    return this.call('remove', { key });
  }

  /**
   * The snapshot text of gzip (or plain) file bytes, as a Uint8Array; `buffer` is transferred.
   * `onProgress(bytesRead)` is called as the file is read.
   */
  inflate(name, buffer, onProgress = null) {
    return this.call('inflate', { name, buffer }, [buffer], onProgress);
  }

  /** Stops the worker; calls still pending fail with `reason`. */
  terminate(reason = 'stopped') {
    this.worker.terminate();
    for (const call of this.pending.values()) call.reject(new Error(reason));
    this.pending.clear();
  }
}
