// Single-file build: the worker is a classic script from a blob, and gets the compiled
// WebAssembly module by message — what works from file://, where module workers do not.
export const singleFile = true;

function bytesOf(id) {
  const text = document.getElementById(id).textContent.trim();
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let compiled; // one compilation serves the analysis worker and every decode worker
let workerUrl;

export function createWorker() {
  workerUrl ??= URL.createObjectURL(new Blob([document.getElementById('heapsnap-worker').textContent], { type: 'text/javascript' }));
  const worker = new Worker(workerUrl);
  compiled ??= WebAssembly.compile(bytesOf('heapsnap-wasm'));
  compiled.then(
    (module) => worker.postMessage({ op: 'init', module }),
    (error) => worker.postMessage({ op: 'init-failed', error: String(error) }),
  );
  return worker;
}
