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

export function createWorker() {
  const source = document.getElementById('heapsnap-worker').textContent;
  const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
  WebAssembly.compile(bytesOf('heapsnap-wasm')).then(
    (module) => worker.postMessage({ op: 'init', module }),
    (error) => worker.postMessage({ op: 'init-failed', error: String(error) }),
  );
  return worker;
}
